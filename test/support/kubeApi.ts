// A Kubernetes API double: a local HTTP server on 127.0.0.1 that speaks enough of the Kubernetes
// JSON API for the rollout's adapters (GET and merge-PATCH of Deployments, Ingresses and Gateway
// API HTTPRoutes, their status subresource), the way kube-apiserver does: Status bodies with reason and code,
// resourceVersion preconditions (409), managedFields per field manager, generation bumps on spec
// changes, and a Deployment "controller" that makes replicas ready. Faults are injected per
// request: any status (403, 404, 429 with Retry-After, 5xx), a dropped connection, a hang, or a
// concurrent writer that changes the object between the adapter's read and its write.
import * as http from "http";
import * as net from "net";
import { freePort } from "./prometheus";

import { GROUP, mergePatch, Obj, QUALIFIED, Resource } from "./kubeObjects";

// What the tests address the double with, and the objects CanaryApp creates, as seeds.
export {
    FOREIGN_OWNERS,
    httpRoute,
    mergePatch,
    NOT_OURS,
    PULUMI_MANAGER,
    seedApp,
} from "./kubeObjects";
export type { AppSeed, Obj, Resource } from "./kubeObjects";

export interface Seen {
    method: string;
    path: string;
    query: URLSearchParams;
    contentType?: string;
    authorization?: string;
    body?: any;
    /** What the double answered: a status code, "reset" or "hang". */
    answer: number | "reset" | "hang";
}

/** A fault for the next matching request(s). */
export interface Fault {
    method?: "GET" | "PATCH";
    resource?: Resource;
    name?: string;
    /** How many matching requests it hits. Defaults to 1. */
    times?: number;
    /** How many matching requests it lets through before it hits. Defaults to 0. */
    skip?: number;
    /** Answer with this HTTP status and a Kubernetes Status body. */
    status?: number;
    /** Retry-After header value (seconds or an HTTP date), e.g. with 429. */
    retryAfter?: string;
    /** The Status message; defaults to what kube-apiserver says for that status. */
    message?: string;
    /** Drop the connection without an answer, or never answer. */
    drop?: "reset" | "hang";
    /**
     * A concurrent writer: just before this request, the object changes (a new resourceVersion
     * and an annotation, or what the function does to it).
     */
    interfere?: boolean | ((obj: Obj) => void);
}

const REASON: Record<number, string> = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "Timeout",
};
// A resource is found only under its own group (GROUP's prefix), as kube-apiserver serves it.
const PATH =
    /^\/apis\/[^/]+\/v1\/namespaces\/([^/]+)\/(deployments|ingresses|httproutes)\/([^/]+)(\/status)?$/;

const EVENTS = /^\/api\/v1\/namespaces\/([^/]+)\/events$/;

export class KubeApiDouble {
    readonly seen: Seen[] = [];
    /** Events created (core/v1), as the API server stores them. */
    readonly events: {
        reason: string;
        type: string;
        message: string;
        involvedObject: { name: string };
    }[] = [];
    readonly faults: Fault[] = [];
    /** How the Deployment "controller" answers a new replica count. */
    deployments: "ready" | "stuck" = "ready";
    /** The user the double claims the token belongs to, in 403 messages. */
    user = "system:serviceaccount:ci:deployer";
    /** RBAC without `create` on events: every event is refused with a 403. */
    refuseEvents = false;
    private readonly objects = new Map<string, Obj>();
    private readonly hung = new Set<net.Socket>();
    private rv = 100;
    private server?: http.Server;
    port = 0;

    async start(): Promise<this> {
        this.port = await freePort();
        this.server = http.createServer((req, res) => this.handle(req, res));
        await new Promise<void>((r) => this.server!.listen(this.port, "127.0.0.1", r));
        return this;
    }

    async stop(): Promise<void> {
        for (const s of this.hung) {
            s.destroy();
        }
        this.server?.closeAllConnections();
        await new Promise((r) => this.server?.close(r));
    }

    /** A kubeconfig for the double, with a bearer token. */
    kubeconfig(token = "t0ken-for-the-double"): string {
        return [
            "apiVersion: v1",
            "kind: Config",
            `clusters: [{name: double, cluster: {server: 'http://127.0.0.1:${this.port}', insecure-skip-tls-verify: true}}]`,
            `users: [{name: u, user: {token: ${token}}}]`,
            "contexts: [{name: c, context: {cluster: double, user: u}}]",
            "current-context: c",
        ].join("\n");
    }

    reset(): void {
        this.seen.length = 0;
        this.events.length = 0;
        this.faults.length = 0;
        this.refuseEvents = false;
        this.objects.clear();
        this.deployments = "ready";
    }

    inject(...faults: Fault[]): void {
        this.faults.push(...faults);
    }

    /** Stores an object as the API server would have it (resourceVersion, generation set). */
    put(resource: Resource, obj: Obj): Obj {
        const g = GROUP[resource];
        const stored: Obj = JSON.parse(JSON.stringify(obj));
        stored.apiVersion = g.apiVersion;
        stored.kind = g.kind;
        stored.metadata.resourceVersion = String(++this.rv);
        stored.metadata.generation ??= 1;
        this.objects.set(key(resource, obj.metadata.namespace, obj.metadata.name), stored);
        return stored;
    }

    get(resource: Resource, namespace: string, name: string): Obj | undefined {
        return this.objects.get(key(resource, namespace, name));
    }

    delete(resource: Resource, namespace: string, name: string): void {
        this.objects.delete(key(resource, namespace, name));
    }

    /** The requests that reached the double, as "METHOD resource/name" lines. */
    calls(): string[] {
        return this.seen.map((s) => {
            const m = PATH.exec(s.path);
            return `${s.method} ${m ? `${m[2]}/${m[3]}${m[4] ?? ""}` : s.path} ${s.answer}`;
        });
    }

    /** The writes (PATCH requests) that the double accepted. */
    writes(): Seen[] {
        return this.seen.filter((s) => s.method === "PATCH" && s.answer === 200);
    }

    private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
        let raw = "";
        req.on("data", (d) => (raw += d));
        req.on("end", () => {
            const url = new URL(req.url!, "http://x");
            const seen: Seen = {
                method: req.method!,
                path: url.pathname,
                query: url.searchParams,
                contentType: req.headers["content-type"],
                authorization: req.headers.authorization,
                body: raw ? JSON.parse(raw) : undefined,
                answer: 200,
            };
            this.seen.push(seen);
            if (req.method === "POST" && EVENTS.test(url.pathname)) {
                if (this.refuseEvents) {
                    seen.answer = 403;
                    return this.status(
                        res,
                        403,
                        `events is forbidden: User "${this.user}" cannot create resource "events" in API group "" in the namespace "${EVENTS.exec(url.pathname)![1]}"`,
                    );
                }
                this.events.push(seen.body);
                seen.answer = 201;
                res.writeHead(201, { "Content-Type": "application/json" });
                return res.end(JSON.stringify(seen.body));
            }
            const m = PATH.exec(url.pathname);
            if (!m || !url.pathname.startsWith(`${GROUP[m[2] as Resource].prefix}/`)) {
                seen.answer = 404;
                return this.status(res, 404, "the server could not find the requested resource");
            }
            const [, namespace, resource, name] = m as unknown as [
                string,
                string,
                Resource,
                string,
            ];
            const fault = this.takeFault(req.method!, resource, name);
            if (fault?.interfere) {
                this.interfere(resource, namespace, name, fault.interfere);
            }
            if (fault?.drop === "reset") {
                seen.answer = "reset";
                req.socket.destroy();
                return;
            }
            if (fault?.drop === "hang") {
                seen.answer = "hang";
                this.hung.add(req.socket);
                return;
            }
            if (fault?.status) {
                seen.answer = fault.status;
                return this.status(
                    res,
                    fault.status,
                    fault.message ??
                        this.defaultMessage(fault.status, req.method!, resource, name, namespace),
                    fault.retryAfter,
                );
            }
            const k = key(resource, namespace, name);
            const obj = this.objects.get(k);
            if (!obj) {
                seen.answer = 404;
                return this.status(res, 404, `${QUALIFIED[resource]} "${name}" not found`);
            }
            if (req.method === "GET") {
                return this.send(res, 200, obj);
            }
            if (req.method !== "PATCH") {
                seen.answer = 405;
                return this.status(res, 405, `the server does not allow ${req.method} here`);
            }
            if (req.headers["content-type"] !== "application/merge-patch+json") {
                seen.answer = 415;
                return this.status(
                    res,
                    415,
                    `unsupported patch type ${req.headers["content-type"]}`,
                );
            }
            const wanted = seen.body?.metadata?.resourceVersion;
            if (wanted !== undefined && wanted !== obj.metadata.resourceVersion) {
                seen.answer = 409;
                return this.status(
                    res,
                    409,
                    `Operation cannot be fulfilled on ${QUALIFIED[resource]} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
                );
            }
            const patched = mergePatch(obj, seen.body) as Obj;
            patched.metadata.resourceVersion = String(++this.rv);
            if (JSON.stringify(patched.spec) !== JSON.stringify(obj.spec)) {
                patched.metadata.generation = (obj.metadata.generation ?? 1) + 1;
            }
            const manager = url.searchParams.get("fieldManager");
            if (manager) {
                const fields = (patched.metadata.managedFields ?? []).filter(
                    (f) => f.manager !== manager,
                );
                patched.metadata.managedFields = [
                    ...fields,
                    { manager, operation: "Update", apiVersion: GROUP[resource].apiVersion },
                ];
            }
            if (resource === "deployments" && this.deployments === "ready") {
                const replicas = patched.spec?.replicas ?? 1;
                patched.status = {
                    observedGeneration: patched.metadata.generation,
                    replicas,
                    readyReplicas: replicas,
                    updatedReplicas: replicas,
                    availableReplicas: replicas,
                };
            }
            this.objects.set(k, patched);
            this.send(res, 200, patched);
        });
    }

    private takeFault(method: string, resource: Resource, name: string): Fault | undefined {
        const i = this.faults.findIndex(
            (f) =>
                (f.method === undefined || f.method === method) &&
                (f.resource === undefined || f.resource === resource) &&
                (f.name === undefined || f.name === name),
        );
        if (i < 0) {
            return undefined;
        }
        const f = this.faults[i];
        if ((f.skip ?? 0) > 0) {
            this.faults[i] = { ...f, skip: f.skip! - 1 };
            return undefined;
        }
        if ((f.times ?? 1) <= 1) {
            this.faults.splice(i, 1);
        } else {
            this.faults[i] = { ...f, times: (f.times ?? 1) - 1 };
        }
        return f;
    }

    /** Another client writes the object: a new resourceVersion and its own field manager. */
    private interfere(
        resource: Resource,
        namespace: string,
        name: string,
        change: true | ((obj: Obj) => void),
    ): void {
        const obj = this.objects.get(key(resource, namespace, name));
        if (obj) {
            obj.metadata.resourceVersion = String(++this.rv);
            if (change === true) {
                obj.metadata.annotations = {
                    ...obj.metadata.annotations,
                    touched: String(this.rv),
                };
            } else {
                change(obj);
            }
        }
    }

    private defaultMessage(
        status: number,
        method: string,
        resource: Resource,
        name: string,
        namespace: string,
    ): string {
        const verb = method === "PATCH" ? "patch" : "get";
        const [res, group] = QUALIFIED[resource].split(/\.(.*)/);
        switch (status) {
            case 403:
                return `${QUALIFIED[resource]} "${name}" is forbidden: User "${this.user}" cannot ${verb} resource "${res}" in API group "${group}" in the namespace "${namespace}"`;
            case 404:
                return `${QUALIFIED[resource]} "${name}" not found`;
            case 429:
                return "Too many requests, please try again later.";
            default:
                return `injected ${status}`;
        }
    }

    private status(
        res: http.ServerResponse,
        code: number,
        message: string,
        retryAfter?: string,
    ): void {
        this.send(
            res,
            code,
            {
                kind: "Status",
                apiVersion: "v1",
                metadata: {},
                status: "Failure",
                message,
                reason: REASON[code] ?? "Unknown",
                code,
            },
            retryAfter === undefined ? {} : { "Retry-After": retryAfter },
        );
    }

    private send(
        res: http.ServerResponse,
        code: number,
        body: unknown,
        headers: Record<string, string> = {},
    ): void {
        res.writeHead(code, { "Content-Type": "application/json", ...headers });
        res.end(JSON.stringify(body));
    }
}

function key(resource: Resource, namespace: string, name: string): string {
    return `${resource}/${namespace}/${name}`;
}
