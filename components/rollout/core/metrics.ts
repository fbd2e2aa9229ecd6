// Threshold metrics (the tutorial's kind): a PromQL template rendered with args, a success and/or
// failure condition, and a minimum request count, measured through a MetricsSource.
import { classify, DEFAULT_LIMITS } from "./analysis";
import { parseCondition } from "./condition";
import { BaseArgs, renderQuery, windowFor } from "./queries";
import { MetricSpec } from "./spec";
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
            let requests: number | undefined;
            if (spec.minRequests > 0) {
                const r = await source.query(renderQuery(spec.requestsQuery, full));
                requests = r.values.length === 0 || Number.isNaN(r.values[0]) ? 0 : r.values[0];
            }
            const { values } = await source.query(query);
            const c = classify(values, success, failure, requests, spec.minRequests);
            return {
                phase: c.phase,
                message: c.message,
                query,
                condition,
                value: values.length === 1 ? values[0] : values.length ? values : undefined,
                requests,
            };
        },
    };
}
