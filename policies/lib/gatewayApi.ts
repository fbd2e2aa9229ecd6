// Reading Gateway API objects (gateway.networking.k8s.io/v1 HTTPRoute and Gateway) with the API's
// defaults filled in: a parentRef is a Gateway in the route's namespace unless it says otherwise,
// a backendRef a Service in the route's namespace with weight 1, a rule without matches matches
// every path (PathPrefix "/"). Values unknown during preview are kept as UNKNOWN, and the
// policies skip what they cannot see.
import { PolicyResource } from "@pulumi/policy";
import { asArray, asObject, at, TRACK_SUFFIX, UNKNOWN, Unknown } from "./resources";

export const GATEWAY_GROUP = "gateway.networking.k8s.io";

/** Kubernetes' namespace for an object that names none (the provider's default). */
const DEFAULT_NAMESPACE = "default";

type Known<T> = T | Unknown;

const text = (v: unknown): Known<string | undefined> =>
    v === UNKNOWN ? UNKNOWN : typeof v === "string" ? v : undefined;

/** The object's namespace: metadata.namespace, "default" when it names none. */
export function namespaceOf(props: unknown): Known<string> {
    return text(at(props, "metadata", "namespace")) ?? DEFAULT_NAMESPACE;
}

/** The object's name in the cluster (metadata.name), or the resource's name. */
export function nameOf(r: { name: string; props: unknown }): string {
    const name = at(r.props, "metadata", "name");
    return typeof name === "string" ? name : r.name;
}

export interface BackendRef {
    /** "Service" unless the ref says otherwise; other kinds are never the app's Services. */
    kind: Known<string>;
    name: Known<string | undefined>;
    namespace: Known<string>;
    /** As declared: undefined when unset (the Gateway API reads 1). */
    weight: unknown;
}

export interface RouteRule {
    /** Position in spec.rules, for messages. */
    index: number;
    backendRefs: BackendRef[];
    /** True when the list of backendRefs, or one of them, is unknown during preview. */
    partlyUnknown: boolean;
    /** True when a match of the rule selects requests by header. */
    matchesHeaders: Known<boolean>;
    /** The header names its matches select on, for messages. */
    headers: string[];
    /** "PathPrefix /" for each match that selects by path only (no method, no query). */
    paths: string[];
}

function backendRefOf(ref: unknown, routeNamespace: Known<string>): BackendRef {
    const group = text(at(ref, "group")) ?? "";
    const kind = text(at(ref, "kind")) ?? "Service";
    return {
        kind: group === UNKNOWN || kind === UNKNOWN ? UNKNOWN : group === "" ? kind : "other",
        name: text(at(ref, "name")),
        namespace: text(at(ref, "namespace")) ?? routeNamespace,
        weight: at(ref, "weight"),
    };
}

/** The rules of an HTTPRoute; unknown rules (during preview) are left out. */
export function rulesOf(route: unknown): RouteRule[] {
    const routeNamespace = namespaceOf(route);
    const rules = asArray(at(route, "spec", "rules")) ?? [];
    return rules.flatMap((_r, index): RouteRule[] => {
        const rule = asObject(at(rules, index));
        if (!rule) {
            return [];
        }
        const refsValue = at(rule, "backendRefs");
        const refs = asArray(refsValue) ?? [];
        const backendRefs = refs.map((_b, j) => backendRefOf(at(refs, j), routeNamespace));
        const matchesValue = at(rule, "matches");
        const matches = asArray(matchesValue) ?? [];
        const headers: string[] = [];
        let matchesHeaders: Known<boolean> = matchesValue === UNKNOWN ? UNKNOWN : false;
        const paths: string[] = [];
        matches.forEach((_m, j) => {
            const hs = at(matches, j, "headers");
            if (hs === UNKNOWN) {
                matchesHeaders = UNKNOWN;
            } else if ((asArray(hs) ?? []).length > 0) {
                matchesHeaders = matchesHeaders === UNKNOWN ? UNKNOWN : true;
                for (const h of asArray(hs) ?? []) {
                    const name = at(h, "name");
                    headers.push(typeof name === "string" ? name : "?");
                }
            } else if (at(matches, j, "method") === undefined) {
                const q = at(matches, j, "queryParams");
                if (q === undefined || (asArray(q) ?? []).length === 0) {
                    const type = text(at(matches, j, "path", "type")) ?? "PathPrefix";
                    const value = text(at(matches, j, "path", "value")) ?? "/";
                    if (type !== UNKNOWN && value !== UNKNOWN) {
                        paths.push(`${type} ${value}`);
                    }
                }
            }
        });
        if (matchesValue === undefined || matches.length === 0) {
            paths.push("PathPrefix /");
        }
        return [
            {
                index,
                backendRefs,
                partlyUnknown:
                    refsValue === UNKNOWN ||
                    backendRefs.some((b) => b.kind === UNKNOWN || b.name === UNKNOWN),
                matchesHeaders,
                headers,
                paths,
            },
        ];
    });
}

/** True when `ref` is the Service `name` in `namespace`. */
export function isService(ref: BackendRef, name: string, namespace: Known<string>): boolean {
    return (
        ref.kind === "Service" &&
        ref.name === name &&
        (ref.namespace === UNKNOWN || namespace === UNKNOWN || ref.namespace === namespace)
    );
}

/**
 * The app whose canary Service a rule of this route sends to, by CanaryApp's names: a backendRef
 * to "<app>-canary" in a route that also sends to "<app>-stable". Undefined for other routes.
 */
export function canaryAppOf(route: unknown): string | undefined {
    const names = new Set(
        rulesOf(route).flatMap((r) =>
            r.backendRefs.flatMap((b) =>
                b.kind === "Service" && typeof b.name === "string" ? [b.name] : [],
            ),
        ),
    );
    for (const name of names) {
        if (name.endsWith(TRACK_SUFFIX.canary)) {
            const app = name.slice(0, -TRACK_SUFFIX.canary.length);
            if (app && names.has(`${app}${TRACK_SUFFIX.stable}`)) {
                return app;
            }
        }
    }
    return undefined;
}

export interface ParentRef {
    /** True when the parent is a Gateway (the default group and kind). */
    isGateway: Known<boolean>;
    name: Known<string | undefined>;
    namespace: Known<string>;
    sectionName: Known<string | undefined>;
    port: unknown;
}

/** The parentRefs of a route; UNKNOWN when the list is unknown during preview. */
export function parentRefsOf(route: unknown): Known<ParentRef[]> {
    const value = at(route, "spec", "parentRefs");
    if (value === UNKNOWN) {
        return UNKNOWN;
    }
    const refs = asArray(value) ?? [];
    const routeNamespace = namespaceOf(route);
    return refs.map((_p, i) => {
        const group = text(at(refs, i, "group")) ?? GATEWAY_GROUP;
        const kind = text(at(refs, i, "kind")) ?? "Gateway";
        return {
            isGateway:
                group === UNKNOWN || kind === UNKNOWN
                    ? UNKNOWN
                    : group === GATEWAY_GROUP && kind === "Gateway",
            name: text(at(refs, i, "name")),
            namespace: text(at(refs, i, "namespace")) ?? routeNamespace,
            sectionName: text(at(refs, i, "sectionName")),
            port: at(refs, i, "port"),
        };
    });
}

/** The route's hostnames (known strings only); UNKNOWN when the list is unknown. */
export function hostnamesOf(route: unknown): Known<string[]> {
    const value = at(route, "spec", "hostnames");
    if (value === UNKNOWN) {
        return UNKNOWN;
    }
    const list = asArray(value) ?? [];
    return list.map((_h, i) => at(list, i)).filter((h): h is string => typeof h === "string");
}

/** A listener hostname (maybe "*.example.com") and a route hostname that can meet. */
function hostsMeet(listener: string, route: string): boolean {
    const covers = (wild: string, host: string) =>
        wild.startsWith("*.") && host.endsWith(wild.slice(1));
    return listener === route || covers(listener, route) || covers(route, listener);
}

/**
 * Why no listener of `gateway` accepts the route through `ref`, or undefined when one does (or
 * when it cannot be told: listeners unknown during preview, a namespace selector).
 */
export function refusal(
    gateway: PolicyResource,
    ref: ParentRef,
    routeNamespace: Known<string>,
    hostnames: Known<string[]>,
): string | undefined {
    const value = at(gateway.props, "spec", "listeners");
    if (value === UNKNOWN) {
        return undefined;
    }
    const listeners = asArray(value) ?? [];
    const gatewayNamespace = namespaceOf(gateway.props);
    const reasons: string[] = [];
    for (let i = 0; i < listeners.length; i++) {
        const l = (...path: string[]) => at(listeners, i, ...path);
        const name = typeof l("name") === "string" ? `"${l("name") as string}"` : `#${i}`;
        const protocol = l("protocol");
        const kinds = asArray(l("allowedRoutes", "kinds")) ?? [];
        const from = l("allowedRoutes", "namespaces", "from") ?? "Same";
        const host = l("hostname");
        if ([protocol, from, host, ref.sectionName, ref.port].includes(UNKNOWN)) {
            return undefined;
        }
        if (ref.sectionName !== undefined && l("name") !== ref.sectionName) {
            continue; // the route names another listener
        }
        if (ref.port !== undefined && l("port") !== ref.port) {
            continue;
        }
        if (protocol !== "HTTP" && protocol !== "HTTPS") {
            reasons.push(`listener ${name} speaks ${JSON.stringify(protocol)}, not HTTP or HTTPS`);
        } else if (
            kinds.length > 0 &&
            !kinds.some(
                (_k, j) =>
                    at(kinds, j, "kind") === "HTTPRoute" &&
                    (at(kinds, j, "group") ?? GATEWAY_GROUP) === GATEWAY_GROUP,
            )
        ) {
            reasons.push(`listener ${name} allows no HTTPRoute (allowedRoutes.kinds)`);
        } else if (from === "Same" && routeNamespace !== gatewayNamespace) {
            if (routeNamespace === UNKNOWN || gatewayNamespace === UNKNOWN) {
                return undefined;
            }
            reasons.push(
                `listener ${name} allows routes from its own namespace "${gatewayNamespace}" only ` +
                    `(allowedRoutes.namespaces.from "Same", the default), and the route is in "${routeNamespace}"`,
            );
        } else if (
            typeof host === "string" &&
            hostnames !== UNKNOWN &&
            hostnames.length > 0 &&
            !hostnames.some((h) => hostsMeet(host, h))
        ) {
            reasons.push(`listener ${name} serves host "${host}" only`);
        } else {
            return undefined;
        }
    }
    if (reasons.length === 0) {
        const which =
            ref.sectionName !== undefined
                ? `named "${String(ref.sectionName)}"`
                : ref.port !== undefined
                  ? `on port ${String(ref.port)}`
                  : "at all";
        return `it has no listener ${which}`;
    }
    return reasons.join("; ");
}
