import * as assert from "assert";
import {
    assess,
    classify,
    clip,
    fmt,
    requestCount,
    tally,
} from "../../../../../components/rollout/core/analysis";
import { parseCondition } from "../../../../../components/rollout/core/condition";
import { Phase } from "../../../../../components/rollout/core/types";

const ok = parseCondition("result[0] >= 0.95");
const bad = parseCondition("result[0] < 0.5");

const SERIES =
    "series, but a metric's query must return exactly one; aggregate them with sum(...), e.g. sum(rate(...[{{args.window}}]))";

describe("rollout/analysis classify", () => {
    const RANGE = "outside the metric's range [0, 1]";
    const FIX = "; check the query, or declare the range of its values";
    const cases: [string, number[], number | undefined, Phase, string][] = [
        ["empty vector", [], 100, "Inconclusive", "the query returned no data (empty vector)"],
        ["NaN", [NaN], 100, "Inconclusive", "the query returned NaN (no requests in the window?)"],
        ["three series", [0.99, 0.98, 0.2], 100, "Error", `the query returned 3 ${SERIES}`],
        ["a success rate of 7.5", [7.5], 100, "Error", `the query returned 7.5, ${RANGE}${FIX}`],
        ["a negative rate", [-0.1], 100, "Error", `the query returned -0.1, ${RANGE}${FIX}`],
        [
            "+Inf",
            [Infinity],
            100,
            "Error",
            `the query returned +Inf, ${RANGE} (a division by zero?)${FIX}`,
        ],
        [
            "-Inf",
            [-Infinity],
            100,
            "Error",
            `the query returned -Inf, ${RANGE} (a division by zero?)${FIX}`,
        ],
        [
            "out of range before too few requests",
            [7.5],
            0,
            "Error",
            `the query returned 7.5, ${RANGE}${FIX}`,
        ],
        [
            "too few requests",
            [1],
            9,
            "Inconclusive",
            "only 9 requests in the window, fewer than minRequests 10",
        ],
        [
            "exactly minRequests",
            [1],
            10,
            "Successful",
            'successCondition "result[0] >= 0.95" is true',
        ],
        [
            "success at the boundary",
            [0.95],
            100,
            "Successful",
            'successCondition "result[0] >= 0.95" is true',
        ],
        [
            "range ends are in range",
            [0],
            100,
            "Failed",
            'failureCondition "result[0] < 0.5" is true',
        ],
        [
            "neither condition",
            [0.7],
            100,
            "Inconclusive",
            "neither the success nor the failure condition is true",
        ],
        ["failure condition", [0.4], 100, "Failed", 'failureCondition "result[0] < 0.5" is true'],
        [
            "no request count given",
            [0.99],
            undefined,
            "Successful",
            'successCondition "result[0] >= 0.95" is true',
        ],
    ];
    for (const [name, values, requests, phase, message] of cases) {
        it(`${name} -> ${phase}`, () => {
            assert.deepStrictEqual(classify(values, ok, bad, requests, 10), { phase, message });
        });
    }
    it("a declared range replaces [0, 1]: 7.5 in [0, 10] is measured", () => {
        const latency = parseCondition("result[0] < 8");
        assert.deepStrictEqual(classify([7.5], latency, undefined, 100, 10, [0, 10]), {
            phase: "Successful",
            message: 'successCondition "result[0] < 8" is true',
        });
        assert.deepStrictEqual(classify([10.5], latency, undefined, 100, 10, [0, 10]), {
            phase: "Error",
            message:
                "the query returned 10.5, outside the metric's range [0, 10]; check the query, or declare the range of its values",
        });
    });
    it("success condition only: false is Failed", () => {
        assert.deepStrictEqual(classify([0.9], ok, undefined, 100, 1), {
            phase: "Failed",
            message: 'successCondition "result[0] >= 0.95" is false',
        });
    });
    it("failure condition only: false is Successful", () => {
        assert.deepStrictEqual(classify([0.9], undefined, bad, 100, 1), {
            phase: "Successful",
            message: 'failureCondition "result[0] < 0.5" is false',
        });
    });
});

describe("rollout/analysis requestCount", () => {
    const cases: [string, number[], ReturnType<typeof requestCount>][] = [
        ["one series", [42.5], 42.5],
        ["no series yet", [], 0],
        ["NaN", [NaN], 0],
        [
            "three series",
            [1, 2, 3],
            { phase: "Error", message: `the requestsQuery returned 3 ${SERIES}` },
        ],
        [
            "negative",
            [-5],
            {
                phase: "Error",
                message:
                    "the requestsQuery returned -5, not a count of requests (0 or more); check the query",
            },
        ],
        [
            "+Inf",
            [Infinity],
            {
                phase: "Error",
                message:
                    "the requestsQuery returned +Inf, not a count of requests (0 or more); check the query",
            },
        ],
    ];
    for (const [name, values, expected] of cases) {
        it(`${name} -> ${JSON.stringify(expected)}`, () =>
            assert.deepStrictEqual(requestCount(values), expected));
    }
});

describe("rollout/analysis fmt and clip", () => {
    it("names the infinities and NaN as Prometheus does", () => {
        assert.deepStrictEqual(
            [Infinity, -Infinity, NaN, 0.95123, 12, undefined].map((v) => fmt(v)),
            ["+Inf", "-Inf", "NaN", "0.9512", "12", "no value"],
        );
    });
    it("cuts a long message and says how long it was", () => {
        const long = "x".repeat(1_200_000);
        assert.strictEqual(clip(long), `${"x".repeat(500)}... (1200000 characters)`);
        assert.strictEqual(clip("short"), "short");
    });
});

describe("rollout/analysis assess (Argo's limits)", () => {
    const p = (s: string): { phase: Phase }[] =>
        [...s].map((c) => ({
            phase: ({ S: "Successful", F: "Failed", I: "Inconclusive", E: "Error" } as const)[
                c as "S"
            ],
        }));
    const limits = { failureLimit: 3, inconclusiveLimit: 1, consecutiveErrorLimit: 2 };
    const cases: [string, string][] = [
        ["SSS", "Running"],
        ["FFF", "Running"], // failureLimit 3: three failures are still allowed
        ["FFFF", "Failed"], // the fourth fails
        ["FSFSFSF", "Failed"], // failures need not be consecutive
        ["I", "Running"],
        ["II", "Inconclusive"],
        ["EE", "Running"],
        ["EEE", "Error"],
        ["EESEE", "Running"], // a success resets consecutive errors
        ["EESEEE", "Error"],
    ];
    for (const [seq, status] of cases) {
        it(`${seq} -> ${status}`, () => assert.strictEqual(assess(p(seq), limits).status, status));
    }
    it("defaults fail on the first failure (failureLimit 0)", () => {
        assert.deepStrictEqual(
            assess(p("F"), { failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 4 }),
            {
                status: "Failed",
                limit: "failureLimit 0",
                count: 1,
            },
        );
    });
    it("tally counts each phase", () => {
        assert.deepStrictEqual(tally(p("SFIEE")), {
            successful: 1,
            failed: 1,
            inconclusive: 1,
            error: 2,
            consecutiveErrors: 2,
        });
    });
});
