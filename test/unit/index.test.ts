// The whole program under mocks, once per shipped stack config.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, Recorded, settle, valueOf } from "../support/mocks";
import { mergedConfig, ROOT } from "../support/stackConfig";

async function runProgram(
    stack: string | Record<string, unknown>,
): Promise<{ created: Recorded[]; outputs: Record<string, unknown> }> {
    const created = installMocks(typeof stack === "string" ? stack : "custom");
    pulumi.runtime.setAllConfig(mergedConfig(stack));
    const entry = require.resolve(`${ROOT}/index.ts`);
    delete require.cache[entry];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const program = require(entry) as Record<string, pulumi.Output<unknown>>;
    const outputs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(program)) {
        outputs[k] = await valueOf(v);
    }
    await settle();
    return { created, outputs };
}

const types = (created: Recorded[]) =>
    created.map((r) => r.type.replace(/^kubernetes:|^pulumi-nodejs:dynamic\//, "")).sort();

describe("index.ts (whole program)", () => {
    it("dev: installs kube-prometheus, the ingress ServiceMonitor and the app", async () => {
        const { created, outputs } = await runProgram("dev");
        assert.deepStrictEqual(types(created), [
            "apps/v1:Deployment",
            "apps/v1:Deployment",
            "core/v1:Namespace",
            "core/v1:Namespace",
            "core/v1:Service",
            "core/v1:Service",
            "helm.sh/v3:Release",
            "monitoring.coreos.com/v1:ServiceMonitor",
            "networking.k8s.io/v1:Ingress",
            "networking.k8s.io/v1:Ingress",
            "progressive-delivery:CanaryCompletion",
            "progressive-delivery:CanaryRollout",
            "progressive-delivery:app:CanaryApp",
            "progressive-delivery:ingress:IngressNginxMonitor",
            "progressive-delivery:monitoring:MonitoringStack",
            "pulumi:providers:kubernetes",
        ]);
        assert.strictEqual(outputs.url, "http://rollouts-demo.dev.example.com/");
        assert.strictEqual(
            outputs.prometheusUrl,
            "http://kube-prometheus-prometheus.monitoring.svc:9090",
        );
        assert.strictEqual(outputs.canaryService, "rollouts-demo-canary");
        assert.strictEqual(typeof outputs.promotedHash, "string");
        const rollout = created.find((r) => r.type.endsWith("CanaryRollout"))!;
        assert.deepStrictEqual(rollout.inputs.prometheus, {
            service: { namespace: "monitoring", name: "kube-prometheus-prometheus", port: 9090 },
            timeoutSeconds: 10,
        });
        // Every Kubernetes resource goes through the explicit provider, never an ambient default.
        for (const r of created.filter((x) => x.type.startsWith("kubernetes:"))) {
            assert.match(
                r.provider ?? "",
                /pulumi:providers:kubernetes::k8s::/,
                `${r.type} ${r.name}`,
            );
        }
    });

    it("prod: TLS via an ACME issuer, the judge on, two analysis metrics' worth of config", async () => {
        const { created, outputs } = await runProgram("prod");
        assert.strictEqual(outputs.url, "https://rollouts-demo.example.com/");
        assert.ok(created.some((r) => r.type.endsWith("cert-manager.io/v1:Issuer")));
        const rollout = created.find((r) => r.type.endsWith("CanaryRollout"))!;
        assert.strictEqual(rollout.inputs.judge.enabled, true);
        assert.strictEqual(rollout.inputs.totalReplicas, 6);
    });

    it("local: no Helm and no ServiceMonitor; Prometheus by URL", async () => {
        const { created, outputs } = await runProgram("local");
        assert.ok(!created.some((r) => r.type.includes("helm.sh")));
        assert.ok(!created.some((r) => r.type.includes("ServiceMonitor")));
        assert.strictEqual(outputs.prometheusUrl, "http://127.0.0.1:19090");
        const rollout = created.find((r) => r.type.endsWith("CanaryRollout"))!;
        assert.deepStrictEqual(rollout.inputs.prometheus, {
            url: "http://127.0.0.1:19090",
            timeoutSeconds: 5,
        });
    });

    it("kubeconfig in config is passed to the provider as a secret and never in plaintext to the rollout's provider code", async () => {
        const { created } = await runProgram({
            "progressive-delivery:kubeconfig": "apiVersion: v1\nkind: Config\nclusters: []\n",
        });
        const provider = created.find((r) => r.type === "pulumi:providers:kubernetes")!;
        // Pulumi's wire form of a secret: the special signature key plus the value.
        const SECRET = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
        assert.deepStrictEqual(provider.inputs.kubeconfig, {
            ...SECRET,
            value: "apiVersion: v1\nkind: Config\nclusters: []\n",
        });
        const rollout = created.find((r) => r.type.endsWith("CanaryRollout"))!;
        assert.deepStrictEqual(rollout.inputs.kubeconfig, provider.inputs.kubeconfig);
        const completion = created.find((r) => r.type.endsWith("CanaryCompletion"))!;
        assert.deepStrictEqual(completion.inputs.kubeconfig, provider.inputs.kubeconfig);
        assert.ok(!rollout.inputs.__provider.includes("apiVersion: v1"));
    });

    it("invalid config fails before any resource is registered, naming key, value and fix", async () => {
        const created = installMocks("bad");
        pulumi.runtime.setAllConfig(
            mergedConfig({
                "progressive-delivery:app": { image: "nginx", replicas: 0 },
                "progressive-delivery:replicas": "3",
            }),
        );
        const entry = require.resolve(`${ROOT}/index.ts`);
        delete require.cache[entry];
        assert.throws(
            () => require(entry), // eslint-disable-line @typescript-eslint/no-require-imports
            (e: Error) =>
                e.message ===
                "invalid stack config (3 problems); nothing was changed:\n" +
                    "  - progressive-delivery:replicas: is not a known key; known keys are kubeconfig, kubeContext, monitoring, ingressNginx, app, rollout, router, tls, prometheusToken, prometheusPassword, notificationUrls (see the config reference in README.md)\n" +
                    '  - progressive-delivery:app.image: "nginx" has no tag; pin a version, e.g. "nginx:v1.2.3", or a digest "nginx@sha256:..."\n' +
                    "  - progressive-delivery:app.replicas: must be between 1 and 1000 replicas, got 0",
        );
        await settle();
        assert.deepStrictEqual(created, []);
    });
});
