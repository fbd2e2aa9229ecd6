// The config's cluster-facing values, each invalid one with the config layer's exact messages:
// namespaces (DNS labels of at most 63 characters; system namespaces only with
// app.allowSystemNamespace), resource quantities (parsed as Kubernetes does; a limit never below
// its request) and the Prometheus URL (no credentials, query or fragment, and never echoed with
// them). test/unit/components/config/cluster.test.ts checks each against validateConfig.
import type { RawConfig } from "../../../components/config";

const P = "progressive-delivery:";
const DNS_FIX =
    "is not valid: use a Kubernetes name: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters";
const SYSTEM = (ns: string) =>
    `${P}app.namespace: "${ns}" is a system namespace (Kubernetes keeps "default" and "kube-*" for itself and its add-ons); ` +
    'give the app a namespace of its own, e.g. "rollouts-demo", or set app.allowSystemNamespace to true to deploy there anyway (the namespace is then neither created nor deleted by the stack)';
const CPU_FIX = 'use a CPU quantity such as "100m" or "0.5"';
const MEMORY_FIX = 'use a memory quantity such as "64Mi" or "1Gi"';
const CREDENTIALS =
    "has credentials in it (user:password@ before the host), which would be stored in plain text in the state and shown in outputs and logs; " +
    "remove them, then set monitoring.prometheus.username and the password with `pulumi config set --secret progressive-delivery:prometheusPassword`, or a bearer token with `pulumi config set --secret progressive-delivery:prometheusToken`";
const QUERY =
    "has a query or a fragment; give Prometheus' base URL (with a path prefix if it has one), and a token with `pulumi config set --secret progressive-delivery:prometheusToken`";

export const resources = (requests: object, limits: object): RawConfig => ({
    app: { resources: { requests, limits } },
});
export const promUrl = (url: string): RawConfig => ({
    monitoring: { install: false, prometheus: { url } },
});
const below = (name: string, limit: string, request: string) =>
    `${P}app.resources.limits.${name}: "${limit}" is less than app.resources.requests.${name} "${request}"; ` +
    `Kubernetes refuses a limit below its request: raise the limit to at least "${request}" or lower the request`;

/** [what is wrong, the raw config, the exact problem lines]. */
export const CLUSTER_CASES: [string, RawConfig, string[]][] = [
    [
        "a 64-character namespace",
        { app: { namespace: "n".repeat(64) } },
        [`${P}app.namespace: "${"n".repeat(64)}" ${DNS_FIX}`],
    ],
    [
        "a namespace ending in '-'",
        { app: { namespace: "demo-" } },
        [`${P}app.namespace: "demo-" ${DNS_FIX}`],
    ],
    [
        "a namespace with a dot",
        { app: { namespace: "demo.shop" } },
        [`${P}app.namespace: "demo.shop" ${DNS_FIX}`],
    ],
    [
        "a namespace with an underscore",
        { app: { namespace: "demo_shop" } },
        [`${P}app.namespace: "demo_shop" ${DNS_FIX}`],
    ],
    ["kube-system", { app: { namespace: "kube-system" } }, [SYSTEM("kube-system")]],
    ["kube-public", { app: { namespace: "kube-public" } }, [SYSTEM("kube-public")]],
    ["kube-node-lease", { app: { namespace: "kube-node-lease" } }, [SYSTEM("kube-node-lease")]],
    ["default", { app: { namespace: "default" } }, [SYSTEM("default")]],
    ["any kube-* namespace", { app: { namespace: "kube-flannel" } }, [SYSTEM("kube-flannel")]],
    [
        "kube-system with allowSystemNamespace false",
        { app: { namespace: "kube-system", allowSystemNamespace: false } },
        [SYSTEM("kube-system")],
    ],
    [
        "allowSystemNamespace not a boolean",
        { app: { namespace: "kube-system", allowSystemNamespace: "yes" } },
        [`${P}app.allowSystemNamespace: must be true or false, got "yes"`, SYSTEM("kube-system")],
    ],
    [
        "a 64-character monitoring namespace",
        { monitoring: { namespace: "m".repeat(64) } },
        [`${P}monitoring.namespace: "${"m".repeat(64)}" ${DNS_FIX}`],
    ],
    [
        "an ingress-nginx namespace in upper case",
        { ingressNginx: { namespace: "Ingress" } },
        [`${P}ingressNginx.namespace: "Ingress" ${DNS_FIX}`],
    ],
    [
        "cpu limit below its request",
        resources({ cpu: "200m" }, { cpu: "100m" }),
        [below("cpu", "100m", "200m")],
    ],
    [
        "cpu limit below its request, in cores",
        resources({ cpu: "1.5" }, { cpu: "1" }),
        [below("cpu", "1", "1.5")],
    ],
    [
        "memory limit below its request",
        resources({ memory: "64Mi" }, { memory: "32Mi" }),
        [below("memory", "32Mi", "64Mi")],
    ],
    [
        "1G is less than 1Gi",
        resources({ memory: "1Gi" }, { memory: "1G" }),
        [below("memory", "1G", "1Gi")],
    ],
    [
        "a limit below the default request",
        resources({}, { memory: "16Mi" }),
        [below("memory", "16Mi", "32Mi")],
    ],
    ["a request above the default limit", resources({ cpu: "1" }, {}), [below("cpu", "200m", "1")]],
    [
        "memory with an exponent",
        resources({ memory: "1e9" }, { memory: "512Mi" }),
        [below("memory", "512Mi", "1e9")],
    ],
    [
        "a negative cpu",
        resources({ cpu: "-1" }, {}),
        [`${P}app.resources.requests.cpu: must be more than 0, got "-1"; ${CPU_FIX}`],
    ],
    [
        "a zero memory limit",
        resources({}, { memory: "0" }),
        [`${P}app.resources.limits.memory: must be more than 0, got "0"; ${MEMORY_FIX}`],
    ],
    [
        "memory in K (Kubernetes writes k or Ki)",
        resources({ memory: "1K" }, {}),
        [`${P}app.resources.requests.memory: "1K" is not valid: ${MEMORY_FIX}`],
    ],
    [
        "memory 1.5.0Mi",
        resources({}, { memory: "1.5.0Mi" }),
        [`${P}app.resources.limits.memory: "1.5.0Mi" is not valid: ${MEMORY_FIX}`],
    ],
    [
        "cpu in words",
        resources({ cpu: "one" }, {}),
        [`${P}app.resources.requests.cpu: "one" is not valid: ${CPU_FIX}`],
    ],
    [
        "cpu with an absurd exponent",
        resources({}, { cpu: "1e99" }),
        [`${P}app.resources.limits.cpu: "1e99" is not valid: ${CPU_FIX}`],
    ],
    [
        "an empty memory",
        resources({ memory: "" }, {}),
        [`${P}app.resources.requests.memory: must not be empty; ${MEMORY_FIX}`],
    ],
    [
        "an exponent and a suffix together (Kubernetes allows one)",
        resources({ cpu: "1e3m" }, {}),
        [`${P}app.resources.requests.cpu: "1e3m" is not valid: ${CPU_FIX}`],
    ],
    [
        "a wrong request is reported once, not compared with the limit",
        resources({ cpu: "lots" }, { cpu: "10m" }),
        [`${P}app.resources.requests.cpu: "lots" is not valid: ${CPU_FIX}`],
    ],
    [
        "credentials in the Prometheus URL",
        promUrl("http://alice:s3cret@prometheus:9090"),
        [`${P}monitoring.prometheus.url: "http://***@prometheus:9090" ${CREDENTIALS}`],
    ],
    [
        "a user in the Prometheus URL",
        promUrl("https://t0ken@prometheus.example.com"),
        [`${P}monitoring.prometheus.url: "https://***@prometheus.example.com" ${CREDENTIALS}`],
    ],
    [
        "a token in the query",
        promUrl("http://prometheus:9090/api?token=s3cret"),
        [`${P}monitoring.prometheus.url: "http://prometheus:9090/api?***" ${QUERY}`],
    ],
    [
        "a fragment",
        promUrl("http://prometheus:9090/#s3cret"),
        [`${P}monitoring.prometheus.url: "http://prometheus:9090/#***" ${QUERY}`],
    ],
    [
        "another scheme",
        promUrl("ftp://prometheus:9090"),
        [
            `${P}monitoring.prometheus.url: "ftp://prometheus:9090" is not valid: use an http(s) URL such as "http://prometheus.example.com:9090"`,
        ],
    ],
    [
        "a space in the URL",
        promUrl("http://prometheus:9090/a b"),
        [
            `${P}monitoring.prometheus.url: "http://prometheus:9090/a b" is not valid: use an http(s) URL such as "http://prometheus.example.com:9090"`,
        ],
    ],
    [
        "a long URL with credentials is cut, and its password never shown",
        promUrl(`http://alice:s3cret@${"p".repeat(100)}:9090`),
        [
            `${P}monitoring.prometheus.url: "http://***@${"p".repeat(68)}... (118 characters) ${CREDENTIALS}`,
        ],
    ],
];
