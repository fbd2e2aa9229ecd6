// Fault suite, the CanaryRollout provider end to end with the gateway-api router: the REAL
// createRollout, updateRollout and complete against the Kubernetes API double serving the
// HTTPRoute and a small Prometheus double. What is asserted is what reaches the cluster: the
// route's spec after each run, and which writes were accepted.
import * as assert from "assert";
import type { RolloutInputs } from "../../components/rollout/core/state";
import { complete, createRollout, updateRollout } from "../../components/rollout/provider/impl";
import { httpRoute, KubeApiDouble, NOT_OURS, seedApp } from "../support/kubeApi";
import {
    captured,
    demoInputs,
    healthy,
    previousState,
    prometheusDouble,
} from "../support/rolloutRun";

const HEADER = { name: "X-Canary", value: "always" };
const GONE =
    "reading HTTPRoute demo/demo failed: HTTPRoute demo/demo does not exist (HTTP 404); this stack created it, so it was deleted outside Pulumi";
const RECREATE_ROUTE =
    "run `pulumi refresh`, then `pulumi up` twice: the first recreates it but fails once more (an update creates the routes after the release, which needs the route), the second releases";
/** What a reason says when the reset met the step's failure again, then the fix. */
const SAME_THEN = (fix: string) =>
    "; resetting traffic to stable failed the same way, so nothing was reset: the weight and the canary's pods are as the step left them. " +
    `Fix: ${fix}; the next pulumi up resets traffic first`;
const AT_STEP_1 = 'canary "demo" rolled back at step 1/2 (setWeight 50%, weight 0%)';

describe("faults: CanaryRollout provider with the gateway-api router (API double)", function () {
    this.timeout(30_000);
    const api = new KubeApiDouble();
    let prom: Awaited<ReturnType<typeof prometheusDouble>>;
    let failing: Awaited<ReturnType<typeof prometheusDouble>>;

    before(async () => {
        await api.start();
        prom = await prometheusDouble(healthy);
        // A success rate of 0.5 over 500 requests: the threshold metric fails.
        failing = await prometheusDouble((q) => (q.includes("requests_total") ? "500" : "0.5"));
    });
    after(async () => {
        await api.stop();
        await prom.close();
        await failing.close();
    });
    beforeEach(() => api.reset());

    /** CanaryApp's inputs for gateway-api: the HTTPRoute is named after the app. */
    const inputs = (over: Partial<RolloutInputs> = {}) =>
        demoInputs({
            canaryIngress: "demo",
            router: { kind: "gateway-api" },
            prometheus: { url: prom.url, timeoutSeconds: 5 },
            kubeconfig: api.kubeconfig(),
            ...over,
        });
    const previous = (over: Partial<RolloutInputs> = {}) => previousState(inputs(over));
    const seed = (over: { stableHash?: string | null; canaryIngress?: boolean } = {}) =>
        seedApp(api, { app: "demo", namespace: "demo", router: "gateway-api", ...over });
    const route = () => api.get("httproutes", "demo", "demo")!;
    /** Each accepted write: the object, and the route's weights (header rule first) or replicas. */
    const writes = () =>
        api.writes().map((s) => {
            const what = s.path.split("/").slice(-2).join("/");
            const rules = s.body.spec.rules as {
                backendRefs: { name: string; weight: number }[];
            }[];
            return rules
                ? `${what} ${rules.map((r) => r.backendRefs.map((b) => `${b.name}=${b.weight}`).join(" ")).join(" | ")}`
                : `${what} ${JSON.stringify(s.body.spec)}`;
        });

    describe("a first run before the HTTPRoute exists, and a later run after it was deleted", () => {
        it("a first deployment before the route exists (CanaryApp creates it once stable is ready): the 404 is tolerated, the canary scaled to 0", async () => {
            seed({ stableHash: null, canaryIngress: false });
            api.get("deployments", "demo", "demo-canary")!.spec!.replicas = 1;
            const { lines, result } = await captured(() => createRollout(inputs()));
            assert.deepStrictEqual(lines, [
                "[canary demo] first deployment: promoted without a canary run",
            ]);
            assert.strictEqual(result.outs.promotedHash, "h2");
            assert.deepStrictEqual(api.calls(), [
                "GET deployments/demo-stable 404",
                "GET httproutes/demo 404",
                "GET httproutes/demo 404",
                "GET deployments/demo-canary 200",
                "PATCH deployments/demo-canary 200",
            ]);
            assert.deepStrictEqual(writes(), ['deployments/demo-canary {"replicas":0}']);
        });

        it("a first deployment whose route exists: 100% on stable, nothing else touched", async () => {
            seed({ stableHash: null });
            api.put("httproutes", { ...route(), spec: httpRoute("demo", "demo", 70) });
            await captured(() => createRollout(inputs()));
            assert.deepStrictEqual(route().spec, httpRoute("demo", "demo"));
            assert.deepStrictEqual(writes(), ["httproutes/demo demo-stable=100 demo-canary=0"]);
        });

        it("switching an ingress-nginx stack to gateway-api (no new template): the new route not there yet is no error", async () => {
            seed({ stableHash: "h1", canaryIngress: false });
            const olds = previousState(
                demoInputs({ kubeconfig: api.kubeconfig(), templateHash: "h1" }),
            );
            const { result } = await captured(() =>
                updateRollout(olds, inputs({ templateHash: "h1" })),
            );
            assert.strictEqual(result.outs.promotedHash, "h1");
            assert.deepStrictEqual(result.outs.router, { kind: "gateway-api" });
            assert.deepStrictEqual(api.writes(), []);
        });

        it("a template change whose route was deleted outside Pulumi: rolled back, the error names the route, nothing written", async () => {
            seed({ stableHash: "h1" });
            api.delete("httproutes", "demo", "demo");
            const { result } = await captured(() => updateRollout(previous(), inputs()));
            assert.strictEqual(result.outs.lastRun?.verdict, "Aborted");
            assert.strictEqual(
                result.outs.lastRun?.reason,
                `${AT_STEP_1}: step 1/2 (setWeight 50%, weight 0%) failed: ${GONE}` +
                    SAME_THEN(RECREATE_ROUTE),
            );
            assert.strictEqual(result.outs.promotedHash, "h1");
            assert.deepStrictEqual(writes(), []);
        });

        it("an update without a new template whose route was deleted: the update fails naming the route", async () => {
            seed({ stableHash: "h1" });
            api.delete("httproutes", "demo", "demo");
            await assert.rejects(
                captured(() => updateRollout(previous(), inputs({ templateHash: "h1" }))),
                { message: `${GONE}: ${RECREATE_ROUTE}` },
            );
            assert.deepStrictEqual(writes(), []);
        });
    });

    describe("a canary run: rollback and abort put 100% on stable and remove the header rule", () => {
        it("a 409 on the weight write and a 429 on the route's read: promoted, each write landed once (the completion puts 100% back on stable)", async () => {
            seed({ stableHash: "h1" });
            api.inject(
                { method: "PATCH", resource: "httproutes", interfere: true },
                { method: "GET", resource: "httproutes", status: 429, retryAfter: "1" },
            );
            const { lines, result } = await captured(() => updateRollout(previous(), inputs()));
            assert.strictEqual(result.outs.lastRun?.verdict, "Promoted", lines.join("\n"));
            assert.deepStrictEqual(
                api.seen.filter((s) => s.answer !== 200 && s.answer !== 201).map((s) => s.answer),
                [429, 409],
            );
            assert.deepStrictEqual(writes(), [
                'deployments/demo-canary {"replicas":2}',
                "httproutes/demo demo-stable=50 demo-canary=50",
            ]);
        });

        it("the analysis fails with the header rule on: the rollback writes 100/0, removes the header rule, scales the canary to 0", async () => {
            seed({ stableHash: "h1" });
            const router = { kind: "gateway-api" as const, header: HEADER };
            // failureLimit 0: the first failed measurement rolls back, its window the shortest.
            const metrics = [{ ...demoInputs().metrics[0], failureLimit: 0 }];
            const prometheus = { url: failing.url, timeoutSeconds: 5 };
            const run = inputs({ router, prometheus, metrics });
            const { result } = await captured(() => updateRollout(previous({ router }), run));
            assert.strictEqual(result.outs.lastRun?.verdict, "Aborted");
            assert.strictEqual(
                result.outs.lastRun?.reason,
                'canary "demo" rolled back at step 2/2 (analysis (1 successful measurement), weight 50%): ' +
                    'success-rate 1 measurements failed "result[0] >= 0.95" (failureLimit 0); last value 0.5 over 500 requests: ' +
                    'successCondition "result[0] >= 0.95" is false; query: sum(rate(ok_total{service="demo-canary"}[4s])); ' +
                    "traffic is back on the stable version and the canary is scaled to 0",
            );
            assert.strictEqual(result.outs.promotedHash, "h1");
            assert.deepStrictEqual(writes(), [
                'deployments/demo-canary {"replicas":1}',
                "httproutes/demo demo-canary=1 | demo-stable=100 demo-canary=0",
                'deployments/demo-canary {"replicas":2}',
                "httproutes/demo demo-canary=1 | demo-stable=50 demo-canary=50",
                "httproutes/demo demo-canary=1 | demo-stable=100 demo-canary=0",
                "httproutes/demo demo-stable=100 demo-canary=0",
                'deployments/demo-canary {"replicas":0}',
            ]);
            assert.deepStrictEqual(route().spec, httpRoute("demo", "demo"));
        });

        it("403 on the weight write: rolled back, the error names patch on httproutes and the RBAC fix", async () => {
            seed({ stableHash: "h1" });
            api.inject({ method: "PATCH", resource: "httproutes", status: 403 });
            const { result } = await captured(() => updateRollout(previous(), inputs()));
            assert.strictEqual(result.outs.lastRun?.verdict, "Aborted");
            assert.strictEqual(
                result.outs.lastRun?.reason,
                `${AT_STEP_1}: step 1/2 (setWeight 50%, weight 0%) failed: setting the backendRef weights of HTTPRoute demo/demo to 50 (demo-stable) and 50 (demo-canary) failed: ` +
                    'HTTP 403: httproutes.gateway.networking.k8s.io "demo" is forbidden: User "system:serviceaccount:ci:deployer" cannot patch resource "httproutes" in API group "gateway.networking.k8s.io" in the namespace "demo"; ' +
                    'the kubeconfig\'s user needs the RBAC permission to patch httproutes (API group "gateway.networking.k8s.io") in namespace "demo": grant the rollout get and patch on deployments.apps and httproutes.gateway.networking.k8s.io there (a Role and a RoleBinding); ' +
                    "traffic is back on the stable version and the canary is scaled to 0",
            );
            assert.deepStrictEqual(route().spec, httpRoute("demo", "demo"));
            assert.strictEqual(api.get("deployments", "demo", "demo-canary")!.spec!.replicas, 0);
        });

        it("a route whose weighted rule was edited by someone else: rolled back before the first write, the reason says how to restore it", async () => {
            seed({ stableHash: "h1" });
            const edited = { ...httpRoute("demo", "demo") };
            edited.rules = [{ ...edited.rules[0], backendRefs: [edited.rules[0].backendRefs[0]] }];
            api.put("httproutes", { ...route(), spec: edited });
            const refusal =
                "HTTPRoute demo/demo has no rule with backendRefs to both demo-stable and demo-canary, so the rollout cannot weigh them; it was changed outside Pulumi";
            const { result } = await captured(() => updateRollout(previous(), inputs()));
            assert.strictEqual(
                result.outs.lastRun?.reason,
                `${AT_STEP_1}: step 1/2 (setWeight 50%, weight 0%) failed: ${refusal}` +
                    SAME_THEN("run `pulumi refresh`, then `pulumi up` to restore it"),
            );
            assert.deepStrictEqual(route().spec, edited);
            assert.deepStrictEqual(writes(), []);
        });
    });

    describe("CanaryCompletion", () => {
        const completion = {
            namespace: "demo",
            canaryDeployment: "demo-canary",
            stableDeployment: "demo-stable",
            canaryIngress: "demo",
            promotedHash: "h2",
            router: { kind: "gateway-api" as const, header: HEADER },
        };

        it("puts 100% on stable and removes the header rule, keeping the rest of the route", async () => {
            seed();
            const at = httpRoute("demo", "demo", 20);
            const header = {
                matches: [{ ...at.rules[0].matches[0], headers: [{ type: "Exact", ...HEADER }] }],
                backendRefs: [{ ...at.rules[0].backendRefs[1], weight: 1 }],
            };
            api.put("httproutes", { ...route(), spec: { ...at, rules: [header, ...at.rules] } });
            api.get("deployments", "demo", "demo-canary")!.spec!.replicas = 4;
            const { lines } = await captured(() =>
                complete({ ...completion, kubeconfig: api.kubeconfig() }),
            );
            assert.deepStrictEqual(lines, [
                "[canary demo] stable runs h2; canary weight 0, no header route, canary scaled to 0",
            ]);
            assert.deepStrictEqual(route().spec, httpRoute("demo", "demo"));
            assert.deepStrictEqual(writes(), [
                "httproutes/demo demo-canary=1 | demo-stable=100 demo-canary=0",
                "httproutes/demo demo-stable=100 demo-canary=0",
                'deployments/demo-canary {"replicas":0}',
            ]);
        });

        it("refuses an HTTPRoute of another app, writing nothing", async () => {
            seed();
            route().metadata.labels!["app.kubernetes.io/instance"] = "shop";
            await assert.rejects(complete({ ...completion, kubeconfig: api.kubeconfig() }), {
                message:
                    'HTTPRoute demo/demo is not CanaryApp "demo"\'s: it belongs to app "shop" (label app.kubernetes.io/instance). ' +
                    NOT_OURS,
            });
            assert.deepStrictEqual(api.writes(), []);
        });
    });
});
