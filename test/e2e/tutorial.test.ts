// The tutorial's three steps end to end with the real pulumi CLI, the real API server, a real
// Prometheus and the local edge; plus interrupted updates (SIGKILL at several points), retry and
// revert after a failure, preview changing nothing, and destroy leaving nothing behind.
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import { expectStable, useEmbeddedStack } from "../support/e2e";
import { failingCanaryReason, localConfig } from "../support/localStack";
import { ROOT } from "../support/stackConfig";
import { ClusterState, Workspace } from "../../local/workspace";

describe("tutorial end to end (real pulumi, embedded stack)", function () {
    this.timeout(900_000);
    let ws: Workspace;
    /** The tag stable runs: each test that promotes a new version moves it. */
    let stableTag = "yellow";

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
        await ws.setImage(`argoproj/rollouts-demo:${stableTag}`);
        const before = await ws.steadyState();
        const p = await ws.preview();
        assert.strictEqual(p.code, 0, p.output);
        assert.match(p.output, /CanaryRollout/);
        // Preview tells the plan: a canary will run, how, for how long, until when.
        assert.match(
            p.output,
            /\[canary rollouts-demo\] preview: a canary will run for template [0-9a-f]{12}: setWeight 20% -> .* about \d+s if healthy, rolled back at the latest after the deadline of \d+s/,
        );
        assert.deepStrictEqual(await ws.steadyState(), before);
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

    // Interrupted updates: `pulumi up` killed (SIGKILL, as a CI runner's OOM or a closed laptop
    // does) at each point where the cluster is mid-change. Each test releases a new tag; after
    // the kill all traffic is on a version that passed analysis, and the next `pulumi up`
    // converges with no manual edit (`pulumi cancel` only removes the dead CLI's lock).
    const KILL_POINTS: { point: string; at: RegExp; tag: string; phase: Phase }[] = [
        {
            point: "at the first weight write",
            at: /setWeight 20%: canary replicas/,
            tag: "green",
            phase: "canary",
        },
        {
            point: "at the second weight write",
            at: /setWeight 40%: canary replicas/,
            tag: "purple",
            phase: "canary",
        },
        {
            point: "at the third weight write",
            at: /setWeight 60%: canary replicas/,
            tag: "blue",
            phase: "canary",
        },
        {
            point: "at the fourth weight write",
            at: /setWeight 80%: canary replicas/,
            tag: "orange",
            phase: "canary",
        },
        {
            point: "during a measurement",
            at: /success-rate = [0-9.]+ over/,
            tag: "green",
            phase: "canary",
        },
        {
            point: "during the rollback",
            at: /rolled back at step/,
            tag: "purple",
            phase: "rollback",
        },
        {
            point: "while stable rolls out",
            at: /Deployment rollouts-demo-stable updating/,
            tag: "blue",
            phase: "promoted",
        },
        {
            point: "during completion",
            at: /CanaryCompletion rollouts-demo-completion updating/,
            tag: "orange",
            phase: "promoted",
        },
    ];
    for (const { point, at, tag, phase } of KILL_POINTS) {
        it(`SIGKILL ${point}: traffic on a version that passed analysis, the next pulumi up converges`, async () => {
            const before = stableTag;
            assert.notStrictEqual(tag, before, "each interrupted release changes the image");
            // During the rollback: the canary fails its analysis, and pulumi dies mid-reset.
            await ws.setErrorRate(tag, phase === "rollback" ? 0.3 : 0);
            try {
                await ws.setImage(`argoproj/rollouts-demo:${tag}`);
                const killed = await ws.up({ killWhen: (out) => at.test(out) });
                assert.strictEqual(killed.signal, "SIGKILL", `not killed:\n${killed.output}`);
                if (phase === "promoted") {
                    // The rollout promoted `tag` before the kill: stable may be mid-rollout from
                    // one analysed version to the other; any canary traffic goes to `tag`.
                    const mid = await ws.steadyState();
                    assert.ok(mid.canaryImage.endsWith(`:${tag}`), mid.canaryImage);
                    assert.ok(
                        [before, tag].some((t) => mid.stableImage.endsWith(`:${t}`)),
                        `stable runs ${mid.stableImage}`,
                    );
                } else {
                    // The killed run's provider host notices that pulumi is gone and puts
                    // traffic back on stable by itself, instead of going on with nobody watching.
                    const mid = await waitForState(
                        ws,
                        (s) => s.weight === 0 && s.canaryReplicas === 0,
                        20_000,
                    );
                    const events = async () =>
                        (await ws.events("rollouts-demo-canary"))
                            .map((e) => `${e.reason}: ${e.message}`)
                            .join("\n");
                    assert.strictEqual(mid.weight, 0, `orphaned rollout left weight ${mid.weight}`);
                    assert.strictEqual(
                        mid.canaryReplicas,
                        0,
                        `orphaned rollout left ${mid.canaryReplicas} canary replicas; events:\n${await events()}`,
                    );
                    expectStable(mid, before);
                }
            } finally {
                // The dead CLI's lock and its other plugins (pulumi-resource-kubernetes) linger.
                await ws.cancel().catch(() => undefined);
                execFileSync("bash", ["-c", `. "${ROOT}/local/lib.sh" && stop_orphaned_plugins`]);
            }

            const r = await ws.up();
            const canaryStart = r.output.search(/setWeight 20%: canary replicas/);
            if (phase === "promoted") {
                assert.strictEqual(r.code, 0, r.output);
                assert.strictEqual(canaryStart, -1, "a promoted version is not canaried again");
                stableTag = tag;
            } else {
                const reset = r.output.indexOf(
                    "resetting traffic to stable before the canary starts",
                );
                assert.ok(
                    reset >= 0 && reset < canaryStart,
                    `reset comes before the first weight:\n${r.output}`,
                );
                if (phase === "rollback") {
                    // Still failing: retried from a reset and rolled back again, stable untouched.
                    assert.notStrictEqual(r.code, 0, r.output);
                    assert.match(r.output, /rolled back at step/);
                } else {
                    assert.strictEqual(r.code, 0, r.output);
                    stableTag = tag;
                }
            }
            await ws.setErrorRate(tag, 0);
            expectStable(await ws.clusterState(), stableTag);
        });
    }

    it("3. red failing 30% of requests: rolled back, pulumi up fails with the reason", async () => {
        // Notifications to a local receiver, in both formats.
        const hook = await webhookReceiver();
        after(() => hook.close());
        const config = (path: string, value: string, secret = false) =>
            ws.mustPulumi([
                "config",
                "set",
                "--path",
                path,
                value,
                ...(secret ? ["--secret"] : []),
            ]);
        await config("rollout.notifications[0].name", "ops");
        await config("rollout.notifications[1].name", "chat");
        await config("rollout.notifications[1].format", "slack");
        await config("notificationUrls.ops", `${hook.url}/ops`, true);
        await config("notificationUrls.chat", `${hook.url}/chat`, true);
        await ws.setErrorRate("red", 0.3);
        await ws.setImage("argoproj/rollouts-demo:red");
        const r = await ws.up();
        assert.notStrictEqual(r.code, 0);
        expectStable(await ws.clusterState(), stableTag);
        // The evidence survives the failure: the stack's outputs show the rolled-back run,
        // every measurement with its query, and keep the last promoted run beside it.
        const out = async (name: string) =>
            JSON.parse(await ws.mustPulumi(["stack", "output", name, "--json"]));
        const run = await out("lastRun");
        assert.strictEqual(run.verdict, "Aborted");
        // Decided by the judge (on by default as a guard), usually, or by the success rate's
        // fourth failure: each with its exact shape (test/unit/localStack.test.ts runs the
        // engine on these settings). pulumi up prints it, and fails with it.
        assert.match(run.reason, failingCanaryReason(localConfig()));
        assert.ok(r.output.includes(run.reason.split("; query: ")[0]), r.output);
        assert.match(
            r.output,
            /traffic is back on the stable version and the canary is scaled to 0/,
        );
        assert.ok(run.measurements.some((m: { phase: string }) => m.phase === "Failed"));
        assert.ok(run.measurements.every((m: { query: string }) => m.query !== undefined));
        const promoted = await out("lastPromotedRun");
        assert.strictEqual(promoted.verdict, "Promoted");
        assert.notStrictEqual(promoted.templateHash, run.templateHash);
        assert.match(
            await out("lastVerdict"),
            /^rolled back [0-9a-f]{12} \(run of .*\): at step \d+\/9/,
        );
        // pulumi up's summary shows the new one-line verdict (as the change of the output).
        assert.match(r.output, /lastVerdict\s*:.*=> "rolled back [0-9a-f]{12}/);
        assert.ok(!r.output.includes(hook.url), "webhook URLs are secrets: never printed");

        // Each notification arrived: start, every step, the rollback; Slack's format too.
        const ops = hook.got
            .filter((g) => g.path === "/ops")
            .map((g) => g.body as { event: string });
        assert.strictEqual(ops[0].event, "Started");
        assert.ok(ops.filter((e) => e.event === "StepStarted").length >= 2);
        assert.strictEqual(ops[ops.length - 1].event, "RolledBack");
        const chat = hook.got
            .filter((g) => g.path === "/chat")
            .map((g) => g.body as { text: string });
        assert.match(
            chat[chat.length - 1].text,
            /^:x: \*rollouts-demo\* RolloutRolledBack: canary "rollouts-demo" rolled back/,
        );

        // `kubectl get events` lists the release on the canary Deployment.
        const reasons = (await ws.events("rollouts-demo-canary")).map((e) => e.reason);
        for (const reason of [
            "RolloutStarted",
            "RolloutStep",
            "AnalysisFailed",
            "RolloutRolledBack",
        ]) {
            assert.ok(reasons.includes(reason), `no ${reason} event in ${reasons.join(", ")}`);
        }

        // The run's report: its path is the last progress line, and the page is there.
        const report = /report: (\S+\.html)/.exec(r.output)?.[1];
        assert.ok(report && fs.existsSync(report), `report ${report} written`);
        assert.match(fs.readFileSync(report!, "utf8"), /<h1 id="verdict" class="rolled-back">/);
    });

    it("re-running after a failed canary retries it", async () => {
        const r = await ws.up();
        assert.notStrictEqual(r.code, 0);
        assert.match(r.output, /resetting traffic to stable before the canary starts/);
        assert.match(r.output, /rolled back at step/);
        expectStable(await ws.clusterState(), stableTag);
    });

    it("reverting the config after a failure runs no canary and leaves stable as it is", async () => {
        await ws.setImage(`argoproj/rollouts-demo:${stableTag}`);
        const before = await ws.steadyState();
        const p = await ws.preview();
        assert.strictEqual(p.code, 0, p.output);
        // Preview after a failure changes nothing either.
        assert.deepStrictEqual(await ws.steadyState(), before);
        // The CanaryRollout may update its state (step 3 added notifications to the config), but
        // its template is the promoted one: no canary.
        assert.doesNotMatch(p.output, /a canary will run/);
        assert.match(p.output, /preview: no canary will run: the pod template is unchanged/);
        assert.doesNotMatch(p.output, /~\s+.*rollouts-demo-stable/);
        const r = await ws.up();
        assert.strictEqual(r.code, 0, r.output);
        // No progress line: the rollout did not run (the lastRun output still lists old steps).
        assert.doesNotMatch(r.output, /\[canary rollouts-demo\] (step|resetting)/);
        assert.match(r.output, /rollouts-demo-canary updated/);
        expectStable(await ws.clusterState(), stableTag);
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

/** A local webhook receiver that records each POST's path and JSON body. */
async function webhookReceiver(): Promise<{
    url: string;
    got: { path: string; body: unknown }[];
    close(): Promise<void>;
}> {
    const got: { path: string; body: unknown }[] = [];
    const server = http.createServer((req, res) => {
        let data = "";
        req.on("data", (d) => (data += d));
        req.on("end", () => {
            got.push({ path: req.url ?? "", body: JSON.parse(data) });
            res.writeHead(200).end();
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        got,
        close: () => new Promise((r) => server.close(() => r())),
    };
}

type Phase = "canary" | "rollback" | "promoted";

/** The cluster's state once `done` holds, or as it is after `ms`. */
async function waitForState(
    ws: Workspace,
    done: (s: ClusterState) => boolean,
    ms: number,
): Promise<ClusterState> {
    const until = Date.now() + ms;
    let s = await ws.clusterState();
    while (!done(s) && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 500));
        s = await ws.clusterState();
    }
    return s;
}
