// thresholdMetric: both queries within the time left, a source's error as an Error measurement
// with its query, and the value's malformation reported before the request count's.
import * as assert from "assert";
import { thresholdMetric } from "../../../../../components/rollout/core/metrics";
import { resolveSpec } from "../../../../../components/rollout/core/spec";
import { MetricsSource, QueryOptions } from "../../../../../components/rollout/core/types";
import { DEMO_ARGS as ARGS } from "../../../../support/queryArgs";

const SERIES =
    "series, but a metric's query must return exactly one; aggregate them with sum(...), e.g. sum(rate(...[{{args.window}}]))";

/** A source that answers the requests query (increase) and the value query from two lists. */
function source(value: number[], requests: number[] | Error) {
    const calls: [string, QueryOptions | undefined][] = [];
    const s: MetricsSource & { calls: typeof calls } = {
        calls,
        async query(promql, options) {
            calls.push([promql.includes("increase(") ? "requests" : "value", options]);
            if (!promql.includes("increase(")) {
                return { values: value };
            }
            if (requests instanceof Error) {
                throw requests;
            }
            return { values: requests };
        },
    };
    return s;
}

function metric(src: MetricsSource, raw: object = {}) {
    const { spec, problems } = resolveSpec(
        { analysis: { metrics: [{ window: "2m", ...raw }] } },
        { scrapeIntervalSeconds: 30 },
    );
    assert.deepStrictEqual(problems, []);
    return thresholdMetric(spec.metrics[0], ARGS, src, 120);
}

const CTX = {
    stepIndex: 1,
    weight: 20,
    canaryTrafficSeconds: 300,
    timeLeftMs: 4321,
    weights: [{ atSeconds: 0, weight: 20 }],
};

describe("rollout/metrics thresholdMetric", () => {
    it("sends both queries with the time left before the deadline", async () => {
        const src = source([0.99], [150]);
        const m = await metric(src).measure(CTX);
        assert.deepStrictEqual(
            [m.phase, m.value, m.requests, m.message],
            ["Successful", 0.99, 150, 'successCondition "result[0] >= 0.95" is true'],
        );
        assert.deepStrictEqual(src.calls, [
            ["value", { timeoutMs: 4321 }],
            ["requests", { timeoutMs: 4321 }],
        ]);
    });

    it("a source's error is an Error measurement that keeps its query", async () => {
        const src = source([0.99], new Error(`Prometheus answered ${"x".repeat(2000)}`));
        const m = await metric(src).measure(CTX);
        assert.strictEqual(m.phase, "Error");
        assert.strictEqual(
            m.message,
            `Prometheus answered ${"x".repeat(480)}... (2020 characters)`,
        );
        assert.match(m.query, /^sum\(rate\(nginx_ingress_controller_requests\{namespace="demo"/);
        assert.strictEqual(m.condition, "", "an Error applied no condition");
    });

    it("the value's malformation is reported before the request count's", async () => {
        const m = await metric(source([0.9, 0.99], [1, 2])).measure(CTX);
        assert.deepStrictEqual([m.phase, m.message], ["Error", `the query returned 2 ${SERIES}`]);
    });

    it("a malformed request count is an Error even when the value would pass", async () => {
        const m = await metric(source([0.99], [1, 2])).measure(CTX);
        assert.deepStrictEqual(
            [m.phase, m.message, m.value, m.requests],
            ["Error", `the requestsQuery returned 2 ${SERIES}`, 0.99, undefined],
        );
    });

    it("a declared range is the metric's: 42 in [0, 100] is measured, 142 is an Error", async () => {
        const raw = { range: [0, 100], successCondition: "result[0] >= 40" };
        assert.strictEqual(
            (await metric(source([42], [150]), raw).measure(CTX)).phase,
            "Successful",
        );
        const out = await metric(source([142], [150]), raw).measure(CTX);
        assert.deepStrictEqual(
            [out.phase, out.message],
            [
                "Error",
                "the query returned 142, outside the metric's range [0, 100]; check the query, or declare the range of its values",
            ],
        );
    });
});
