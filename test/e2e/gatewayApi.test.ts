// The tutorial's three steps with router gateway-api on the embedded stack (an HTTPRoute on a
// Gateway of class istio, served by the local edge, Istio's istio_requests_total in Prometheus),
// with the header X-Canary: always and a first pause step: a request with the header reaches the
// canary before its first weight, one without it stays on stable.
import * as assert from "assert";
import { expectStable, useEmbeddedStack } from "../support/e2e";
import { failingCanaryReason, localConfig } from "../support/localStack";
import {
    canaryWeight,
    DEMO_HEADER,
    headerProbe,
    headerRules,
    pauseFirst,
    probe,
    setRouter,
} from "../../local/router";
import { Workspace } from "../../local/workspace";

/**
 * `pulumi up` of yellow over blue, probing the edge during the first (pause) step: it succeeds, and
 * before the first weight a request with the header reached yellow and one without it blue.
 */
async function upProbingHeader(ws: Workspace) {
    const probing = headerProbe(DEMO_HEADER, "yellow");
    const r = await ws.up({ killWhen: probing.watch });
    probing.done();
    const p = await probing.result;
    assert.strictEqual(r.code, 0, r.output);
    assert.strictEqual(p.error, undefined, JSON.stringify(p));
    assert.strictEqual(p.beforeFirstWeight, true, JSON.stringify(p));
    assert.strictEqual(p.header?.version, "yellow", JSON.stringify(p));
    assert.strictEqual(p.plain?.version, "blue", JSON.stringify(p));
    return r;
}

describe("gateway-api router end to end (real pulumi, embedded stack)", function () {
    this.timeout(900_000);
    let ws: Workspace;
    /** The config the stack runs: Pulumi.local.yaml with the router and the first pause. */
    const config = localConfig((raw) => {
        raw.router = { kind: "gateway-api", header: DEMO_HEADER };
        raw.rollout.steps[0] = { pause: { duration: "15s" } };
    });

    before(async function () {
        useEmbeddedStack(this);
        ws = await Workspace.create("e2e-gw");
        await ws.reset();
        await ws.setErrorRate("red", 0);
        await setRouter(ws, "gateway-api", DEMO_HEADER);
        await pauseFirst(ws, "15s");
    });

    after(async () => {
        await ws?.setErrorRate("red", 0).catch(() => undefined);
    });

    it("1. deploys blue: an HTTPRoute with all traffic on stable, no header rule, no Ingress", async () => {
        await ws.setImage("argoproj/rollouts-demo:blue");
        const r = await ws.up();
        assert.strictEqual(r.code, 0, r.output);
        assert.match(r.output, /first deployment: promoted without a canary run/);
        const state = await ws.clusterState();
        expectStable(state, "blue");
        assert.strictEqual(await canaryWeight(await ws.kubeConfig(), ws), 0);
        assert.deepStrictEqual(await headerRules(await ws.kubeConfig(), ws), []);
        await ws.waitForTraffic();
        assert.strictEqual((await probe()).version, "blue");
        assert.strictEqual((await probe(DEMO_HEADER)).version, "blue");
    });

    it("2. yellow: the header reaches the canary before its first weight; the steps pass; yellow promoted", async () => {
        await ws.setImage("argoproj/rollouts-demo:yellow");
        const r = await upProbingHeader(ws);
        for (const w of [40, 60, 80]) {
            assert.match(r.output, new RegExp(`setWeight ${w}%: canary replicas`));
        }
        const run = await ws.lastRun();
        assert.strictEqual(run?.verdict, "Promoted");
        // The threshold metric read Istio's metric.
        assert.ok(
            run!.measurements.some(
                (m) => m.phase === "Successful" && m.query.includes("istio_requests_total"),
            ),
        );
        expectStable(await ws.clusterState(), "yellow");
        // Completion removed the header route and put the weight back to 0.
        assert.deepStrictEqual(await headerRules(await ws.kubeConfig(), ws), []);
        assert.strictEqual(await canaryWeight(await ws.kubeConfig(), ws), 0);
    });

    it("3. red failing 30% of requests: rolled back to 100% stable, no header rule, pulumi up fails", async () => {
        await ws.setErrorRate("red", 0.3);
        await ws.setImage("argoproj/rollouts-demo:red");
        const r = await ws.up();
        assert.notStrictEqual(r.code, 0, r.output);
        const run = await ws.lastRun();
        assert.strictEqual(run?.verdict, "Aborted");
        assert.match(run!.reason, failingCanaryReason(config));
        assert.match(
            r.output,
            /traffic is back on the stable version and the canary is scaled to 0/,
        );
        const state = await ws.clusterState();
        expectStable(state, "yellow");
        assert.strictEqual(state.canaryReplicas, 0);
        assert.strictEqual(await canaryWeight(await ws.kubeConfig(), ws), 0);
        assert.deepStrictEqual(await headerRules(await ws.kubeConfig(), ws), []);
        await ws.waitForTraffic();
        assert.strictEqual((await probe(DEMO_HEADER)).version, "yellow");
    });
});

describe("header access with router ingress-nginx end to end (real pulumi, embedded stack)", function () {
    this.timeout(900_000);
    let ws: Workspace;

    before(async function () {
        useEmbeddedStack(this);
        ws = await Workspace.create("e2e-hdr");
        await ws.reset();
        await setRouter(ws, "ingress-nginx", DEMO_HEADER);
        await pauseFirst(ws, "15s");
    });

    after(async () => {
        await ws?.destroyStack().catch(() => undefined);
    });

    /** The canary Ingress' canary-by-header annotations (the rollout's, during a run only). */
    const headerAnnotations = async () => {
        const kc = await ws.kubeConfig();
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const k8s = require("@kubernetes/client-node") as typeof import("@kubernetes/client-node");
        const ing = await kc
            .makeApiClient(k8s.NetworkingV1Api)
            .readNamespacedIngress({ name: `${ws.app}-canary`, namespace: ws.namespace });
        return Object.keys(ing.metadata?.annotations ?? {}).filter((k) =>
            k.includes("canary-by-header"),
        );
    };

    it("blue, then yellow: the header reaches the canary before its first weight, and is gone after the promotion", async () => {
        await ws.setImage("argoproj/rollouts-demo:blue");
        let r = await ws.up();
        assert.strictEqual(r.code, 0, r.output);
        assert.deepStrictEqual(await headerAnnotations(), []);
        await ws.waitForTraffic();
        assert.strictEqual((await probe(DEMO_HEADER)).version, "blue");

        await ws.setImage("argoproj/rollouts-demo:yellow");
        r = await upProbingHeader(ws);
        assert.strictEqual((await ws.lastRun())?.verdict, "Promoted");
        expectStable(await ws.clusterState(), "yellow");
        assert.deepStrictEqual(await headerAnnotations(), []);
        assert.strictEqual(await canaryWeight(await ws.kubeConfig(), ws), 0);
    });
});
