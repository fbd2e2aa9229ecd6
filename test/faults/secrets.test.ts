// Fault suite: nothing secret in any output, message or log. The run's secrets (a kubeconfig
// token, the Prometheus token, the Prometheus basic-auth password) are set, and servers that
// echo the Authorization header back in their error bodies (the worst a server can do) answer
// the REAL provider methods; config and check meet URLs with credentials in them. Every log
// line, error message and output is then searched for each secret.
import * as assert from "assert";
import { validateConfig } from "../../components/config";
import type { RolloutInputs } from "../../components/rollout/core/state";
import { checkRollout, createRollout, updateRollout } from "../../components/rollout/provider/impl";
import { KubeApiDouble, seedApp } from "../support/kubeApi";
import { demoInputs, healthy, previousState, prometheusDouble } from "../support/rolloutRun";

const KUBE_TOKEN = "kube-t0ken-SECRET-aaaa1111";
const PROM_TOKEN = "prom-t0ken-SECRET-bbbb2222";
const PROM_PASSWORD = "prom-passw0rd-SECRET-cccc3333";
const SECRETS = [
    KUBE_TOKEN,
    PROM_TOKEN,
    PROM_PASSWORD,
    Buffer.from(`alice:${PROM_PASSWORD}`).toString("base64"),
];

/** Every secret found in `text`. */
const leaks = (text: string) => SECRETS.filter((s) => text.includes(s));

/** A Prometheus that rejects the first `failures` queries, quoting the Authorization header. */
function echoingPrometheus(failures: number) {
    let n = 0;
    return prometheusDouble(healthy, (req) =>
        n++ < failures
            ? `refused request with Authorization: ${req.headers.authorization}`
            : undefined,
    );
}

describe("faults: no secret in any output, message or log", function () {
    this.timeout(30_000);
    const api = new KubeApiDouble();
    const { config } = validateConfig({});
    let logged: string[];
    const orig = console.error;

    before(() => api.start());
    after(() => api.stop());
    beforeEach(() => {
        api.reset();
        seedApp(api, { app: "demo", namespace: "demo", stableHash: "h1" });
        logged = [];
        console.error = (...a: unknown[]) => logged.push(a.join(" "));
    });
    afterEach(() => {
        console.error = orig;
    });

    const inputs = (url: string, over: Partial<RolloutInputs> = {}) =>
        demoInputs({
            metrics: [{ ...demoInputs().metrics[0], consecutiveErrorLimit: 2 }],
            prometheus: { url, username: "alice", timeoutSeconds: 5 },
            kubeconfig: api.kubeconfig(KUBE_TOKEN),
            prometheusToken: PROM_TOKEN,
            prometheusPassword: PROM_PASSWORD,
            ...over,
        });
    const previous = previousState;

    it("a Kubernetes API that quotes the token in its 403: the error carries [secret] instead", async () => {
        api.inject({ status: 403, message: `token ${KUBE_TOKEN} may not get deployments` });
        const err = await createRollout(inputs("http://127.0.0.1:9")).then(
            () => assert.fail("must fail"),
            (e: Error) => e,
        );
        assert.match(err.message, /token \[secret\] may not get deployments/);
        assert.deepStrictEqual(leaks(err.message + err.stack + logged.join("\n")), []);
    });

    it("a Prometheus that quotes the Authorization header: rolled back, no secret in the evidence or the log", async () => {
        const prom = await echoingPrometheus(100);
        try {
            const i = inputs(prom.url, { prometheusToken: undefined });
            // A rollback keeps its evidence in the outputs (the state): scrubbed like the rest.
            const { outs } = await updateRollout(previous(i), i);
            const text = JSON.stringify(outs);
            assert.strictEqual(outs.lastRun?.verdict, "Aborted");
            assert.match(outs.lastRun!.reason, /Authorization: Basic \[secret\]/);
            assert.deepStrictEqual(leaks(text), []);
            assert.match(logged.join("\n"), /Authorization: Basic \[secret\]/);
            assert.deepStrictEqual(leaks(logged.join("\n")), []);
        } finally {
            await prom.close();
        }
    });

    it("promoted after an echoed error: the outputs (lastRun) carry no secret", async () => {
        const prom = await echoingPrometheus(1);
        try {
            const i = inputs(prom.url, {
                prometheusPassword: undefined,
                prometheus: { url: prom.url, timeoutSeconds: 5 },
            });
            const { outs } = await updateRollout(previous(i), i);
            const text = JSON.stringify(outs);
            assert.strictEqual(outs.lastRun?.verdict, "Promoted");
            assert.match(text, /Authorization: Bearer \[secret\]/);
            assert.deepStrictEqual(leaks(text + logged.join("\n")), []);
        } finally {
            await prom.close();
        }
    });

    it("a kubeconfig that is not YAML: the parser's quote of it is not repeated", async () => {
        const err = await createRollout({
            ...inputs("http://127.0.0.1:9"),
            kubeconfig: `users: [{name: u, user: {token: ${KUBE_TOKEN}}}\nclusters: [`,
        }).then(
            () => assert.fail("must fail"),
            (e: Error) => e,
        );
        assert.strictEqual(
            err.message,
            "progressive-delivery:kubeconfig is not a valid kubeconfig (missed comma between flow collection entries at line 2; the text is not shown because it is a secret); set it again with `pulumi config set --secret progressive-delivery:kubeconfig`",
        );
    });

    it("credentials in the Prometheus URL: config and check refuse it without repeating them", () => {
        const url = `http://alice:${PROM_PASSWORD}@prometheus.example.com:9090/prom?token=${PROM_TOKEN}`;
        const { errors } = validateConfig({
            monitoring: { install: false, prometheus: { url } },
        });
        const failures = checkRollout({ ...inputs(url), metrics: config.rollout.metrics }).map(
            (f) => f.reason,
        );
        const reason =
            '"http://***@prometheus.example.com:9090/prom?***" has credentials in it (user:password@ before the host), which would be stored in plain text in the state and shown in outputs and logs; ' +
            "remove them, then set monitoring.prometheus.username and the password with `pulumi config set --secret progressive-delivery:prometheusPassword`, or a bearer token with `pulumi config set --secret progressive-delivery:prometheusToken`";
        assert.deepStrictEqual(errors, [
            `progressive-delivery:monitoring.prometheus.url: ${reason}`,
        ]);
        assert.deepStrictEqual(failures, [`monitoring.prometheus.url: ${reason}`]);
        assert.deepStrictEqual(leaks(errors.join("\n") + failures.join("\n")), []);
    });

    it("the outputs of a good run hold no secret input", async () => {
        seedApp(api, { app: "demo", namespace: "demo", stableHash: null });
        api.delete("deployments", "demo", "demo-stable");
        const { outs } = await createRollout(inputs("http://127.0.0.1:9"));
        assert.deepStrictEqual(leaks(JSON.stringify(outs) + logged.join("\n")), []);
        assert.deepStrictEqual(
            ["kubeconfig", "prometheusToken", "prometheusPassword"].filter((k) => k in outs),
            [],
        );
    });
});
