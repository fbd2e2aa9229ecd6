// The rules on what a metric measures: its query templates, the range of its values, and its
// conditions. Part of checkSpec (rules.ts); pure.
import { Checker, cut, MAX_SHOWN_CHARS, show } from "../check";
import { parseCondition, ValueRange } from "../condition";
import {
    ARG_NAMES,
    malformedPlaceholders,
    MAX_QUERY_CHARS,
    ROUTER_QUERIES,
    selectsCanary,
    unknownArgs,
} from "../queries";
import { METRIC_RANGE, ROUTER_DEFAULTS, RouterKind } from "./types";

/**
 * A query template: well-formed placeholders of known args, scoped to the canary, no irate. The
 * router's metric is the example of the canary's series in the messages.
 */
export function checkQuery(
    c: Checker,
    path: string,
    value: unknown,
    router: RouterKind = ROUTER_DEFAULTS.kind,
): void {
    const q = c.string(path, value ?? "", "", {
        re: /\S/,
        fix: "remove it to use the default, or write a PromQL query",
    });
    if (q.length > MAX_QUERY_CHARS) {
        c.fail(
            path,
            `is ${q.length} characters long, more than ${MAX_QUERY_CHARS}: queries are sent in a URL, which API servers and proxies cut at 8 KiB; shorten it, e.g. with a recording rule`,
        );
        return;
    }
    const known = ARG_NAMES.map((a) => `{{args.${a}}}`).join(", ");
    const unknown = unknownArgs(q);
    if (unknown.length > 0) {
        c.fail(
            path,
            `uses unknown args ${cut(unknown.map((u) => `{{args.${u}}}`).join(", "), MAX_SHOWN_CHARS)}; known are ${known}`,
        );
    }
    const malformed = malformedPlaceholders(q);
    if (malformed.length > 0) {
        c.fail(
            path,
            `has ${malformed.map((x) => show(x)).join(", ")}, which is not a placeholder and would reach Prometheus as written; write each arg as {{args.NAME}}, one of ${known}`,
        );
    }
    if (unknown.length === 0 && malformed.length === 0 && !selectsCanary(q)) {
        c.fail(
            path,
            `${show(q)} uses neither {{args.service}} nor {{args.ingress}}, so it does not measure the canary (vector(1) would pass every canary); select the canary's series, e.g. ${ROUTER_QUERIES[router]?.canarySeries ?? ROUTER_QUERIES[ROUTER_DEFAULTS.kind].canarySeries}`,
        );
    }
    if (/\birate\s*\(/.test(q)) {
        c.fail(
            path,
            "uses irate(), which looks at the last two samples only and flaps on noise; use rate() over {{args.window}}",
        );
    }
}

/** The values a metric may return: METRIC_RANGE when unset, undefined when malformed. */
export function checkRange(c: Checker, path: string, value: unknown): ValueRange | undefined {
    if (value === undefined) {
        return METRIC_RANGE;
    }
    const ok =
        Array.isArray(value) &&
        value.length === 2 &&
        value.every((v) => typeof v === "number" && Number.isFinite(v)) &&
        value[0] < value[1];
    if (!ok) {
        c.fail(
            path,
            `must be [min, max], two numbers with min below max (the values the query can return), e.g. [0, 1] for a success rate or [0, 60] for a latency in seconds; got ${show(value)}`,
        );
        return undefined;
    }
    return value as [number, number];
}

/**
 * A condition that parses, stays in the allow-list, and depends on the result in the metric's
 * range (when the range itself is well-formed).
 */
export function checkCondition(
    c: Checker,
    path: string,
    source: string,
    range: ValueRange | undefined,
    declared: boolean,
): void {
    let always: boolean | undefined;
    try {
        const condition = parseCondition(source);
        always = range && condition.constantOver(range);
    } catch (e) {
        c.fail(path, (e as Error).message);
        return;
    }
    if (range && always !== undefined) {
        const [lo, hi] = range;
        c.fail(
            path,
            `${show(source)} is always ${always} for values in the metric's range [${lo}, ${hi}]` +
                (declared ? "" : " (a success rate's: the metric declares no range)") +
                ", so it does not depend on the result; compare result with a limit inside the range" +
                (declared
                    ? ", or widen the range"
                    : ', e.g. "result[0] >= 0.95", or declare the range of the query\'s values, e.g. range: [0, 60] for a latency in seconds'),
        );
    }
}
