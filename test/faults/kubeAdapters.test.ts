// Fault suite, Kubernetes side: the REAL kubeAdapters against the Kubernetes API double, with
// each fault Kubernetes can answer. Time is injected (a clock that jumps by each sleep), so the
// waits asked for (Retry-After, backoff) are asserted exactly and no test sleeps for them.
import * as assert from "assert";
import { KubeOptions, loadKubeConfig, MAX_ATTEMPTS } from "../../components/rollout/adapters/kube";
import { kubeAdapters } from "../../components/rollout/provider/cluster";
import { DEMO_TARGET } from "../support/rolloutRun";
import {
    FOREIGN_OWNERS,
    KubeApiDouble,
    NOT_OURS,
    PULUMI_MANAGER,
    seedApp,
} from "../support/kubeApi";

const T0 = 1_800_000_000_000;
const FORBIDDEN_FIX =
    'in namespace "demo": grant the rollout get and patch on deployments.apps and ingresses.networking.k8s.io there (a Role and a RoleBinding)';
const SET_20 = "setting nginx.ingress.kubernetes.io/canary-weight=20 on Ingress demo/demo-canary";

describe("faults: Kubernetes API (real adapters, API double)", () => {
    const api = new KubeApiDouble();
    let t: number;
    let waits: number[];

    before(() => api.start());
    after(() => api.stop());
    beforeEach(() => {
        api.reset();
        seedApp(api, { app: "demo", namespace: "demo", stableHash: "h-stable" });
        t = T0;
        waits = [];
    });

    /** Adapters with a deadline `deadlineMs` after T0 on a clock that jumps by each sleep. */
    const adapters = (deadlineMs = 600_000, extra: Partial<KubeOptions> = {}) =>
        kubeAdapters(loadKubeConfig({ kubeconfig: api.kubeconfig() }), DEMO_TARGET, {
            deadline: T0 + deadlineMs,
            pollMs: 1000,
            now: () => t,
            sleep: async (ms) => {
                waits.push(ms);
                t += ms;
            },
            ...extra,
        });
    const weight = () =>
        api.get("ingresses", "demo", "demo-canary")!.metadata.annotations![
            "nginx.ingress.kubernetes.io/canary-weight"
        ];

    describe("409 Conflict: re-read, check the owner again, patch again", () => {
        it("a concurrent writer between the read and the write: the second patch carries the new resourceVersion", async () => {
            api.inject({ method: "PATCH", resource: "ingresses", interfere: true });
            await adapters().setWeight(20);
            assert.deepStrictEqual(api.calls(), [
                "GET ingresses/demo-canary 200",
                "PATCH ingresses/demo-canary 409",
                "GET ingresses/demo-canary 200",
                "PATCH ingresses/demo-canary 200",
            ]);
            const [, first, reread, second] = api.seen;
            assert.notStrictEqual(
                second.body.metadata.resourceVersion,
                first.body.metadata.resourceVersion,
            );
            assert.strictEqual(weight(), "20");
            // The other writer's change survives: a merge patch touches only the weight.
            assert.ok(api.get("ingresses", "demo", "demo-canary")!.metadata.annotations!.touched);
            assert.strictEqual(reread.method, "GET");
            assert.deepStrictEqual(waits, [50]);
        });

        it("a concurrent writer that hands the object to another app: the re-read refuses it", async () => {
            api.inject({
                method: "PATCH",
                resource: "deployments",
                interfere: (o) => {
                    o.metadata.labels!["app.kubernetes.io/instance"] = "shop";
                },
            });
            await assert.rejects(adapters().scaleCanary(2), {
                message: `Deployment demo/demo-canary is not CanaryApp "demo"'s: it belongs to app "shop" (label app.kubernetes.io/instance). ${NOT_OURS}`,
            });
            assert.deepStrictEqual(api.writes(), []);
        });

        it(`an object that changes under every write: gives up after ${MAX_ATTEMPTS} tries, naming the cause`, async () => {
            api.inject({ method: "PATCH", resource: "ingresses", interfere: true, times: 100 });
            await assert.rejects(adapters().setWeight(20), {
                message: `${SET_20} failed: Ingress demo/demo-canary changed under every one of ${MAX_ATTEMPTS} writes (HTTP 409 Conflict); another client keeps writing it: find it in the object's managedFields`,
            });
            assert.strictEqual(api.seen.filter((s) => s.method === "PATCH").length, MAX_ATTEMPTS);
            assert.deepStrictEqual(api.writes(), []);
        });
    });

    describe("429 Too Many Requests: wait Retry-After, bounded by the deadline", () => {
        it("waits the seconds the API server asks for, then retries", async () => {
            api.inject({ method: "PATCH", status: 429, retryAfter: "3" });
            await adapters().setWeight(20);
            assert.deepStrictEqual(waits, [3000]);
            assert.deepStrictEqual(api.calls(), [
                "GET ingresses/demo-canary 200",
                "PATCH ingresses/demo-canary 429",
                "PATCH ingresses/demo-canary 200",
            ]);
            assert.strictEqual(weight(), "20");
        });

        it("reads Retry-After as an HTTP date too", async () => {
            api.inject({
                method: "GET",
                status: 429,
                retryAfter: new Date(T0 + 7000).toUTCString(),
            });
            await adapters().setWeight(20);
            assert.deepStrictEqual(waits, [7000]);
        });

        it("without Retry-After, backs off as for a 5xx", async () => {
            api.inject({ method: "GET", status: 429, times: 2 });
            await adapters().scaleCanary(1);
            assert.deepStrictEqual(waits, [200, 400]);
        });

        it("a Retry-After past the deadline fails at once, without waiting", async () => {
            api.inject({ method: "PATCH", status: 429, retryAfter: "120" });
            await assert.rejects(adapters(60_000).setWeight(20), {
                message: `${SET_20} failed: HTTP 429: Too many requests, please try again later.; the API server asked to retry after 120s, but retrying would pass the rollout's deadline`,
            });
            assert.deepStrictEqual(waits, []);
            assert.deepStrictEqual(api.writes(), []);
        });
    });

    describe("5xx and lost connections: bounded backoff", () => {
        it("503, 500, a reset connection: retried with growing backoff, then the write lands once", async () => {
            api.inject(
                { method: "GET", status: 503 },
                { method: "GET", status: 500 },
                { method: "PATCH", drop: "reset" },
            );
            await adapters().setWeight(20);
            assert.deepStrictEqual(waits, [200, 400, 200]);
            assert.strictEqual(api.writes().length, 1);
            assert.strictEqual(weight(), "20");
        });

        it(`gives up after ${MAX_ATTEMPTS} attempts`, async () => {
            api.inject({ status: 500, times: 100 });
            await assert.rejects(adapters().scaleCanary(1), {
                message: `reading Deployment demo/demo-canary failed (after ${MAX_ATTEMPTS} attempts): HTTP 500: injected 500; gave up after ${MAX_ATTEMPTS} attempts`,
            });
            assert.strictEqual(api.seen.length, MAX_ATTEMPTS);
            assert.deepStrictEqual(waits, [200, 400, 800, 1600, 3200, 5000, 5000]);
        });

        it("stops backing off when the next wait would pass the deadline", async () => {
            api.inject({ status: 503, times: 100 });
            await assert.rejects(adapters(1000).scaleCanary(1), {
                message:
                    "reading Deployment demo/demo-canary failed (after 3 attempts): HTTP 503: injected 503; retrying would pass the rollout's deadline",
            });
            assert.deepStrictEqual(waits, [200, 400]);
        });

        it("a hung API server: the request times out and is retried", async () => {
            api.inject({ method: "GET", drop: "hang" });
            await adapters(600_000, { now: Date.now, requestTimeoutMs: 1 }).setWeight(20);
            assert.deepStrictEqual(api.calls(), [
                "GET ingresses/demo-canary hang",
                "GET ingresses/demo-canary 200",
                "PATCH ingresses/demo-canary 200",
            ]);
        });

        it("putting traffic back on stable may still retry past the deadline (weight 0, canary 0)", async () => {
            t = T0 + 10_000; // the deadline (T0 + 5 s) has passed: the run is being rolled back
            api.get("deployments", "demo", "demo-canary")!.spec!.replicas = 2;
            api.inject(
                { method: "PATCH", resource: "ingresses", status: 503 },
                { method: "PATCH", resource: "deployments", status: 503 },
            );
            await adapters(5000).setWeight(0);
            await adapters(5000).scaleCanary(0);
            assert.strictEqual(weight(), "0");
            assert.deepStrictEqual(waits, [200, 200]);
            api.inject({ method: "PATCH", status: 503 });
            await assert.rejects(adapters(5000).setWeight(20), {
                message: `${SET_20} failed: HTTP 503: injected 503; retrying would pass the rollout's deadline`,
            });
        });
    });

    describe("401, 403, 404: no retry, the object and the fix named", () => {
        it("403 on the write names the verb, the resource and the RBAC permission", async () => {
            api.inject({ method: "PATCH", status: 403 });
            await assert.rejects(adapters().setWeight(20), {
                message:
                    `${SET_20} failed: HTTP 403: ingresses.networking.k8s.io "demo-canary" is forbidden: User "system:serviceaccount:ci:deployer" cannot patch resource "ingresses" in API group "networking.k8s.io" in the namespace "demo"; ` +
                    `the kubeconfig's user needs the RBAC permission to patch ingresses (API group "networking.k8s.io") ${FORBIDDEN_FIX}`,
            });
            assert.strictEqual(api.seen.length, 2);
            assert.deepStrictEqual(waits, []);
        });

        it("403 on the read before a write names get on deployments", async () => {
            api.inject({ method: "GET", status: 403 });
            await assert.rejects(adapters().scaleCanary(1), {
                message:
                    'reading Deployment demo/demo-canary failed: HTTP 403: deployments.apps "demo-canary" is forbidden: User "system:serviceaccount:ci:deployer" cannot get resource "deployments" in API group "apps" in the namespace "demo"; ' +
                    `the kubeconfig's user needs the RBAC permission to get deployments (API group "apps") ${FORBIDDEN_FIX}`,
            });
            assert.deepStrictEqual(api.calls(), ["GET deployments/demo-canary 403"]);
        });

        it("401 says the credentials were not accepted", async () => {
            api.inject({ status: 401, message: "Unauthorized" });
            await assert.rejects(adapters().setWeight(20), {
                message:
                    "reading Ingress demo/demo-canary failed: HTTP 401; the API server did not accept the credentials: set progressive-delivery:kubeconfig (as a secret) or kubeContext",
            });
            assert.strictEqual(api.seen.length, 1);
        });

        it("a missing canary Ingress: 404, no write, how to recreate it", async () => {
            api.delete("ingresses", "demo", "demo-canary");
            await assert.rejects(adapters().setWeight(20), {
                message:
                    "reading Ingress demo/demo-canary failed: Ingress demo/demo-canary does not exist (HTTP 404); this stack created it, so it was deleted outside Pulumi: run `pulumi refresh`, then `pulumi up` twice: the first recreates it but fails once more (an update creates the routes after the release, which needs the route), the second releases",
            });
            assert.deepStrictEqual(api.calls(), ["GET ingresses/demo-canary 404"]);
        });

        it("a missing stable Deployment is reported as such (the provider decides what it means)", async () => {
            api.delete("deployments", "demo", "demo-stable");
            assert.strictEqual(await adapters().stableTemplateHash(), undefined);
        });
    });

    describe("objects the program did not create are never written", () => {
        for (const [name, change, owner] of FOREIGN_OWNERS) {
            it(`${name}: the canary Ingress and the canary Deployment are refused, nothing sent but reads`, async () => {
                change(api.get("ingresses", "demo", "demo-canary")!);
                change(api.get("deployments", "demo", "demo-canary")!);
                const a = adapters();
                await assert.rejects(a.setWeight(20), {
                    message: `Ingress demo/demo-canary is not CanaryApp "demo"'s: ${owner}. ${NOT_OURS}`,
                });
                await assert.rejects(a.scaleCanary(2), {
                    message: `Deployment demo/demo-canary is not CanaryApp "demo"'s: ${owner}. ${NOT_OURS}`,
                });
                await assert.rejects(a.waitCanaryReady(0, T0 + 60_000), {
                    message: `Deployment demo/demo-canary is not CanaryApp "demo"'s: ${owner}. ${NOT_OURS}`,
                });
                assert.deepStrictEqual(
                    api.seen.map((s) => s.method),
                    ["GET", "GET", "GET"],
                );
            });
        }

        it("a foreign stable Deployment is not taken as this app's stable version", async () => {
            const stable = api.get("deployments", "demo", "demo-stable")!;
            stable.metadata.labels!["app.kubernetes.io/managed-by"] = "argocd";
            await assert.rejects(adapters().stableTemplateHash(), {
                message:
                    'Deployment demo/demo-stable is not CanaryApp "demo"\'s: it is managed by "argocd" (label app.kubernetes.io/managed-by). The rollout writes and trusts only objects this program created, so nothing was changed; give the app another app.name or app.namespace, or remove the other object',
            });
        });

        it("objects of the code before the ownership labels (app label, written by Pulumi) are the app's", async () => {
            api.reset();
            seedApp(api, { app: "demo", namespace: "demo", marks: "legacy" });
            const canary = api.get("ingresses", "demo", "demo-canary")!;
            assert.deepStrictEqual(canary.metadata.labels, { app: "demo" });
            assert.deepStrictEqual(canary.metadata.managedFields, [
                { manager: PULUMI_MANAGER, operation: "Apply" },
            ]);
            await adapters().setWeight(20);
            await adapters().scaleCanary(1);
            assert.strictEqual(await adapters().stableTemplateHash(), "h-stable");
            assert.strictEqual(api.writes().length, 2);
        });
    });
});
