// The Kubernetes adapters against a local HTTP server that speaks the Kubernetes JSON API (a
// test double of the API server: it records requests and answers like kube-apiserver). The
// same adapters run against the real API server in the e2e suite.
import * as assert from "assert";
import * as http from "http";
import {
    FIELD_MANAGER,
    kubeAdapters,
    loadKubeConfig,
} from "../../../../../components/rollout/adapters/kube";
import { freePort } from "../../../../support/prometheus";

interface Seen {
    method: string;
    path: string;
    query: URLSearchParams;
    contentType?: string;
    body?: unknown;
}

describe("Kubernetes adapters (against a local server speaking the Kubernetes JSON API)", () => {
    let server: http.Server;
    let seen: Seen[];
    let deployment: { generation: number; status: Record<string, number> };
    let failNext: number[];
    let kubeconfig: string;

    before(async () => {
        const port = await freePort();
        server = http.createServer((req, res) => {
            let raw = "";
            req.on("data", (d) => (raw += d));
            req.on("end", () => {
                const url = new URL(req.url!, "http://x");
                seen.push({
                    method: req.method!,
                    path: url.pathname,
                    query: url.searchParams,
                    contentType: req.headers["content-type"],
                    body: raw ? JSON.parse(raw) : undefined,
                });
                const send = (code: number, body: unknown) => {
                    res.writeHead(code, { "Content-Type": "application/json" });
                    res.end(JSON.stringify(body));
                };
                const status = failNext.shift();
                if (status) {
                    return send(status, {
                        kind: "Status",
                        apiVersion: "v1",
                        status: "Failure",
                        message: `injected ${status}`,
                        code: status,
                    });
                }
                if (url.pathname === "/apis/apps/v1/namespaces/demo/deployments/demo-stable") {
                    return send(404, {
                        kind: "Status",
                        apiVersion: "v1",
                        status: "Failure",
                        reason: "NotFound",
                        message: 'deployments.apps "demo-stable" not found',
                        code: 404,
                    });
                }
                if (
                    url.pathname.startsWith("/apis/apps/v1/namespaces/demo/deployments/demo-canary")
                ) {
                    return send(200, {
                        apiVersion: "apps/v1",
                        kind: "Deployment",
                        metadata: {
                            name: "demo-canary",
                            namespace: "demo",
                            generation: deployment.generation,
                        },
                        spec: {},
                        status: { observedGeneration: deployment.generation, ...deployment.status },
                    });
                }
                if (
                    url.pathname ===
                    "/apis/networking.k8s.io/v1/namespaces/demo/ingresses/demo-canary"
                ) {
                    return send(200, {
                        apiVersion: "networking.k8s.io/v1",
                        kind: "Ingress",
                        metadata: { name: "demo-canary", namespace: "demo" },
                        spec: {},
                    });
                }
                send(404, { kind: "Status", code: 404, message: "unexpected path" });
            });
        });
        await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
        kubeconfig = [
            "apiVersion: v1",
            "kind: Config",
            "clusters: [{name: local, cluster: {server: 'http://127.0.0.1:" +
                port +
                "', insecure-skip-tls-verify: true}}]",
            "users: [{name: u, user: {token: t0ken}}]",
            "contexts: [{name: c, context: {cluster: local, user: u}}]",
            "current-context: c",
        ].join("\n");
    });
    beforeEach(() => {
        seen = [];
        failNext = [];
        deployment = { generation: 1, status: { readyReplicas: 0, updatedReplicas: 0 } };
    });
    after(() => new Promise((r) => server.close(r)));

    const adapters = () =>
        kubeAdapters(
            loadKubeConfig({ kubeconfig }),
            {
                namespace: "demo",
                canaryDeployment: "demo-canary",
                canaryIngress: "demo-canary",
                stableDeployment: "demo-stable",
            },
            20,
        );

    it("sets the canary weight with a merge patch and its own field manager", async () => {
        await adapters().setWeight(40);
        assert.strictEqual(seen.length, 1);
        const [r] = seen;
        assert.strictEqual(r.method, "PATCH");
        assert.strictEqual(
            r.path,
            "/apis/networking.k8s.io/v1/namespaces/demo/ingresses/demo-canary",
        );
        assert.strictEqual(r.contentType, "application/merge-patch+json");
        assert.strictEqual(r.query.get("fieldManager"), FIELD_MANAGER);
        assert.deepStrictEqual(r.body, {
            metadata: { annotations: { "nginx.ingress.kubernetes.io/canary-weight": "40" } },
        });
    });

    it("scales the canary through spec.replicas", async () => {
        await adapters().scaleCanary(3);
        assert.deepStrictEqual(
            seen.map((s) => [s.method, s.path, s.body]),
            [
                [
                    "PATCH",
                    "/apis/apps/v1/namespaces/demo/deployments/demo-canary",
                    { spec: { replicas: 3 } },
                ],
            ],
        );
    });

    it("retries 409, 429 and 5xx, then succeeds", async () => {
        failNext = [409, 429, 503];
        await adapters().setWeight(20);
        assert.strictEqual(seen.length, 4);
    });

    it("does not retry a 403 and says what failed", async () => {
        failNext = [403];
        await assert.rejects(
            adapters().setWeight(20),
            /setting nginx.ingress.kubernetes.io\/canary-weight=20 on Ingress demo\/demo-canary failed: injected 403$/,
        );
        assert.strictEqual(seen.length, 1);
    });

    it("gives up after bounded retries", async () => {
        failNext = [500, 500, 500, 500, 500, 500, 500];
        await assert.rejects(adapters().scaleCanary(1), /failed \(after 6 attempts\)/);
        assert.strictEqual(seen.length, 6);
    });

    it("waits until the canary's replicas are ready", async () => {
        setTimeout(() => (deployment.status = { readyReplicas: 2, updatedReplicas: 2 }), 100);
        await adapters().waitCanaryReady(2, Date.now() + 5000);
        assert.ok(seen.length >= 2);
    });

    it("stops waiting at the deadline with the ready count", async () => {
        deployment.status = { readyReplicas: 1, updatedReplicas: 2 };
        await assert.rejects(
            adapters().waitCanaryReady(2, Date.now() + 100),
            /canary Deployment demo\/demo-canary has 1\/2 ready replicas \(2 updated\) at the rollout deadline/,
        );
    });

    it("reports a missing stable Deployment as undefined (first deployment)", async () => {
        assert.strictEqual(await adapters().stableTemplateHash(), undefined);
    });

    it("sends the kubeconfig's token", async () => {
        const seenAuth: string[] = [];
        const orig = server.listeners("request")[0] as http.RequestListener;
        server.removeAllListeners("request");
        server.on("request", (req, res) => {
            seenAuth.push(String(req.headers.authorization));
            orig(req, res);
        });
        try {
            await adapters().setWeight(0);
        } finally {
            server.removeAllListeners("request");
            server.on("request", orig);
        }
        assert.deepStrictEqual(seenAuth, ["Bearer t0ken"]);
    });
});
