// Query templates: the PromQL a metric sends, with {{args.NAME}} placeholders filled per run,
// and the rate window each measurement uses. Pure.
import type { RouterKind } from "./spec/types";
/** The names a query template may use as {{args.NAME}}. */
export interface QueryArgs {
    /** The app's namespace (ingress-nginx's `namespace` label, Istio's destination namespace). */
    namespace: string;
    /** The canary Service (ingress-nginx's `service` label for canary traffic). */
    service: string;
    /** The stable Service. */
    stableService: string;
    /** The canary Ingress' name (router gateway-api: the HTTPRoute's). */
    ingress: string;
    /** Regex of statuses that count as failures: `5..` (default) or `[45]..`. */
    failureStatus: string;
    /** The rate window, e.g. `60s`: see windowFor. */
    window: string;
}

export const ARG_NAMES: (keyof QueryArgs)[] = [
    "namespace",
    "service",
    "stableService",
    "ingress",
    "failureStatus",
    "window",
];

const SELECTOR = 'namespace="{{args.namespace}}",service="{{args.service}}"';

/** The seed's success rate, with `rate` instead of `irate` and failures chosen by status regex. */
export const DEFAULT_SUCCESS_RATE_QUERY =
    `sum(rate(nginx_ingress_controller_requests{${SELECTOR},status!~"{{args.failureStatus}}"}[{{args.window}}]))` +
    ` / sum(rate(nginx_ingress_controller_requests{${SELECTOR}}[{{args.window}}]))`;

/** Requests the canary served in the window; gates minRequests. */
export const DEFAULT_REQUESTS_QUERY = `sum(increase(nginx_ingress_controller_requests{${SELECTOR}}[{{args.window}}]))`;

/**
 * Istio's standard metric for router gateway-api: the gateway's (reporter="source") requests to
 * one destination Service, i.e. per backendRef of the HTTPRoute.
 */
const ISTIO_SELECTOR =
    'reporter="source",destination_service_namespace="{{args.namespace}}",destination_service_name="{{args.service}}"';

export const ISTIO_SUCCESS_RATE_QUERY =
    `sum(rate(istio_requests_total{${ISTIO_SELECTOR},response_code!~"{{args.failureStatus}}"}[{{args.window}}]))` +
    ` / sum(rate(istio_requests_total{${ISTIO_SELECTOR}}[{{args.window}}]))`;

export const ISTIO_REQUESTS_QUERY = `sum(increase(istio_requests_total{${ISTIO_SELECTOR}}[{{args.window}}]))`;

/** Each router's default queries, and an example selector of the canary's series for messages. */
export const ROUTER_QUERIES: Record<
    RouterKind,
    { successRate: string; requests: string; canarySeries: string }
> = {
    "ingress-nginx": {
        successRate: DEFAULT_SUCCESS_RATE_QUERY,
        requests: DEFAULT_REQUESTS_QUERY,
        canarySeries: `nginx_ingress_controller_requests{${SELECTOR}}`,
    },
    "gateway-api": {
        successRate: ISTIO_SUCCESS_RATE_QUERY,
        requests: ISTIO_REQUESTS_QUERY,
        canarySeries: `istio_requests_total{${ISTIO_SELECTOR}}`,
    },
};

const PLACEHOLDER = /\{\{\s*args\.([A-Za-z0-9_-]+)\s*\}\}/g;

/** Names used in a template that are not query args; empty when the template is fine. */
export function unknownArgs(template: string): string[] {
    return [...template.matchAll(PLACEHOLDER)]
        .map((m) => m[1])
        .filter((n) => !(ARG_NAMES as string[]).includes(n));
}

/**
 * Pieces of a template that look like a placeholder but are not one, e.g. `{{args.service}`,
 * `{args.service}}` or `{{ service }}`: Prometheus would receive them literally. PromQL itself
 * never writes `{{`, `}}` or `args.` (selectors do not nest), so whatever is left of them once
 * the well-formed placeholders are taken out is a mistake. Empty when the template is fine.
 */
export function malformedPlaceholders(template: string): string[] {
    const rest = template.replace(PLACEHOLDER, " ");
    return [
        ...rest.matchAll(/\{*\{\{[^{}]{0,40}\}*|\{?[^{}\s]{0,40}\}\}+|\bargs\.[A-Za-z0-9_-]*\}*/g),
    ].map((m) => m[0]);
}

/** Args that scope a query to the canary: a query using neither measures something else. */
export const CANARY_ARGS: (keyof QueryArgs)[] = ["service", "ingress"];

/** Whether a template selects the canary's series (uses {{args.service}} or {{args.ingress}}). */
export function selectsCanary(template: string): boolean {
    return [...template.matchAll(PLACEHOLDER)].some((m) =>
        (CANARY_ARGS as string[]).includes(m[1]),
    );
}

/**
 * Longest query template: it is sent in the URL of a GET request, and API servers and proxies
 * refuse URLs over 8 KiB (percent-encoding can double a query's length). The default is 297.
 */
export const MAX_QUERY_CHARS = 4000;

export function renderQuery(template: string, args: QueryArgs): string {
    return template.replace(PLACEHOLDER, (_all, name: string) => {
        if (!(ARG_NAMES as string[]).includes(name)) {
            throw new Error(`unknown query arg {{args.${name}}}; known: ${ARG_NAMES.join(", ")}`);
        }
        return args[name as keyof QueryArgs];
    });
}

/**
 * The rate window in seconds: the configured window, but never reaching back before the canary
 * got traffic in this run (a previous failed canary's 5xx would still be in a 5m window), and
 * never shorter than minWindowSeconds (rate needs two scrapes). E.g. window 300, min 20, 45s of
 * traffic -> 45.
 */
export function windowFor(
    canaryTrafficSeconds: number,
    windowSeconds: number,
    minWindowSeconds: number,
): number {
    return Math.max(minWindowSeconds, Math.min(windowSeconds, Math.ceil(canaryTrafficSeconds)));
}

/** The args known before a measurement; the window is set per measurement. */
export type BaseArgs = Omit<QueryArgs, "window">;
