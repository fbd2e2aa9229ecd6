// What the local edge needs to know of a Service: the version (image tag) of the Deployment behind
// it and how many of its pods are ready. Shared by the Ingress and the HTTPRoute routing.

/** A Kubernetes object as the edge reads it (only the fields it uses). */
export interface K8sObject {
    metadata?: {
        name?: string;
        namespace?: string;
        annotations?: Record<string, string>;
        labels?: Record<string, string>;
        creationTimestamp?: string | Date;
    };
    spec?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    status?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface ServiceBackend {
    service: string;
    /** Image tag of the Deployment behind the Service ("" when none). */
    version: string;
    readyReplicas: number;
}

/** The Service `name` in `namespace`, or undefined when there is none. */
export function findService(
    services: K8sObject[],
    namespace: string | undefined,
    name: string,
): K8sObject | undefined {
    return services.find((s) => s.metadata?.namespace === namespace && s.metadata?.name === name);
}

/** Pure: the version and readiness behind the Service `svcName` of `namespace`. */
export function serviceBackend(
    namespace: string | undefined,
    svcName: string,
    services: K8sObject[],
    deployments: K8sObject[],
): ServiceBackend {
    const selector: Record<string, string> =
        findService(services, namespace, svcName)?.spec?.selector ?? {};
    const dep = deployments.find(
        (d) =>
            d.metadata?.namespace === namespace &&
            Object.keys(selector).length > 0 &&
            Object.entries(selector).every(
                ([k, v]) => d.spec?.template?.metadata?.labels?.[k] === v,
            ),
    );
    const image: string = dep?.spec?.template?.spec?.containers?.[0]?.image ?? "";
    const tag = image.includes("@")
        ? image.split("@")[1].slice(0, 19)
        : image.slice(image.lastIndexOf(":") + 1);
    return {
        service: svcName,
        version: image ? tag : "",
        readyReplicas: dep?.status?.readyReplicas ?? 0,
    };
}

/**
 * Path prefix matching element by element, as both ingress-nginx (pathType Prefix) and the
 * Gateway API (PathPrefix) define it: "/foo" matches "/foo", "/foo/" and "/foo/bar", not "/foobar".
 */
export function pathHasPrefix(path: string, prefix: string): boolean {
    const p = prefix.replace(/\/+$/, "");
    return p === "" || path === p || path.startsWith(`${p}/`);
}

/** One request through the edge: header names in lower case. */
export interface EdgeRequest {
    host: string;
    path: string;
    headers: Record<string, string>;
}
