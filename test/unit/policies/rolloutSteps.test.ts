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
            'CanaryRollout "rollouts-demo-rollout": the analysis at step 1 comes before any setWeight above 0, so it measures a canary that gets no traffic. Put it after a step such as {setWeight: 20} in progressive-delivery:rollout.steps.',
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

    it("reports an analysis step before traffic even when a later one comes after", async () => {
        const r = withField(rollout(), `${STEPS}.0`, { analysis: { count: 1 } });
        assertViolations(await runResourcePolicy(policy, r), [
            'CanaryRollout "rollouts-demo-rollout": the analysis at step 1 comes before any setWeight above 0, so it measures a canary that gets no traffic. Put it after a step such as {setWeight: 20} in progressive-delivery:rollout.steps.',
        ]);
    });

    it("reports a step that is not exactly one of setWeight, pause or analysis", async () => {
        for (const step of [{ setWeight: 20, pause: { durationSeconds: 60 } }, { wait: 60 }, 20]) {
            const r = withField(rollout(), `${STEPS}.1`, step);
            assertViolations(await runResourcePolicy(policy, r), [
                `CanaryRollout "rollouts-demo-rollout": step 2 is ${JSON.stringify(step)}; a step has exactly one of setWeight, pause or analysis, so the engine cannot tell what it means. Write it as {setWeight: 20}, {pause: {duration: "1m"}} or {analysis: {}} in progressive-delivery:rollout.steps.`,
            ]);
        }
    });

    it("reports a pause that is not a positive duration of at most 24h", async () => {
        for (const [pause, shown] of [
            [{ durationSeconds: 0 }, "0s"],
            [{ durationSeconds: 86401 }, "86401s"],
            [{}, "nothing"],
            [{ durationSeconds: "1m" }, '"1m"'],
        ] as const) {
            const r = withField(rollout(), `${STEPS}.1`, { pause });
            assertViolations(await runResourcePolicy(policy, r), [
                `CanaryRollout "rollouts-demo-rollout": step 2 pauses for ${shown}; a pause must be a positive duration of at most 24h (86400s): an indefinite pause cannot be resumed in a pulumi up, and the rollout holds the stack's lock while it waits. Set progressive-delivery:rollout.steps[1].pause.duration, e.g. "1m".`,
            ]);
        }
    });

    it("reports an analysis count that is not a whole number from 1 to 1000", async () => {
        for (const count of [0, 1.5, 1001]) {
            const r = withField(rollout(), `${STEPS}.8`, { analysis: { count } });
            assertViolations(await runResourcePolicy(policy, r), [
                `CanaryRollout "rollouts-demo-rollout": the analysis at step 9 waits for ${count} successful measurements; it must be a whole number from 1 to 1000. Set progressive-delivery:rollout.steps[8].analysis.count, e.g. 1.`,
            ]);
        }
    });

    it("reports an analysis step with no metric and the judge off, or only a guard", async () => {
        const r = withField(
            withField(rollout(), "props.metrics", []),
            "props.judge.enabled",
            false,
        );
        assertViolations(await runResourcePolicy(policy, r), [
            'CanaryRollout "rollouts-demo-rollout" has an analysis step but nothing to measure: no metric, and the judge is off. Add a metric to progressive-delivery:rollout.analysis.metrics or enable progressive-delivery:rollout.analysis.judge.',
        ]);
        const guard = withField(
            withField(r, "props.judge.enabled", true),
            "props.judge.role",
            "guard",
        );
        assertViolations(await runResourcePolicy(policy, guard), [
            'CanaryRollout "rollouts-demo-rollout" has an analysis step but nothing that can pass it: no metric, and the judge is a guard (it only rolls back). Add a metric to progressive-delivery:rollout.analysis.metrics or set progressive-delivery:rollout.analysis.judge.role to "gate".',
        ]);
        const gate = withField(guard, "props.judge.role", "gate");
        assertPasses(await runResourcePolicy(policy, gate));
    });

    it("reports a deadline longer than 24h", async () => {
        const r = withField(rollout(), "props.deadlineSeconds", 90000);
        assertViolations(await runResourcePolicy(policy, r), [
            'CanaryRollout "rollouts-demo-rollout" has a deadline of 90000s; it must be from 1s to 24h (86400s), because a rollout holds pulumi up and the stack\'s lock while it runs. Set progressive-delivery:rollout.deadline, e.g. "30m".',
        ]);
    });

    it("reports a scale-down delay past 10m or not shorter than the deadline", async () => {
        for (const [delay, deadline] of [
            [601, 1800],
            [-1, 1800],
            [300, 300],
        ]) {
            let r = withField(rollout(), "props.abortScaleDownDelaySeconds", delay);
            r = withField(r, `${STEPS}`, [{ setWeight: 50 }, { analysis: {} }]);
            r = withField(r, "props.deadlineSeconds", deadline);
            assertViolations(await runResourcePolicy(policy, r), [
                `CanaryRollout "rollouts-demo-rollout" keeps a rolled-back canary's pods for ${delay}s; it must be from 0s to 10m (600s) and shorter than the deadline (${deadline}s), because a rollback holds pulumi up that long before the canary's pods go. Set progressive-delivery:rollout.abortScaleDownDelay, e.g. "30s".`,
            ]);
        }
    });

    it("passes a rollout written before the scale-down delay existed", async () => {
        const r = withField(rollout(), "props.abortScaleDownDelaySeconds", undefined);
        assertPasses(await runResourcePolicy(policy, r));
    });
});
