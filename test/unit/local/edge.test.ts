import * as assert from "assert";
import { buildRoutes, findRoute, toCanary } from "../../../local/edge/ingress";
import { Edge } from "../../../local/edge/edge";
import type { GatewayRoute, HttpBackend } from "../../../local/edge/httpRoutes";
import { routeRequest } from "../../../local/edge/httpRouting";
import { parseProbe } from "../../../local/edge/main";
import { RequestCounters } from "../../../local/edge/counters";
import { dep, svc } from "./fixtures";

const ing = (name: string, svc: string, annotations: Record<string, string> = {}) => ({
    metadata: { name, namespace: "demo", annotations },
    spec: {
        rules: [
            {
                host: "demo.local",
                http: { paths: [{ path: "/", backend: { service: { name: svc } } }] },
            },
        ],
    },
});

describe("local edge", () => {
    it("builds a route with the canary's weight, versions from image tags and readiness", () => {
        const routes = buildRoutes(
            [
                ing("demo", "demo-stable"),
                ing("demo-canary", "demo-canary", {
                    "nginx.ingress.kubernetes.io/canary": "true",
                    "nginx.ingress.kubernetes.io/canary-weight": "40",
                }),
            ],
            [svc("demo-stable", "stable"), svc("demo-canary", "canary")],
            [
                dep("stable", "argoproj/rollouts-demo:blue", 4),
                dep("canary", "argoproj/rollouts-demo:yellow", 0),
            ],
        );
        assert.deepStrictEqual(routes, [
            {
                namespace: "demo",
                host: "demo.local",
                path: "/",
                weight: 40,
                stable: {
                    ingress: "demo",
                    service: "demo-stable",
                    version: "blue",
                    readyReplicas: 4,
                },
                canary: {
                    ingress: "demo-canary",
                    service: "demo-canary",
                    version: "yellow",
                    readyReplicas: 0,
                },
            },
        ]);
    });
    it("a canary Ingress without a weight gets none of the traffic", () => {
        const [r] = buildRoutes(
            [
                ing("demo", "demo-stable"),
                ing("c", "demo-canary", { "nginx.ingress.kubernetes.io/canary": "true" }),
            ],
            [],
            [],
        );
        assert.strictEqual(r.weight, 0);
        assert.strictEqual(r.stable.version, "");
    });
    it("exports ingress-nginx's metric with its label set", () => {
        const c = new RequestCounters();
        const labels = {
            namespace: "demo",
            ingress: "demo",
            service: "demo-stable",
            status: "200",
            method: "GET",
            host: "demo.local",
            path: "/",
            canary: "",
        };
        c.inc(labels, 2);
        c.inc({ ...labels, status: "500" });
        assert.strictEqual(
            c.render(),
            "# HELP nginx_ingress_controller_requests The total number of client requests\n" +
                "# TYPE nginx_ingress_controller_requests counter\n" +
                'nginx_ingress_controller_requests{canary="",host="demo.local",ingress="demo",method="GET",namespace="demo",path="/",service="demo-stable",status="200"} 2\n' +
                'nginx_ingress_controller_requests{canary="",host="demo.local",ingress="demo",method="GET",namespace="demo",path="/",service="demo-stable",status="500"} 1\n',
        );
        assert.strictEqual(c.total({ service: "demo-stable" }), 3);
    });
});

describe("local edge: header access and probes", () => {
    const routes = (weight: string, header: Record<string, string>) =>
        buildRoutes(
            [
                ing("demo", "demo-stable"),
                ing("demo-canary", "demo-canary", {
                    "nginx.ingress.kubernetes.io/canary": "true",
                    "nginx.ingress.kubernetes.io/canary-weight": weight,
                    ...header,
                }),
            ],
            [svc("demo-stable", "stable"), svc("demo-canary", "canary")],
            [
                dep("stable", "argoproj/rollouts-demo:blue", 4),
                dep("canary", "argoproj/rollouts-demo:yellow", 1),
            ],
        );
    const BY_HEADER = "nginx.ingress.kubernetes.io/canary-by-header";
    const BY_VALUE = "nginx.ingress.kubernetes.io/canary-by-header-value";
    const req = (headers: Record<string, string>) => ({ host: "demo.local", path: "/", headers });
    // Draws that would send every request to stable at weight 0 and to canary at weight 100.
    const noCanary = () => 0.999;

    it("canary-by-header-value sends that value to the canary whatever the weight", () => {
        const [r] = routes("0", { [BY_HEADER]: "X-Canary", [BY_VALUE]: "always" });
        assert.deepStrictEqual(r.header, { name: "x-canary", value: "always" });
        const sent = (headers: Record<string, string>) => toCanary(r, req(headers), noCanary);
        const headers: Record<string, string>[] = [
            { "x-canary": "always" },
            { "x-canary": "Always" },
            { "x-other": "always" },
            {},
        ];
        assert.deepStrictEqual(headers.map(sent), [true, false, false, false]);
    });

    it("canary-by-header alone: always to the canary, never to stable, other values by weight", () => {
        const [r] = routes("100", { [BY_HEADER]: "X-Canary" });
        const sent = (v: string) => toCanary(r, req({ "x-canary": v }), () => 0.5);
        assert.deepStrictEqual(["always", "never", "yes"].map(sent), [true, false, true]);
        const [w0] = routes("0", { [BY_HEADER]: "X-Canary" });
        assert.strictEqual(toCanary(w0, req({ "x-canary": "always" }), noCanary), true);
        assert.strictEqual(toCanary(w0, req({ "x-canary": "yes" }), noCanary), false);
    });

    it("an Ingress with a host wins over one without; then the longest path prefix", () => {
        const [base] = routes("0", {});
        const r = (host: string, path: string) => ({ ...base, host, path });
        const table = [r("", "/"), r("", "/api"), r("demo.local", "/"), r("demo.local", "/v1")];
        const found = (host: string, path: string) => {
            const f = findRoute(table, { host, path, headers: {} });
            return f && `${f.host}${f.path}`;
        };
        assert.deepStrictEqual(
            [
                found("demo.local", "/api/x"),
                found("demo.local", "/v1/x"),
                found("demo.local", "/v1x"),
                found("other", "/api"),
                found("other", "/apix"),
            ],
            ["demo.local/", "demo.local/v1", "demo.local/", "/api", "/"],
        );
    });

    it("parses GET /probe's host, path and repeatable Name:Value headers", () => {
        const parse = (q: string) => parseProbe(new URLSearchParams(q));
        assert.deepStrictEqual(parse("host=demo.local&header=X-Canary:%20always&header=B:1:2"), {
            host: "demo.local",
            path: "/",
            headers: { "x-canary": "always", b: "1:2" },
        });
        assert.deepStrictEqual(parse("host=h&path=/api"), {
            host: "h",
            path: "/api",
            headers: {},
        });
        assert.strictEqual(
            parse("path=/"),
            "need ?host=H (and optionally &path=P, &header=Name:Value, repeatable)",
        );
        assert.strictEqual(
            parse("host=h&header=X-Canary"),
            'header="X-Canary" is not Name:Value (for example header=X-Canary:always)',
        );
    });

    it("a probe goes to an Ingress serving its host and path first, else to the HTTPRoutes", () => {
        const ingress = routes("0", {});
        const gw = { name: "gw", namespace: "demo" };
        const httpRoute: GatewayRoute = {
            namespace: "demo",
            name: "other",
            gateway: gw,
            hostnames: ["other.local"],
            created: "2026-01-01T00:00:00.000Z",
            rules: [
                { matches: [{ pathType: "PathPrefix", path: "/", headers: [] }], backends: [] },
            ],
        };
        const kind = (host: string) => routeRequest(ingress, [httpRoute], { ...req({}), host });
        assert.strictEqual(kind("demo.local")?.kind, "ingress");
        assert.strictEqual(kind("other.local")?.kind, "gateway");
        assert.strictEqual(kind("none.local"), undefined);
    });

    it("serves and counts requests: header to the canary, 503 without ready pods, 500 and 404", async () => {
        const edge = new Edge(0);
        try {
            edge.routes = routes("0", { [BY_HEADER]: "X-Canary", [BY_VALUE]: "always" });
            const gw = { name: "gw", namespace: "demo" };
            const backend = (service: string, version: string, ready: number, weight: number) => ({
                service,
                namespace: "demo",
                version,
                readyReplicas: ready,
                weight,
            });
            const route = (path: string, backends: HttpBackend[]): GatewayRoute => ({
                namespace: "demo",
                name: path,
                gateway: gw,
                hostnames: ["gw.local"],
                created: "2026-01-01T00:00:00.000Z",
                rules: [{ matches: [{ pathType: "PathPrefix", path, headers: [] }], backends }],
            });
            edge.httpRoutes = [
                route("/ready", [backend("demo-canary", "yellow", 1, 1)]),
                route("/unready", [backend("demo-canary", "yellow", 0, 1)]),
                route("/zero", [backend("demo-stable", "blue", 4, 0)]),
            ];
            const probe = (host: string, path: string, headers: Record<string, string> = {}) => {
                const r = { host, path, headers };
                return edge.serve(routeRequest(edge.routes, edge.httpRoutes, r), r);
            };
            assert.deepStrictEqual(
                [
                    await probe("demo.local", "/", { "x-canary": "always" }),
                    await probe("demo.local", "/"),
                    await probe("gw.local", "/ready"),
                    await probe("gw.local", "/unready"),
                    await probe("gw.local", "/zero"),
                    await edge.viaGateway(gw, req({})),
                    await probe("none.local", "/"),
                ],
                [
                    { status: 200, version: "yellow", service: "demo-canary" },
                    { status: 200, version: "blue", service: "demo-stable" },
                    { status: 200, version: "yellow", service: "demo-canary" },
                    { status: 503, version: "", service: "demo-canary" },
                    { status: 500, version: "", service: "" },
                    { status: 404, version: "", service: "" },
                    { status: 404, version: "", service: "" },
                ],
            );
            assert.deepStrictEqual(
                [
                    edge.counters.total({ canary: "demo-demo-canary-80", status: "200" }),
                    edge.counters.total({ service: "demo-stable", status: "200" }),
                    edge.istio.total({ destination_service_name: "demo-canary" }),
                    edge.istio.total({ response_code: "503" }),
                    edge.istio.total({ destination_service_name: "unknown" }),
                ],
                [1, 1, 2, 1, 2],
            );
        } finally {
            edge.close();
        }
    });
});
