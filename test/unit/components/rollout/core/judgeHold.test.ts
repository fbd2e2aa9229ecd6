import * as assert from "assert";
import {
    acceptFraction,
    acceptTimeQuantile,
    inverseGaussianCdf,
} from "../../../../../components/rollout/core/judge/acceptFraction";
import { Counts } from "../../../../../components/rollout/core/judge/counts";
import { HOLD_READINGS, holdsPromotion } from "../../../../../components/rollout/core/judge/hold";
import { judgeMetric } from "../../../../../components/rollout/core/judge/metric";
import {
    acceptBet,
    initialState,
    update,
} from "../../../../../components/rollout/core/judge/sequential";
import { type JudgeSpec, SPEC_DEFAULTS } from "../../../../../components/rollout/core/spec";
import {
    MeasureContext,
    MetricsSource,
    QueryResult,
} from "../../../../../components/rollout/core/types";
import { DEMO_ARGS } from "../../../../support/queryArgs";

const P = { tolerance: 0.01, falseRollbackRate: 0.005, missedDetectionRate: 0.05, minRequests: 50 };

describe("rollout/judge accept fraction", () => {
    it("the inverse Gaussian CDF: 0 at 0, its median below its mean, 1 far out", () => {
        assert.strictEqual(inverseGaussianCdf(1e-9, 1, 1), 0);
        assert.strictEqual(inverseGaussianCdf(1, 1, 1).toFixed(4), "0.6681");
        assert.strictEqual(inverseGaussianCdf(100, 1, 1).toFixed(4), "1.0000");
    });

    it("bets 0.72 of the way for beta 0.05: the 95th percentile of the time to accept is the least", () => {
        const b = Math.log(20);
        assert.strictEqual(acceptFraction(0.05), 0.72);
        // In units of 1/D, the information Kelly's bet (k = 1) grows by per unit of time.
        assert.strictEqual(acceptTimeQuantile(1, b, 0.95).toFixed(3), "7.758");
        assert.strictEqual(acceptTimeQuantile(0.72, b, 0.95).toFixed(3), "7.117");
        assert.ok(acceptTimeQuantile(0.71, b, 0.95) > acceptTimeQuantile(0.72, b, 0.95));
        assert.ok(acceptTimeQuantile(0.73, b, 0.95) > acceptTimeQuantile(0.72, b, 0.95));
        // The median, which the schedule hides at 20 rps, is longer.
        assert.strictEqual(acceptTimeQuantile(1, b, 0.5).toFixed(3), "2.264");
        assert.strictEqual(acceptTimeQuantile(0.72, b, 0.5).toFixed(3), "2.746");
    });

    it("a smaller beta bets nearer the null; a large one is Kelly's", () => {
        assert.strictEqual(acceptFraction(0.01), 0.63);
        assert.strictEqual(acceptFraction(0.1), 0.81);
        assert.strictEqual(acceptFraction(0.2), 1);
    });

    it("the accept bet: stable's rate plus (1 - 0.72) tolerances, below the null line", () => {
        const state = update(
            initialState(),
            {
                canaryRequests: 0,
                canaryFailures: 0,
                stableRequests: 1_000_000,
                stableFailures: 10_000,
            },
            P,
        );
        const bet = acceptBet(state, P);
        assert.strictEqual(bet.thetaS.toFixed(5), "0.01000");
        assert.strictEqual((bet.thetaC - bet.thetaS).toFixed(4), "0.0028");
        assert.strictEqual(bet.shift, 0.01);
    });
});

/** The four counters, answered by the text of the query. */
class Counters implements MetricsSource {
    c: Counts = {
        canaryRequests: 0,
        canaryFailures: 0,
        stableRequests: 1_000_000,
        stableFailures: 10_000,
    };
    async query(promql: string): Promise<QueryResult> {
        if (promql.startsWith("time()")) {
            return { values: [] };
        }
        const canary = promql.includes('service="demo-canary"');
        const failed = promql.includes("status=~");
        const key =
            `${canary ? "canary" : "stable"}${failed ? "Failures" : "Requests"}` as keyof Counts;
        return { values: [this.c[key]] };
    }
}

const JUDGE: JudgeSpec = { ...SPEC_DEFAULTS.judge, intervalSeconds: 10 };
const ARGS = { ...DEMO_ARGS, scrapeIntervalSeconds: 10, deadlineSeconds: 1800 };
const STABLE_1PCT = [2, 1, 2, 1, 2];

/**
 * A guard reading a canary failing 5% (2 of its 40 requests in each 10s) against stable at 1%,
 * in an analysis step from interval `from` on: the phases and messages of intervals 1 to `to`.
 */
async function guard(from: number, to: number) {
    const src = new Counters();
    const m = judgeMetric(JUDGE, ARGS, src);
    const ctx = (i: number): MeasureContext => ({
        stepIndex: i >= from ? 2 : 1,
        weight: 20,
        canaryTrafficSeconds: 10 * i,
        weights: [{ atSeconds: 0, weight: 20 }],
        analysis: i >= from,
    });
    await m.measure(ctx(0));
    const out: { phase: string; message: string }[] = [];
    for (let i = 1; i <= to; i++) {
        const c = src.c;
        src.c = {
            canaryRequests: c.canaryRequests + 40,
            canaryFailures: c.canaryFailures + 2,
            stableRequests: c.stableRequests + 160,
            stableFailures: c.stableFailures + STABLE_1PCT[(i - 1) % 5],
        };
        const r = await m.measure(ctx(i));
        out.push({ phase: r.phase, message: r.message });
    }
    return out;
}

describe("rollout/judge guard holds promotion", () => {
    it("holds only in an analysis step, past half the bound, at most HOLD_READINGS readings", () => {
        const half = Math.log(200) / 2;
        assert.strictEqual(HOLD_READINGS, 2);
        assert.strictEqual(holdsPromotion(half, Math.log(200), 0, true), true);
        assert.strictEqual(holdsPromotion(half - 0.001, Math.log(200), 0, true), false);
        assert.strictEqual(holdsPromotion(half, Math.log(200), 0, false), false);
        assert.strictEqual(holdsPromotion(half, Math.log(200), 2, true), false);
    });

    it("outside an analysis step a 1% -> 5% canary is Successful until it is rolled back (14th interval)", async () => {
        const phases = (await guard(Infinity, 14)).map((r) => r.phase);
        assert.deepStrictEqual(phases, [...Array(13).fill("Successful"), "Failed"]);
    });

    it("past half its bound at the analysis step (ln e 2.69 >= 2.65): two readings held, then promoted", async () => {
        const r = await guard(8, 10);
        assert.deepStrictEqual(
            r.map((x) => x.phase),
            [...Array(7).fill("Successful"), "Inconclusive", "Inconclusive", "Successful"],
        );
        assert.strictEqual(
            r[7].message,
            "canary 16/320 failed (5%) vs stable 13/1280 (1%): roll-back ln e 2.69 >= 2.65, half its " +
                "bound 5.3 (a canary within the tolerance gets this far with probability <= 0.071): " +
                "promotion held for reading 1 of at most 2",
        );
        assert.strictEqual(
            r[8].message,
            "canary 18/360 failed (5%) vs stable 14/1440 (0.97%): roll-back ln e 3.34 >= 2.65, half " +
                "its bound 5.3 (a canary within the tolerance gets this far with probability <= " +
                "0.071): promotion held for reading 2 of at most 2",
        );
        // Released after HOLD_READINGS: promoted, although the statistic is at 3.76.
        assert.strictEqual(
            r[9].message,
            "canary 20/400 failed (5%) vs stable 16/1600 (1%): ln e 3.76 < 5.3: no evidence that " +
                "the canary's error rate is more than 0.01 above stable's",
        );
    });

    it("held at 4.85 and 5.28, the canary is rolled back on the next reading instead of promoted", async () => {
        const r = await guard(12, 14);
        assert.deepStrictEqual(
            r.map((x) => x.phase),
            [...Array(11).fill("Successful"), "Inconclusive", "Inconclusive", "Failed"],
        );
    });

    it("below half its bound at the analysis step: promoted at once", async () => {
        const r = await guard(7, 7);
        assert.strictEqual(r[6].phase, "Successful");
    });
});
