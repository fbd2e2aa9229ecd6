// A route deleted outside Pulumi, end to end (real pulumi, embedded stack): the canary Ingress is
// gone when a new image is released. The update fails, changes nothing, and its reason ends with
// the fix; the fix, followed as written, recovers: after `pulumi refresh`, the first `pulumi up`
// fails once more but recreates the route (an update creates the routes after the release, which
// needs the route), and the second releases. Its own workspace ("routegone").
import * as assert from "assert";
import { expectStable, useEmbeddedStack } from "../support/e2e";
import { Workspace } from "../../local/workspace";

/** The fix the rolled-back reason ends with (adapters/kube.ts, a route's 404). */
const FIX =
    "Fix: run `pulumi refresh`, then `pulumi up` twice: the first recreates it but fails once more " +
    "(an update creates the routes after the release, which needs the route), the second releases; " +
    "the next pulumi up resets traffic first";

describe("a canary Ingress deleted outside Pulumi (real pulumi, embedded stack)", function () {
    this.timeout(900_000);
    let ws: Workspace;
    let canaryIngress: string;

    const k8s = () =>
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require("@kubernetes/client-node") as typeof import("@kubernetes/client-node");
    const networking = async () => (await ws.kubeConfig()).makeApiClient(k8s().NetworkingV1Api);
    /** The stable Deployment's image (clusterState reads the canary Ingress, which may be gone). */
    const stableImage = async () => {
        const apps = (await ws.kubeConfig()).makeApiClient(k8s().AppsV1Api);
        const d = await apps.readNamespacedDeployment({
            name: `${ws.app}-stable`,
            namespace: ws.namespace,
        });
        return d.spec?.template.spec?.containers[0].image ?? "";
    };

    before(async function () {
        useEmbeddedStack(this);
        ws = await Workspace.create("routegone");
        canaryIngress = `${ws.app}-canary`;
        await ws.reset();
        await ws.setErrorRate("yellow", 0);
        await ws.setImage("argoproj/rollouts-demo:blue");
        const r = await ws.up();
        assert.strictEqual(r.code, 0, r.output);
        expectStable(await ws.clusterState(), "blue");
    });

    it("the release fails naming the Ingress and the fix; stable keeps blue", async () => {
        await (
            await networking()
        ).deleteNamespacedIngress({
            name: canaryIngress,
            namespace: ws.namespace,
        });
        await ws.setImage("argoproj/rollouts-demo:yellow");
        const r = await ws.up();
        assert.notStrictEqual(r.code, 0, r.output);
        const run = (await ws.lastRun())!;
        assert.strictEqual(run.verdict, "Aborted");
        const gone = `Ingress ${ws.namespace}/${canaryIngress} does not exist (HTTP 404)`;
        assert.ok(run.reason.includes(gone), run.reason);
        assert.ok(run.reason.endsWith(FIX), run.reason);
        assert.ok(r.output.includes(gone), r.output);
        assert.ok((await stableImage()).endsWith(":blue"));
    });

    it("pulumi refresh, then pulumi up twice: the first recreates the Ingress and fails once more, the second releases yellow", async () => {
        await ws.mustPulumi(["refresh", "--yes", "--skip-preview", "--stack", ws.stack]);
        const first = await ws.up();
        assert.notStrictEqual(first.code, 0, first.output);
        assert.ok((await ws.lastRun())!.reason.endsWith(FIX));
        assert.match(
            first.output,
            /\+\s+kubernetes:networking.k8s.io\/v1:Ingress rollouts-demo-canary created/,
        );
        assert.ok((await stableImage()).endsWith(":blue"));
        // The Ingress is back as the program declares it: no weight (the rollout owns it).
        const ingress = await (
            await networking()
        ).readNamespacedIngress({
            name: canaryIngress,
            namespace: ws.namespace,
        });
        assert.strictEqual(
            ingress.metadata?.annotations?.["nginx.ingress.kubernetes.io/canary-weight"],
            undefined,
        );
        const second = await ws.up();
        assert.strictEqual(second.code, 0, second.output);
        assert.strictEqual((await ws.lastRun())!.verdict, "Promoted");
        expectStable(await ws.clusterState(), "yellow");
    });
});
