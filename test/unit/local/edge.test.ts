import * as assert from "assert";
import { buildRoutes } from "../../../local/edge/ingress";
import { RequestCounters } from "../../../local/edge/counters";

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
const svc = (name: string, track: string) => ({
    metadata: { name, namespace: "demo" },
    spec: { selector: { app: "demo", track } },
});
const dep = (track: string, image: string, ready: number) => ({
    metadata: { name: `demo-${track}`, namespace: "demo" },
    spec: {
        template: {
            metadata: { labels: { app: "demo", track } },
            spec: { containers: [{ image }] },
        },
    },
    status: { readyReplicas: ready },
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
