// The judge's sequential test: two e-processes over the scrape intervals, the products of
// per-interval e-values (evalue.ts). One rolls back: its null is "the canary's error rate is at
// most stable's + tolerance". One accepts: its null is "at least stable's + tolerance". Pure; the
// README's "How the verdict is reached" gives the argument and the measured figures.
//
// Ville's inequality: a nonnegative process whose expectation stays <= 1 under the null exceeds
// 1/alpha at ANY time with probability <= alpha, however often it is looked at. Every e-value here
// has expectation exactly 1 at the null's edge for independent errors and any path of stable's
// rate, so the guarantees hold at every scrape. Real errors are not independent (a retrying client
// fails in clumps, a bad pod fails one version for 10-20s), and such errors would make e-values
// grow under the null; two things stop that, and both only ever make the statistic smaller, so
// they keep the guarantee:
// - each interval's contribution to the roll-back bets is capped (`intervalCaps`): one interval
//   can be one event;
// - every ln e-value is divided by the errors' dispersion (`dispersion`), the quasi-likelihood
//   correction: clumps of K failures carry the evidence of one failure, not K.
import { Checker } from "../check";
import { checkJudge, JudgeSpec } from "../spec";
import { addCounts, Counts, KEYS, ZERO } from "./counts";
import { Bet, logEValue } from "./evalue";

/** The test's parameters: alpha is falseRollbackRate, beta missedDetectionRate. */
export type SequentialParams = Pick<
    JudgeSpec,
    "tolerance" | "falseRollbackRate" | "missedDetectionRate" | "minRequests"
>;

export type Decision = "accept" | "reject" | "continue";

/**
 * The gross bet: "at most GROSS_SHIFT above stable" against GROSS_EXCESS above it. Its evidence
 * per canary request is zero at about 19% errors with stable at 1%, so a version that fails 30% of
 * requests is caught on its first hundred or so, while a 10-20% burst on one version, which
 * healthy services have, weighs little for it. It carries GROSS_WEIGHT of the mixture.
 */
export const GROSS_SHIFT = 0.08;
export const GROSS_EXCESS = 0.3;
export const GROSS_WEIGHT = 0.75;
/** The sensitive bets: "within tolerance" against 2, 4 and 8 times the tolerance. */
export const SENSITIVE_EXCESS = [2, 4, 8];
/** One interval adds at most this share of the gross bet's bound: two intervals are needed. */
const GROSS_CAP_SHARE = 0.625;
/**
 * The longest burst (one version's errors up for a while) the sensitive bets are built to ride
 * out: the bursts last 10-20s.
 */
export const BURST_SECONDS = 20;

/**
 * Stable's error rate in the bets (only the bets: the e-values hold whatever it is). Until the
 * canary's intervals say more, stable's rate over its counters' lifetime (the baseline reading),
 * worth at most PRIOR_REQUESTS requests, on top of a weak prior of half a failure in 50 requests.
 */
const PRIOR_REQUESTS = 2000;
const WEAK_FAILURES = 0.5;
const WEAK_REQUESTS = 50;
/** No bet on a rate below this (a null point at 0 would make one failure infinite evidence). */
const MIN_RATE = 1e-4;
const MAX_RATE = 0.5;
/**
 * The accept side's dispersion prior: four failures' worth at dispersion 1. The roll-back side's
 * estimate instead subtracts DISPERSION_NOISE standard deviations of the binomial noise, so chance
 * alone does not slow it; the accept side errs the other way.
 */
const DISPERSION_PRIOR = 4;
const DISPERSION_NOISE = 2;
/**
 * An interval with more than 20x the requests of the largest one so far (and more than 20 x 50)
 * is a discontinuity, not traffic: e.g. at 20 req/s and a 10s interval, 200 requests per
 * interval; a controller replica's series coming back from a failed scrape add their history,
 * typically millions.
 */
const JUMP_FACTOR = 20;
const JUMP_FLOOR = 50;

/** Where an interval lies in time: what `update` needs besides its counts. */
export interface IntervalTiming {
    /** Seconds the interval spans (between the readings that close it). */
    seconds: number;
    /** Prometheus' scrape interval. */
    scrapeSeconds: number;
}

export const DEFAULT_TIMING: IntervalTiming = { seconds: 10, scrapeSeconds: 10 };

export interface SequentialState {
    /** The previous usable reading of the four counters; the first reading only sets it. */
    base?: Counts;
    /** Stable's lifetime counts at the first reading: the bets' prior for its rate. */
    prior?: { failures: number; requests: number };
    /** Requests and failures in the intervals used so far. */
    counts: Counts;
    /** ln e-value of each roll-back bet (gross first, then SENSITIVE_EXCESS), untempered. */
    rejectLog: number[];
    /** ln e-value of the accept side, untempered. */
    acceptLog: number;
    /** Each used interval's counts, for the dispersion. */
    intervals: Counts[];
    /** Largest request count (both versions) of one interval used so far. */
    maxInterval: number;
    readings: number;
    /** Intervals dropped: a counter went down or jumped (see `update`). */
    skipped: number;
}

export interface Dispersion {
    /** For the roll-back side: binomial noise subtracted first, so it is 1 unless clearly not. */
    lenient: number;
    /** For the accept side: with a prior at 1, so any excess variance counts. */
    cautious: number;
}

export interface SequentialResult {
    decision: Decision;
    /** ln of the roll-back e-process: the mixture of bets, each tempered by the dispersion. */
    rejectLogE: number;
    /** ln of the accept e-process, tempered by the dispersion. */
    acceptLogE: number;
    rejectAbove: number;
    acceptAbove: number;
    dispersion: Dispersion;
    /** Requests and failures in the intervals used so far. */
    counts: Counts;
    /** Why "continue" although the accept side is past its bound. */
    waitingFor?: "minRequests";
}

export function initialState(): SequentialState {
    return {
        counts: { ...ZERO },
        rejectLog: [0, ...SENSITIVE_EXCESS.map(() => 0)],
        acceptLog: 0,
        intervals: [],
        maxInterval: 0,
        readings: 0,
        skipped: 0,
    };
}

/** Rejects parameters for which the test means nothing (rules.ts checkJudge). */
export function checkParams(p: SequentialParams): void {
    const c = new Checker();
    checkJudge(c, { ...p, enabled: true, role: "guard", intervalSeconds: 1 });
    if (c.problems.length > 0) {
        throw new Error(c.problems.map((x) => `${x.path}: ${x.message}`).join("; "));
    }
}

/**
 * The bounds on the tempered ln e-values: roll back at ln(1 + 1/alpha) (5.30 for alpha 0.005; the
 * 1 pays for the tempering, see `decide`), accept at ln(1/beta) (3.00 for beta 0.05).
 */
export function bounds(p: SequentialParams): { rejectAbove: number; acceptAbove: number } {
    return {
        rejectAbove: Math.log(1 + 1 / p.falseRollbackRate),
        acceptAbove: Math.log(1 / p.missedDetectionRate),
    };
}

/** The mixture weights of the roll-back bets, in `rejectBets` order. */
export function rejectWeights(): number[] {
    const rest = (1 - GROSS_WEIGHT) / SENSITIVE_EXCESS.length;
    return [GROSS_WEIGHT, ...SENSITIVE_EXCESS.map(() => rest)];
}

/** Stable's error rate for the bets: its intervals so far, on its lifetime prior. */
export function stableRate(state: SequentialState): number {
    const prior = state.prior ?? { failures: 0, requests: 0 };
    const weight = prior.requests > 0 ? Math.min(1, PRIOR_REQUESTS / prior.requests) : 0;
    const failures = state.counts.stableFailures + weight * prior.failures + WEAK_FAILURES;
    const requests = state.counts.stableRequests + weight * prior.requests + WEAK_REQUESTS;
    return Math.min(MAX_RATE, Math.max(MIN_RATE, failures / requests));
}

/** The roll-back bets for the next interval: gross first, then the sensitive ones. */
export function rejectBets(state: SequentialState, tolerance: number): Bet[] {
    const thetaS = stableRate(state);
    const below1 = (x: number) => Math.min(x, 0.999);
    const grossShift = Math.max(GROSS_SHIFT, tolerance);
    return [
        {
            thetaC: below1(thetaS + grossShift + GROSS_EXCESS - GROSS_SHIFT),
            thetaS,
            shift: grossShift,
        },
        ...SENSITIVE_EXCESS.map((k) => ({
            thetaC: below1(thetaS + k * tolerance),
            thetaS,
            shift: tolerance,
        })),
    ];
}

/** The accept side's bet: the canary fails as stable does. */
export function acceptBet(state: SequentialState, tolerance: number): Bet {
    const thetaS = stableRate(state);
    return { thetaC: thetaS, thetaS, shift: tolerance };
}

/**
 * The most one interval adds to each roll-back bet's ln e-value. The gross bet: 5/8 of its bound,
 * so one interval never rolls back (it can be one event: a clump of failures, a burst's start)
 * and two can. The sensitive bets look for a small excess that lasts: an interval of d seconds adds
 * at most d / (BURST_SECONDS + 2 scrape intervals) of their bound. A burst of up to BURST_SECONDS
 * touches at most ceil(BURST_SECONDS / S) + 1 intervals, so it carries them at most 3/4 of the way
 * at 10s and 30s scrapes, 6/7 at 60s. E.g. 10s scrapes: 1.77 per interval of the 7.78 bound.
 */
export function intervalCaps(p: SequentialParams, timing: IntervalTiming): number[] {
    const w = rejectWeights();
    const rejectAbove = bounds(p).rejectAbove;
    const gross = GROSS_CAP_SHARE * (rejectAbove - Math.log(w[0]));
    const sustained = BURST_SECONDS + 2 * timing.scrapeSeconds;
    const sensitive =
        ((rejectAbove - Math.log(w[1])) * Math.max(0, timing.seconds)) / Math.max(1, sustained);
    return [gross, ...SENSITIVE_EXCESS.map(() => sensitive)];
}

/**
 * The errors' dispersion: how much more each version's failures vary from interval to interval
 * than independent failures would, around its own rate so far. About E[K^2]/E[K] for failures in
 * clumps of K; large after a burst on either version. It includes the interval just read, so an
 * outlier tempers its own evidence. Floored at 1: it never adds evidence.
 */
export function dispersion(state: SequentialState): Dispersion {
    let residual = 0;
    let variance = 0;
    let noise = 0;
    const c = state.counts;
    for (const [x, n] of [
        ["canaryFailures", "canaryRequests"],
        ["stableFailures", "stableRequests"],
    ] as const) {
        const rate = (c[x] + 0.5) / (c[n] + 1);
        for (const i of state.intervals) {
            const expected = i[n] * rate;
            residual += (i[x] - expected) ** 2;
            variance += expected * (1 - rate);
            // Var((x - e)^2) for a Poisson count: e + 2e^2.
            noise += expected + 2 * expected * expected;
        }
    }
    const lenient = residual - DISPERSION_NOISE * Math.sqrt(noise);
    return {
        lenient: variance > 0 ? Math.max(1, lenient / variance) : 1,
        cautious: Math.max(1, (DISPERSION_PRIOR + residual) / (DISPERSION_PRIOR + variance)),
    };
}

/**
 * Folds one reading of the four counters (their values, not increments) into the state. The
 * first reading is the baseline; each later one closes an interval. Pure.
 */
export function update(
    state: SequentialState,
    reading: Counts,
    p: SequentialParams,
    timing: IntervalTiming = DEFAULT_TIMING,
): SequentialState {
    const readings = state.readings + 1;
    if (KEYS.some((k) => !Number.isFinite(reading[k]))) {
        return { ...state, readings };
    }
    const now = { ...reading };
    const base = state.base;
    if (!base) {
        return {
            ...state,
            base: now,
            readings,
            prior: { failures: reading.stableFailures, requests: reading.stableRequests },
        };
    }
    const inc = { ...ZERO };
    for (const k of KEYS) {
        inc[k] = reading[k] - base[k];
    }
    // The four queries run side by side; one may see a scrape the others missed by milliseconds.
    inc.canaryRequests = Math.max(inc.canaryRequests, inc.canaryFailures);
    inc.stableRequests = Math.max(inc.stableRequests, inc.stableFailures);
    const requests = inc.canaryRequests + inc.stableRequests;
    // The first interval has nothing to compare with: it is taken as it is.
    const jump =
        state.maxInterval > 0 && requests > JUMP_FACTOR * Math.max(state.maxInterval, JUMP_FLOOR);
    if (KEYS.some((k) => inc[k] < 0) || jump) {
        return { ...state, base: now, readings, skipped: state.skipped + 1 };
    }
    if (requests === 0) {
        return { ...state, base: now, readings };
    }
    const caps = intervalCaps(p, timing);
    return {
        ...state,
        base: now,
        counts: addCounts(state.counts, inc),
        rejectLog: rejectBets(state, p.tolerance).map(
            (bet, i) => state.rejectLog[i] + Math.min(caps[i], logEValue(inc, bet)),
        ),
        acceptLog: state.acceptLog + logEValue(inc, acceptBet(state, p.tolerance)),
        intervals: [...state.intervals, inc],
        maxInterval: Math.max(state.maxInterval, requests),
        readings,
    };
}

/** log(sum_i w_i exp(l_i)), without overflow. */
function logMixture(logs: number[], weights: number[]): number {
    const terms = logs.map((l, i) => l + Math.log(weights[i]));
    const top = Math.max(...terms);
    return top + Math.log(terms.reduce((s, t) => s + Math.exp(t - top), 0));
}

/**
 * The decision for a state. Each ln e-value l is divided by the dispersion d >= 1 first. That never
 * adds evidence: exp(l/d) <= max(1, exp(l)), so the tempered mixture reaches 1 + 1/alpha only if
 * the untempered one reaches 1/alpha, which a canary within tolerance does with probability
 * <= alpha (Ville); the accept side likewise. Reject at any count; accept (now: a later interval
 * can take it back) only past minRequests canary requests. Pure.
 */
export function decide(state: SequentialState, p: SequentialParams): SequentialResult {
    const { rejectAbove, acceptAbove } = bounds(p);
    const d = dispersion(state);
    const rejectLogE = logMixture(
        state.rejectLog.map((l) => l / d.lenient),
        rejectWeights(),
    );
    const acceptLogE = state.acceptLog / d.cautious;
    const base = {
        rejectLogE,
        acceptLogE,
        rejectAbove,
        acceptAbove,
        dispersion: d,
        counts: { ...state.counts },
    };
    if (rejectLogE >= rejectAbove) {
        return { ...base, decision: "reject" };
    }
    if (acceptLogE >= acceptAbove) {
        if (state.counts.canaryRequests >= p.minRequests) {
            return { ...base, decision: "accept" };
        }
        return { ...base, decision: "continue", waitingFor: "minRequests" };
    }
    return { ...base, decision: "continue" };
}

/**
 * The decision after a sequence of counter readings (oldest first; the first is the baseline),
 * `timing` apart. E.g. [zero, {canaryRequests: 40, canaryFailures: 12, stableRequests: 160,
 * stableFailures: 2}] is one 10-second interval of a canary failing 30% at 20% of 20 req/s.
 */
export function sequentialDecision(
    readings: Counts[],
    p: SequentialParams,
    timing: IntervalTiming = DEFAULT_TIMING,
): SequentialResult {
    checkParams(p);
    let state = initialState();
    for (const r of readings) {
        state = update(state, r, p, timing);
    }
    return decide(state, p);
}
