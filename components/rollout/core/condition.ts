// Safe evaluation of Argo-style success/failure conditions such as `result[0] >= 0.95` or
// `result < 0.05 && result >= 0`. The expression is parsed by jsep and walked by an allow-list
// evaluator: no eval, no Function, no property access beyond `result[0]`. Names are looked up as
// own entries of a Map, never with `in` (which walks the prototype chain: `constructor(...)`,
// `toString(result)`).
//
// A metric's query returns exactly one series (metrics.ts), so `result` is one number and
// `result[0]` is the same number. Before a condition is accepted it is also evaluated over
// intervals, then on results tried one by one: a condition whose value is the same for every
// possible result (`true`, `1 > 0`, `result[0] >= 0 || true`, `result == result`) does not
// measure the canary and is refused.
import jsep from "jsep";
import { cut, MAX_SHOWN_CHARS, show } from "./check";

/** A condition that failed to parse, uses something outside the allow-list, or is constant. */
export class ConditionSyntaxError extends Error {}

/**
 * Longest condition: one compares the result with a limit or two, and it is quoted in every
 * measurement's message and in the evidence.
 */
export const MAX_CONDITION_CHARS = 500;

/** The values a metric's result can take, [min, max]. */
export type ValueRange = readonly [number, number];

const BINARY = new Set(["&&", "||", "<", "<=", ">", ">=", "==", "!=", "+", "-", "*", "/"]);

/** The functions, with Argo's names; each takes the result (one number). */
const FUNCTIONS = new Map<string, (v: number) => number | boolean>([
    ["len", () => 1],
    ["isNaN", (v) => Number.isNaN(v)],
    ["isInf", (v) => !Number.isFinite(v) && !Number.isNaN(v)],
    ["abs", (v) => Math.abs(v)],
    ["min", (v) => v],
    ["max", (v) => v],
]);
const FUNCTION_NAMES = [...FUNCTIONS.keys()].join(", ");

type Node = jsep.Expression;

/** A checked condition, ready to evaluate many times. */
export interface Condition {
    readonly source: string;
    evaluate(result: number): boolean;
    /**
     * The condition's value when it is the same for every result in `range` (so it does not
     * depend on the result there); undefined when it depends on the result.
     */
    constantOver(range: ValueRange): boolean | undefined;
}

/**
 * Parses and checks a condition. Throws ConditionSyntaxError naming what is not allowed.
 * Allowed: numbers, `result`, `result[0]`, comparisons, && || !, + - * /, parentheses, and the
 * functions len, isNaN, isInf, abs, min, max. The whole must be true or false, and must depend
 * on the result.
 */
export function parseCondition(source: string): Condition {
    if (typeof source !== "string" || source.trim() === "") {
        throw new ConditionSyntaxError("the condition is empty");
    }
    if (source.length > MAX_CONDITION_CHARS) {
        throw new ConditionSyntaxError(
            `${show(source)} is longer than ${MAX_CONDITION_CHARS} characters; a condition compares result with a limit or two, e.g. "result[0] >= 0.95"`,
        );
    }
    let ast: Node;
    try {
        ast = jsep(source);
    } catch (e) {
        throw new ConditionSyntaxError(`cannot parse ${show(source)}: ${(e as Error).message}`);
    }
    check(ast, source);
    const constantOver = (range: ValueRange) => {
        const v = bounds(ast, source, range);
        if (v.kind !== "bool") {
            throw new ConditionSyntaxError(
                `${show(source)} is a number, not true or false; compare it with a limit, e.g. "result[0] >= 0.95"`,
            );
        }
        return v.value ?? sameOnEvery(ast, range);
    };
    const always = constantOver([-Infinity, Infinity]);
    if (always !== undefined) {
        throw new ConditionSyntaxError(
            `${show(source)} does not depend on result: it is always ${always}, whatever Prometheus answers; compare result with a limit, e.g. "result[0] >= 0.95"`,
        );
    }
    return {
        source,
        constantOver,
        evaluate: (result) => truth(evaluate(ast, result)),
    };
}

function check(node: Node, source: string): void {
    const bad = (what: string) =>
        new ConditionSyntaxError(
            `${show(source)} uses ${what}; allowed are numbers, result, result[0], comparisons, ` +
                `&& || !, + - * / and the functions ${FUNCTION_NAMES}`,
        );
    switch (node.type) {
        case "Literal":
            if (typeof node.value !== "number" && typeof node.value !== "boolean") {
                throw bad(`the literal ${cut(String(node.raw), MAX_SHOWN_CHARS)}`);
            }
            return;
        case "Identifier":
            if (node.name !== "result" && node.name !== "true" && node.name !== "false") {
                throw bad(`the name ${show(String(node.name))}`);
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
                throw bad("a member access other than result[0]");
            }
            if (prop.value !== 0) {
                throw new ConditionSyntaxError(
                    `${show(source)} reads result[${prop.value}], a series after the first, but a metric's query returns exactly one series; use result[0]`,
                );
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
            if (callee.type !== "Identifier" || !FUNCTIONS.has(String(callee.name))) {
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

// ---------------------------------------------------------------------------------------------
// Evaluation over intervals: what a (checked) condition can be for any result in a range. Sound:
// a known boolean is the value for every result in the range; `undefined` only means "maybe
// either". E.g. over [0, 1], `result[0] >= 0` is always true and `result * 100 >= 95` depends.

type Abstract = { kind: "bool"; value?: boolean } | { kind: "num"; lo: number; hi: number };

const ANY: Abstract = { kind: "num", lo: -Infinity, hi: Infinity };

function num(lo: number, hi: number): Abstract {
    return Number.isNaN(lo) || Number.isNaN(hi) ? ANY : { kind: "num", lo, hi };
}

function bounds(node: Node, source: string, range: ValueRange): Abstract {
    const asNumber = (a: Abstract, what: string) => {
        if (a.kind !== "num") {
            throw new ConditionSyntaxError(
                `${show(source)} uses true/false as a number in ${what}`,
            );
        }
        return a;
    };
    const asBool = (a: Abstract, what: string) => {
        if (a.kind !== "bool") {
            throw new ConditionSyntaxError(
                `${show(source)} uses a number as true/false in ${what}`,
            );
        }
        return a.value;
    };
    switch (node.type) {
        case "Literal":
            return typeof node.value === "boolean"
                ? { kind: "bool", value: node.value }
                : num(node.value as number, node.value as number);
        case "Identifier":
            return node.name === "result"
                ? num(range[0], range[1])
                : { kind: "bool", value: node.name === "true" };
        case "MemberExpression":
            return num(range[0], range[1]);
        case "UnaryExpression": {
            const a = bounds(node.argument as Node, source, range);
            if (node.operator === "!") {
                const v = asBool(a, "!");
                return { kind: "bool", value: v === undefined ? undefined : !v };
            }
            const n = asNumber(a, "-");
            return num(-n.hi, -n.lo);
        }
        case "CallExpression": {
            const name = String((node.callee as jsep.Identifier).name);
            const a = asNumber(bounds((node.arguments as Node[])[0], source, range), `${name}()`);
            switch (name) {
                case "len":
                    return num(1, 1);
                case "isNaN":
                case "isInf":
                    // A result reaches a condition only when finite (analysis.ts).
                    return { kind: "bool", value: false };
                case "abs":
                    return a.lo >= 0
                        ? a
                        : a.hi <= 0
                          ? num(-a.hi, -a.lo)
                          : num(0, Math.max(-a.lo, a.hi));
                default:
                    return a; // min, max of one value
            }
        }
        case "BinaryExpression": {
            const op = node.operator as string;
            const l = bounds(node.left as Node, source, range);
            const r = bounds(node.right as Node, source, range);
            if (op === "&&" || op === "||") {
                const a = asBool(l, op);
                const b = asBool(r, op);
                const dominant = op === "||"; // true || x is true; false && x is false
                const value =
                    a === dominant || b === dominant
                        ? dominant
                        : a === undefined || b === undefined
                          ? undefined
                          : !dominant;
                return { kind: "bool", value };
            }
            const a = asNumber(l, op);
            const b = asNumber(r, op);
            return Object.hasOwn(COMPARE, op)
                ? { kind: "bool", value: COMPARE[op](a, b) }
                : arithmetic(op, a, b);
        }
        default:
            return ANY;
    }
}

type Interval = { lo: number; hi: number };

/** Comparisons of intervals: true or false when every pair agrees, else undefined. */
const COMPARE: Record<string, (a: Interval, b: Interval) => boolean | undefined> = {
    "<": (a, b) => (a.hi < b.lo ? true : a.lo >= b.hi ? false : undefined),
    "<=": (a, b) => (a.hi <= b.lo ? true : a.lo > b.hi ? false : undefined),
    ">": (a, b) => COMPARE["<"](b, a),
    ">=": (a, b) => COMPARE["<="](b, a),
    "==": (a, b) =>
        a.lo === a.hi && b.lo === b.hi && a.lo === b.lo
            ? true
            : a.hi < b.lo || b.hi < a.lo
              ? false
              : undefined,
    "!=": (a, b) => {
        const eq = COMPARE["=="](a, b);
        return eq === undefined ? undefined : !eq;
    },
};

function arithmetic(op: string, a: Interval, b: Interval): Abstract {
    switch (op) {
        case "+":
            return num(a.lo + b.lo, a.hi + b.hi);
        case "-":
            return num(a.lo - b.hi, a.hi - b.lo);
        case "*": {
            const p = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi];
            return p.some(Number.isNaN) ? ANY : num(Math.min(...p), Math.max(...p));
        }
        default: {
            // Division by an interval that holds 0 can give anything (or NaN).
            if (b.lo <= 0 && b.hi >= 0) {
                return ANY;
            }
            const q = [a.lo / b.lo, a.lo / b.hi, a.hi / b.lo, a.hi / b.hi];
            return q.some(Number.isNaN) ? ANY : num(Math.min(...q), Math.max(...q));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Where the intervals cannot tell: results tried one by one. Intervals lose that both sides hold
// the same result, so `result == result`, `result - result == 0`, `result < 0.5 || result >= 0.5`
// and `result < 1/0` would pass as depending on it while every measurement passes. A condition
// depends on the result only when some result tried makes it true and another makes it false.

/** Evenly spaced results tried in a bounded range: every 0.001 of a success rate's [0, 1]. */
export const GRID_STEPS = 1024;

/** Results tried in an unbounded range: 0 and ±10^k, k from -9 to 9. */
const SPREAD = [0, ...Array.from({ length: 19 }, (_, i) => 10 ** (i - 9))].flatMap((x) => [x, -x]);

/**
 * The results tried: the range's ends, GRID_STEPS + 1 points across a bounded range (SPREAD in an
 * unbounded one), and each number the condition names, with its sign flipped, and ±1e-9 of it
 * (relative above 1), where a comparison with it changes.
 */
export function resultsTried(numbers: number[], range: ValueRange): number[] {
    const [lo, hi] = range;
    const spread = Number.isFinite(lo) && Number.isFinite(hi);
    const points = spread
        ? Array.from({ length: GRID_STEPS + 1 }, (_, i) => lo + ((hi - lo) * i) / GRID_STEPS)
        : [...SPREAD];
    for (const n of numbers) {
        const d = Math.max(Math.abs(n), 1) * 1e-9;
        points.push(n - d, n, n + d, -n - d, -n, -n + d);
    }
    return points.filter((x) => Number.isFinite(x) && x >= lo && x <= hi);
}

/** The numbers a condition names. */
function literals(node: Node): number[] {
    switch (node.type) {
        case "Literal":
            return typeof node.value === "number" ? [node.value] : [];
        case "UnaryExpression":
            return literals(node.argument as Node);
        case "BinaryExpression":
            return [...literals(node.left as Node), ...literals(node.right as Node)];
        case "CallExpression":
            return literals((node.arguments as Node[])[0]);
        default:
            return [];
    }
}

/** The condition's value when it is the same for every result tried, else undefined. */
function sameOnEvery(ast: Node, range: ValueRange): boolean | undefined {
    const seen = new Set(resultsTried(literals(ast), range).map((x) => truth(evaluate(ast, x))));
    return seen.size === 1 ? [...seen][0] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Evaluation of a checked condition on one result.

function truth(v: number | boolean): boolean {
    if (typeof v !== "boolean") {
        throw new ConditionSyntaxError("a number was used as true/false");
    }
    return v;
}

function numeric(v: number | boolean): number {
    if (typeof v !== "number") {
        throw new ConditionSyntaxError("a true/false value was used as a number");
    }
    return v;
}

function evaluate(node: Node, result: number): number | boolean {
    switch (node.type) {
        case "Literal":
            return node.value as number | boolean;
        case "Identifier":
            return node.name === "result" ? result : node.name === "true";
        case "MemberExpression":
            return result; // result[0]: the only series
        case "UnaryExpression": {
            const v = evaluate(node.argument as Node, result);
            return node.operator === "!" ? !truth(v) : -numeric(v);
        }
        case "CallExpression": {
            const fn = FUNCTIONS.get(String((node.callee as jsep.Identifier).name))!;
            return fn(numeric(evaluate((node.arguments as Node[])[0], result)));
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
            const a = numeric(evaluate(node.left as Node, result));
            const b = numeric(evaluate(node.right as Node, result));
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
