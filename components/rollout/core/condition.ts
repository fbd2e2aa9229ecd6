// Safe evaluation of Argo-style success/failure conditions such as `result[0] >= 0.95` or
// `result < 0.05 && result >= 0`. The expression is parsed by jsep and walked by an allow-list
// evaluator: no eval, no Function, no property access beyond array indexes of `result`.
import jsep from "jsep";

export type ConditionValue = number | number[];

/** A condition that failed to parse or uses something outside the allow-list. */
export class ConditionSyntaxError extends Error {}

const BINARY = new Set(["&&", "||", "<", "<=", ">", ">=", "==", "!=", "+", "-", "*", "/"]);
const FUNCTIONS: Record<string, (args: ConditionValue[]) => ConditionValue | boolean> = {
    len: ([v]) => (Array.isArray(v) ? v.length : 1),
    isNaN: ([v]) => Number.isNaN(scalar(v)),
    isInf: ([v]) => !Number.isFinite(scalar(v)) && !Number.isNaN(scalar(v)),
    abs: ([v]) => Math.abs(scalar(v)),
    min: ([v]) => Math.min(...(Array.isArray(v) ? v : [v])),
    max: ([v]) => Math.max(...(Array.isArray(v) ? v : [v])),
};

type Node = jsep.Expression;

/** A checked condition, ready to evaluate many times. */
export interface Condition {
    readonly source: string;
    evaluate(result: ConditionValue): boolean;
}

/**
 * Parses and checks a condition. Throws ConditionSyntaxError naming what is not allowed.
 * Allowed: numbers, `result`, `result[N]`, comparisons, && || !, + - * /, parentheses, and the
 * functions len, isNaN, isInf, abs, min, max.
 */
export function parseCondition(source: string): Condition {
    if (typeof source !== "string" || source.trim() === "") {
        throw new ConditionSyntaxError("the condition is empty");
    }
    let ast: Node;
    try {
        ast = jsep(source);
    } catch (e) {
        throw new ConditionSyntaxError(`cannot parse "${source}": ${(e as Error).message}`);
    }
    check(ast, source);
    return {
        source,
        evaluate: (result) => {
            const v = evaluate(ast, result);
            if (typeof v !== "boolean") {
                throw new ConditionSyntaxError(
                    `"${source}" evaluated to ${JSON.stringify(v)}, not to true or false`,
                );
            }
            return v;
        },
    };
}

function check(node: Node, source: string): void {
    const bad = (what: string) =>
        new ConditionSyntaxError(
            `"${source}" uses ${what}; allowed are numbers, result, result[N], comparisons, ` +
                `&& || !, + - * / and the functions ${Object.keys(FUNCTIONS).join(", ")}`,
        );
    switch (node.type) {
        case "Literal":
            if (typeof node.value !== "number" && typeof node.value !== "boolean") {
                throw bad(`the literal ${String(node.raw)}`);
            }
            return;
        case "Identifier":
            if (node.name !== "result" && node.name !== "true" && node.name !== "false") {
                throw bad(`the name "${String(node.name)}"`);
            }
            return;
        case "MemberExpression": {
            const obj = node.object as Node;
            const prop = node.property as Node;
            if (
                !node.computed ||
                obj.type !== "Identifier" ||
                obj.name !== "result" ||
                prop.type !== "Literal" ||
                typeof prop.value !== "number" ||
                !Number.isInteger(prop.value) ||
                prop.value < 0
            ) {
                throw bad("a member access other than result[N]");
            }
            return;
        }
        case "UnaryExpression":
            if (node.operator !== "!" && node.operator !== "-") {
                throw bad(`the operator ${String(node.operator)}`);
            }
            return check(node.argument as Node, source);
        case "BinaryExpression":
            if (!BINARY.has(node.operator as string)) {
                throw bad(`the operator ${String(node.operator)}`);
            }
            check(node.left as Node, source);
            return check(node.right as Node, source);
        case "CallExpression": {
            const callee = node.callee as Node;
            if (callee.type !== "Identifier" || !(String(callee.name) in FUNCTIONS)) {
                throw bad("a call to an unknown function");
            }
            const args = node.arguments as Node[];
            if (args.length !== 1) {
                throw bad(`${String(callee.name)}() with ${args.length} arguments (takes 1)`);
            }
            return check(args[0], source);
        }
        default:
            throw bad(`a ${node.type}`);
    }
}

/** A one-element vector is used as its element in a numeric context (Prometheus' usual shape). */
function scalar(v: ConditionValue | boolean): number {
    if (Array.isArray(v)) {
        if (v.length !== 1) {
            throw new ConditionSyntaxError(
                `a vector of ${v.length} values was used as a number; index it, e.g. result[0]`,
            );
        }
        return v[0];
    }
    if (typeof v === "boolean") {
        throw new ConditionSyntaxError("a true/false value was used as a number");
    }
    return v;
}

function truth(v: ConditionValue | boolean): boolean {
    if (typeof v !== "boolean") {
        throw new ConditionSyntaxError(`a number was used as true/false`);
    }
    return v;
}

function evaluate(node: Node, result: ConditionValue): ConditionValue | boolean {
    switch (node.type) {
        case "Literal":
            return node.value as number | boolean;
        case "Identifier":
            return node.name === "result" ? result : node.name === "true";
        case "MemberExpression": {
            const index = (node.property as jsep.Literal).value as number;
            const vector = Array.isArray(result) ? result : [result];
            // Out of range is NaN, which fails every comparison: never a pass by accident.
            return index < vector.length ? vector[index] : NaN;
        }
        case "UnaryExpression": {
            const v = evaluate(node.argument as Node, result);
            return node.operator === "!" ? !truth(v) : -scalar(v);
        }
        case "CallExpression": {
            const name = String((node.callee as jsep.Identifier).name);
            const arg = evaluate((node.arguments as Node[])[0], result);
            if (typeof arg === "boolean") {
                throw new ConditionSyntaxError(`${name}() was given true/false, not a number`);
            }
            return FUNCTIONS[name]([arg]);
        }
        case "BinaryExpression": {
            const op = node.operator as string;
            if (op === "&&") {
                return (
                    truth(evaluate(node.left as Node, result)) &&
                    truth(evaluate(node.right as Node, result))
                );
            }
            if (op === "||") {
                return (
                    truth(evaluate(node.left as Node, result)) ||
                    truth(evaluate(node.right as Node, result))
                );
            }
            const a = scalar(evaluate(node.left as Node, result));
            const b = scalar(evaluate(node.right as Node, result));
            switch (op) {
                case "<":
                    return a < b;
                case "<=":
                    return a <= b;
                case ">":
                    return a > b;
                case ">=":
                    return a >= b;
                case "==":
                    return a === b;
                case "!=":
                    return a !== b;
                case "+":
                    return a + b;
                case "-":
                    return a - b;
                case "*":
                    return a * b;
                default:
                    return a / b;
            }
        }
        default:
            throw new ConditionSyntaxError(`cannot evaluate a ${node.type}`);
    }
}
