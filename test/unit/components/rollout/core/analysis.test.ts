import * as assert from "assert";
import { assess, classify, tally } from "../../../../../components/rollout/core/analysis";
import { parseCondition } from "../../../../../components/rollout/core/condition";
import { Phase } from "../../../../../components/rollout/core/types";

const ok = parseCondition("result[0] >= 0.95");
const bad = parseCondition("result[0] < 0.5");

describe("rollout/analysis classify", () => {
    const cases: [string, number[], number | undefined, Phase, RegExp][] = [
        ["empty vector", [], 100, "Inconclusive", /no data \(empty vector\)/],
        ["NaN", [NaN], 100, "Inconclusive", /NaN/],
        [
            "too few requests",
            [1],
            9,
            "Inconclusive",
            /only 9 requests in the window, fewer than minRequests 10/,
        ],
        ["exactly minRequests", [1], 10, "Successful", /successCondition/],
        ["success at the boundary", [0.95], 100, "Successful", /is true/],
        ["neither condition", [0.7], 100, "Inconclusive", /neither/],
        ["failure condition", [0.4], 100, "Failed", /failureCondition "result\[0\] < 0.5" is true/],
        ["no request count given", [0.99], undefined, "Successful", /is true/],
    ];
    for (const [name, values, requests, phase, message] of cases) {
        it(`${name} -> ${phase}`, () => {
            const c = classify(values, ok, bad, requests, 10);
            assert.strictEqual(c.phase, phase);
            assert.match(c.message, message);
        });
    }
    it("success condition only: false is Failed", () => {
        assert.deepStrictEqual(classify([0.9], ok, undefined, 100, 1), {
            phase: "Failed",
            message: 'successCondition "result[0] >= 0.95" is false',
        });
    });
    it("failure condition only: false is Successful", () => {
        assert.strictEqual(classify([0.9], undefined, bad, 100, 1).phase, "Successful");
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
