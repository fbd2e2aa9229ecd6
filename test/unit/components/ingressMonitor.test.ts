import * as assert from "assert";
import { validateConfig } from "../../../components/config";
import { installMocks, one, settle } from "../../support/mocks";

describe("IngressNginxMonitor", () => {
    let created: ReturnType<typeof installMocks>;
    let mod: typeof import("../../../components/ingressMonitor");
    before(async () => {
        created = installMocks();
        mod = await import("../../../components/ingressMonitor");
    });

    it("creates a ServiceMonitor the stack's Prometheus selects, on the controller's metrics Service", async () => {
        const { config } = validateConfig({
            monitoring: { serviceMonitorLabels: { release: "kp" } },
        });
        new mod.IngressNginxMonitor("in", {
            config: config.ingressNginx,
            serviceMonitorLabels: config.monitoring.serviceMonitorLabels,
            scrapeIntervalSeconds: 15,
        });
        await settle();
        const sm = one(created, "monitoring.coreos.com/v1:ServiceMonitor", "in-servicemonitor");
        // The labels are exactly what Prometheus' serviceMonitorSelector matches (see MonitoringStack).
        assert.deepStrictEqual(sm.inputs.metadata.labels, { release: "kp" });
        assert.strictEqual(sm.inputs.metadata.namespace, "ingress-nginx");
        assert.deepStrictEqual(sm.inputs.spec, {
            selector: {
                matchLabels: {
                    "app.kubernetes.io/name": "ingress-nginx",
                    "app.kubernetes.io/component": "controller",
                },
            },
            namespaceSelector: { matchNames: ["ingress-nginx"] },
            endpoints: [{ port: "metrics", interval: "15s" }],
        });
        assert.strictEqual(created.filter((r) => r.type.endsWith("helm.sh/v3:Release")).length, 0);
    });

    it("optionally installs the controller with metrics on and the chart's own ServiceMonitor off", async () => {
        const { config } = validateConfig({
            ingressNginx: { install: true, className: "canary-nginx" },
        });
        new mod.IngressNginxMonitor("inst", {
            config: config.ingressNginx,
            serviceMonitorLabels: config.monitoring.serviceMonitorLabels,
        });
        await settle();
        const rel = one(created, "helm.sh/v3:Release", "inst-controller");
        assert.strictEqual(rel.inputs.version, "4.14.0");
        assert.deepStrictEqual(rel.inputs.values.controller.metrics, {
            enabled: true,
            serviceMonitor: { enabled: false },
        });
        assert.strictEqual(rel.inputs.values.controller.ingressClassResource.name, "canary-nginx");
    });

    it("creates no ServiceMonitor when turned off (an existing Prometheus scrapes the controller itself)", async () => {
        const before = created.length;
        const { config } = validateConfig({ ingressNginx: { serviceMonitor: false } });
        new mod.IngressNginxMonitor("off", {
            config: config.ingressNginx,
            serviceMonitorLabels: {},
        });
        await settle();
        assert.deepStrictEqual(
            created.slice(before).map((r) => r.type),
            ["progressive-delivery:ingress:IngressNginxMonitor"],
        );
    });
});
