// The Kubernetes adapters on the good path, against a local server that speaks the Kubernetes
// JSON API (test/support/kubeApi.ts: it records requests and answers like kube-apiserver). The
// faults (409, 429, 5xx, 403, 404, foreign objects) are in test/faults/kubeAdapters.test.ts; the
// same adapters run against the real API server in the e2e suite.
import * as assert from "assert";
import { FIELD_MANAGER, loadKubeConfig } from "../../../../../components/rollout/adapters/kube";
import { kubeAdapters } from "../../../../../components/rollout/provider/cluster";
import { KubeApiDouble, seedApp } from "../../../../support/kubeApi";
import { DEMO_TARGET } from "../../../../support/rolloutRun";

describe("Kubernetes adapters (against a local server speaking the Kubernetes JSON API)", () => {
    const api = new KubeApiDouble();
    before(() => api.start());
    after(() => api.stop());
    beforeEach(() => {
        api.reset();
        seedApp(api, { app: "demo", namespace: "demo", stableHash: "h-stable" });
    });

    const adapters = (deadline = Date.now() + 60_000) =>
        kubeAdapters(loadKubeConfig({ kubeconfig: api.kubeconfig() }), DEMO_TARGET, {
            deadline,
            pollMs: 20,
        });

    it("sets the canary weight: reads the Ingress, then a merge patch with its resourceVersion and field manager", async () => {
        const rv = api.get("ingresses", "demo", "demo-canary")!.metadata.resourceVersion;
        await adapters().setWeight(40);
        assert.deepStrictEqual(api.calls(), [
            "GET ingresses/demo-canary 200",
            "PATCH ingresses/demo-canary 200",
        ]);
        const patch = api.seen[1];
        assert.strictEqual(patch.contentType, "application/merge-patch+json");
        assert.strictEqual(patch.query.get("fieldManager"), FIELD_MANAGER);
        assert.deepStrictEqual(patch.body, {
            metadata: {
                annotations: { "nginx.ingress.kubernetes.io/canary-weight": "40" },
                resourceVersion: rv,
            },
        });
        const stored = api.get("ingresses", "demo", "demo-canary")!;
        assert.strictEqual(
            stored.metadata.annotations!["nginx.ingress.kubernetes.io/canary-weight"],
            "40",
        );
        assert.strictEqual(
            stored.metadata.annotations!["nginx.ingress.kubernetes.io/canary"],
            "true",
        );
    });

    it("scales the canary through spec.replicas", async () => {
        const rv = api.get("deployments", "demo", "demo-canary")!.metadata.resourceVersion;
        await adapters().scaleCanary(3);
        assert.deepStrictEqual(
            api.seen.map((s) => [s.method, s.path, s.body]),
            [
                ["GET", "/apis/apps/v1/namespaces/demo/deployments/demo-canary", undefined],
                [
                    "PATCH",
                    "/apis/apps/v1/namespaces/demo/deployments/demo-canary",
                    { spec: { replicas: 3 }, metadata: { resourceVersion: rv } },
                ],
            ],
        );
        assert.strictEqual(api.get("deployments", "demo", "demo-canary")!.spec!.replicas, 3);
    });

    it("sends no write when the object already has the value", async () => {
        await adapters().setWeight(0);
        await adapters().scaleCanary(0);
        await adapters().setWeight(0);
        assert.deepStrictEqual(api.calls(), [
            "GET ingresses/demo-canary 200",
            "PATCH ingresses/demo-canary 200",
            "GET deployments/demo-canary 200",
            "GET ingresses/demo-canary 200",
        ]);
    });

    it("waits until the canary's replicas are ready", async () => {
        api.deployments = "stuck";
        await adapters().scaleCanary(2);
        setTimeout(() => {
            const d = api.get("deployments", "demo", "demo-canary")!;
            d.status = {
                observedGeneration: d.metadata.generation,
                readyReplicas: 2,
                updatedReplicas: 2,
            };
        }, 100);
        await adapters().waitCanaryReady(2, Date.now() + 5000);
        assert.ok(api.seen.filter((s) => s.method === "GET").length >= 3);
    });

    it("stops waiting at the deadline with the ready count", async () => {
        const d = api.get("deployments", "demo", "demo-canary")!;
        d.status = { observedGeneration: 1, readyReplicas: 1, updatedReplicas: 2 };
        await assert.rejects(adapters().waitCanaryReady(2, Date.now() + 100), {
            message:
                "canary Deployment demo/demo-canary has 1/2 ready replicas (2 updated) at the rollout deadline; check its pods' events and readiness probe",
        });
    });

    it("reads the stable template hash; undefined when stable does not exist, empty without the annotation", async () => {
        assert.strictEqual(await adapters().stableTemplateHash(), "h-stable");
        delete api.get("deployments", "demo", "demo-stable")!.metadata.annotations![
            "progressive-delivery/template-hash"
        ];
        assert.strictEqual(await adapters().stableTemplateHash(), "");
        api.delete("deployments", "demo", "demo-stable");
        assert.strictEqual(await adapters().stableTemplateHash(), undefined);
    });

    it("sends the kubeconfig's token", async () => {
        await adapters().setWeight(10);
        assert.deepStrictEqual(
            api.seen.map((s) => s.authorization),
            ["Bearer t0ken-for-the-double", "Bearer t0ken-for-the-double"],
        );
    });
});
