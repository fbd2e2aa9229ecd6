// A ServiceMonitor is only scraped if the Prometheus selects it by label. The selector lives in
// the Helm values of the chart that installs Prometheus, spelled differently by the two charts
// this program supports: prometheus-community's kube-prometheus-stack under
// prometheus.prometheusSpec (and, with an empty selector, its default `release: <name>` unless
// serviceMonitorSelectorNilUsesHelmValues is false), Bitnami's kube-prometheus under prometheus
// (an empty selector selects every ServiceMonitor). Namespace selectors are not checked.
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { asArray, asObject, at, plain, stringMap, TYPES, Unknown, UNKNOWN } from "./lib/resources";

interface Expression {
    key: string;
    operator: string;
    values: string[];
}

export interface Selector {
    matchLabels: Record<string, string>;
    matchExpressions: Expression[];
    /** Why this selector applies, when it is a chart default, for the message. */
    note?: string;
}

interface PrometheusRelease {
    resource: PolicyResource;
    /** Where the chart reads the selector, e.g. prometheus.prometheusSpec. */
    valuesPath: string;
    selector: Selector;
}

/** Label selector semantics of Kubernetes (matchLabels and matchExpressions, all must hold). */
export function selects(selector: Selector, labels: Record<string, string>): boolean {
    return (
        Object.entries(selector.matchLabels).every(([k, v]) => labels[k] === v) &&
        selector.matchExpressions.every((e) => {
            const has = e.key in labels;
            switch (e.operator) {
                case "In":
                    return has && e.values.includes(labels[e.key]);
                case "NotIn":
                    return !has || !e.values.includes(labels[e.key]);
                case "Exists":
                    return has;
                case "DoesNotExist":
                    return !has;
                default:
                    return false;
            }
        })
    );
}

export function describe(selector: Selector): string {
    const parts = [JSON.stringify(selector.matchLabels)];
    for (const e of selector.matchExpressions) {
        parts.push(
            `${e.key} ${e.operator}${e.values.length ? ` ${JSON.stringify(e.values)}` : ""}`,
        );
    }
    return parts.join(" and ") + (selector.note ? ` (${selector.note})` : "");
}

function parseSelector(raw: unknown): Selector | undefined {
    const s = asObject(raw);
    const matchLabels = stringMap(s, "matchLabels");
    const matchExpressions = (asArray(s?.matchExpressions) ?? [])
        .map((e) => asObject(e))
        .filter((e): e is Record<string, unknown> => !!e && typeof e.key === "string")
        .map((e) => ({
            key: e.key as string,
            operator: typeof e.operator === "string" ? e.operator : "",
            values: (asArray(e.values) ?? []).filter((v): v is string => typeof v === "string"),
        }));
    return Object.keys(matchLabels).length === 0 && matchExpressions.length === 0
        ? undefined
        : { matchLabels, matchExpressions };
}

/**
 * The ServiceMonitor selector of the Prometheus a Helm release installs: a selector,
 * "everything", UNKNOWN (not known during preview), or undefined when the chart is not one of
 * the two Prometheus charts.
 */
function prometheusOf(r: PolicyResource): PrometheusRelease | "everything" | Unknown | undefined {
    const chart = at(r.props, "chart");
    const chartName = typeof chart === "string" ? chart.slice(chart.lastIndexOf("/") + 1) : "";
    if (chartName !== "kube-prometheus-stack" && chartName !== "kube-prometheus") {
        return undefined;
    }
    const values = plain(at(r.props, "values"));
    if (values === UNKNOWN) {
        return UNKNOWN;
    }
    if (chartName === "kube-prometheus") {
        const selector = parseSelector(at(values, "prometheus", "serviceMonitorSelector"));
        return selector ? { resource: r, valuesPath: "prometheus", selector } : "everything";
    }
    const spec = asObject(at(values, "prometheus", "prometheusSpec"));
    const selector = parseSelector(spec?.serviceMonitorSelector);
    if (selector) {
        return { resource: r, valuesPath: "prometheus.prometheusSpec", selector };
    }
    if (spec?.serviceMonitorSelectorNilUsesHelmValues === false) {
        return "everything";
    }
    const name = at(r.props, "name");
    if (typeof name !== "string") {
        return UNKNOWN; // the default selector is `release: <the release's (auto)name>`
    }
    return {
        resource: r,
        valuesPath: "prometheus.prometheusSpec",
        selector: {
            matchLabels: { release: name },
            matchExpressions: [],
            note:
                "the chart's default while serviceMonitorSelector is empty and " +
                "serviceMonitorSelectorNilUsesHelmValues is not false",
        },
    };
}

export const serviceMonitorSelected: StackValidationPolicy = {
    name: "service-monitor-selected",
    description:
        "Every ServiceMonitor carries the labels that the Prometheus installed in the stack " +
        "(kube-prometheus-stack or Bitnami kube-prometheus via Helm) selects ServiceMonitors by, " +
        "so the ingress metrics the canary analysis reads are actually scraped.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const found = args.resources
            .filter((r) => r.type === TYPES.helmRelease || r.type === TYPES.helmChartV4)
            .map(prometheusOf)
            .filter((p) => p !== undefined);
        const monitors = args.resources.filter((r) => r.type === TYPES.serviceMonitor);
        if (found.length === 0 || monitors.length === 0) {
            args.notApplicable(
                "the stack has no ServiceMonitor or no kube-prometheus(-stack) Helm release",
            );
        }
        const releases: PrometheusRelease[] = [];
        for (const p of found) {
            if (p === "everything" || p === UNKNOWN) {
                return; // every ServiceMonitor is selected, or the selector is not known yet
            }
            releases.push(p);
        }
        for (const m of monitors) {
            const labels = at(m.props, "metadata", "labels");
            if (labels === UNKNOWN) {
                continue;
            }
            const have = stringMap(m.props, "metadata", "labels");
            if (releases.some((p) => selects(p.selector, have))) {
                continue;
            }
            const wanted = releases
                .map(
                    (p) =>
                        `the Prometheus of Helm release "${p.resource.name}" selects ServiceMonitors by ${describe(p.selector)}`,
                )
                .join(", and ");
            const paths = [
                ...new Set(releases.map((p) => `${p.valuesPath}.serviceMonitorSelector`)),
            ];
            reportViolation(
                `ServiceMonitor "${m.name}" has labels ${JSON.stringify(have)}, but ${wanted}: ` +
                    "Prometheus would never scrape its targets, so every canary analysis would see " +
                    "no data and roll back. Add the selector's labels to the ServiceMonitor's " +
                    "metadata.labels (for this program: " +
                    "progressive-delivery:monitoring.serviceMonitorLabels), or change the " +
                    `release's values at ${paths.join(" or ")}.`,
                m.urn,
            );
        }
    },
};
