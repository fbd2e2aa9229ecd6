// How much more the errors vary from interval to interval than independent errors would: the
// quasi-likelihood correction the judge divides its evidence by (sequential.ts). Pure.
import type { Counts } from "./counts";
import type { IntervalTiming, SequentialState } from "./sequential";

/**
 * The roll-back side's dispersion: both versions over the last LOCAL_SECONDS (at least two
 * intervals), minus DISPERSION_NOISE standard deviations of what independent errors would show,
 * so that chance alone does not slow it.
 */
const LOCAL_SECONDS = 40;
const DISPERSION_NOISE = 2;

const VERSIONS = [
    ["canaryFailures", "canaryRequests"],
    ["stableFailures", "stableRequests"],
] as const;

/**
 * The dispersion one interval's evidence against the canary is divided by: how much more both
 * versions' failures varied over the last LOCAL_SECONDS, the interval itself included, than
 * independent failures would (after subtracting DISPERSION_NOISE standard deviations of chance).
 * A clump or a burst in the interval tempers its own evidence; about E[K^2]/E[K] for clumps of K;
 * a canary that moved to a new level and stays there is tempered only until the new level fills
 * the window. 1 for independent errors.
 */
export function localTemper(intervals: Counts[], timing: IntervalTiming): number {
    const span = Math.max(2, Math.ceil(LOCAL_SECONDS / Math.max(1, timing.scrapeSeconds)));
    const recent = intervals.slice(-span);
    if (recent.length < 2) {
        return 1;
    }
    let residual = 0;
    let variance = 0;
    let noise = 0;
    for (const [x, n] of VERSIONS) {
        const failures = recent.reduce((t, i) => t + i[x], 0);
        const requests = recent.reduce((t, i) => t + i[n], 0);
        const rate = (failures + 0.5) / (requests + 1);
        for (const i of recent) {
            const expected = i[n] * rate;
            residual += (i[x] - expected) ** 2;
            // Around the window's own rate: one degree of freedom fewer.
            variance += (expected * (1 - rate) * (recent.length - 1)) / recent.length;
            // Var((x - e)^2) for a Poisson count: e + 2e^2.
            noise += expected + 2 * expected * expected;
        }
    }
    const excess = residual - DISPERSION_NOISE * Math.sqrt(noise);
    return variance > 0 ? Math.max(1, excess / variance) : 1;
}

/** Running sums of one version's interval counts: enough for the run's dispersion. */
export interface Moments {
    /** Sum of failures^2, failures x requests, requests^2 over the intervals used. */
    xx: number;
    xn: number;
    nn: number;
}

export const NO_MOMENTS: Moments = { xx: 0, xn: 0, nn: 0 };

export function addMoments(m: Moments, failures: number, requests: number): Moments {
    return {
        xx: m.xx + failures * failures,
        xn: m.xn + failures * requests,
        nn: m.nn + requests * requests,
    };
}

type RunState = Pick<SequentialState, "counts" | "moments">;

/**
 * Both versions' failures around their rates over the whole run: the sum of squared residuals,
 * their expected sum for independent failures, and the variance of that sum, from running sums
 * (sum (x - n r)^2 = sum x^2 - 2 r sum x n + r^2 sum n^2).
 */
function runResiduals(state: RunState): { residual: number; variance: number; noise: number } {
    let residual = 0;
    let variance = 0;
    let noise = 0;
    for (const [x, n] of VERSIONS) {
        const c = state.counts;
        const m = state.moments[x === "canaryFailures" ? "canary" : "stable"];
        const rate = (c[x] + 0.5) / (c[n] + 1);
        residual += Math.max(0, m.xx - 2 * rate * m.xn + rate * rate * m.nn);
        variance += rate * (1 - rate) * c[n];
        noise += rate * c[n] + 2 * rate * rate * m.nn;
    }
    return { residual, variance, noise };
}

/**
 * The errors' dispersion over the whole run: both versions' failures around their rates, less
 * DISPERSION_NOISE standard deviations of chance. A burst or a clump shows here for the rest of the
 * run, where the local window has forgotten it. The tempered roll-back bets and the accept side
 * divide by it.
 */
export function runDispersion(state: RunState): number {
    const r = runResiduals(state);
    const excess = r.residual - DISPERSION_NOISE * Math.sqrt(r.noise);
    return r.variance > 0 ? Math.max(1, excess / r.variance) : 1;
}
