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
/** The accept side's dispersion prior: four failures' worth at dispersion 1. */
const DISPERSION_PRIOR = 4;

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

/**
 * The accept side's dispersion: both versions' failures around their rate over the whole run, on
 * a prior of DISPERSION_PRIOR at 1. Slow to forget on purpose: a long run of clean intervals
 * between clumps must not pass for independent errors.
 */
export function acceptDispersion(state: Pick<SequentialState, "counts" | "intervals">): number {
    let residual = DISPERSION_PRIOR;
    let variance = DISPERSION_PRIOR;
    const c = state.counts;
    for (const [x, n] of VERSIONS) {
        const rate = (c[x] + 0.5) / (c[n] + 1);
        for (const i of state.intervals) {
            const expected = i[n] * rate;
            residual += (i[x] - expected) ** 2;
            variance += expected * (1 - rate);
        }
    }
    return Math.max(1, residual / variance);
}
