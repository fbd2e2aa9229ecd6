// The judge as a metric of the engine: the four counters it queries (the router's), the timing
// of each interval, its role, and the messages of each measurement. The test itself is sequential.ts.
import { DEFAULT_LIMITS, fmt, queryWithin } from "../analysis";
import { BaseArgs, renderQuery } from "../queries";
import { JudgeSpec, ROUTER_DEFAULTS, RouterKind } from "../spec";
import { MeasureContext, MeasurementResult, Metric, MetricsSource, QueryResult } from "../types";
import { Counts, KEYS, ZERO } from "./counts";
import { holdReason, holdsPromotion } from "./hold";
import { nextReading, NO_SCRAPES, observe, weightsDuring } from "./schedule";
import {
    bounds,
    checkParams,
    decide,
    initialState,
    rejectBets,
    rejectWeights,
    SequentialParams,
    SequentialState,
    update,
} from "./sequential";

/** Each router's request counter, its labels for the app's namespace and a Service, and status. */
const COUNTERS: Record<
    RouterKind,
    { series: string; svc: (arg: string) => string; status: string }
> = {
    "ingress-nginx": {
        series: "nginx_ingress_controller_requests",
        svc: (arg) => `namespace="{{args.namespace}}",service="{{args.${arg}}}"`,
        status: "status",
    },
    // Istio: the gateway's own count (reporter="source") of requests to each Service.
    "gateway-api": {
        series: "istio_requests_total",
        svc: (arg) =>
            `reporter="source",destination_service_namespace="{{args.namespace}}",destination_service_name="{{args.${arg}}}"`,
        status: "response_code",
    },
};

/** A router's counter of requests to a Service (`service` or `stableService`), or of failures. */
function counter(router: RouterKind, service: string, failed = false): string {
    const { series, svc, status } = COUNTERS[router] ?? COUNTERS[ROUTER_DEFAULTS.kind];
    const failures = failed ? `,${status}=~"{{args.failureStatus}}"` : "";
    return `${series}{${svc(service)}${failures}}`;
}

/** The four counters of a router, as query templates: their values at the latest scrape. */
export function judgeQueries(router: RouterKind): Record<keyof Counts, string> {
    return {
        canaryRequests: `sum(${counter(router, "service")})`,
        canaryFailures: `sum(${counter(router, "service", true)})`,
        stableRequests: `sum(${counter(router, "stableService")})`,
        stableFailures: `sum(${counter(router, "stableService", true)})`,
    };
}

/** The default router's (ingress-nginx) counters. */
export const JUDGE_QUERIES = judgeQueries(ROUTER_DEFAULTS.kind);

/**
 * How old a router's counters' latest sample is, by Prometheus' own clock (`time()` and the
 * samples' timestamps, so no clock of ours is compared with it): seconds since the scrape the
 * readings come from. Stable's series, which exist before the canary's; one scrape writes both.
 */
export function judgeAgeQuery(router: RouterKind): string {
    return `time() - max(timestamp(${counter(router, "stableService")}))`;
}

/** The age of the latest sample (judgeAgeQuery's answer), or undefined without one. */
async function sampleAge(
    source: MetricsSource,
    query: string,
    ctx: MeasureContext,
): Promise<number | undefined> {
    try {
        const { values } = await source.query(query, { timeoutMs: ctx.timeLeftMs });
        return values.length === 1 && Number.isFinite(values[0])
            ? Math.max(0, values[0])
            : undefined;
    } catch {
        // The schedule and the intervals' lengths fall back to the readings' own times.
        return undefined;
    }
}

/**
 * Waiting is Inconclusive, and must not abort: with 1% errors at 2 requests/s a gate needs most
 * of a 30-minute deadline, i.e. ~180 inconclusive measurements at a 10s interval. The deadline
 * ends a run that cannot decide (Inconclusive, never a pass); 1e6 measurements at the shortest
 * interval (1s) would take 11 days.
 */
export const JUDGE_INCONCLUSIVE_LIMIT = 1_000_000;

function num(v: number): string {
    return fmt(Math.round(v * 10) / 10);
}

function pct(failures: number, requests: number): string {
    return requests > 0 ? `${fmt(Number(((100 * failures) / requests).toPrecision(2)))}%` : "-";
}

function two(x: number): string {
    return fmt(Number(x.toFixed(2)));
}

/** E.g. `canary 3/120 failed (2.5%) vs stable 10/2400 (0.42%)`. */
export function describeCounts(c: Counts): string {
    return (
        `canary ${num(c.canaryFailures)}/${num(c.canaryRequests)} failed ` +
        `(${pct(c.canaryFailures, c.canaryRequests)}) vs stable ` +
        `${num(c.stableFailures)}/${num(c.stableRequests)} (${pct(c.stableFailures, c.stableRequests)})`
    );
}

/** The rule a measurement applied, e.g. for the defaults as a guard. */
export function judgeCondition(judge: JudgeSpec): string {
    const { rejectAbove, acceptAbove } = bounds(judge);
    const reject =
        `roll back when ln e >= ${two(rejectAbove)}: the canary's error rate is more than ` +
        `${judge.tolerance} above stable's (a canary within it is rolled back with probability ` +
        `<= ${judge.falseRollbackRate})`;
    if (judge.role === "guard") {
        return `guard: ${reject}; promotion is left to the steps and metrics`;
    }
    return (
        `gate: ${reject}; accept when ln e >= ${two(acceptAbove)} after >= ${judge.minRequests} ` +
        `canary requests: it is within ${judge.tolerance} of stable's (a canary worse than that ` +
        `is accepted with probability <= ${judge.missedDetectionRate})`
    );
}

const FIRST_TRAFFIC = "after the canary first got traffic";

/** When the judge rolled a canary back, in its reason: `12s after the canary first got traffic`. */
export function afterFirstTraffic(seconds: number): string {
    return `${fmt(Math.round(seconds))}s ${FIRST_TRAFFIC}`;
}

/** The seconds afterFirstTraffic wrote into `text`, or undefined when it is not there. */
export function readAfterFirstTraffic(text: string): number | undefined {
    const m = new RegExp(`(\\d+)s ${FIRST_TRAFFIC}`).exec(text);
    return m ? Number(m[1]) : undefined;
}

/** The roll-back bet that carries the evidence, as the excess it stands for, e.g. "+0.3". */
function strongest(state: SequentialState, tolerance: number): string {
    const w = rejectWeights();
    const bets = rejectBets(state, tolerance);
    let best = 0;
    state.rejectLog.forEach((l, i) => {
        if (l + Math.log(w[i]) > state.rejectLog[best] + Math.log(w[best])) {
            best = i;
        }
    });
    return `+${fmt(Number((bets[best].thetaC - bets[best].thetaS).toPrecision(2)))}`;
}

/**
 * The judge as a metric of the engine. Reject -> Failed (failureLimit 0: one rejection rolls
 * back). As a gate: accept -> Successful, anything else -> Inconclusive, which only the deadline
 * ends. As a guard: Successful whenever it does not reject, so it never holds the steps up.
 * Measures every `judge.intervalSeconds` (default: the scrape interval) from the canary's first
 * second of traffic (that reading is the baseline). Keeps its state per run: build a new one for
 * each rollout.
 */
export function judgeMetric(
    judge: JudgeSpec,
    args: BaseArgs & {
        scrapeIntervalSeconds: number;
        deadlineSeconds: number;
        /** Whose counters the judge reads. Defaults to ingress-nginx. */
        router?: RouterKind;
    },
    source: MetricsSource,
): Metric {
    const params: SequentialParams = judge;
    checkParams(params);
    const { scrapeIntervalSeconds, deadlineSeconds, router, ...base } = args;
    const kind = router ?? ROUTER_DEFAULTS.kind;
    const templates = judgeQueries(kind);
    // The most intervals a run can have: the floor's depth (sequential.ts floor).
    const horizonIntervals = Math.ceil(deadlineSeconds / judge.intervalSeconds) + 1;
    const { rejectAbove, acceptAbove } = bounds(params);
    const r = two(rejectAbove);
    const a = two(acceptAbove);
    const tol = judge.tolerance;
    const condition = judgeCondition(judge);
    // The queries have no window: renderQuery only fills the names they use.
    const queries = KEYS.map((k) => renderQuery(templates[k], { ...base, window: "" }));
    const query = queries.join(" ; ");
    const ageQuery = renderQuery(judgeAgeQuery(kind), { ...base, window: "" });
    let state = initialState();
    // When the reading that set the current baseline was taken, and the time of its sample
    // (canary traffic seconds; undefined when Prometheus did not say).
    let baseAt = 0;
    let baseSample: number | undefined;
    let scrapes = NO_SCRAPES;
    let held = 0;
    return {
        name: "judge",
        intervalSeconds: judge.intervalSeconds,
        initialDelaySeconds: 0,
        limits: {
            failureLimit: 0,
            inconclusiveLimit: JUDGE_INCONCLUSIVE_LIMIT,
            consecutiveErrorLimit: DEFAULT_LIMITS.consecutiveErrorLimit,
        },
        nextReadingSeconds(dueSeconds: number): number {
            return nextReading(scrapes, dueSeconds, scrapeIntervalSeconds);
        },
        async measure(ctx: MeasureContext): Promise<MeasurementResult> {
            const at = ctx.canaryTrafficSeconds;
            // No reading on an Error: the state is untouched, the next counts from the last.
            const [results, age] = await Promise.all([
                queryWithin(source, queries, ctx, query),
                sampleAge(source, ageQuery, ctx),
            ]);
            scrapes = observe(scrapes, at, age, scrapeIntervalSeconds);
            const { sample } = scrapes;
            if (!Array.isArray(results)) {
                return results;
            }
            // A malformed answer is an Error, never counted: the state is untouched.
            const bad = KEYS.map((k, i) => counterProblem(k, results[i])).find(Boolean);
            if (bad) {
                return { phase: "Error", message: bad, query, condition: "" };
            }
            const before = state;
            const reading = { ...ZERO };
            KEYS.forEach((k, i) => {
                reading[k] = valueOf(results[i], before.base?.[k]);
            });
            // The interval's length: between its two samples when Prometheus gave their times
            // (the counts are exactly the requests between them), else between the readings.
            const sampled = sample !== undefined && baseSample !== undefined;
            const timing = {
                seconds: sampled ? sample - baseSample! : at - baseAt,
                scrapeSeconds: scrapeIntervalSeconds,
                horizonIntervals,
            };
            // The interval's counts are the requests between its samples; without their times,
            // from scrapes in (baseAt - scrape interval, at].
            const during = sampled
                ? weightsDuring(ctx.weights, baseSample!, sample)
                : weightsDuring(ctx.weights, baseAt - scrapeIntervalSeconds, at);
            state = update(state, reading, params, timing);
            if (state.base !== before.base) {
                baseAt = at;
                baseSample = sample;
            }
            const d = decide(state, params);
            const c = d.counts;
            const value = [
                Number(d.rejectLogE.toFixed(3)),
                Number(d.acceptLogE.toFixed(3)),
                c.canaryFailures,
                c.canaryRequests,
                c.stableFailures,
                c.stableRequests,
            ];
            const used = state.used > before.used;
            const tempered =
                used && state.lastTemper > 1
                    ? ` (the last interval's evidence divided by the errors' dispersion, ${two(state.lastTemper)})`
                    : "";
            const counts = describeCounts(c);
            const inc = used ? state.recent[state.recent.length - 1] : undefined;
            const straddle =
                inc && during.length > 1
                    ? `; the weight went ${during.map((w) => `${w}%`).join(" -> ")} within the ` +
                      `last interval, counted at the canary's share of its requests, ` +
                      `${pct(inc.canaryRequests, inc.canaryRequests + inc.stableRequests)}`
                    : "";
            const out = { query, condition, value, requests: c.canaryRequests };
            if (d.decision === "reject") {
                return {
                    ...out,
                    phase: "Failed",
                    message:
                        `${counts}: ln e ${two(d.rejectLogE)} >= ${r}${tempered}: the canary's ` +
                        `error rate is more than ${tol} above stable's (the evidence points to ` +
                        `${strongest(state, tol)}), ${afterFirstTraffic(at)}${straddle}`,
                };
            }
            if (judge.role === "gate" && d.decision === "accept") {
                return {
                    ...out,
                    phase: "Successful",
                    message:
                        `${counts}: accept ln e ${two(d.acceptLogE)} >= ${a}: the canary's error ` +
                        `rate is within ${tol} of stable's${straddle}`,
                };
            }
            // Why it cannot say more yet: the first reason that holds.
            const missing = KEYS.find((k) => !Number.isFinite(reading[k]));
            const reasons: [boolean, () => string][] = [
                [
                    !!missing,
                    () =>
                        `no value for ${missing} (NaN, or no series where there was one); reading skipped`,
                ],
                [!before.base, () => "baseline reading of the counters; counting from here"],
                [
                    state.skipped > before.skipped,
                    () =>
                        "a counter went down or jumped (restart or failed scrape); interval skipped",
                ],
            ];
            const blocked = reasons.find(([holds]) => holds);
            if (judge.role === "guard" && !blocked) {
                if (holdsPromotion(d.rejectLogE, rejectAbove, held, ctx.analysis === true)) {
                    held++;
                    const why = holdReason(d.rejectLogE, rejectAbove, held);
                    return {
                        ...out,
                        phase: "Inconclusive",
                        message: `${counts}: ${why}${tempered}`,
                    };
                }
                return {
                    ...out,
                    phase: "Successful",
                    message:
                        `${counts}: ln e ${two(d.rejectLogE)} < ${r}${tempered}: no evidence that ` +
                        `the canary's error rate is more than ${tol} above stable's${straddle}`,
                };
            }
            const waiting: [boolean, () => string][] = [
                ...reasons,
                [
                    c.canaryRequests === 0,
                    () =>
                        `no canary requests counted yet (scrape interval ${scrapeIntervalSeconds}s)`,
                ],
                [
                    d.waitingFor === "minRequests",
                    () =>
                        `accept ln e ${two(d.acceptLogE)} >= ${a}, but fewer than minRequests ${judge.minRequests} canary requests`,
                ],
                [
                    true,
                    () =>
                        `accept ln e ${two(d.acceptLogE)} < ${a} and roll-back ln e ` +
                        `${two(d.rejectLogE)} < ${r}${tempered}: not enough evidence yet, waiting for more requests`,
                ],
            ];
            const why = waiting.find(([holds]) => holds)![1]();
            return {
                ...out,
                phase: "Inconclusive",
                message: `${counts}: ${why}${straddle}`,
            };
        },
    };
}

/**
 * What makes a counter's answer unusable, or undefined. Each query is a sum(...), one series at
 * most, of request counters, 0 or more; NaN is a missing reading (valueOf). Anything else would
 * be counted as requests that never happened: a stable failure count of -5000 at the baseline
 * makes the next interval's stable failures 5004, and a canary failing 30% looks the better one.
 */
function counterProblem(key: keyof Counts, r: QueryResult): string | undefined {
    if (r.values.length > 1) {
        return `the judge's ${key} query returned ${r.values.length} series, but a sum(...) returns at most one; the answer is not Prometheus' own`;
    }
    const v = r.values[0];
    if (r.values.length === 1 && !Number.isNaN(v) && !(v >= 0 && v < Infinity)) {
        return `the judge's ${key} query returned ${fmt(v)}, not a count of requests (0 or more); the answer is not a request counter's`;
    }
    return undefined;
}

/**
 * One counter from a query result. No series is 0 before any was seen (the canary's failures
 * before its first 5xx) but missing (NaN) after: a failed scrape, not a reset to 0.
 */
function valueOf(r: QueryResult, previous: number | undefined): number {
    if (r.values.length === 0) {
        return previous !== undefined && previous > 0 ? NaN : 0;
    }
    // One finite value or NaN (counterProblem).
    return r.values[0];
}
