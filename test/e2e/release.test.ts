// The release runner (npm run release) on the embedded stack, as CI runs it: a healthy canary
// is promoted (exit 0), a bad one rolled back (exit 3), a config error stops at the preview
// (exit 4), and a SIGTERM mid-canary puts all traffic back on stable within 10 s, ends the
// update as cancelled (exit 6) and leaves no lock: the next run succeeds without `pulumi cancel`.
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expectStable, useEmbeddedStack } from "../support/e2e";
import { failingCanaryReason, localConfig } from "../support/localStack";
import { ROOT } from "../support/stackConfig";
import { Workspace } from "../../local/workspace";

interface RunnerEvent {
    type: "phase" | "rollout" | "note" | "result";
    phase?: string;
    detail?: string;
    app?: string;
    message?: string;
    outcome?: string;
    exitCode?: number;
    reason?: string;
    canaryRan?: boolean;
    runs?: { app: string; verdict: string; templateHash: string; startedAt: string }[];
}

interface RunnerRun {
    child: ChildProcess;
    events: RunnerEvent[];
    /** Resolves when a rollout line matches; fails if the runner exits first. */
    waitFor(pattern: RegExp): Promise<void>;
    done: Promise<{ code: number | null; events: RunnerEvent[]; summary: string }>;
}

describe("release runner end to end (Automation API, embedded stack)", function () {
    this.timeout(900_000);
    let ws: Workspace;
    let summaryDir: string;

    before(async function () {
        useEmbeddedStack(this);
        ws = await Workspace.create("e2e-release");
        await ws.reset();
        await ws.setErrorRate("red", 0);
        summaryDir = fs.mkdtempSync(path.join(os.tmpdir(), "pd-release-e2e-"));
    });

    after(async () => {
        await ws?.setErrorRate("red", 0).catch(() => undefined);
        await ws?.destroyStack().catch(() => undefined);
    });

    /** Starts `npm run release` as CI would, without npm in between (so the pid is the runner's). */
    function release(image: string): RunnerRun {
        const summary = path.join(summaryDir, `${image.replace(/\W/g, "-")}-${Date.now()}.md`);
        console.log(`\n$ npm run release -- --stack ${ws.stack} --image ${image} --json`);
        const child = spawn(
            path.join(ROOT, "node_modules/.bin/ts-node"),
            [
                "--transpile-only",
                path.join(ROOT, "deployments/release/main.ts"),
                ...["--stack", ws.stack, "--cwd", ws.dir, "--image", image, "--json"],
            ],
            {
                cwd: ROOT,
                env: {
                    ...ws.env,
                    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
                    GITHUB_STEP_SUMMARY: summary,
                },
                stdio: ["ignore", "pipe", "inherit"],
            },
        );
        const events: RunnerEvent[] = [];
        const waiters: {
            pattern: RegExp;
            resolve: () => void;
            reject: (e: Error) => void;
        }[] = [];
        let buffered = "";
        child.stdout!.on("data", (d: Buffer) => {
            buffered += d.toString();
            const lines = buffered.split("\n");
            buffered = lines.pop()!;
            for (const line of lines.filter((l) => l.trim() !== "")) {
                console.log(`    | ${line}`);
                const e = JSON.parse(line) as RunnerEvent;
                events.push(e);
                for (const w of waiters.filter(
                    (x) => e.type === "rollout" && x.pattern.test(e.message ?? ""),
                )) {
                    w.resolve();
                }
            }
        });
        const done = new Promise<{ code: number | null; events: RunnerEvent[]; summary: string }>(
            (resolve, reject) => {
                child.on("error", reject);
                child.on("close", (code) => {
                    for (const w of waiters) {
                        w.reject(
                            new Error(
                                `the runner exited (${code}) before a line matched ${w.pattern}`,
                            ),
                        );
                    }
                    resolve({
                        code,
                        events,
                        summary: fs.existsSync(summary) ? fs.readFileSync(summary, "utf8") : "",
                    });
                });
            },
        );
        return {
            child,
            events,
            done,
            waitFor: (pattern) =>
                events.some((e) => e.type === "rollout" && pattern.test(e.message ?? ""))
                    ? Promise.resolve()
                    : new Promise<void>((resolve, reject) =>
                          waiters.push({ pattern, resolve, reject }),
                      ),
        };
    }

    const result = (events: RunnerEvent[]) => {
        const r = events.filter((e) => e.type === "result");
        assert.strictEqual(r.length, 1, "exactly one result line, the last");
        assert.strictEqual(events[events.length - 1], r[0]);
        return r[0];
    };
    /** The rollout lines' messages; every line names the app it belongs to, this stack's only. */
    const rolloutLines = (events: RunnerEvent[]) => {
        const lines = events.filter((e) => e.type === "rollout");
        assert.deepStrictEqual(
            lines.filter((e) => e.app !== ws.app),
            [],
            "every rollout line names the app",
        );
        return lines.map((e) => e.message!);
    };
    /** The canary runs the result reports, as [app, verdict]. */
    const runs = (events: RunnerEvent[]) =>
        (result(events).runs ?? []).map((r) => [r.app, r.verdict]);
    /** CanaryCompletion's line, once stable runs the promoted template. */
    const COMPLETED = /^stable runs [0-9a-f]{12}; canary weight 0, canary scaled to 0$/;

    /** Lock files of the workspace's file backend (PULUMI_BACKEND_URL=file://...). */
    const locks = (): string[] => {
        const dir = path.join(
            ws.env.PULUMI_BACKEND_URL!.replace(/^file:\/\//, ""),
            ".pulumi",
            "locks",
        );
        return fs.existsSync(dir)
            ? (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) =>
                  fs.statSync(path.join(dir, f)).isFile(),
              )
            : [];
    };

    it("first release: deployed without a canary, exit 0", async () => {
        const { code, events } = await release("argoproj/rollouts-demo:blue").done;
        assert.strictEqual(code, 0);
        assert.deepStrictEqual(
            { outcome: result(events).outcome, canaryRan: result(events).canaryRan },
            { outcome: "promoted", canaryRan: false },
        );
        const lines = rolloutLines(events);
        assert.ok(
            lines.includes("first deployment: promoted without a canary run"),
            lines.join("\n"),
        );
        assert.ok(
            lines.some((l) => COMPLETED.test(l)),
            lines.join("\n"),
        );
        assert.deepStrictEqual(runs(events), []);
        expectStable(await ws.clusterState(), "blue");
    });

    it("a healthy canary is promoted: one line per rollout event, exit 0, a step summary", async () => {
        const { code, events, summary } = await release("argoproj/rollouts-demo:yellow").done;
        assert.strictEqual(code, 0);
        assert.deepStrictEqual(
            { outcome: result(events).outcome, canaryRan: result(events).canaryRan },
            { outcome: "promoted", canaryRan: true },
        );
        const preview = events.find(
            (e) => e.type === "phase" && e.phase === "preview" && e.detail !== "started",
        );
        assert.strictEqual(preview?.detail, `a canary will run (${ws.app})`);
        const lines = rolloutLines(events);
        for (const w of [20, 40, 60, 80]) {
            assert.ok(
                lines.some((l) => new RegExp(`setWeight ${w}%: canary replicas`).test(l)),
                `${w}%`,
            );
        }
        assert.ok(lines.some((l) => /canary "rollouts-demo" promoted after 9 steps/.test(l)));
        assert.ok(
            lines.some((l) => COMPLETED.test(l)),
            lines.join("\n"),
        );
        // The run's evidence, read from the CanaryRollout's outputs in the event stream.
        assert.deepStrictEqual(runs(events), [[ws.app, "Promoted"]]);
        assert.match(summary, /^## Release `local`: promoted \(exit 0\)$/m);
        assert.match(
            summary,
            /^\| Exit code \| 0: released: the canary was promoted, or no canary was needed \|$/m,
        );
        // The run as the core's report renders it: heading, then every measurement.
        assert.match(summary, /^### Canary promoted: [0-9a-f]{12}$/m);
        assert.match(
            summary,
            /^\| [0-9.]+s \| \d+ [^|]*\| \d+% \| success-rate \| [0-9.]+ \| [^|]*\| Successful \|/m,
        );
        expectStable(await ws.clusterState(), "yellow");
    });

    it("a canary failing 30% of requests is rolled back: exit 3, stable untouched", async () => {
        await ws.setErrorRate("red", 0.3);
        try {
            const { code, events, summary } = await release("argoproj/rollouts-demo:red").done;
            assert.strictEqual(code, 3);
            const r = result(events);
            assert.strictEqual(r.outcome, "rolled-back");
            // The judge (on by default as a guard) or the success rate: each exact shape.
            assert.match(r.reason!, failingCanaryReason(localConfig()));
            assert.deepStrictEqual(runs(events), [[ws.app, "Aborted"]]);
            assert.match(summary, /^## Release `local`: rolled back \(exit 3\)$/m);
            assert.match(summary, /^### Canary rolled back: [0-9a-f]{12}$/m);
            expectStable(await ws.clusterState(), "yellow");
        } finally {
            await ws.setErrorRate("red", 0);
        }
    });

    it("an unpinned image stops at the preview: exit 4, nothing changed", async () => {
        const before = await ws.clusterState();
        const { code, events } = await release("argoproj/rollouts-demo:latest").done;
        assert.strictEqual(code, 4);
        assert.strictEqual(result(events).outcome, "invalid");
        assert.match(result(events).reason!, /invalid stack config .*app\.image/);
        assert.ok(
            !events.some((e) => e.type === "phase" && e.phase === "update"),
            "no update after a failed preview",
        );
        assert.deepStrictEqual(await ws.clusterState(), before);
    });

    it("SIGTERM mid-canary: traffic on stable within 10 s, cancelled (exit 6), no lock left", async () => {
        const run = release("argoproj/rollouts-demo:green");
        await run.waitFor(/setWeight 40%: canary replicas/);
        const mid = await ws.clusterState();
        assert.ok(mid.canaryReplicas > 0, "the canary is running when the signal comes");
        const t0 = Date.now();
        run.child.kill("SIGTERM");
        let s = await ws.clusterState();
        while ((s.weight > 0 || s.canaryReplicas > 0) && Date.now() - t0 < 30_000) {
            await new Promise((r) => setTimeout(r, 100));
            s = await ws.clusterState();
        }
        const backOnStable = (Date.now() - t0) / 1000;
        console.log(`    traffic back on stable ${backOnStable.toFixed(1)} s after SIGTERM`);
        const { code, events } = await run.done;
        const ended = (Date.now() - t0) / 1000;
        console.log(`    runner exited ${ended.toFixed(1)} s after SIGTERM (code ${code})`);
        assert.ok(backOnStable < 10, `traffic back on stable after ${backOnStable}s`);
        expectStable(s, "yellow");
        assert.strictEqual(code, 6);
        const r = result(events);
        assert.strictEqual(r.outcome, "cancelled");
        assert.match(
            r.reason!,
            /^canary "rollouts-demo" rolled back at step \d+\/9 .*the release was cancelled \(SIGTERM to the release runner\)/,
        );
        assert.deepStrictEqual(runs(events), [[ws.app, "Aborted"]]);
        assert.ok(
            events.some(
                (e) => e.type === "note" && /pulumi released the stack's lock/.test(e.message!),
            ),
            "ended by itself, not forced",
        );
        assert.deepStrictEqual(locks(), []);
    });

    it("the next release retries the cancelled canary from a reset, without pulumi cancel", async () => {
        const { code, events } = await release("argoproj/rollouts-demo:green").done;
        assert.strictEqual(code, 0, JSON.stringify(result(events)));
        const lines = rolloutLines(events);
        const reset = lines.findIndex((l) =>
            /resetting traffic to stable before the canary starts/.test(l),
        );
        const first = lines.findIndex((l) => /setWeight 20%: canary replicas/.test(l));
        assert.ok(reset >= 0 && reset < first, "reset comes before the first weight");
        expectStable(await ws.clusterState(), "green");
        assert.deepStrictEqual(locks(), []);
    });
});
