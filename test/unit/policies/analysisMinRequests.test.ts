import { analysisMinRequests as policy } from "../../../policies/analysisMinRequests";
import { assertPasses, assertViolations, runResourcePolicy } from "../../support/policyHarness";
import { rollout, withField } from "../../support/policyFixtures";

const message = (value: string) =>
    `CanaryRollout "rollouts-demo-rollout" metric "success-rate": minRequests is ${value}; without a minimum, a canary that served a handful of requests can be promoted (one successful request is a 100% success rate). Set progressive-delivery:rollout.analysis.metrics[0].minRequests to a whole number above 0 (at most 1000000000), e.g. 10 (more for busy services).`;

describe("policy analysis-min-requests", () => {
    it("passes the default minRequests (10)", async () => {
        assertPasses(await runResourcePolicy(policy, rollout()));
    });

    it("reports minRequests 0", async () => {
        const r = withField(rollout(), "props.metrics.0.minRequests", 0);
        assertViolations(await runResourcePolicy(policy, r), [message("0")]);
    });

    it("reports a metric without minRequests", async () => {
        const r = withField(rollout(), "props.metrics.0.minRequests", undefined);
        assertViolations(await runResourcePolicy(policy, r), [message("not set")]);
    });

    it("reports a fractional, a negative and a too large minRequests", async () => {
        for (const [v, shown] of [
            [2.5, "2.5"],
            [-1, "-1"],
            [1e10, "10000000000"],
            ["10", '"10"'],
        ] as const) {
            const r = withField(rollout(), "props.metrics.0.minRequests", v);
            assertViolations(await runResourcePolicy(policy, r), [message(shown)]);
        }
    });
});
