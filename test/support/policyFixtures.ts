// Compliant resources for policy tests, built with the program's own pieces (validated default
// config, podTemplate, withTrack, templateHash, chartValues), so a fixture is what CanaryApp,
// MonitoringStack and IngressNginxMonitor actually register. Each test changes one field.
import { podTemplate, templateHash, withTrack } from "../../components/canaryApp";
import { ProgramConfig, validateConfig } from "../../components/config";
import { chartValues, RELEASE } from "../../components/monitoringStack";
import { routeName, routerInput } from "../../components/routes";
import {
    ownerLabels,
    TEMPLATE_HASH_ANNOTATION,
    trackName,
} from "../../components/rollout/core/names";
import { FakeResource } from "./policyHarness";

export const T = {
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    cronJob: "kubernetes:batch/v1:CronJob",
    pod: "kubernetes:core/v1:Pod",
    ingress: "kubernetes:networking.k8s.io/v1:Ingress",
    httpRoute: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
    gateway: "kubernetes:gateway.networking.k8s.io/v1:Gateway",
    helmRelease: "kubernetes:helm.sh/v3:Release",
    helmChartV4: "kubernetes:helm.sh/v4:Chart",
    serviceMonitor: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
    canaryRollout: "pulumi-nodejs:dynamic/progressive-delivery:CanaryRollout",
    namespace: "kubernetes:core/v1:Namespace",
};

export const { config } = validateConfig({});
export const APP = config.app.name; // rollouts-demo
export const NS = config.app.namespace;
export const DESIRED = podTemplate(config.app);
export const HASH = templateHash(DESIRED);

/** A deep copy with `value` set at a dotted path ("a.b.0.c"); undefined deletes the key. */
export function withField<T extends FakeResource>(r: T, path: string, value: unknown): T {
    const copy = JSON.parse(JSON.stringify(r)) as T;
    const [root, ...keys] = path.split(".");
    if (root !== "props" && root !== "outputs") {
        throw new Error(`path must start with props. or outputs., got ${path}`);
    }
    let target: any =
        root === "outputs" ? (copy.outputs ??= JSON.parse(JSON.stringify(copy.props))) : copy.props;
    for (const k of keys.slice(0, -1)) {
        target[k] ??= {};
        target = target[k];
    }
    const last = keys[keys.length - 1];
    if (value === undefined) {
        delete target[last];
    } else {
        target[last] = value;
    }
    return copy;
}

/** The canary Deployment as CanaryApp registers it (for `cfg`, even one the config layer refuses). */
export function canaryDeployment(cfg: ProgramConfig = config): FakeResource {
    const app = cfg.app.name;
    return {
        type: T.deployment,
        name: `${app}-canary`,
        props: {
            metadata: {
                name: `${app}-canary`,
                namespace: cfg.app.namespace,
                labels: { app, track: "canary" },
            },
            spec: {
                selector: { matchLabels: { app, track: "canary" } },
                template: withTrack(podTemplate(cfg.app), "canary"),
            },
        },
    };
}

export function stableDeployment(): FakeResource {
    return {
        type: T.deployment,
        name: `${APP}-stable`,
        props: {
            metadata: {
                name: `${APP}-stable`,
                namespace: NS,
                labels: { app: APP, track: "stable" },
                annotations: { [TEMPLATE_HASH_ANNOTATION]: HASH },
            },
            spec: {
                replicas: config.app.replicas,
                selector: { matchLabels: { app: APP, track: "stable" } },
                template: withTrack(DESIRED, "stable"),
            },
        },
    };
}

/**
 * The CanaryRollout's inputs as CanaryApp passes them for `cfg` (even one the config layer
 * refuses: its wrong values are kept), without the secrets; outputs as after a promotion.
 * test/unit/policies/invalidConfigs.test.ts checks them against the program's own for the
 * shipped stacks.
 */
export function rollout(cfg: ProgramConfig = config): FakeResource {
    const app = cfg.app.name;
    const m = cfg.monitoring;
    const desired = podTemplate(cfg.app);
    const router = routerInput(cfg.router);
    const service = m.install
        ? { namespace: m.namespace, name: `${RELEASE}-prometheus`, port: 9090 }
        : m.prometheus.service;
    const props = {
        app,
        namespace: cfg.app.namespace,
        canaryDeployment: `${app}-canary`,
        stableDeployment: `${app}-stable`,
        canaryIngress: routeName(cfg.router, cfg.app, `${app}-canary`),
        canaryService: `${app}-canary`,
        stableService: `${app}-stable`,
        template: desired,
        templateHash: templateHash(desired),
        totalReplicas: cfg.app.replicas,
        steps: cfg.rollout.steps,
        deadlineSeconds: cfg.rollout.deadlineSeconds,
        abortScaleDownDelaySeconds: cfg.rollout.abortScaleDownDelaySeconds,
        metrics: cfg.rollout.metrics,
        judge: cfg.rollout.judge,
        notifications: cfg.rollout.notifications,
        scrapeIntervalSeconds: m.scrapeIntervalSeconds,
        prometheus: {
            ...(m.prometheus.url ? { url: m.prometheus.url } : {}),
            ...(service ? { service } : {}),
            ...(m.prometheus.username ? { username: m.prometheus.username } : {}),
            timeoutSeconds: m.prometheus.timeoutSeconds,
        },
        ...(router ? { router } : {}),
    };
    return {
        type: T.canaryRollout,
        name: `${app}-rollout`,
        props,
        outputs: {
            ...props,
            promotedTemplate: desired,
            promotedHash: props.templateHash,
            lastRun: null,
        },
    };
}

export function ingress(
    track: "stable" | "canary",
    host = config.app.host,
    path = config.app.path,
): FakeResource {
    const name = track === "stable" ? APP : `${APP}-canary`;
    return {
        type: T.ingress,
        name: `${APP}-${track}`,
        props: {
            metadata: {
                name,
                namespace: NS,
                labels: { app: APP },
                annotations:
                    track === "canary" ? { "nginx.ingress.kubernetes.io/canary": "true" } : {},
            },
            spec: {
                ingressClassName: "nginx",
                rules: [
                    {
                        host,
                        http: {
                            paths: [
                                {
                                    path,
                                    pathType: "Prefix",
                                    backend: {
                                        service: {
                                            name: `${APP}-${track}`,
                                            port: { name: "http" },
                                        },
                                    },
                                },
                            ],
                        },
                    },
                ],
            },
        },
    };
}

/** The Gateway the program creates for router.kind gateway-api (issue 15's contract). */
export const GATEWAY = { name: `${APP}-gateway`, namespace: NS };

/** The created Gateway (router.gateway.create), with its one HTTP listener. */
export function gateway(name = GATEWAY.name, namespace = GATEWAY.namespace): FakeResource {
    return {
        type: T.gateway,
        name,
        props: {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "Gateway",
            metadata: { name, namespace, labels: { app: APP, ...ownerLabels(APP) } },
            spec: {
                gatewayClassName: "istio",
                listeners: [{ name: "http", port: 80, protocol: "HTTP" }],
            },
        },
    };
}

/**
 * The app's HTTPRoute at rest (issue 15's contract): attached to the Gateway, the app's host, one
 * rule with the stable Service at weight 100 and the canary at 0. `app` names another app's.
 */
export function httpRoute(app = APP, host = config.app.host, path = config.app.path): FakeResource {
    return {
        type: T.httpRoute,
        name: `${app}-route`,
        props: {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "HTTPRoute",
            metadata: { name: app, namespace: NS, labels: { app, ...ownerLabels(app) } },
            spec: {
                parentRefs: [
                    {
                        group: "gateway.networking.k8s.io",
                        kind: "Gateway",
                        name: GATEWAY.name,
                        namespace: GATEWAY.namespace,
                    },
                ],
                hostnames: [host],
                rules: [
                    {
                        matches: [{ path: { type: "PathPrefix", value: path } }],
                        backendRefs: [
                            { name: trackName(app, "stable"), port: 80, weight: 100 },
                            { name: trackName(app, "canary"), port: 80, weight: 0 },
                        ],
                    },
                ],
            },
        },
    };
}

/** The header rule the rollout puts first in the HTTPRoute while a run has it on. */
export function headerRule(app = APP, path = config.app.path): Record<string, unknown> {
    return {
        matches: [
            {
                path: { type: "PathPrefix", value: path },
                headers: [{ type: "Exact", name: "X-Canary", value: "always" }],
            },
        ],
        backendRefs: [{ name: trackName(app, "canary"), port: 80, weight: 1 }],
    };
}

/** MonitoringStack's Helm release of kube-prometheus-stack (or another chart by name). */
export function prometheusRelease(
    chart: { repo: string; name: string; version: string } = config.monitoring.chart,
    values: Record<string, unknown> = {},
): FakeResource {
    const oci = chart.repo.startsWith("oci://");
    return {
        type: T.helmRelease,
        name: "monitoring-chart",
        props: {
            name: "kube-prometheus",
            namespace: "monitoring",
            chart: oci ? `${chart.repo}/${chart.name}` : chart.name,
            version: chart.version,
            ...(oci ? {} : { repositoryOpts: { repo: chart.repo } }),
            values: chartValues({ ...config.monitoring, chart, values }),
            skipCrds: false,
            timeout: 900,
        },
    };
}

/** IngressNginxMonitor's ServiceMonitor. */
export function serviceMonitor(
    labels: Record<string, string> = config.monitoring.serviceMonitorLabels,
): FakeResource {
    return {
        type: T.serviceMonitor,
        name: "ingress-nginx-servicemonitor",
        props: {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "ServiceMonitor",
            metadata: { name: "ingress-nginx-controller", namespace: "ingress-nginx", labels },
            spec: {
                selector: { matchLabels: config.ingressNginx.metricsSelector },
                namespaceSelector: { matchNames: ["ingress-nginx"] },
                endpoints: [{ port: "metrics", interval: "30s" }],
            },
        },
    };
}
