// validateConfig: raw stack config in, the typed config and every problem out. Pure, so each
// invalid case is unit-tested with its exact message. The rollout's part is the engine's own
// resolveSpec; this layer only adds the project's namespace to each problem's path.
import { Checker, show } from "../rollout/core/check";
import { resolveRouter, resolveSpec, ROUTER_KINDS } from "../rollout/core/spec";
import { PROMETHEUS_TIMEOUT, prometheusUrlProblem } from "../rollout/core/urls";
import { validateApp } from "./app";
import { DEFAULTS, KEYS, PROJECT } from "./defaults";
import { checkChart, checkLabels, checkServiceRef, DNS } from "./fields";
import type { IngressNginxConfig, MonitoringConfig, ProgramConfig, TlsConfig } from "./types";

export interface RawConfig {
    kubeContext?: unknown;
    hasKubeconfig?: boolean;
    monitoring?: unknown;
    ingressNginx?: unknown;
    app?: unknown;
    rollout?: unknown;
    router?: unknown;
    tls?: unknown;
    /** Secret webhook URLs by notification name; never echoed in messages. */
    notificationUrls?: unknown;
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
    const resolved = resolveRouter(raw.router, app);
    const router = resolved.router;
    c.problems.push(...resolved.problems);
    const { spec: rollout, problems } = resolveSpec(raw.rollout, {
        scrapeIntervalSeconds: monitoring.scrapeIntervalSeconds,
        // A wrong kind is reported above; the metrics then default to the default router's.
        router: ROUTER_KINDS.includes(router.kind) ? router.kind : undefined,
    });
    c.problems.push(...problems);
    const tls = validateTls(c, raw.tls, app.name);
    if (tls.enabled && router.kind === "gateway-api") {
        c.fail(
            "tls.enabled",
            'is true, but router.kind is "gateway-api", whose Gateway listens on HTTP only here; terminate TLS at a Gateway you manage (router.gateway.create: false), or set tls.enabled to false',
        );
    }
    const notificationUrls = validateNotificationUrls(
        c,
        raw.notificationUrls,
        Array.isArray(rollout.notifications) ? rollout.notifications.map((n) => n.name) : [],
    );
    return {
        config: {
            kubernetes,
            monitoring,
            ingressNginx,
            app,
            rollout,
            router,
            tls,
            notificationUrls,
        },
        errors: c.problems.map((p) => `${PROJECT}:${p.path}: ${p.message}`),
    };
}

function validateMonitoring(c: Checker, value: unknown): MonitoringConfig {
    const d = DEFAULTS.monitoring;
    const raw = c.object("monitoring", value, Object.keys(d));
    const install = c.boolean("monitoring.install", raw.install, d.install);
    const namespace = c.string("monitoring.namespace", raw.namespace, d.namespace, DNS);
    const chart = checkChart(c, "monitoring.chart", raw.chart, d.chart);
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
    const serviceMonitorLabels = checkLabels(
        c,
        "monitoring.serviceMonitorLabels",
        raw.serviceMonitorLabels,
        d.serviceMonitorLabels,
    );
    const scrapeIntervalSeconds = c.duration(
        "monitoring.scrapeInterval",
        raw.scrapeInterval,
        d.scrapeInterval,
        1,
        300,
        "Prometheus marks a series stale after 5 minutes without a sample",
    );
    const p = c.object("monitoring.prometheus", raw.prometheus, [
        ...Object.keys(d.prometheus),
        "url",
        "service",
        "username",
    ]);
    const url = c.optionalString("monitoring.prometheus.url", p.url);
    const urlProblem = url?.trim() ? prometheusUrlProblem(url) : undefined;
    if (urlProblem) {
        c.fail("monitoring.prometheus.url", urlProblem);
    }
    const service = checkServiceRef(c, "monitoring.prometheus.service", p.service);
    const username = c.optionalString("monitoring.prometheus.username", p.username);
    const timeoutSeconds = c.duration(
        "monitoring.prometheus.timeout",
        p.timeout,
        d.prometheus.timeout,
        PROMETHEUS_TIMEOUT.min,
        PROMETHEUS_TIMEOUT.max,
        PROMETHEUS_TIMEOUT.whyMax,
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
    const raw = c.object("ingressNginx", value, Object.keys(d));
    return {
        namespace: c.string("ingressNginx.namespace", raw.namespace, d.namespace, DNS),
        className: c.string("ingressNginx.className", raw.className, d.className, DNS),
        metricsSelector: checkLabels(
            c,
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
        chart: checkChart(c, "ingressNginx.chart", raw.chart, d.chart),
    };
}

function validateTls(c: Checker, value: unknown, appName: string): TlsConfig {
    const d = DEFAULTS.tls;
    const raw = c.object("tls", value, [...Object.keys(d), "acme"]);
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
    const via = c.string("tls.certManagerVia", raw.certManagerVia, d.certManagerVia);
    if (via !== "component" && via !== "helm") {
        c.fail(
            "tls.certManagerVia",
            `${show(via)} is not supported: use "component" (default; @pulumi/kubernetes-cert-manager, its plugin is downloaded) or "helm" (a Helm Release, no plugin)`,
        );
    }
    return {
        enabled,
        issuer: issuer === "acme" ? "acme" : "selfsigned",
        acme,
        certManagerVia: via === "helm" ? "helm" : "component",
        installCertManager: c.boolean(
            "tls.installCertManager",
            raw.installCertManager,
            d.installCertManager,
        ),
        certManagerChart: checkChart(
            c,
            "tls.certManagerChart",
            raw.certManagerChart,
            d.certManagerChart,
        ),
        secretName:
            raw.secretName === undefined
                ? `${appName}-tls`
                : c.string("tls.secretName", raw.secretName, `${appName}-tls`, DNS),
    };
}

/** The webhook URLs: one per notification, http(s), with no credentials shown in any message. */
function validateNotificationUrls(
    c: Checker,
    value: unknown,
    names: string[],
): Record<string, string> | undefined {
    const urls = (
        value && typeof value === "object" && !Array.isArray(value) ? value : {}
    ) as Record<string, unknown>;
    if (value !== undefined && value !== null && urls !== value) {
        c.fail(
            "notificationUrls",
            "must be a map of notification names to webhook URLs, set with `pulumi config set --secret --path notificationUrls.NAME URL`",
        );
    }
    for (const [name, url] of Object.entries(urls)) {
        if (!names.includes(name)) {
            c.fail(
                `notificationUrls.${name}`,
                `is set, but no rollout.notifications entry is named ${show(name)}; add {name: ${show(name)}} there or remove the URL`,
            );
        } else if (typeof url !== "string" || !/^https?:\/\/\S+$/.test(url)) {
            c.fail(
                `notificationUrls.${name}`,
                "is not an http(s) URL (the value is a secret and not shown); set it with `pulumi config set --secret --path notificationUrls." +
                    name +
                    " https://...`",
            );
        }
    }
    for (const name of names) {
        if (typeof urls[name] !== "string") {
            c.fail(
                `rollout.notifications`,
                `names ${show(name)}, but notificationUrls.${name} is not set; set it with \`pulumi config set --secret --path notificationUrls.${name} https://...\``,
            );
        }
    }
    const entries = Object.entries(urls).filter(([n]) => names.includes(n));
    return entries.length ? (Object.fromEntries(entries) as Record<string, string>) : undefined;
}
