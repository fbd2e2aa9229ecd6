import * as assert from "assert";
import { runRollout } from "../../../../../components/rollout/core/engine";
import {
    rollbackSeconds,
    rolledBackNow,
    summarize,
    verdictLine,
} from "../../../../../components/rollout/core/evidence";
import type { RunEvidence } from "../../../../../components/rollout/core/state";
import { FakeClock, RecordingCluster, scriptedMetric } from "../../../../support/fakes";
import { stepsOf } from "../../../../support/spec";

const RUN: RunEvidence = {
    verdict: "Aborted",
    reason: 'canary "demo" rolled back at step 2/9 (pause 60s, weight 20%): ...',
    headline:
        'at step 2/9 (pause 60s, weight 20%): success-rate 1 measurements failed "c" (failureLimit 0), last value 0.7123 over 40 requests',
    startedAt: "2026-01-01T00:00:00.000Z",
    templateHash: "5104a0c0ff3aafcdaed503d03e96cdc8",
    durationSeconds: 12,
    abortedAtStep: 1,
    steps: [{ index: 0, step: { setWeight: 20 }, startedAtSeconds: 0, endedAtSeconds: 1 }],
    measurements: [
        {
            metric: "success-rate",
            phase: "Failed",
            step: 1,
            weight: 20,
            atSeconds: 8,
            query: "q",
            value: 0.7123,
            requests: 40,
            condition: "c",
            message: 'successCondition "c" is false',
        },
    ],
};

describe("rollout/evidence", () => {
    it("summarize prints one line per measurement", () => {
        assert.strictEqual(
            summarize(RUN),
            'evidence (started 2026-01-01T00:00:00.000Z, 12s):\n  t=8s step 2 weight 20% success-rate=0.7123 (40 requests) Failed: successCondition "c" is false',
        );
    });

    it("verdictLine reads in pulumi up's summary", () => {
        assert.strictEqual(
            verdictLine(RUN),
            'rolled back 5104a0c0ff3a (run of 2026-01-01T00:00:00.000Z): at step 2/9 (pause 60s, weight 20%): success-rate 1 measurements failed "c" (failureLimit 0), last value 0.7123 over 40 requests',
        );
        assert.strictEqual(verdictLine(null), "no canary run yet");
        // State written before headlines existed: the reason stands in.
        const { headline: _h, ...old } = RUN;
        assert.strictEqual(
            verdictLine(old as RunEvidence),
            `rolled back 5104a0c0ff3a (run of 2026-01-01T00:00:00.000Z): ${RUN.reason}`,
        );
    });

    it("a rollback fails this pulumi up only for the template asked for now", () => {
        assert.strictEqual(rolledBackNow(RUN, RUN.templateHash), true);
        assert.strictEqual(rolledBackNow(RUN, "another"), false, "reverted since: history");
        assert.strictEqual(rolledBackNow({ ...RUN, verdict: "Promoted" }, RUN.templateHash), false);
        assert.strictEqual(rolledBackNow(null, RUN.templateHash), false);
    });

    describe("rollbackSeconds: how long after the canary first got traffic a measurement rolled it back", () => {
        /** A run of the engine whose canary takes 1.5 s to be ready at each weight. */
        async function run(metric: ReturnType<typeof scriptedMetric>, deadlineSeconds = 600) {
            const clock = new FakeClock();
            const cluster = new RecordingCluster();
            const workloads = Object.assign(cluster, {
                waitCanaryReady: async (replicas: number) => {
                    if (replicas > 0) {
                        await clock.sleep(1500);
                    }
                },
            });
            const r = await runRollout(
                {
                    app: "demo",
                    steps: stepsOf([
                        { setWeight: 20 },
                        { pause: { duration: "30s" } },
                        { setWeight: 40 },
                        { pause: { duration: "30s" } },
                        { analysis: {} },
                    ]),
                    totalReplicas: 4,
                    deadlineSeconds,
                    metrics: [metric],
                },
                { router: cluster, workloads, clock, report: () => {} },
            );
            return { ...r, startedAt: "", templateHash: "h" };
        }

        it("a threshold metric: its deciding measurement less the first weight's end", async () => {
            // Traffic from 1.5 s; measured every 10 s of it, the fourth late by the second
            // weight's 1.5 s: the fifth failure exceeds failureLimit 4 at 41.5 s of the run.
            const r = await run(scriptedMetric(["Failed"], { failureLimit: 4 }));
            assert.strictEqual(r.verdict, "Aborted");
            assert.deepStrictEqual(
                r.measurements.map((m) => m.atSeconds),
                [1.5, 11.5, 21.5, 33, 41.5],
            );
            assert.strictEqual(rollbackSeconds(r), 40);
        });

        it("the judge: the seconds its reason gives", () => {
            const reason = `${RUN.reason} canary 8/22 failed (36%) vs stable 0/141 (0%): ln e 5.82 >= 5.3: the canary's error rate is more than 0.01 above stable's (the evidence points to +0.3), 8s after the canary first got traffic; query: q`;
            assert.strictEqual(rollbackSeconds({ ...RUN, reason }), 8);
        });

        it("none for a promoted run, a rollback at the deadline, or one before traffic", async () => {
            assert.strictEqual(rollbackSeconds({ ...RUN, verdict: "Promoted" }), undefined);
            const late = await run(scriptedMetric(["Inconclusive"], { inconclusiveLimit: 99 }), 20);
            assert.match(late.reason, /deadline of 20s passed/);
            assert.strictEqual(
                late.measurements[late.measurements.length - 1].phase,
                "Inconclusive",
            );
            assert.strictEqual(rollbackSeconds(late), undefined);
            const byMetric = {
                ...RUN,
                reason: RUN.reason.replace("...", 'success-rate 1 measurements failed "c"'),
            };
            assert.strictEqual(rollbackSeconds(byMetric), 7);
            assert.strictEqual(rollbackSeconds({ ...byMetric, steps: [] }), undefined);
        });
    });
});
