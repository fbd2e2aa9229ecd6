// The typed program config that validateConfig returns. The rollout's part is the engine's own
// RolloutSpec (components/rollout/core/spec.ts): the config layer adds no second description.
import type * as pulumi from "@pulumi/pulumi";
import type { RolloutSpec, RouterSpec } from "../rollout/core/spec";
import type { PrometheusRef } from "../rollout/core/state";

export interface ChartRef {
    /** Helm repository URL (https://...) or an OCI registry (oci://...). */
    repo: string;
    name: string;
    /** Exact chart version: ranges are refused so every stack renders the same chart. */
    version: string;
}

export interface MonitoringConfig {
    /** true: install kube-prometheus via Helm; false: use an existing Prometheus. */
    install: boolean;
    namespace: string;
    chart: ChartRef;
    values: Record<string, unknown>;
    /** Labels a ServiceMonitor needs for the stack's Prometheus to select it. */
    serviceMonitorLabels: Record<string, string>;
    /** How often Prometheus scrapes; the rate window never gets shorter than 4x this. */
    scrapeIntervalSeconds: number;
    /** The Prometheus the analysis queries: a direct URL, or a Service reached via the API server. */
    prometheus: PrometheusRef;
}

export interface IngressNginxConfig {
    namespace: string;
    className: string;
    /** Labels of the controller's metrics Service, and its metrics port name. */
    metricsSelector: Record<string, string>;
    metricsPortName: string;
    serviceMonitor: boolean;
    install: boolean;
    chart: ChartRef;
}

export interface ProbeConfig {
    path: string;
    initialDelaySeconds: number;
    periodSeconds: number;
    failureThreshold: number;
}

export interface ResourceList {
    cpu: string;
    memory: string;
}

export interface AppConfig {
    name: string;
    namespace: string;
    /** Lets app.namespace be "default" or "kube-*" (not created or deleted then). */
    allowSystemNamespace: boolean;
    image: string;
    replicas: number;
    port: number;
    host: string;
    path: string;
    resources: { requests: ResourceList; limits: ResourceList };
    readinessProbe: ProbeConfig;
    livenessProbe?: ProbeConfig;
}

export interface TlsConfig {
    enabled: boolean;
    issuer: "selfsigned" | "acme";
    acme?: { email: string; server: string };
    installCertManager: boolean;
    /**
     * How installCertManager installs it: "component" (@pulumi/kubernetes-cert-manager's
     * CertManager, whose plugin `pulumi up` downloads) or "helm" (a plain Helm Release).
     */
    certManagerVia: "component" | "helm";
    certManagerChart: ChartRef;
    secretName: string;
}

export interface ProgramConfig {
    kubernetes: { context?: string; hasKubeconfig: boolean };
    monitoring: MonitoringConfig;
    ingressNginx: IngressNginxConfig;
    app: AppConfig;
    rollout: RolloutSpec;
    /** The traffic router, its Gateway (gateway-api) and the header route. */
    router: RouterSpec;
    tls: TlsConfig;
    /** Webhook URLs by notification name: a secret, wrapped as one by loadConfig. */
    notificationUrls?: Record<string, string>;
}

/** Secret values, kept as Outputs so they stay encrypted in state and masked in logs. */
export interface ProgramSecrets {
    kubeconfig?: pulumi.Output<string>;
    prometheusToken?: pulumi.Output<string>;
    prometheusPassword?: pulumi.Output<string>;
    notificationUrls?: pulumi.Output<Record<string, string>>;
}
