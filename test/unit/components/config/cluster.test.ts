// The config's cluster-facing values, each invalid one with its exact message: namespaces (DNS
// labels of at most 63 characters; system namespaces only with app.allowSystemNamespace),
// resource quantities (parsed as Kubernetes does; a limit never below its request) and the
// Prometheus URL (no credentials, query or fragment, and never echoed with them).
import * as assert from "assert";
import { validateConfig } from "../../../../components/config";
import { CLUSTER_CASES, promUrl, resources } from "../../../support/configCorpus/cluster";

type Raw = Parameters<typeof validateConfig>[0];

describe("config: namespaces, resources and the Prometheus URL, each invalid value", () => {
    for (const [name, raw, expected] of CLUSTER_CASES) {
        it(name, () => assert.deepStrictEqual(validateConfig(raw).errors, expected));
    }
});

describe("config: the same values, accepted", () => {
    const good: [string, Raw][] = [
        [
            "kube-system when allowed",
            { app: { namespace: "kube-system", allowSystemNamespace: true } },
        ],
        ["a 63-character namespace", { app: { namespace: "n".repeat(63) } }],
        ["a namespace that merely contains kube", { app: { namespace: "my-kube-apps" } }],
        [
            "equal request and limit written differently",
            resources({ cpu: "0.5", memory: "1Gi" }, { cpu: "500m", memory: "1073741824" }),
        ],
        ["an exponent", resources({ cpu: "1e-1" }, { cpu: "1E0" })],
        ["a Prometheus URL with a path prefix", promUrl("https://metrics.example.com/prometheus")],
    ];
    for (const [name, raw] of good) {
        it(name, () => assert.deepStrictEqual(validateConfig(raw).errors, []));
    }
});
