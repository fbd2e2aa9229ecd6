// Success and failure conditions, as the program's engine accepts them: parsed by jsep, then only
// numbers, result, result[0], comparisons, && || !, + - * / and six functions of the result; the
// whole must be true or false and must depend on the result (over every number, and over the
// metric's range). "Depends" is decided by evaluating the condition over intervals: a known
// boolean for an interval of results means the same value for every result in it, e.g. over
// [0, 1] `result[0] >= 0` is always true while `result * 100 >= 95` depends; where intervals
// cannot tell, on results tried one by one (sameOnEvery).
import jsep from "jsep";
import { show } from "./resources";

/** A condition compares the result with a limit or two; it is quoted in every measurement. */
const MAX_CONDITION_CHARS = 500;
const FUNCTIONS = ["len", "isNaN", "isInf", "abs", "min", "max"];
const OPERATORS = ["&&", "||", "<", "<=", ">", ">=", "==", "!=", "+", "-", "*", "/"];
const ALLOWED = `allowed are numbers, result, result[0], comparisons, && || !, + - * / and the functions ${FUNCTIONS.join(", ")}`;
const EXAMPLE = 'compare result with a limit, e.g. "result[0] >= 0.95"';

type Node = jsep.Expression;
/** What a sub-expression can be for the results in an interval: a boolean (undefined: either) or a number in [lo, hi]. */
type Value = { bool: boolean | undefined } | { lo: number; hi: number };
type Range = readonly [number, number];

class Refused extends Error {}

/**
 * What is wrong with a condition (the end of a message that quotes it), or undefined. `range`:
 * the metric's values (undefined when malformed: then only the rest is checked); `declared`:
 * whether the metric states its range (else it is a success rate's [0, 1]).
 */
export function conditionProblem(
    source: string,
    range: Range | undefined,
    declared: boolean,
): string | undefined {
    if (source.length > MAX_CONDITION_CHARS) {
        return `is longer than ${MAX_CONDITION_CHARS} characters; ${EXAMPLE}`;
    }
    try {
        let ast: Node;
        try {
            ast = jsep(source);
        } catch (e) {
            return `cannot be parsed: ${(e as Error).message}`;
        }
        allowed(ast);
        const always = constant(ast, [-Infinity, Infinity]);
        if (always !== undefined) {
            return `does not depend on result: it is always ${always}, whatever Prometheus answers; ${EXAMPLE}`;
        }
        const inRange = range && constant(ast, range);
        if (range && inRange !== undefined) {
            return (
                `is always ${inRange} for values in the metric's range [${range[0]}, ${range[1]}]` +
                (declared ? "" : " (a success rate's: the metric declares no range)") +
                ", so it does not depend on the result; compare result with a limit inside the range" +
                (declared
                    ? ", or widen the range"
                    : ', e.g. "result[0] >= 0.95", or declare the range of the query\'s values, e.g. range: [0, 60] for a latency in seconds')
            );
        }
        return undefined;
    } catch (e) {
        if (e instanceof Refused) {
            return e.message;
        }
        throw e;
    }
}

/** Throws Refused at the first piece outside the allow-list. */
function allowed(node: Node): void {
    const refuse = (what: string) => new Refused(`uses ${what}; ${ALLOWED}`);
    switch (node.type) {
        case "Literal":
            if (typeof node.value !== "number" && typeof node.value !== "boolean") {
                throw refuse(`the literal ${show(node.raw)}`);
            }
            return;
        case "Identifier":
            if (!["result", "true", "false"].includes(node.name as string)) {
                throw refuse(`the name ${show(String(node.name))}`);
            }
            return;
        case "MemberExpression": {
            const [obj, prop] = [node.object as Node, node.property as Node];
            const index = prop.type === "Literal" ? prop.value : undefined;
            const ok = node.computed && obj.type === "Identifier" && obj.name === "result";
            if (!ok || !Number.isInteger(index) || (index as number) < 0) {
                throw refuse("a member access other than result[0]");
            }
            if (index !== 0) {
                throw new Refused(
                    `reads result[${index}], a series after the first, but a metric's query returns exactly one series; use result[0]`,
                );
            }
            return;
        }
        case "UnaryExpression":
            if (node.operator !== "!" && node.operator !== "-") {
                throw refuse(`the operator ${String(node.operator)}`);
            }
            return allowed(node.argument as Node);
        case "BinaryExpression":
            if (!OPERATORS.includes(node.operator as string)) {
                throw refuse(`the operator ${String(node.operator)}`);
            }
            allowed(node.left as Node);
            return allowed(node.right as Node);
        case "CallExpression": {
            const callee = node.callee as Node;
            const args = node.arguments as Node[];
            if (callee.type !== "Identifier" || !FUNCTIONS.includes(callee.name as string)) {
                throw refuse("a call to an unknown function");
            }
            if (args.length !== 1) {
                throw refuse(`${String(callee.name)}() with ${args.length} arguments (takes 1)`);
            }
            return allowed(args[0]);
        }
        default:
            throw refuse(`a ${node.type}`);
    }
}

/** The condition's value when it is the same for every result in `range`, else undefined. */
function constant(ast: Node, range: Range): boolean | undefined {
    const v = over(ast, range);
    if (!("bool" in v)) {
        throw new Refused(`is a number, not true or false; ${EXAMPLE}`);
    }
    return v.bool ?? sameOnEvery(ast, range);
}

// Where the intervals cannot tell (they forget that both sides hold the same result, so
// `result == result` or `result < 0.5 || result >= 0.5` would pass), results tried one by one:
// the condition depends on the result only when one makes it true and another false. The same
// results as the engine's (components/rollout/core/condition.ts resultsTried).
const GRID_STEPS = 1024;
const SPREAD = [0, ...Array.from({ length: 19 }, (_, i) => 10 ** (i - 9))].flatMap((x) => [x, -x]);

function sameOnEvery(ast: Node, [lo, hi]: Range): boolean | undefined {
    const points =
        Number.isFinite(lo) && Number.isFinite(hi)
            ? Array.from({ length: GRID_STEPS + 1 }, (_, i) => lo + ((hi - lo) * i) / GRID_STEPS)
            : [...SPREAD];
    for (const n of literals(ast)) {
        const d = Math.max(Math.abs(n), 1) * 1e-9;
        points.push(n - d, n, n + d, -n - d, -n, -n + d);
    }
    const seen = new Set(
        points.filter((x) => Number.isFinite(x) && x >= lo && x <= hi).map((x) => at(ast, x)),
    );
    return seen.size === 1 ? ([...seen][0] as boolean) : undefined;
}

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

/** A checked (well-typed) condition's value for one result. */
function at(node: Node, x: number): number | boolean {
    switch (node.type) {
        case "Literal":
            return node.value as number | boolean;
        case "Identifier":
            return node.name === "result" ? x : node.name === "true";
        case "MemberExpression":
            return x;
        case "UnaryExpression": {
            const v = at(node.argument as Node, x);
            return node.operator === "!" ? !v : -(v as number);
        }
        case "CallExpression": {
            const v = at((node.arguments as Node[])[0], x) as number;
            const name = String((node.callee as Node).name);
            return name === "len"
                ? 1
                : name === "isNaN"
                  ? Number.isNaN(v)
                  : name === "isInf"
                    ? !Number.isFinite(v) && !Number.isNaN(v)
                    : name === "abs"
                      ? Math.abs(v)
                      : v;
        }
        default: {
            const op = node.operator as string;
            const l = at(node.left as Node, x);
            if (op === "&&" || op === "||") {
                return op === "&&"
                    ? l && at(node.right as Node, x)
                    : l || at(node.right as Node, x);
            }
            const [a, b] = [l as number, at(node.right as Node, x) as number];
            const ops: Record<string, () => number | boolean> = {
                "<": () => a < b,
                "<=": () => a <= b,
                ">": () => a > b,
                ">=": () => a >= b,
                "==": () => a === b,
                "!=": () => a !== b,
                "+": () => a + b,
                "-": () => a - b,
                "*": () => a * b,
                "/": () => a / b,
            };
            return ops[op]();
        }
    }
}

const ANY: Value = { lo: -Infinity, hi: Infinity };
const num = (lo: number, hi: number): Value =>
    Number.isNaN(lo) || Number.isNaN(hi) ? ANY : { lo, hi };

function number(v: Value, where: string): { lo: number; hi: number } {
    if ("bool" in v) {
        throw new Refused(`uses true/false as a number in ${where}`);
    }
    return v;
}

function bool(v: Value, where: string): boolean | undefined {
    if (!("bool" in v)) {
        throw new Refused(`uses a number as true/false in ${where}`);
    }
    return v.bool;
}

/** What a checked expression can be for the results in `range`. */
function over(node: Node, range: Range): Value {
    switch (node.type) {
        case "Literal":
            return typeof node.value === "boolean"
                ? { bool: node.value }
                : num(node.value as number, node.value as number);
        case "Identifier":
            return node.name === "result"
                ? num(range[0], range[1])
                : { bool: node.name === "true" };
        case "MemberExpression": // result[0]
            return num(range[0], range[1]);
        case "UnaryExpression": {
            const a = over(node.argument as Node, range);
            if (node.operator === "!") {
                const b = bool(a, "!");
                return { bool: b === undefined ? undefined : !b };
            }
            const n = number(a, "-");
            return num(-n.hi, -n.lo);
        }
        case "CallExpression": {
            const name = String((node.callee as Node).name);
            const a = number(over((node.arguments as Node[])[0], range), `${name}()`);
            if (name === "len") {
                return num(1, 1);
            }
            if (name === "isNaN" || name === "isInf") {
                return { bool: false }; // a result reaches a condition only when finite
            }
            if (name === "abs") {
                return a.lo >= 0
                    ? a
                    : a.hi <= 0
                      ? num(-a.hi, -a.lo)
                      : num(0, Math.max(-a.lo, a.hi));
            }
            return a; // min, max of one value
        }
        case "BinaryExpression":
            return binary(
                node.operator as string,
                over(node.left as Node, range),
                over(node.right as Node, range),
            );
        default:
            return ANY;
    }
}

function binary(op: string, l: Value, r: Value): Value {
    if (op === "&&" || op === "||") {
        const [a, b] = [bool(l, op), bool(r, op)];
        const dominant = op === "||"; // true || x is true; false && x is false
        if (a === dominant || b === dominant) {
            return { bool: dominant };
        }
        return { bool: a === undefined || b === undefined ? undefined : !dominant };
    }
    const [a, b] = [number(l, op), number(r, op)];
    switch (op) {
        case "<":
            return { bool: a.hi < b.lo ? true : a.lo >= b.hi ? false : undefined };
        case "<=":
            return { bool: a.hi <= b.lo ? true : a.lo > b.hi ? false : undefined };
        case ">":
            return binary("<", r, l);
        case ">=":
            return binary("<=", r, l);
        case "==":
        case "!=": {
            const same = a.lo === a.hi && b.lo === b.hi && a.lo === b.lo;
            const apart = a.hi < b.lo || b.hi < a.lo;
            const eq = same ? true : apart ? false : undefined;
            return { bool: eq === undefined || op === "==" ? eq : !eq };
        }
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
