import * as assert from "assert";
import {
    ConditionSyntaxError,
    parseCondition,
} from "../../../../../components/rollout/core/condition";

describe("rollout/condition", () => {
    const cases: [string, number | number[], boolean][] = [
        ["result[0] >= 0.95", [0.95], true],
        ["result[0] >= 0.95", [0.9499], false],
        ["result[0] >= 0.95", [], false], // out of range is NaN: never a pass
        ["result >= 0.95", 0.97, true],
        ["result >= 0.95", [0.97], true], // a one-element vector is its value
        ["result < 0.05 && result >= 0", 0.01, true],
        ["result < 0.05 && result >= 0", -0.01, false],
        ["result < 0.05 && result >= 0", 0.05, false],
        ["result[0] > 0.9 || result[1] > 0.9", [0.1, 0.95], true],
        ["!(result[0] < 0.95)", [0.96], true],
        ["len(result) == 2", [1, 2], true],
        ["isNaN(result[0])", [NaN], true],
        ["result[0] >= 0.95", [NaN], false],
        ["abs(result - 1) < 0.1", 0.95, true],
        ["result * 100 >= 95", 0.95, true],
        ["min(result) >= 0.9", [0.91, 0.99], true],
        ["max(result) <= 1", [0.91, 0.99], true],
    ];
    for (const [source, value, expected] of cases) {
        it(`${source} with ${JSON.stringify(value)} is ${expected}`, () => {
            assert.strictEqual(parseCondition(source).evaluate(value), expected);
        });
    }

    const rejected: [string, RegExp][] = [
        ["", /the condition is empty/],
        ["result[0] >=", /cannot parse "result\[0\] >="/],
        ["process.exit(1)", /uses a call to an unknown function/],
        ["process.env", /uses a member access other than result\[N\]/],
        ["constructor", /uses the name "constructor"/],
        ["result['x']", /uses a member access other than result\[N\]/],
        ["result[-1] > 0", /uses a member access other than result\[N\]/],
        ["require('fs')", /uses a call to an unknown function/],
        ["'a' == 'a'", /uses the literal 'a'/],
        ["result ? 1 : 0", /uses a ConditionalExpression/],
        ["x = 1", /cannot parse "x = 1"/],
        ["result >> 1", /uses the operator >>/],
        ["len(result, 2) > 0", /len\(\) with 2 arguments/],
    ];
    for (const [source, message] of rejected) {
        it(`rejects ${JSON.stringify(source)}`, () => {
            assert.throws(
                () => parseCondition(source),
                (e: Error) => e instanceof ConditionSyntaxError && message.test(e.message),
            );
        });
    }

    it("rejects a condition that is a number, not true/false", () => {
        assert.throws(
            () => parseCondition("result[0]").evaluate([1]),
            /evaluated to 1, not to true or false/,
        );
    });
    it("rejects a multi-value vector used as a number", () => {
        assert.throws(
            () => parseCondition("result > 0").evaluate([1, 2]),
            /a vector of 2 values was used as a number; index it/,
        );
    });
});
