import * as assert from "assert";
import { rolloutSteps as policy } from "../../../policies/rolloutSteps";
import {
    assertPasses,
    assertViolations,
    runResourcePolicy,
    UNKNOWN_VALUE,
} from "../../support/policyHarness";
import { canaryDeployment, rollout, withField } from "../../support/policyFixtures";

// The default steps: 20, pause 60s, 40, pause, 60, pause, 80, pause, analysis; deadline 1800s.
const STEPS = "props.steps";

describe("policy rollout-steps", () => {
    it("passes the default steps and deadline", async () => {
        assertPasses(await runResourcePolicy(policy, rollout()));
    });

    it("does not apply to other resource types", async () => {
        const outcome = await runResourcePolicy(policy, canaryDeployment());
        assert.match(outcome.notApplicable ?? "", /CanaryRollout'$/);
    });

    it("passes steps unknown during preview", async () => {
        assertPasses(
            await runResourcePolicy(policy, withField(rollout(), STEPS, UNKNOWN_VALUE.array)),
        );
    });

    it("reports a weight above 100", async () => {
        const r = withField(rollout(), `${STEPS}.2`, { setWeight: 120 });
        assertViolations(await runResourcePolicy(policy, r), [
            'CanaryRollout "rollouts-demo-rollout": step 3 sets weight 120; a weight is the percent of requests sent to the canary, so it must be a whole number from 0 to 100. Use at most 100 in progressive-delivery:rollout.steps (promotion moves the rest of the traffic anyway).',
        ]);
    });

    it("reports a repeated weight", async () => {
        const r = withField(rollout(), `${STEPS}.2`, { setWeight: 20 });
        assertViolations(await runResourcePolicy(policy, r), [
            'CanaryRollout "rollouts-demo-rollout": step 3 sets weight 20 after step 1 set 20; weights must strictly increase because a canary only gains traffic until it is promoted: a repeated weight is a step that tests nothing new, and a lower one moves users back to the old version mid-release. Make each setWeight in progressive-delivery:rollout.steps higher than the one before.',
        ]);
    });

    it("reports a lower weight, compared with the highest so far", async () => {
        const r = withField(rollout(), `${STEPS}.6`, { setWeight: 50 });
        assertViolations(await runResourcePolicy(policy, r), [
            'CanaryRollout "rollouts-demo-rollout": step 7 sets weight 50 after step 5 set 60; weights must strictly increase because a canary only gains traffic until it is promoted: a repeated weight is a step that tests nothing new, and a lower one moves users back to the old version mid-release. Make each setWeight in progressive-delivery:rollout.steps higher than the one before.',
        ]);
    });

    it("reports a release without an analysis step", async () => {
        const r = withField(rollout(), `${STEPS}.8`, { pause: { durationSeconds: 60 } });
        assertViolations(await runResourcePolicy(policy, r), [
            'CanaryRollout "rollouts-demo-rollout" has no analysis step: promotion then never waits for a successful measurement, and the canary is promoted when the last pause ends even if no measurement succeeded. Add an {analysis: {count: N}} step after a setWeight in progressive-delivery:rollout.steps.',
        ]);
    });

    it("reports an analysis step that comes before the canary has traffic", async () => {
        let r = withField(rollout(), `${STEPS}.0`, { analysis: { count: 1 } });
        r = withField(r, `${STEPS}.8`, { setWeight: 90 });
        assertViolations(await runResourcePolicy(policy, r), [
            'CanaryRollout "rollouts-demo-rollout": no analysis step comes after a setWeight above 0 (analysis at step 1), so the analysis measures a canary that gets no traffic and promotion waits on nothing. Put an analysis step after a step such as {setWeight: 20} in progressive-delivery:rollout.steps.',
        ]);
    });

    it("reports a rollout without steps", async () => {
        assertViolations(await runResourcePolicy(policy, withField(rollout(), STEPS, [])), [
            'CanaryRollout "rollouts-demo-rollout" has no steps (got []): without steps there is no canary, the new version goes straight to every user. Set progressive-delivery:rollout.steps, e.g. [{setWeight: 20}, {pause: {duration: "1m"}}, {analysis: {}}].',
        ]);
    });

    it("reports a rollout without a deadline", async () => {
        const r = withField(rollout(), "props.deadlineSeconds", undefined);
        assertViolations(await runResourcePolicy(policy, r), [
            'CanaryRollout "rollouts-demo-rollout" has no deadline (deadlineSeconds is not set): a rollout without one can hold pulumi up, and the stack\'s lock, for as long as the canary keeps waiting for measurements. Set progressive-delivery:rollout.deadline, e.g. "30m".',
        ]);
    });

    it("reports a deadline the pauses do not fit in", async () => {
        const r = withField(rollout(), "props.deadlineSeconds", 240);
        assertViolations(await runResourcePolicy(policy, r), [
            'CanaryRollout "rollouts-demo-rollout" has a deadline of 240s, but its pauses alone take 240s, so every release would run out of time and roll back. Raise progressive-delivery:rollout.deadline above 240s or shorten the pauses.',
        ]);
    });
});
