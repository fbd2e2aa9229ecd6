// A route deleted outside Pulumi, end to end (real pulumi, embedded stack): the canary Ingress is
// gone when a new image is released. The update fails, changes nothing, and its reason ends with
// the fix; the fix, followed as written, recovers: a plain `pulumi up` after `pulumi refresh`
// fails the same way (the routes follow the release), a `pulumi up --target` of the route's URN
// recreates it, and the next `pulumi up` releases. Its own workspace ("routegone").
import * as assert from "assert";
import { expectStable, useEmbeddedStack } from "../support/e2e";
import { Workspace } from "../../local/workspace";

/** The fix the rolled-back reason ends with (adapters/kube.ts, a route's 404). */
const FIX =
    "Fix: run `pulumi refresh`, then recreate it alone with `pulumi up --target '<its URN>'` " +
    "(`pulumi preview --urns` shows it to be created; a plain pulumi up releases first and fails " +
    "the same way), then `pulumi up`; the next pulumi up resets traffic first";

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

    it("after pulumi refresh a plain pulumi up fails the same way, as the fix says", async () => {
        await ws.mustPulumi(["refresh", "--yes", "--skip-preview", "--stack", ws.stack]);
        const r = await ws.up();
        assert.notStrictEqual(r.code, 0, r.output);
        assert.ok((await ws.lastRun())!.reason.endsWith(FIX));
    });

    it("pulumi up --target of the route's URN recreates it alone; the next pulumi up releases yellow", async () => {
        const preview = await ws.mustPulumi(["preview", "--urns", "--stack", ws.stack]);
        const urn = preview
            .split("\n")
            .filter((l) => /\bcreate\b/.test(l))
            .map((l) => /(urn:pulumi:\S+Ingress::\S+)/.exec(l)?.[1])
            .find((u) => u !== undefined);
        assert.ok(urn, `no Ingress to create in:\n${preview}`);
        const target = await ws.pulumi([
            "up",
            "--yes",
            "--skip-preview",
            "--target",
            urn!,
            "--stack",
            ws.stack,
        ]);
        assert.strictEqual(target.code, 0, target.output);
        // Only the route: no canary ran, stable is still blue, the canary Ingress is back
        // without a weight (the failed runs' canary pods, which no route reached, are the next run's to reset).
        assert.doesNotMatch(target.output, /\[canary rollouts-demo\] step/);
        assert.ok((await stableImage()).endsWith(":blue"));
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
        const r = await ws.up();
        assert.strictEqual(r.code, 0, r.output);
        assert.strictEqual((await ws.lastRun())!.verdict, "Promoted");
        expectStable(await ws.clusterState(), "yellow");
    });
});
