// One release: preview, then update, through the Automation API, with the outcome read from the
// engine's events. The stack is a port so tests can drive a scripted engine.
import type {
    ConfigValue,
    EngineEvent,
    PreviewOptions,
    UpOptions,
} from "@pulumi/pulumi/automation";
import { resetFailed, RESTORED } from "../../components/rollout/core/restore";
import type { ReleaseArgs } from "./args";
import type { Cancellation } from "./cancel";
import { EventLog } from "./events";
import { classify, exitCode, Facts } from "./outcome";
import type { ReleaseResult, Reporter } from "./report";

/** The parts of the Automation API's Stack a release uses. */
export interface StackPort {
    setConfig(key: string, value: ConfigValue, path?: boolean): Promise<void>;
    preview(opts: PreviewOptions): Promise<unknown>;
    up(opts: UpOptions): Promise<unknown>;
    cancel(): Promise<void>;
}

export interface ReleaseDeps {
    openStack(): Promise<StackPort>;
    reporter: Reporter;
    cancellation: Cancellation;
    /** Aborted by the cancellation's interrupt(): the Automation API then sends pulumi SIGINT. */
    signal: AbortSignal;
    now?: () => number;
}

const APP_IMAGE = "progressive-delivery:app.image";

export async function release(args: ReleaseArgs, deps: ReleaseDeps): Promise<ReleaseResult> {
    const now = deps.now ?? Date.now;
    const start = now();
    const { reporter, cancellation } = deps;
    const notes: string[] = [];
    const log = new EventLog((l) => reporter.rollout(l), start, now);
    let phase: "open" | "preview" | "update" = "open";
    const stderr: string[] = [];
    const common = {
        onEvent: (e: EngineEvent) => log.onEvent(e),
        onError: (text: string) => stderr.push(text),
        policyPacks: args.policyPacks,
        color: "never" as const,
        signal: deps.signal,
    };
    let succeeded = false;
    try {
        const stack = await deps.openStack();
        try {
            if (args.image !== undefined) {
                await stack.setConfig(APP_IMAGE, { value: args.image }, true);
            }
            if (!cancellation.requested) {
                phase = "preview";
                reporter.phase("preview", "started");
                await stack.preview(common);
                reporter.planned(log.planned);
            }
            if (!cancellation.requested) {
                phase = "update";
                reporter.phase("update", "started");
                log.restartClock(now());
                await stack.up(common);
                succeeded = true;
            }
        } finally {
            if (cancellation.forced) {
                // pulumi was stopped by signal and left its lock; nobody holds it now.
                await stack.cancel().then(
                    () => notes.push("removed the lock the stopped pulumi left (pulumi cancel)"),
                    (e: Error) => notes.push(`pulumi cancel: ${firstLine(e.message)}`),
                );
            }
        }
    } catch (e) {
        // preview and up: the engine's diagnostics and pulumi's stderr (onError) say it all;
        // the Automation API's CommandError repeats the whole output. Before them (selecting
        // the stack), the stderr in its message is all there is.
        const message = (e as Error).message;
        const cliStderr = / stderr: ([\s\S]*?)\n err\?: /.exec(message)?.[1];
        if (phase === "open") {
            stderr.push(cliStderr ?? `error: ${message}`);
        } else if (stderr.length === 0 && log.errors.length === 0) {
            stderr.push(`error: ${firstLine(cliStderr ?? message)}`);
        }
    }
    const facts: Facts = {
        cancelled: cancellation.requested,
        succeeded,
        errors: [...log.errors, ...cliErrors(stderr.join(""))],
        violations: log.violations,
        rolledBack: log.runs.filter((r) => r.run.verdict !== "Promoted").map((r) => r.run.reason),
    };
    const { outcome, reason } = classify(facts);
    if (cancellation.requested) {
        notes.unshift(
            ...(succeeded
                ? [`${cancellation.signal} came after the update had finished: nothing to cancel`]
                : cancelNotes(cancellation, phase, log)),
        );
    }
    return {
        stack: args.stack,
        image: args.image,
        outcome,
        exitCode: exitCode(outcome),
        reason,
        canaryRan: log.canaryRan(),
        durationSeconds: Math.round((now() - start) / 100) / 10,
        runs: log.runs,
        notes,
        lines: log.lines,
        errors: facts.errors,
    };
}

/** The CLI's own errors on stderr ("error: ..." lines and what follows them). */
export function cliErrors(stderr: string): string[] {
    return stderr
        .split(/\n(?=error: )/)
        .map((s) => s.trim())
        .filter((s) => s !== "")
        .map((s) => s.replace(/^error: /, ""));
}

function cancelNotes(
    c: Cancellation,
    phase: "open" | "preview" | "update",
    log: EventLog,
): string[] {
    if (phase !== "update") {
        return [`${c.signal} received before the update: nothing was changed`];
    }
    const notes: string[] = [];
    if (log.canaryRan() || log.runs.length > 0) {
        const told = [...log.runs.map((r) => r.run.reason), ...log.errors];
        const reset = told.find((e) => resetFailed(e) || e.includes(RESTORED));
        notes.push(
            reset !== undefined && resetFailed(reset)
                ? "the canary was aborted but resetting traffic to stable failed: the run's reason says what is left and the fix"
                : reset
                  ? "the canary was aborted: all traffic is back on stable, the canary is scaled to 0"
                  : "the canary was aborted; the next release retries it from a reset",
        );
    }
    notes.push(
        `the update ended ${c.since()}s after the signal` +
            (c.forced
                ? "; pulumi had to be stopped, and its lock was removed"
                : "; pulumi released the stack's lock"),
    );
    return notes;
}

const firstLine = (s: string) => s.trim().split("\n")[0];
