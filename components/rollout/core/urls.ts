// What a Prometheus URL may be: http(s), a host, an optional path prefix; no credentials, no
// query, no fragment. Credentials in a URL would be stored in plain text in the state (inputs
// and outputs are not secrets) and printed in every message that names the endpoint, so they
// travel apart, as secrets (prometheusToken, prometheusPassword). One home for the rule: the
// config layer and the CanaryRollout provider's check both call prometheusUrlProblem.
import { show } from "./check";

/**
 * How long one Prometheus query may take, in seconds (monitoring.prometheus.timeout): the config
 * layer and the provider's check both hold it to these bounds.
 */
export const PROMETHEUS_TIMEOUT = {
    min: 1,
    max: 300,
    whyMax: "a query that takes longer holds the whole analysis",
} as const;

const SHAPE = /^https?:\/\/[^\s/?#@]+(\/[^\s?#]*)?$/;
const AUTHORITY = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/?#]*)/;

/** The URL with any credentials, query and fragment masked: safe to print. */
export function redactUrl(url: string): string {
    let out = url.replace(AUTHORITY, (_all, scheme: string, authority: string) => {
        const at = authority.lastIndexOf("@");
        return scheme + (at < 0 ? authority : `***@${authority.slice(at + 1)}`);
    });
    out = out.replace(/\?[^#]*/, "?***").replace(/#.*$/, "#***");
    return out;
}

/** Why `url` cannot be the Prometheus URL, or undefined. Never echoes a secret. */
export function prometheusUrlProblem(url: string): string | undefined {
    const shown = show(redactUrl(url));
    const authority = AUTHORITY.exec(url)?.[2] ?? "";
    if (authority.includes("@")) {
        return (
            `${shown} has credentials in it (user:password@ before the host), which would be stored in plain text ` +
            "in the state and shown in outputs and logs; remove them, then set monitoring.prometheus.username and " +
            "the password with `pulumi config set --secret progressive-delivery:prometheusPassword`, or a bearer " +
            "token with `pulumi config set --secret progressive-delivery:prometheusToken`"
        );
    }
    if (/^[^?#]*[?#]/.test(url)) {
        return (
            `${shown} has a query or a fragment; give Prometheus' base URL (with a path prefix if it has one), ` +
            "and a token with `pulumi config set --secret progressive-delivery:prometheusToken`"
        );
    }
    if (!SHAPE.test(url)) {
        return `${shown} is not valid: use an http(s) URL such as "http://prometheus.example.com:9090"`;
    }
    return undefined;
}
