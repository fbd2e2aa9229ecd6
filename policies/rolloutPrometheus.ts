// The rollout reaches Prometheus at a URL or through a Service, and a URL carries no
// credentials, query or fragment: the CanaryRollout's inputs and outputs are not secrets, so a
// password in the URL would be stored in plain text in the state and printed in every message
// that names the endpoint. Messages show the URL with those parts masked.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { asObject, ofType, show, TYPES, UNKNOWN } from "./lib/resources";
import { CONFIG, input, seconds } from "./lib/rollout";

/** How long one query may take (the program's bounds: a longer query holds the whole analysis). */
const TIMEOUT_SECONDS = { min: 1, max: 300 };
const SHAPE = /^https?:\/\/[^\s/?#@]+(\/[^\s?#]*)?$/;
const AUTHORITY = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/?#]*)/;
const SECRETS =
    `set the password with \`pulumi config set --secret ${CONFIG}prometheusPassword\` ` +
    `(and ${CONFIG}monitoring.prometheus.username), or a bearer token with ` +
    `\`pulumi config set --secret ${CONFIG}prometheusToken\``;

/** The URL with any credentials, query and fragment masked: safe to print. */
export function redactUrl(url: string): string {
    return url
        .replace(AUTHORITY, (_all, scheme: string, authority: string) => {
            const at = authority.lastIndexOf("@");
            return scheme + (at < 0 ? authority : `***@${authority.slice(at + 1)}`);
        })
        .replace(/\?[^#]*/, "?***")
        .replace(/#.*$/, "#***");
}

/** What is wrong with a Prometheus URL (never echoing a secret), or undefined. */
export function urlProblem(url: string): string | undefined {
    if ((AUTHORITY.exec(url)?.[2] ?? "").includes("@")) {
        return `has credentials in it (user:password@ before the host), which would be stored in plain text in the state and shown in outputs and logs; remove them, then ${SECRETS}`;
    }
    if (/^[^?#]*[?#]/.test(url)) {
        return `has a query or a fragment, which would be stored in plain text in the state; give Prometheus' base URL (with a path prefix if it has one), and ${SECRETS}`;
    }
    if (!SHAPE.test(url)) {
        return 'is not an http(s) URL such as "http://prometheus.example.com:9090"';
    }
    return undefined;
}

export const rolloutPrometheus: ResourceValidationPolicy = {
    name: "rollout-prometheus",
    description:
        "A CanaryRollout names its Prometheus by a URL or a Service, and the URL is http(s) " +
        "with no credentials, query or fragment, which would be stored in plain text in the state; " +
        "a query may take 1s to 300s.",
    enforcementLevel: "mandatory",
    validateResource: ofType(TYPES.canaryRollout, (args, reportViolation) => {
        const prometheus = input(args.props, "prometheus");
        if (prometheus === undefined || prometheus === UNKNOWN) {
            return;
        }
        const p = asObject(prometheus);
        const url = p?.url;
        if (!url && !p?.service) {
            reportViolation(
                `CanaryRollout "${args.name}" has no Prometheus to ask (prometheus is ` +
                    `${show(prometheus)}): it needs a url or a service. Set ` +
                    `${CONFIG}monitoring.prometheus, or monitoring.install to true.`,
            );
        }
        const timeout = p?.timeoutSeconds;
        const { min, max } = TIMEOUT_SECONDS;
        if (
            timeout !== undefined &&
            timeout !== UNKNOWN &&
            !(typeof timeout === "number" && timeout >= min && timeout <= max)
        ) {
            reportViolation(
                `CanaryRollout "${args.name}": its Prometheus query timeout must be from ${min}s ` +
                    `to ${max}s (a longer query holds the whole analysis), got ${seconds(timeout)}. ` +
                    `Fix ${CONFIG}monitoring.prometheus.timeout.`,
            );
        }
        const problem = typeof url === "string" ? urlProblem(url) : undefined;
        if (problem) {
            reportViolation(
                `CanaryRollout "${args.name}": its Prometheus URL ${show(redactUrl(url as string))} ` +
                    `${problem}. Fix ${CONFIG}monitoring.prometheus.url.`,
            );
        }
    }),
};
