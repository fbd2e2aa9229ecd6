// The judge: compares the canary's error rate with stable's, measured over the same seconds,
// with a sequential probability ratio test (SPRT) that looks at every Prometheus scrape and still
// keeps its two error rates: a healthy canary is rolled back with probability <= alpha
// (falseRollbackRate), a canary worse than stable + tolerance is promoted with probability <= beta
// (missedDetectionRate).
//
// Why an SPRT and not a Bayesian beta-binomial test. The judge decides at every scrape, up to 180
// times in a 30-minute rollout. A posterior threshold such as P(p_canary - p_stable > tolerance)
// > 0.95 is calibrated for one look averaged over the prior; checked 180 times at a fixed true rate
// its false-rollback rate grows with every look. The SPRT's likelihood ratio is a (super)martingale
// when the canary is healthy, so Ville's inequality bounds P(it ever reaches 1/alpha) <= alpha
// however often and however long we look. That is the guarantee a gate needs.
//
// What is tested: failure attribution. Stable's error rate is unknown and moves (a database blip
// fails both versions at once), so the null hypothesis must not depend on it. Given the failures
// of one scrape interval, and the requests each version served in it, a failure is the canary's
// with probability pi0 = canary requests / all requests when both versions fail alike (H0). If
// the canary fails at p1 = q0 + tolerance while stable fails at q0 (H1), that probability is
// pi1 = nc*p1 / (nc*p1 + ns*q0). Conditioning on the failures removes q0 from H0 exactly;
// q0 enters only the alternative, and any alternative fixed before the interval's split is seen
// keeps the martingale. E.g. 20% canary weight, stable at 1%, tolerance 0.01: pi0 = 0.2,
// pi1 = 0.2*0.02 / (0.2*0.02 + 0.8*0.01) = 1/3, so each canary failure adds ln(1.67) = +0.51 and
// each stable failure ln(0.83) = -0.18 to the log-likelihood ratio (log-LR).
//
// q0, the stable rate in the alternative, is estimated high on purpose: a too-low q0 makes the
// alternative too extreme and a real 1% -> 2% regression can drift toward "accept", a too-high one
// only slows the test. So q0 is the larger of stable's base rate so far (intervals without a burst,
// with a prior of 1 failure in 50 requests) and the interval's pooled rate (both versions, shrunk
// toward stable's by 2 failures' worth). The pooled rate follows a shared burst: 40 failures in 200
// requests make q0 ~ 10%, so a 1-point excess is worth little there, instead of a burst split
// 20/80 "proving" the canary good.
//
// Three alternatives, mixed: the canary worse by 1x, 5x and 25x the tolerance, weights 1/2, 1/4,
// 1/4. The mixture is still a martingale under H0, and a canary failing 30% of requests is judged
// in one scrape instead of ten: at 20% weight its first 10s (12/40 failed vs stable's 2/160) give
// +1.08 per canary failure to the 25x alternative but +0.13 to the 1x one, whose q0 is that
// interval's pooled 5.3%. Reject when log(mixture) >= ln(1/alpha) (5.30 for alpha 0.005); accept when it is <=
// ln(beta/2) (-3.69 for beta 0.05): then the 1x alternative alone is <= ln(beta), which a canary
// worse by the tolerance reaches with probability <= beta (Ville again). These are Wald's bounds
// made safe for a test that keeps watching after it first accepts (the engine measures until the
// analysis step): Wald's ln((1-beta)/alpha) = 5.25 and ln(beta/(1-alpha)) = -2.99 assume it stops.
//
// The counts: `sum(nginx_ingress_controller_requests{namespace=..., service=...})`, all requests
// and those with a failing status, per version: the counters' values at the latest scrape. The
// judge subtracts its previous reading, so each interval's counts are exact integers, canary and
// stable from the same scrape of the same ingress controller. Not increase() over the time since
// the canary started: increase() stretches each series' samples to the window's ends, and a
// series born inside the window (every canary series; a stable status that was not seen before)
// is stretched by a factor that shrinks as the window grows. In the benchmark, a 20s shared burst
// that created a 503 series made stable's cumulative estimate read ~670 failures at 20s and then
// sink for minutes; the canary's failures kept counting meanwhile, and 10% of healthy canaries at
// 200 req/s were rolled back. Raw counters need two guards instead, both of which skip one
// interval for both versions and start again from the new reading: a count that went down (an
// ingress controller restarted, a series went away), and a jump of more than 20x the largest
// interval so far (a scrape that failed on one controller replica brings its series back with
// all their history). A reading with no value where there was one (NaN, or an empty result after
// a non-empty one) is skipped and the previous reading kept. And an interval in which the canary's
// weight changed is dropped: its requests mix two splits, and failures bunched in the part with
// more canary traffic would be blamed on the canary.
import { Checker } from "../check";
import { checkJudge, JudgeSpec } from "../spec";

/** Requests and failures of each version: in an interval, or summed over the intervals used. */
export interface Counts {
    canaryRequests: number;
    canaryFailures: number;
    stableRequests: number;
    stableFailures: number;
}

/** The test's parameters: alpha is falseRollbackRate, beta missedDetectionRate. */
export type SequentialParams = Pick<
    JudgeSpec,
    "tolerance" | "falseRollbackRate" | "missedDetectionRate" | "minRequests"
>;

export type Decision = "accept" | "reject" | "continue";

export interface SequentialState {
    /** The previous usable reading of the four counters; the first reading only sets it. */
    base?: Counts;
    /** Requests and failures in the intervals used so far. */
    counts: Counts;
    /** Log-LR of each alternative in ALTERNATIVES. */
    logLR: number[];
    /** Stable's failures and requests in the intervals without a burst: its base error rate. */
    stableBase: { failures: number; requests: number };
    /** Largest request count (both versions) of one interval used so far. */
    maxInterval: number;
    readings: number;
    /** Intervals dropped: a counter went down or jumped (see `update`). */
    skipped: number;
    /** Intervals dropped because the canary's weight changed inside them. */
    straddled: number;
}

export interface SequentialResult {
    decision: Decision;
    /** log of the mixture likelihood ratio: the statistic compared with the bounds. */
    logLR: number;
    acceptBelow: number;
    rejectAbove: number;
    /** Requests and failures in the intervals used so far. */
    counts: Counts;
    /** Why "continue" although the statistic is past the accept bound. */
    waitingFor?: "minRequests";
    state: SequentialState;
}

/** The canary worse by `excess` x tolerance, with its weight in the mixture. */
export const ALTERNATIVES: readonly { excess: number; weight: number }[] = [
    { excess: 1, weight: 0.5 },
    { excess: 5, weight: 0.25 },
    { excess: 25, weight: 0.25 },
];

/** Prior on stable's error rate in the alternative: 1 failure in 50 requests (2%, errs high). */
const PRIOR_FAILURES = 1;
const PRIOR_REQUESTS = 50;
/** Weight, in failures, of stable's rate when it is pooled with one interval's rate. */
const SHRINK_FAILURES = 2;
/**
 * An interval whose failures (both versions) exceed the base rate's expectation by more than 4
 * standard deviations + 2 is a burst; it still counts for the comparison, but not for stable's
 * base rate, which would otherwise stay high for the rest of the run and slow the test ten-fold
 * (q0 5% instead of 1% makes a 1-point excess worth a tenth). E.g. 200 requests at 1%: more
 * than 2 + 4 x 1.4 + 2 = 9.7 failures.
 */
const BURST_SD = 4;
const BURST_SLACK = 2;
/**
 * An interval with more than 20x the requests of the largest one so far (and more than 20 x 50)
 * is a discontinuity, not traffic: e.g. at 20 req/s and a 10s interval, 200 requests per
 * interval; a controller replica's series coming back from a failed scrape add their history,
 * typically millions.
 */
const JUMP_FACTOR = 20;
const JUMP_FLOOR = 50;

export const ZERO: Counts = {
    canaryRequests: 0,
    canaryFailures: 0,
    stableRequests: 0,
    stableFailures: 0,
};
export const KEYS = Object.keys(ZERO) as (keyof Counts)[];

export function initialState(): SequentialState {
    return {
        counts: { ...ZERO },
        logLR: ALTERNATIVES.map(() => 0),
        stableBase: { failures: 0, requests: 0 },
        maxInterval: 0,
        readings: 0,
        skipped: 0,
        straddled: 0,
    };
}

/** Rejects parameters for which the test means nothing (spec.ts checkJudge: alpha 0 never rolls back). */
export function checkParams(p: SequentialParams): void {
    const c = new Checker();
    checkJudge(c, { ...p, enabled: true, intervalSeconds: 1 });
    if (c.problems.length > 0) {
        throw new Error(c.problems.map((x) => `${x.path}: ${x.message}`).join("; "));
    }
}

/** The bounds on log(mixture LR): 5.30 and -3.69 for alpha 0.005, beta 0.05. */
export function bounds(p: SequentialParams): { acceptBelow: number; rejectAbove: number } {
    return {
        acceptBelow: Math.log(p.missedDetectionRate * ALTERNATIVES[0].weight),
        rejectAbove: Math.log(1 / p.falseRollbackRate),
    };
}

/** log(sum_i w_i exp(l_i)), without overflow. */
function mixture(logLR: number[]): number {
    const terms = logLR.map((l, i) => l + Math.log(ALTERNATIVES[i].weight));
    const top = Math.max(...terms);
    return top + Math.log(terms.reduce((s, t) => s + Math.exp(t - top), 0));
}

/** Stable's base error rate so far, biased high by the prior: 1 failure in 50 requests. */
export function stableRate(base: SequentialState["stableBase"]): number {
    return (base.failures + PRIOR_FAILURES) / (base.requests + PRIOR_REQUESTS);
}

/**
 * The log-LR increments of one interval, one per alternative: nc, ns requests and xc, xs
 * failures of canary and stable; qStable is stable's base rate from earlier intervals.
 */
export function intervalLogLR(inc: Counts, qStable: number, p: SequentialParams): number[] {
    const xc = inc.canaryFailures;
    const xs = inc.stableFailures;
    const nc = Math.max(inc.canaryRequests, xc);
    const ns = Math.max(inc.stableRequests, xs);
    const m = xc + xs;
    // Without failures, or with traffic on one version only, the interval says nothing about
    // the difference.
    if (!(m > 0 && nc > 0 && ns > 0)) {
        return ALTERNATIVES.map(() => 0);
    }
    // qStable comes from earlier intervals only, so it is fixed before this split is seen; the
    // pooled rate of this interval is fixed given its failures, which the test conditions on.
    const n = nc + ns;
    const q0 = Math.max(qStable, (m + SHRINK_FAILURES) / (n + SHRINK_FAILURES / qStable));
    return ALTERNATIVES.map((a) => {
        const p1 = Math.min(q0 + a.excess * p.tolerance, (1 + q0) / 2);
        // ln(pi1/pi0) and ln((1-pi1)/(1-pi0)), written so that neither share is rounded to 0
        // or 1 first.
        const mixed = nc * p1 + ns * q0;
        return xc * Math.log((p1 * n) / mixed) + xs * Math.log((q0 * n) / mixed);
    });
}

/**
 * Folds one reading of the four counters (their values, not increments) into the state. The
 * first reading is the baseline; each later one closes an interval. `straddles`: the canary's
 * weight may have changed inside the interval, whose requests then mix two splits; if failures
 * came in the part with more canary traffic (a burst right after the weight went from 20% to
 * 40%), the mixed split would blame the canary. Such an interval only moves the baseline. Pure.
 */
export function update(
    state: SequentialState,
    reading: Counts,
    p: SequentialParams,
    straddles = false,
): SequentialState {
    const readings = state.readings + 1;
    if (KEYS.some((k) => !Number.isFinite(reading[k]))) {
        return { ...state, readings };
    }
    const base = state.base;
    const now = { ...reading };
    if (!base) {
        return { ...state, base: now, readings };
    }
    const inc = { ...ZERO };
    for (const k of KEYS) {
        inc[k] = reading[k] - base[k];
    }
    const requests = inc.canaryRequests + inc.stableRequests;
    // The first interval has nothing to compare with: it is taken as it is.
    const jump =
        state.maxInterval > 0 && requests > JUMP_FACTOR * Math.max(state.maxInterval, JUMP_FLOOR);
    if (KEYS.some((k) => inc[k] < 0) || jump) {
        return { ...state, base: now, readings, skipped: state.skipped + 1 };
    }
    if (straddles) {
        return { ...state, base: now, readings, straddled: state.straddled + 1 };
    }
    const qStable = stableRate(state.stableBase);
    const step = intervalLogLR(inc, qStable, p);
    const counts = { ...state.counts };
    for (const k of KEYS) {
        counts[k] += inc[k];
    }
    const expected = qStable * (inc.canaryRequests + inc.stableRequests);
    const burst =
        inc.canaryFailures + inc.stableFailures >
        expected + BURST_SD * Math.sqrt(expected) + BURST_SLACK;
    return {
        base: now,
        counts,
        logLR: state.logLR.map((l, i) => l + step[i]),
        stableBase: burst
            ? state.stableBase
            : {
                  failures: state.stableBase.failures + inc.stableFailures,
                  requests: state.stableBase.requests + inc.stableRequests,
              },
        maxInterval: Math.max(state.maxInterval, requests),
        readings,
        skipped: state.skipped,
        straddled: state.straddled,
    };
}

/** The decision for a state: reject at any count, accept only past minRequests. Pure. */
export function decide(state: SequentialState, p: SequentialParams): SequentialResult {
    const { acceptBelow, rejectAbove } = bounds(p);
    const logLR = mixture(state.logLR);
    const base = { logLR, acceptBelow, rejectAbove, counts: { ...state.counts }, state };
    if (logLR >= rejectAbove) {
        return { ...base, decision: "reject" };
    }
    if (logLR <= acceptBelow) {
        if (state.counts.canaryRequests >= p.minRequests) {
            return { ...base, decision: "accept" };
        }
        return { ...base, decision: "continue", waitingFor: "minRequests" };
    }
    return { ...base, decision: "continue" };
}

/**
 * The decision after a sequence of counter readings (oldest first; the first is the baseline).
 * E.g. [zero, {canaryRequests: 40, canaryFailures: 12, stableRequests: 160, stableFailures: 2}]
 * is one 10-second interval of a canary failing 30% at 20% of 20 req/s: log-LR 10.2, "reject".
 */
export function sequentialDecision(readings: Counts[], p: SequentialParams): SequentialResult {
    checkParams(p);
    let state = initialState();
    for (const r of readings) {
        state = update(state, r, p);
    }
    return decide(state, p);
}
