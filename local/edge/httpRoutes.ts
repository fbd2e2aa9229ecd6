// The Gateway API half of the local edge, building routes as Istio's gateway controller would:
// only HTTPRoutes attached to an existing Gateway whose GatewayClass names Istio's controller,
// through a listener that allows them; their hostnames, rules, matches and weighted backendRefs.
import { K8sObject, ServiceBackend, findService, serviceBackend } from "./backends";

/** The controllerName of Istio's GatewayClass (the class "istio" that Istio's install creates). */
export const ISTIO_CONTROLLER = "istio.io/gateway-controller";
const GROUP = "gateway.networking.k8s.io";

export interface GatewayRef {
    name: string;
    namespace: string;
}

export interface HttpBackend extends ServiceBackend {
    namespace: string;
    /** Gateway API weight (not a percentage; relative to the rule's other backendRefs). */
    weight: number;
    /** Why the backendRef is invalid, when it is: requests sent to it get 500. */
    invalid?: string;
}

export interface HttpMatch {
    /** "Exact" or "PathPrefix" (other path types never match here). */
    pathType: "Exact" | "PathPrefix";
    path: string;
    /** Exact header matches; names in lower case (header names are case-insensitive). */
    headers: { name: string; value: string }[];
    method?: string;
}

export interface HttpRule {
    matches: HttpMatch[];
    backends: HttpBackend[];
}

/** One HTTPRoute as attached to one Gateway. */
export interface GatewayRoute {
    namespace: string;
    name: string;
    gateway: GatewayRef;
    hostnames: string[];
    /** creationTimestamp (ISO 8601): the older route wins a precedence tie. */
    created: string;
    rules: HttpRule[];
}

// The fields of the Gateway API objects read here (gateway.networking.k8s.io/v1).
interface ParentRef {
    group?: string;
    kind?: string;
    name: string;
    namespace?: string;
    sectionName?: string;
    port?: number;
}
interface Listener {
    name?: string;
    port?: number;
    protocol?: string;
    allowedRoutes?: {
        namespaces?: { from?: string; selector?: { matchLabels?: Record<string, string> } };
        kinds?: { group?: string; kind: string }[];
    };
}
interface RouteMatch {
    path?: { type?: string; value?: string };
    headers?: { type?: string; name: string; value: string }[];
    queryParams?: unknown[];
    method?: string;
}
interface BackendRef {
    group?: string;
    kind?: string;
    name: string;
    namespace?: string;
    weight?: number;
}
interface RouteRule {
    matches?: RouteMatch[];
    backendRefs?: BackendRef[];
}

const labelsMatch = (labels: Record<string, string>, want: Record<string, string>) =>
    Object.entries(want).every(([k, v]) => labels[k] === v);

/** Pure: whether `listener` of `gw` takes HTTPRoutes from namespace `ns`. */
function allows(gw: K8sObject, listener: Listener, ns: string, namespaces: K8sObject[]): boolean {
    if (listener.protocol !== "HTTP" && listener.protocol !== "HTTPS") {
        return false;
    }
    const kinds = listener.allowedRoutes?.kinds;
    if (
        kinds?.length &&
        !kinds.some((k) => (k.group ?? GROUP) === GROUP && k.kind === "HTTPRoute")
    ) {
        return false;
    }
    const from = listener.allowedRoutes?.namespaces?.from ?? "Same";
    if (from === "All") {
        return true;
    }
    if (from === "Selector") {
        const want = listener.allowedRoutes?.namespaces?.selector?.matchLabels ?? {};
        const labels = namespaces.find((n) => n.metadata?.name === ns)?.metadata?.labels ?? {};
        return labelsMatch(labels, want);
    }
    return gw.metadata?.namespace === ns;
}

function toMatch(m: RouteMatch): HttpMatch | undefined {
    const pathType = m.path?.type ?? "PathPrefix";
    const headers = m.headers ?? [];
    // RegularExpression paths and headers, and query parameter matches, are not served here.
    if (
        (pathType !== "Exact" && pathType !== "PathPrefix") ||
        headers.some((h) => (h.type ?? "Exact") !== "Exact") ||
        (m.queryParams ?? []).length > 0
    ) {
        return undefined;
    }
    return {
        pathType,
        path: m.path?.value ?? "/",
        headers: headers.map((h) => ({ name: h.name.toLowerCase(), value: h.value })),
        ...(m.method ? { method: m.method } : {}),
    };
}

/** Pure: the routes Istio would serve, from the cluster's objects. */
export function buildHttpRoutes(
    objects: {
        gatewayClasses: K8sObject[];
        gateways: K8sObject[];
        httpRoutes: K8sObject[];
        namespaces?: K8sObject[];
    },
    services: K8sObject[],
    deployments: K8sObject[],
): GatewayRoute[] {
    const istioClasses = new Set(
        objects.gatewayClasses
            .filter((c) => c.spec?.controllerName === ISTIO_CONTROLLER)
            .map((c) => c.metadata?.name),
    );
    const out: GatewayRoute[] = [];
    for (const hr of objects.httpRoutes) {
        const ns = hr.metadata?.namespace ?? "";
        const seen = new Set<string>();
        const parentRefs: ParentRef[] = hr.spec?.parentRefs ?? [];
        for (const ref of parentRefs) {
            if ((ref.group ?? GROUP) !== GROUP || (ref.kind ?? "Gateway") !== "Gateway") {
                continue;
            }
            const gwNs: string = ref.namespace ?? ns;
            const gw = objects.gateways.find(
                (g) => g.metadata?.name === ref.name && g.metadata?.namespace === gwNs,
            );
            const listeners = ((gw?.spec?.listeners ?? []) as Listener[]).filter(
                (l) =>
                    (ref.sectionName === undefined || l.name === ref.sectionName) &&
                    (ref.port === undefined || l.port === ref.port),
            );
            const key = `${gwNs}/${ref.name}`;
            if (
                !gw ||
                !istioClasses.has(gw.spec?.gatewayClassName) ||
                !listeners.some((l) => allows(gw, l, ns, objects.namespaces ?? [])) ||
                seen.has(key)
            ) {
                continue;
            }
            seen.add(key);
            out.push({
                namespace: ns,
                name: hr.metadata?.name ?? "",
                gateway: { name: ref.name, namespace: gwNs },
                hostnames: hr.spec?.hostnames ?? [],
                created: new Date(hr.metadata?.creationTimestamp ?? 0).toISOString(),
                rules: ((hr.spec?.rules ?? []) as RouteRule[]).map((rule) => ({
                    // No matches: a PathPrefix match on "/", as the API defaults it.
                    matches: (rule.matches?.length ? rule.matches : [{}])
                        .map(toMatch)
                        .filter((m) => m !== undefined),
                    backends: (rule.backendRefs ?? []).map((b) =>
                        httpBackend(b, ns, services, deployments),
                    ),
                })),
            });
        }
    }
    return out;
}

function httpBackend(
    ref: BackendRef,
    routeNs: string,
    services: K8sObject[],
    deployments: K8sObject[],
): HttpBackend {
    const namespace: string = ref.namespace ?? routeNs;
    const backend: HttpBackend = {
        namespace,
        weight: ref.weight ?? 1,
        ...serviceBackend(namespace, ref.name, services, deployments),
    };
    if ((ref.group ?? "") !== "" || (ref.kind ?? "Service") !== "Service") {
        backend.invalid = `InvalidKind: ${ref.group ?? ""}/${ref.kind}`;
    } else if (namespace !== routeNs) {
        // No ReferenceGrant support here: a reference to another namespace is not permitted.
        backend.invalid = `RefNotPermitted: ${namespace}/${ref.name}`;
    } else if (!findService(services, namespace, ref.name)) {
        backend.invalid = `BackendNotFound: ${namespace}/${ref.name}`;
    }
    return backend;
}
