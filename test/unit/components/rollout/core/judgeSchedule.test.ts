// When the judge reads Prometheus: just after the scrapes, from the age of the latest sample that
// Prometheus reports (judge/schedule.ts), and how long its intervals are.
import * as assert from "assert";
import { runRollout } from "../../../../../components/rollout/core/engine";
import { KEYS } from "../../../../../components/rollout/core/judge/counts";
import {
    judgeAgeQuery,
    JUDGE_QUERIES,
    judgeMetric,
} from "../../../../../components/rollout/core/judge/metric";
import {
    INGEST_MARGIN_SECONDS,
    nextReading,
    NO_SCRAPES,
    observe,
} from "../../../../../components/rollout/core/judge/schedule";
import { renderQuery } from "../../../../../components/rollout/core/queries";
import { type JudgeSpec, SPEC_DEFAULTS } from "../../../../../components/rollout/core/spec";
import { MeasureContext, MetricsSource } from "../../../../../components/rollout/core/types";
import { FakeClock, RecordingCluster } from "../../../../support/fakes";
import { DEMO_ARGS } from "../../../../support/queryArgs";
import { stepsOf } from "../../../../support/spec";

const JUDGE: JudgeSpec = { ...SPEC_DEFAULTS.judge, intervalSeconds: 10 };
const ARGS = { ...DEMO_ARGS, scrapeIntervalSeconds: 10, deadlineSeconds: 1800 };
const render = (q: string) => renderQuery(q, { ...DEMO_ARGS, window: "" });
const AGE = render(judgeAgeQuery("ingress-nginx"));

describe("rollout/judge schedule", () => {
    it("reads a margin after the last scrape that a reading at the due time would see", () => {
        const clock = { sample: 2, margin: 1 };
        assert.strictEqual(INGEST_MARGIN_SECONDS, 1);
        assert.strictEqual(nextReading(clock, 20, 10), 13);
        assert.strictEqual(nextReading(clock, 13, 10), 13);
        // No new scrape in by then: the due time itself.
        assert.strictEqual(nextReading(clock, 12.5, 10), 12.5);
        // A longer interval than the scrapes': the last scrape in by then.
        assert.strictEqual(nextReading(clock, 35, 10), 33);
        // The sample's time unknown (Prometheus gave no age): the due time.
        assert.strictEqual(nextReading(NO_SCRAPES, 20, 10), 20);
    });

    it("learns the latest sample's time from its age, and a larger margin from a scrape that was late", () => {
        assert.deepStrictEqual(observe(NO_SCRAPES, 20, 7.5, 10), { sample: 12.5, margin: 1 });
        // 11s old at 13.5: the scrape due at 12.5 was not in 1s after it: the margin doubles that.
        assert.deepStrictEqual(observe(NO_SCRAPES, 13.5, 11, 10), { sample: 2.5, margin: 2 });
        // Never more than half a scrape interval (a scrape that failed outright).
        assert.deepStrictEqual(observe(NO_SCRAPES, 40, 37.5, 10), { sample: 2.5, margin: 5 });
        // Late by less than half the margin: the margin stays.
        assert.deepStrictEqual(observe(NO_SCRAPES, 12.9, 10.4, 10), { sample: 2.5, margin: 1 });
        // No age: the sample's time is no longer known; the margin learnt stays.
        assert.deepStrictEqual(observe({ sample: 2.5, margin: 2 }, 20, undefined, 10), {
            margin: 2,
        });
    });

    /**
     * Scrapes every 10s at 2.5s after the canary's first traffic; a scrape's samples are in
     * `ingest` seconds after its time. 20 req/s, the canary at `weight`% failing `rate`, stable
     * at 1% with a long history. Answers the four counters and, unless `noAge`, their age.
     */
    function scraped(
        clock: FakeClock,
        cluster: RecordingCluster,
        rate: number,
        o: { ingest?: number; noAge?: boolean } = {},
    ): MetricsSource {
        const t0 = clock.now();
        const queries = KEYS.map((k) => render(JUDGE_QUERIES[k]));
        return {
            async query(promql) {
                const now = (clock.now() - t0) / 1000;
                const last = 2.5 + 10 * Math.floor((now - (o.ingest ?? 0) - 2.5) / 10);
                if (promql === AGE) {
                    return { values: o.noAge ? [] : [now - last] };
                }
                const canary = Math.max(0, last) * 20 * (cluster.weight / 100);
                const stable = 1_000_000 + (last + 300) * 20 * (1 - cluster.weight / 100);
                const counts = [
                    canary,
                    Math.round(canary * rate),
                    stable,
                    Math.round(stable / 100),
                ];
                return { values: [counts[queries.indexOf(promql)]] };
            },
        };
    }

    async function run(rate: number, o: { ingest?: number; noAge?: boolean } = {}) {
        const clock = new FakeClock();
        const cluster = new RecordingCluster();
        const metric = judgeMetric(JUDGE, ARGS, scraped(clock, cluster, rate, o));
        const steps = stepsOf([{ setWeight: 20 }, { pause: { duration: "1m" } }, { analysis: {} }]);
        return runRollout(
            { app: "demo", steps, totalReplicas: 4, deadlineSeconds: 1800, metrics: [metric] },
            { router: cluster, workloads: cluster, clock, report: () => {} },
        );
    }

    it("reads 1s after each scrape; without the samples' age, every 10s from the first traffic", async () => {
        // Each reading stands for one due every 10s, and sees the scrape that one would see; the
        // one due when the analysis step starts (60s) is taken then.
        const aligned = await run(0.01);
        assert.strictEqual(aligned.verdict, "Promoted", aligned.reason);
        assert.deepStrictEqual(
            aligned.measurements.map((m) => m.atSeconds),
            [0, 3.5, 13.5, 23.5, 33.5, 43.5, 60],
        );
        const random = await run(0.01, { noAge: true });
        assert.deepStrictEqual(
            random.measurements.map((m) => m.atSeconds),
            [0, 10, 20, 30, 40, 50, 60],
        );
        // The same scrapes, so the same counts, sooner.
        assert.deepStrictEqual(
            aligned.measurements.slice(1).map((m) => m.value),
            random.measurements.slice(1).map((m) => m.value),
        );
    });

    it("rolls a canary failing 30% back on the same scrape, 6.5s sooner", async () => {
        const aligned = await run(0.3);
        const random = await run(0.3, { noAge: true });
        assert.strictEqual(aligned.verdict, "Aborted");
        assert.strictEqual(random.verdict, "Aborted");
        const last = (r: typeof aligned) => r.measurements[r.measurements.length - 1];
        assert.deepStrictEqual([last(aligned).atSeconds, last(random).atSeconds], [23.5, 30]);
        assert.strictEqual(last(aligned).phase, "Failed");
        assert.deepStrictEqual(last(aligned).value, last(random).value);
    });

    it("a scrape whose samples come in later than the margin makes the margin grow", async () => {
        const r = await run(0.01, { ingest: 1.5 });
        // At 3.5 the scrape of 2.5 is not in (age 11): the margin becomes 2, and the readings
        // come 2s after each scrape.
        assert.deepStrictEqual(
            r.measurements.map((m) => m.atSeconds),
            [0, 3.5, 14.5, 24.5, 34.5, 44.5, 60],
        );
        assert.strictEqual(
            r.measurements[1].message,
            "canary 0/0 failed (-) vs stable 0/0 (-): ln e -0.92 < 5.3: no evidence that the " +
                "canary's error rate is more than 0.01 above stable's",
        );
        // At 14.5: the scrapes of 2.5 and 12.5, 12.5s of the canary's traffic.
        assert.deepStrictEqual((r.measurements[2].value as number[]).slice(2), [1, 50, 3, 320]);
    });

    it("an interval's length is the time between its samples, not between the readings", async () => {
        // A canary at 6% against 1%: one interval's excess evidence is held to its length over
        // 20s + 2 scrape intervals of the excess bet's bound (6.21); the statistic adds ln 0.4,
        // the bet's weight (-0.92).
        const readings = async (ages: [number, number]) => {
            const counts = [
                [0, 0, 1_000_000, 10_000],
                [2000, 120, 1_008_000, 10_080],
            ];
            let i = 0;
            const queries = KEYS.map((k) => render(JUDGE_QUERIES[k]));
            const source: MetricsSource = {
                async query(promql) {
                    if (promql === AGE) {
                        return { values: [ages[i]] };
                    }
                    return { values: [counts[i][queries.indexOf(promql)]] };
                },
            };
            const m = judgeMetric(JUDGE, ARGS, source);
            const ctx = (s: number): MeasureContext => ({
                stepIndex: 1,
                weight: 20,
                canaryTrafficSeconds: s,
                weights: [{ atSeconds: 0, weight: 20 }],
            });
            await m.measure(ctx(0));
            i = 1;
            return ((await m.measure(ctx(10))).value as number[])[0];
        };
        // Samples 10s apart (ages 0 and 0): 10/40 of 6.21, 1.55.
        assert.strictEqual(await readings([0, 0]), 0.637);
        // The readings 10s apart, their samples 30s apart: 30/40 of it.
        assert.strictEqual(await readings([20, 0]), 3.745);
    });
});
