// Fault suite, the gateway-api router: the REAL kubeAdapters (router kind gateway-api) against the
// Kubernetes API double serving gateway.networking.k8s.io/v1 HTTPRoutes, with each fault
// Kubernetes can answer. As in kubeAdapters.test.ts, time is injected (a clock that jumps by each
// sleep), so the waits asked for are asserted exactly and no test sleeps for them.
import * as assert from "assert";
import {
    FIELD_MANAGER,
    KubeOptions,
    loadKubeConfig,
    MAX_ATTEMPTS,
} from "../../components/rollout/adapters/kube";
import { kubeAdapters } from "../../components/rollout/provider/cluster";
import { FOREIGN_OWNERS, httpRoute, KubeApiDouble, NOT_OURS, seedApp } from "../support/kubeApi";
import { DEMO_TARGET } from "../support/rolloutRun";

const T0 = 1_800_000_000_000;
const HEADER = { name: "X-Canary", value: "always" };
/** CanaryApp's target for gateway-api: the HTTPRoute is named after the app. */
const TARGET = { ...DEMO_TARGET, canaryIngress: "demo", router: { kind: "gateway-api" as const } };
const SET_20 =
    "setting the backendRef weights of HTTPRoute demo/demo to 80 (demo-stable) and 20 (demo-canary)";
const FORBIDDEN_FIX =
    'in namespace "demo": grant the rollout get and patch on deployments.apps and httproutes.gateway.networking.k8s.io there (a Role and a RoleBinding)';
const NO_WEIGHTED_RULE =
    "HTTPRoute demo/demo has no rule with backendRefs to both demo-stable and demo-canary, so the rollout cannot weigh them; it was changed outside Pulumi: run `pulumi refresh`, then `pulumi up` to restore it";
/** The header rule a run adds in front of the weighted rule (path "/" plus the header). */
const HEADER_RULE = {
    matches: [
        {
            path: { type: "PathPrefix", value: "/" },
            headers: [{ type: "Exact", name: "X-Canary", value: "always" }],
        },
    ],
    backendRefs: [{ group: "", kind: "Service", name: "demo-canary", port: 80, weight: 1 }],
};
/** A rule someone else added to the route: the rollout must leave it as it is. */
const OTHER_RULE = {
    matches: [{ path: { type: "PathPrefix", value: "/api" } }],
    filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { add: [{ name: "a" }] } }],
    backendRefs: [{ group: "", kind: "Service", name: "demo-api", port: 8080, weight: 1 }],
};

describe("faults: gateway-api router (real adapters, HTTPRoutes on the API double)", () => {
    const api = new KubeApiDouble();
    let t: number;
    let waits: number[];

    before(() => api.start());
    after(() => api.stop());
    beforeEach(() => {
        api.reset();
        seedApp(api, { app: "demo", namespace: "demo", router: "gateway-api" });
        t = T0;
        waits = [];
    });

    /** Adapters with a deadline `deadlineMs` after T0 on a clock that jumps by each sleep. */
    const adapters = (deadlineMs = 600_000, extra: Partial<KubeOptions> = {}) =>
        kubeAdapters(
            loadKubeConfig({ kubeconfig: api.kubeconfig() }),
            { ...TARGET, router: { kind: "gateway-api", header: HEADER } },
            {
                deadline: T0 + deadlineMs,
                pollMs: 1000,
                now: () => t,
                sleep: async (ms) => {
                    waits.push(ms);
                    t += ms;
                },
                ...extra,
            },
        );
    const route = () => api.get("httproutes", "demo", "demo")!;

    describe("409 Conflict: re-read, check the owner again, patch again", () => {
        it("a concurrent writer between the read and the write: the second patch carries the new resourceVersion and only spec.rules", async () => {
            const rv = Number(route().metadata.resourceVersion);
            api.inject({ method: "PATCH", resource: "httproutes", interfere: true });
            await adapters().setWeight(20);
            assert.deepStrictEqual(api.calls(), [
                "GET httproutes/demo 200",
                "PATCH httproutes/demo 409",
                "GET httproutes/demo 200",
                "PATCH httproutes/demo 200",
            ]);
            const [read, first, reread, second] = api.seen;
            assert.strictEqual(first.body.metadata.resourceVersion, String(rv));
            assert.strictEqual(reread.answer, 200);
            assert.strictEqual(second.body.metadata.resourceVersion, String(rv + 1));
            assert.strictEqual(read.contentType, undefined);
            assert.strictEqual(second.contentType, "application/merge-patch+json");
            assert.strictEqual(second.query.get("fieldManager"), FIELD_MANAGER);
            assert.deepStrictEqual(Object.keys(second.body).sort(), ["metadata", "spec"]);
            assert.deepStrictEqual(Object.keys(second.body.spec), ["rules"]);
            assert.deepStrictEqual(route().spec, httpRoute("demo", "demo", 80));
            // The other writer's change survives: the patch carries the rules, nothing else.
            assert.strictEqual(route().metadata.annotations!.touched, String(rv + 1));
            assert.deepStrictEqual(waits, [50]);
        });

        it("a concurrent writer that adds a rule and a hostname: the re-read keeps both, so no edit is lost", async () => {
            const rv = Number(route().metadata.resourceVersion);
            api.inject({
                method: "PATCH",
                resource: "httproutes",
                interfere: (o) => {
                    o.spec!.rules.push(OTHER_RULE);
                    o.spec!.hostnames.push("demo.example.com");
                },
            });
            await adapters().setWeight(20);
            const want = httpRoute("demo", "demo", 80);
            assert.deepStrictEqual(route().spec, {
                ...want,
                hostnames: ["demo.local", "demo.example.com"],
                rules: [...want.rules, OTHER_RULE],
            });
            assert.deepStrictEqual(
                api.writes().map((s) => s.body.metadata.resourceVersion),
                [String(rv + 1)],
            );
        });

        it("a concurrent writer that removes the weighted rule: the re-read refuses the route, nothing written", async () => {
            api.inject({
                method: "PATCH",
                resource: "httproutes",
                interfere: (o) => {
                    o.spec!.rules = [OTHER_RULE];
                },
            });
            await assert.rejects(adapters().setWeight(20), { message: NO_WEIGHTED_RULE });
            assert.deepStrictEqual(api.writes(), []);
        });

        it("a concurrent writer that hands the route to another app: the re-read refuses it", async () => {
            api.inject({
                method: "PATCH",
                resource: "httproutes",
                interfere: (o) => {
                    o.metadata.labels!["app.kubernetes.io/instance"] = "shop";
                },
            });
            await assert.rejects(adapters().setWeight(20), {
                message: `HTTPRoute demo/demo is not CanaryApp "demo"'s: it belongs to app "shop" (label app.kubernetes.io/instance). ${NOT_OURS}`,
            });
            assert.deepStrictEqual(api.writes(), []);
        });

        it(`a route that changes under every write: gives up after ${MAX_ATTEMPTS} tries, naming it`, async () => {
            api.inject({ method: "PATCH", resource: "httproutes", interfere: true, times: 100 });
            await assert.rejects(adapters().setWeight(20), {
                message: `${SET_20} failed: HTTPRoute demo/demo changed under every one of ${MAX_ATTEMPTS} writes (HTTP 409 Conflict); another client keeps writing it: find it in the object's managedFields`,
            });
            assert.strictEqual(api.seen.filter((s) => s.method === "PATCH").length, MAX_ATTEMPTS);
            assert.deepStrictEqual(api.writes(), []);
            assert.deepStrictEqual(route().spec, httpRoute("demo", "demo"));
        });
    });

    describe("429 Too Many Requests: wait Retry-After, bounded by the deadline", () => {
        it("waits the seconds the API server asks for, then the weight write lands once", async () => {
            api.inject({ method: "PATCH", resource: "httproutes", status: 429, retryAfter: "3" });
            await adapters().setWeight(20);
            assert.deepStrictEqual(waits, [3000]);
            assert.deepStrictEqual(api.calls(), [
                "GET httproutes/demo 200",
                "PATCH httproutes/demo 429",
                "PATCH httproutes/demo 200",
            ]);
            assert.deepStrictEqual(route().spec, httpRoute("demo", "demo", 80));
        });

        it("without Retry-After, backs off as for a 5xx", async () => {
            api.inject({ method: "GET", resource: "httproutes", status: 429, times: 2 });
            await adapters().setWeight(20);
            assert.deepStrictEqual(waits, [200, 400]);
            assert.strictEqual(api.writes().length, 1);
        });

        it("a Retry-After past the deadline fails at once, without waiting", async () => {
            api.inject({ method: "PATCH", resource: "httproutes", status: 429, retryAfter: "120" });
            await assert.rejects(adapters(60_000).setWeight(20), {
                message: `${SET_20} failed: HTTP 429: Too many requests, please try again later.; the API server asked to retry after 120s, but retrying would pass the rollout's deadline`,
            });
            assert.deepStrictEqual(waits, []);
            assert.deepStrictEqual(api.writes(), []);
        });

        it("putting 100% back on stable may still retry past the deadline", async () => {
            api.put("httproutes", { ...route(), spec: httpRoute("demo", "demo", 40) });
            t = T0 + 10_000; // the deadline (T0 + 5 s) has passed: the run is being rolled back
            api.inject({ method: "PATCH", resource: "httproutes", status: 429 });
            await adapters(5000).setWeight(0);
            assert.deepStrictEqual(waits, [200]);
            assert.deepStrictEqual(route().spec, httpRoute("demo", "demo"));
        });
    });

    describe("403, 404: no retry, the object and the fix named", () => {
        it("403 on the weight write names patch on httproutes and the RBAC permission", async () => {
            api.inject({ method: "PATCH", resource: "httproutes", status: 403 });
            await assert.rejects(adapters().setWeight(20), {
                message:
                    `${SET_20} failed: HTTP 403: httproutes.gateway.networking.k8s.io "demo" is forbidden: User "system:serviceaccount:ci:deployer" cannot patch resource "httproutes" in API group "gateway.networking.k8s.io" in the namespace "demo"; ` +
                    `the kubeconfig's user needs the RBAC permission to patch httproutes (API group "gateway.networking.k8s.io") ${FORBIDDEN_FIX}`,
            });
            assert.deepStrictEqual(api.calls(), [
                "GET httproutes/demo 200",
                "PATCH httproutes/demo 403",
            ]);
            assert.deepStrictEqual(waits, []);
        });

        it("403 on the read before the header write names get on httproutes", async () => {
            api.inject({ method: "GET", resource: "httproutes", status: 403 });
            await assert.rejects(adapters().setHeaderRoute(true), {
                message:
                    'reading HTTPRoute demo/demo failed: HTTP 403: httproutes.gateway.networking.k8s.io "demo" is forbidden: User "system:serviceaccount:ci:deployer" cannot get resource "httproutes" in API group "gateway.networking.k8s.io" in the namespace "demo"; ' +
                    `the kubeconfig's user needs the RBAC permission to get httproutes (API group "gateway.networking.k8s.io") ${FORBIDDEN_FIX}`,
            });
            assert.deepStrictEqual(api.calls(), ["GET httproutes/demo 403"]);
        });

        it("403 on the canary's scale: the fix names httproutes, the router's resource, not ingresses", async () => {
            api.inject({ method: "PATCH", resource: "deployments", status: 403 });
            await assert.rejects(adapters().scaleCanary(1), {
                message:
                    'scaling Deployment demo/demo-canary to 1 failed: HTTP 403: deployments.apps "demo-canary" is forbidden: User "system:serviceaccount:ci:deployer" cannot patch resource "deployments" in API group "apps" in the namespace "demo"; ' +
                    `the kubeconfig's user needs the RBAC permission to patch deployments (API group "apps") ${FORBIDDEN_FIX}`,
            });
        });

        it("a route deleted outside Pulumi: 404, no write, how to recreate it", async () => {
            api.delete("httproutes", "demo", "demo");
            await assert.rejects(adapters().setWeight(20), {
                message:
                    "reading HTTPRoute demo/demo failed: HTTPRoute demo/demo does not exist (HTTP 404); this stack created it, so it was deleted outside Pulumi: run `pulumi refresh`, then `pulumi up` twice: the first recreates it but fails once more (an update creates the routes after the release, which needs the route), the second releases",
            });
            assert.deepStrictEqual(api.calls(), ["GET httproutes/demo 404"]);
        });

        it("an HTTPRoute is found under its own API group only", async () => {
            const res = await fetch(
                `http://127.0.0.1:${api.port}/apis/networking.k8s.io/v1/namespaces/demo/httproutes/demo`,
            );
            assert.strictEqual(res.status, 404);
        });
    });

    describe("what the writes keep, and what they refuse", () => {
        it("a run's writes change only the weights and the header rule: every other field and rule is kept", async () => {
            const seeded = httpRoute("demo", "demo");
            const weighted = {
                ...seeded.rules[0],
                filters: [{ type: "ResponseHeaderModifier", responseHeaderModifier: {} }],
                timeouts: { request: "10s" },
            };
            weighted.backendRefs[0] = { ...weighted.backendRefs[0], filters: [] } as never;
            const spec = { ...seeded, rules: [weighted, OTHER_RULE] };
            api.put("httproutes", { ...route(), spec: JSON.parse(JSON.stringify(spec)) });
            const a = adapters();
            const weights = () =>
                route().spec!.rules.map((r: { backendRefs: { weight: number }[] }) =>
                    r.backendRefs.map((b) => b.weight),
                );
            await a.setHeaderRoute(true);
            assert.deepStrictEqual(route().spec, { ...spec, rules: [HEADER_RULE, ...spec.rules] });
            await a.setWeight(60);
            assert.deepStrictEqual(weights(), [[1], [40, 60], [1]]);
            assert.deepStrictEqual(route().spec!.parentRefs, seeded.parentRefs);
            // The abort's reset: 100% on stable, the header rule gone; the route as it was.
            await a.setWeight(0);
            await a.setHeaderRoute(false);
            assert.deepStrictEqual(route().spec, spec);
            assert.strictEqual(api.writes().length, 4);
            // Nothing left to change: reads only.
            await a.setWeight(0);
            await a.setHeaderRoute(false);
            assert.strictEqual(api.writes().length, 4);
            assert.deepStrictEqual(
                api.seen.slice(-2).map((s) => s.method),
                ["GET", "GET"],
            );
        });

        it("a route whose weighted rule was edited away (by hand): refused, nothing written", async () => {
            route().spec!.rules[0].backendRefs.pop();
            await assert.rejects(adapters().setWeight(20), { message: NO_WEIGHTED_RULE });
            await assert.rejects(adapters().setHeaderRoute(true), { message: NO_WEIGHTED_RULE });
            assert.deepStrictEqual(api.writes(), []);
        });

        for (const [name, change, owner] of FOREIGN_OWNERS) {
            it(`an HTTPRoute (${name}): the weight and the header rule are refused, nothing sent but reads`, async () => {
                change(route());
                const message = `HTTPRoute demo/demo is not CanaryApp "demo"'s: ${owner}. ${NOT_OURS}`;
                await assert.rejects(adapters().setWeight(0), { message });
                await assert.rejects(adapters().setHeaderRoute(false), { message });
                assert.deepStrictEqual(api.calls(), [
                    "GET httproutes/demo 200",
                    "GET httproutes/demo 200",
                ]);
            });
        }
    });
});
