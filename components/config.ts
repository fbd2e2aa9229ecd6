// The one place that reads pulumi.Config. `validateConfig` is pure (raw values in, typed config
// and every problem out) so each invalid case is unit-tested with its exact message;
// `loadConfig` reads the stack and fails the program (and so `pulumi preview`) before any
// resource is registered.
import * as pulumi from "@pulumi/pulumi";
import { parseCondition } from "./rollout/condition";
import {
    DEFAULT_REQUESTS_QUERY,
    DEFAULT_SUCCESS_RATE_QUERY,
    ThresholdMetricSpec,
    unknownArgs,
} from "./rollout/metrics";
import { parseDurationSeconds, parseSteps, StepInput } from "./rollout/plan";
import { Step } from "./rollout/types";

export const PROJECT = "progressive-delivery";

// ---------------------------------------------------------------------------------------------
// The typed result.

export interface ServiceRef {
    namespace: string;
    name: string;
    port: number;
}

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
    prometheus: { url?: string; service?: ServiceRef; username?: string; timeoutSeconds: number };
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
    image: string;
    replicas: number;
    port: number;
    host: string;
    path: string;
    resources: { requests: ResourceList; limits: ResourceList };
    readinessProbe: ProbeConfig;
    livenessProbe?: ProbeConfig;
}

/** One threshold metric as configured: the engine's spec (its rate-window floor comes from the
 * scrape interval) plus which statuses count as failures. */
export interface MetricConfig extends Omit<ThresholdMetricSpec, "minWindowSeconds"> {
    /** Statuses that count as failed requests: "5.." (default) or "[45]..". */
    failureStatus: string;
}

export interface JudgeConfig {
    enabled: boolean;
    /** How much higher than stable's the canary's error rate may be (absolute), e.g. 0.01. */
    tolerance: number;
    /** Target probability of rolling back a healthy canary. */
    falseRollbackRate: number;
    /** Target probability of promoting a canary that is worse than stable + tolerance. */
    missedDetectionRate: number;
    /** Measure this often; defaults to the scrape interval. */
    intervalSeconds: number;
    /** Fewest canary requests before the judge may accept. */
    minRequests: number;
}

export interface RolloutConfig {
    steps: Step[];
    deadlineSeconds: number;
    metrics: MetricConfig[];
    judge: JudgeConfig;
}

export interface TlsConfig {
    enabled: boolean;
    issuer: "selfsigned" | "acme";
    acme?: { email: string; server: string };
    installCertManager: boolean;
    certManagerChart: ChartRef;
    secretName: string;
}

export interface ProgramConfig {
    kubernetes: { context?: string; hasKubeconfig: boolean };
    monitoring: MonitoringConfig;
    ingressNginx: IngressNginxConfig;
    app: AppConfig;
    rollout: RolloutConfig;
    tls: TlsConfig;
}

/** Secret values, kept as Outputs so they stay encrypted in state and masked in logs. */
export interface ProgramSecrets {
    kubeconfig?: pulumi.Output<string>;
    prometheusToken?: pulumi.Output<string>;
    prometheusPassword?: pulumi.Output<string>;
}

// ---------------------------------------------------------------------------------------------
// Defaults. Pulumi.yaml declares the same values; test/unit/config.test.ts keeps them in step.

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
    rollout: {
        steps: [
            { setWeight: 20 },
            { pause: { duration: "1m" } },
            { setWeight: 40 },
            { pause: { duration: "1m" } },
            { setWeight: 60 },
            { pause: { duration: "1m" } },
            { setWeight: 80 },
            { pause: { duration: "1m" } },
            { analysis: {} },
        ] as StepInput[],
        deadline: "30m",
        metric: {
            name: "success-rate",
            successCondition: "result[0] >= 0.95",
            interval: "1m",
            // Argo's engine defaults are initialDelay 0 and inconclusiveLimit 0; with them the
            // first measurement, taken before Prometheus has two scrapes of the canary's new
            // series, is an empty vector and aborts every rollout at t=0. One interval of delay
            // and two tolerated inconclusive measurements fix the tutorial's default.
            initialDelay: "1m",
            failureLimit: 3,
            inconclusiveLimit: 2,
            consecutiveErrorLimit: 4,
            minRequests: 10,
            window: "5m",
            failureStatus: "5..",
        },
        judge: {
            enabled: false,
            tolerance: 0.01,
            falseRollbackRate: 0.005,
            missedDetectionRate: 0.05,
            minRequests: 50,
        },
    },
    tls: {
        enabled: false,
        issuer: "selfsigned",
        installCertManager: false,
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
    "tls",
    "prometheusToken",
    "prometheusPassword",
];

// ---------------------------------------------------------------------------------------------
// Validation helpers: each records "key.path: message" and returns a usable value.

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HOSTNAME =
    /^(?=.{1,253}$)(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const CPU = /^(\d+m|\d+(\.\d+)?)$/;
const MEMORY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$/;
const SEMVER = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const LABEL_KEY =
    /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(|[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;

type Raw = Record<string, unknown>;

class Checker {
    readonly errors: string[] = [];

    fail(key: string, message: string): void {
        this.errors.push(`${PROJECT}:${key}: ${message}`);
    }

    /** An object with only the allowed keys; anything else is reported by name. */
    object(key: string, value: unknown, allowed: string[]): Raw {
        if (value === undefined || value === null) {
            return {};
        }
        if (typeof value !== "object" || Array.isArray(value)) {
            this.fail(
                key,
                `must be an object with the keys ${allowed.join(", ")}, got ${show(value)}`,
            );
            return {};
        }
        for (const k of Object.keys(value)) {
            if (!allowed.includes(k)) {
                this.fail(
                    `${key}.${k}`,
                    `is not a known key; known keys are ${allowed.join(", ")}`,
                );
            }
        }
        return value as Raw;
    }

    string(
        key: string,
        value: unknown,
        fallback: string,
        check?: { re: RegExp; fix: string },
    ): string {
        if (value === undefined || value === null) {
            return fallback;
        }
        if (typeof value !== "string") {
            this.fail(key, `must be a string, got ${show(value)}`);
            return fallback;
        }
        if (value.trim() === "") {
            this.fail(
                key,
                `must not be empty; ${check?.fix ?? (fallback ? `remove it to use the default "${fallback}"` : "remove the key to leave it unset")}`,
            );
            return fallback;
        }
        if (check && !check.re.test(value)) {
            this.fail(key, `${show(value)} is not valid: ${check.fix}`);
        }
        return value;
    }

    optionalString(
        key: string,
        value: unknown,
        check?: { re: RegExp; fix: string },
    ): string | undefined {
        return value === undefined || value === null
            ? undefined
            : this.string(key, value, "", check);
    }

    integer(
        key: string,
        value: unknown,
        fallback: number,
        min: number,
        max: number,
        unit: string,
    ): number {
        if (value === undefined || value === null) {
            return fallback;
        }
        if (typeof value !== "number" || !Number.isInteger(value)) {
            this.fail(key, `must be a whole number of ${unit}, got ${show(value)}`);
            return fallback;
        }
        if (value < min || value > max) {
            this.fail(key, `must be between ${min} and ${max} ${unit}, got ${value}`);
            return fallback;
        }
        return value;
    }

    number(
        key: string,
        value: unknown,
        fallback: number,
        minExclusive: number,
        maxExclusive: number,
    ): number {
        if (value === undefined || value === null) {
            return fallback;
        }
        if (
            typeof value !== "number" ||
            !Number.isFinite(value) ||
            value <= minExclusive ||
            value >= maxExclusive
        ) {
            this.fail(
                key,
                `must be a number greater than ${minExclusive} and less than ${maxExclusive}, got ${show(value)}`,
            );
            return fallback;
        }
        return value;
    }

    boolean(key: string, value: unknown, fallback: boolean): boolean {
        if (value === undefined || value === null) {
            return fallback;
        }
        if (typeof value !== "boolean") {
            this.fail(key, `must be true or false, got ${show(value)}`);
            return fallback;
        }
        return value;
    }

    duration(key: string, value: unknown, fallback: string, minSeconds = 0): number {
        const seconds = parseDurationSeconds(value ?? fallback);
        if (seconds === undefined) {
            this.fail(
                key,
                `must be a duration such as "30s", "5m" or "1h" (or a number of seconds), got ${show(value)}`,
            );
            return parseDurationSeconds(fallback)!;
        }
        if (seconds < minSeconds) {
            this.fail(key, `must be at least ${minSeconds}s, got ${show(value)}`);
            return parseDurationSeconds(fallback)!;
        }
        return seconds;
    }

    labels(key: string, value: unknown, fallback: Record<string, string>): Record<string, string> {
        if (value === undefined || value === null) {
            return fallback;
        }
        if (typeof value !== "object" || Array.isArray(value) || Object.keys(value).length === 0) {
            this.fail(key, `must be a non-empty map of label names to values, got ${show(value)}`);
            return fallback;
        }
        for (const [k, v] of Object.entries(value as Raw)) {
            if (!LABEL_KEY.test(k)) {
                this.fail(
                    `${key}`,
                    `${show(k)} is not a valid label name (e.g. "app.kubernetes.io/name")`,
                );
            }
            if (typeof v !== "string" || !LABEL_VALUE.test(v)) {
                this.fail(
                    `${key}.${k}`,
                    `${show(v)} is not a valid label value (63 characters of [A-Za-z0-9-_.], as a string)`,
                );
            }
        }
        return value as Record<string, string>;
    }

    chart(key: string, value: unknown, fallback: ChartRef): ChartRef {
        const raw = this.object(key, value, ["repo", "name", "version"]);
        const repo = this.string(`${key}.repo`, raw.repo, fallback.repo, {
            re: /^(https?|oci):\/\/\S+$/,
            fix: 'use a Helm repository URL such as "https://prometheus-community.github.io/helm-charts" or an OCI registry "oci://..."',
        });
        const name = this.string(`${key}.name`, raw.name, fallback.name, {
            re: DNS_LABEL,
            fix: 'use the chart\'s name, e.g. "kube-prometheus-stack"',
        });
        const version = this.string(`${key}.version`, raw.version, fallback.version, {
            re: SEMVER,
            fix: 'pin an exact chart version such as "87.21.0"; ranges and "latest" make every stack render a different chart',
        });
        return { repo, name, version };
    }

    serviceRef(key: string, value: unknown): ServiceRef | undefined {
        if (value === undefined || value === null) {
            return undefined;
        }
        const raw = this.object(key, value, ["namespace", "name", "port"]);
        const dns = {
            re: DNS_LABEL,
            fix: "use a Kubernetes name: lower-case letters, digits and '-'",
        };
        return {
            namespace: this.string(`${key}.namespace`, raw.namespace ?? "", "", dns),
            name: this.string(`${key}.name`, raw.name ?? "", "", dns),
            port: this.integer(`${key}.port`, raw.port ?? 9090, 9090, 1, 65535, "(a TCP port)"),
        };
    }
}

function show(v: unknown): string {
    return v === undefined ? "nothing" : JSON.stringify(v);
}

const DNS = {
    re: DNS_LABEL,
    fix: "use a Kubernetes name: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
};

// ---------------------------------------------------------------------------------------------

export interface RawConfig {
    kubeContext?: unknown;
    hasKubeconfig?: boolean;
    monitoring?: unknown;
    ingressNginx?: unknown;
    app?: unknown;
    rollout?: unknown;
    tls?: unknown;
    /** Every key set in the project's namespace, to report the unknown ones. */
    keys?: string[];
}

/** Validates raw config values. Pure: returns the typed config and every problem found. */
export function validateConfig(raw: RawConfig): { config: ProgramConfig; errors: string[] } {
    const c = new Checker();
    for (const k of raw.keys ?? []) {
        if (!KEYS.includes(k)) {
            c.fail(
                k,
                `is not a known key; known keys are ${KEYS.join(", ")} (see the config reference in README.md)`,
            );
        }
    }
    const kubernetes = {
        // "" is the declared default: use the kubeconfig's current context.
        context:
            raw.kubeContext === "" ? undefined : c.optionalString("kubeContext", raw.kubeContext),
        hasKubeconfig: raw.hasKubeconfig ?? false,
    };
    const monitoring = validateMonitoring(c, raw.monitoring);
    const ingressNginx = validateIngress(c, raw.ingressNginx);
    const app = validateApp(c, raw.app);
    const rollout = validateRollout(c, raw.rollout, monitoring.scrapeIntervalSeconds);
    const tls = validateTls(c, raw.tls, app.name);
    return {
        config: { kubernetes, monitoring, ingressNginx, app, rollout, tls },
        errors: c.errors,
    };
}

function validateMonitoring(c: Checker, value: unknown): MonitoringConfig {
    const d = DEFAULTS.monitoring;
    const raw = c.object("monitoring", value, [
        "install",
        "namespace",
        "chart",
        "values",
        "serviceMonitorLabels",
        "scrapeInterval",
        "prometheus",
    ]);
    const install = c.boolean("monitoring.install", raw.install, d.install);
    const namespace = c.string("monitoring.namespace", raw.namespace, d.namespace, DNS);
    const chart = c.chart("monitoring.chart", raw.chart, d.chart);
    let values: Record<string, unknown> = {};
    if (raw.values !== undefined && raw.values !== null) {
        if (typeof raw.values !== "object" || Array.isArray(raw.values)) {
            c.fail(
                "monitoring.values",
                `must be an object of Helm values, got ${show(raw.values)}`,
            );
        } else {
            values = raw.values as Record<string, unknown>;
        }
    }
    const serviceMonitorLabels = c.labels(
        "monitoring.serviceMonitorLabels",
        raw.serviceMonitorLabels,
        d.serviceMonitorLabels,
    );
    const scrapeIntervalSeconds = c.duration(
        "monitoring.scrapeInterval",
        raw.scrapeInterval,
        d.scrapeInterval,
        1,
    );
    const p = c.object("monitoring.prometheus", raw.prometheus, [
        "url",
        "service",
        "username",
        "timeout",
    ]);
    const url = c.optionalString("monitoring.prometheus.url", p.url, {
        re: /^https?:\/\/[^\s/]+(\/\S*)?$/,
        fix: 'use an http(s) URL such as "http://prometheus.example.com:9090"',
    });
    const service = c.serviceRef("monitoring.prometheus.service", p.service);
    const username = c.optionalString("monitoring.prometheus.username", p.username);
    const timeoutSeconds = c.duration(
        "monitoring.prometheus.timeout",
        p.timeout,
        d.prometheus.timeout,
        1,
    );
    if (url && service) {
        c.fail(
            "monitoring.prometheus",
            "sets both url and service; set url to query Prometheus directly, or service to go through the Kubernetes API server's service proxy, not both",
        );
    }
    if (!install && !url && !service) {
        c.fail(
            "monitoring.prometheus",
            'is required when monitoring.install is false: set url (e.g. "http://127.0.0.1:9090") or service ({namespace, name, port})',
        );
    }
    if (install && url) {
        c.fail(
            "monitoring.prometheus.url",
            "is set while monitoring.install is true; the installed Prometheus is queried through the API server's service proxy. Set monitoring.install to false to use your own Prometheus",
        );
    }
    return {
        install,
        namespace,
        chart,
        values,
        serviceMonitorLabels,
        scrapeIntervalSeconds,
        prometheus: { url, service, username, timeoutSeconds },
    };
}

function validateIngress(c: Checker, value: unknown): IngressNginxConfig {
    const d = DEFAULTS.ingressNginx;
    const raw = c.object("ingressNginx", value, [
        "namespace",
        "className",
        "metricsSelector",
        "metricsPortName",
        "serviceMonitor",
        "install",
        "chart",
    ]);
    return {
        namespace: c.string("ingressNginx.namespace", raw.namespace, d.namespace, DNS),
        className: c.string("ingressNginx.className", raw.className, d.className, DNS),
        metricsSelector: c.labels(
            "ingressNginx.metricsSelector",
            raw.metricsSelector,
            d.metricsSelector,
        ),
        metricsPortName: c.string(
            "ingressNginx.metricsPortName",
            raw.metricsPortName,
            d.metricsPortName,
            {
                re: /^[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/,
                fix: "use the metrics port's name in the controller's Service (at most 15 characters), e.g. \"metrics\"",
            },
        ),
        serviceMonitor: c.boolean(
            "ingressNginx.serviceMonitor",
            raw.serviceMonitor,
            d.serviceMonitor,
        ),
        install: c.boolean("ingressNginx.install", raw.install, d.install),
        chart: c.chart("ingressNginx.chart", raw.chart, d.chart),
    };
}

function validateProbe(c: Checker, key: string, value: unknown, d: ProbeConfig): ProbeConfig {
    const raw = c.object(key, value, [
        "path",
        "initialDelaySeconds",
        "periodSeconds",
        "failureThreshold",
    ]);
    return {
        path: c.string(`${key}.path`, raw.path, d.path, {
            re: /^\/\S*$/,
            fix: 'use an HTTP path starting with "/", e.g. "/healthz"',
        }),
        initialDelaySeconds: c.integer(
            `${key}.initialDelaySeconds`,
            raw.initialDelaySeconds,
            d.initialDelaySeconds,
            0,
            3600,
            "seconds",
        ),
        periodSeconds: c.integer(
            `${key}.periodSeconds`,
            raw.periodSeconds,
            d.periodSeconds,
            1,
            3600,
            "seconds",
        ),
        failureThreshold: c.integer(
            `${key}.failureThreshold`,
            raw.failureThreshold,
            d.failureThreshold,
            1,
            100,
            "probes",
        ),
    };
}

function validateResources(c: Checker, key: string, value: unknown, d: ResourceList): ResourceList {
    const raw = c.object(key, value, ["cpu", "memory"]);
    return {
        cpu: c.string(`${key}.cpu`, raw.cpu, d.cpu, {
            re: CPU,
            fix: 'use a CPU quantity such as "100m" or "0.5"',
        }),
        memory: c.string(`${key}.memory`, raw.memory, d.memory, {
            re: MEMORY,
            fix: 'use a memory quantity such as "64Mi" or "1Gi"',
        }),
    };
}

function validateApp(c: Checker, value: unknown): AppConfig {
    const d = DEFAULTS.app;
    const raw = c.object("app", value, [
        "name",
        "namespace",
        "image",
        "replicas",
        "port",
        "host",
        "path",
        "resources",
        "readinessProbe",
        "livenessProbe",
    ]);
    const name = c.string("app.name", raw.name, d.name, {
        re: /^[a-z0-9]([-a-z0-9]{0,45}[a-z0-9])?$/,
        fix: "use a Kubernetes name of at most 47 characters (lower-case letters, digits and '-'); '-canary' and '-stable' are appended",
    });
    const image = c.string("app.image", raw.image, d.image);
    if (typeof raw.image === "string" && raw.image.trim() !== "") {
        const img = raw.image;
        const lastSegment = img.slice(img.lastIndexOf("/") + 1);
        if (/\s/.test(img) || /[A-Z]/.test(img.split(/[:@]/)[0])) {
            c.fail(
                "app.image",
                `${show(img)} is not a valid image reference; use e.g. "argoproj/rollouts-demo:blue"`,
            );
        } else if (!img.includes("@sha256:") && !lastSegment.includes(":")) {
            c.fail(
                "app.image",
                `${show(img)} has no tag; pin a version, e.g. "${img}:v1.2.3", or a digest "${img}@sha256:..."`,
            );
        } else if (!img.includes("@") && lastSegment.endsWith(":latest")) {
            c.fail(
                "app.image",
                `${show(img)} uses the tag "latest", which changes under you and defeats the canary; pin a version tag or a digest`,
            );
        }
    }
    const resources = c.object("app.resources", raw.resources, ["requests", "limits"]);
    const rawHost = raw.host;
    const host = c.string("app.host", rawHost, d.host);
    if (typeof rawHost === "string" && rawHost.trim() !== "" && !HOSTNAME.test(rawHost)) {
        c.fail(
            "app.host",
            `${show(rawHost)} is not a valid DNS host name; use lower-case names such as "demo.example.com" (no scheme, port or path)`,
        );
    }
    return {
        name,
        namespace: c.string("app.namespace", raw.namespace, d.namespace, DNS),
        image,
        replicas: c.integer("app.replicas", raw.replicas, d.replicas, 1, 1000, "replicas"),
        port: c.integer("app.port", raw.port, d.port, 1, 65535, "(a TCP port)"),
        host,
        path: c.string("app.path", raw.path, d.path, {
            re: /^\/[^\s]*$/,
            fix: 'use an HTTP path starting with "/", e.g. "/" or "/api"',
        }),
        resources: {
            requests: validateResources(
                c,
                "app.resources.requests",
                resources.requests,
                d.resources.requests,
            ),
            limits: validateResources(
                c,
                "app.resources.limits",
                resources.limits,
                d.resources.limits,
            ),
        },
        readinessProbe: validateProbe(
            c,
            "app.readinessProbe",
            raw.readinessProbe,
            d.readinessProbe,
        ),
        livenessProbe:
            raw.livenessProbe === undefined
                ? undefined
                : validateProbe(c, "app.livenessProbe", raw.livenessProbe, d.readinessProbe),
    };
}

function validateCondition(
    c: Checker,
    key: string,
    value: unknown,
    fallback?: string,
): string | undefined {
    const s = value === undefined ? fallback : c.optionalString(key, value);
    if (s) {
        try {
            parseCondition(s);
        } catch (e) {
            c.fail(key, `${(e as Error).message}`);
            return undefined;
        }
    }
    return s;
}

function validateMetric(
    c: Checker,
    key: string,
    value: unknown,
    scrapeIntervalSeconds: number,
): MetricConfig {
    const d = DEFAULTS.rollout.metric;
    const raw = c.object(key, value, [
        "name",
        "query",
        "requestsQuery",
        "successCondition",
        "failureCondition",
        "interval",
        "initialDelay",
        "failureLimit",
        "inconclusiveLimit",
        "consecutiveErrorLimit",
        "minRequests",
        "window",
        "failureStatus",
    ]);
    const query = c.string(`${key}.query`, raw.query, DEFAULT_SUCCESS_RATE_QUERY);
    const requestsQuery = c.string(
        `${key}.requestsQuery`,
        raw.requestsQuery,
        DEFAULT_REQUESTS_QUERY,
    );
    for (const [k, q] of [
        ["query", query],
        ["requestsQuery", requestsQuery],
    ] as const) {
        const unknown = unknownArgs(q);
        if (unknown.length > 0) {
            c.fail(
                `${key}.${k}`,
                `uses unknown args ${unknown.map((u) => `{{args.${u}}}`).join(", ")}; known are {{args.namespace}}, {{args.service}}, {{args.stableService}}, {{args.ingress}}, {{args.failureStatus}}, {{args.window}}`,
            );
        }
        if (/\birate\s*\(/.test(q)) {
            c.fail(
                `${key}.${k}`,
                "uses irate(), which looks at the last two samples only and flaps on noise; use rate() over {{args.window}}",
            );
        }
    }
    const explicitConditions =
        raw.successCondition !== undefined || raw.failureCondition !== undefined;
    const successCondition = validateCondition(
        c,
        `${key}.successCondition`,
        raw.successCondition,
        explicitConditions ? undefined : d.successCondition,
    );
    const failureCondition = validateCondition(c, `${key}.failureCondition`, raw.failureCondition);
    if (explicitConditions && raw.successCondition == null && raw.failureCondition == null) {
        c.fail(key, 'needs a successCondition or a failureCondition, e.g. "result[0] >= 0.95"');
    }
    const windowSeconds = c.duration(`${key}.window`, raw.window, d.window, 1);
    if (windowSeconds < 4 * scrapeIntervalSeconds) {
        c.fail(
            `${key}.window`,
            `is ${windowSeconds}s, shorter than 4x the scrape interval (${4 * scrapeIntervalSeconds}s); rate() needs several samples: use at least "${4 * scrapeIntervalSeconds}s"`,
        );
    }
    const failureStatus = c.string(`${key}.failureStatus`, raw.failureStatus, d.failureStatus);
    if (!["5..", "[45].."].includes(failureStatus)) {
        c.fail(
            `${key}.failureStatus`,
            `${show(failureStatus)} is not supported: use "5.." (server errors fail the canary) or "[45].." (client errors too)`,
        );
    }
    return {
        name: c.string(`${key}.name`, raw.name, d.name, DNS),
        query,
        requestsQuery,
        successCondition,
        failureCondition,
        intervalSeconds: c.duration(`${key}.interval`, raw.interval, d.interval, 1),
        initialDelaySeconds: c.duration(`${key}.initialDelay`, raw.initialDelay, d.initialDelay),
        failureLimit: c.integer(
            `${key}.failureLimit`,
            raw.failureLimit,
            d.failureLimit,
            0,
            1000,
            "failed measurements",
        ),
        inconclusiveLimit: c.integer(
            `${key}.inconclusiveLimit`,
            raw.inconclusiveLimit,
            d.inconclusiveLimit,
            0,
            1000,
            "inconclusive measurements",
        ),
        consecutiveErrorLimit: c.integer(
            `${key}.consecutiveErrorLimit`,
            raw.consecutiveErrorLimit,
            d.consecutiveErrorLimit,
            0,
            1000,
            "errors in a row",
        ),
        minRequests: c.integer(
            `${key}.minRequests`,
            raw.minRequests,
            d.minRequests,
            0,
            1e9,
            "requests",
        ),
        windowSeconds,
        failureStatus,
    };
}

function validateRollout(c: Checker, value: unknown, scrapeIntervalSeconds: number): RolloutConfig {
    const d = DEFAULTS.rollout;
    const raw = c.object("rollout", value, ["steps", "deadline", "analysis"]);
    const parsed = parseSteps(raw.steps ?? d.steps, "rollout.steps");
    for (const e of parsed.errors) {
        c.fail(e.field, e.message);
    }
    const deadlineSeconds = c.duration("rollout.deadline", raw.deadline, d.deadline, 1);
    const stepSeconds = parsed.steps.reduce(
        (s, step) => s + ("pause" in step ? step.pause.durationSeconds : 0),
        0,
    );
    if (parsed.errors.length === 0 && stepSeconds >= deadlineSeconds) {
        c.fail(
            "rollout.deadline",
            `is ${deadlineSeconds}s, but the pauses alone take ${stepSeconds}s; raise it above ${stepSeconds}s or shorten the pauses`,
        );
    }
    const analysis = c.object("rollout.analysis", raw.analysis, ["metrics", "judge"]);
    let metrics: MetricConfig[];
    if (analysis.metrics === undefined || analysis.metrics === null) {
        metrics = [validateMetric(c, "rollout.analysis.metrics[0]", {}, scrapeIntervalSeconds)];
    } else if (!Array.isArray(analysis.metrics)) {
        c.fail(
            "rollout.analysis.metrics",
            `must be a list of metrics, got ${show(analysis.metrics)}`,
        );
        metrics = [];
    } else {
        metrics = analysis.metrics.map((m, i) =>
            validateMetric(c, `rollout.analysis.metrics[${i}]`, m, scrapeIntervalSeconds),
        );
        const names = metrics.map((m) => m.name);
        names.forEach((n, i) => {
            if (names.indexOf(n) !== i) {
                c.fail(
                    `rollout.analysis.metrics[${i}].name`,
                    `${show(n)} is used by another metric; give each metric its own name`,
                );
            }
        });
    }
    const jd = d.judge;
    const j = c.object("rollout.analysis.judge", analysis.judge, [
        "enabled",
        "tolerance",
        "falseRollbackRate",
        "missedDetectionRate",
        "interval",
        "minRequests",
    ]);
    const judge: JudgeConfig = {
        enabled: c.boolean("rollout.analysis.judge.enabled", j.enabled, jd.enabled),
        tolerance: c.number("rollout.analysis.judge.tolerance", j.tolerance, jd.tolerance, 0, 1),
        falseRollbackRate: c.number(
            "rollout.analysis.judge.falseRollbackRate",
            j.falseRollbackRate,
            jd.falseRollbackRate,
            0,
            0.5,
        ),
        missedDetectionRate: c.number(
            "rollout.analysis.judge.missedDetectionRate",
            j.missedDetectionRate,
            jd.missedDetectionRate,
            0,
            0.5,
        ),
        intervalSeconds: c.duration(
            "rollout.analysis.judge.interval",
            j.interval,
            `${scrapeIntervalSeconds}s`,
            1,
        ),
        minRequests: c.integer(
            "rollout.analysis.judge.minRequests",
            j.minRequests,
            jd.minRequests,
            1,
            1e9,
            "requests",
        ),
    };
    if (metrics.length === 0 && !judge.enabled && parsed.steps.some((s) => "analysis" in s)) {
        c.fail(
            "rollout.analysis",
            "has no metric and the judge is off, but the steps contain an analysis step; add a metric or enable the judge",
        );
    }
    return { steps: parsed.steps, deadlineSeconds, metrics, judge };
}

function validateTls(c: Checker, value: unknown, appName: string): TlsConfig {
    const d = DEFAULTS.tls;
    const raw = c.object("tls", value, [
        "enabled",
        "issuer",
        "acme",
        "installCertManager",
        "certManagerChart",
        "secretName",
    ]);
    const enabled = c.boolean("tls.enabled", raw.enabled, d.enabled);
    const issuer = c.string("tls.issuer", raw.issuer, d.issuer);
    if (issuer !== "selfsigned" && issuer !== "acme") {
        c.fail(
            "tls.issuer",
            `${show(issuer)} is not supported: use "selfsigned" (default) or "acme"`,
        );
    }
    let acme: TlsConfig["acme"];
    if (issuer === "acme") {
        const a = c.object("tls.acme", raw.acme, ["email", "server"]);
        acme = {
            email: c.string("tls.acme.email", a.email ?? "", "", {
                re: /^[^@\s]+@[^@\s]+\.[^@\s]+$/,
                fix: "use the address ACME should send expiry notices to",
            }),
            server: c.string(
                "tls.acme.server",
                a.server,
                "https://acme-v02.api.letsencrypt.org/directory",
                { re: /^https:\/\/\S+$/, fix: "use the ACME directory URL (https://...)" },
            ),
        };
    } else if (raw.acme !== undefined) {
        c.fail(
            "tls.acme",
            'is set but tls.issuer is not "acme"; set tls.issuer to "acme" or remove tls.acme',
        );
    }
    return {
        enabled,
        issuer: issuer === "acme" ? "acme" : "selfsigned",
        acme,
        installCertManager: c.boolean(
            "tls.installCertManager",
            raw.installCertManager,
            d.installCertManager,
        ),
        certManagerChart: c.chart("tls.certManagerChart", raw.certManagerChart, d.certManagerChart),
        secretName:
            raw.secretName === undefined
                ? `${appName}-tls`
                : c.string("tls.secretName", raw.secretName, `${appName}-tls`, DNS),
    };
}

/** Thrown when the stack config is invalid; lists every problem, one per line. */
export class ConfigError extends pulumi.RunError {
    constructor(public readonly problems: string[]) {
        super(
            `invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was changed:\n  - ${problems.join("\n  - ")}`,
        );
    }
}

/** Reads the stack's config, validates it, and throws ConfigError listing every problem. */
export function loadConfig(): { config: ProgramConfig; secrets: ProgramSecrets } {
    const cfg = new pulumi.Config(PROJECT);
    const prefix = `${PROJECT}:`;
    const keys = Object.keys(pulumi.runtime.allConfig())
        .filter((k) => k.startsWith(prefix))
        .map((k) => k.slice(prefix.length));
    const problems: string[] = [];
    const object = (key: string): unknown => {
        try {
            return cfg.getObject(key);
        } catch {
            problems.push(
                `${prefix}${key}: is not valid JSON/YAML; set it with \`pulumi config set --path\` or as a YAML map in Pulumi.<stack>.yaml`,
            );
            return undefined;
        }
    };
    // Optional strings are declared with the default "" (a declared key without a default is
    // required by the CLI), so "" means unset.
    const present = (key: string) => (pulumi.runtime.getConfig(prefix + key) ?? "") !== "";
    const secret = (key: string) => (present(key) ? cfg.getSecret(key) : undefined);
    const { config, errors } = validateConfig({
        keys,
        kubeContext: cfg.get("kubeContext"),
        hasKubeconfig: present("kubeconfig"),
        monitoring: object("monitoring"),
        ingressNginx: object("ingressNginx"),
        app: object("app"),
        rollout: object("rollout"),
        tls: object("tls"),
    });
    problems.push(...errors);
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return {
        config,
        secrets: {
            kubeconfig: secret("kubeconfig"),
            prometheusToken: secret("prometheusToken"),
            prometheusPassword: secret("prometheusPassword"),
        },
    };
}
