// No measurement runs past the deadline: the engine tells each measurement how long it has, and
// a measurement that ends past the deadline (a metric that ignored it) counts for nothing. Every
// message a measurement records is cut, however long the answer it describes.
import * as assert from "assert";
import { runRollout } from "../../../../../components/rollout/core/engine";
import { MeasureContext, Metric } from "../../../../../components/rollout/core/types";
import { FakeClock, RecordingCluster } from "../../../../support/fakes";
import { stepsOf } from "../../../../support/spec";

const STEPS = stepsOf([{ setWeight: 50 }, { analysis: { count: 2 } }]);
const LIMITS = { failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 0 };

/** A metric that records its contexts and answers through `answer` on the clock. */
function metric(
    clock: FakeClock,
    answer: (ctx: MeasureContext) => Promise<string>,
): Metric & { contexts: MeasureContext[] } {
    const contexts: MeasureContext[] = [];
    return {
        name: "success-rate",
        intervalSeconds: 10,
        initialDelaySeconds: 0,
        limits: LIMITS,
        contexts,
        async measure(ctx) {
            contexts.push(ctx);
            const message = await answer(ctx);
            return { phase: "Successful", value: 0.99, query: "q", condition: "c", message };
        },
    };
}

async function run(m: Metric, clock: FakeClock, deadlineSeconds: number) {
    const cluster = new RecordingCluster();
    const result = await runRollout(
        { app: "demo", steps: STEPS, totalReplicas: 4, deadlineSeconds, metrics: [m] },
        { router: cluster, workloads: cluster, clock, report: () => {} },
    );
    return { result, cluster };
}

describe("rollout/engine: the deadline and long messages", () => {
    it("tells each measurement the time left before the deadline", async () => {
        const clock = new FakeClock();
        const m = metric(clock, async () => "ok");
        const { result } = await run(m, clock, 100);
        assert.strictEqual(result.verdict, "Promoted", result.reason);
        assert.deepStrictEqual(
            m.contexts.map((c) => c.timeLeftMs),
            [100_000, 90_000],
        );
    });

    it("a measurement that ends past the deadline does not promote", async () => {
        const clock = new FakeClock();
        // The second measurement takes 25 s (a metric that ignores timeLeftMs): it ends at 35 s,
        // past the 30 s deadline, with a success that would have completed the analysis.
        const m = metric(clock, async (ctx) => {
            if (ctx.timeLeftMs! < 30_000) {
                clock.t += 25_000;
            }
            return "ok";
        });
        const { result, cluster } = await run(m, clock, 30);
        assert.strictEqual(result.verdict, "Aborted");
        assert.strictEqual(
            result.reason,
            'canary "demo" rolled back at step 2/2 (analysis (2 successful measurements), weight 50%): deadline of 30s passed at step 2/2 (analysis (2 successful measurements), weight 50%) with 2 successful success-rate; raise rollout.deadline or shorten the steps; traffic is back on the stable version and the canary is scaled to 0',
        );
        assert.deepStrictEqual(cluster.calls.slice(-3), ["weight 0", "header off", "scale 0"]);
    });

    it("the deadline's message names the last measurement when it did not succeed", async () => {
        const clock = new FakeClock();
        const m: Metric = {
            ...metric(clock, async () => "ok"),
            limits: { ...LIMITS, consecutiveErrorLimit: 100 },
            async measure() {
                clock.t += 10_000;
                throw new Error("no answer within the 10s a query may take");
            },
        };
        const { result } = await run(m, clock, 25);
        assert.strictEqual(
            result.reason,
            'canary "demo" rolled back at step 2/2 (analysis (2 successful measurements), weight 50%): deadline of 25s passed at step 2/2 (analysis (2 successful measurements), weight 50%) with 0 successful success-rate; raise rollout.deadline or shorten the steps; last measurement: success-rate Error: no answer within the 10s a query may take; traffic is back on the stable version and the canary is scaled to 0',
        );
    });

    it("a 1.2-million-character message is recorded as 500 characters and its length", async () => {
        const clock = new FakeClock();
        const huge = `the query returned [${"0.99, ".repeat(200_000)}]`;
        const m: Metric = {
            ...metric(clock, async () => "ok"),
            async measure() {
                throw new Error(huge);
            },
        };
        const { result } = await run(m, clock, 100);
        assert.strictEqual(
            result.measurements[0].message,
            `${huge.slice(0, 500)}... (${huge.length} characters)`,
        );
        assert.ok(result.reason.length < 1000, `${result.reason.length} characters`);
    });
});
