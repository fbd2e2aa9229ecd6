// Threshold metrics (the tutorial's kind): a PromQL template rendered with args, a success and/or
// failure condition, and a minimum request count, measured through a MetricsSource.
import { classify, DEFAULT_LIMITS, queryWithin, requestCount } from "./analysis";
import { parseCondition } from "./condition";
import { BaseArgs, renderQuery, windowFor } from "./queries";
import { METRIC_RANGE, MetricSpec } from "./spec";
import { MeasureContext, MeasurementResult, Metric, MetricsSource } from "./types";

/** A threshold metric of a run; its rate window never gets shorter than minWindowSeconds. */
export function thresholdMetric(
    spec: MetricSpec,
    args: BaseArgs,
    source: MetricsSource,
    minWindowSeconds: number,
): Metric {
    const success = spec.successCondition ? parseCondition(spec.successCondition) : undefined;
    const failure = spec.failureCondition ? parseCondition(spec.failureCondition) : undefined;
    const range = spec.range ?? METRIC_RANGE;
    const condition = [success?.source, failure && `fail if ${failure.source}`]
        .filter(Boolean)
        .join("; ");
    return {
        name: spec.name,
        intervalSeconds: spec.intervalSeconds,
        initialDelaySeconds: spec.initialDelaySeconds,
        limits: {
            failureLimit: spec.failureLimit ?? DEFAULT_LIMITS.failureLimit,
            inconclusiveLimit: spec.inconclusiveLimit ?? DEFAULT_LIMITS.inconclusiveLimit,
            consecutiveErrorLimit:
                spec.consecutiveErrorLimit ?? DEFAULT_LIMITS.consecutiveErrorLimit,
        },
        async measure(ctx: MeasureContext): Promise<MeasurementResult> {
            const window = `${windowFor(ctx.canaryTrafficSeconds, spec.windowSeconds, minWindowSeconds)}s`;
            const full = { ...args, window };
            const query = renderQuery(spec.query, full);
            const answers = await queryWithin(
                source,
                [query, ...(spec.minRequests > 0 ? [renderQuery(spec.requestsQuery, full)] : [])],
                ctx,
                query,
            );
            if (!Array.isArray(answers)) {
                return answers;
            }
            const [{ values }, counted] = answers;
            const requests = counted ? requestCount(counted.values) : undefined;
            const n = typeof requests === "number" ? requests : undefined;
            const c = classify(values, success, failure, n, spec.minRequests, range);
            // The value's own error first; then a malformed request count; then the verdict.
            const { phase, message } =
                c.phase !== "Error" && typeof requests === "object" ? requests : c;
            const value = values.length === 1 ? values[0] : undefined;
            return {
                phase,
                message,
                query,
                condition: phase === "Error" ? "" : condition,
                value,
                requests: n,
            };
        },
    };
}
