// Analysis rules, pure: how one query result becomes a measurement phase, and how a run of
// measurements becomes a verdict (Argo Rollouts' assessMetricStatus: failureLimit,
// inconclusiveLimit, consecutiveErrorLimit).
import { cut } from "./check";
import { Condition, ValueRange } from "./condition";
import { METRIC_RANGE, type MetricLimits } from "./spec";
import {
    Measurement,
    MeasureContext,
    MeasurementResult,
    MetricsSource,
    Phase,
    QueryResult,
} from "./types";

export const DEFAULT_LIMITS: MetricLimits = {
    failureLimit: 0,
    inconclusiveLimit: 0,
    consecutiveErrorLimit: 4,
};

export interface Classified {
    phase: Phase;
    message: string;
}

/**
 * Longest message of one measurement. Prometheus' own error text is quoted, and a query's answer
 * can be anything: a failure reason stays readable (200,000 series once made 1.2 million
 * characters).
 */
export const MAX_MESSAGE_CHARS = 500;

/** A message as recorded: cut to MAX_MESSAGE_CHARS. */
export function clip(message: string): string {
    return cut(message, MAX_MESSAGE_CHARS);
}

/**
 * A measurement's queries, all at once, each within the time left before the rollout's deadline
 * (ctx.timeLeftMs): one measurement takes at most one Prometheus timeout, retries included, and
 * never runs past the deadline. The answers in order; or, when one fails, the Error measurement
 * that records `query` and the failure (no condition: an answer that could not be judged).
 */
export async function queryWithin(
    source: MetricsSource,
    queries: string[],
    ctx: MeasureContext,
    query: string,
): Promise<QueryResult[] | MeasurementResult> {
    const options = { timeoutMs: ctx.timeLeftMs };
    try {
        return await Promise.all(queries.map((q) => source.query(q, options)));
    } catch (e) {
        return { phase: "Error", message: clip((e as Error).message), query, condition: "" };
    }
}

/**
 * Phase of one threshold measurement from the query's series. Only a well-formed answer can
 * pass: exactly one series, a finite value inside the metric's range. More series, +Inf, -Inf
 * or a value out of range is an Error; an empty vector, NaN and too few requests are
 * Inconclusive (no data is never a pass). With both conditions, neither matching is
 * Inconclusive (Argo).
 */
export function classify(
    values: number[],
    success: Condition | undefined,
    failure: Condition | undefined,
    requests: number | undefined,
    minRequests: number,
    range: ValueRange = METRIC_RANGE,
): Classified {
    if (values.length === 0) {
        return { phase: "Inconclusive", message: "the query returned no data (empty vector)" };
    }
    if (values.length > 1) {
        return { phase: "Error", message: manySeries("query", values.length) };
    }
    const [v] = values;
    if (Number.isNaN(v)) {
        return {
            phase: "Inconclusive",
            message: "the query returned NaN (no requests in the window?)",
        };
    }
    const [lo, hi] = range;
    if (!(v >= lo && v <= hi)) {
        return {
            phase: "Error",
            message:
                `the query returned ${fmt(v)}, outside the metric's range [${lo}, ${hi}]` +
                (Number.isFinite(v) ? "" : " (a division by zero?)") +
                "; check the query, or declare the range of its values",
        };
    }
    if (requests !== undefined && requests < minRequests) {
        return {
            phase: "Inconclusive",
            message: `only ${fmt(requests)} requests in the window, fewer than minRequests ${minRequests}`,
        };
    }
    const failed = failure?.evaluate(v);
    if (failed) {
        return { phase: "Failed", message: `failureCondition "${failure!.source}" is true` };
    }
    if (success) {
        if (success.evaluate(v)) {
            return { phase: "Successful", message: `successCondition "${success.source}" is true` };
        }
        return failure
            ? {
                  phase: "Inconclusive",
                  message: "neither the success nor the failure condition is true",
              }
            : { phase: "Failed", message: `successCondition "${success.source}" is false` };
    }
    return { phase: "Successful", message: `failureCondition "${failure!.source}" is false` };
}

/**
 * The canary's request count from the requests query: no series (no request yet) and NaN are 0;
 * more than one series, a negative or an infinite count is an Error.
 */
export function requestCount(values: number[]): number | Classified {
    if (values.length > 1) {
        return { phase: "Error", message: manySeries("requestsQuery", values.length) };
    }
    const v = values.length === 0 || Number.isNaN(values[0]) ? 0 : values[0];
    if (!(v >= 0 && v < Infinity)) {
        return {
            phase: "Error",
            message: `the requestsQuery returned ${fmt(v)}, not a count of requests (0 or more); check the query`,
        };
    }
    return v;
}

function manySeries(what: string, n: number): string {
    return `the ${what} returned ${n} series, but a metric's query must return exactly one; aggregate them with sum(...), e.g. sum(rate(...[{{args.window}}]))`;
}

export interface Tally {
    successful: number;
    failed: number;
    inconclusive: number;
    error: number;
    consecutiveErrors: number;
}

export function tally(measurements: Pick<Measurement, "phase">[]): Tally {
    const t: Tally = { successful: 0, failed: 0, inconclusive: 0, error: 0, consecutiveErrors: 0 };
    for (const m of measurements) {
        switch (m.phase) {
            case "Successful":
                t.successful++;
                break;
            case "Failed":
                t.failed++;
                break;
            case "Inconclusive":
                t.inconclusive++;
                break;
            case "Error":
                t.error++;
                break;
        }
        t.consecutiveErrors = m.phase === "Error" ? t.consecutiveErrors + 1 : 0;
    }
    return t;
}

/** Running, or the terminal phase a metric reached, with the limit that was crossed. */
export type Assessment =
    { status: "Running" } | { status: Exclude<Phase, "Successful">; limit: string; count: number };

/**
 * Argo's rules: a metric fails when failed measurements exceed failureLimit, is inconclusive
 * when inconclusive ones exceed inconclusiveLimit, and errors when consecutive errors exceed
 * consecutiveErrorLimit. E.g. failureLimit 3 fails on the 4th failed measurement.
 */
export function assess(
    measurements: Pick<Measurement, "phase">[],
    limits: MetricLimits,
): Assessment {
    const t = tally(measurements);
    if (t.failed > limits.failureLimit) {
        return { status: "Failed", limit: `failureLimit ${limits.failureLimit}`, count: t.failed };
    }
    if (t.consecutiveErrors > limits.consecutiveErrorLimit) {
        return {
            status: "Error",
            limit: `consecutiveErrorLimit ${limits.consecutiveErrorLimit}`,
            count: t.consecutiveErrors,
        };
    }
    if (t.inconclusive > limits.inconclusiveLimit) {
        return {
            status: "Inconclusive",
            limit: `inconclusiveLimit ${limits.inconclusiveLimit}`,
            count: t.inconclusive,
        };
    }
    return { status: "Running" };
}

/**
 * A request count as a person should read it: exact counts as counts (`over 120 requests`),
 * and the fractional ones that increase() extrapolates labelled as estimates
 * (`over ~8.9 requests (estimated by increase())`).
 */
export function fmtRequests(requests: number): string {
    return Number.isInteger(requests)
        ? `${requests} requests`
        : `~${fmt(Number(requests.toPrecision(2)))} requests (estimated by increase())`;
}

/** Numbers as people read them: 0.9512, 1234, NaN, +Inf. */
export function fmt(v: number | number[] | undefined): string {
    if (v === undefined) {
        return "no value";
    }
    if (Array.isArray(v)) {
        return `[${v.map((x) => fmt(x)).join(", ")}]`;
    }
    if (Number.isInteger(v)) {
        return String(v);
    }
    if (Number.isNaN(v)) {
        return "NaN";
    }
    // Prometheus' names for the infinities.
    return Number.isFinite(v) ? String(Number(v.toPrecision(4))) : v > 0 ? "+Inf" : "-Inf";
}
