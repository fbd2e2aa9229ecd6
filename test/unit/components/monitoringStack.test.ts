import * as assert from "assert";
import { validateConfig } from "../../../components/config";
import { installMocks, one, settle, valueOf } from "../../support/mocks";

describe("MonitoringStack", () => {
    let created: ReturnType<typeof installMocks>;
    let mod: typeof import("../../../components/monitoringStack");
    before(async () => {
        created = installMocks();
        mod = await import("../../../components/monitoringStack");
    });

    it("installs kube-prometheus-stack with a pinned chart, selecting labelled ServiceMonitors in any namespace", async () => {
        const { config } = validateConfig({});
        const stack = new mod.MonitoringStack("mon", { config: config.monitoring });
        assert.deepStrictEqual(await valueOf(stack.prometheusService), {
            namespace: "monitoring",
            name: "kube-prometheus-prometheus",
            port: 9090,
        });
        assert.strictEqual(
            await valueOf(stack.prometheusUrl),
            "http://kube-prometheus-prometheus.monitoring.svc:9090",
        );
        await settle();
        const release = one(created, "helm.sh/v3:Release", "mon-chart");
        assert.strictEqual(release.inputs.chart, "kube-prometheus-stack");
        assert.strictEqual(release.inputs.version, "87.21.0");
        assert.match(release.inputs.version, /^\d+\.\d+\.\d+$/);
        assert.deepStrictEqual(release.inputs.repositoryOpts, {
            repo: "https://prometheus-community.github.io/helm-charts",
        });
        assert.strictEqual(release.inputs.namespace, "monitoring");
        const spec = release.inputs.values.prometheus.prometheusSpec;
        assert.deepStrictEqual(spec.serviceMonitorSelector, {
            matchLabels: { "progressive-delivery/scrape": "true" },
        });
        assert.deepStrictEqual(spec.serviceMonitorNamespaceSelector, {});
        assert.strictEqual(spec.serviceMonitorSelectorNilUsesHelmValues, false);
        assert.strictEqual(release.inputs.values.fullnameOverride, "kube-prometheus");
        assert.strictEqual(
            one(created, "core/v1:Namespace", "mon-ns").inputs.metadata.name,
            "monitoring",
        );
    });

    it("merges user values over its own, and supports Bitnami's kube-prometheus and OCI charts", async () => {
        const { config, errors } = validateConfig({
            monitoring: {
                chart: {
                    repo: "oci://registry-1.docker.io/bitnamicharts",
                    name: "kube-prometheus",
                    version: "11.3.9",
                },
                values: { prometheus: { retention: "2d" } },
                serviceMonitorLabels: { release: "kp" },
            },
        });
        assert.deepStrictEqual(errors, []);
        new mod.MonitoringStack("bitnami", { config: config.monitoring });
        await settle();
        const release = one(created, "helm.sh/v3:Release", "bitnami-chart");
        assert.strictEqual(
            release.inputs.chart,
            "oci://registry-1.docker.io/bitnamicharts/kube-prometheus",
        );
        assert.strictEqual(release.inputs.repositoryOpts, undefined);
        assert.deepStrictEqual(release.inputs.values.prometheus, {
            serviceMonitorSelector: { matchLabels: { release: "kp" } },
            serviceMonitorNamespaceSelector: {},
            scrapeInterval: "30s",
            retention: "2d",
        });
    });

    it("uses an existing Prometheus without creating anything", async () => {
        const before = created.length;
        const { config } = validateConfig({
            monitoring: { install: false, prometheus: { url: "http://127.0.0.1:19090" } },
        });
        const stack = new mod.MonitoringStack("existing", { config: config.monitoring });
        assert.strictEqual(await valueOf(stack.prometheusUrl), "http://127.0.0.1:19090");
        assert.strictEqual(stack.release, undefined);
        await settle();
        assert.deepStrictEqual(
            created.slice(before).map((r) => r.type),
            ["progressive-delivery:monitoring:MonitoringStack"],
        );
    });

    it("mergeValues replaces arrays and scalars and merges objects", () => {
        assert.deepStrictEqual(
            mod.mergeValues({ a: { b: 1, c: [1] }, d: 1 }, { a: { c: [2] }, d: { e: 1 } }),
            { a: { b: 1, c: [2] }, d: { e: 1 } },
        );
    });
});
