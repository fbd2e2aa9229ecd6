import * as assert from "assert";
import { IstioCounters, istioLabels } from "../../../local/edge/counters";
import { HttpRule, buildHttpRoutes } from "../../../local/edge/httpRoutes";
import { loadTargets, pickBackend, selectRule } from "../../../local/edge/httpRouting";
import { K8sObject } from "../../../local/edge/backends";
import { dep, svc } from "./fixtures";

const istioClass = {
    metadata: { name: "istio" },
    spec: { controllerName: "istio.io/gateway-controller" },
};
const gateway = (name: string, className = "istio", listener: object = {}) => ({
    metadata: { name, namespace: "demo" },
    spec: {
        gatewayClassName: className,
        listeners: [{ name: "http", port: 80, protocol: "HTTP", ...listener }],
    },
});
const services = [svc("demo-stable", "stable"), svc("demo-canary", "canary")];
const deployments = [
    dep("stable", "argoproj/rollouts-demo:blue", 4),
    dep("canary", "argoproj/rollouts-demo:yellow", 1),
];
/** The HTTPRoute of the issue 15 contract, with its header rule (a) on, weight `w`. */
const contractRoute = (w: number, opts: { ns?: string; parent?: object } = {}): K8sObject => ({
    metadata: {
        name: "demo",
        namespace: opts.ns ?? "demo",
        creationTimestamp: "2026-01-01T00:00:00Z",
    },
    spec: {
        parentRefs: [
            {
                group: "gateway.networking.k8s.io",
                kind: "Gateway",
                name: "demo-gateway",
                namespace: "demo",
                ...opts.parent,
            },
        ],
        hostnames: ["demo.local"],
        rules: [
            {
                matches: [
                    {
                        path: { type: "PathPrefix", value: "/" },
                        headers: [{ type: "Exact", name: "X-Canary", value: "always" }],
                    },
                ],
                backendRefs: [{ name: "demo-canary", port: 80, weight: 1 }],
            },
            {
                matches: [{ path: { type: "PathPrefix", value: "/" } }],
                backendRefs: [
                    { name: "demo-stable", port: 80, weight: 100 - w },
                    { name: "demo-canary", port: 80, weight: w },
                ],
            },
        ],
    },
});
const build = (httpRoutes: K8sObject[], gateways: K8sObject[] = [gateway("demo-gateway")]) =>
    buildHttpRoutes({ gatewayClasses: [istioClass], gateways, httpRoutes }, services, deployments);

const stable = { service: "demo-stable", namespace: "demo", version: "blue", readyReplicas: 4 };
const canary = { service: "demo-canary", namespace: "demo", version: "yellow", readyReplicas: 1 };
const req = (host: string, path: string, headers: Record<string, string> = {}) => ({
    host,
    path,
    headers,
});

describe("local edge: Gateway API routes", () => {
    it("builds the contract's HTTPRoute as Istio would: hostnames, rules, header names, weights", () => {
        assert.deepStrictEqual(build([contractRoute(30)]), [
            {
                namespace: "demo",
                name: "demo",
                gateway: { name: "demo-gateway", namespace: "demo" },
                hostnames: ["demo.local"],
                created: "2026-01-01T00:00:00.000Z",
                rules: [
                    {
                        matches: [
                            {
                                pathType: "PathPrefix",
                                path: "/",
                                headers: [{ name: "x-canary", value: "always" }],
                            },
                        ],
                        backends: [{ ...canary, weight: 1 }],
                    },
                    {
                        matches: [{ pathType: "PathPrefix", path: "/", headers: [] }],
                        backends: [
                            { ...stable, weight: 70 },
                            { ...canary, weight: 30 },
                        ],
                    },
                ],
            },
        ]);
    });

    it("ignores routes whose Gateway is missing, of another class, or not allowing them", () => {
        const cases: [string, K8sObject[], K8sObject[]][] = [
            ["no Gateway", [contractRoute(0)], []],
            ["Gateway of another class", [contractRoute(0)], [gateway("demo-gateway", "nginx")]],
            [
                "parentRef to another namespace's Gateway (no allowedRoutes: Same)",
                [contractRoute(0, { ns: "other" })],
                [gateway("demo-gateway")],
            ],
            [
                "sectionName naming no listener",
                [contractRoute(0, { parent: { sectionName: "https" } })],
                [gateway("demo-gateway")],
            ],
            [
                "parentRef of another kind",
                [contractRoute(0, { parent: { kind: "Service", group: "" } })],
                [gateway("demo-gateway")],
            ],
        ];
        for (const [name, routes, gateways] of cases) {
            assert.deepStrictEqual(build(routes, gateways), [], name);
        }
        // The class must name Istio's controller: a class "istio" of another controller is not it.
        const otherIstio = { metadata: { name: "istio" }, spec: { controllerName: "x.io/gw" } };
        assert.deepStrictEqual(
            buildHttpRoutes(
                {
                    gatewayClasses: [otherIstio],
                    gateways: [gateway("demo-gateway")],
                    httpRoutes: [contractRoute(0)],
                },
                services,
                deployments,
            ),
            [],
        );
        const all = gateway("demo-gateway", "istio", {
            allowedRoutes: { namespaces: { from: "All" } },
        });
        assert.deepStrictEqual(
            build([contractRoute(0, { ns: "other" })], [all]).map((r) => r.namespace),
            ["other"],
        );
    });

    it("marks backendRefs that are not Services of the route's namespace, or missing, invalid", () => {
        const route = contractRoute(0);
        route.spec!.rules[1].backendRefs = [
            { name: "gone", port: 80 },
            { name: "demo-stable", namespace: "other", port: 80 },
            { name: "demo-stable", kind: "ServiceImport", group: "multicluster.x-k8s.io" },
        ];
        const [r] = build([route]);
        assert.deepStrictEqual(
            r.rules[1].backends.map((b) => [b.weight, b.invalid]),
            [
                [1, "BackendNotFound: demo/gone"],
                [1, "RefNotPermitted: other/demo-stable"],
                [1, "InvalidKind: multicluster.x-k8s.io/ServiceImport"],
            ],
        );
    });

    it("more header matches win over rule order; without the header the weighted rule serves", () => {
        const route = contractRoute(0);
        route.spec!.rules.reverse(); // precedence does not depend on the order here
        const routes = build([route]);
        const withHeader = selectRule(routes, req("demo.local", "/x", { "x-canary": "always" }));
        assert.deepStrictEqual(withHeader?.rule.backends, [{ ...canary, weight: 1 }]);
        const others: Record<string, string>[] = [
            {},
            { "x-canary": "Always" },
            { "x-canary": "no" },
        ];
        for (const headers of others) {
            const plain = selectRule(routes, req("demo.local", "/x", headers));
            assert.strictEqual(plain?.rule.backends.length, 2, JSON.stringify(headers));
        }
    });

    it("the longest path prefix wins, element by element; Exact beats any prefix", () => {
        const rule = (type: string, value: string, service: string) => ({
            matches: [{ path: { type, value } }],
            backendRefs: [{ name: service, port: 80 }],
        });
        const route = contractRoute(0);
        route.spec!.rules = [
            rule("PathPrefix", "/", "root"),
            rule("PathPrefix", "/api", "api"),
            rule("PathPrefix", "/api/v1/", "v1"),
            rule("Exact", "/api", "exact"),
        ];
        const routes = build([route]);
        const served = (path: string) =>
            selectRule(routes, req("demo.local", path))?.rule.backends[0].service;
        assert.deepStrictEqual(
            ["/", "/apix", "/api", "/api/", "/api/v1", "/api/v1/users", "/api/v2"].map(served),
            ["root", "root", "exact", "api", "v1", "v1", "api"],
        );
    });

    it("hostnames: exact before wildcard before none; a wildcard never matches its bare domain", () => {
        const route = (name: string, hostnames: string[]) => {
            const r = contractRoute(0);
            r.metadata!.name = name;
            r.spec!.hostnames = hostnames;
            return r;
        };
        const routes = build([
            route("any", []),
            route("wild", ["*.example.com"]),
            route("exact", ["a.example.com", "demo.local"]),
        ]);
        const served = (host: string) => selectRule(routes, req(host, "/"))?.route.name;
        assert.deepStrictEqual(
            ["a.example.com", "b.example.com", "x.y.example.com", "example.com", "demo.local"].map(
                served,
            ),
            ["exact", "wild", "wild", "any", "exact"],
        );
        assert.strictEqual(
            selectRule(build([route("wild", ["*.example.com"])]), req("example.com", "/")),
            undefined,
        );
    });

    it("ties across routes go to the oldest, then to namespace/name in alphabetical order", () => {
        const route = (name: string, created: string) => {
            const r = contractRoute(0);
            r.metadata = { ...r.metadata, name, creationTimestamp: created };
            return r;
        };
        const served = (routes: K8sObject[]) =>
            selectRule(build(routes), req("demo.local", "/"))?.route.name;
        assert.strictEqual(
            served([route("a", "2026-02-01T00:00:00Z"), route("b", "2026-01-01T00:00:00Z")]),
            "b",
        );
        assert.strictEqual(
            served([route("b", "2026-01-01T00:00:00Z"), route("a", "2026-01-01T00:00:00Z")]),
            "a",
        );
    });

    it("draws backends by weight: weight 0 gets nothing, all weights 0 leave none (500)", () => {
        const rule = (...weights: number[]): HttpRule => ({
            matches: [],
            backends: weights.map((weight, i) => ({ ...stable, service: `s${i}`, weight })),
        });
        // 1000 evenly spread draws: the shares are the weights' proportions, exactly.
        const shares = (r: HttpRule) => {
            const n: Record<string, number> = {};
            for (let i = 0; i < 1000; i++) {
                const b = pickBackend(r, () => i / 1000);
                n[b?.service ?? "none"] = (n[b?.service ?? "none"] ?? 0) + 1;
            }
            return n;
        };
        assert.deepStrictEqual(shares(rule(1, 3)), { s0: 250, s1: 750 });
        assert.deepStrictEqual(shares(rule(70, 30)), { s0: 700, s1: 300 });
        assert.deepStrictEqual(shares(rule(0, 100)), { s1: 1000 });
        assert.deepStrictEqual(shares(rule(100, 0)), { s0: 1000 });
        assert.deepStrictEqual(shares(rule(0, 5, 0)), { s1: 1000 });
        assert.deepStrictEqual(shares(rule(0, 0)), { none: 1000 });
        assert.deepStrictEqual(shares(rule()), { none: 1000 });
    });

    it("the load sends to each host and header-less match of each route", () => {
        const r = contractRoute(0);
        r.spec!.hostnames = ["a.local", "b.local"];
        const gw = { name: "demo-gateway", namespace: "demo" };
        assert.deepStrictEqual(loadTargets(build([r])), [
            { gateway: gw, host: "a.local", path: "/" },
            { gateway: gw, host: "b.local", path: "/" },
        ]);
    });

    it("exports Istio's istio_requests_total with the gateway as source workload", () => {
        const c = new IstioCounters();
        const gw = { name: "demo-gateway", namespace: "demo" };
        c.inc(istioLabels(gw, { service: "demo-canary", namespace: "demo" }, 200), 3);
        c.inc(istioLabels(gw, undefined, 500));
        assert.strictEqual(
            c.render(),
            "# HELP istio_requests_total Total requests.\n" +
                "# TYPE istio_requests_total counter\n" +
                'istio_requests_total{reporter="source",source_workload="demo-gateway-istio",source_workload_namespace="demo",destination_service="demo-canary.demo.svc.cluster.local",destination_service_name="demo-canary",destination_service_namespace="demo",response_code="200",request_protocol="http"} 3\n' +
                'istio_requests_total{reporter="source",source_workload="demo-gateway-istio",source_workload_namespace="demo",destination_service="unknown",destination_service_name="unknown",destination_service_namespace="unknown",response_code="500",request_protocol="http"} 1\n',
        );
    });
});
