// Analysis rules, pure: how one query result becomes a measurement phase, and how a run of
// measurements becomes a verdict (Argo Rollouts' assessMetricStatus: failureLimit,
// inconclusiveLimit, consecutiveErrorLimit).
import { Condition } from "./condition";
import type { MetricLimits } from "./spec";
import { Measurement, Phase } from "./types";

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
 * Phase of one threshold measurement. Empty vectors, NaN and too few requests are Inconclusive:
 * no data is never a pass. With both conditions, neither matching is Inconclusive (Argo).
 */
export function classify(
    values: number[],
    success: Condition | undefined,
    failure: Condition | undefined,
    requests: number | undefined,
    minRequests: number,
): Classified {
    if (values.length === 0) {
        return { phase: "Inconclusive", message: "the query returned no data (empty vector)" };
    }
    if (values.some((v) => Number.isNaN(v))) {
        return {
            phase: "Inconclusive",
            message: "the query returned NaN (no requests in the window?)",
        };
    }
    if (requests !== undefined && requests < minRequests) {
        return {
            phase: "Inconclusive",
            message: `only ${fmt(requests)} requests in the window, fewer than minRequests ${minRequests}`,
        };
    }
    const result = values.length === 1 ? values[0] : values;
    const failed = failure?.evaluate(result);
    if (failed) {
        return { phase: "Failed", message: `failureCondition "${failure!.source}" is true` };
    }
    if (success) {
        if (success.evaluate(result)) {
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

/** Numbers as people read them: 0.9512, 1234, NaN. */
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
    return Number.isFinite(v) ? String(Number(v.toPrecision(4))) : String(v);
}
