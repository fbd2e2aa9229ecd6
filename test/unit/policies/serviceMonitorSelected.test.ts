import * as assert from "assert";
import { serviceMonitorSelected as policy } from "../../../policies/serviceMonitorSelected";
import {
    assertPasses,
    assertViolations,
    runStackPolicy,
    UNKNOWN_VALUE,
} from "../../support/policyHarness";
import { prometheusRelease, serviceMonitor, withField } from "../../support/policyFixtures";

const BITNAMI = {
    repo: "oci://registry-1.docker.io/bitnamicharts",
    name: "kube-prometheus",
    version: "11.3.9",
};
const why =
    "Prometheus would never scrape its targets, so every canary analysis would see no data and roll back. Add the selector's labels to the ServiceMonitor's metadata.labels (for this program: progressive-delivery:monitoring.serviceMonitorLabels), or change the release's values at";

describe("policy service-monitor-selected", () => {
    it("passes MonitoringStack's kube-prometheus-stack with IngressNginxMonitor's ServiceMonitor", async () => {
        assertPasses(await runStackPolicy(policy, [prometheusRelease(), serviceMonitor()]));
    });

    it("passes Bitnami's kube-prometheus (selector under prometheus)", async () => {
        assertPasses(await runStackPolicy(policy, [prometheusRelease(BITNAMI), serviceMonitor()]));
    });

    it("does not apply without a Prometheus release or without a ServiceMonitor", async () => {
        const reason = "the stack has no ServiceMonitor or no kube-prometheus(-stack) Helm release";
        assert.strictEqual(
            (await runStackPolicy(policy, [serviceMonitor()])).notApplicable,
            reason,
        );
        assert.strictEqual(
            (await runStackPolicy(policy, [prometheusRelease()])).notApplicable,
            reason,
        );
        const other = prometheusRelease({ repo: "https://x", name: "loki", version: "6.0.0" });
        assert.strictEqual(
            (await runStackPolicy(policy, [other, serviceMonitor()])).notApplicable,
            reason,
        );
    });

    it("passes while the release's values are unknown during preview", async () => {
        const r = withField(prometheusRelease(), "props.values", UNKNOWN_VALUE.object);
        assertPasses(await runStackPolicy(policy, [r, serviceMonitor({ team: "web" })]));
    });

    it("reports a ServiceMonitor without the kube-prometheus-stack selector's labels", async () => {
        const outcome = await runStackPolicy(policy, [
            prometheusRelease(),
            serviceMonitor({ team: "web" }),
        ]);
        assertViolations(outcome, [
            `ServiceMonitor "ingress-nginx-servicemonitor" has labels {"team":"web"}, but the Prometheus of Helm release "monitoring-chart" selects ServiceMonitors by {"progressive-delivery/scrape":"true"}: ${why} prometheus.prometheusSpec.serviceMonitorSelector.`,
        ]);
        assert.strictEqual(
            outcome.violations[0].urn,
            "urn:pulumi:test::progressive-delivery::kubernetes:monitoring.coreos.com/v1:ServiceMonitor::ingress-nginx-servicemonitor",
        );
    });

    it("reports a selector extended in monitoring.values (merged over ours) that the labels no longer match", async () => {
        const release = prometheusRelease(undefined, {
            prometheus: {
                prometheusSpec: { serviceMonitorSelector: { matchLabels: { team: "platform" } } },
            },
        });
        assertViolations(await runStackPolicy(policy, [release, serviceMonitor()]), [
            `ServiceMonitor "ingress-nginx-servicemonitor" has labels {"progressive-delivery/scrape":"true"}, but the Prometheus of Helm release "monitoring-chart" selects ServiceMonitors by {"progressive-delivery/scrape":"true","team":"platform"}: ${why} prometheus.prometheusSpec.serviceMonitorSelector.`,
        ]);
    });

    it("reports against Bitnami's selector", async () => {
        assertViolations(
            await runStackPolicy(policy, [prometheusRelease(BITNAMI), serviceMonitor({})]),
            [
                `ServiceMonitor "ingress-nginx-servicemonitor" has labels {}, but the Prometheus of Helm release "monitoring-chart" selects ServiceMonitors by {"progressive-delivery/scrape":"true"}: ${why} prometheus.serviceMonitorSelector.`,
            ],
        );
    });

    it("uses kube-prometheus-stack's default `release` selector when the selector is empty", async () => {
        const empty = withField(prometheusRelease(), "props.values.prometheus.prometheusSpec", {});
        assertViolations(await runStackPolicy(policy, [empty, serviceMonitor()]), [
            `ServiceMonitor "ingress-nginx-servicemonitor" has labels {"progressive-delivery/scrape":"true"}, but the Prometheus of Helm release "monitoring-chart" selects ServiceMonitors by {"release":"kube-prometheus"} (the chart's default while serviceMonitorSelector is empty and serviceMonitorSelectorNilUsesHelmValues is not false): ${why} prometheus.prometheusSpec.serviceMonitorSelector.`,
        ]);
        assertPasses(
            await runStackPolicy(policy, [empty, serviceMonitor({ release: "kube-prometheus" })]),
        );
        const all = withField(empty, "props.values.prometheus.prometheusSpec", {
            serviceMonitorSelectorNilUsesHelmValues: false,
        });
        assertPasses(await runStackPolicy(policy, [all, serviceMonitor({ team: "web" })]));
    });

    it("evaluates matchExpressions", async () => {
        const release = withField(
            prometheusRelease(),
            "props.values.prometheus.prometheusSpec.serviceMonitorSelector",
            {
                matchExpressions: [
                    { key: "team", operator: "In", values: ["web", "platform"] },
                    { key: "experimental", operator: "DoesNotExist" },
                ],
            },
        );
        assertPasses(await runStackPolicy(policy, [release, serviceMonitor({ team: "web" })]));
        assertViolations(
            await runStackPolicy(policy, [
                release,
                serviceMonitor({ team: "web", experimental: "yes" }),
            ]),
            [
                `ServiceMonitor "ingress-nginx-servicemonitor" has labels {"team":"web","experimental":"yes"}, but the Prometheus of Helm release "monitoring-chart" selects ServiceMonitors by {} and team In ["web","platform"] and experimental DoesNotExist: ${why} prometheus.prometheusSpec.serviceMonitorSelector.`,
            ],
        );
    });
});
