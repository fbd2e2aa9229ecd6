// The tutorial's three steps end to end with the real pulumi CLI, the real API server, a real
// Prometheus and the local edge; plus interrupted updates (SIGKILL at several points), retry and
// revert after a failure, preview changing nothing, and destroy leaving nothing behind.
import * as assert from "assert";
import { execFileSync } from "child_process";
import { expectStable, useEmbeddedStack } from "../support/e2e";
import { ROOT } from "../support/stackConfig";
import { Workspace } from "../../local/workspace";

describe("tutorial end to end (real pulumi, embedded stack)", function () {
    this.timeout(900_000);
    let ws: Workspace;

    before(async function () {
        useEmbeddedStack(this);
        ws = await Workspace.create("e2e");
        await ws.reset();
        await ws.setErrorRate("red", 0);
    });

    after(async () => {
        await ws?.setErrorRate("red", 0).catch(() => undefined);
    });

    it("1. deploys blue: stable, all traffic, no canary run", async () => {
        await ws.setImage("argoproj/rollouts-demo:blue");
        const r = await ws.up();
        assert.strictEqual(r.code, 0, r.output);
        assert.match(r.output, /first deployment: promoted without a canary run/);
        expectStable(await ws.clusterState(), "blue");
        assert.strictEqual((await ws.clusterState()).stableReady, 4);
    });

    it("pulumi preview of a new image changes nothing in the cluster", async () => {
        await ws.setImage("argoproj/rollouts-demo:yellow");
        const before = await ws.clusterState();
        const p = await ws.preview();
        assert.strictEqual(p.code, 0, p.output);
        assert.match(p.output, /CanaryRollout/);
        assert.deepStrictEqual(await ws.clusterState(), before);
    });

    it("2. yellow: the canary steps pass and yellow is promoted", async () => {
        const r = await ws.up();
        assert.strictEqual(r.code, 0, r.output);
        for (const w of [20, 40, 60, 80]) {
            assert.match(r.output, new RegExp(`setWeight ${w}%: canary replicas`));
        }
        const run = await ws.lastRun();
        assert.strictEqual(run?.verdict, "Promoted");
        assert.ok(run!.measurements.some((m) => m.phase === "Successful"));
        expectStable(await ws.clusterState(), "yellow");
    });

    for (const [tag, point, pattern] of [
        ["green", "while scaling to the second weight", /setWeight 40%: canary replicas/],
        ["purple", "during a measurement", /success-rate = [0-9.]+ over/],
    ] as const) {
        it(`SIGKILL ${point}: the next pulumi up resets the weight first and finishes`, async () => {
            await ws.setImage(`argoproj/rollouts-demo:${tag}`);
            const killed = await ws.up({ killWhen: (out) => pattern.test(out) });
            assert.strictEqual(killed.signal, "SIGKILL");
            // The killed run's provider host notices that pulumi is gone and puts traffic back
            // on stable by itself, instead of stepping weights with nobody watching.
            let mid = await ws.clusterState();
            for (let t = 0; t < 30 && (mid.weight > 0 || mid.canaryReplicas > 0); t++) {
                await new Promise((res) => setTimeout(res, 500));
                mid = await ws.clusterState();
            }
            assert.strictEqual(mid.weight, 0, `orphaned rollout left weight ${mid.weight}`);
            assert.strictEqual(mid.canaryReplicas, 0);
            assert.ok(
                mid.stableImage.endsWith(":yellow"),
                "stable untouched by the interrupted run",
            );
            await ws.cancel();
            // The killed CLI's other plugins (pulumi-resource-kubernetes) linger; stop them.
            execFileSync("bash", ["-c", `. "${ROOT}/local/lib.sh" && stop_orphaned_plugins`]);

            const r = await ws.up();
            assert.strictEqual(r.code, 0, r.output);
            const reset = r.output.indexOf("resetting traffic to stable");
            assert.ok(
                reset >= 0 && reset < r.output.indexOf("setWeight 20%"),
                "reset comes before the first weight",
            );
            expectStable(await ws.clusterState(), tag);
            // Back to yellow for the tutorial's step 3.
            await ws.setImage("argoproj/rollouts-demo:yellow");
            assert.strictEqual((await ws.up()).code, 0);
            expectStable(await ws.clusterState(), "yellow");
        });
    }

    it("3. red failing 30% of requests: rolled back, pulumi up fails with the reason", async () => {
        await ws.setErrorRate("red", 0.3);
        await ws.setImage("argoproj/rollouts-demo:red");
        const r = await ws.up();
        assert.notStrictEqual(r.code, 0);
        assert.match(
            r.output,
            /canary "rollouts-demo" rolled back at step \d+\/9 \(.*, weight \d+%\): success-rate \d+ measurements failed "result\[0\] >= 0.95" \(failureLimit 3\); last value 0\.\d+/,
        );
        assert.match(
            r.output,
            /traffic is back on the stable version and the canary is scaled to 0/,
        );
        expectStable(await ws.clusterState(), "yellow");
    });

    it("re-running after a failed canary retries it", async () => {
        const r = await ws.up();
        assert.notStrictEqual(r.code, 0);
        assert.match(r.output, /resetting traffic to stable before the canary starts/);
        assert.match(r.output, /rolled back at step/);
        expectStable(await ws.clusterState(), "yellow");
    });

    it("reverting the config after a failure runs no canary and leaves stable as it is", async () => {
        await ws.setImage("argoproj/rollouts-demo:yellow");
        const before = await ws.clusterState();
        const p = await ws.preview();
        assert.strictEqual(p.code, 0, p.output);
        // Preview after a failure changes nothing either.
        assert.deepStrictEqual(await ws.clusterState(), before);
        assert.doesNotMatch(p.output, /~\s+.*CanaryRollout/);
        assert.doesNotMatch(p.output, /~\s+.*rollouts-demo-stable/);
        const r = await ws.up();
        assert.strictEqual(r.code, 0, r.output);
        // No progress line: the rollout did not run (the lastRun output still lists old steps).
        assert.doesNotMatch(r.output, /\[canary rollouts-demo\] (step|resetting)/);
        assert.match(r.output, /rollouts-demo-canary updated/);
        expectStable(await ws.clusterState(), "yellow");
    });

    it("pulumi destroy leaves nothing behind", async () => {
        const r = await ws.destroy();
        assert.strictEqual(r.code, 0, r.output);
        for (let i = 0; i < 60 && (await ws.leftovers()).length > 0; i++) {
            await new Promise((res) => setTimeout(res, 500));
        }
        assert.deepStrictEqual(await ws.leftovers(), []);
    });
});
