// Invalid configs with their exact problem line, for `pulumi preview` on the embedded stack
// (test/e2e/invalidConfig.test.ts). Each is one `pulumi config set --path KEY VALUE` away from
// Pulumi.local.yaml; test/unit/components/config/invalidConfigs.test.ts checks every line
// against validateConfig, so the e2e expectations cannot drift from the program.
import type { RawConfig } from "../../components/config";
import { stackFile } from "./stackConfig";

const P = "progressive-delivery:";
const DNS_FIX =
    "is not valid: use a Kubernetes name: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters";
const NAME_FIX = 'write it as [registry/]repository[:tag], e.g. "argoproj/rollouts-demo:blue"';

/** [config path, value as `pulumi config set --path` takes it, the exact problem line]. */
export const INVALID_CONFIGS: [string, string, string][] = [
    [
        "app.image",
        "argoproj/rollouts-demo:",
        `${P}app.image: "argoproj/rollouts-demo:" is not a valid image reference: the tag after ":" is empty; pin a version, e.g. "argoproj/rollouts-demo:1.2.3", or a digest "argoproj/rollouts-demo@sha256:..."`,
    ],
    [
        "app.image",
        "argoproj/rollouts-demo:${TAG}",
        `${P}app.image: "argoproj/rollouts-demo:\${TAG}" is not a valid image reference: it contains "$", a variable that was not substituted; put the value itself into the config, e.g. \`pulumi config set --path app.image "repo:$TAG"\` in a shell that expands it`,
    ],
    [
        "app.image",
        "argoproj/rollouts-demo@sha256:",
        `${P}app.image: "argoproj/rollouts-demo@sha256:" is not a valid image reference: the sha256 digest "" is not 64 lower-case hex digits (it has 0 characters); a digest is "@sha256:" and 64 lower-case hex digits`,
    ],
    [
        "app.image",
        "argoproj/rollouts-demo::blue",
        `${P}app.image: "argoproj/rollouts-demo::blue" is not a valid image reference: the repository name component "rollouts-demo:" is not lower-case letters and digits separated by ".", "_", "__" or "-"; ${NAME_FIX}`,
    ],
    [
        "app.image",
        "argoproj/Rollouts-demo:blue",
        `${P}app.image: "argoproj/Rollouts-demo:blue" is not a valid image reference: the repository "argoproj/Rollouts-demo" has upper-case letters; repository names are lower-case; ${NAME_FIX}`,
    ],
    [
        "app.namespace",
        "kube-system",
        `${P}app.namespace: "kube-system" is a system namespace (Kubernetes keeps "default" and "kube-*" for itself and its add-ons); give the app a namespace of its own, e.g. "rollouts-demo", or set app.allowSystemNamespace to true to deploy there anyway (the namespace is then neither created nor deleted by the stack)`,
    ],
    ["app.namespace", "n".repeat(64), `${P}app.namespace: "${"n".repeat(64)}" ${DNS_FIX}`],
    [
        "app.resources.limits.cpu",
        "10m",
        `${P}app.resources.limits.cpu: "10m" is less than app.resources.requests.cpu "50m"; Kubernetes refuses a limit below its request: raise the limit to at least "50m" or lower the request`,
    ],
    [
        "app.resources.requests.memory",
        "1K",
        `${P}app.resources.requests.memory: "1K" is not valid: use a memory quantity such as "64Mi" or "1Gi"`,
    ],
    [
        "app.allowSystemNamespace",
        "yes",
        `${P}app.allowSystemNamespace: must be true or false, got "yes"`,
    ],
    [
        "monitoring.prometheus.url",
        "http://alice:s3cret-e2e@127.0.0.1:19090",
        `${P}monitoring.prometheus.url: "http://***@127.0.0.1:19090" has credentials in it (user:password@ before the host), which would be stored in plain text in the state and shown in outputs and logs; remove them, then set monitoring.prometheus.username and the password with \`pulumi config set --secret progressive-delivery:prometheusPassword\`, or a bearer token with \`pulumi config set --secret progressive-delivery:prometheusToken\``,
    ],
    [
        "monitoring.prometheus.url",
        "http://127.0.0.1:19090/?token=s3cret-e2e",
        `${P}monitoring.prometheus.url: "http://127.0.0.1:19090/?***" has a query or a fragment; give Prometheus' base URL (with a path prefix if it has one), and a token with \`pulumi config set --secret progressive-delivery:prometheusToken\``,
    ],
];

/** Pulumi.local.yaml's values with `key` (a config path) set to `value`, as --path does. */
export function localWith(key: string, value: string): RawConfig {
    const local = stackFile("local");
    const raw: Record<string, any> = {};
    for (const k of ["monitoring", "ingressNginx", "app", "rollout", "tls"]) {
        raw[k] = structuredClone(local[`progressive-delivery:${k}`]);
    }
    const parts = key.split(".");
    let o = raw;
    for (const p of parts.slice(0, -1)) {
        o[p] ??= {};
        o = o[p];
    }
    o[parts[parts.length - 1]] = value;
    return raw;
}
