// The Ingress half of the local edge: routes built from nginx Ingresses as ingress-nginx builds
// its upstreams, with the canary Ingress' weight and canary-by-header rules.
import { EdgeRequest, K8sObject, ServiceBackend, pathHasPrefix, serviceBackend } from "./backends";

const CANARY = "nginx.ingress.kubernetes.io/canary";
const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";
const BY_HEADER = "nginx.ingress.kubernetes.io/canary-by-header";
const BY_HEADER_VALUE = "nginx.ingress.kubernetes.io/canary-by-header-value";

/** One host+path served by a stable Ingress and, optionally, its canary. */
export interface Route {
    namespace: string;
    host: string;
    path: string;
    stable: Backend;
    canary?: Backend;
    weight: number;
    /** The canary Ingress' canary-by-header (name) and canary-by-header-value, when set. */
    header?: { name: string; value?: string };
}

export interface Backend extends ServiceBackend {
    ingress: string;
}

/** Pure: routes from the cluster's objects, as ingress-nginx would build its upstreams. */
export function buildRoutes(
    ingresses: K8sObject[],
    services: K8sObject[],
    deployments: K8sObject[],
): Route[] {
    const backend = (ing: K8sObject): Backend | undefined => {
        const rule = ing.spec?.rules?.[0];
        const svcName: string | undefined = rule?.http?.paths?.[0]?.backend?.service?.name;
        if (!svcName) {
            return undefined;
        }
        return {
            ingress: ing.metadata!.name!,
            ...serviceBackend(ing.metadata?.namespace, svcName, services, deployments),
        };
    };
    const key = (ing: K8sObject) => {
        const rule = ing.spec?.rules?.[0];
        return `${ing.metadata?.namespace}|${rule?.host ?? ""}|${rule?.http?.paths?.[0]?.path ?? "/"}`;
    };
    const routes: Route[] = [];
    for (const ing of ingresses.filter((i) => i.metadata?.annotations?.[CANARY] !== "true")) {
        const stable = backend(ing);
        if (!stable) {
            continue;
        }
        const canaryIng = ingresses.find(
            (c) => c.metadata?.annotations?.[CANARY] === "true" && key(c) === key(ing),
        );
        const rule = ing.spec!.rules[0];
        const annotations = canaryIng?.metadata?.annotations ?? {};
        const weight = Number(annotations[WEIGHT] ?? 0);
        const route: Route = {
            namespace: ing.metadata!.namespace!,
            host: rule.host ?? "",
            path: rule.http.paths[0].path ?? "/",
            stable,
            canary: canaryIng ? backend(canaryIng) : undefined,
            weight: Number.isFinite(weight) ? Math.min(100, Math.max(0, weight)) : 0,
        };
        if (annotations[BY_HEADER]) {
            route.header = { name: annotations[BY_HEADER].toLowerCase() };
            if (annotations[BY_HEADER_VALUE] !== undefined) {
                route.header.value = annotations[BY_HEADER_VALUE];
            }
        }
        routes.push(route);
    }
    return routes;
}

/**
 * Pure: whether ingress-nginx sends `req` to the canary. canary-by-header-value: the header equal
 * to it goes to the canary. canary-by-header alone: "always" goes to the canary, "never" to
 * stable. Any other value (or no header) falls through to the weight, drawn with `random`.
 */
export function toCanary(route: Route, req: EdgeRequest, random: () => number): boolean {
    if (!route.canary) {
        return false;
    }
    const sent = route.header ? req.headers[route.header.name] : undefined;
    if (route.header && sent !== undefined) {
        if (route.header.value !== undefined) {
            if (sent === route.header.value) {
                return true;
            }
        } else if (sent === "always") {
            return true;
        } else if (sent === "never") {
            return false;
        }
    }
    return random() * 100 < route.weight;
}

/** Pure: the route ingress-nginx serves `req` with (host, then longest path prefix), if any. */
export function findRoute(routes: Route[], req: EdgeRequest): Route | undefined {
    let best: Route | undefined;
    for (const r of routes) {
        if ((r.host === "" || r.host === req.host) && pathHasPrefix(req.path, r.path)) {
            const better =
                !best ||
                (r.host !== "" && best.host === "") ||
                ((r.host !== "") === (best.host !== "") && r.path.length > best.path.length);
            if (better) {
                best = r;
            }
        }
    }
    return best;
}
