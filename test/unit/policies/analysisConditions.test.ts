import { analysisConditions as policy } from "../../../policies/analysisConditions";
import {
    assertPasses,
    assertViolations,
    runResourcePolicy,
    UNKNOWN_VALUE,
} from "../../support/policyHarness";
import { rollout, withField } from "../../support/policyFixtures";

const M = "props.metrics.0";
const S = 'CanaryRollout "rollouts-demo-rollout" metric "success-rate"';
const FIX = (field: string) => `Fix progressive-delivery:rollout.analysis.metrics[0].${field}.`;
const ALLOWED =
    "allowed are numbers, result, result[0], comparisons, && || !, + - * / and the functions len, isNaN, isInf, abs, min, max";
const withCondition = (field: string, condition: unknown) =>
    withField(rollout(), `${M}.${field}`, condition);

describe("policy analysis-conditions", () => {
    it("passes the default successCondition on a success rate", async () => {
        assertPasses(await runResourcePolicy(policy, rollout()));
    });

    it("passes a failureCondition alone, and a latency within its declared range", async () => {
        let r = withCondition("successCondition", undefined);
        r = withField(r, `${M}.failureCondition`, "result[0] < 0.9 || result[0] > 1 - 0.01");
        assertPasses(await runResourcePolicy(policy, r));
        let latency = withCondition("successCondition", "result[0] < 0.5");
        latency = withField(latency, `${M}.range`, [0, 60]);
        assertPasses(await runResourcePolicy(policy, latency));
    });

    it("passes a condition unknown during preview", async () => {
        const r = withCondition("successCondition", UNKNOWN_VALUE.string);
        assertPasses(await runResourcePolicy(policy, r));
    });

    it("reports a condition that does not depend on result", async () => {
        assertViolations(
            await runResourcePolicy(policy, withCondition("successCondition", "1 > 0")),
            [
                `${S}: its successCondition "1 > 0" does not depend on result: it is always true, whatever Prometheus answers; compare result with a limit, e.g. "result[0] >= 0.95". ${FIX("successCondition")}`,
            ],
        );
    });

    it("reports a condition that is always true though intervals cannot tell (as the engine does)", async () => {
        for (const condition of ["result[0] == result[0]", "result < 0.5 || result >= 0.5"]) {
            const r = withCondition("successCondition", condition);
            assertViolations(await runResourcePolicy(policy, r), [
                `${S}: its successCondition ${JSON.stringify(condition)} does not depend on result: it is always true, whatever Prometheus answers; compare result with a limit, e.g. "result[0] >= 0.95". ${FIX("successCondition")}`,
            ]);
        }
    });

    it("reports a condition that is constant over a success rate's range [0, 1]", async () => {
        for (const [condition, always] of [
            ["result[0] >= 0", "true"],
            ["result[0] >= 95", "false"],
            ["result < 0.5 || (result >= 0.5 && result <= 1)", "true"],
        ]) {
            const r = withCondition("successCondition", condition);
            assertViolations(await runResourcePolicy(policy, r), [
                `${S}: its successCondition ${JSON.stringify(condition)} is always ${always} for values in the metric's range [0, 1] (a success rate's: the metric declares no range), so it does not depend on the result; compare result with a limit inside the range, e.g. "result[0] >= 0.95", or declare the range of the query's values, e.g. range: [0, 60] for a latency in seconds. ${FIX("successCondition")}`,
            ]);
        }
    });

    it("reports a limit outside the declared range, and a malformed range", async () => {
        let r = withCondition("successCondition", "result[0] < 300");
        r = withField(r, `${M}.range`, [0, 60]);
        assertViolations(await runResourcePolicy(policy, r), [
            `${S}: its successCondition "result[0] < 300" is always true for values in the metric's range [0, 60], so it does not depend on the result; compare result with a limit inside the range, or widen the range. ${FIX("successCondition")}`,
        ]);
        assertViolations(
            await runResourcePolicy(policy, withField(rollout(), `${M}.range`, [1, 0])),
            [
                `${S}: its range [1,0] is not [min, max], two numbers with min below max (the values the query can return), e.g. [0, 1] for a success rate or [0, 60] for a latency in seconds. ${FIX("range")}`,
            ],
        );
    });

    it("reports names and calls outside the allow-list, own ones only", async () => {
        for (const [condition, what] of [
            ["constructor(result)", "a call to an unknown function"],
            ["toString(result) != 0", "a call to an unknown function"],
            ["process.exit(1)", "a call to an unknown function"],
            ["result[0] >= limit", 'the name "limit"'],
            ["result[0] >= '0.95'", "the literal \"'0.95'\""],
        ]) {
            const r = withCondition("successCondition", condition);
            assertViolations(await runResourcePolicy(policy, r), [
                `${S}: its successCondition ${JSON.stringify(condition)} uses ${what}; ${ALLOWED}. ${FIX("successCondition")}`,
            ]);
        }
    });

    it("reports a condition that does not parse, is a number, or reads a second series", async () => {
        for (const [condition, problem] of [
            ["result[0] >=", "cannot be parsed: Expected expression after >= at character 12"],
            [
                "result[0]",
                'is a number, not true or false; compare result with a limit, e.g. "result[0] >= 0.95"',
            ],
            [
                "result[1] >= 0.95",
                "reads result[1], a series after the first, but a metric's query returns exactly one series; use result[0]",
            ],
        ]) {
            const r = withCondition("successCondition", condition);
            assertViolations(await runResourcePolicy(policy, r), [
                `${S}: its successCondition ${JSON.stringify(condition)} ${problem}. ${FIX("successCondition")}`,
            ]);
        }
    });

    it("reports a metric without any condition, and a condition that is not text", async () => {
        assertViolations(await runResourcePolicy(policy, withCondition("successCondition", null)), [
            `${S}: has neither a successCondition nor a failureCondition, so nothing decides whether a measurement passed; set one, e.g. successCondition "result[0] >= 0.95". ${FIX("successCondition")}`,
        ]);
        assertViolations(await runResourcePolicy(policy, withCondition("failureCondition", 0.9)), [
            `${S}: its failureCondition must be a condition such as "result[0] >= 0.95", got 0.9. ${FIX("failureCondition")}`,
        ]);
    });
});
