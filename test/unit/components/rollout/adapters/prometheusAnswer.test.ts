// readAnswer: Prometheus' JSON -> the values of an instant vector, or an error naming what came
// back. The HTTP side (statuses, HTML, size, silence) is in test/faults/prometheus.test.ts.
import * as assert from "assert";
import {
    describeEndpoint,
    readAnswer,
} from "../../../../../components/rollout/adapters/prometheus";

const vector = (...result: unknown[]) => ({
    status: "success",
    data: { resultType: "vector", result },
});
const sample = (v: unknown) => ({ metric: { service: "demo-canary" }, value: [1700000000, v] });
const NOT_VECTOR =
    "not an instant vector; a metric's query must return exactly one series, e.g. sum(rate(...[{{args.window}}]))";

describe("adapters/prometheus readAnswer", () => {
    it("reads sample values, with Prometheus' names for the infinities and NaN", () => {
        const { values } = readAnswer(
            vector(
                ...["0.5", "1", "1e-05", "-2.5E+3", ".5", "+Inf", "Inf", "-Inf", "NaN"].map(sample),
            ),
        );
        assert.deepStrictEqual(values, [
            0.5,
            1,
            0.00001,
            -2500,
            0.5,
            Infinity,
            Infinity,
            -Infinity,
            NaN,
        ]);
    });

    it("a number past a double's range is an infinity, and infos are not warnings", () => {
        // +Inf is outside every metric's range: an Error (test/faults/prometheus.test.ts "+Inf").
        const answer = { ...vector(sample("1e309"), sample("-1e309")), infos: ["PromQL info"] };
        assert.deepStrictEqual(readAnswer(answer), { values: [Infinity, -Infinity] });
        assert.deepStrictEqual(readAnswer({ ...vector(), warnings: [] }), { values: [] });
        // Prometheus 2.45-2.53 and Thanos put infos among the warnings, with this prefix.
        const info =
            "PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: " +
            '"nginx_ingress_controller_requests" (1:6)';
        assert.deepStrictEqual(readAnswer({ ...vector(sample("0.5")), warnings: [info] }), {
            values: [0.5],
        });
    });

    it("an empty vector is no values", () => {
        assert.deepStrictEqual(readAnswer(vector()), { values: [] });
    });

    const rejected: [string, unknown, string][] = [
        [
            "a rejected query",
            { status: "error", errorType: "bad_data", error: "parse error" },
            "Prometheus rejected the query (bad_data): parse error",
        ],
        [
            "no data",
            { status: "success" },
            'the answer is not a Prometheus query result (no "status": "success" with "data"): {"status":"success"}',
        ],
        [
            "not an object",
            42,
            'the answer is not a Prometheus query result (no "status": "success" with "data"): 42',
        ],
        [
            "a result type from the prototype chain",
            { status: "success", data: { resultType: "constructor", result: [] } },
            `Prometheus answered a result of type "constructor", ${NOT_VECTOR}`,
        ],
        [
            "a vector that is not a list",
            { status: "success", data: { resultType: "vector", result: {} } },
            "the answer's vector is not a list: {}",
        ],
        [
            "a native histogram instead of a value",
            vector({ metric: {}, histogram: [1, { count: "3" }] }),
            'a series of the answer has no [time, "value"] sample: {"metric":{},"histogram":[1,{"count":"3"}]}',
        ],
        [
            "a number, not a string",
            vector(sample(0.99)),
            'a series of the answer has no [time, "value"] sample: {"metric":{"service":"demo-canary"},"value":[1700000000,0.99]}',
        ],
        [
            "a sample time that is not a number",
            vector({ metric: {}, value: ["soon", "0.99"] }),
            'a series of the answer has no [time, "value"] sample: {"metric":{},"value":["soon","0.99"]}',
        ],
        [
            "a sample without a time",
            vector({ metric: {}, value: [null, "0.99"] }),
            'a series of the answer has no [time, "value"] sample: {"metric":{},"value":[null,"0.99"]}',
        ],
        [
            "a success with warnings (a partial answer)",
            { ...vector(sample("0.99")), warnings: ["remote read: store eu-1 unavailable"] },
            'Prometheus answered with warnings, so its data may be partial (a failed remote read or store): ["remote read: store eu-1 unavailable"]; fix what it warns of, a partial answer is not measured',
        ],
        [
            "a warning beside an info: the warning alone is named",
            {
                ...vector(sample("0.99")),
                warnings: ["PromQL info: metric might not be a counter", "partial response"],
            },
            'Prometheus answered with warnings, so its data may be partial (a failed remote read or store): ["partial response"]; fix what it warns of, a partial answer is not measured',
        ],
        ["a word", vector(sample("high")), 'a series\' value "high" is not a number'],
        ["hex", vector(sample("0x10")), 'a series\' value "0x10" is not a number'],
        ["empty", vector(sample("")), 'a series\' value "" is not a number'],
    ];
    for (const [name, answer, message] of rejected) {
        it(`rejects ${name}`, () => assert.throws(() => readAnswer(answer), { message }));
    }

    it("a message quotes at most 80 characters of the answer", () => {
        const long = { status: "success", note: "x".repeat(100_000) };
        assert.throws(() => readAnswer(long), {
            message:
                'the answer is not a Prometheus query result (no "status": "success" with "data"): {"status":"success","note":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... (100030 characters)',
        });
    });
});

describe("adapters/prometheus describeEndpoint", () => {
    it("never shows credentials written into a URL", () => {
        assert.strictEqual(
            describeEndpoint({
                url: "https://admin:s3cret@prom.example.com:9090/",
                timeoutSeconds: 10,
            }),
            "https://prom.example.com:9090",
        );
    });
    it("names a service reached through the API server", () => {
        assert.strictEqual(
            describeEndpoint({
                service: { namespace: "monitoring", name: "prometheus", port: 9090 },
                timeoutSeconds: 10,
            }),
            "service monitoring/prometheus:9090 via the Kubernetes API server",
        );
    });
});
