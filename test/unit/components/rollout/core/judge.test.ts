import * as assert from "assert";
import { runRollout } from "../../../../../components/rollout/core/engine";
import { rollbackSeconds } from "../../../../../components/rollout/core/evidence";
import { addInterval, floor, FRESH } from "../../../../../components/rollout/core/judge/caps";
import { Counts } from "../../../../../components/rollout/core/judge/counts";
import { runDispersion } from "../../../../../components/rollout/core/judge/dispersion";
import {
    JUDGE_INCONCLUSIVE_LIMIT,
    judgeCondition,
    judgeMetric,
} from "../../../../../components/rollout/core/judge/metric";
import { type JudgeSpec, SPEC_DEFAULTS } from "../../../../../components/rollout/core/spec";
import {
    MeasureContext,
    MeasurementResult,
    MetricsSource,
    QueryOptions,
    QueryResult,
} from "../../../../../components/rollout/core/types";
import { FakeClock, RecordingCluster } from "../../../../support/fakes";
import { stepsOf } from "../../../../support/spec";
import { DEMO_ARGS } from "../../../../support/queryArgs";
import {
    Bet,
    logEValue,
    nullStableRate,
} from "../../../../../components/rollout/core/judge/evalue";
import {
    bounds,
    checkParams,
    decide,
    DEFAULT_TIMING,
    initialState,
    intervalCaps,
    IntervalTiming,
    rejectBets,
    SequentialParams,
    sequentialDecision,
    update,
} from "../../../../../components/rollout/core/judge/sequential";

const P: SequentialParams = {
    tolerance: 0.01,
    falseRollbackRate: 0.005,
    missedDetectionRate: 0.05,
    minRequests: 50,
};

/** Stable has served for a while: its counters start high (1%); the canary's at 0. */
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

/** Counter readings: `start`, then start + each interval's counts so far. */
function readings(n: number, interval: (i: number) => Counts, start = START): Counts[] {
    const out = [start];
    for (let i = 0; i < n; i++) {
        out.push(add(out[out.length - 1], interval(i)));
    }
    return out;
}

/** The reading after which the decision is first not "continue", and the statistics then. */
function decidedAfter(rs: Counts[], timing: IntervalTiming = DEFAULT_TIMING) {
    let state = initialState();
    for (let i = 0; i < rs.length; i++) {
        state = update(state, rs[i], P, timing);
        const d = decide(state, P);
        if (d.decision !== "continue") {
            return {
                intervals: i,
                decision: d.decision,
                reject: d.rejectLogE.toFixed(3),
                accept: d.acceptLogE.toFixed(3),
            };
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

describe("rollout/judge evalue", () => {
    const bet: Bet = { thetaC: 0.05, thetaS: 0.01, shift: 0.01 };

    it("the null point makes the expectation's slope 0: the root of the slope equation", () => {
        const a = nullStableRate(0.2, bet);
        assert.strictEqual(a.toFixed(5), "0.01384");
        const slope =
            0.2 * (0.05 / (a + 0.01) - 0.95 / (1 - a - 0.01)) + 0.8 * (0.01 / a - 0.99 / (1 - a));
        assert.ok(Math.abs(slope) < 1e-9, String(slope));
    });

    // The property the whole judge rests on: for one request, the e-value's expectation at ANY
    // stable rate p with the canary at p + shift is exactly 1, so a burst that moves both
    // versions' rates (or a day-night swing) cannot make evidence.
    for (const [w, b] of [
        [0.2, bet],
        [0.8, bet],
        [0.4, { thetaC: 0.31, thetaS: 0.01, shift: 0.08 }],
        [0.6, { thetaC: 0.002, thetaS: 0.01, shift: 0.01 }],
    ] as [number, Bet][]) {
        it(`expectation 1 for every stable rate on the null line (w ${w}, bet ${b.thetaC}/${b.thetaS}, shift ${b.shift})`, () => {
            const a = nullStableRate(w, b);
            for (const p of [0, 0.001, 0.01, 0.2, 0.5, 1 - b.shift]) {
                const canary =
                    ((p + b.shift) * b.thetaC) / (a + b.shift) +
                    ((1 - p - b.shift) * (1 - b.thetaC)) / (1 - a - b.shift);
                const stable = (p * b.thetaS) / a + ((1 - p) * (1 - b.thetaS)) / (1 - a);
                const g = w * canary + (1 - w) * stable;
                assert.ok(Math.abs(g - 1) < 1e-8, `p ${p}: ${g}`);
            }
        });
    }

    it("ln e of one interval's counts, by hand", () => {
        const c = { canaryRequests: 40, canaryFailures: 2, stableRequests: 160, stableFailures: 2 };
        const a = nullStableRate(0.2, bet);
        const byHand =
            2 * Math.log(0.05 / (a + 0.01)) +
            38 * Math.log(0.95 / (1 - a - 0.01)) +
            2 * Math.log(0.01 / a) +
            158 * Math.log(0.99 / (1 - a));
        assert.strictEqual(logEValue(c, bet), byHand);
        assert.strictEqual(byHand.toFixed(4), "0.4133");
    });

    it("no canary requests: no evidence; no stable requests: the canary against the shift alone", () => {
        const onlyStable = {
            canaryRequests: 0,
            canaryFailures: 0,
            stableRequests: 200,
            stableFailures: 9,
        };
        assert.strictEqual(logEValue(onlyStable, bet), 0);
        // A roll-back bet cannot tell anything without stable: its null point meets its bet.
        const onlyCanary = {
            canaryRequests: 200,
            canaryFailures: 9,
            stableRequests: 0,
            stableFailures: 0,
        };
        assert.strictEqual(logEValue(onlyCanary, bet).toFixed(9), "0.000000000");
        // An accept bet can: a canary under the shift is within it of any stable rate >= 0.
        const accept = { thetaC: 0.002, thetaS: 0.01, shift: 0.01 };
        const zero = { ...onlyCanary, canaryFailures: 0 };
        assert.strictEqual(logEValue(zero, accept), 200 * Math.log(0.998 / 0.99));
    });
});

describe("rollout/judge sequentialDecision", () => {
    it("bounds: ln(1/alpha) to roll back, ln(1/beta) to accept; the floor -ln(horizon)", () => {
        const b = bounds(P);
        assert.strictEqual(b.rejectAbove.toFixed(3), "5.298");
        assert.strictEqual(b.acceptAbove.toFixed(3), "2.996");
        assert.strictEqual(floor(DEFAULT_TIMING).toFixed(3), "-5.193");
    });

    it("caps: the gross and wide bets need two intervals; the excess bet d / (20s + 2 scrapes) of its bound", () => {
        assert.deepStrictEqual(
            intervalCaps(P, DEFAULT_TIMING).map((x) => x.toFixed(3)),
            ["3.884", "1.554", "4.317"],
        );
        assert.deepStrictEqual(
            intervalCaps(P, { seconds: 30, scrapeSeconds: 30, horizonIntervals: 60 }).map((x) =>
                x.toFixed(3),
            ),
            ["3.884", "2.330", "4.317"],
        );
    });

    it("a canary failing 30%: not on one interval (it could be one event), rejected on the second", () => {
        const one = sequentialDecision(
            readings(1, (i) => interval(12, i)),
            P,
        );
        assert.strictEqual(one.decision, "continue");
        assert.strictEqual(one.rejectLogE.toFixed(3), "2.968");
        assert.deepStrictEqual(decidedAfter(readings(5, (i) => interval(12, i))), {
            intervals: 2,
            decision: "reject",
            reject: "9.274",
            accept: "-9.341",
        });
    });

    it("only the gross bet's largest interval is held to its cap: an unlucky first interval costs no extra one", () => {
        // A 30% canary whose first interval showed 6 failures in 40 (15%): the gross bet falls.
        const unlucky = (i: number) => interval(i === 0 ? 6 : 12, i);
        let state = initialState();
        for (const r of readings(1, unlucky)) {
            state = update(state, r, P);
        }
        assert.strictEqual(state.rejectLog[0].toFixed(3), "-1.921");
        // Capping every interval at 3.884 needed a fourth; the third is enough now.
        assert.deepStrictEqual(decidedAfter(readings(5, unlucky)), {
            intervals: 3,
            decision: "reject",
            reject: "7.352",
            accept: "-11.548",
        });
        // One interval alone still never rolls back, however strong: 40 failures in 40.
        const one = sequentialDecision(
            readings(1, () => interval(40, 0)),
            P,
        );
        assert.strictEqual(one.decision, "continue");
        assert.strictEqual(one.rejectLogE.toFixed(3), "2.968");
    });

    it("1% -> 5%: rejected after 14 intervals (140s)", () => {
        assert.deepStrictEqual(decidedAfter(readings(60, (i) => interval(2, i))), {
            intervals: 14,
            decision: "reject",
            reject: "5.952",
            accept: "-7.865",
        });
    });

    it("1% -> 3% (twice the tolerance): rejected, after 84 intervals", () => {
        const three = [1, 1, 1, 2, 1];
        assert.deepStrictEqual(decidedAfter(readings(180, (i) => interval(three[i % 5], i))), {
            intervals: 84,
            decision: "reject",
            reject: "5.621",
            accept: "-19.375",
        });
    });

    it("healthy, equal 1% rates: accepted after 30 intervals, never rolled back", () => {
        const one = [1, 0, 0, 1, 0];
        const rs = readings(180, (i) => interval(one[i % 5], i));
        assert.deepStrictEqual(decidedAfter(rs), {
            intervals: 30,
            decision: "accept",
            reject: "-6.109",
            accept: "3.040",
        });
        // The roll-back bets sit on their floor; the statistic adds ln of the largest weight, 0.4.
        const end = sequentialDecision(rs, P);
        assert.strictEqual(end.decision, "accept");
        assert.strictEqual(end.rejectLogE, floor(DEFAULT_TIMING) + Math.log(0.4));
    });

    it("within tolerance (1.56% against 1%): never rolled back, never accepted either", () => {
        const c = [1, 1, 0, 1, 0, 1, 1, 0];
        const rs = readings(180, (i) => interval(c[i % 8], i));
        assert.strictEqual(decidedAfter(rs), undefined);
        const d = sequentialDecision(rs, P);
        assert.strictEqual(d.rejectLogE.toFixed(3), "-6.109");
        assert.strictEqual(d.acceptLogE.toFixed(3), "1.252");
    });

    it("zero failures are evidence: a clean canary against stable at 1% is accepted after 480 requests", () => {
        assert.deepStrictEqual(decidedAfter(readings(60, (i) => interval(0, i))), {
            intervals: 12,
            decision: "accept",
            reject: "-5.116",
            accept: "3.178",
        });
    });

    it("zero failures on both versions: accepted after 11 intervals (440 canary requests)", () => {
        const clean = {
            canaryRequests: 40,
            canaryFailures: 0,
            stableRequests: 160,
            stableFailures: 0,
        };
        const start = { ...START, stableFailures: 0 };
        assert.deepStrictEqual(decidedAfter(readings(60, () => clean, start)), {
            intervals: 11,
            decision: "accept",
            reject: "-5.254",
            accept: "3.129",
        });
    });

    it("accepts only past minRequests canary requests", () => {
        const rs = readings(20, (i) => interval(0, i));
        const strict = { ...P, minRequests: 1000 };
        let state = initialState();
        for (const r of rs) {
            state = update(state, r, strict);
        }
        const d = decide(state, strict);
        assert.strictEqual(d.decision, "continue");
        assert.strictEqual(d.waitingFor, "minRequests");
        assert.strictEqual(d.counts.canaryRequests, 800);
    });

    it("errors in clumps raise the dispersion and temper the evidence", () => {
        // Five failures at once on one version, now and then: 1% on average for both.
        const clumps = (i: number): Counts => ({
            canaryRequests: 40,
            canaryFailures: i % 12 === 5 ? 5 : 0,
            stableRequests: 160,
            stableFailures: i % 3 === 0 ? 5 : 0,
        });
        let state = initialState();
        for (const r of readings(18, clumps)) {
            state = update(state, r, P);
        }
        // The interval with the canary's clump tempers its own evidence.
        assert.strictEqual(state.lastTemper.toFixed(2), "3.09");
        for (const r of readings(60, clumps).slice(19)) {
            state = update(state, r, P);
        }
        assert.strictEqual(runDispersion(state).toFixed(2), "3.24");
        assert.strictEqual(
            decide(state, P).acceptLogE.toFixed(3),
            (state.acceptLog / runDispersion(state)).toFixed(3),
        );
        // Independent failures at the same rates: dispersion 1.
        let plain = initialState();
        for (const x of readings(60, (i) => interval([1, 0, 0, 1, 0][i % 5], i))) {
            plain = update(plain, x, P);
        }
        assert.strictEqual(runDispersion(plain), 1);
        assert.strictEqual(plain.lastTemper, 1);
    });

    it("a burst on the canary alone after calm intervals: tempered, no rollback", () => {
        const burst = (i: number): Counts =>
            interval(i === 20 || i === 21 ? 9 : [1, 0, 0, 1, 0][i % 5], i);
        const rs = readings(40, burst);
        assert.strictEqual(decidedAfter(rs), undefined);
        let state = initialState();
        for (const r of rs.slice(0, 23)) {
            state = update(state, r, P);
        }
        assert.strictEqual(state.lastTemper.toFixed(2), "2.46");
        assert.strictEqual(decide(state, P).rejectLogE.toFixed(3), "-2.952");
    });

    it("holding only the largest interval to the cap: restarts on its floor, never below capping every interval", () => {
        const cap = 3.884;
        const low = -5.193;
        // 10 is held to the cap; -13 takes the bet to -9.12, so it sits on its floor and restarts.
        let b = FRESH;
        const logs = [10, -13, 6].map((l) => (b = addInterval(b, l, cap, low, true)).log);
        assert.deepStrictEqual(
            logs.map((x) => x.toFixed(3)),
            ["3.884", "-5.193", "-1.309"],
        );
        // Against capping every interval, on a fixed pseudo-random walk of 2,000 intervals.
        let largest = FRESH;
        let every = FRESH;
        let x = 12345;
        let below = 0;
        let above = 0;
        for (let i = 0; i < 2000; i++) {
            x = (x * 1103515245 + 12345) % 2 ** 31;
            const l = (x / 2 ** 31) * 12 - 6.5;
            largest = addInterval(largest, l, cap, low, true);
            every = addInterval(every, l, cap, low, false);
            below += largest.log < every.log - 1e-9 ? 1 : 0;
            above += largest.log > every.log + 1e-9 ? 1 : 0;
        }
        assert.deepStrictEqual({ below, above }, { below: 0, above: 942 });
    });

    it("a canary that turns bad after 3 minutes is rolled back on its ninth bad interval: its good past is floored", () => {
        const good = [1, 0, 0, 1, 0];
        assert.deepStrictEqual(
            decidedAfter(readings(60, (i) => interval(i < 18 ? good[i % 5] : 12, i))),
            { intervals: 27, decision: "reject", reject: "6.377", accept: "-7.876" },
        );
    });

    it("the excess bet follows the canary's own rate, between +2 and +12 tolerances", () => {
        let state = initialState();
        assert.strictEqual(rejectBets(state, 0.01)[1].thetaC.toFixed(4), "0.0300");
        for (const r of readings(15, (i) => interval(2, i))) {
            state = update(state, r, P);
        }
        // 30 failures in 600 requests, on a prior of 300 requests at 3%.
        assert.strictEqual(rejectBets(state, 0.01)[1].thetaC.toFixed(4), "0.0433");
        for (const r of readings(15, (i) => interval(40, i), state.base)) {
            state = update(state, r, P);
        }
        const [, excess] = rejectBets(state, 0.01);
        assert.strictEqual(excess.thetaC.toFixed(4), (excess.thetaS + 0.12).toFixed(4));
    });

    it("zero traffic: continues forever, statistics 0", () => {
        const d = sequentialDecision(
            readings(100, () => ({
                ...interval(0, 0),
                canaryRequests: 0,
                stableRequests: 0,
                stableFailures: 0,
            })),
            P,
        );
        assert.strictEqual(d.decision, "continue");
        assert.strictEqual(d.rejectLogE, Math.log(0.4));
        assert.strictEqual(d.acceptLogE, 0);
    });

    it("a counter reset (values go down) skips that interval and counts from the new values", () => {
        let state = initialState();
        for (const r of readings(3, (i) => interval(2, i))) {
            state = update(state, r, P);
        }
        const before = state;
        // The controller restarted: every counter is small again.
        state = update(
            state,
            { canaryRequests: 30, canaryFailures: 1, stableRequests: 120, stableFailures: 1 },
            P,
        );
        assert.strictEqual(state.skipped, 1);
        assert.deepStrictEqual(state.counts, before.counts);
        assert.deepStrictEqual(state.rejectLog, before.rejectLog);
        state = update(
            state,
            { canaryRequests: 70, canaryFailures: 3, stableRequests: 280, stableFailures: 3 },
            P,
        );
        assert.deepStrictEqual(state.counts, add(before.counts, interval(2, 0)));
    });

    it("a stable-only decrease (one series gone) is a reset too, never a negative count", () => {
        let state = initialState();
        const rs = readings(2, (i) => interval(1, i));
        for (const r of rs) {
            state = update(state, r, P);
        }
        state = update(state, { ...rs[2], stableFailures: 0 }, P);
        assert.strictEqual(state.skipped, 1);
        assert.strictEqual(
            state.recent.every((i) => i.stableFailures >= 0),
            true,
        );
    });

    it("a jump of more than 20x the largest interval (series back from a failed scrape) is skipped", () => {
        let state = initialState();
        const rs = readings(3, (i) => interval(0, i));
        for (const r of rs) {
            state = update(state, r, P);
        }
        state = update(
            state,
            add(rs[3], {
                canaryRequests: 500_000,
                canaryFailures: 4000,
                stableRequests: 2_000_000,
                stableFailures: 1,
            }),
            P,
        );
        assert.strictEqual(state.skipped, 1);
        assert.strictEqual(state.counts.canaryRequests, 120);
    });

    it("a reading with NaN is ignored; the next one counts from the last good one", () => {
        let state = initialState();
        const rs = readings(2, (i) => interval(1, i));
        state = update(state, rs[0], P);
        state = update(state, rs[1], P);
        state = update(state, { ...rs[2], canaryFailures: NaN }, P);
        assert.strictEqual(state.counts.canaryRequests, 40);
        state = update(state, rs[2], P);
        assert.strictEqual(state.counts.canaryRequests, 80);
        assert.strictEqual(state.readings, 4);
    });

    it("the first reading is the baseline and gives the bets stable's lifetime rate", () => {
        const state = update(initialState(), START, P);
        assert.deepStrictEqual(state.prior, { failures: 10_000, requests: 1_000_000 });
        assert.deepStrictEqual(state.counts, {
            canaryRequests: 0,
            canaryFailures: 0,
            stableRequests: 0,
            stableFailures: 0,
        });
        // 1% over 2000 requests' worth, plus half a failure in 50.
        assert.strictEqual(rejectBets(state, 0.01)[0].thetaS.toFixed(5), (20.5 / 2050).toFixed(5));
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

/** The shipped defaults: tolerance 0.01, alpha 0.005, beta 0.05, minRequests 50, as a guard. */
const JUDGE: JudgeSpec = { ...SPEC_DEFAULTS.judge, intervalSeconds: 10 };
const GATE: JudgeSpec = { ...JUDGE, role: "gate" };

const ARGS = { ...DEMO_ARGS, scrapeIntervalSeconds: 10, deadlineSeconds: 1800 };

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

const AGE_QUERY =
    'time() - max(timestamp(nginx_ingress_controller_requests{namespace="demo",service="demo-stable"}))';

const ROLL_BACK =
    "roll back when ln e >= 5.3: the canary's error rate is more than 0.01 above stable's (a " +
    "canary within it is rolled back with probability <= 0.005)";

/** Answers the four queries from `counters`; undefined is an empty vector. Records every query. */
class FakeCounters implements MetricsSource {
    queries: string[] = [];
    options: (QueryOptions | undefined)[] = [];
    counters: Partial<Record<keyof Counts, number>> = {};
    /** The age of the latest sample (AGE_QUERY), seconds; undefined is an empty vector. */
    age?: number;
    /** Thrown by the query of this counter, when set. */
    failing?: { key: keyof Counts; error: Error };
    /** Every series' value of a counter's answer, when set (instead of `counters`). */
    series: Partial<Record<keyof Counts, number[]>> = {};
    async query(promql: string, options?: QueryOptions): Promise<QueryResult> {
        this.queries.push(promql);
        this.options.push(options);
        if (promql === AGE_QUERY) {
            return { values: this.age === undefined ? [] : [this.age] };
        }
        const key = (Object.keys(Q) as (keyof Counts)[]).find((k) => Q[k] === promql);
        if (!key) {
            throw new Error(`Mock not implemented: ${promql}`);
        }
        if (this.failing?.key === key) {
            throw this.failing.error;
        }
        const v = this.counters[key];
        return { values: this.series[key] ?? (v === undefined ? [] : [v]) };
    }
}

const ctx = (seconds: number, weights = [{ atSeconds: 0, weight: 20 }]): MeasureContext => ({
    stepIndex: 1,
    weight: weights[weights.length - 1].weight,
    canaryTrafficSeconds: seconds,
    weights,
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

    it("states its rule by role", () => {
        assert.strictEqual(
            judgeCondition(JUDGE),
            `guard: ${ROLL_BACK}; promotion is left to the steps and metrics`,
        );
        assert.strictEqual(
            judgeCondition(GATE),
            `gate: ${ROLL_BACK}; accept when ln e >= 3 after >= 50 canary requests: it is within ` +
                "0.01 of stable's (a canary worse than that is accepted with probability <= 0.05)",
        );
    });

    it("renders the four counter queries and records them with the rule on every measurement", async () => {
        const src = new FakeCounters();
        src.counters = { stableRequests: 1_000_000, stableFailures: 10_000 };
        const m = judgeMetric(JUDGE, ARGS, src);
        const r = await m.measure(ctx(0));
        // Beside them, the age of their latest sample, for the schedule only.
        assert.deepStrictEqual(src.queries, [
            Q.canaryRequests,
            Q.canaryFailures,
            Q.stableRequests,
            Q.stableFailures,
            AGE_QUERY,
        ]);
        assert.deepStrictEqual(r, {
            phase: "Inconclusive",
            query: [Q.canaryRequests, Q.canaryFailures, Q.stableRequests, Q.stableFailures].join(
                " ; ",
            ),
            condition: judgeCondition(JUDGE),
            // The roll-back statistic starts at ln 0.4: the largest bet's weight.
            value: [-0.916, 0, 0, 0, 0, 0],
            requests: 0,
            message:
                "canary 0/0 failed (-) vs stable 0/0 (-): baseline reading of the counters; counting from here",
        });
    });

    it("sends its queries with the time left before the deadline", async () => {
        const src = new FakeCounters();
        await judgeMetric(JUDGE, ARGS, src).measure({ ...ctx(0), timeLeftMs: 4321 });
        assert.deepStrictEqual(src.options, Array(5).fill({ timeoutMs: 4321 }));
    });

    it("a source's error is an Error measurement that keeps its queries; the next reading counts from the last", async () => {
        const src = new FakeCounters();
        src.counters = { ...START };
        const m = judgeMetric(JUDGE, ARGS, src);
        await m.measure(ctx(0));
        src.failing = {
            key: "stableFailures",
            error: new Error(`Prometheus query failed: ${"x".repeat(2000)}`),
        };
        const r = await m.measure(ctx(10));
        assert.deepStrictEqual(r, {
            phase: "Error",
            message: `Prometheus query failed: ${"x".repeat(475)}... (2025 characters)`,
            query: [Q.canaryRequests, Q.canaryFailures, Q.stableRequests, Q.stableFailures].join(
                " ; ",
            ),
            condition: "",
        });
        src.failing = undefined;
        src.counters = { ...add(START, interval(0, 0)) };
        const next = await m.measure(ctx(20));
        assert.strictEqual(
            next.message,
            "canary 0/40 failed (0%) vs stable 2/160 (1.3%): ln e -1.31 < 5.3: no evidence that the " +
                "canary's error rate is more than 0.01 above stable's",
        );
    });

    it("as a guard: passes a healthy interval, rolls a canary that turns to 30% back", async () => {
        const src = new FakeCounters();
        let c: Counts = { ...START };
        src.counters = { ...c };
        const m = judgeMetric(JUDGE, ARGS, src);
        await m.measure(ctx(0));
        c = add(c, interval(0, 0));
        src.counters = { ...c };
        const ok = await m.measure(ctx(10));
        assert.strictEqual(ok.phase, "Successful");
        assert.strictEqual(
            ok.message,
            "canary 0/40 failed (0%) vs stable 2/160 (1.3%): ln e -1.31 < 5.3: no evidence that the " +
                "canary's error rate is more than 0.01 above stable's",
        );
        // Clean for one interval, then failing 30%: the jump looks like a burst to the tempered
        // bets at first; the wide bet, which no burst can fool, and the gross bet once the new
        // level fills its window, roll it back on its fifth bad interval.
        const phases: string[] = [];
        let last: MeasurementResult | undefined;
        for (const t of [20, 30, 40, 50, 60]) {
            c = add(c, interval(12, 1));
            src.counters = { ...c };
            last = await m.measure(ctx(t));
            phases.push(last.phase);
        }
        assert.deepStrictEqual(phases, [
            "Successful",
            "Successful",
            "Successful",
            "Successful",
            "Failed",
        ]);
        assert.strictEqual(
            last!.message,
            "canary 60/240 failed (25%) vs stable 7/960 (0.73%): ln e 11.27 >= 5.3: the canary's error " +
                "rate is more than 0.01 above stable's (the evidence points to +0.3), 60s after the " +
                "canary first got traffic",
        );
        assert.deepStrictEqual(last!.value, [11.266, -23.893, 60, 240, 7, 960]);
        assert.strictEqual(last!.requests, 240);
    });

    it("as a gate: waits, then accepts a clean canary once the evidence is in", async () => {
        const src = new FakeCounters();
        let c: Counts = { ...START };
        src.counters = { ...c };
        const m = judgeMetric(GATE, ARGS, src);
        await m.measure(ctx(0));
        const phases: string[] = [];
        let last: MeasurementResult | undefined;
        for (let i = 1; i <= 13; i++) {
            c = add(c, interval(0, i));
            src.counters = { ...c };
            last = await m.measure(ctx(10 * i));
            phases.push(last.phase);
        }
        // 440 clean canary requests are not quite enough against stable at 1%; 480 are.
        assert.deepStrictEqual(phases, [
            ...Array(11).fill("Inconclusive"),
            "Successful",
            "Successful",
        ]);
        assert.strictEqual(
            last!.message,
            "canary 0/520 failed (0%) vs stable 20/2080 (0.96%): accept ln e 3.42 >= 3: the canary's " +
                "error rate is within 0.01 of stable's",
        );
    });

    it("counts an interval that spans a weight change at the canary's share of its requests", async () => {
        const src = new FakeCounters();
        let c: Counts = { ...START };
        src.counters = { ...c };
        const m = judgeMetric(JUDGE, ARGS, src);
        await m.measure(ctx(0));
        const weights = [
            { atSeconds: 0, weight: 20 },
            { atSeconds: 15, weight: 40 },
        ];
        c = add(c, {
            canaryRequests: 60,
            canaryFailures: 0,
            stableRequests: 140,
            stableFailures: 1,
        });
        src.counters = { ...c };
        const r = await m.measure(ctx(20, weights));
        assert.strictEqual(
            r.message,
            "canary 0/60 failed (0%) vs stable 1/140 (0.71%): ln e -1.32 < 5.3: no evidence that the " +
                "canary's error rate is more than 0.01 above stable's; the weight went 20% -> 40% " +
                "within the last interval, counted at the canary's share of its requests, 30%",
        );
    });

    it("no canary failure series yet is 0 failures; a series that disappears is a missing reading", async () => {
        const src = new FakeCounters();
        src.counters = { stableRequests: 1000, stableFailures: 10 };
        const m = judgeMetric(GATE, ARGS, src);
        await m.measure(ctx(0));
        src.counters = { canaryRequests: 40, stableRequests: 1160, stableFailures: 12 };
        const ok = await m.measure(ctx(10));
        assert.strictEqual(
            ok.message,
            "canary 0/40 failed (0%) vs stable 2/160 (1.3%): accept ln e 0.3 < 3 and roll-back ln e " +
                "-1.31 < 5.3: not enough evidence yet, waiting for more requests",
        );
        src.counters = { canaryRequests: 80, stableRequests: 1320 };
        const gone = await m.measure(ctx(20));
        assert.strictEqual(gone.phase, "Inconclusive");
        assert.strictEqual(
            gone.message,
            "canary 0/40 failed (0%) vs stable 2/160 (1.3%): no value for stableFailures (NaN, or no " +
                "series where there was one); reading skipped",
        );
    });
    // A malformed answer is an Error, never folded into the counts: a negative stable failure
    // count at the baseline made the next interval's stable failures 5,004 of 400 requests, so a
    // canary failing 30% looked better than stable and the guard said Successful.
    const garbage: [string, Partial<Record<keyof Counts, number[]>>, string][] = [
        [
            "a negative counter",
            { stableFailures: [-5000] },
            "the judge's stableFailures query returned -5000, not a count of requests (0 or more); the answer is not a request counter's",
        ],
        [
            "-Inf",
            { canaryFailures: [-Infinity] },
            "the judge's canaryFailures query returned -Inf, not a count of requests (0 or more); the answer is not a request counter's",
        ],
        [
            "+Inf",
            { stableRequests: [Infinity] },
            "the judge's stableRequests query returned +Inf, not a count of requests (0 or more); the answer is not a request counter's",
        ],
        [
            "two series for one sum",
            { canaryRequests: [100, 100] },
            "the judge's canaryRequests query returned 2 series, but a sum(...) returns at most one; the answer is not Prometheus' own",
        ],
    ];
    for (const [name, series, message] of garbage) {
        it(`${name} is an Error measurement that keeps the state`, async () => {
            const src = new FakeCounters();
            src.counters = {
                canaryRequests: 0,
                canaryFailures: 0,
                stableRequests: 1000,
                stableFailures: 10,
            };
            src.series = series;
            const m = judgeMetric(JUDGE, ARGS, src);
            const q = [Q.canaryRequests, Q.canaryFailures, Q.stableRequests, Q.stableFailures];
            assert.deepStrictEqual(await m.measure(ctx(0)), {
                phase: "Error",
                message,
                query: q.join(" ; "),
                condition: "",
            });
            // The next well-formed reading is the baseline: nothing was counted from the garbage.
            src.series = {};
            const base = await m.measure(ctx(10));
            assert.strictEqual(
                base.message,
                "canary 0/0 failed (-) vs stable 0/0 (-): baseline reading of the counters; counting from here",
            );
        });
    }

    it("a negative baseline cannot hide a canary failing 30% behind a stable that looks worse", async () => {
        const src = new FakeCounters();
        src.counters = {
            canaryRequests: 0,
            canaryFailures: 0,
            stableRequests: 1000,
            stableFailures: -5000,
        };
        const m = judgeMetric(JUDGE, ARGS, src);
        await m.measure(ctx(0));
        src.counters = {
            canaryRequests: 100,
            canaryFailures: 30,
            stableRequests: 1400,
            stableFailures: 4,
        };
        const r = await m.measure(ctx(10));
        assert.notStrictEqual(r.phase, "Successful", r.message);
    });
});

describe("rollout/judge in the engine", () => {
    /** 200 requests/s, `rate` errors on the canary and 1% on stable, following the weight. */
    function world(clock: FakeClock, cluster: RecordingCluster, rate: number): MetricsSource {
        let last = clock.now();
        let c: Counts = { ...START };
        return {
            async query(promql) {
                const seconds = Math.floor((clock.now() - last) / 10_000) * 10;
                if (seconds > 0) {
                    const w = Math.max(0, cluster.weight) / 100;
                    const n = 200 * seconds;
                    c = add(c, {
                        canaryRequests: n * w,
                        canaryFailures: Math.round(n * w * rate),
                        stableRequests: n * (1 - w),
                        stableFailures: Math.round(n * (1 - w) * 0.01),
                    });
                    last += seconds * 1000;
                }
                const key = (Object.keys(Q) as (keyof Counts)[]).find((k) => Q[k] === promql)!;
                return { values: [c[key]] };
            },
        };
    }
    const steps = stepsOf([
        { setWeight: 20 },
        { pause: { duration: "1m" } },
        { setWeight: 50 },
        { pause: { duration: "1m" } },
        { analysis: {} },
    ]);

    async function run(judge: JudgeSpec, rate: number, deadlineSeconds = 1800) {
        const clock = new FakeClock();
        const cluster = new RecordingCluster();
        const seen: MeasureContext[] = [];
        const metric = judgeMetric(
            judge,
            { ...ARGS, deadlineSeconds },
            world(clock, cluster, rate),
        );
        const spy = {
            ...metric,
            measure: (c: MeasureContext) => (seen.push(c), metric.measure(c)),
        };
        const r = await runRollout(
            { app: "demo", steps, totalReplicas: 4, deadlineSeconds, metrics: [spy] },
            { router: cluster, workloads: cluster, clock, report: () => {} },
        );
        return { r, seen };
    }

    it("passes every metric the weights it set, with their times, and whether it is in an analysis step", async () => {
        const { seen } = await run(JUDGE, 0.01);
        // The reading due when the analysis step starts is taken in it (120s): the last one.
        assert.deepStrictEqual(
            seen.map((c) => `${c.canaryTrafficSeconds}s ${c.analysis}`),
            [...Array(12).keys()].map((i) => `${10 * i}s false`).concat("120s true"),
        );
        assert.deepStrictEqual(seen[0].weights, [{ atSeconds: 0, weight: 20 }]);
        assert.deepStrictEqual(seen[seen.length - 1].weights, [
            { atSeconds: 0, weight: 20 },
            { atSeconds: 60, weight: 50 },
        ]);
    });

    it("a guard promotes a healthy canary on schedule", async () => {
        const { r } = await run(JUDGE, 0.01);
        assert.strictEqual(r.verdict, "Promoted", r.reason);
        assert.strictEqual(r.durationSeconds, 120);
    });

    it("a gate promotes a healthy canary once it accepts it", async () => {
        const { r } = await run(GATE, 0.01);
        assert.strictEqual(r.verdict, "Promoted", r.reason);
        assert.strictEqual(r.durationSeconds, 120);
        const last = r.measurements[r.measurements.length - 1];
        assert.strictEqual(last.phase, "Successful");
    });

    it("a guard rolls a canary failing 30% back within its first 20 seconds", async () => {
        const { r } = await run(JUDGE, 0.3);
        assert.strictEqual(r.verdict, "Aborted");
        assert.strictEqual(r.durationSeconds, 20);
        assert.strictEqual(r.measurements[r.measurements.length - 1].phase, "Failed");
        // Its reason says when, and that is what the demo prints.
        assert.match(r.reason, /, 20s after the canary first got traffic; query: /);
        assert.strictEqual(rollbackSeconds({ ...r, startedAt: "", templateHash: "h" }), 20);
    });

    it("a gate never promotes a canary with no traffic; the deadline ends it", async () => {
        const clock = new FakeClock();
        const cluster = new RecordingCluster();
        const src = new FakeCounters();
        src.counters = { stableRequests: 1000, stableFailures: 10 };
        const r = await runRollout(
            {
                app: "demo",
                steps: stepsOf([{ setWeight: 20 }, { analysis: {} }]),
                totalReplicas: 4,
                deadlineSeconds: 600,
                metrics: [judgeMetric(GATE, { ...ARGS, deadlineSeconds: 600 }, src)],
            },
            { router: cluster, workloads: cluster, clock, report: () => {} },
        );
        assert.strictEqual(r.verdict, "Aborted");
        assert.strictEqual(r.durationSeconds, 600);
        assert.strictEqual(r.measurements.length, 60);
        assert.ok(r.measurements.every((m) => m.phase === "Inconclusive"));
        assert.strictEqual(
            r.reason,
            'canary "demo" rolled back at step 2/2 (analysis (1 successful measurement), weight 20%): ' +
                "deadline of 600s passed at step 2/2 (analysis (1 successful measurement), weight " +
                "20%) with 0 successful judge; raise rollout.deadline or " +
                "shorten the steps; last measurement: judge Inconclusive: canary 0/0 failed (-) vs " +
                "stable 0/0 (-): no canary requests counted yet (scrape interval 10s); traffic is back " +
                "on the stable version and the canary is scaled to 0",
        );
        // The deadline decided, not a measurement.
        assert.strictEqual(rollbackSeconds({ ...r, startedAt: "", templateHash: "h" }), undefined);
    });
});
