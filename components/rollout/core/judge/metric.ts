// The judge as a metric of the engine: the four counters it queries, the bookkeeping of weight
// changes between readings, and the messages of each measurement. The test itself is sprt.ts.
import { DEFAULT_LIMITS, fmt } from "../analysis";
import { BaseArgs, renderQuery } from "../queries";
import { JudgeSpec } from "../spec";
import { MeasureContext, MeasurementResult, Metric, MetricsSource, QueryResult } from "../types";
import {
    bounds,
    checkParams,
    Counts,
    decide,
    initialState,
    KEYS,
    SequentialParams,
    update,
    ZERO,
} from "./sprt";

const SERIES = "nginx_ingress_controller_requests";
const CANARY = 'namespace="{{args.namespace}}",service="{{args.service}}"';
const STABLE = 'namespace="{{args.namespace}}",service="{{args.stableService}}"';
const FAILED = 'status=~"{{args.failureStatus}}"';

/** The four counters, as query templates: their values at the latest scrape. */
export const JUDGE_QUERIES: Record<keyof Counts, string> = {
    canaryRequests: `sum(${SERIES}{${CANARY}})`,
    canaryFailures: `sum(${SERIES}{${CANARY},${FAILED}})`,
    stableRequests: `sum(${SERIES}{${STABLE}})`,
    stableFailures: `sum(${SERIES}{${STABLE},${FAILED}})`,
};

/**
 * Waiting is Inconclusive, and must not abort: with 1% errors at 2 requests/s the judge needs
 * most of a 30-minute deadline, i.e. ~180 inconclusive measurements at a 10s interval. The
 * deadline ends a run that cannot decide (Inconclusive, never a pass); 1e6 measurements at the
 * shortest interval (1s) would take 11 days.
 */
export const JUDGE_INCONCLUSIVE_LIMIT = 1_000_000;

function num(v: number): string {
    return fmt(Math.round(v * 10) / 10);
}

function pct(failures: number, requests: number): string {
    return requests > 0 ? `${fmt(Number(((100 * failures) / requests).toPrecision(2)))}%` : "-";
}

/** E.g. `canary 3/120 failed (2.5%) vs stable 10/2400 (0.42%)`. */
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
 * data), from the canary's first second of traffic (that reading is the baseline). Keeps its
 * state per run: build a new one for each rollout.
 */
export function judgeMetric(
    judge: JudgeSpec,
    args: BaseArgs & { scrapeIntervalSeconds: number },
    source: MetricsSource,
): Metric {
    const params: SequentialParams = judge;
    checkParams(params);
    const { scrapeIntervalSeconds, ...base } = args;
    const { acceptBelow, rejectAbove } = bounds(params);
    const a = fmt(Number(acceptBelow.toFixed(2)));
    const r = fmt(Number(rejectAbove.toFixed(2)));
    const condition =
        `SPRT log-LR <= ${a} accept (after >= ${params.minRequests} canary requests) / >= ${r} ` +
        `reject; canary error rate vs stable's + tolerance ${params.tolerance} ` +
        `(false rollback <= ${params.falseRollbackRate}, missed <= ${params.missedDetectionRate})`;
    // The queries have no window: renderQuery only fills the names they use.
    const queries = KEYS.map((k) => renderQuery(JUDGE_QUERIES[k], { ...base, window: "" }));
    const query = queries.join(" ; ");
    let state = initialState();
    // Weight changes as (earliest, latest) times in seconds of canary traffic: the judge sees a
    // new weight at its next measurement, so the change happened after the previous one.
    const changes: [number, number][] = [];
    let lastWeight: number | undefined;
    let lastAt = 0;
    let baseAt = 0;
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
            const at = ctx.canaryTrafficSeconds;
            if (lastWeight === undefined) {
                // canaryTrafficSeconds counts from the first weight above 0: that change is at 0.
                changes.push([0, 0]);
            } else if (ctx.weight !== lastWeight) {
                changes.push([lastAt, at]);
            }
            lastWeight = ctx.weight;
            lastAt = at;
            const results = await Promise.all(queries.map((q) => source.query(q)));
            const before = state;
            const reading = { ...ZERO };
            KEYS.forEach((k, i) => {
                reading[k] = valueOf(results[i], before.base?.[k]);
            });
            // The interval's counts come from scrapes in (baseAt - scrape interval, at]: a change
            // at T straddles it when T falls inside. E.g. 10s scrapes, weight 20 -> 40 between
            // readings at 50s and 60s: the intervals closed at 60s and 70s are dropped.
            const straddles = changes.some(
                ([lo, hi]) => at > lo && baseAt - scrapeIntervalSeconds < hi,
            );
            state = update(state, reading, params, straddles);
            if (state.base !== before.base) {
                baseAt = at;
            }
            const d = decide(state, params);
            const c = d.counts;
            const value = [
                Number(d.logLR.toFixed(3)),
                c.canaryFailures,
                c.canaryRequests,
                c.stableFailures,
                c.stableRequests,
            ];
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
            // Why it is still waiting: the first reason that holds.
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
                [
                    state.straddled > before.straddled,
                    () =>
                        "the canary's weight changed within the last interval; counting from here",
                ],
                [
                    c.canaryRequests === 0,
                    () =>
                        `no canary requests counted yet (scrape interval ${scrapeIntervalSeconds}s)`,
                ],
                [
                    d.waitingFor === "minRequests",
                    () =>
                        `${stat} <= ${a}, but fewer than minRequests ${params.minRequests} canary requests`,
                ],
                [
                    true,
                    () =>
                        `${stat} is between ${a} and ${r}: not enough evidence yet, waiting for more requests`,
                ],
            ];
            const why = reasons.find(([holds]) => holds)![1]();
            return { ...out, phase: "Inconclusive", message: `${counts}: ${why}` };
        },
    };
}

/**
 * One counter from a query result. No series is 0 before any was seen (the canary's failures
 * before its first 5xx) but missing (NaN) after: a failed scrape, not a reset to 0.
 */
function valueOf(r: QueryResult, previous: number | undefined): number {
    if (r.values.length === 0) {
        return previous !== undefined && previous > 0 ? NaN : 0;
    }
    const sum = r.values.reduce((s, v) => s + v, 0);
    return Number.isFinite(sum) ? sum : NaN;
}
