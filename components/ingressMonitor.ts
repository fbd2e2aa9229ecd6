// IngressNginxMonitor: the ServiceMonitor for the ingress-nginx controller's metrics endpoint,
// labelled so the stack's Prometheus selects it; optionally the controller itself via Helm.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { IngressNginxConfig } from "./config";

export interface IngressNginxMonitorArgs {
    config: IngressNginxConfig;
    /** Labels the Prometheus selects ServiceMonitors by (monitoring.serviceMonitorLabels). */
    serviceMonitorLabels: Record<string, string>;
    /** Scrape interval in seconds. Defaults to 30. */
    scrapeIntervalSeconds?: number;
    /** What provides the ServiceMonitor CRD (the kube-prometheus release), if anything here. */
    crds?: pulumi.Resource;
}

export class IngressNginxMonitor extends pulumi.ComponentResource {
    readonly serviceMonitor?: k8s.apiextensions.CustomResource;
    readonly controller?: k8s.helm.v3.Release;

    constructor(
        name: string,
        args: IngressNginxMonitorArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("progressive-delivery:ingress:IngressNginxMonitor", name, {}, opts);
        const c = args.config;
        if (c.install) {
            this.controller = new k8s.helm.v3.Release(
                `${name}-controller`,
                {
                    name: "ingress-nginx",
                    namespace: c.namespace,
                    createNamespace: true,
                    chart: c.chart.name,
                    version: c.chart.version,
                    repositoryOpts: { repo: c.chart.repo },
                    values: {
                        controller: {
                            ingressClassResource: { name: c.className, default: false },
                            ingressClass: c.className,
                            // Metrics on; the ServiceMonitor is ours (below), labelled for our Prometheus.
                            metrics: { enabled: true, serviceMonitor: { enabled: false } },
                        },
                    },
                },
                { parent: this },
            );
        }
        if (c.serviceMonitor) {
            this.serviceMonitor = new k8s.apiextensions.CustomResource(
                `${name}-servicemonitor`,
                {
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "ServiceMonitor",
                    metadata: {
                        name: "ingress-nginx-controller",
                        namespace: c.namespace,
                        labels: args.serviceMonitorLabels,
                    },
                    spec: {
                        selector: { matchLabels: c.metricsSelector },
                        namespaceSelector: { matchNames: [c.namespace] },
                        endpoints: [
                            {
                                port: c.metricsPortName,
                                interval: `${args.scrapeIntervalSeconds ?? 30}s`,
                            },
                        ],
                    },
                },
                {
                    parent: this,
                    dependsOn: [args.crds, this.controller].filter(
                        (r): r is pulumi.Resource => !!r,
                    ),
                },
            );
        }
        this.registerOutputs({ serviceMonitorName: this.serviceMonitor?.metadata.name });
    }
}
