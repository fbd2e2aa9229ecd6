// The local edge's data plane: one demo backend per version, requests routed through the Ingress
// routes (as ingress-nginx) and the Gateway API routes (as an Istio gateway), each counted in
// that data plane's metric.
import * as http from "http";
import type { KubeConfig } from "@kubernetes/client-node";
import { EdgeRequest, K8sObject, ServiceBackend } from "./backends";
import { IstioCounters, RequestCounters, istioLabels } from "./counters";
import { GatewayRef, GatewayRoute, HttpBackend, buildHttpRoutes } from "./httpRoutes";
import { Routed, pickBackend, selectRule } from "./httpRouting";
import { Route, buildRoutes, toCanary } from "./ingress";

/** What one request got: the status, and the version and Service that answered ("" if none). */
export interface Answer {
    status: number;
    version: string;
    service: string;
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

const GATEWAY_API = { group: "gateway.networking.k8s.io", version: "v1" };

export class Edge {
    readonly counters = new RequestCounters();
    readonly istio = new IstioCounters();
    routes: Route[] = [];
    httpRoutes: GatewayRoute[] = [];
    errorRates = new Map<string, number>();
    rps: number;
    private readonly random = prng(42);
    private readonly backends = new Map<string, { port: number; server: http.Server }>();
    private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
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
        const custom = kc.makeApiClient(k8s.CustomObjectsApi);
        // Gateway API objects; none while the CRDs are not installed (404).
        const list = async (plural: string): Promise<K8sObject[]> => {
            try {
                return (await custom.listClusterCustomObject({ ...GATEWAY_API, plural })).items;
            } catch (e) {
                if ((e as { code?: number }).code === 404) {
                    return [];
                }
                throw e;
            }
        };
        const [ing, svc, dep, ns, gatewayClasses, gateways, httpRoutes] = await Promise.all([
            net.listIngressForAllNamespaces(),
            core.listServiceForAllNamespaces(),
            apps.listDeploymentForAllNamespaces(),
            core.listNamespace(),
            list("gatewayclasses"),
            list("gateways"),
            list("httproutes"),
        ]);
        const services = svc.items as K8sObject[];
        const deployments = dep.items as K8sObject[];
        this.routes = buildRoutes(ing.items as K8sObject[], services, deployments);
        this.httpRoutes = buildHttpRoutes(
            { gatewayClasses, gateways, httpRoutes, namespaces: ns.items as K8sObject[] },
            services,
            deployments,
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

    /** The status a backend answers with; 503 when it has no ready pod (no endpoints). */
    private async call(b: ServiceBackend, req: EdgeRequest): Promise<number> {
        if (!b.version || b.readyReplicas <= 0) {
            return 503;
        }
        const port = await this.backendPort(b.version);
        return new Promise<number>((resolve) => {
            const r = http.get(
                {
                    host: "127.0.0.1",
                    port,
                    path: req.path,
                    agent: this.agent,
                    headers: { ...req.headers, Host: req.host },
                },
                (res) => {
                    res.resume();
                    res.on("end", () => resolve(res.statusCode ?? 502));
                },
            );
            r.on("error", () => resolve(502));
            r.setTimeout(2000, () => r.destroy());
        });
    }

    /** One request through an Ingress route, as ingress-nginx would send and count it. */
    async viaIngress(route: Route, req: EdgeRequest): Promise<Answer> {
        const canary = toCanary(route, req, this.random);
        const b = canary ? route.canary! : route.stable;
        const status = await this.call(b, req);
        this.counters.inc({
            namespace: route.namespace,
            ingress: b.ingress,
            service: b.service,
            status: String(status),
            method: "GET",
            host: route.host,
            path: route.path,
            canary: canary ? `${route.namespace}-${b.service}-80` : "",
        });
        return { status, version: status === 503 ? "" : b.version, service: b.service };
    }

    /**
     * One request through the Istio gateway `gateway`: 404 without a matching rule, 500 when the
     * rule has no backend with weight or draws an invalid backendRef.
     */
    async viaGateway(gateway: GatewayRef, req: EdgeRequest): Promise<Answer> {
        const selected = selectRule(this.httpRoutes, req, gateway);
        const b: HttpBackend | undefined = selected && pickBackend(selected.rule, this.random);
        if (!b || b.invalid) {
            const status = selected ? 500 : 404;
            this.istio.inc(istioLabels(gateway, undefined, status));
            return { status, version: "", service: "" };
        }
        const status = await this.call(b, req);
        this.istio.inc(istioLabels(gateway, b, status));
        return { status, version: status === 503 ? "" : b.version, service: b.service };
    }

    /** One request routed by `routeRequest`; 404 when nothing serves it. */
    async serve(routed: Routed | undefined, req: EdgeRequest): Promise<Answer> {
        if (routed?.kind === "ingress") {
            return this.viaIngress(routed.route, req);
        }
        if (routed?.kind === "gateway") {
            return this.viaGateway(routed.selected.route.gateway, req);
        }
        return { status: 404, version: "", service: "" };
    }

    /** Stops the demo backends (the tests' edges; the real one runs until killed). */
    close(): void {
        for (const b of this.backends.values()) {
            b.server.close();
        }
        this.agent.destroy();
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
            httpRoutes: this.httpRoutes.map((r) => ({
                ...r,
                rules: r.rules.map((rule) => ({
                    ...rule,
                    backends: rule.backends.map((b) => ({
                        ...b,
                        requests: this.istio.total({
                            source_workload: `${r.gateway.name}-istio`,
                            source_workload_namespace: r.gateway.namespace,
                            destination_service_name: b.service,
                            destination_service_namespace: b.namespace,
                        }),
                    })),
                })),
            })),
        };
    }
}
