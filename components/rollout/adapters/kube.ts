// Kubernetes access via @kubernetes/client-node, shared by the adapters that write the cluster:
// the workloads (workloads.ts: the canary Deployment's replicas) and the traffic routers
// (routers/: one file per router). They write with their own field manager and touch only what
// Pulumi's manifests leave to them (or hold at the same value at rest).
//
// Every write reads the object first and refuses one this program did not create for the same
// app (core/ownership.ts); the merge patch then carries the resourceVersion it read, so it never
// lands on an object that changed in between. API faults are handled as Kubernetes asks:
//   409 Conflict          re-read, check the owner again, patch again
//   429 Too Many Requests wait Retry-After (or back off when it is absent), then retry
//   5xx, connection lost  back off 200 ms, 400 ms, ... up to 5 s, then retry
//   401, 403              no retry: the error names the verb, the object and the RBAC permission
//   404                   no retry: the error names the missing object and how to recreate it
// Retries stop after MAX_ATTEMPTS and at the rollout's deadline; writes that put traffic back on
// stable (weight 0, canary 0 replicas) may retry RESET_GRACE_MS past it.
import type {
    AppsV1Api,
    CustomObjectsApi,
    KubeConfig,
    NetworkingV1Api,
} from "@kubernetes/client-node";
import { FIELD_MANAGER } from "../core/names";
import { foreignOwner, NOT_OURS_FIX, notOursMessage, OwnedMeta } from "../core/ownership";
import { errorText, isTransientHttp, retryAfterOf, seconds, statusOf, withTimeout } from "./retry";

export { FIELD_MANAGER };

/** Attempts of one request (transient errors) and of one write (conflicts). */
export const MAX_ATTEMPTS = 8;
/** How long past the deadline a write that puts traffic back on stable may still retry. */
export const RESET_GRACE_MS = 60_000;
const FIRST_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5_000;
const CONFLICT_BACKOFF_MS = 50;
/** Longest wait for one answer: a hung API server must not hold the run past its deadline. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Longest part of an API server's message quoted in an error. */
const MAX_SERVER_MESSAGE = 300;

/** Where the app lives in the cluster, and the kind of object its router writes. */
export interface KubeScope {
    /** The app's name: objects must be labelled for it (core/ownership.ts). */
    app: string;
    namespace: string;
    /** The router's object, named in RBAC errors beside deployments. Defaults to Ingress. */
    routeKind?: RouteKind;
}

/** Kubernetes access as the provider receives it: a kubeconfig's text, or the ambient one. */
export interface KubeAccess {
    kubeconfig?: string;
    context?: string;
}

export interface KubeOptions {
    /** Epoch ms: no request is retried past it (the rollout's deadline). */
    deadline: number;
    /** Poll interval of waitCanaryReady in ms. Defaults to 1000. */
    pollMs?: number;
    /** Longest wait for one answer in ms (never past the deadline). Defaults to 30 s. */
    requestTimeoutMs?: number;
    /** Injected by tests; default real time. */
    now?: () => number;
    sleep?: (ms: number) => Promise<void>;
    /**
     * Paces the wait for ready canary pods only (defaults to `sleep`): the provider passes its
     * host clock's, which throws once the run is cancelled or pulumi is gone, so that wait stops
     * at the next tick. Retries keep `sleep`: the reset to stable after a stop must still go
     * through.
     */
    pollSleep?: (ms: number) => Promise<void>;
}

/** An API request that failed for good; `status` is the HTTP status, if there was one. */
/**
 * `failure`: what went wrong, without the request (two requests refused the same way have the
 * same one); `fix`: the remedy the message ends with, apart, so a reason can put it last.
 */
export class KubeApiError extends Error {
    constructor(
        message: string,
        readonly status?: number,
        readonly failure?: string,
        readonly fix?: string,
    ) {
        super(message);
        this.name = "KubeApiError";
    }
}

// client-node 1.x is an ES module; Node >= 20.19 can require() it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const k8s = (): typeof import("@kubernetes/client-node") => require("@kubernetes/client-node");

/** The kubeconfig as given (or the ambient one), without checking that it names a cluster. */
export function parseKubeConfig(access: KubeAccess): KubeConfig {
    const kc = new (k8s().KubeConfig)();
    if (access.kubeconfig) {
        try {
            kc.loadFromString(access.kubeconfig);
        } catch (e) {
            // The YAML parser quotes the lines around the error: they may hold a token.
            const x = e as { reason?: string; mark?: { line?: number } };
            const where = x.mark?.line === undefined ? "" : ` at line ${x.mark.line + 1}`;
            throw new Error(
                `progressive-delivery:kubeconfig is not a valid kubeconfig (${x.reason ?? "cannot be parsed"}${where}; ` +
                    "the text is not shown because it is a secret); set it again with `pulumi config set --secret progressive-delivery:kubeconfig`",
            );
        }
    } else {
        kc.loadFromDefault();
    }
    return kc;
}

export function loadKubeConfig(access: KubeAccess): KubeConfig {
    const kc = parseKubeConfig(access);
    if (access.context) {
        kc.setCurrentContext(access.context);
    }
    if (!kc.getCurrentCluster()) {
        throw new Error(
            "no Kubernetes cluster: set progressive-delivery:kubeconfig (as a secret), or KUBECONFIG / kubeContext",
        );
    }
    return kc;
}

/** The kinds of object the adapters read and write. */
export type Kind = "Deployment" | "Ingress" | "HTTPRoute";
export type RouteKind = Exclude<Kind, "Deployment">;
type Verb = "get" | "patch";
const RBAC: Record<Kind, { resource: string; group: string }> = {
    Deployment: { resource: "deployments", group: "apps" },
    Ingress: { resource: "ingresses", group: "networking.k8s.io" },
    HTTPRoute: { resource: "httproutes", group: "gateway.networking.k8s.io" },
};
/** The fix for a deleted object the rollout needs: the Deployments come before it in an update. */
const RECREATE = "run `pulumi refresh`, then `pulumi up` to recreate it";
/**
 * The fix for a deleted route: an update creates the routes after the release (they follow the
 * stable Deployment), and the release needs the route, so the first pulumi up after the refresh
 * fails once more and recreates the route; the next releases (test/e2e/routeGone.test.ts).
 */
const RECREATE_ROUTE =
    "run `pulumi refresh`, then `pulumi up` twice: the first recreates it but fails once more " +
    "(an update creates the routes after the release, which needs the route), the second releases";
/** Gateway API's version of the HTTPRoutes the program creates. */
export const GATEWAY_API_VERSION = "v1";

export interface KubeObject {
    metadata?: OwnedMeta & {
        annotations?: Record<string, string>;
        resourceVersion?: string;
        generation?: number;
    };
}

/** The shared machinery: reads that check the owner, and conflict-safe merge patches. */
export interface KubeObjects {
    /** E.g. `Ingress demo/demo-canary`. */
    name(kind: Kind, n: string): string;
    /** Reads an object and refuses it unless this program created it for this app. */
    readOwned(kind: Kind, n: string, until: number): Promise<KubeObject>;
    /**
     * Reads, checks the owner, and merge-patches what `body` gives for the object read (with its
     * resourceVersion); a 409 starts over from the read. `body` returns undefined when the
     * object needs no change.
     */
    write(
        kind: Kind,
        n: string,
        what: string,
        body: (obj: KubeObject) => { metadata?: object; spec?: object } | undefined,
        until: number,
    ): Promise<void>;
    /** Until when a write may retry (epoch ms): toward stable, a little past the deadline. */
    untilFor(towardStable: boolean): number;
    readonly deadline: number;
    now(): number;
    /** Paces retries. */
    sleep(ms: number): Promise<void>;
}

export function kubeObjects(kc: KubeConfig, scope: KubeScope, opts: KubeOptions): KubeObjects {
    const lib = k8s();
    const apps: AppsV1Api = kc.makeApiClient(lib.AppsV1Api);
    const net: NetworkingV1Api = kc.makeApiClient(lib.NetworkingV1Api);
    const custom: CustomObjectsApi = kc.makeApiClient(lib.CustomObjectsApi);
    const mergePatch = lib.setHeaderOptions("Content-Type", lib.PatchStrategy.MergePatch);
    const { namespace, app } = scope;
    const routeKind = scope.routeKind ?? "Ingress";
    const now = opts.now ?? Date.now;
    const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const name = (kind: Kind, n: string) => `${kind} ${namespace}/${n}`;
    const route = { group: RBAC.HTTPRoute.group, version: GATEWAY_API_VERSION, namespace };

    const api: Record<
        Kind,
        { get(n: string): Promise<KubeObject>; patch(n: string, body: object): Promise<unknown> }
    > = {
        Deployment: {
            get: (n: string) => apps.readNamespacedDeployment({ name: n, namespace }),
            patch: (n: string, body: object) =>
                apps.patchNamespacedDeployment(
                    { name: n, namespace, fieldManager: FIELD_MANAGER, body },
                    mergePatch,
                ),
        },
        Ingress: {
            get: (n: string) => net.readNamespacedIngress({ name: n, namespace }),
            patch: (n: string, body: object) =>
                net.patchNamespacedIngress(
                    { name: n, namespace, fieldManager: FIELD_MANAGER, body },
                    mergePatch,
                ),
        },
        HTTPRoute: {
            get: (n: string) =>
                custom.getNamespacedCustomObject({ ...route, plural: "httproutes", name: n }),
            patch: (n: string, body: object) =>
                custom.patchNamespacedCustomObject(
                    { ...route, plural: "httproutes", name: n, body, fieldManager: FIELD_MANAGER },
                    mergePatch,
                ),
        },
    };

    /** One request, retried on 429, 5xx and lost connections until `until` (epoch ms). */
    async function request<T>(
        verb: Verb,
        kind: Kind,
        n: string,
        what: string,
        fn: () => Promise<T>,
        until: number,
    ): Promise<T> {
        let backoff = FIRST_BACKOFF_MS;
        for (let attempt = 1; ; attempt++) {
            try {
                const budget = Math.min(opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS, until - now());
                return await withTimeout(fn(), Math.max(budget, 1000));
            } catch (e) {
                const status = statusOf(e);
                const tries = attempt > 1 ? ` (after ${attempt} attempts)` : "";
                const fail = (failure: string, fix?: string) =>
                    new KubeApiError(
                        `${what} failed${tries}: ${failure}${fix === undefined ? "" : `: ${fix}`}`,
                        status,
                        failure,
                        fix,
                    );
                const text = cut(apiText(e, status));
                if (status === 401) {
                    throw fail(
                        `${text}; the API server did not accept the credentials`,
                        "set progressive-delivery:kubeconfig (as a secret) or kubeContext",
                    );
                }
                if (status === 403) {
                    const { resource, group } = RBAC[kind];
                    const r = RBAC[routeKind];
                    throw fail(
                        `${text}; the kubeconfig's user needs the RBAC permission to ${verb} ${resource} (API group "${group}") ` +
                            `in namespace "${namespace}"`,
                        `grant the rollout get and patch on deployments.apps and ${r.resource}.${r.group} ` +
                            "there (a Role and a RoleBinding)",
                    );
                }
                if (status === 404) {
                    throw fail(
                        `${name(kind, n)} does not exist (HTTP 404); this stack created it, so it was deleted outside Pulumi`,
                        kind === "Deployment" ? RECREATE : RECREATE_ROUTE,
                    );
                }
                if (status === 409 || !isTransientHttp(e)) {
                    throw fail(text);
                }
                if (attempt >= MAX_ATTEMPTS) {
                    throw fail(`${text}; gave up after ${MAX_ATTEMPTS} attempts`);
                }
                const asked = status === 429 ? retryAfterOf(e, now()) : undefined;
                const wait = asked ?? backoff;
                if (now() + wait > until) {
                    throw fail(
                        `${text}; ${asked === undefined ? "" : `the API server asked to retry after ${seconds(asked)}, but `}` +
                            `retrying would pass the rollout's deadline`,
                    );
                }
                await sleep(wait);
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
            }
        }
    }

    /** Reads an object and refuses it unless this program created it for this app. */
    async function readOwned(kind: Kind, n: string, until: number): Promise<KubeObject> {
        const obj: KubeObject = await request(
            "get",
            kind,
            n,
            `reading ${name(kind, n)}`,
            () => api[kind].get(n),
            until,
        );
        const owner = foreignOwner(obj.metadata ?? {}, app);
        if (owner !== undefined) {
            const message = notOursMessage(name(kind, n), app, owner);
            throw new KubeApiError(message, undefined, undefined, NOT_OURS_FIX);
        }
        return obj;
    }

    async function write(
        kind: Kind,
        n: string,
        what: string,
        body: (obj: KubeObject) => { metadata?: object; spec?: object } | undefined,
        until: number,
    ): Promise<void> {
        for (let attempt = 1; ; attempt++) {
            const current = await readOwned(kind, n, until);
            const change = body(current);
            if (change === undefined) {
                return;
            }
            const resourceVersion = current.metadata?.resourceVersion;
            const patch = {
                ...change,
                metadata: { ...change.metadata, ...(resourceVersion ? { resourceVersion } : {}) },
            };
            try {
                await request("patch", kind, n, what, () => api[kind].patch(n, patch), until);
                return;
            } catch (e) {
                if (!(e instanceof KubeApiError && e.status === 409)) {
                    throw e;
                }
                if (attempt >= MAX_ATTEMPTS || now() + CONFLICT_BACKOFF_MS > until) {
                    throw new KubeApiError(
                        `${what} failed: ${name(kind, n)} changed under every one of ${attempt} writes (HTTP 409 Conflict); ` +
                            "another client keeps writing it: find it in the object's managedFields",
                        409,
                    );
                }
                await sleep(CONFLICT_BACKOFF_MS);
            }
        }
    }

    return {
        name,
        readOwned,
        write,
        // Writes toward stable may retry a little past the deadline: they end an aborted run.
        untilFor: (towardStable: boolean) =>
            towardStable ? opts.deadline + RESET_GRACE_MS : opts.deadline,
        deadline: opts.deadline,
        now,
        sleep,
    };
}

/** The API server's own message (its Status), or the connection error. */
function apiText(e: unknown, status: number | undefined): string {
    const text = errorText(e);
    if (status === undefined) {
        return text;
    }
    // client-node's message without a Status body is its whole response, headers included.
    if (text.startsWith("HTTP-Code:")) {
        return `HTTP ${status}`;
    }
    return text.startsWith("HTTP ") ? text : `HTTP ${status}: ${text}`;
}

function cut(text: string): string {
    return text.length > MAX_SERVER_MESSAGE
        ? `${text.slice(0, MAX_SERVER_MESSAGE)}... (${text.length} characters)`
        : text;
}
