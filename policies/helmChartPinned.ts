// Helm charts are pinned to an exact version: an unpinned chart (no version, a range, "latest")
// renders whatever the repository serves on the day of the update, so a chart upgrade (new CRDs,
// changed defaults, a Prometheus that selects ServiceMonitors differently) lands unreviewed in
// the middle of an app release.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { at, ofTypes, TYPES, UNKNOWN } from "./lib/resources";

/** An exact chart version: semver with an optional leading v, pre-release and build. */
export const EXACT_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/** A chart from a local directory or an archive URL carries its version in its content. */
function isLocalOrArchive(chart: string): boolean {
    return /^(\.{0,2}\/|file:\/\/)/.test(chart) || /\.tgz$/.test(chart);
}

export const helmChartPinned: ResourceValidationPolicy = {
    name: "helm-chart-pinned",
    description:
        "Every Helm release and chart names an exact chart version (e.g. 87.21.0): no empty " +
        "version, no range, no latest.",
    enforcementLevel: "mandatory",
    validateResource: ofTypes([TYPES.helmRelease, TYPES.helmChartV4], (args, reportViolation) => {
        const chart = at(args.props, "chart");
        const version = at(args.props, "version");
        if (typeof chart !== "string" || isLocalOrArchive(chart) || version === UNKNOWN) {
            return; // unknown during preview, or a chart whose version is its content
        }
        if (typeof version === "string" && EXACT_VERSION.test(version)) {
            return;
        }
        const kind = args.type === TYPES.helmRelease ? "Helm release" : "Helm chart";
        const what =
            version === undefined || version === null || version === ""
                ? "has no version"
                : `has version ${JSON.stringify(version)}, which is not an exact version`;
        reportViolation(
            `${kind} "${args.name}" (chart "${chart}") ${what}: each pulumi up would install ` +
                "whatever the chart repository serves that day, so a chart upgrade (new CRDs, " +
                "changed defaults, a Prometheus that selects ServiceMonitors differently) arrives " +
                "unreviewed in the middle of an app release. Pin an exact version such as " +
                '"87.21.0" (progressive-delivery:monitoring.chart.version, ' +
                "ingressNginx.chart.version or tls.certManagerChart.version).",
        );
    }),
};
