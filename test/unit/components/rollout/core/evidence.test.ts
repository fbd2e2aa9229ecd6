import * as assert from "assert";
import {
    rolledBackNow,
    summarize,
    verdictLine,
} from "../../../../../components/rollout/core/evidence";
import type { RunEvidence } from "../../../../../components/rollout/core/state";

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
});
