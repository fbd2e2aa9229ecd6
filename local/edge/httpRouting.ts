// Routing one request through the Gateway API routes with the API's precedence: the most specific
// hostname first (as Istio builds one virtual host per hostname), then across the rules of the
// routes left: Exact path, longest PathPrefix, a method match, most header matches; then the
// oldest route, then "{namespace}/{name}" in alphabetical order, then the first rule in order.
import { EdgeRequest, pathHasPrefix } from "./backends";
import { GatewayRef, GatewayRoute, HttpBackend, HttpMatch, HttpRule } from "./httpRoutes";
import { Route, findRoute } from "./ingress";

/** [characters of a matching non-wildcard hostname, characters of a matching hostname]. */
function hostScore(route: GatewayRoute, host: string): [number, number] | undefined {
    if (route.hostnames.length === 0) {
        return [0, 0];
    }
    let best: [number, number] | undefined;
    for (const h of route.hostnames) {
        let s: [number, number] | undefined;
        if (h === host) {
            s = [h.length, h.length];
        } else if (h.startsWith("*.") && host.endsWith(h.slice(1)) && host.length > h.length - 1) {
            s = [0, h.length];
        }
        if (s && (!best || compare(s, best) > 0)) {
            best = s;
        }
    }
    return best;
}

/** Lexicographic comparison of two score vectors. */
function compare(a: number[], b: number[]): number {
    for (let i = 0; i < a.length; i++) {
        if (a[i] !== b[i]) {
            return a[i] - b[i];
        }
    }
    return 0;
}

function matches(m: HttpMatch, req: EdgeRequest): boolean {
    const path = m.pathType === "Exact" ? req.path === m.path : pathHasPrefix(req.path, m.path);
    return (
        path &&
        (m.method === undefined || m.method === "GET") &&
        m.headers.every((h) => req.headers[h.name] === h.value)
    );
}

/** The precedence of a match, larger first: Exact path, prefix length, method, header count. */
const matchScore = (m: HttpMatch) => [
    m.pathType === "Exact" ? 1 : 0,
    m.path.length,
    m.method ? 1 : 0,
    m.headers.length,
];

export interface Selected {
    route: GatewayRoute;
    rule: HttpRule;
}

/**
 * Pure: the route rule that serves `req`, among the routes attached to `gateway` (all gateways
 * when undefined); undefined when none matches (the gateway answers 404).
 */
export function selectRule(
    routes: GatewayRoute[],
    req: EdgeRequest,
    gateway?: GatewayRef,
): Selected | undefined {
    const onGateway = routes.filter(
        (r) =>
            !gateway ||
            (r.gateway.name === gateway.name && r.gateway.namespace === gateway.namespace),
    );
    const scored = onGateway
        .map((route) => ({ route, host: hostScore(route, req.host) }))
        .filter((x): x is { route: GatewayRoute; host: [number, number] } => x.host !== undefined);
    const bestHost = scored.reduce<number[] | undefined>(
        (b, x) => (!b || compare(x.host, b) > 0 ? x.host : b),
        undefined,
    );
    let best: { sel: Selected; score: number[]; order: [string, string, number] } | undefined;
    for (const { route, host } of scored) {
        if (compare(host, bestHost!) !== 0) {
            continue;
        }
        route.rules.forEach((rule, i) => {
            for (const m of rule.matches.filter((x) => matches(x, req))) {
                const score = matchScore(m);
                const order: [string, string, number] = [
                    route.created,
                    `${route.namespace}/${route.name}`,
                    i,
                ];
                const c = best ? compare(score, best.score) : 1;
                if (c > 0 || (c === 0 && before(order, best!.order))) {
                    best = { sel: { route, rule }, score, order };
                }
            }
        });
    }
    return best?.sel;
}

const before = (a: [string, string, number], b: [string, string, number]) =>
    a[0] !== b[0] ? a[0] < b[0] : a[1] !== b[1] ? a[1] < b[1] : a[2] < b[2];

/**
 * Pure: the backend a request matched by `rule` goes to, drawn by weight with `random`;
 * undefined when the rule has no backend with a weight above 0 (the gateway answers 500).
 * Weights 1 and 3: a quarter of the requests go to the first, three quarters to the second.
 */
export function pickBackend(rule: HttpRule, random: () => number): HttpBackend | undefined {
    const total = rule.backends.reduce((s, b) => s + Math.max(0, b.weight), 0);
    if (total <= 0) {
        return undefined;
    }
    let x = random() * total;
    for (const b of rule.backends) {
        x -= Math.max(0, b.weight);
        if (x < 0) {
            return b;
        }
    }
    return rule.backends.filter((b) => b.weight > 0).at(-1); // x rounded to just above 0
}

/** Pure: the requests of the steady load, one per host and header-less match of each route. */
export function loadTargets(
    routes: GatewayRoute[],
): { gateway: GatewayRef; host: string; path: string }[] {
    const out = new Map<string, { gateway: GatewayRef; host: string; path: string }>();
    for (const r of routes) {
        for (const host of r.hostnames.length ? r.hostnames : [""]) {
            for (const rule of r.rules) {
                for (const m of rule.matches.filter((x) => x.headers.length === 0)) {
                    if (m.method === undefined || m.method === "GET") {
                        const key = `${r.gateway.namespace}/${r.gateway.name}|${host}|${m.path}`;
                        out.set(key, { gateway: r.gateway, host, path: m.path });
                    }
                }
            }
        }
    }
    return [...out.values()];
}

/** Where the edge sends a request: an Ingress route (nginx) or a Gateway API rule (Istio). */
export type Routed = { kind: "ingress"; route: Route } | { kind: "gateway"; selected: Selected };

/**
 * Pure: the route of a request the edge receives on its one address, which plays both
 * ingress-nginx and the Istio gateway: an Ingress serving the host and path first, else the
 * Gateway API rule with the highest precedence across all Istio gateways.
 */
export function routeRequest(
    routes: Route[],
    httpRoutes: GatewayRoute[],
    req: EdgeRequest,
): Routed | undefined {
    const route = findRoute(routes, req);
    if (route) {
        return { kind: "ingress", route };
    }
    const selected = selectRule(httpRoutes, req);
    return selected && { kind: "gateway", selected };
}
