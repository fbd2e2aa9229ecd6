// Invalid stack configs, one value wrong each, with the config layer's exact problem line:
// test/unit/components/config/validate.test.ts checks each against validateConfig, and
// test/unit/policies/invalidConfigs.test.ts runs the policy pack on what each would create.
import type { RawConfig } from "../../../components/config";

const P = "progressive-delivery:";
const ALLOWED =
    "allowed are numbers, result, result[0], comparisons, && || !, + - * / and the functions len, isNaN, isInf, abs, min, max";
const ARGS =
    "{{args.namespace}}, {{args.service}}, {{args.stableService}}, {{args.ingress}}, {{args.failureStatus}}, {{args.window}}";
const LATENCY =
    'histogram_quantile(0.99, sum by (le) (rate(http_duration_seconds_bucket{service="{{args.service}}"}[{{args.window}}])))';

/** [what is wrong, the raw config, the exact problem line]. */
export const VALUE_CASES: [string, RawConfig, string][] = [
    [
        "unknown top-level key",
        { keys: ["app", "replica"] },
        `${P}replica: is not a known key; known keys are kubeconfig, kubeContext, monitoring, ingressNginx, app, rollout, router, tls, prometheusToken, prometheusPassword, notificationUrls (see the config reference in README.md)`,
    ],
    [
        "unknown nested key",
        { app: { imag: "x:1" } },
        `${P}app.imag: is not a known key; known keys are name, namespace, allowSystemNamespace, image, replicas, port, host, path, resources, readinessProbe, livenessProbe`,
    ],
    [
        "app not an object",
        { app: "demo" },
        `${P}app: must be an object with the keys name, namespace, allowSystemNamespace, image, replicas, port, host, path, resources, readinessProbe, livenessProbe, got "demo"`,
    ],
    [
        "image without a tag",
        { app: { image: "argoproj/rollouts-demo" } },
        `${P}app.image: "argoproj/rollouts-demo" has no tag; pin a version, e.g. "argoproj/rollouts-demo:v1.2.3", or a digest "argoproj/rollouts-demo@sha256:..."`,
    ],
    [
        "image with registry port but no tag",
        { app: { image: "localhost:5000/demo" } },
        `${P}app.image: "localhost:5000/demo" has no tag; pin a version, e.g. "localhost:5000/demo:v1.2.3", or a digest "localhost:5000/demo@sha256:..."`,
    ],
    [
        "image :latest",
        { app: { image: "argoproj/rollouts-demo:latest" } },
        `${P}app.image: "argoproj/rollouts-demo:latest" uses the tag "latest", which changes under you and defeats the canary; pin a version tag or a digest`,
    ],
    [
        "image with spaces",
        { app: { image: "argoproj/rollouts demo:blue" } },
        `${P}app.image: "argoproj/rollouts demo:blue" is not a valid image reference: it contains whitespace; write it as repository:tag, e.g. "argoproj/rollouts-demo:blue"`,
    ],
    [
        "empty image",
        { app: { image: " " } },
        `${P}app.image: must not be empty; remove it to use the default "argoproj/rollouts-demo:blue"`,
    ],
    [
        "replicas 0",
        { app: { replicas: 0 } },
        `${P}app.replicas: must be between 1 and 1000 replicas, got 0`,
    ],
    [
        "replicas as a string",
        { app: { replicas: "4" } },
        `${P}app.replicas: must be a whole number of replicas, got "4"`,
    ],
    [
        "replicas fractional",
        { app: { replicas: 2.5 } },
        `${P}app.replicas: must be a whole number of replicas, got 2.5`,
    ],
    [
        "port out of range",
        { app: { port: 70000 } },
        `${P}app.port: must be between 1 and 65535 (a TCP port), got 70000`,
    ],
    [
        "bad host: scheme",
        { app: { host: "https://demo.example.com" } },
        `${P}app.host: "https://demo.example.com" is not a valid DNS host name; use lower-case names such as "demo.example.com" (no scheme, port or path)`,
    ],
    [
        "bad host: upper case",
        { app: { host: "Demo.example.com" } },
        `${P}app.host: "Demo.example.com" is not a valid DNS host name; use lower-case names such as "demo.example.com" (no scheme, port or path)`,
    ],
    [
        "bad host: underscore",
        { app: { host: "my_app.example.com" } },
        `${P}app.host: "my_app.example.com" is not a valid DNS host name; use lower-case names such as "demo.example.com" (no scheme, port or path)`,
    ],
    [
        "path without slash",
        { app: { path: "api" } },
        `${P}app.path: "api" is not valid: use an HTTP path starting with "/", e.g. "/" or "/api"`,
    ],
    [
        "name too long",
        { app: { name: "a".repeat(48) } },
        `${P}app.name: "${"a".repeat(48)}" is not valid: use a Kubernetes name of at most 47 characters (lower-case letters, digits and '-'); '-canary' and '-stable' are appended`,
    ],
    [
        "namespace upper case",
        { app: { namespace: "Demo" } },
        `${P}app.namespace: "Demo" is not valid: use a Kubernetes name: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters`,
    ],
    [
        "cpu quantity",
        { app: { resources: { requests: { cpu: "100 m" } } } },
        `${P}app.resources.requests.cpu: "100 m" is not valid: use a CPU quantity such as "100m" or "0.5"`,
    ],
    [
        "memory quantity",
        { app: { resources: { limits: { memory: "64MB" } } } },
        `${P}app.resources.limits.memory: "64MB" is not valid: use a memory quantity such as "64Mi" or "1Gi"`,
    ],
    [
        "probe period 0",
        { app: { readinessProbe: { periodSeconds: 0 } } },
        `${P}app.readinessProbe.periodSeconds: must be between 1 and 3600 seconds, got 0`,
    ],
    [
        "weights out of order",
        { rollout: { steps: [{ setWeight: 40 }, { setWeight: 20 }] } },
        `${P}rollout.steps[1].setWeight: is 20, not above the weight 40 of rollout.steps[0]; weights must strictly increase (a repeated weight tests nothing new, a lower one moves users back mid-release)`,
    ],
    [
        "weight above 100",
        { rollout: { steps: [{ setWeight: 120 }] } },
        `${P}rollout.steps[0].setWeight: must be a whole number from 0 to 100 (percent of traffic), got 120`,
    ],
    [
        "no steps",
        { rollout: { steps: [] } },
        `${P}rollout.steps: must be a non-empty list of steps such as [{setWeight: 20}, {pause: {duration: "30s"}}, {analysis: {}}], got []`,
    ],
    [
        "pause without duration",
        { rollout: { steps: [{ setWeight: 20 }, { pause: {} }] } },
        `${P}rollout.steps[1].pause.duration: must be a positive duration of at most 24h such as "30s", "2m" or 45 (seconds), got nothing; an indefinite pause cannot be resumed in a pulumi up`,
    ],
    [
        "bad deadline",
        { rollout: { deadline: "soon" } },
        `${P}rollout.deadline: must be a duration such as "30s", "5m" or "1h" (or a number of seconds), got "soon"`,
    ],
    [
        "deadline shorter than the pauses",
        { rollout: { deadline: "2m" } },
        `${P}rollout.deadline: is 120s, but the pauses alone take 240s; raise it above 240s or shorten the pauses`,
    ],
    [
        "malformed condition",
        { rollout: { analysis: { metrics: [{ successCondition: "result[0] >=" }] } } },
        `${P}rollout.analysis.metrics[0].successCondition: cannot parse "result[0] >=": Expected expression after >= at character 12`,
    ],
    [
        "condition calling code",
        { rollout: { analysis: { metrics: [{ successCondition: "require('fs')" }] } } },
        `${P}rollout.analysis.metrics[0].successCondition: "require('fs')" uses a call to an unknown function; allowed are numbers, result, result[0], comparisons, && || !, + - * / and the functions len, isNaN, isInf, abs, min, max`,
    ],
    [
        "irate in a query",
        {
            rollout: {
                analysis: {
                    metrics: [{ query: 'sum(irate(x{service="{{args.service}}"}[1m]))' }],
                },
            },
        },
        `${P}rollout.analysis.metrics[0].query: uses irate(), which looks at the last two samples only and flaps on noise; use rate() over {{args.window}}`,
    ],
    [
        "unknown query arg",
        {
            rollout: {
                analysis: {
                    metrics: [{ query: 'sum(rate(x{service="{{args.service-name}}"}[1m]))' }],
                },
            },
        },
        `${P}rollout.analysis.metrics[0].query: uses unknown args {{args.service-name}}; known are {{args.namespace}}, {{args.service}}, {{args.stableService}}, {{args.ingress}}, {{args.failureStatus}}, {{args.window}}`,
    ],
    [
        "window too short for the scrape interval",
        { rollout: { analysis: { metrics: [{ window: "1m" }] } } },
        `${P}rollout.analysis.metrics[0].window: is 60s, shorter than 4x the scrape interval (120s); rate() needs several samples: use at least "120s"`,
    ],
    [
        "negative failureLimit",
        { rollout: { analysis: { metrics: [{ failureLimit: -1 }] } } },
        `${P}rollout.analysis.metrics[0].failureLimit: must be between 0 and 1000 failed measurements, got -1`,
    ],
    [
        "failureStatus",
        { rollout: { analysis: { metrics: [{ failureStatus: "4.." }] } } },
        `${P}rollout.analysis.metrics[0].failureStatus: "4.." is not supported: use "5.." (server errors fail the canary) or "[45].." (client errors too)`,
    ],
    [
        "duplicate metric names",
        { rollout: { analysis: { metrics: [{}, {}] } } },
        `${P}rollout.analysis.metrics[1].name: "success-rate" is used by another metric; give each metric its own name`,
    ],
    [
        "metric without any condition",
        { rollout: { analysis: { metrics: [{ successCondition: null }] } } },
        `${P}rollout.analysis.metrics[0]: needs a successCondition or a failureCondition, e.g. "result[0] >= 0.95"`,
    ],
    // Conditions: only own, allow-listed names, and they must depend on the result.
    ...(
        [
            ["constructor(result)", "uses a call to an unknown function"],
            ["!hasOwnProperty(result)", "uses a call to an unknown function"],
            ["toString(result) != 0", "uses a call to an unknown function"],
            ["valueOf(result) > 0", "uses a call to an unknown function"],
        ] as const
    ).map(
        ([condition, what]) =>
            [
                `condition calling ${condition.replace(/\W.*$/, "") || condition}`,
                { rollout: { analysis: { metrics: [{ successCondition: condition }] } } },
                `${P}rollout.analysis.metrics[0].successCondition: "${condition}" ${what}; ${ALLOWED}`,
            ] as [string, RawConfig, string],
    ),
    [
        "a condition that is always true",
        { rollout: { analysis: { metrics: [{ successCondition: "true" }] } } },
        `${P}rollout.analysis.metrics[0].successCondition: "true" does not depend on result: it is always true, whatever Prometheus answers; compare result with a limit, e.g. "result[0] >= 0.95"`,
    ],
    [
        "a condition comparing constants",
        { rollout: { analysis: { metrics: [{ failureCondition: "1 > 0" }] } } },
        `${P}rollout.analysis.metrics[0].failureCondition: "1 > 0" does not depend on result: it is always true, whatever Prometheus answers; compare result with a limit, e.g. "result[0] >= 0.95"`,
    ],
    [
        "a condition always true on a success rate",
        { rollout: { analysis: { metrics: [{ successCondition: "result[0] >= 0" }] } } },
        `${P}rollout.analysis.metrics[0].successCondition: "result[0] >= 0" is always true for values in the metric's range [0, 1] (a success rate's: the metric declares no range), so it does not depend on the result; compare result with a limit inside the range, e.g. "result[0] >= 0.95", or declare the range of the query's values, e.g. range: [0, 60] for a latency in seconds`,
    ],
    [
        "a percentage against a success rate",
        { rollout: { analysis: { metrics: [{ successCondition: "result[0] >= 95" }] } } },
        `${P}rollout.analysis.metrics[0].successCondition: "result[0] >= 95" is always false for values in the metric's range [0, 1] (a success rate's: the metric declares no range), so it does not depend on the result; compare result with a limit inside the range, e.g. "result[0] >= 0.95", or declare the range of the query's values, e.g. range: [0, 60] for a latency in seconds`,
    ],
    [
        "a limit outside the declared range",
        {
            rollout: {
                analysis: {
                    metrics: [
                        { query: LATENCY, successCondition: "result[0] < 300", range: [0, 60] },
                    ],
                },
            },
        },
        `${P}rollout.analysis.metrics[0].successCondition: "result[0] < 300" is always true for values in the metric's range [0, 60], so it does not depend on the result; compare result with a limit inside the range, or widen the range`,
    ],
    [
        "a condition reading a second series",
        { rollout: { analysis: { metrics: [{ successCondition: "result[1] >= 0.95" }] } } },
        `${P}rollout.analysis.metrics[0].successCondition: "result[1] >= 0.95" reads result[1], a series after the first, but a metric's query returns exactly one series; use result[0]`,
    ],
    [
        "a 100,000-character condition: too long, echoed cut to 80 characters",
        {
            rollout: {
                analysis: {
                    metrics: [{ successCondition: `result[0] >= 0.95 && ${"x".repeat(100_000)}` }],
                },
            },
        },
        `${P}rollout.analysis.metrics[0].successCondition: "result[0] >= 0.95 && ${"x".repeat(58)}... (100023 characters) is longer than 500 characters; a condition compares result with a limit or two, e.g. "result[0] >= 0.95"`,
    ],
    [
        "a long unknown name in a condition is echoed cut to 80 characters",
        {
            rollout: {
                analysis: { metrics: [{ successCondition: `${"x".repeat(400)} > 1` }] },
            },
        },
        `${P}rollout.analysis.metrics[0].successCondition: "${"x".repeat(79)}... (406 characters) uses the name "${"x".repeat(79)}... (402 characters); ${ALLOWED}`,
    ],
    [
        "a condition that is a number",
        { rollout: { analysis: { metrics: [{ successCondition: "result[0]" }] } } },
        `${P}rollout.analysis.metrics[0].successCondition: "result[0]" is a number, not true or false; compare it with a limit, e.g. "result[0] >= 0.95"`,
    ],
    ...([[1, 0], "0-1", [0], [0, "1"], [0, 0]] as unknown[]).map(
        (range) =>
            [
                `range ${JSON.stringify(range)}`,
                { rollout: { analysis: { metrics: [{ range }] } } },
                `${P}rollout.analysis.metrics[0].range: must be [min, max], two numbers with min below max (the values the query can return), e.g. [0, 1] for a success rate or [0, 60] for a latency in seconds; got ${JSON.stringify(range)}`,
            ] as [string, RawConfig, string],
    ),
    // Queries: well-formed placeholders, scoped to the canary, short enough for a URL.
    [
        "a query that ignores the canary",
        { rollout: { analysis: { metrics: [{ query: "vector(1)" }] } } },
        `${P}rollout.analysis.metrics[0].query: "vector(1)" uses neither {{args.service}} nor {{args.ingress}}, so it does not measure the canary (vector(1) would pass every canary); select the canary's series, e.g. nginx_ingress_controller_requests{namespace="{{args.namespace}}",service="{{args.service}}"}`,
    ],
    [
        "a requests query that ignores the canary",
        { rollout: { analysis: { metrics: [{ requestsQuery: "vector(1000)" }] } } },
        `${P}rollout.analysis.metrics[0].requestsQuery: "vector(1000)" uses neither {{args.service}} nor {{args.ingress}}, so it does not measure the canary (vector(1) would pass every canary); select the canary's series, e.g. nginx_ingress_controller_requests{namespace="{{args.namespace}}",service="{{args.service}}"}`,
    ],
    ...[
        ['sum(rate(x{service="{{args.service}"}[{{args.window}}]))', '"{{args.service}"'],
        ['sum(rate(x{service="{args.service}}"}[{{args.window}}]))', '"{args.service}}"'],
        ['sum(rate(x{service="{{args.service}}"}[{{window}}]))', '"{{window}}"'],
        ['sum(rate(x{service="{{args.service}}",ns="args.namespace"}[5m]))', '"args.namespace"'],
    ].map(
        ([query, piece]) =>
            [
                `a malformed placeholder ${piece}`,
                { rollout: { analysis: { metrics: [{ query }] } } },
                `${P}rollout.analysis.metrics[0].query: has ${piece}, which is not a placeholder and would reach Prometheus as written; write each arg as {{args.NAME}}, one of ${ARGS}`,
            ] as [string, RawConfig, string],
    ),
    [
        "a query too long for a URL",
        {
            rollout: {
                analysis: {
                    metrics: [
                        { query: `sum(x{service="{{args.service}}"})${" + 1".repeat(1000)}` },
                    ],
                },
            },
        },
        `${P}rollout.analysis.metrics[0].query: is 4034 characters long, more than 4000: queries are sent in a URL, which API servers and proxies cut at 8 KiB; shorten it, e.g. with a recording rule`,
    ],
    [
        "judge tolerance out of range",
        { rollout: { analysis: { judge: { tolerance: 1.5 } } } },
        `${P}rollout.analysis.judge.tolerance: must be a number greater than 0 and less than 1, got 1.5`,
    ],
    [
        "chart version range",
        { monitoring: { chart: { version: "^87.0.0" } } },
        `${P}monitoring.chart.version: "^87.0.0" is not valid: pin an exact chart version such as "87.21.0"; ranges and "latest" make every stack render a different chart`,
    ],
    [
        "chart repo not a URL",
        { monitoring: { chart: { repo: "prometheus-community" } } },
        `${P}monitoring.chart.repo: "prometheus-community" is not valid: use a Helm repository URL such as "https://prometheus-community.github.io/helm-charts" or an OCI registry "oci://..."`,
    ],
    [
        "existing Prometheus without an address",
        { monitoring: { install: false } },
        `${P}monitoring.prometheus: is required when monitoring.install is false: set url (e.g. "http://127.0.0.1:9090") or service ({namespace, name, port})`,
    ],
    [
        "both url and service",
        {
            monitoring: {
                install: false,
                prometheus: {
                    url: "http://p:9090",
                    service: { namespace: "m", name: "p", port: 9090 },
                },
            },
        },
        `${P}monitoring.prometheus: sets both url and service; set url to query Prometheus directly, or service to go through the Kubernetes API server's service proxy, not both`,
    ],
    [
        "url with install",
        { monitoring: { prometheus: { url: "http://p:9090" } } },
        `${P}monitoring.prometheus.url: is set while monitoring.install is true; the installed Prometheus is queried through the API server's service proxy. Set monitoring.install to false to use your own Prometheus`,
    ],
    [
        "prometheus url without scheme",
        { monitoring: { install: false, prometheus: { url: "prometheus:9090" } } },
        `${P}monitoring.prometheus.url: "prometheus:9090" is not valid: use an http(s) URL such as "http://prometheus.example.com:9090"`,
    ],
    [
        "install not a boolean",
        { monitoring: { install: "yes" } },
        `${P}monitoring.install: must be true or false, got "yes"`,
    ],
    [
        "scrape interval",
        { monitoring: { scrapeInterval: "0s" } },
        `${P}monitoring.scrapeInterval: must be at least 1s, got 0s`,
    ],
    [
        "scrape interval past Prometheus' staleness",
        { monitoring: { scrapeInterval: "10m" } },
        `${P}monitoring.scrapeInterval: must be at most 5m, got 10m; Prometheus marks a series stale after 5 minutes without a sample`,
    ],
    [
        "an unbounded Prometheus timeout",
        { monitoring: { prometheus: { timeout: "1h" } } },
        `${P}monitoring.prometheus.timeout: must be at most 5m, got 1h; a query that takes longer holds the whole analysis`,
    ],
    [
        "a notification without its secret URL",
        { rollout: { notifications: [{ name: "slack", format: "slack" }] } },
        `${P}rollout.notifications: names "slack", but notificationUrls.slack is not set; set it with \`pulumi config set --secret --path notificationUrls.slack https://...\``,
    ],
    [
        "a webhook URL that is not http(s): the secret is not echoed",
        {
            rollout: { notifications: [{ name: "ops" }] },
            notificationUrls: { ops: "ftp://user:hunter2@example.com" },
        },
        `${P}notificationUrls.ops: is not an http(s) URL (the value is a secret and not shown); set it with \`pulumi config set --secret --path notificationUrls.ops https://...\``,
    ],
    [
        "a webhook URL no notification uses",
        { notificationUrls: { ops: "https://example.com/hook" } },
        `${P}notificationUrls.ops: is set, but no rollout.notifications entry is named "ops"; add {name: "ops"} there or remove the URL`,
    ],
    [
        "an unknown notification format",
        {
            rollout: { notifications: [{ name: "ops", format: "teams" }] },
            notificationUrls: { ops: "https://example.com/hook" },
        },
        `${P}rollout.notifications[0].format: "teams" is not supported: use "json" (the event as JSON) or "slack" (Slack's incoming webhook)`,
    ],
    [
        "an unknown notification event",
        {
            rollout: { notifications: [{ name: "ops", events: ["Paused"] }] },
            notificationUrls: { ops: "https://example.com/hook" },
        },
        `${P}rollout.notifications[0].events: "Paused" is not an event; use Started, StepStarted, Measured, Promoted, RolledBack`,
    ],
    [
        "an unbounded pause deadline",
        { rollout: { deadline: "999999h" } },
        `${P}rollout.deadline: must be at most 24h, got 999999h; a rollout holds pulumi up and the stack's lock while it runs`,
    ],
    [
        "bad label value",
        { monitoring: { serviceMonitorLabels: { release: "kube prometheus" } } },
        `${P}monitoring.serviceMonitorLabels.release: "kube prometheus" is not a valid label value (63 characters of [A-Za-z0-9-_.], as a string)`,
    ],
    [
        "empty selector",
        { ingressNginx: { metricsSelector: {} } },
        `${P}ingressNginx.metricsSelector: must be a non-empty map of label names to values, got {}`,
    ],
    [
        "ingress class empty",
        { ingressNginx: { className: "" } },
        `${P}ingressNginx.className: must not be empty; use a Kubernetes name: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters`,
    ],
    [
        "tls issuer",
        { tls: { enabled: true, issuer: "vault" } },
        `${P}tls.issuer: "vault" is not supported: use "selfsigned" (default) or "acme"`,
    ],
    [
        "cert-manager installed by an unknown way",
        { tls: { enabled: true, installCertManager: true, certManagerVia: "kubectl" } },
        `${P}tls.certManagerVia: "kubectl" is not supported: use "component" (default; @pulumi/kubernetes-cert-manager, its plugin is downloaded) or "helm" (a Helm Release, no plugin)`,
    ],
    [
        "acme without email",
        { tls: { enabled: true, issuer: "acme" } },
        `${P}tls.acme.email: must not be empty; use the address ACME should send expiry notices to`,
    ],
    [
        "acme block without acme issuer",
        { tls: { enabled: true, acme: { email: "a@b.c" } } },
        `${P}tls.acme: is set but tls.issuer is not "acme"; set tls.issuer to "acme" or remove tls.acme`,
    ],
    ["kube context not a string", { kubeContext: 3 }, `${P}kubeContext: must be a string, got 3`],
];
