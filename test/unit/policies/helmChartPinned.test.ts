import { helmChartPinned as policy } from "../../../policies/helmChartPinned";
import {
    assertPasses,
    assertViolations,
    runResourcePolicy,
    UNKNOWN_VALUE,
} from "../../support/policyHarness";
import { prometheusRelease, T, withField } from "../../support/policyFixtures";

const why =
    'each pulumi up would install whatever the chart repository serves that day, so a chart upgrade (new CRDs, changed defaults, a Prometheus that selects ServiceMonitors differently) arrives unreviewed in the middle of an app release. Pin an exact version such as "87.21.0" (progressive-delivery:monitoring.chart.version, ingressNginx.chart.version or tls.certManagerChart.version).';

describe("policy helm-chart-pinned", () => {
    it("passes MonitoringStack's release (kube-prometheus-stack 87.21.0)", async () => {
        assertPasses(await runResourcePolicy(policy, prometheusRelease()));
    });

    it("passes exact versions with a v, a pre-release or build metadata", async () => {
        for (const version of ["v1.19.1", "1.2.3-rc.1", "1.2.3+build.7"]) {
            const r = withField(prometheusRelease(), "props.version", version);
            assertPasses(await runResourcePolicy(policy, r));
        }
    });

    it("passes a local chart directory (its version is its content)", async () => {
        let r = withField(prometheusRelease(), "props.chart", "./charts/shop");
        r = withField(r, "props.version", undefined);
        assertPasses(await runResourcePolicy(policy, r));
    });

    it("passes a version unknown during preview", async () => {
        const r = withField(prometheusRelease(), "props.version", UNKNOWN_VALUE.string);
        assertPasses(await runResourcePolicy(policy, r));
    });

    it("reports a release without a version", async () => {
        const r = withField(prometheusRelease(), "props.version", undefined);
        assertViolations(await runResourcePolicy(policy, r), [
            `Helm release "monitoring-chart" (chart "kube-prometheus-stack") has no version: ${why}`,
        ]);
    });

    it("reports a version range", async () => {
        const r = withField(prometheusRelease(), "props.version", "^87.0.0");
        assertViolations(await runResourcePolicy(policy, r), [
            `Helm release "monitoring-chart" (chart "kube-prometheus-stack") has version "^87.0.0", which is not an exact version: ${why}`,
        ]);
    });

    it("reports latest and partial versions", async () => {
        for (const version of ["latest", "87", "87.x", ">=87.0.0", "87.21.0 || 88.0.0"]) {
            const r = withField(prometheusRelease(), "props.version", version);
            assertViolations(await runResourcePolicy(policy, r), [
                `Helm release "monitoring-chart" (chart "kube-prometheus-stack") has version ${JSON.stringify(version)}, which is not an exact version: ${why}`,
            ]);
        }
    });

    it("reports an unpinned OCI chart and a v4 Chart", async () => {
        const oci = prometheusRelease({
            repo: "oci://registry-1.docker.io/bitnamicharts",
            name: "kube-prometheus",
            version: "",
        });
        assertViolations(await runResourcePolicy(policy, oci), [
            `Helm release "monitoring-chart" (chart "oci://registry-1.docker.io/bitnamicharts/kube-prometheus") has no version: ${why}`,
        ]);
        const v4 = { type: T.helmChartV4, name: "nginx", props: { chart: "ingress-nginx" } };
        assertViolations(await runResourcePolicy(policy, v4), [
            `Helm chart "nginx" (chart "ingress-nginx") has no version: ${why}`,
        ]);
    });
});
