// The program's defaults. Pulumi.yaml declares the same values (test/unit/pulumiYaml.test.ts
// keeps them in step); the rollout's are the engine's own SPEC_DEFAULTS. The keys a user may
// write at each level are the keys of these objects (optional keys are present as undefined).
import { ROUTER_DEFAULTS, SPEC_DEFAULTS } from "../rollout/core/spec";

export const PROJECT = "progressive-delivery";

export const DEFAULTS = {
    monitoring: {
        install: true,
        namespace: "monitoring",
        chart: {
            repo: "https://prometheus-community.github.io/helm-charts",
            name: "kube-prometheus-stack",
            version: "87.21.0",
        },
        values: {},
        serviceMonitorLabels: { "progressive-delivery/scrape": "true" },
        scrapeInterval: "30s",
        prometheus: { timeout: "10s" },
    },
    ingressNginx: {
        namespace: "ingress-nginx",
        className: "nginx",
        metricsSelector: {
            "app.kubernetes.io/name": "ingress-nginx",
            "app.kubernetes.io/component": "controller",
        },
        metricsPortName: "metrics",
        serviceMonitor: true,
        install: false,
        chart: {
            repo: "https://kubernetes.github.io/ingress-nginx",
            name: "ingress-nginx",
            version: "4.14.0",
        },
    },
    app: {
        name: "rollouts-demo",
        namespace: "rollouts-demo",
        allowSystemNamespace: false,
        image: "argoproj/rollouts-demo:blue",
        replicas: 4,
        port: 8080,
        host: "rollouts-demo.local",
        path: "/",
        resources: {
            requests: { cpu: "50m", memory: "32Mi" },
            limits: { cpu: "200m", memory: "64Mi" },
        },
        readinessProbe: {
            path: "/",
            initialDelaySeconds: 0,
            periodSeconds: 5,
            failureThreshold: 3,
        },
    },
    rollout: SPEC_DEFAULTS,
    // The gateway's name and namespace default to "<app.name>-gateway" and app.namespace.
    router: { kind: ROUTER_DEFAULTS.kind },
    tls: {
        enabled: false,
        issuer: "selfsigned",
        installCertManager: false,
        certManagerVia: "component",
        certManagerChart: {
            repo: "https://charts.jetstack.io",
            name: "cert-manager",
            version: "v1.19.1",
        },
        secretName: "",
    },
};

/** Top-level keys this program reads, in the project's namespace. */
export const KEYS = [
    "kubeconfig",
    "kubeContext",
    "monitoring",
    "ingressNginx",
    "app",
    "rollout",
    "router",
    "tls",
    "prometheusToken",
    "prometheusPassword",
    "notificationUrls",
];
