// MonitoringStack: kube-prometheus via Helm (a pinned chart), configured to select
// ServiceMonitors outside its own release by label, or a reference to an existing Prometheus.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MonitoringConfig } from "./config";
import type { ServiceRef } from "./rollout/core/state";

export interface MonitoringStackArgs {
    /** The validated `monitoring` config. */
    config: MonitoringConfig;
}

/** Name of the release and fullnameOverride, so the Prometheus Service name is predictable. */
export const RELEASE = "kube-prometheus";

/** Deep merge of plain objects: `over` wins; arrays and scalars are replaced, not merged. */
export function mergeValues(
    base: Record<string, unknown>,
    over: Record<string, unknown>,
): Record<string, unknown> {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
        const b = out[k];
        out[k] =
            v &&
            typeof v === "object" &&
            !Array.isArray(v) &&
            b &&
            typeof b === "object" &&
            !Array.isArray(b)
                ? mergeValues(b as Record<string, unknown>, v as Record<string, unknown>)
                : v;
    }
    return out;
}

/**
 * Helm values that make the chart's Prometheus select every ServiceMonitor carrying
 * `serviceMonitorLabels`, in any namespace, not just those of its own release. The two charts
 * spell this differently: prometheus-community's kube-prometheus-stack (the default) nests it
 * under prometheus.prometheusSpec; Bitnami's kube-prometheus (the seed's) under prometheus.
 */
export function chartValues(config: MonitoringConfig): Record<string, unknown> {
    const selector = {
        serviceMonitorSelector: { matchLabels: config.serviceMonitorLabels },
        serviceMonitorNamespaceSelector: {},
        scrapeInterval: `${config.scrapeIntervalSeconds}s`,
    };
    const ours =
        config.chart.name === "kube-prometheus"
            ? { fullnameOverride: RELEASE, prometheus: selector }
            : {
                  fullnameOverride: RELEASE,
                  prometheus: {
                      prometheusSpec: {
                          ...selector,
                          serviceMonitorSelectorNilUsesHelmValues: false,
                      },
                  },
              };
    return mergeValues(ours, config.values);
}

export class MonitoringStack extends pulumi.ComponentResource {
    /** The Prometheus Service the analysis queries (through the API server's service proxy). */
    readonly prometheusService: pulumi.Output<ServiceRef | undefined>;
    /** In-cluster URL of Prometheus, or the configured external URL. */
    readonly prometheusUrl: pulumi.Output<string>;
    /** The Helm release, when installed: ServiceMonitors depend on it for the CRDs. */
    readonly release?: k8s.helm.v3.Release;

    constructor(name: string, args: MonitoringStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("progressive-delivery:monitoring:MonitoringStack", name, {}, opts);
        const c = args.config;
        if (!c.install) {
            const service = c.prometheus.service;
            if (!c.prometheus.url && !service) {
                throw new pulumi.ResourceError(
                    "monitoring.prometheus needs a url or a service when monitoring.install is false",
                    this,
                );
            }
            this.prometheusService = pulumi.output(service);
            this.prometheusUrl = pulumi.output(
                c.prometheus.url ??
                    `http://${service!.name}.${service!.namespace}.svc:${service!.port}`,
            );
        } else {
            const ns = new k8s.core.v1.Namespace(
                `${name}-ns`,
                { metadata: { name: c.namespace } },
                { parent: this },
            );
            const oci = c.chart.repo.startsWith("oci://");
            this.release = new k8s.helm.v3.Release(
                `${name}-chart`,
                {
                    name: RELEASE,
                    namespace: ns.metadata.name,
                    chart: oci
                        ? `${c.chart.repo.replace(/\/+$/, "")}/${c.chart.name}`
                        : c.chart.name,
                    version: c.chart.version,
                    repositoryOpts: oci ? undefined : { repo: c.chart.repo },
                    values: chartValues(c),
                    // CRDs first, so ServiceMonitors that depend on this release find them.
                    skipCrds: false,
                    timeout: 900,
                },
                { parent: this },
            );
            const service: ServiceRef = {
                namespace: c.namespace,
                name: `${RELEASE}-prometheus`,
                port: 9090,
            };
            this.prometheusService = this.release.status.apply(() => service);
            this.prometheusUrl = this.release.status.apply(
                () => `http://${service.name}.${service.namespace}.svc:${service.port}`,
            );
        }
        this.registerOutputs({
            prometheusService: this.prometheusService,
            prometheusUrl: this.prometheusUrl,
        });
    }
}
