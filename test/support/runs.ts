// A rolled-back run with a threshold metric and the judge, as the provider records it: the
// report and evidence tests read it.
import type { RunEvidence } from "../../components/rollout/core/state";

const JUDGE_CONDITION =
    "SPRT log-LR <= -3.69 accept (after >= 50 canary requests) / >= 5.3 reject; canary error rate vs stable's + tolerance 0.01";

export const ROLLED_BACK: RunEvidence = {
    verdict: "Aborted",
    reason: 'canary "demo" rolled back at step 4/9 (pause 60s, weight 40%): success-rate 4 measurements failed',
    headline: "at step 4/9 (pause 60s, weight 40%): success-rate 4 measurements failed",
    startedAt: "2026-11-29T18:00:00.000Z",
    templateHash: "5104a0c0ff3aafcdaed503d03e96cdc8",
    durationSeconds: 130,
    abortedAtStep: 3,
    steps: [
        { index: 0, step: { setWeight: 20 }, startedAtSeconds: 0, endedAtSeconds: 4 },
        {
            index: 1,
            step: { pause: { durationSeconds: 60 } },
            startedAtSeconds: 4,
            endedAtSeconds: 64,
        },
        { index: 2, step: { setWeight: 40 }, startedAtSeconds: 64, endedAtSeconds: 66 },
    ],
    measurements: [
        ...[30, 60, 90, 120].map((t, i) => ({
            metric: "success-rate",
            phase: (i === 0 ? "Successful" : "Failed") as "Successful" | "Failed",
            step: t < 64 ? 1 : 3,
            weight: t < 64 ? 20 : 40,
            atSeconds: t,
            query: 'sum(rate(nginx_ingress_controller_requests{service="demo-canary",status!~"5.."}[60s])) / sum(...)',
            value: i === 0 ? 0.97 : 0.71,
            requests: 120.5,
            condition: "result[0] >= 0.95",
            message: i === 0 ? "successCondition is true" : "successCondition is false",
        })),
        ...[10, 20].map((t, i) => ({
            metric: "judge",
            phase: (i === 0 ? "Inconclusive" : "Failed") as "Inconclusive" | "Failed",
            step: 1,
            weight: 20,
            atSeconds: t,
            query: "sum(nginx_ingress_controller_requests{...})",
            value: [i === 0 ? 1.2 : 9.8, 12, 40, 2, 160],
            requests: 40,
            condition: JUDGE_CONDITION,
            message: i === 0 ? "waiting" : "rejected",
        })),
    ],
};
