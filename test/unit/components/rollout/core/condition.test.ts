import * as assert from "assert";
import {
    ConditionSyntaxError,
    parseCondition,
    ValueRange,
} from "../../../../../components/rollout/core/condition";

const ALLOWED =
    "allowed are numbers, result, result[0], comparisons, && || !, + - * / and the functions len, isNaN, isInf, abs, min, max";

describe("rollout/condition", () => {
    const cases: [string, number, boolean][] = [
        ["result[0] >= 0.95", 0.95, true],
        ["result[0] >= 0.95", 0.9499, false],
        ["result >= 0.95", 0.97, true],
        ["result < 0.05 && result >= 0", 0.01, true],
        ["result < 0.05 && result >= 0", -0.01, false],
        ["result < 0.05 && result >= 0", 0.05, false],
        ["!(result[0] < 0.95)", 0.96, true],
        ["result[0] >= 0.95", NaN, false],
        ["abs(result - 1) < 0.1", 0.95, true],
        ["result * 100 >= 95", 0.95, true],
        ["min(result) >= 0.9", 0.91, true],
        ["max(result) <= 0.5", 0.91, false],
        ["len(result) == 1 && result[0] > 0.5", 0.6, true],
    ];
    for (const [source, value, expected] of cases) {
        it(`${source} with ${value} is ${expected}`, () => {
            assert.strictEqual(parseCondition(source).evaluate(value), expected);
        });
    }

    const rejected: [string, string][] = [
        ["", "the condition is empty"],
        [
            "result[0] >=",
            'cannot parse "result[0] >=": Expected expression after >= at character 12',
        ],
        ["process.exit(1)", `"process.exit(1)" uses a call to an unknown function; ${ALLOWED}`],
        ["process.env", `"process.env" uses a member access other than result[0]; ${ALLOWED}`],
        ["constructor", `"constructor" uses the name "constructor"; ${ALLOWED}`],
        // Names on Object.prototype are not functions of the allow-list (`in` would say so).
        [
            "constructor(result)",
            `"constructor(result)" uses a call to an unknown function; ${ALLOWED}`,
        ],
        [
            "!hasOwnProperty(result)",
            `"!hasOwnProperty(result)" uses a call to an unknown function; ${ALLOWED}`,
        ],
        [
            "toString(result) != 0",
            `"toString(result) != 0" uses a call to an unknown function; ${ALLOWED}`,
        ],
        ["__proto__(result)", `"__proto__(result)" uses a call to an unknown function; ${ALLOWED}`],
        ["result['x']", `"result['x']" uses a member access other than result[0]; ${ALLOWED}`],
        [
            "result[-1] > 0",
            `"result[-1] > 0" uses a member access other than result[0]; ${ALLOWED}`,
        ],
        [
            "result[1] > 0.9",
            '"result[1] > 0.9" reads result[1], a series after the first, but a metric\'s query returns exactly one series; use result[0]',
        ],
        ["require('fs')", `"require('fs')" uses a call to an unknown function; ${ALLOWED}`],
        ["'a' == 'a'", `"'a' == 'a'" uses the literal 'a'; ${ALLOWED}`],
        ["result ? 1 : 0", `"result ? 1 : 0" uses a ConditionalExpression; ${ALLOWED}`],
        ["x = 1", 'cannot parse "x = 1": Unexpected "=" at character 2'],
        ["result >> 1", `"result >> 1" uses the operator >>; ${ALLOWED}`],
        [
            "len(result, 2) > 0",
            `"len(result, 2) > 0" uses len() with 2 arguments (takes 1); ${ALLOWED}`,
        ],
        // Not true or false, or mixing the two: refused before any measurement.
        [
            "result[0]",
            '"result[0]" is a number, not true or false; compare it with a limit, e.g. "result[0] >= 0.95"',
        ],
        ["result[0] && true", '"result[0] && true" uses a number as true/false in &&'],
        ["(result > 0) + 1 > 0", '"(result > 0) + 1 > 0" uses true/false as a number in +'],
        // Independent of the result: every measurement would have the same phase.
        [
            "true",
            '"true" does not depend on result: it is always true, whatever Prometheus answers; compare result with a limit, e.g. "result[0] >= 0.95"',
        ],
        [
            "1 > 0",
            '"1 > 0" does not depend on result: it is always true, whatever Prometheus answers; compare result with a limit, e.g. "result[0] >= 0.95"',
        ],
        [
            "result[0] >= 0.95 || true",
            '"result[0] >= 0.95 || true" does not depend on result: it is always true, whatever Prometheus answers; compare result with a limit, e.g. "result[0] >= 0.95"',
        ],
        [
            "false && result < 1",
            '"false && result < 1" does not depend on result: it is always false, whatever Prometheus answers; compare result with a limit, e.g. "result[0] >= 0.95"',
        ],
        [
            "len(result) > 0",
            '"len(result) > 0" does not depend on result: it is always true, whatever Prometheus answers; compare result with a limit, e.g. "result[0] >= 0.95"',
        ],
        // Always true or false, though intervals cannot tell (they forget that both sides are
        // the same result): each would pass or fail every measurement whatever Prometheus says.
        [
            "result[0] == result[0]",
            '"result[0] == result[0]" does not depend on result: it is always true, whatever Prometheus answers; compare result with a limit, e.g. "result[0] >= 0.95"',
        ],
        [
            "result - result == 0",
            '"result - result == 0" does not depend on result: it is always true, whatever Prometheus answers; compare result with a limit, e.g. "result[0] >= 0.95"',
        ],
        [
            "result < 0.5 || result >= 0.5",
            '"result < 0.5 || result >= 0.5" does not depend on result: it is always true, whatever Prometheus answers; compare result with a limit, e.g. "result[0] >= 0.95"',
        ],
        [
            "!(result != result)",
            '"!(result != result)" does not depend on result: it is always true, whatever Prometheus answers; compare result with a limit, e.g. "result[0] >= 0.95"',
        ],
        [
            "result + 1 > result",
            '"result + 1 > result" does not depend on result: it is always true, whatever Prometheus answers; compare result with a limit, e.g. "result[0] >= 0.95"',
        ],
        [
            "result < 1/0",
            '"result < 1/0" does not depend on result: it is always true, whatever Prometheus answers; compare result with a limit, e.g. "result[0] >= 0.95"',
        ],
        [
            "result != result",
            '"result != result" does not depend on result: it is always false, whatever Prometheus answers; compare result with a limit, e.g. "result[0] >= 0.95"',
        ],
        [
            // NaN never reaches a condition (it is Inconclusive first).
            "!isNaN(result[0])",
            '"!isNaN(result[0])" does not depend on result: it is always true, whatever Prometheus answers; compare result with a limit, e.g. "result[0] >= 0.95"',
        ],
    ];
    for (const [source, message] of rejected) {
        it(`rejects ${JSON.stringify(source)}`, () => {
            assert.throws(
                () => parseCondition(source),
                (e: Error) => {
                    assert.ok(e instanceof ConditionSyntaxError, String(e));
                    assert.strictEqual(e.message, message);
                    return true;
                },
            );
        });
    }

    describe("constantOver: whether a condition depends on the result in a range", () => {
        const SUCCESS_RATE: ValueRange = [0, 1];
        const cases: [string, ValueRange, boolean | undefined][] = [
            ["result[0] >= 0.95", SUCCESS_RATE, undefined],
            ["result[0] >= 0", SUCCESS_RATE, true],
            ["result[0] <= 1", SUCCESS_RATE, true],
            ["result[0] > 1", SUCCESS_RATE, false],
            ["result[0] >= 95", SUCCESS_RATE, false], // a percentage against a ratio
            ["result[0] >= 95", [0, 100], undefined],
            ["result[0] < 300", SUCCESS_RATE, true], // a latency limit against a ratio
            ["result * 100 >= 95", SUCCESS_RATE, undefined],
            ["result * 100 >= 0", SUCCESS_RATE, true],
            ["abs(result - 0.5) <= 0.5", SUCCESS_RATE, true],
            ["abs(result - 0.5) < 0.4", SUCCESS_RATE, undefined],
            ["-result <= 0", SUCCESS_RATE, true],
            // Always true, though intervals cannot tell: found on the results tried.
            ["(result + 1) / (result + 1) == 1", SUCCESS_RATE, true],
            ["(result + 1) / (result + 2) > 0", SUCCESS_RATE, true],
            ["1 / result > 2", SUCCESS_RATE, undefined], // division by a range holding 0
            ["result == 0.5", [0.5, 0.5], true],
            ["result != 2", SUCCESS_RATE, true],
            ["result < 0.5 || (result >= 0.5 && result <= 1)", SUCCESS_RATE, true],
            ["result - result == 0 && result <= 60", [0, 60], true],
            // Depends, on a sliver of the range: the numbers it names are tried, with their neighbours.
            ["result > 0.95 && result < 0.9501", SUCCESS_RATE, undefined],
            ["result != 0.1234567", SUCCESS_RATE, undefined],
            ["abs(result - 0.5) < 0.0001", SUCCESS_RATE, undefined],
            ["result >= 0.5 && result < 2", [0.6, 1], true],
        ];
        for (const [source, range, expected] of cases) {
            it(`${source} over [${range}] -> ${expected}`, () => {
                assert.strictEqual(parseCondition(source).constantOver(range), expected);
            });
        }
        it("agrees with evaluation wherever it claims a constant (a grid over each range)", () => {
            for (const [source, range, expected] of cases) {
                if (expected === undefined) {
                    continue;
                }
                const c = parseCondition(source);
                for (let i = 0; i <= 100; i++) {
                    const v = range[0] + ((range[1] - range[0]) * i) / 100;
                    assert.strictEqual(c.evaluate(v), expected, `${source} at ${v}`);
                }
            }
        });
    });
});
