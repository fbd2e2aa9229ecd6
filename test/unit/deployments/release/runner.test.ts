// release() against a scripted engine: the stack port plays back events the way the Automation
// API delivers them, and fails the way its CommandError does.
import * as assert from "assert";
import type { EngineEvent, PreviewOptions, UpOptions } from "@pulumi/pulumi/automation";
import type { RunEvidence } from "../../../../components/rollout/core/state";
import type { ReleaseArgs } from "../../../../deployments/release/args";
import { Cancellation, CancelPorts } from "../../../../deployments/release/cancel";
import { Reporter } from "../../../../deployments/release/report";
import { release, StackPort } from "../../../../deployments/release/runner";

let seq = 0;
const ev = (e: Partial<EngineEvent>): EngineEvent => ({ sequence: seq++, timestamp: 0, ...e });
const line = (m: string, app = "shop") =>
    ev({
        diagnosticEvent: {
            message: `[canary ${app}] ${m}\n`,
            color: "never",
            severity: "info#err",
        },
    });
const ROLLOUT = "pulumi-nodejs:dynamic/progressive-delivery:CanaryRollout";
/** The CanaryRollout's outputs once its update is done: its app's new run. */
const runOutputs = (app: string, run: RunEvidence) =>
    ev({
        resOutputsEvent: {
            metadata: {
                op: "update",
                urn: `urn:pulumi:dev::p::${ROLLOUT}::${app}-rollout`,
                type: ROLLOUT,
                old: { outputs: { app, lastRun: null } },
                new: { outputs: { app, lastRun: run } },
                provider: "",
            } as never,
        },
    });
const evidence = (verdict: RunEvidence["verdict"], reason: string): RunEvidence => ({
    verdict,
    reason,
    headline: reason,
    steps: [],
    measurements: [],
    durationSeconds: 300,
    startedAt: "2026-01-01T00:00:00Z",
    templateHash: "5104a0c0ff3a",
});
const error = (m: string) =>
    ev({ diagnosticEvent: { message: m, color: "never", severity: "error" } });
const ROLLED_BACK =
    'canary "shop" rolled back at step 4/9 (setWeight 40%, weight 40%): success-rate 4 measurements failed "result[0] >= 0.95" (failureLimit 3); last value 0.71; traffic is back on the stable version and the canary is scaled to 0';

/** Pulumi's failure, as the Automation API's CommandError words it. */
const commandError = (stderr: string) =>
    Object.assign(new Error(`code: 255\n stdout: lots of output\n stderr: ${stderr}\n err?: \n`), {
        name: "CommandError",
    });

type Script = (opts: UpOptions & PreviewOptions) => Promise<void>;

class FakeStack implements StackPort {
    calls: string[] = [];
    constructor(
        private readonly previewScript: Script = async () => undefined,
        private readonly upScript: Script = async () => undefined,
    ) {}
    async setConfig(key: string, value: { value: string }, path?: boolean) {
        this.calls.push(`config ${key}=${value.value} path=${path}`);
    }
    async preview(opts: PreviewOptions) {
        this.calls.push(`preview policy=${opts.policyPacks?.join(",")}`);
        await this.previewScript(opts);
    }
    async up(opts: UpOptions) {
        this.calls.push("up");
        await this.upScript(opts);
    }
    async cancel() {
        this.calls.push("cancel");
    }
}

function harness(stack: FakeStack | (() => Promise<StackPort>), args: Partial<ReleaseArgs> = {}) {
    const printed: string[] = [];
    const controller = new AbortController();
    const timers: (() => void)[] = [];
    const cancelFile: string[] = [];
    const ports: CancelPorts = {
        writeCancelFile: (r) => cancelFile.push(r),
        interrupt: () => controller.abort(),
        pulumiPids: () => [4242],
        kill: (pid, s) => printed.push(`kill ${s} ${pid}`),
        after: (_ms, fn) => {
            timers.push(fn);
            return () => undefined;
        },
        note: (m) => printed.push(`note ${m}`),
        now: () => 0,
    };
    const cancellation = new Cancellation(ports, 8000);
    const run = () =>
        release(
            {
                stack: "dev",
                json: false,
                cwd: "/p",
                policyPacks: ["/policies"],
                cancelTimeoutSeconds: 8,
                ...args,
            },
            {
                openStack: typeof stack === "function" ? stack : async () => stack,
                reporter: new Reporter("dev", false, (l) => printed.push(l)),
                cancellation,
                signal: controller.signal,
                now: () => 0,
            },
        );
    return {
        run,
        printed,
        cancellation,
        controller,
        cancelFile,
        fireTimers: () => {
            while (timers.length > 0) {
                timers.shift()!();
            }
        },
    };
}

describe("release/runner", () => {
    it("promoted: preview, then update; one printed line per rollout event; exit 0", async () => {
        const promoted = evidence("Promoted", 'canary "shop" promoted after 9 steps in 300s');
        const stack = new FakeStack(
            async (o) => {
                o.onEvent!(
                    ev({
                        resourcePreEvent: {
                            metadata: {
                                op: "update",
                                urn: "urn:pulumi:dev::p::pulumi-nodejs:dynamic/progressive-delivery:CanaryRollout::shop-rollout",
                                type: "pulumi-nodejs:dynamic/progressive-delivery:CanaryRollout",
                                diffs: ["templateHash"],
                                new: { inputs: { app: "shop" } },
                                provider: "",
                            } as never,
                        },
                    }),
                );
            },
            async (o) => {
                o.onEvent!(line("step 1/9 setWeight 20%: canary replicas 1/4"));
                o.onEvent!(line('canary "shop" promoted after 9 steps in 300s'));
                o.onEvent!(runOutputs("shop", promoted));
                o.onEvent!(line("stable runs 5104a0c0ff3a; canary weight 0, canary scaled to 0"));
            },
        );
        const h = harness(stack, { image: "shop:1.5.0" });
        const r = await h.run();
        assert.deepStrictEqual(stack.calls, [
            "config progressive-delivery:app.image=shop:1.5.0 path=true",
            "preview policy=/policies",
            "up",
        ]);
        assert.deepStrictEqual(h.printed, [
            "release dev: preview: started",
            "release dev: preview: a canary will run (shop)",
            "release dev: update: started",
            "    0.0s  [canary shop] step 1/9 setWeight 20%: canary replicas 1/4",
            '    0.0s  [canary shop] canary "shop" promoted after 9 steps in 300s',
            "    0.0s  [canary shop] stable runs 5104a0c0ff3a; canary weight 0, canary scaled to 0",
        ]);
        assert.strictEqual(r.outcome, "promoted");
        assert.strictEqual(r.exitCode, 0);
        assert.strictEqual(r.canaryRan, true);
        assert.deepStrictEqual(r.runs, [{ app: "shop", run: promoted }]);
        assert.deepStrictEqual(h.cancelFile, []);
    });

    it("rolled back: exit 3 with the engine's reason, and the run's evidence", async () => {
        const run = evidence("Aborted", ROLLED_BACK);
        const stack = new FakeStack(undefined, async (o) => {
            o.onEvent!(line("step 4/9 setWeight 40%: canary replicas 2/4"));
            o.onEvent!(runOutputs("shop", run));
            o.onEvent!(error(`${ROLLED_BACK}\nevidence ...`));
            o.onError!("error: update failed\n");
            throw commandError("error: update failed");
        });
        const r = await harness(stack).run();
        assert.deepStrictEqual([r.outcome, r.exitCode, r.reason], ["rolled-back", 3, ROLLED_BACK]);
        assert.deepStrictEqual(r.runs, [{ app: "shop", run }]);
        assert.deepStrictEqual(r.errors, [`${ROLLED_BACK}\nevidence ...`, "update failed"]);
    });

    it("two apps: each line names its own; one rolled back fails the release (exit 3)", async () => {
        const run = evidence("Aborted", ROLLED_BACK);
        const stack = new FakeStack(undefined, async (o) => {
            o.onEvent!(line("step 1/9 setWeight 20%: canary replicas 1/4", "cart"));
            o.onEvent!(line("step 4/9 setWeight 40%: canary replicas 2/4"));
            o.onEvent!(runOutputs("shop", run));
            o.onEvent!(
                line("stable runs 5104a0c0ff3a; canary weight 0, canary scaled to 0", "cart"),
            );
            throw commandError("");
        });
        const h = harness(stack);
        const r = await h.run();
        assert.deepStrictEqual(h.printed.slice(-3), [
            "    0.0s  [canary cart] step 1/9 setWeight 20%: canary replicas 1/4",
            "    0.0s  [canary shop] step 4/9 setWeight 40%: canary replicas 2/4",
            "    0.0s  [canary cart] stable runs 5104a0c0ff3a; canary weight 0, canary scaled to 0",
        ]);
        assert.deepStrictEqual([r.outcome, r.exitCode, r.reason], ["rolled-back", 3, ROLLED_BACK]);
    });

    it("invalid config found by the preview: exit 4 and no update", async () => {
        const stack = new FakeStack(async (o) => {
            o.onEvent!(
                error(
                    "invalid stack config (1 problem); nothing was changed:\n  - progressive-delivery:app.image: bad",
                ),
            );
            throw commandError("");
        });
        const r = await harness(stack).run();
        assert.deepStrictEqual(stack.calls, ["preview policy=/policies"]);
        assert.deepStrictEqual(
            [r.outcome, r.exitCode, r.reason],
            [
                "invalid",
                4,
                "invalid stack config (1 problem); nothing was changed: - progressive-delivery:app.image: bad",
            ],
        );
    });

    it("a stack that does not exist: invalid, from the CLI's stderr", async () => {
        const h = harness(async () => {
            throw commandError("error: no stack named 'dev' found\n");
        });
        const r = await h.run();
        assert.deepStrictEqual(
            [r.outcome, r.exitCode, r.reason],
            ["invalid", 4, "no stack named 'dev' found"],
        );
    });

    it("a locked stack: infrastructure (exit 5), from pulumi's stderr", async () => {
        const locked =
            "the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.";
        const stack = new FakeStack(undefined, async (o) => {
            o.onError!(
                `error: ${locked}\n  file:///state/.pulumi/locks/x.json: created by root@ci\n`,
            );
            throw commandError(`error: ${locked}`);
        });
        const r = await harness(stack).run();
        assert.deepStrictEqual([r.outcome, r.exitCode, r.reason], ["infrastructure", 5, locked]);
    });

    it("SIGTERM mid-canary: cancel file, one SIGINT; the rollout aborts, the update ends; exit 6", async () => {
        const h = harness(async () => stack);
        const stack = new FakeStack(undefined, async (o) => {
            o.onEvent!(line("step 2/9 pause 1m at weight 20%"));
            h.cancellation.onSignal("SIGTERM", false);
            assert.strictEqual(o.signal?.aborted, true, "the Automation API sends pulumi SIGINT");
            o.onEvent!(
                error(
                    ROLLED_BACK.replace(
                        "success-rate 4 measurements failed",
                        "step 2/9 pause 1m failed: the release was cancelled (SIGTERM to the release runner)",
                    ),
                ),
            );
            throw commandError("");
        });

        const r = await h.run();
        assert.deepStrictEqual(h.cancelFile, ["SIGTERM to the release runner"]);
        assert.deepStrictEqual(
            [r.outcome, r.exitCode, r.reason],
            [
                "cancelled",
                6,
                'canary "shop" rolled back at step 4/9 (setWeight 40%, weight 40%): step 2/9 pause 1m failed: the release was cancelled (SIGTERM to the release runner) "result[0] >= 0.95" (failureLimit 3); last value 0.71; traffic is back on the stable version and the canary is scaled to 0',
            ],
        );
        assert.deepStrictEqual(r.notes, [
            "the canary was aborted: all traffic is back on stable, the canary is scaled to 0",
            "the update ended 0s after the signal; pulumi released the stack's lock",
        ]);
        assert.ok(!stack.calls.includes("cancel"), "no pulumi cancel after a clean end");
    });

    it("SIGTERM mid-canary, the program gone before it said why: the reason from the run's evidence", async () => {
        const reason = ROLLED_BACK.replace(
            "success-rate 4 measurements failed",
            "step 2/9 pause 1m failed: the release was cancelled (SIGTERM to the release runner)",
        );
        const h = harness(async () => stack);
        const stack = new FakeStack(undefined, async (o) => {
            o.onEvent!(line("step 2/9 pause 1m at weight 20%"));
            h.cancellation.onSignal("SIGTERM", false);
            o.onEvent!(runOutputs("shop", evidence("Aborted", reason)));
            throw commandError("");
        });

        const r = await h.run();
        assert.deepStrictEqual([r.outcome, r.exitCode, r.reason], ["cancelled", 6, reason]);
        assert.deepStrictEqual(r.notes, [
            "the canary was aborted: all traffic is back on stable, the canary is scaled to 0",
            "the update ended 0s after the signal; pulumi released the stack's lock",
        ]);
    });

    it("SIGTERM mid-canary, and the reset after the abort failed: the note claims no traffic on stable", async () => {
        const reason = ROLLED_BACK.replace(
            "; traffic is back on the stable version and the canary is scaled to 0",
            "; resetting traffic to stable failed the same way, so nothing was reset: the weight and the canary's pods are as the step left them. Run pulumi up again: every run resets first",
        );
        const h = harness(async () => stack);
        const stack = new FakeStack(undefined, async (o) => {
            h.cancellation.onSignal("SIGTERM", false);
            o.onEvent!(runOutputs("shop", evidence("Aborted", reason)));
            throw commandError("");
        });

        const r = await h.run();
        assert.deepStrictEqual([r.outcome, r.exitCode, r.reason], ["cancelled", 6, reason]);
        assert.deepStrictEqual(r.notes, [
            "the canary was aborted but resetting traffic to stable failed: the run's reason says what is left and the fix",
            "the update ended 0s after the signal; pulumi released the stack's lock",
        ]);
    });

    it("pulumi stopped by force: its lock is removed with pulumi cancel", async () => {
        const h = harness(async () => stack);
        const stack = new FakeStack(undefined, async () => {
            h.cancellation.onSignal("SIGINT", false);
            h.fireTimers(); // --cancel-timeout passes, then the kill grace
            throw commandError("");
        });

        const r = await h.run();
        assert.deepStrictEqual(stack.calls, ["preview policy=/policies", "up", "cancel"]);
        assert.ok(
            h.printed.includes("kill SIGTERM 4242") && h.printed.includes("kill SIGKILL 4242"),
        );
        assert.strictEqual(r.outcome, "cancelled");
        assert.deepStrictEqual(r.notes, [
            "the update ended 0s after the signal; pulumi had to be stopped, and its lock was removed",
            "removed the lock the stopped pulumi left (pulumi cancel)",
        ]);
    });

    it("a signal as the update finishes: it succeeded, so it is a promotion", async () => {
        const stack = new FakeStack(undefined, async (o) => {
            o.onEvent!(line('canary "shop" promoted after 9 steps in 300s'));
            h.cancellation.onSignal("SIGTERM", false);
        });
        const h = harness(async () => stack);
        const r = await h.run();
        assert.deepStrictEqual(
            [r.outcome, r.exitCode, r.notes],
            ["promoted", 0, ["SIGTERM came after the update had finished: nothing to cancel"]],
        );
    });

    it("a signal during the preview: nothing changed, no update", async () => {
        const h = harness(async () => stack);
        const stack = new FakeStack(async () => {
            h.cancellation.onSignal("SIGTERM", false);
            throw commandError("");
        });

        const r = await h.run();
        assert.deepStrictEqual(stack.calls, ["preview policy=/policies"]);
        assert.deepStrictEqual(
            [r.outcome, r.notes],
            ["cancelled", ["SIGTERM received before the update: nothing was changed"]],
        );
    });
});
