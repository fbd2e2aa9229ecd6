import * as assert from "assert";
import type { JudgeSpec } from "../../../../../components/rollout/core/spec";
import { runRollout } from "../../../../../components/rollout/core/engine";
import {
    bounds,
    checkParams,
    Counts,
    decide,
    initialState,
    SequentialParams,
    sequentialDecision,
    update,
} from "../../../../../components/rollout/core/judge/sprt";
import {
    JUDGE_INCONCLUSIVE_LIMIT,
    judgeMetric,
} from "../../../../../components/rollout/core/judge/metric";
import { stepsOf } from "../../../../support/spec";
import {
    MeasureContext,
    MetricsSource,
    QueryResult,
} from "../../../../../components/rollout/core/types";
import { FakeClock, RecordingCluster } from "../../../../support/fakes";

const P: SequentialParams = {
    tolerance: 0.01,
    falseRollbackRate: 0.005,
    missedDetectionRate: 0.05,
    minRequests: 50,
};

/** Stable has served for a while: its counters start high; the canary's at 0. */
const START: Counts = {
    canaryRequests: 0,
    canaryFailures: 0,
    stableRequests: 1_000_000,
    stableFailures: 10_000,
};

function add(a: Counts, b: Counts): Counts {
    return {
        canaryRequests: a.canaryRequests + b.canaryRequests,
        canaryFailures: a.canaryFailures + b.canaryFailures,
        stableRequests: a.stableRequests + b.stableRequests,
        stableFailures: a.stableFailures + b.stableFailures,
    };
}

/** Counter readings: START, then START + each interval's counts so far. */
function readings(n: number, interval: (i: number) => Counts, start = START): Counts[] {
    const out = [start];
    for (let i = 0; i < n; i++) {
        out.push(add(out[out.length - 1], interval(i)));
    }
    return out;
}

/** The number of intervals after which the decision is first not "continue". */
function decidedAfter(rs: Counts[]): { intervals: number; decision: string } | undefined {
    let state = initialState();
    for (let i = 0; i < rs.length; i++) {
        state = update(state, rs[i], P);
        const d = decide(state, P);
        if (d.decision !== "continue") {
            return { intervals: i, decision: d.decision };
        }
    }
    return undefined;
}

// 10-second intervals at 20 requests/s with the canary at 20%: 40 canary and 160 stable
// requests. Stable fails 1%: 8 in 5 intervals, as 2,1,2,1,2.
const STABLE_1PCT = [2, 1, 2, 1, 2];
const interval = (canaryFailures: number, i: number): Counts => ({
    canaryRequests: 40,
    canaryFailures,
    stableRequests: 160,
    stableFailures: STABLE_1PCT[i % 5],
});

describe("rollout/judge sequentialDecision", () => {
    it("bounds: ln(1/alpha) to reject, ln(beta/2) to accept", () => {
        const b = bounds(P);
        assert.strictEqual(b.rejectAbove.toFixed(3), "5.298");
        assert.strictEqual(b.acceptBelow.toFixed(3), "-3.689");
    });

    it("healthy, equal 1% rates: accepts after 35 intervals (350s), not before", () => {
        // Wald: -0.087 per interval once stable's rate is known, -3.0 for the 1x alternative.
        const canary1pct = [1, 0, 0, 1, 0];
        const rs = readings(60, (i) => interval(canary1pct[i % 5], i));
        assert.deepStrictEqual(decidedAfter(rs), { intervals: 35, decision: "accept" });
        const d = sequentialDecision(rs.slice(0, 36), P);
        assert.strictEqual(d.logLR.toFixed(3), "-3.699");
        assert.deepStrictEqual(d.counts, {
            canaryRequests: 1400,
            canaryFailures: 14,
            stableRequests: 5600,
            stableFailures: 56,
        });
        assert.strictEqual(sequentialDecision(rs.slice(0, 35), P).decision, "continue");
    });

    it("a canary failing 30%: rejects on the first interval", () => {
        const d = sequentialDecision(
            readings(1, (i) => interval(12, i)),
            P,
        );
        assert.strictEqual(d.decision, "reject");
        assert.strictEqual(d.logLR.toFixed(3), "10.216");
        // The 25x alternative carries it: the 1x one alone would be far from 5.3.
        assert.ok(d.state.logLR[2] > 10 && d.state.logLR[0] < 2, String(d.state.logLR));
    });

    it("1% -> 5%: rejects after 7 intervals (70s)", () => {
        const rs = readings(30, (i) => interval(2, i));
        assert.deepStrictEqual(decidedAfter(rs), { intervals: 7, decision: "reject" });
        assert.strictEqual(sequentialDecision(rs.slice(0, 8), P).logLR.toFixed(3), "6.519");
    });

    it("1% -> 2% (exactly stable + tolerance): rejects, after 52 intervals", () => {
        const canary2pct = [1, 1, 0, 1, 1];
        const rs = readings(100, (i) => interval(canary2pct[i % 5], i));
        assert.deepStrictEqual(decidedAfter(rs), { intervals: 52, decision: "reject" });
    });

    it("zero traffic: continues forever, statistic 0", () => {
        const rs = Array.from({ length: 500 }, () => ({ ...START }));
        const d = sequentialDecision(rs, P);
        assert.strictEqual(d.decision, "continue");
        assert.strictEqual(d.logLR, 0);
        assert.strictEqual(d.counts.canaryRequests, 0);
    });

    it("traffic without any failure is no evidence: continues, never accepts", () => {
        const d = sequentialDecision(
            readings(1000, () => ({
                canaryRequests: 40,
                canaryFailures: 0,
                stableRequests: 160,
                stableFailures: 0,
            })),
            P,
        );
        assert.strictEqual(d.decision, "continue");
        assert.strictEqual(d.logLR, 0);
        assert.strictEqual(d.counts.canaryRequests, 40_000);
    });

    it("accepts only past minRequests canary requests", () => {
        const state = { ...initialState(), logLR: [-9, -20, -40] };
        const few = decide({ ...state, counts: { ...START, canaryRequests: 49 } }, P);
        assert.strictEqual(few.decision, "continue");
        assert.strictEqual(few.waitingFor, "minRequests");
        assert.strictEqual(
            decide({ ...state, counts: { ...START, canaryRequests: 50 } }, P).decision,
            "accept",
        );
    });

    it("rejects at any request count: evidence is evidence", () => {
        const state = { ...initialState(), logLR: [0, 0, 7] };
        assert.strictEqual(
            decide({ ...state, counts: { ...START, canaryRequests: 3 } }, P).decision,
            "reject",
        );
    });

    it("a counter reset (values go down) skips that interval and counts from the new values", () => {
        const canary5pct = (i: number) => interval(2, i);
        const clean = readings(4, canary5pct);
        // After the 2nd interval the ingress controller restarts: every counter starts at 0.
        const restarted = [...clean.slice(0, 3)];
        const zero = { canaryRequests: 0, canaryFailures: 0, stableRequests: 0, stableFailures: 0 };
        restarted.push(add(zero, canary5pct(2)));
        restarted.push(add(restarted[3], canary5pct(3)));
        const d = sequentialDecision(restarted, P);
        assert.strictEqual(d.state.skipped, 1);
        // The skipped interval (the one with the restart) is simply missing.
        const without = sequentialDecision(
            readings(3, (i) => canary5pct(i === 2 ? 3 : i)),
            P,
        );
        assert.deepStrictEqual(d.counts, without.counts);
        assert.strictEqual(d.counts.canaryRequests, 120);
        assert.ok(d.logLR > 0);
    });

    it("a stable-only decrease (one series gone) is a reset too, never a negative count", () => {
        const rs = readings(2, (i) => interval(0, i));
        rs.push({
            ...rs[2],
            stableFailures: rs[2].stableFailures - 1,
            stableRequests: rs[2].stableRequests + 160,
        });
        const d = sequentialDecision(rs, P);
        assert.strictEqual(d.state.skipped, 1);
        assert.strictEqual(d.counts.stableFailures, 3);
        assert.strictEqual(d.counts.stableRequests, 320);
    });

    it("a jump of more than 20x the largest interval (series back from a failed scrape) is skipped", () => {
        const rs = readings(3, (i) => interval(0, i));
        rs.push(
            add(rs[3], {
                canaryRequests: 40,
                canaryFailures: 0,
                stableRequests: 5_000_000,
                stableFailures: 50_000,
            }),
        );
        const d = sequentialDecision(rs, P);
        assert.strictEqual(d.state.skipped, 1);
        assert.strictEqual(d.counts.stableRequests, 480);
    });

    it("a reading with NaN is ignored; the next one counts from the last good one", () => {
        const rs = readings(2, (i) => interval(1, i));
        const withNaN = [rs[0], rs[1], { ...rs[2], stableFailures: NaN }, rs[2]];
        const d = sequentialDecision(withNaN, P);
        assert.deepStrictEqual(d.counts, sequentialDecision(rs, P).counts);
        assert.strictEqual(d.state.readings, 4);
    });

    it("an interval that straddles a weight change only moves the baseline", () => {
        let state = initialState();
        const rs = readings(2, (i) => interval(12, i));
        state = update(state, rs[0], P);
        state = update(state, rs[1], P, true);
        assert.strictEqual(state.straddled, 1);
        assert.strictEqual(decide(state, P).logLR, 0);
        state = update(state, rs[2], P);
        assert.strictEqual(decide(state, P).decision, "reject");
        assert.strictEqual(state.counts.canaryRequests, 40);
    });

    it("a shared burst counts for the comparison but not for stable's base rate", () => {
        const rs = readings(2, (i) =>
            i === 0
                ? interval(0, 0)
                : {
                      canaryRequests: 40,
                      canaryFailures: 8,
                      stableRequests: 160,
                      stableFailures: 32,
                  },
        );
        const d = sequentialDecision(rs, P);
        assert.deepStrictEqual(d.state.stableBase, { failures: 2, requests: 160 });
        assert.strictEqual(d.counts.stableFailures, 34);
        // Split 8/32 at a 20/80 request split: no evidence against the canary.
        assert.ok(d.logLR < 0, String(d.logLR));
    });

    it("refuses parameters that make the test meaningless, naming the field", () => {
        assert.throws(() => checkParams({ ...P, falseRollbackRate: 0 }), {
            message:
                "rollout.analysis.judge.falseRollbackRate: must be a number greater than 0 and less than 0.5, got 0",
        });
        assert.throws(() => checkParams({ ...P, tolerance: 0 }), {
            message:
                "rollout.analysis.judge.tolerance: must be a number greater than 0 and less than 1, got 0",
        });
        assert.throws(() => checkParams({ ...P, missedDetectionRate: 0.6 }), {
            message:
                "rollout.analysis.judge.missedDetectionRate: must be a number greater than 0 and less than 0.5, got 0.6",
        });
    });
});

// ---------------------------------------------------------------------------------------------
// The metric, through a fake MetricsSource.

const JUDGE: JudgeSpec = {
    enabled: true,
    tolerance: 0.01,
    falseRollbackRate: 0.005,
    missedDetectionRate: 0.05,
    intervalSeconds: 10,
    minRequests: 50,
};

const ARGS = {
    namespace: "demo",
    service: "demo-canary",
    stableService: "demo-stable",
    ingress: "demo-canary",
    failureStatus: "5..",
    scrapeIntervalSeconds: 10,
};

const Q = {
    canaryRequests:
        'sum(nginx_ingress_controller_requests{namespace="demo",service="demo-canary"})',
    canaryFailures:
        'sum(nginx_ingress_controller_requests{namespace="demo",service="demo-canary",status=~"5.."})',
    stableRequests:
        'sum(nginx_ingress_controller_requests{namespace="demo",service="demo-stable"})',
    stableFailures:
        'sum(nginx_ingress_controller_requests{namespace="demo",service="demo-stable",status=~"5.."})',
};

const CONDITION =
    "SPRT log-LR <= -3.69 accept (after >= 50 canary requests) / >= 5.3 reject; canary error rate " +
    "vs stable's + tolerance 0.01 (false rollback <= 0.005, missed <= 0.05)";

/** Answers the four queries from `counters`; undefined is an empty vector. Records every query. */
class FakeCounters implements MetricsSource {
    queries: string[] = [];
    counters: Partial<Record<keyof Counts, number>> = {};
    async query(promql: string): Promise<QueryResult> {
        this.queries.push(promql);
        const key = (Object.keys(Q) as (keyof Counts)[]).find((k) => Q[k] === promql);
        if (!key) {
            throw new Error(`Mock not implemented: ${promql}`);
        }
        const v = this.counters[key];
        return { values: v === undefined ? [] : [v] };
    }
}

const ctx = (seconds: number, weight = 20): MeasureContext => ({
    stepIndex: 1,
    weight,
    canaryTrafficSeconds: seconds,
});

describe("rollout/judge judgeMetric", () => {
    it("is measured from the first second at the judge's interval, fails on one rejection, waits until the deadline", () => {
        const m = judgeMetric({ ...JUDGE, intervalSeconds: 15 }, ARGS, new FakeCounters());
        assert.strictEqual(m.name, "judge");
        assert.strictEqual(m.intervalSeconds, 15);
        assert.strictEqual(m.initialDelaySeconds, 0);
        assert.deepStrictEqual(m.limits, {
            failureLimit: 0,
            inconclusiveLimit: JUDGE_INCONCLUSIVE_LIMIT,
            consecutiveErrorLimit: 4,
        });
    });

    it("renders the four counter queries and records them with the rule on every measurement", async () => {
        const src = new FakeCounters();
        src.counters = { stableRequests: 1_000_000, stableFailures: 10_000 };
        const m = judgeMetric(JUDGE, ARGS, src);
        const r = await m.measure(ctx(0));
        assert.deepStrictEqual(src.queries, [
            Q.canaryRequests,
            Q.canaryFailures,
            Q.stableRequests,
            Q.stableFailures,
        ]);
        assert.deepStrictEqual(r, {
            phase: "Inconclusive",
            query: [Q.canaryRequests, Q.canaryFailures, Q.stableRequests, Q.stableFailures].join(
                " ; ",
            ),
            condition: CONDITION,
            value: [0, 0, 0, 0, 0],
            requests: 0,
            message:
                "canary 0/0 failed (-) vs stable 0/0 (-): baseline reading of the counters; counting from here",
        });
    });

    it("rolls a 30% canary back on the first interval after the one that straddles traffic start", async () => {
        const src = new FakeCounters();
        src.counters = { stableRequests: 1_000_000, stableFailures: 10_000 };
        const m = judgeMetric(JUDGE, ARGS, src);
        await m.measure(ctx(0));
        // First scrape after traffic start: part of it was before the canary had any traffic.
        src.counters = {
            canaryRequests: 20,
            canaryFailures: 6,
            stableRequests: 1_000_180,
            stableFailures: 10_002,
        };
        const straddled = await m.measure(ctx(10));
        assert.strictEqual(straddled.phase, "Inconclusive");
        assert.match(
            straddled.message,
            /weight changed within the last interval; counting from here$/,
        );
        src.counters = {
            canaryRequests: 60,
            canaryFailures: 18,
            stableRequests: 1_000_340,
            stableFailures: 10_004,
        };
        const r = await m.measure(ctx(20));
        assert.strictEqual(r.phase, "Failed");
        assert.strictEqual(
            r.message,
            "canary 12/40 failed (30%) vs stable 2/160 (1.3%): log-LR 10.22 >= 5.3, the canary's " +
                "error rate is more than 0.01 above stable's",
        );
        assert.deepStrictEqual(r.value, [10.216, 12, 40, 2, 160]);
        assert.strictEqual(r.requests, 40);
    });

    it("no canary failure series yet is 0 failures; a series that disappears is a missing reading", async () => {
        const src = new FakeCounters();
        src.counters = { stableRequests: 1000, stableFailures: 10 };
        const m = judgeMetric(JUDGE, ARGS, src);
        await m.measure(ctx(0));
        src.counters = { canaryRequests: 40, stableRequests: 1160, stableFailures: 12 };
        await m.measure(ctx(10));
        src.counters = { canaryRequests: 80, stableRequests: 1320, stableFailures: 14 };
        const ok = await m.measure(ctx(20));
        assert.match(
            ok.message,
            /^canary 0\/40 failed \(0%\) vs stable 2\/160 \(1\.3%\): log-LR -0\.\d+ is between/,
        );
        src.counters = { canaryRequests: 120, stableRequests: 1480 };
        const gone = await m.measure(ctx(30));
        assert.strictEqual(gone.phase, "Inconclusive");
        assert.match(
            gone.message,
            /no value for stableFailures \(NaN, or no series where there was one\); reading skipped$/,
        );
    });

    it("skips the intervals around a weight change", async () => {
        const src = new FakeCounters();
        let c: Counts = { ...START };
        const step = (f: number) => {
            c = add(c, {
                canaryRequests: 40,
                canaryFailures: f,
                stableRequests: 160,
                stableFailures: 2,
            });
            src.counters = { ...c };
        };
        src.counters = { ...c };
        const m = judgeMetric(JUDGE, ARGS, src);
        const messages: string[] = [];
        for (const [t, w] of [
            [0, 20],
            [10, 20],
            [20, 20],
            [30, 40],
            [40, 40],
            [50, 40],
        ]) {
            step(0);
            messages.push((await m.measure(ctx(t, w))).message);
        }
        assert.deepStrictEqual(
            messages.map((x) => /baseline|weight changed|between/.exec(x)?.[0]),
            [
                "baseline",
                "weight changed",
                "between",
                "weight changed",
                "weight changed",
                "between",
            ],
        );
    });

    it("in the engine: promotes a healthy canary after the pauses, once the judge accepts", async () => {
        const clock = new FakeClock();
        const start = clock.now();
        // 200 requests/s, 1% errors on both versions, counters follow the clock and the weight.
        const cluster = new RecordingCluster();
        let last = start;
        let c: Counts = { ...START };
        const src: MetricsSource = {
            async query(promql) {
                const now = clock.now();
                const seconds = Math.floor((now - last) / 10_000) * 10;
                if (seconds > 0) {
                    const w = Math.max(0, cluster.weight) / 100;
                    const n = 200 * seconds;
                    c = add(c, {
                        canaryRequests: n * w,
                        canaryFailures: Math.round(n * w * 0.01),
                        stableRequests: n * (1 - w),
                        stableFailures: Math.round(n * (1 - w) * 0.01),
                    });
                    last += seconds * 1000;
                }
                const key = (Object.keys(Q) as (keyof Counts)[]).find((k) => Q[k] === promql)!;
                return { values: [c[key]] };
            },
        };
        const steps = stepsOf([
            { setWeight: 20 },
            { pause: { duration: "1m" } },
            { setWeight: 50 },
            { pause: { duration: "1m" } },
            { analysis: {} },
        ]);
        const r = await runRollout(
            {
                app: "demo",
                steps,
                totalReplicas: 4,
                deadlineSeconds: 1800,
                metrics: [judgeMetric(JUDGE, ARGS, src)],
            },
            { router: cluster, workloads: cluster, clock, report: () => {} },
        );
        assert.strictEqual(r.verdict, "Promoted", r.reason);
        assert.strictEqual(r.durationSeconds, 120);
        const last_ = r.measurements[r.measurements.length - 1];
        assert.strictEqual(last_.phase, "Successful");
        assert.match(last_.message, /the canary's error rate is within 0.01 of stable's$/);
        assert.strictEqual(last_.query.split(" ; ").length, 4);
    });

    it("in the engine: a canary with no traffic is never promoted; the deadline ends it", async () => {
        const clock = new FakeClock();
        const cluster = new RecordingCluster();
        const src = new FakeCounters();
        src.counters = { stableRequests: 1000, stableFailures: 10 };
        const steps = stepsOf([{ setWeight: 20 }, { analysis: {} }]);
        const r = await runRollout(
            {
                app: "demo",
                steps,
                totalReplicas: 4,
                deadlineSeconds: 600,
                metrics: [judgeMetric(JUDGE, ARGS, src)],
            },
            { router: cluster, workloads: cluster, clock, report: () => {} },
        );
        assert.strictEqual(r.verdict, "Aborted");
        assert.strictEqual(r.durationSeconds, 600);
        assert.strictEqual(r.measurements.length, 60);
        assert.ok(r.measurements.every((m) => m.phase === "Inconclusive"));
        assert.match(r.reason, /deadline of 600s passed at step 2\/2 .* with 0 successful judge/);
    });
});
