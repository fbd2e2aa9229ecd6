// The judge's sequential test: two e-processes over the scrape intervals, built from per-interval
// e-values (evalue.ts). One rolls back: its null is "the canary's error rate is at most stable's +
// tolerance". One accepts: its null is "at least stable's + tolerance". Pure; the README's "How the
// verdict is reached" gives the argument and the measured figures.
//
// Ville's inequality: a nonnegative process whose expectation stays <= 1 under the null exceeds
// 1/alpha at ANY time with probability <= alpha, however often it is looked at. Every e-value here
// has expectation 1 at the null's edge for independent errors and any path of stable's own rate,
// so the guarantees hold at every scrape. Real errors are not independent (a retrying client fails
// in clumps, a bad pod fails one version for 10-20s), which would let e-values grow under the null;
// the roll-back side answers with three things, each of which only ever lowers its statistic:
// - each interval's evidence is divided by the errors' dispersion around it (`localTemper`):
//   clumps of K failures carry the evidence of one failure, not K; a burst tempers itself;
// - each interval adds at most a cap (`intervalCaps`): one interval can be one event (for the
//   gross and wide bets only the largest interval is held to it, see CAP_LARGEST);
// - it never falls below a floor (`floor`), so a canary that degrades after minutes of good
//   behaviour is caught as fast as one bad from the start; a union bound over the restarts pays
//   for that in the floor's depth.
// The accept side divides its evidence by the dispersion over the whole run (`runDispersion`).
import { Checker } from "../check";
import { checkJudge, JudgeSpec } from "../spec";
import { addCounts, Counts, KEYS, ZERO } from "./counts";
import { addMoments, localTemper, Moments, NO_MOMENTS, runDispersion } from "./dispersion";
import { addInterval, BetLog, CAP_LARGEST, floor, FRESH } from "./caps";
import { Bet, logEValue } from "./evalue";
import { acceptFraction } from "./acceptFraction";

/** The test's parameters: alpha is falseRollbackRate, beta missedDetectionRate. */
export type SequentialParams = Pick<
    JudgeSpec,
    "tolerance" | "falseRollbackRate" | "missedDetectionRate" | "minRequests"
>;

export type Decision = "accept" | "reject" | "continue";

/**
 * The roll-back side has three bets, each with its own share of alpha (a weighted Bonferroni):
 *
 * The gross bet (GROSS_WEIGHT): "at most GROSS_SHIFT above stable" against GROSS_EXCESS above it,
 * tempered by the local dispersion like the excess bet. A version failing 30% of requests, steadily,
 * is caught on its first hundred or so; a 10-20% burst on one version varies far more than a
 * steady rate and is tempered away.
 *
 * The wide bet (WIDE_WEIGHT): "at most WIDE_SHIFT above stable" against WIDE_EXCESS above it, not
 * tempered: a 10-20 point burst is inside its null, so it cannot be fooled by one at any traffic,
 * and a canary that jumps from clean to failing a third of its requests (which the tempered bets
 * see as a burst at first) is caught by it as soon as its requests tell 35 from 20 points.
 *
 * The excess bet: "within tolerance" against the canary failing at its own rate so far, shrunk
 * toward stable's + 2 tolerances by EXCESS_PRIOR_REQUESTS requests' worth and kept between + 2 and
 * + 12 tolerances. It is fixed before each interval is read (a predictable plug-in), so the product
 * is still an e-process, and it follows the size of the excess instead of paying a mixture's price
 * for a grid of them. E.g. a canary at 5% against 1% is bet at 3% for its first requests, 4% after
 * 600 of them.
 */
export const GROSS_SHIFT = 0.08;
export const GROSS_EXCESS = 0.3;
export const GROSS_WEIGHT = 0.4;
export const WIDE_SHIFT = 0.2;
export const WIDE_EXCESS = 0.35;
export const WIDE_WEIGHT = 0.2;
export const EXCESS_PRIOR_REQUESTS = 300;
export const EXCESS_MIN = 2;
export const EXCESS_MAX = 12;
/** The bets, in the order of SequentialState.rejectLog. */
export const BETS = ["gross", "excess", "wide"] as const;
/** One interval adds at most this share of the gross bet's bound: two intervals are needed. */
const GROSS_CAP_SHARE = 0.625;
/**
 * The longest burst (one version's errors up for a while) the excess bet is built to ride out:
 * the bursts last 10-20s.
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
 * An interval with more than 20x the requests of the largest one so far (and more than 20 x 50)
 * is a discontinuity, not traffic: e.g. at 20 req/s and a 10s interval, 200 requests per
 * interval; a controller replica's series coming back from a failed scrape add their history,
 * typically millions.
 */
const JUMP_FACTOR = 20;
const JUMP_FLOOR = 50;
/** Intervals kept for the local dispersion: its window at scrape intervals down to 1s. */
const RECENT = 64;

/** Where an interval lies in time: what `update` needs besides its counts. */
export interface IntervalTiming {
    /** Seconds the interval spans (between the readings that close it). */
    seconds: number;
    /** Prometheus' scrape interval. */
    scrapeSeconds: number;
    /** Most intervals a run can have (deadline / judge interval): sets the floor, see `floor`. */
    horizonIntervals: number;
}

export const DEFAULT_TIMING: IntervalTiming = {
    seconds: 10,
    scrapeSeconds: 10,
    horizonIntervals: 180,
};

export interface SequentialState {
    /** The previous usable reading of the four counters; the first reading only sets it. */
    base?: Counts;
    /** Stable's lifetime counts at the first reading: the bets' prior for its rate. */
    prior?: { failures: number; requests: number };
    /** Requests and failures in the intervals used so far. */
    counts: Counts;
    /** ln e-value of each roll-back bet, in BETS order: tempered, capped, floored. */
    rejectLog: number[];
    /** Each roll-back bet's ln e-value with what its cap needs (caps.ts addInterval). */
    rejectRun: BetLog[];
    /** ln e-value of the accept side, untempered. */
    acceptLog: number;
    /** The dispersion the last interval's evidence against the canary was divided by. */
    lastTemper: number;
    /** The last RECENT intervals' counts, for the local dispersion. */
    recent: Counts[];
    /** Intervals used so far. */
    used: number;
    /** Running sums of each version's interval counts, for the run's dispersion. */
    moments: { canary: Moments; stable: Moments };
    /** Largest request count (both versions) of one interval used so far. */
    maxInterval: number;
    readings: number;
    /** Intervals dropped: a counter went down or jumped (see `update`). */
    skipped: number;
}

export interface SequentialResult {
    decision: Decision;
    /** The roll-back statistic: the strongest bet's ln e-value plus ln of its weight. */
    rejectLogE: number;
    /** ln of the accept e-process, divided by the dispersion. */
    acceptLogE: number;
    rejectAbove: number;
    acceptAbove: number;
    /** The errors' dispersion over the run (1 for independent errors). */
    dispersion: number;
    /** Requests and failures in the intervals used so far. */
    counts: Counts;
    /** Why "continue" although the accept side is past its bound. */
    waitingFor?: "minRequests";
}

export function initialState(): SequentialState {
    return {
        counts: { ...ZERO },
        rejectLog: [0, 0, 0],
        rejectRun: [FRESH, FRESH, FRESH],
        acceptLog: 0,
        lastTemper: 1,
        recent: [],
        used: 0,
        moments: { canary: NO_MOMENTS, stable: NO_MOMENTS },
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

/** The bounds on the ln e-values: ln(1/alpha) to roll back (5.30), ln(1/beta) to accept (3.00). */
export function bounds(p: SequentialParams): { rejectAbove: number; acceptAbove: number } {
    return {
        rejectAbove: Math.log(1 / p.falseRollbackRate),
        acceptAbove: Math.log(1 / p.missedDetectionRate),
    };
}

/** The mixture weights of the roll-back bets, in `rejectBets` order. */
export function rejectWeights(): number[] {
    return [GROSS_WEIGHT, 1 - GROSS_WEIGHT - WIDE_WEIGHT, WIDE_WEIGHT];
}

/** Stable's error rate for the bets: its intervals so far, on its lifetime prior. */
export function stableRate(state: SequentialState): number {
    const prior = state.prior ?? { failures: 0, requests: 0 };
    const weight = prior.requests > 0 ? Math.min(1, PRIOR_REQUESTS / prior.requests) : 0;
    const failures = state.counts.stableFailures + weight * prior.failures + WEAK_FAILURES;
    const requests = state.counts.stableRequests + weight * prior.requests + WEAK_REQUESTS;
    return Math.min(MAX_RATE, Math.max(MIN_RATE, failures / requests));
}

/** The roll-back bets for the next interval, in BETS order. */
export function rejectBets(state: SequentialState, tolerance: number): Bet[] {
    const thetaS = stableRate(state);
    const below1 = (x: number) => Math.min(x, 0.999);
    const grossShift = Math.max(GROSS_SHIFT, tolerance);
    const c = state.counts;
    const prior = thetaS + EXCESS_MIN * tolerance;
    const own =
        (c.canaryFailures + EXCESS_PRIOR_REQUESTS * prior) /
        (c.canaryRequests + EXCESS_PRIOR_REQUESTS);
    return [
        {
            thetaC: below1(thetaS + grossShift + GROSS_EXCESS - GROSS_SHIFT),
            thetaS,
            shift: grossShift,
        },
        {
            thetaC: below1(Math.min(thetaS + EXCESS_MAX * tolerance, Math.max(prior, own))),
            thetaS,
            shift: tolerance,
        },
        {
            thetaC: below1(thetaS + Math.max(WIDE_SHIFT, tolerance) + WIDE_EXCESS - WIDE_SHIFT),
            thetaS,
            shift: Math.max(WIDE_SHIFT, tolerance),
        },
    ];
}

/**
 * The accept side's bet: the canary fails acceptFraction(beta) of the way from the null line
 * (stable's rate + tolerance) to stable's rate, which makes the slowest acceptances (the 1 - beta
 * quantile) of a canary failing as stable does the soonest (acceptFraction.ts). E.g. stable at 1%,
 * tolerance 1%, beta 0.05: the canary at 1.28%.
 */
export function acceptBet(state: SequentialState, p: SequentialParams): Bet {
    const thetaS = stableRate(state);
    const k = acceptFraction(p.missedDetectionRate);
    return { thetaC: thetaS + (1 - k) * p.tolerance, thetaS, shift: p.tolerance };
}

/**
 * The most one interval adds to each roll-back bet's ln e-value. The gross and wide bets: 5/8 of
 * their bound, so one interval never rolls back (it can be one event: a clump of failures, a
 * burst's start) and two can; only their largest interval is held to it (CAP_LARGEST). The
 * excess bet looks for an excess that lasts: an interval of d seconds adds at most
 * d / (BURST_SECONDS + 2 scrape intervals) of its bound. A burst of up to BURST_SECONDS touches at
 * most ceil(BURST_SECONDS / S) + 1 intervals, so it carries the bet at most 3/4 of the way at 10s
 * and 30s scrapes, 6/7 at 60s. E.g. 10s scrapes: 1.55 per interval of the 6.21 bound.
 */
export function intervalCaps(p: SequentialParams, timing: IntervalTiming): number[] {
    const w = rejectWeights();
    const rejectAbove = bounds(p).rejectAbove;
    const gross = GROSS_CAP_SHARE * (rejectAbove - Math.log(w[0]));
    const sustained = BURST_SECONDS + 2 * timing.scrapeSeconds;
    const excess =
        ((rejectAbove - Math.log(w[1])) * Math.max(0, timing.seconds)) / Math.max(1, sustained);
    const wide = GROSS_CAP_SHARE * (rejectAbove - Math.log(w[2]));
    return [gross, excess, wide];
}

/**
 * The roll-back statistic: the strongest bet, each ln e-value plus the ln of its weight. Each bet
 * k on its own reaches ln(1/(w_k alpha)) with probability <= w_k alpha (floor included), so one of
 * them does with probability <= alpha: a weighted Bonferroni, which unlike a mixture's sum lets
 * each bet have its own floor.
 */
export function rejectStatistic(rejectLog: number[]): number {
    const w = rejectWeights();
    return Math.max(...rejectLog.map((l, i) => l + Math.log(w[i])));
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
        // No new scrape (or no traffic): the next interval starts where this one did.
        return { ...state, readings };
    }
    const recent = [...state.recent.slice(1 - RECENT), inc];
    const temper = localTemper(recent, timing);
    const caps = intervalCaps(p, timing);
    // The wide bet is not tempered: a burst is inside its null (see BETS).
    const evidence = rejectBets(state, p.tolerance).map((bet, i) => {
        const l = logEValue(inc, bet);
        return l > 0 ? l / (BETS[i] === "wide" ? 1 : temper) : l;
    });
    // On its floor, a bet starts afresh from exp(floor).
    const low = floor(timing);
    const rejectRun = evidence.map((l, i) =>
        addInterval(state.rejectRun[i], l, caps[i], low, CAP_LARGEST[i]),
    );
    return {
        ...state,
        base: now,
        counts: addCounts(state.counts, inc),
        rejectLog: rejectRun.map((b) => b.log),
        rejectRun,
        acceptLog: state.acceptLog + logEValue(inc, acceptBet(state, p)),
        lastTemper: temper,
        recent,
        used: state.used + 1,
        moments: {
            canary: addMoments(state.moments.canary, inc.canaryFailures, inc.canaryRequests),
            stable: addMoments(state.moments.stable, inc.stableFailures, inc.stableRequests),
        },
        maxInterval: Math.max(state.maxInterval, requests),
        readings,
    };
}

/**
 * The decision for a state: reject at any count; accept (now: a later interval can take it back)
 * only past minRequests canary requests. The accept side's ln e-value l is divided by its
 * dispersion d >= 1 first, which never adds evidence: l/d >= ln(1/beta) > 0 implies l >= ln(1/beta).
 * Pure.
 */
export function decide(state: SequentialState, p: SequentialParams): SequentialResult {
    const { rejectAbove, acceptAbove } = bounds(p);
    const d = runDispersion(state);
    const rejectLogE = rejectStatistic(
        state.rejectLog.map((l, i) => (BETS[i] === "wide" || l <= 0 ? l : l / d)),
    );
    const acceptLogE = state.acceptLog / d;
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
