// Wiring only: read the validated config, build the components, export the outputs.
import * as k8s from "@pulumi/kubernetes";
import { CanaryApp } from "./components/canaryApp";
import { loadConfig } from "./components/config";
import { IngressNginxMonitor } from "./components/ingressMonitor";
import { MonitoringStack } from "./components/monitoringStack";

const { config, secrets } = loadConfig();

const provider = new k8s.Provider("k8s", {
    kubeconfig: secrets.kubeconfig,
    context: config.kubernetes.context,
});
const opts = { providers: { kubernetes: provider } };

const monitoring = new MonitoringStack("monitoring", { config: config.monitoring }, opts);

const ingress = new IngressNginxMonitor(
    "ingress-nginx",
    {
        config: config.ingressNginx,
        serviceMonitorLabels: config.monitoring.serviceMonitorLabels,
        scrapeIntervalSeconds: config.monitoring.scrapeIntervalSeconds,
        crds: monitoring.release,
    },
    opts,
);

const app = new CanaryApp(
    config.app.name,
    {
        app: config.app,
        rollout: config.rollout,
        ingressClassName: config.ingressNginx.className,
        router: config.router,
        tls: config.tls,
        prometheus: {
            url: config.monitoring.prometheus.url,
            service: monitoring.prometheusService,
            username: config.monitoring.prometheus.username,
            timeoutSeconds: config.monitoring.prometheus.timeoutSeconds,
        },
        scrapeIntervalSeconds: config.monitoring.scrapeIntervalSeconds,
        kubeconfig: secrets.kubeconfig,
        kubeContext: config.kubernetes.context,
        prometheusToken: secrets.prometheusToken,
        prometheusPassword: secrets.prometheusPassword,
        notificationUrls: secrets.notificationUrls,
        dependsOn: [ingress],
    },
    opts,
);

export const url = app.url;
export const stableService = app.stableService;
export const canaryService = app.canaryService;
export const prometheusUrl = monitoring.prometheusUrl;
export const promotedHash = app.rollout.promotedHash;
export const lastRun = app.rollout.lastRun;
export const lastPromotedRun = app.rollout.lastPromotedRun;
export const lastVerdict = app.lastVerdict;
