import { analysisLimits as policy } from "../../../policies/analysisLimits";
import { assertPasses, assertViolations, runResourcePolicy } from "../../support/policyHarness";
import { rollout, withField } from "../../support/policyFixtures";

describe("policy analysis-limits", () => {
    it("passes the default metric (failureLimit 3, consecutiveErrorLimit 4)", async () => {
        assertPasses(await runResourcePolicy(policy, rollout()));
    });

    it("passes a failureLimit of 0 (abort on the first failure)", async () => {
        assertPasses(
            await runResourcePolicy(
                policy,
                withField(rollout(), "props.metrics.0.failureLimit", 0),
            ),
        );
    });

    it("reports a metric without a failureLimit", async () => {
        const r = withField(rollout(), "props.metrics.0.failureLimit", undefined);
        assertViolations(await runResourcePolicy(policy, r), [
            'CanaryRollout "rollouts-demo-rollout" metric "success-rate": failureLimit is not set; it must be a whole number of 0 or more, because it is how many failed measurements abort the canary, and left unset the engine falls back to 0 without the tolerance being visible to anyone reviewing the stack. Set progressive-delivery:rollout.analysis.metrics[0].failureLimit, e.g. 2.',
        ]);
    });

    it("reports a metric without a consecutiveErrorLimit", async () => {
        const r = withField(rollout(), "props.metrics.0.consecutiveErrorLimit", null);
        assertViolations(await runResourcePolicy(policy, r), [
            'CanaryRollout "rollouts-demo-rollout" metric "success-rate": consecutiveErrorLimit is not set; it must be a whole number of 0 or more, because it is how many Prometheus errors in a row abort the rollout, and left unset the engine falls back to 4, so a Prometheus outage during a release is handled by a default nobody chose. Set progressive-delivery:rollout.analysis.metrics[0].consecutiveErrorLimit, e.g. 4.',
        ]);
    });

    it("leaves a stated limit out of bounds to rollout-settings (mandatory)", async () => {
        const r = withField(rollout(), "props.metrics.0.consecutiveErrorLimit", -1);
        assertPasses(await runResourcePolicy(policy, r));
    });
});
