import * as assert from "assert";
import { describeEvent, MAX_EVENT_MESSAGE } from "../../../../../components/rollout/core/events";

describe("rollout/events as Kubernetes events read them", () => {
    it("each measurement phase has its reason code and type", () => {
        const m = {
            metric: "success-rate",
            step: 3,
            weight: 40,
            atSeconds: 90,
            query: "q",
            value: 0.71,
            requests: 120,
            condition: "result[0] >= 0.95",
            message: 'successCondition "result[0] >= 0.95" is false',
        };
        assert.deepStrictEqual(
            describeEvent({
                type: "Measured",
                app: "demo",
                at: 90,
                measurement: { ...m, phase: "Failed" },
            }),
            {
                reason: "AnalysisFailed",
                type: "Warning",
                message:
                    'success-rate = 0.71 over 120 requests at step 4, weight 40%: Failed (successCondition "result[0] >= 0.95" is false)',
            },
        );
        for (const [phase, reason, type] of [
            ["Successful", "AnalysisSuccessful", "Normal"],
            ["Inconclusive", "AnalysisInconclusive", "Normal"],
            ["Error", "AnalysisError", "Warning"],
        ] as const) {
            const d = describeEvent({
                type: "Measured",
                app: "demo",
                at: 1,
                measurement: { ...m, phase },
            });
            assert.deepStrictEqual([d.reason, d.type], [reason, type]);
        }
    });

    it("steps and verdicts", () => {
        assert.deepStrictEqual(
            describeEvent({
                type: "StepStarted",
                app: "demo",
                at: 5,
                step: 1,
                of: 9,
                description: "pause 60s",
                weight: 20,
            }),
            { reason: "RolloutStep", type: "Normal", message: "step 2/9: pause 60s at weight 20%" },
        );
        assert.strictEqual(
            describeEvent({ type: "RolledBack", app: "demo", at: 5, step: 1, reason: "r" }).type,
            "Warning",
        );
        assert.strictEqual(
            describeEvent({ type: "Promoted", app: "demo", at: 5, reason: "r" }).reason,
            "RolloutPromoted",
        );
    });

    it("messages are cut to Kubernetes' 1 kB", () => {
        const d = describeEvent({ type: "Promoted", app: "demo", at: 5, reason: "x".repeat(5000) });
        assert.strictEqual(d.message.length, MAX_EVENT_MESSAGE);
        assert.ok(d.message.endsWith("..."));
    });
});
