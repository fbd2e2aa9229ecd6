// A metric's verdict comes from its conditions: at least one, each in the engine's allow-list,
// true or false, and depending on the result within the values the query can return (its
// declared range, or a success rate's [0, 1]). A condition such as `true`, `result[0] >= 0` on a
// success rate, or `result[0] >= 95` against [0, 1] passes or fails every canary alike.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { conditionProblem } from "./lib/condition";
import { ofType, show, TYPES } from "./lib/resources";
import { key, metricsOf, subject } from "./lib/rollout";

/** The values of a metric that declares no range: a success rate's. */
const SUCCESS_RATE: [number, number] = [0, 1];

/** The metric's range: [0, 1] when unset, undefined when malformed. */
function rangeOf(v: unknown): [number, number] | undefined {
    if (v === undefined) {
        return SUCCESS_RATE;
    }
    const ok =
        Array.isArray(v) &&
        v.length === 2 &&
        v.every((x) => typeof x === "number" && Number.isFinite(x)) &&
        v[0] < v[1];
    return ok ? (v as [number, number]) : undefined;
}

export const analysisConditions: ResourceValidationPolicy = {
    name: "analysis-conditions",
    description:
        "Every analysis metric has a successCondition or a failureCondition; each uses only " +
        "numbers, result, result[0], comparisons, && || !, + - * / and the engine's functions, " +
        "and depends on the result within the metric's range, which is [min, max] when declared.",
    enforcementLevel: "mandatory",
    validateResource: ofType(TYPES.canaryRollout, (args, reportViolation) => {
        for (const m of metricsOf(args.props)) {
            const report = (problem: string, field: string) =>
                reportViolation(`${subject(args.name, m)}: ${problem}. Fix ${key(m, field)}.`);
            const range = rangeOf(m.props.range);
            if (!range) {
                report(
                    `its range ${show(m.props.range)} is not [min, max], two numbers with min below max (the values the query can return), e.g. [0, 1] for a success rate or [0, 60] for a latency in seconds`,
                    "range",
                );
            }
            const fields = ["successCondition", "failureCondition"];
            for (const field of fields) {
                const source = m.props[field];
                if (source === undefined || source === null) {
                    continue;
                }
                if (typeof source !== "string" || source.trim() === "") {
                    report(
                        `its ${field} must be a condition such as "result[0] >= 0.95", got ${show(source)}`,
                        field,
                    );
                    continue;
                }
                const problem = conditionProblem(source, range, m.props.range !== undefined);
                if (problem) {
                    report(`its ${field} ${show(source)} ${problem}`, field);
                }
            }
            if (fields.every((f) => m.props[f] === undefined || m.props[f] === null)) {
                report(
                    'has neither a successCondition nor a failureCondition, so nothing decides whether a measurement passed; set one, e.g. successCondition "result[0] >= 0.95"',
                    "successCondition",
                );
            }
        }
    }),
};
