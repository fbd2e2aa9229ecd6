// Router gateway-api: the HTTPRoute's rules. CanaryApp creates the route with one weighted rule,
// backendRefs stable (weight 100) and canary (weight 0); the rollout writes those two weights,
// and, while a run has its header route on, a rule before it that sends requests with the header
// to the canary alone (Gateway API picks the rule whose match has the most headers, and a header
// match adds to the path match). Every write is a merge patch of spec.rules carrying the
// resourceVersion it was computed from (kube.ts write), so a concurrent edit means a re-read.
import type { HeaderMatch } from "../../core/spec";
import { TrafficRouter } from "../../core/types";
import { KubeApiError, type KubeObject, type KubeObjects } from "../kube";

export interface GatewayApiTarget {
    /** The HTTPRoute's name. */
    route: string;
    canaryService: string;
    stableService: string;
    /** The header that reaches the canary while the header route is on. */
    header?: HeaderMatch;
}

interface BackendRef {
    name?: string;
    port?: number;
    weight?: number;
    [k: string]: unknown;
}
interface RouteMatch {
    headers?: { type?: string; name: string; value: string }[];
    [k: string]: unknown;
}
export interface RouteRule {
    matches?: RouteMatch[];
    backendRefs?: BackendRef[];
    [k: string]: unknown;
}

type Services = Pick<GatewayApiTarget, "canaryService" | "stableService">;

/** The header rule a run writes: a header match, and the canary as its only backend. */
function isHeaderRule(rule: RouteRule, svc: Services): boolean {
    const refs = rule.backendRefs ?? [];
    return (
        refs.length === 1 &&
        refs[0].name === svc.canaryService &&
        (rule.matches ?? []).some((m) => (m.headers ?? []).length > 0)
    );
}

/** The weighted rule: backendRefs to both Services. */
function isWeightedRule(rule: RouteRule, svc: Services): boolean {
    const names = (rule.backendRefs ?? []).map((b) => b.name);
    return names.includes(svc.stableService) && names.includes(svc.canaryService);
}

/**
 * The rules with the weighted rule's backendRefs at `weight` (canary) and 100 - weight
 * (stable), or undefined when they are so already. Throws when the route has no weighted rule.
 */
export function rulesWithWeight(
    rules: RouteRule[],
    svc: Services,
    weight: number,
    route: string,
): RouteRule[] | undefined {
    weightedIndex(rules, svc, route);
    const next = rules.map((rule) =>
        isWeightedRule(rule, svc)
            ? {
                  ...rule,
                  backendRefs: rule.backendRefs!.map((b) =>
                      b.name === svc.canaryService
                          ? { ...b, weight }
                          : b.name === svc.stableService
                            ? { ...b, weight: 100 - weight }
                            : b,
                  ),
              }
            : rule,
    );
    return unchanged(rules, next) ? undefined : next;
}

/**
 * The rules with the header rule first (header given) or without any header rule (undefined),
 * or undefined when they are so already. The header rule matches what the weighted rule matches,
 * plus the header, and sends it to the canary's backendRef (weight 1).
 */
export function rulesWithHeader(
    rules: RouteRule[],
    svc: Services,
    header: HeaderMatch | undefined,
    route: string,
): RouteRule[] | undefined {
    const rest = rules.filter((r) => !isHeaderRule(r, svc));
    let next = rest;
    if (header) {
        const weighted = rest[weightedIndex(rest, svc, route)];
        const canary = weighted.backendRefs!.find((b) => b.name === svc.canaryService)!;
        const matches = weighted.matches?.length ? weighted.matches : [{}];
        const headers = [{ type: "Exact", name: header.name, value: header.value }];
        next = [
            {
                matches: matches.map((m) => ({
                    ...m,
                    headers: [...(m.headers ?? []), ...headers],
                })),
                backendRefs: [{ ...canary, weight: 1 }],
            },
            ...rest,
        ];
    }
    return unchanged(rules, next) ? undefined : next;
}

function weightedIndex(rules: RouteRule[], svc: Services, route: string): number {
    const i = rules.findIndex((r) => isWeightedRule(r, svc));
    if (i < 0) {
        const failure =
            `${route} has no rule with backendRefs to both ${svc.stableService} and ${svc.canaryService}, ` +
            "so the rollout cannot weigh them; it was changed outside Pulumi";
        const fix = "run `pulumi refresh`, then `pulumi up` to restore it";
        throw new KubeApiError(`${failure}: ${fix}`, undefined, failure, fix);
    }
    return i;
}

function unchanged(a: RouteRule[], b: RouteRule[]): boolean {
    return JSON.stringify(a) === JSON.stringify(b);
}

export function gatewayApiRouter(objects: KubeObjects, target: GatewayApiTarget): TrafficRouter {
    const { name, write, untilFor } = objects;
    const where = name("HTTPRoute", target.route);
    const rulesOf = (obj: KubeObject) =>
        ((obj as { spec?: { rules?: RouteRule[] } }).spec?.rules ?? []) as RouteRule[];
    const patch = (rules: RouteRule[] | undefined) => (rules ? { spec: { rules } } : undefined);
    return {
        async setWeight(weight: number) {
            await write(
                "HTTPRoute",
                target.route,
                `setting the backendRef weights of ${where} to ${100 - weight} (${target.stableService}) and ${weight} (${target.canaryService})`,
                (obj) => patch(rulesWithWeight(rulesOf(obj), target, weight, where)),
                untilFor(weight === 0),
            );
        },
        async setHeaderRoute(on: boolean) {
            const header = on ? target.header : undefined;
            if (on && !header) {
                return; // no header configured: nothing to turn on
            }
            await write(
                "HTTPRoute",
                target.route,
                header
                    ? `adding the header rule ${header.name}: ${header.value} to ${where}`
                    : `removing the header rule from ${where}`,
                (obj) => patch(rulesWithHeader(rulesOf(obj), target, header, where)),
                untilFor(!on),
            );
        },
    };
}
