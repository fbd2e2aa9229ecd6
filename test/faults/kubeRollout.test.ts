// Fault suite, the CanaryRollout provider end to end: the REAL createRollout, updateRollout and
// complete (engine, adapters, hostClock) against the Kubernetes API double and a small
// Prometheus double. What is asserted is what reaches the cluster: which writes were accepted.
import * as assert from "assert";
import type { RolloutInputs } from "../../components/rollout/core/state";
import { complete, createRollout, updateRollout } from "../../components/rollout/provider/impl";
import { missingStable } from "../../components/rollout/provider/stable";
import { KubeApiDouble, NOT_OURS, seedApp } from "../support/kubeApi";
import {
    captured,
    demoInputs,
    healthy,
    previousState,
    prometheusDouble,
} from "../support/rolloutRun";

const NOT_OURS_FIX = "give the app another app.name or app.namespace, or remove the other object";

describe("faults: CanaryRollout provider against the Kubernetes API double", function () {
    this.timeout(30_000);
    const api = new KubeApiDouble();
    let prom: Awaited<ReturnType<typeof prometheusDouble>>;

    before(async () => {
        await api.start();
        // Success rate 1.0 over 500 requests.
        prom = await prometheusDouble(healthy);
    });
    after(async () => {
        await api.stop();
        await prom.close();
    });
    beforeEach(() => api.reset());

    const inputs = (over: Partial<RolloutInputs> = {}) =>
        demoInputs({
            prometheus: { url: prom.url, timeoutSeconds: 5 },
            kubeconfig: api.kubeconfig(),
            ...over,
        });
    /** The state a previous run left: stable runs h1 with image demo:1. */
    const previous = (over: Partial<RolloutInputs> = {}) => previousState(inputs(over));
    const writes = () =>
        api
            .writes()
            .map(
                (s) =>
                    `${s.path.split("/").slice(-2).join("/")} ${JSON.stringify(s.body.spec ?? s.body.metadata.annotations)}`,
            );

    describe("the first deployment is decided from state, never from a 404", () => {
        it("no state and no stable Deployment: promoted without a canary run, traffic on stable", async () => {
            seedApp(api, { app: "demo", namespace: "demo", stableHash: null });
            const { lines, result } = await captured(() => createRollout(inputs()));
            assert.deepStrictEqual(lines, [
                "[canary demo] first deployment: promoted without a canary run",
            ]);
            assert.strictEqual(result.outs.promotedHash, "h2");
            assert.strictEqual(result.outs.lastRun, null);
            assert.deepStrictEqual(writes(), [
                'ingresses/demo-canary {"nginx.ingress.kubernetes.io/canary-weight":"0"}',
            ]);
        });

        it("a first deployment before its Ingresses exist (CanaryApp creates them once stable is ready): nothing to reset there, the canary scaled to 0", async () => {
            seedApp(api, {
                app: "demo",
                namespace: "demo",
                stableHash: null,
                canaryIngress: false,
            });
            api.get("deployments", "demo", "demo-canary")!.spec!.replicas = 1;
            const { lines, result } = await captured(() => createRollout(inputs()));
            assert.deepStrictEqual(lines, [
                "[canary demo] first deployment: promoted without a canary run",
            ]);
            assert.strictEqual(result.outs.promotedHash, "h2");
            assert.deepStrictEqual(writes(), ['deployments/demo-canary {"replicas":0}']);
        });

        it("a template change whose canary Ingress is gone: an error that names it, no traffic moved", async () => {
            seedApp(api, { app: "demo", namespace: "demo", stableHash: "h1" });
            api.delete("ingresses", "demo", "demo-canary");
            const { result } = await captured(() => updateRollout(previous(), inputs()));
            // The reset after the abort fails the same way: said once, then what it left, then
            // the fix (not "run pulumi up again", which would fail the same way).
            assert.strictEqual(
                result.outs.lastRun?.reason,
                'canary "demo" rolled back at step 1/2 (setWeight 50%, weight 0%): step 1/2 (setWeight 50%, weight 0%) failed: ' +
                    "reading Ingress demo/demo-canary failed: Ingress demo/demo-canary does not exist (HTTP 404); this stack created it, so it was deleted outside Pulumi; " +
                    "resetting traffic to stable failed the same way, so nothing was reset: the weight and the canary's pods are as the step left them. " +
                    "Fix: run `pulumi refresh`, then `pulumi up` twice: the first recreates it but fails once more (an update creates the routes after the release, which needs the route), the second releases; the next pulumi up resets traffic first",
            );
            assert.strictEqual(result.outs.promotedHash, "h1");
            assert.deepStrictEqual(writes(), []);
        });

        it("gateway-api, a template change whose HTTPRoute is gone: the 404 said once, then the fix", async () => {
            // No route seeded: the HTTPRoute is missing, answered 404.
            seedApp(api, {
                app: "demo",
                namespace: "demo",
                stableHash: "h1",
                canaryIngress: false,
            });
            const over = { router: { kind: "gateway-api" as const }, canaryIngress: "demo" };
            const { result } = await captured(() => updateRollout(previous(over), inputs(over)));
            assert.strictEqual(
                result.outs.lastRun?.reason,
                'canary "demo" rolled back at step 1/2 (setWeight 50%, weight 0%): step 1/2 (setWeight 50%, weight 0%) failed: ' +
                    "reading HTTPRoute demo/demo failed: HTTPRoute demo/demo does not exist (HTTP 404); this stack created it, so it was deleted outside Pulumi; " +
                    "resetting traffic to stable failed the same way, so nothing was reset: the weight and the canary's pods are as the step left them. " +
                    "Fix: run `pulumi refresh`, then `pulumi up` twice: the first recreates it but fails once more (an update creates the routes after the release, which needs the route), the second releases; the next pulumi up resets traffic first",
            );
            assert.strictEqual(result.outs.promotedHash, "h1");
            assert.deepStrictEqual(api.writes(), []);
        });

        it("a later run whose stable Deployment is gone: an error that changes nothing and says how to recover", async () => {
            seedApp(api, { app: "demo", namespace: "demo", stableHash: null });
            api.get("ingresses", "demo", "demo-canary")!.metadata.annotations![
                "nginx.ingress.kubernetes.io/canary-weight"
            ] = "0";
            const olds = previous();
            await assert.rejects(updateRollout(olds, inputs()), {
                message:
                    "the stable Deployment demo/demo-stable does not exist, but this stack deployed it (the CanaryRollout state says it runs template h1); nothing was changed. " +
                    "A canary needs the stable version to fall back to and to compare against, so none runs without it. " +
                    'Recreate it: `pulumi refresh`, then `pulumi up` with app.image set back to "demo:1" (no canary runs for the promoted template), then set the new version again',
            });
            assert.strictEqual(missingStable(inputs(), olds).includes("demo:1"), true);
            assert.deepStrictEqual(api.writes(), []);
            assert.deepStrictEqual(
                api.seen.map((s) => s.method),
                ["GET"],
            );
        });

        it("moved to another namespace: the state knows nothing of the new place, so it is a first deployment there", async () => {
            seedApp(api, { app: "demo", namespace: "demo", stableHash: null });
            const { lines, result } = await captured(() =>
                updateRollout(previous({ namespace: "old" }), inputs()),
            );
            assert.deepStrictEqual(lines, [
                "[canary demo] first deployment: promoted without a canary run",
            ]);
            assert.strictEqual(result.outs.promotedHash, "h2");
        });

        it("no state but a stable Deployment of this app: its template decides (same: no canary)", async () => {
            seedApp(api, { app: "demo", namespace: "demo", stableHash: "h2" });
            const { lines } = await captured(() => createRollout(inputs()));
            assert.deepStrictEqual(lines, [
                "[canary demo] stable already runs this template: promoted without a canary run",
            ]);
        });
    });

    describe("a canary run through API faults", () => {
        it("409 on a weight write, 429 with Retry-After on a read, 503 on a scale: promoted, each write landed once", async () => {
            seedApp(api, { app: "demo", namespace: "demo", stableHash: "h1" });
            api.inject(
                { method: "PATCH", resource: "ingresses", interfere: true },
                {
                    method: "GET",
                    resource: "deployments",
                    name: "demo-stable",
                    status: 429,
                    retryAfter: "1",
                },
                { method: "PATCH", resource: "deployments", status: 503 },
            );
            const { lines, result } = await captured(() => updateRollout(previous(), inputs()));
            assert.strictEqual(result.outs.lastRun?.verdict, "Promoted", lines.join("\n"));
            assert.strictEqual(result.outs.promotedHash, "h2");
            assert.deepStrictEqual(writes(), [
                'ingresses/demo-canary {"nginx.ingress.kubernetes.io/canary-weight":"0"}',
                'deployments/demo-canary {"replicas":2}',
                'ingresses/demo-canary {"nginx.ingress.kubernetes.io/canary-weight":"50"}',
            ]);
            assert.deepStrictEqual(
                api.seen.filter((s) => s.answer !== 200 && s.answer !== 201).map((s) => s.answer),
                [429, 409, 503],
            );
            // The release as `kubectl get events` shows it, on the canary Deployment: the success
            // rate and the judge (on by default, as a guard) measured at the first second of
            // traffic (the judge's first reading is its baseline) and one second later.
            assert.deepStrictEqual(
                api.events.map((e) => `${e.involvedObject.name} ${e.type} ${e.reason}`),
                [
                    "demo-canary Normal RolloutStarted",
                    "demo-canary Normal RolloutStep",
                    "demo-canary Normal RolloutStep",
                    "demo-canary Normal AnalysisSuccessful",
                    "demo-canary Normal AnalysisInconclusive",
                    "demo-canary Normal AnalysisSuccessful",
                    "demo-canary Normal AnalysisSuccessful",
                    "demo-canary Normal RolloutPromoted",
                ],
            );
        });

        it("events refused (no RBAC create on events): told once, on the app's line; the run promotes", async () => {
            seedApp(api, { app: "demo", namespace: "demo", stableHash: "h1" });
            api.refuseEvents = true;
            const { lines, result } = await captured(() => updateRollout(previous(), inputs()));
            assert.strictEqual(result.outs.lastRun?.verdict, "Promoted", lines.join("\n"));
            assert.deepStrictEqual(
                lines.filter((l) => l.includes("Kubernetes events")),
                [
                    '[canary demo] could not write Kubernetes events on Deployment demo/demo-canary (HTTP 403: events is forbidden: User "system:serviceaccount:ci:deployer" cannot create resource "events" in API group "" in the namespace "demo"); the run goes on without them',
                ],
            );
            assert.deepStrictEqual(api.events, []);
        });

        it("a canary Ingress of another app: rolled back before the first write, nothing written", async () => {
            seedApp(api, { app: "demo", namespace: "demo", stableHash: "h1" });
            api.get("ingresses", "demo", "demo-canary")!.metadata.labels![
                "app.kubernetes.io/instance"
            ] = "shop";
            const refusal = `Ingress demo/demo-canary is not CanaryApp "demo"'s: it belongs to app "shop" (label app.kubernetes.io/instance). ${NOT_OURS}`;
            const { result } = await captured(() => updateRollout(previous(), inputs()));
            assert.strictEqual(result.outs.lastRun?.verdict, "Aborted");
            assert.strictEqual(result.outs.promotedHash, "h1", "stable keeps its template");
            assert.strictEqual(
                result.outs.lastRun?.reason,
                `canary "demo" rolled back at step 1/2 (setWeight 50%, weight 0%): step 1/2 (setWeight 50%, weight 0%) failed: ${refusal.replace(`; ${NOT_OURS_FIX}`, "")}; ` +
                    "resetting traffic to stable failed the same way, so nothing was reset: the weight and the canary's pods are as the step left them. " +
                    `Fix: ${NOT_OURS_FIX}; the next pulumi up resets traffic first`,
            );
            assert.deepStrictEqual(api.writes(), []);
        });

        it("a stable Deployment managed by another tool: refused before anything is written", async () => {
            seedApp(api, { app: "demo", namespace: "demo", stableHash: "h1" });
            api.get("deployments", "demo", "demo-stable")!.metadata.labels![
                "app.kubernetes.io/managed-by"
            ] = "Helm";
            await assert.rejects(createRollout(inputs()), {
                message: `Deployment demo/demo-stable is not CanaryApp "demo"'s: it is managed by "Helm" (label app.kubernetes.io/managed-by). ${NOT_OURS}`,
            });
            assert.deepStrictEqual(api.writes(), []);
        });

        it("403 on the canary scale: rolled back, the error names the RBAC permission", async () => {
            seedApp(api, { app: "demo", namespace: "demo", stableHash: "h1" });
            api.inject({ method: "PATCH", resource: "deployments", status: 403 });
            const { result } = await captured(() => updateRollout(previous(), inputs()));
            assert.strictEqual(result.outs.lastRun?.verdict, "Aborted");
            assert.strictEqual(result.outs.promotedHash, "h1", "stable keeps its template");
            assert.strictEqual(
                result.outs.lastRun?.reason,
                'canary "demo" rolled back at step 1/2 (setWeight 50%, weight 0%): step 1/2 (setWeight 50%, weight 0%) failed: scaling Deployment demo/demo-canary to 2 failed: ' +
                    'HTTP 403: deployments.apps "demo-canary" is forbidden: User "system:serviceaccount:ci:deployer" cannot patch resource "deployments" in API group "apps" in the namespace "demo"; ' +
                    'the kubeconfig\'s user needs the RBAC permission to patch deployments (API group "apps") in namespace "demo": grant the rollout get and patch on deployments.apps and ingresses.networking.k8s.io there (a Role and a RoleBinding); ' +
                    "traffic is back on the stable version and the canary is scaled to 0",
            );
            assert.deepStrictEqual(writes(), [
                'ingresses/demo-canary {"nginx.ingress.kubernetes.io/canary-weight":"0"}',
            ]);
        });
        it("get on the canary Deployment refused from the scale to 2 on, so on the reset's scale-down too: said once, the weight reset said, the RBAC fix last", async () => {
            seedApp(api, { app: "demo", namespace: "demo", stableHash: "h1" });
            // Reads of the canary Deployment: the first reset's scale-down and the scale to 2's
            // first read pass; every read after them is refused.
            api.inject({
                method: "GET",
                resource: "deployments",
                name: "demo-canary",
                skip: 2,
                status: 403,
                times: 100,
            });
            const { result } = await captured(() => updateRollout(previous(), inputs()));
            assert.strictEqual(
                result.outs.lastRun?.reason,
                'canary "demo" rolled back at step 1/2 (setWeight 50%, weight 0%): step 1/2 (setWeight 50%, weight 0%) failed: reading Deployment demo/demo-canary failed: ' +
                    'HTTP 403: deployments.apps "demo-canary" is forbidden: User "system:serviceaccount:ci:deployer" cannot get resource "deployments" in API group "apps" in the namespace "demo"; ' +
                    'the kubeconfig\'s user needs the RBAC permission to get deployments (API group "apps") in namespace "demo"; ' +
                    "resetting traffic to stable failed the same way (scaling the canary to 0), so traffic is back on the stable version, but the canary keeps its pods. " +
                    "Fix: grant the rollout get and patch on deployments.apps and ingresses.networking.k8s.io there (a Role and a RoleBinding); the next pulumi up resets traffic first",
            );
            assert.deepStrictEqual(writes(), [
                'ingresses/demo-canary {"nginx.ingress.kubernetes.io/canary-weight":"0"}',
            ]);
        });

        it("the analysis fails, then 403 on the reset's weight write: both said, nothing claimed restored, the RBAC fix last", async () => {
            seedApp(api, { app: "demo", namespace: "demo", stableHash: "h1" });
            // Weight writes: the reset before the canary, 50%, then the reset after the abort.
            api.inject({ method: "PATCH", resource: "ingresses", skip: 2, status: 403 });
            const failing = await prometheusDouble((q) =>
                q.includes("requests_total") ? "500" : "0.5",
            );
            try {
                const { result } = await captured(() =>
                    updateRollout(
                        previous(),
                        inputs({ prometheus: { url: failing.url, timeoutSeconds: 5 } }),
                    ),
                );
                assert.strictEqual(
                    result.outs.lastRun?.reason,
                    'canary "demo" rolled back at step 2/2 (analysis (1 successful measurement), weight 50%): ' +
                        'success-rate 4 measurements failed "result[0] >= 0.95" (failureLimit 3); last value 0.5 over 500 requests: ' +
                        'successCondition "result[0] >= 0.95" is false; query: sum(rate(ok_total{service="demo-canary"}[4s])); ' +
                        "resetting traffic to stable ALSO failed: setting nginx.ingress.kubernetes.io/canary-weight=0 on Ingress demo/demo-canary failed: " +
                        'HTTP 403: ingresses.networking.k8s.io "demo-canary" is forbidden: User "system:serviceaccount:ci:deployer" cannot patch resource "ingresses" ' +
                        'in API group "networking.k8s.io" in the namespace "demo"; the kubeconfig\'s user needs the RBAC permission to patch ingresses ' +
                        '(API group "networking.k8s.io") in namespace "demo", so nothing was reset: the weight and the canary\'s pods are as the step left them. ' +
                        "Fix: grant the rollout get and patch on deployments.apps and ingresses.networking.k8s.io there (a Role and a RoleBinding); " +
                        "the next pulumi up resets traffic first",
                );
            } finally {
                await failing.close();
            }
            assert.deepStrictEqual(writes(), [
                'ingresses/demo-canary {"nginx.ingress.kubernetes.io/canary-weight":"0"}',
                'deployments/demo-canary {"replicas":2}',
                'ingresses/demo-canary {"nginx.ingress.kubernetes.io/canary-weight":"50"}',
            ]);
        });
    });

    describe("CanaryCompletion", () => {
        const completion = {
            namespace: "demo",
            canaryDeployment: "demo-canary",
            stableDeployment: "demo-stable",
            canaryIngress: "demo-canary",
            promotedHash: "h2",
        };

        it("puts the weight and the canary back to 0 on this app's objects", async () => {
            seedApp(api, { app: "demo", namespace: "demo" });
            api.get("deployments", "demo", "demo-canary")!.spec!.replicas = 2;
            const { lines } = await captured(() =>
                complete({ ...completion, kubeconfig: api.kubeconfig() }),
            );
            // Its line names the app, as every line of the app's rollout does.
            assert.deepStrictEqual(lines, [
                "[canary demo] stable runs h2; canary weight 0, canary scaled to 0",
            ]);
            assert.deepStrictEqual(writes(), [
                'ingresses/demo-canary {"nginx.ingress.kubernetes.io/canary-weight":"0"}',
                'deployments/demo-canary {"replicas":0}',
            ]);
        });

        it("with a header route: removes it too, and says so", async () => {
            seedApp(api, { app: "demo", namespace: "demo" });
            Object.assign(api.get("ingresses", "demo", "demo-canary")!.metadata.annotations!, {
                "nginx.ingress.kubernetes.io/canary-by-header": "X-Canary",
                "nginx.ingress.kubernetes.io/canary-by-header-value": "always",
            });
            const header = { name: "X-Canary", value: "always" };
            const { lines } = await captured(() =>
                complete({
                    ...completion,
                    router: { kind: "ingress-nginx", header },
                    kubeconfig: api.kubeconfig(),
                }),
            );
            assert.deepStrictEqual(lines, [
                "[canary demo] stable runs h2; canary weight 0, no header route, canary scaled to 0",
            ]);
            assert.deepStrictEqual(
                Object.keys(api.get("ingresses", "demo", "demo-canary")!.metadata.annotations!)
                    .filter((k) => k.includes("canary-by-header"))
                    .sort(),
                [],
            );
        });

        it("refuses a canary Deployment of another owner", async () => {
            seedApp(api, { app: "demo", namespace: "demo" });
            api.get("ingresses", "demo", "demo-canary")!.metadata.annotations![
                "nginx.ingress.kubernetes.io/canary-weight"
            ] = "0";
            api.get("deployments", "demo", "demo-canary")!.metadata.ownerReferences = [
                { kind: "HorizontalPodAutoscaler", name: "x" },
            ];
            await assert.rejects(complete({ ...completion, kubeconfig: api.kubeconfig() }), {
                message: `Deployment demo/demo-canary is not CanaryApp "demo"'s: it is controlled by "HorizontalPodAutoscaler/x" (metadata.ownerReferences). ${NOT_OURS}`,
            });
            assert.deepStrictEqual(api.writes(), []);
        });
    });
});
