import { analysisSuccessCondition as policy } from "../../../policies/analysisSuccessCondition";
import { assertPasses, assertViolations, runResourcePolicy } from "../../support/policyHarness";
import { rollout, withField } from "../../support/policyFixtures";

describe("policy analysis-success-condition", () => {
    it("passes the default successCondition", async () => {
        assertPasses(await runResourcePolicy(policy, rollout()));
    });

    it("reports a metric with only a failureCondition", async () => {
        let r = withField(rollout(), "props.metrics.0.successCondition", undefined);
        r = withField(r, "props.metrics.0.failureCondition", "result[0] < 0.95");
        assertViolations(await runResourcePolicy(policy, r), [
            'CanaryRollout "rollouts-demo-rollout" metric "success-rate" has no successCondition: healthy is then only implied by the failureCondition "result[0] < 0.95", so any value that does not match it, however poor, counts as a success, and the evidence does not show the bar the canary had to clear. Set progressive-delivery:rollout.analysis.metrics[0].successCondition, e.g. "result[0] >= 0.95".',
        ]);
    });

    it("reports a metric with no condition at all", async () => {
        const r = withField(rollout(), "props.metrics.0.successCondition", "  ");
        assertViolations(await runResourcePolicy(policy, r), [
            'CanaryRollout "rollouts-demo-rollout" metric "success-rate" has no successCondition: with no condition at all, nothing decides whether a measurement passed. Set progressive-delivery:rollout.analysis.metrics[0].successCondition, e.g. "result[0] >= 0.95".',
        ]);
    });
});
