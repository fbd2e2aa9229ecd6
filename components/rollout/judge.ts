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
// only slows the test. So q0 is the larger of stable's rate so far (with a prior of 1 failure in 50
// requests) and the interval's pooled rate (both versions, shrunk toward stable's by 2 failures'
// worth). The pooled rate follows a shared burst: 40 failures in 200 requests make q0 ~ 10%, so
// a 1-point excess is worth little there, instead of a burst split 20/80 "proving" the canary good.
//
// Three alternatives, mixed: the canary worse by 1x, 5x and 25x the tolerance, weights 1/2, 1/4,
// 1/4. The mixture is still a martingale under H0, and a canary failing 30% of requests is judged
// by the 25x alternative (+1.5 per canary failure at 20% weight) in one or two scrapes instead of
// ten. Reject when log(mixture) >= ln(1/alpha) (5.30 for alpha 0.005); accept when it is <=
// ln(beta/2) (-3.69 for beta 0.05): then the 1x alternative alone is <= ln(beta), which a canary
// worse by the tolerance reaches with probability <= beta (Ville again). These are Wald's bounds
// made safe for a test that keeps watching after it first accepts (the engine measures until the
// analysis step): Wald's ln((1-beta)/alpha) = 5.25 and ln(beta/(1-alpha)) = -2.99 assume it stops.
//
// The counts: `sum(increase(nginx_ingress_controller_requests{...}[Ts]))` with T = the seconds
// since the canary got traffic, so a previous run's requests never count, and Prometheus handles
// counter resets per series. increase() extrapolates to the window's ends; canary and stable come
// from the same scrape of the same ingress controller, so they are stretched alike and their split
// stays fair. The judge takes the increments between consecutive readings as its intervals. An
// extrapolated reading can drop a little (e.g. 2.6 -> 2.4 failures); only counts above the highest
// reading so far are new, so nothing is counted twice. A new series' first increment is partly
// invisible to increase() (Prometheus never saw the counter at 0): that hides some of the canary's
// first failures, which errs toward promotion by a fraction of a failure, never toward rollback.
import type { JudgeConfig } from "../config";
import { DEFAULT_LIMITS, fmt } from "./analysis";
import { BaseArgs, renderQuery } from "./metrics";
import { MeasureContext, MeasurementResult, Metric, MetricsSource, QueryResult } from "./types";

/** Cumulative counts since the canary got traffic (Prometheus' estimates: may be fractional). */
export interface Counts {
    canaryRequests: number;
    canaryFailures: number;
    stableRequests: number;
    stableFailures: number;
}

export interface SequentialParams {
    /** How much higher (absolute) the canary's error rate may be than stable's, e.g. 0.01. */
    tolerance: number;
    /** alpha: the highest probability of rolling back a canary no worse than stable. */
    falseRollbackRate: number;
    /** beta: the highest probability of promoting a canary worse by `tolerance`. */
    missedDetectionRate: number;
    /** Fewest canary requests before the judge may accept. */
    minRequests: number;
}

export type Decision = "accept" | "reject" | "continue";

export interface SequentialState {
    /** The highest cumulative reading of each count: later readings count only above it. */
    seen: Counts;
    /** Log-LR of each alternative in ALTERNATIVES. */
    logLR: number[];
    /** Readings folded in. */
    readings: number;
}

export interface SequentialResult {
    decision: Decision;
    /** log of the mixture likelihood ratio: the statistic compared with the bounds. */
    logLR: number;
    acceptBelow: number;
    rejectAbove: number;
    /** The counts so far (highest readings). */
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

const ZERO: Counts = { canaryRequests: 0, canaryFailures: 0, stableRequests: 0, stableFailures: 0 };
const KEYS = Object.keys(ZERO) as (keyof Counts)[];

export function initialState(): SequentialState {
    return { seen: { ...ZERO }, logLR: ALTERNATIVES.map(() => 0), readings: 0 };
}

/** Rejects parameters for which the test means nothing (e.g. alpha 0 would never roll back). */
export function checkParams(p: SequentialParams): void {
    const open = (name: string, v: number, max: number) => {
        if (!(v > 0 && v <= max)) {
            throw new Error(`judge ${name} must be above 0 and at most ${max}, got ${v}`);
        }
    };
    open("tolerance", p.tolerance, 1);
    open("falseRollbackRate", p.falseRollbackRate, 0.5);
    open("missedDetectionRate", p.missedDetectionRate, 0.5);
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

/**
 * Folds one cumulative reading into the state: the increments above the highest readings so far
 * form one interval, whose failures update each alternative's log-LR. Pure.
 */
export function update(state: SequentialState, reading: Counts, p: SequentialParams): SequentialState {
    const seen = state.seen;
    const inc = (k: keyof Counts) => {
        const v = reading[k];
        return Number.isFinite(v) ? Math.max(0, v - seen[k]) : 0;
    };
    const xc = inc("canaryFailures");
    const xs = inc("stableFailures");
    // A failure is a request: extrapolation can put a failure in an interval whose requests
    // rose less (separate series), and a share computed from fewer requests than failures
    // would overstate the evidence.
    const nc = Math.max(inc("canaryRequests"), xc);
    const ns = Math.max(inc("stableRequests"), xs);
    const next: Counts = { ...seen };
    for (const k of KEYS) {
        if (Number.isFinite(reading[k])) {
            next[k] = Math.max(seen[k], reading[k]);
        }
    }
    const m = xc + xs;
    let logLR = state.logLR;
    // Without failures, or with traffic on one version only, the interval says nothing about
    // the difference: the log-LR stays.
    if (m > 0 && nc > 0 && ns > 0) {
        // Stable's rate from earlier intervals only, so it is fixed before this split is seen.
        const qStable = (seen.stableFailures + PRIOR_FAILURES) / (seen.stableRequests + PRIOR_REQUESTS);
        const n = nc + ns;
        const q0 = Math.max(qStable, (m + SHRINK_FAILURES) / (n + SHRINK_FAILURES / qStable));
        logLR = ALTERNATIVES.map((a, i) => {
            const p1 = Math.min(q0 + a.excess * p.tolerance, (1 + q0) / 2);
            // ln(pi1/pi0) and ln((1-pi1)/(1-pi0)), written so that neither share is rounded
            // to 0 or 1 first.
            const mixed = nc * p1 + ns * q0;
            return state.logLR[i] + xc * Math.log((p1 * n) / mixed) + xs * Math.log((q0 * n) / mixed);
        });
    }
    return { seen: next, logLR, readings: state.readings + 1 };
}

/** The decision for a state: reject at any count, accept only past minRequests. Pure. */
export function decide(state: SequentialState, p: SequentialParams): SequentialResult {
    const { acceptBelow, rejectAbove } = bounds(p);
    const logLR = mixture(state.logLR);
    const base = { logLR, acceptBelow, rejectAbove, counts: { ...state.seen }, state };
    if (logLR >= rejectAbove) {
        return { ...base, decision: "reject" };
    }
    if (logLR <= acceptBelow) {
        if (state.seen.canaryRequests >= p.minRequests) {
            return { ...base, decision: "accept" };
        }
        return { ...base, decision: "continue", waitingFor: "minRequests" };
    }
    return { ...base, decision: "continue" };
}

/**
 * The decision after a sequence of cumulative readings (one per measurement, oldest first),
 * e.g. [{canaryRequests: 40, canaryFailures: 12, stableRequests: 160, stableFailures: 2}] is one
 * 10-second interval of a 30%-failing canary at 20% weight: log-LR 8.5 -> "reject".
 */
export function sequentialDecision(readings: Counts[], p: SequentialParams): SequentialResult {
    checkParams(p);
    let state = initialState();
    for (const r of readings) {
        state = update(state, r, p);
    }
    return decide(state, p);
}

// ---------------------------------------------------------------------------------------------
// The metric: queries, phases and messages.

const SERIES = "nginx_ingress_controller_requests";

/** The four counts, as query templates over {{args.window}} (seconds since canary traffic). */
export const JUDGE_QUERIES: Record<keyof Counts, string> = {
    canaryRequests: `sum(increase(${SERIES}{namespace="{{args.namespace}}",service="{{args.service}}"}[{{args.window}}]))`,
    canaryFailures:
        `sum(increase(${SERIES}{namespace="{{args.namespace}}",service="{{args.service}}",` +
        `status=~"{{args.failureStatus}}"}[{{args.window}}]))`,
    stableRequests:
        `sum(increase(${SERIES}{namespace="{{args.namespace}}",service="{{args.stableService}}"}` +
        `[{{args.window}}]))`,
    stableFailures:
        `sum(increase(${SERIES}{namespace="{{args.namespace}}",service="{{args.stableService}}",` +
        `status=~"{{args.failureStatus}}"}[{{args.window}}]))`,
};

/**
 * Waiting is Inconclusive, and must not abort: with 1% errors at 2 requests/s the judge needs
 * most of a 30-minute deadline, i.e. ~180 inconclusive measurements at a 10s interval. The
 * deadline ends a run that cannot decide (Inconclusive, never a pass); 1e6 measurements at the
 * shortest interval (1s) would take 11 days.
 */
export const JUDGE_INCONCLUSIVE_LIMIT = 1_000_000;

/** One number from a query result: no series yet is 0 requests; NaN is unusable (undefined). */
function countOf(r: QueryResult): number | undefined {
    if (r.values.length === 0) {
        return 0;
    }
    const sum = r.values.reduce((s, v) => s + v, 0);
    return Number.isFinite(sum) ? Math.max(0, sum) : undefined;
}

function num(v: number): string {
    return fmt(Math.round(v * 10) / 10);
}

function pct(failures: number, requests: number): string {
    return requests > 0 ? `${fmt(Number(((100 * failures) / requests).toPrecision(2)))}%` : "-";
}

export function describeCounts(c: Counts): string {
    return (
        `canary ${num(c.canaryFailures)}/${num(c.canaryRequests)} failed ` +
        `(${pct(c.canaryFailures, c.canaryRequests)}) vs stable ` +
        `${num(c.stableFailures)}/${num(c.stableRequests)} (${pct(c.stableFailures, c.stableRequests)})`
    );
}

/**
 * The judge as a metric of the engine: reject -> Failed (failureLimit 0: one rejection rolls
 * back), accept -> Successful, anything else -> Inconclusive, which only the deadline ends.
 * Measures every `judge.intervalSeconds` (default: the scrape interval, when Prometheus has new
 * data). Keeps its state per run: build a new one for each rollout.
 */
export function judgeMetric(
    judge: JudgeConfig,
    args: BaseArgs & { scrapeIntervalSeconds: number },
    source: MetricsSource,
): Metric {
    const params: SequentialParams = {
        tolerance: judge.tolerance,
        falseRollbackRate: judge.falseRollbackRate,
        missedDetectionRate: judge.missedDetectionRate,
        minRequests: judge.minRequests,
    };
    checkParams(params);
    const { scrapeIntervalSeconds, ...base } = args;
    const { acceptBelow, rejectAbove } = bounds(params);
    const a = fmt(Number(acceptBelow.toFixed(2)));
    const r = fmt(Number(rejectAbove.toFixed(2)));
    const condition =
        `SPRT log-LR <= ${a} accept (after >= ${params.minRequests} canary requests) / >= ${r} ` +
        `reject, tolerance ${params.tolerance} over stable's error rate ` +
        `(false rollback <= ${params.falseRollbackRate}, missed <= ${params.missedDetectionRate})`;
    let state = initialState();
    return {
        name: "judge",
        intervalSeconds: judge.intervalSeconds,
        initialDelaySeconds: 0,
        limits: {
            failureLimit: 0,
            inconclusiveLimit: JUDGE_INCONCLUSIVE_LIMIT,
            consecutiveErrorLimit: DEFAULT_LIMITS.consecutiveErrorLimit,
        },
        async measure(ctx: MeasureContext): Promise<MeasurementResult> {
            // A range must be positive; at the first measurement (0s of traffic) 1s finds nothing.
            const window = `${Math.max(1, Math.ceil(ctx.canaryTrafficSeconds))}s`;
            const keys = KEYS;
            const queries = keys.map((k) => renderQuery(JUDGE_QUERIES[k], { ...base, window }));
            const query = queries.join(" ; ");
            const results = await Promise.all(queries.map((q) => source.query(q)));
            const values = results.map(countOf);
            const bad = values.findIndex((v) => v === undefined);
            if (bad >= 0) {
                const d = decide(state, params);
                return {
                    phase: "Inconclusive",
                    query,
                    condition,
                    requests: state.seen.canaryRequests,
                    message: `${keys[bad]} returned NaN; the judge waits (${describeCounts(d.counts)})`,
                };
            }
            const reading = Object.fromEntries(keys.map((k, i) => [k, values[i]!])) as unknown as Counts;
            state = update(state, reading, params);
            const d = decide(state, params);
            const c = d.counts;
            const value = [Number(d.logLR.toFixed(3)), c.canaryFailures, c.canaryRequests, c.stableFailures, c.stableRequests];
            const counts = describeCounts(c);
            const stat = `log-LR ${fmt(Number(d.logLR.toFixed(2)))}`;
            const out = { query, condition, value, requests: c.canaryRequests };
            if (d.decision === "reject") {
                return {
                    ...out,
                    phase: "Failed",
                    message:
                        `${counts}: ${stat} >= ${r}, the canary's error rate is more than ` +
                        `${params.tolerance} above stable's`,
                };
            }
            if (d.decision === "accept") {
                return {
                    ...out,
                    phase: "Successful",
                    message:
                        `${counts}: ${stat} <= ${a}, the canary's error rate is within ` +
                        `${params.tolerance} of stable's`,
                };
            }
            let why: string;
            if (c.canaryRequests === 0) {
                why =
                    `no canary requests counted yet (Prometheus needs 2 scrapes of a new series, ` +
                    `${2 * scrapeIntervalSeconds}s at a ${scrapeIntervalSeconds}s scrape interval)`;
            } else if (d.waitingFor === "minRequests") {
                why = `${stat} <= ${a}, but fewer than minRequests ${params.minRequests} canary requests`;
            } else {
                why = `${stat} is between ${a} and ${r}: not enough evidence yet, waiting for more requests`;
            }
            return { ...out, phase: "Inconclusive", message: `${counts}: ${why}` };
        },
    };
}
