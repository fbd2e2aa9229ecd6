// The local edge: a test double for the ingress-nginx data plane on the embedded stack, where
// pods under kwok run no process. It reads Ingresses, Services and Deployments from the real API
// server, runs one demo backend per version (the image tag: blue, yellow, ...), sends a steady
// load split by the canary Ingress' weight as ingress-nginx would, lets you inject an error rate
// per version (like the demo app's "500 Error Rate" slider), and exports
// nginx_ingress_controller_requests with ingress-nginx's labels for Prometheus to scrape.
//
//   node -r ts-node/register local/edge/main.ts [--metrics-port 10254] [--control-port 10255] [--rps 20]
//
// Control API (127.0.0.1:control-port): GET /state; POST /errors?version=red&rate=0.3;
// POST /rps?value=50.
import * as http from "http";
import type { KubeConfig } from "@kubernetes/client-node";
import { RequestCounters, serveMetrics } from "./counters";

const CANARY = "nginx.ingress.kubernetes.io/canary";
const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";

function flag(name: string, fallback: number): number {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** One host+path served by a stable Ingress and, optionally, its canary. */
export interface Route {
    namespace: string;
    host: string;
    path: string;
    stable: Backend;
    canary?: Backend;
    weight: number;
}

export interface Backend {
    ingress: string;
    service: string;
    /** Image tag of the Deployment behind the Service ("" when none). */
    version: string;
    readyReplicas: number;
}

interface K8sObject {
    metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
    spec?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    status?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
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
        const ns = ing.metadata?.namespace;
        const svc = services.find(
            (s) => s.metadata?.namespace === ns && s.metadata?.name === svcName,
        );
        const selector: Record<string, string> = svc?.spec?.selector ?? {};
        const dep = deployments.find(
            (d) =>
                d.metadata?.namespace === ns &&
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
            ingress: ing.metadata!.name!,
            service: svcName,
            version: image ? tag : "",
            readyReplicas: dep?.status?.readyReplicas ?? 0,
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
        const weight = Number(canaryIng?.metadata?.annotations?.[WEIGHT] ?? 0);
        routes.push({
            namespace: ing.metadata!.namespace!,
            host: rule.host ?? "",
            path: rule.http.paths[0].path ?? "/",
            stable,
            canary: canaryIng ? backend(canaryIng) : undefined,
            weight: Number.isFinite(weight) ? Math.min(100, Math.max(0, weight)) : 0,
        });
    }
    return routes;
}

/** mulberry32: a small seeded PRNG, so a run's traffic is reproducible. */
export function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

class Edge {
    readonly counters = new RequestCounters();
    routes: Route[] = [];
    errorRates = new Map<string, number>();
    rps: number;
    private readonly random = prng(42);
    private readonly backends = new Map<string, { port: number; server: http.Server }>();
    lastSync = "";
    lastError = "";

    constructor(
        rps: number,
        readonly ingressClass = "nginx",
    ) {
        this.rps = rps;
    }

    /** A demo backend per version: answers 200 {"color": version}, or 500 at its error rate. */
    private async backendPort(version: string): Promise<number> {
        const existing = this.backends.get(version);
        if (existing) {
            return existing.port;
        }
        const server = http.createServer((_req, res) => {
            const failed = this.random() < (this.errorRates.get(version) ?? 0);
            res.writeHead(failed ? 500 : 200, { "Content-Type": "application/json" });
            res.end(JSON.stringify({ color: version }));
        });
        server.keepAliveTimeout = 60_000;
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        const port = (server.address() as { port: number }).port;
        this.backends.set(version, { port, server });
        return port;
    }

    async sync(kc: KubeConfig): Promise<void> {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const k8s = require("@kubernetes/client-node") as typeof import("@kubernetes/client-node");
        const net = kc.makeApiClient(k8s.NetworkingV1Api);
        const core = kc.makeApiClient(k8s.CoreV1Api);
        const apps = kc.makeApiClient(k8s.AppsV1Api);
        const [ing, svc, dep] = await Promise.all([
            net.listIngressForAllNamespaces(),
            core.listServiceForAllNamespaces(),
            apps.listDeploymentForAllNamespaces(),
        ]);
        this.routes = buildRoutes(
            ing.items as K8sObject[],
            svc.items as K8sObject[],
            dep.items as K8sObject[],
        );
        // Like ingress-nginx, publish the address that serves each Ingress of our class, so
        // tools that wait for it (pulumi-kubernetes' Ingress await) see the Ingress as ready.
        const mergePatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
        for (const i of ing.items) {
            const published = i.status?.loadBalancer?.ingress ?? [];
            if (i.spec?.ingressClassName === this.ingressClass && published.length === 0) {
                await net.patchNamespacedIngressStatus(
                    {
                        name: i.metadata!.name!,
                        namespace: i.metadata!.namespace!,
                        body: { status: { loadBalancer: { ingress: [{ ip: "127.0.0.1" }] } } },
                    },
                    mergePatch,
                );
            }
        }
        this.lastSync = new Date().toISOString();
    }

    private agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

    /** One request through a route, as ingress-nginx would count it. */
    async request(route: Route): Promise<void> {
        const toCanary = route.canary !== undefined && this.random() * 100 < route.weight;
        const b = toCanary ? route.canary! : route.stable;
        let status = 503; // no ready endpoints: ingress-nginx answers 503
        if (b.version && b.readyReplicas > 0) {
            const port = await this.backendPort(b.version);
            status = await new Promise<number>((resolve) => {
                const req = http.get(
                    {
                        host: "127.0.0.1",
                        port,
                        path: route.path,
                        agent: this.agent,
                        headers: { Host: route.host },
                    },
                    (res) => {
                        res.resume();
                        res.on("end", () => resolve(res.statusCode ?? 502));
                    },
                );
                req.on("error", () => resolve(502));
                req.setTimeout(2000, () => req.destroy());
            });
        }
        this.counters.inc({
            namespace: route.namespace,
            ingress: b.ingress,
            service: b.service,
            status: String(status),
            method: "GET",
            host: route.host,
            path: route.path,
            canary: toCanary ? `${route.namespace}-${b.service}-80` : "",
        });
    }

    state() {
        return {
            lastSync: this.lastSync,
            lastError: this.lastError,
            rps: this.rps,
            errorRates: Object.fromEntries(this.errorRates),
            routes: this.routes.map((r) => ({
                ...r,
                requests: {
                    stable: this.counters.total({
                        namespace: r.namespace,
                        service: r.stable.service,
                    }),
                    canary: r.canary
                        ? this.counters.total({ namespace: r.namespace, service: r.canary.service })
                        : 0,
                },
            })),
        };
    }
}

async function main(): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const k8s = require("@kubernetes/client-node") as typeof import("@kubernetes/client-node");
    const kc = new k8s.KubeConfig();
    kc.loadFromDefault();
    const edge = new Edge(flag("rps", 20));
    const metricsPort = flag("metrics-port", 10254);
    const controlPort = flag("control-port", 10255);
    await serveMetrics(edge.counters, metricsPort);

    const control = http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://edge");
        const reply = (code: number, body: unknown) => {
            res.writeHead(code, { "Content-Type": "application/json" });
            res.end(JSON.stringify(body, null, 2));
        };
        if (req.method === "GET" && url.pathname === "/state") {
            return reply(200, edge.state());
        }
        if (req.method === "POST" && url.pathname === "/errors") {
            const version = url.searchParams.get("version") ?? "";
            const rate = Number(url.searchParams.get("rate"));
            if (!version || !Number.isFinite(rate) || rate < 0 || rate > 1) {
                return reply(400, {
                    error: `need ?version=TAG&rate=R with R from 0 to 1, got version=${JSON.stringify(version)} rate=${url.searchParams.get("rate")}`,
                });
            }
            edge.errorRates.set(version, rate);
            return reply(200, { errorRates: Object.fromEntries(edge.errorRates) });
        }
        if (req.method === "POST" && url.pathname === "/rps") {
            const value = Number(url.searchParams.get("value"));
            if (!Number.isFinite(value) || value < 0 || value > 1000) {
                return reply(400, {
                    error: "need ?value=N with N from 0 to 1000 requests per second",
                });
            }
            edge.rps = value;
            return reply(200, { rps: edge.rps });
        }
        reply(404, { error: "GET /state, POST /errors?version=TAG&rate=R, POST /rps?value=N" });
    });
    await new Promise<void>((r) => control.listen(controlPort, "127.0.0.1", r));

    const syncLoop = async () => {
        for (;;) {
            try {
                await edge.sync(kc);
                edge.lastError = "";
            } catch (e) {
                edge.lastError = (e as Error).message;
            }
            await new Promise((r) => setTimeout(r, 500));
        }
    };
    void syncLoop();

    // Load: `rps` requests per second per route, sent every 50 ms (fractions carry over).
    let carry = 0;
    setInterval(() => {
        carry += edge.rps * 0.05;
        const n = Math.floor(carry);
        carry -= n;
        for (const route of edge.routes) {
            for (let i = 0; i < n; i++) {
                void edge.request(route);
            }
        }
    }, 50);
    console.log(
        `edge: metrics on 127.0.0.1:${metricsPort}/metrics, control on 127.0.0.1:${controlPort}, ${edge.rps} rps per route`,
    );
}

if (require.main === module) {
    main().catch((e) => {
        console.error(`edge: ${(e as Error).message}`);
        process.exit(1);
    });
}
