// Checks of the config's own fields (not the rollout's: see rollout/core/spec.ts): Kubernetes
// names, labels, charts and Services, each with the fix in its message.
import { Checker, Raw, show } from "../rollout/core/check";
import { DNS_LABEL } from "../rollout/core/spec";
import type { ServiceRef } from "../rollout/core/state";
import type { ChartRef } from "./types";

export const HOSTNAME =
    /^(?=.{1,253}$)(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const SEMVER = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const LABEL_KEY =
    /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(|[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;

export const DNS = {
    re: DNS_LABEL,
    fix: "use a Kubernetes name: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
};

/**
 * Namespaces Kubernetes keeps for itself and its add-ons: "default" and every "kube-*" (the
 * Kubernetes docs reserve the prefix). An app there shares it with cluster components, and a
 * stack that created it would try to delete it on `pulumi destroy`.
 */
export function isSystemNamespace(namespace: string): boolean {
    return namespace === "default" || namespace.startsWith("kube-");
}

export function checkLabels(
    c: Checker,
    key: string,
    value: unknown,
    fallback: Record<string, string>,
): Record<string, string> {
    if (value === undefined || value === null) {
        return fallback;
    }
    if (typeof value !== "object" || Array.isArray(value) || Object.keys(value).length === 0) {
        c.fail(key, `must be a non-empty map of label names to values, got ${show(value)}`);
        return fallback;
    }
    for (const [k, v] of Object.entries(value as Raw)) {
        if (!LABEL_KEY.test(k)) {
            c.fail(
                `${key}`,
                `${show(k)} is not a valid label name (e.g. "app.kubernetes.io/name")`,
            );
        }
        if (typeof v !== "string" || !LABEL_VALUE.test(v)) {
            c.fail(
                `${key}.${k}`,
                `${show(v)} is not a valid label value (63 characters of [A-Za-z0-9-_.], as a string)`,
            );
        }
    }
    return value as Record<string, string>;
}

export function checkChart(c: Checker, key: string, value: unknown, fallback: ChartRef): ChartRef {
    const raw = c.object(key, value, ["repo", "name", "version"]);
    const repo = c.string(`${key}.repo`, raw.repo, fallback.repo, {
        re: /^(https?|oci):\/\/\S+$/,
        fix: 'use a Helm repository URL such as "https://prometheus-community.github.io/helm-charts" or an OCI registry "oci://..."',
    });
    const name = c.string(`${key}.name`, raw.name, fallback.name, {
        re: DNS_LABEL,
        fix: 'use the chart\'s name, e.g. "kube-prometheus-stack"',
    });
    const version = c.string(`${key}.version`, raw.version, fallback.version, {
        re: SEMVER,
        fix: 'pin an exact chart version such as "87.21.0"; ranges and "latest" make every stack render a different chart',
    });
    return { repo, name, version };
}

export function checkServiceRef(c: Checker, key: string, value: unknown): ServiceRef | undefined {
    if (value === undefined || value === null) {
        return undefined;
    }
    const raw = c.object(key, value, ["namespace", "name", "port"]);
    const dns = {
        re: DNS_LABEL,
        fix: "use a Kubernetes name: lower-case letters, digits and '-'",
    };
    return {
        namespace: c.string(`${key}.namespace`, raw.namespace ?? "", "", dns),
        name: c.string(`${key}.name`, raw.name ?? "", "", dns),
        port: c.integer(`${key}.port`, raw.port ?? 9090, 9090, 1, 65535, "(a TCP port)"),
    };
}
