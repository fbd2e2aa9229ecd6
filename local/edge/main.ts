// The local edge: a test double for the ingress-nginx and Istio gateway data planes on the
// embedded stack, where pods under kwok run no process. It reads Ingresses, Gateway API objects
// (GatewayClasses, Gateways, HTTPRoutes), Services and Deployments from the real API server, runs
// one demo backend per version (the image tag: blue, yellow, ...), sends a steady load split by
// the canary Ingress' weight as ingress-nginx would and by the HTTPRoutes' backendRefs weights as
// an Istio gateway would, lets you inject an error rate per version (like the demo app's "500
// Error Rate" slider), and exports nginx_ingress_controller_requests (Ingress traffic) and
// istio_requests_total (HTTPRoute traffic) for Prometheus to scrape.
//
//   node -r ts-node/register local/edge/main.ts [--metrics-port 10254] [--control-port 10255] [--rps 20]
//
// Control API (127.0.0.1:control-port): GET /state; GET /probe?host=H&path=P&header=Name:Value
// (one request routed as the load is, and counted); POST /errors?version=red&rate=0.3;
// POST /rps?value=50.
import * as http from "http";
import { EdgeRequest } from "./backends";
import { serveMetrics } from "./counters";
import { Edge } from "./edge";
import { loadTargets, routeRequest } from "./httpRouting";

function flag(name: string, fallback: number): number {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/**
 * Pure: the request of GET /probe?host=H&path=P&header=Name:Value (header optional and
 * repeatable; path defaults to "/"), or what is wrong with it.
 */
export function parseProbe(params: URLSearchParams): EdgeRequest | string {
    const host = params.get("host");
    if (!host) {
        return "need ?host=H (and optionally &path=P, &header=Name:Value, repeatable)";
    }
    const headers: Record<string, string> = {};
    for (const h of params.getAll("header")) {
        const i = h.indexOf(":");
        if (i <= 0) {
            return `header=${JSON.stringify(h)} is not Name:Value (for example header=X-Canary:always)`;
        }
        headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
    }
    return { host, path: params.get("path") || "/", headers };
}

async function main(): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const k8s = require("@kubernetes/client-node") as typeof import("@kubernetes/client-node");
    const kc = new k8s.KubeConfig();
    kc.loadFromDefault();
    const edge = new Edge(flag("rps", 20));
    const metricsPort = flag("metrics-port", 10254);
    const controlPort = flag("control-port", 10255);
    await serveMetrics([edge.counters, edge.istio], metricsPort);

    const control = http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://edge");
        const reply = (code: number, body: unknown) => {
            res.writeHead(code, { "Content-Type": "application/json" });
            res.end(JSON.stringify(body, null, 2));
        };
        if (req.method === "GET" && url.pathname === "/state") {
            return reply(200, edge.state());
        }
        if (req.method === "GET" && url.pathname === "/probe") {
            const probe = parseProbe(url.searchParams);
            if (typeof probe === "string") {
                return reply(400, { error: probe });
            }
            const routed = routeRequest(edge.routes, edge.httpRoutes, probe);
            return void edge.serve(routed, probe).then(
                (answer) => reply(200, answer),
                (e: Error) => reply(500, { error: e.message }),
            );
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
        reply(404, {
            error: "GET /state, GET /probe?host=H&path=P&header=Name:Value, POST /errors?version=TAG&rate=R, POST /rps?value=N",
        });
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

    // Load: `rps` requests per second per Ingress route and per host and header-less match of each
    // HTTPRoute, sent every 50 ms (fractions carry over).
    let carry = 0;
    setInterval(() => {
        carry += edge.rps * 0.05;
        const n = Math.floor(carry);
        carry -= n;
        for (const route of edge.routes) {
            const req = { host: route.host, path: route.path, headers: {} };
            for (let i = 0; i < n; i++) {
                void edge.viaIngress(route, req);
            }
        }
        for (const t of loadTargets(edge.httpRoutes)) {
            const req = { host: t.host, path: t.path, headers: {} };
            for (let i = 0; i < n; i++) {
                void edge.viaGateway(t.gateway, req);
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
