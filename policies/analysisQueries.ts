// A metric's queries reach Prometheus as the program renders them: {{args.NAME}} placeholders of
// known args, nothing that merely looks like one (it would be sent literally), scoped to the
// canary (a query that does not select it, such as vector(1), passes every canary), and short
// enough for a URL. (irate: analysis-no-irate.)
import { ResourceValidationPolicy } from "@pulumi/policy";
import { ofType, show, TYPES } from "./lib/resources";
import { key, metricsOf, subject } from "./lib/rollout";

const ARGS = ["namespace", "service", "stableService", "ingress", "failureStatus", "window"];
/** The args that select the canary's series. */
const CANARY_ARGS = ["service", "ingress"];
const PLACEHOLDER = /\{\{\s*args\.([A-Za-z0-9_-]+)\s*\}\}/g;
/**
 * What is left of `{{`, `}}` or `args.` once the placeholders are taken out: PromQL itself never
 * writes them (selectors do not nest), so each is a placeholder written wrong, e.g.
 * `{{args.service}`, `{args.service}}` or `{{ window }}`.
 */
const MALFORMED = /\{*\{\{[^{}]{0,40}\}*|\{?[^{}\s]{0,40}\}\}+|\bargs\.[A-Za-z0-9_-]*\}*/g;
/** Queries are sent in a URL, which API servers and proxies cut at 8 KiB. */
const MAX_QUERY_CHARS = 4000;
const KNOWN = ARGS.map((a) => `{{args.${a}}}`).join(", ");

/** What is wrong with a query template, one entry per problem. */
export function queryProblems(q: unknown): string[] {
    if (typeof q !== "string" || q.trim() === "") {
        return [`must be a PromQL query, got ${show(q)}; remove it to use the default`];
    }
    if (q.length > MAX_QUERY_CHARS) {
        return [
            `is ${q.length} characters long, more than ${MAX_QUERY_CHARS}: queries are sent in a URL, which API servers and proxies cut at 8 KiB; shorten it, e.g. with a recording rule`,
        ];
    }
    const used = [...q.matchAll(PLACEHOLDER)].map((m) => m[1]);
    const unknown = used.filter((a) => !ARGS.includes(a));
    const malformed = [...q.replace(PLACEHOLDER, " ").matchAll(MALFORMED)].map((m) => m[0]);
    const problems: string[] = [];
    if (unknown.length > 0) {
        problems.push(
            `uses unknown args ${show(unknown.map((a) => `{{args.${a}}}`).join(", "))}; known are ${KNOWN}`,
        );
    }
    if (malformed.length > 0) {
        problems.push(
            `has ${malformed.map((x) => show(x)).join(", ")}, which is not a placeholder and would reach Prometheus as written; write each arg as {{args.NAME}}, one of ${KNOWN}`,
        );
    }
    if (problems.length === 0 && !used.some((a) => CANARY_ARGS.includes(a))) {
        problems.push(
            `${show(q)} uses neither {{args.service}} nor {{args.ingress}}, so it does not measure the canary (vector(1) would pass every canary); select the canary's series, e.g. nginx_ingress_controller_requests{namespace="{{args.namespace}}",service="{{args.service}}"}`,
        );
    }
    return problems;
}

export const analysisQueries: ResourceValidationPolicy = {
    name: "analysis-queries",
    description:
        "Every analysis metric's query and requestsQuery uses only well-formed placeholders of " +
        "known args, selects the canary with {{args.service}} or {{args.ingress}}, and fits in a " +
        "URL (4000 characters).",
    enforcementLevel: "mandatory",
    validateResource: ofType(TYPES.canaryRollout, (args, reportViolation) => {
        for (const m of metricsOf(args.props)) {
            for (const field of ["query", "requestsQuery"]) {
                for (const problem of queryProblems(m.props[field])) {
                    reportViolation(
                        `${subject(args.name, m)}: its ${field} ${problem}. Fix ${key(m, field)}.`,
                    );
                }
            }
        }
    }),
};
