// What a rolled-back run says about the reset after its abort, in one place: the reason reads
// the cause once, then what the reset restored and what it could not, then the fix. The release
// runner reads the outcome back from the reason with `resetFailed`.
import type { Clock, TrafficRouter, Workloads } from "./types";

/**
 * The reset's three writes, in order. A failed write stops it: scaling the canary to 0 while
 * it may still have traffic would send that traffic to no pod.
 */
export type ResetWrite = "weight" | "header route" | "scale";

/** How the reset after an abort ended: every write done, or the write that failed and why. */
export type ResetOutcome = { ok: true } | { ok: false; write: ResetWrite; error: unknown };

/**
 * After an abort: weight 0, header route off, then (after `delaySeconds`, so the router has moved
 * traffic off the canary's pods) the canary scaled to 0. Says which write failed, if one did.
 */
export async function resetAfterAbort(
    ports: { router: TrafficRouter; workloads: Workloads; clock: Clock },
    delaySeconds: number,
): Promise<ResetOutcome> {
    let write: ResetWrite = "weight";
    try {
        await ports.router.setWeight(0);
        write = "header route";
        await ports.router.setHeaderRoute(false);
        // Nothing is printed between the writes: when pulumi is gone, so is the reader of the
        // progress lines (a write to its closed pipe can end the host), and the scale-down must
        // not depend on it.
        if (delaySeconds > 0) {
            try {
                await ports.clock.sleep(delaySeconds * 1000);
            } catch {
                // The clock stops when the run is cancelled or pulumi is gone: scale down now.
            }
        }
        write = "scale";
        await ports.workloads.scaleCanary(0);
        return { ok: true };
    } catch (error) {
        return { ok: false, write, error };
    }
}

/**
 * What an error from a port may carry beside its message (adapters/kube.ts's KubeApiError does):
 * `failure`, what went wrong without the request it came from, so two requests that fail for
 * the same reason are one failure; `fix`, the remedy, which the message ends with (after ": " or "; ").
 */
interface ExplainedError {
    message?: unknown;
    failure?: unknown;
    fix?: unknown;
}

/** The reason's ending when the reset after the abort did all its writes. */
export const RESTORED = "; traffic is back on the stable version and the canary is scaled to 0";
const RETRY = "Run pulumi up again: every run resets first";
const ALSO = "; resetting traffic to stable ALSO failed";
const SAME = "; resetting traffic to stable failed the same way";

/** The write that failed, when it is not the first. */
const WHEN: Record<ResetWrite, string> = {
    weight: "",
    "header route": " (removing the header route)",
    scale: " (scaling the canary to 0)",
};

/** What the reset left as it was: never a claim that stable serves alone when it may not. */
const LEFT: Record<ResetWrite, string> = {
    weight: "nothing was reset: the weight and the canary's pods are as the step left them",
    "header route": "the weight is back to 0, but a header route may still reach the canary",
    scale: "traffic is back on the stable version, but the canary keeps its pods",
};

const text = (e: unknown, key: keyof ExplainedError): string | undefined => {
    const v = e !== null && typeof e === "object" ? (e as ExplainedError)[key] : undefined;
    return typeof v === "string" ? v : undefined;
};

const messageOf = (e: unknown): string => text(e, "message") ?? String(e);

/** The error's message without its fix (and the ": " or "; " before it), when it carries one. */
function withoutFix(e: unknown): string {
    const message = messageOf(e);
    const fix = text(e, "fix");
    return fix !== undefined && [": ", "; "].some((sep) => message.endsWith(sep + fix))
        ? message.slice(0, -(fix.length + 2))
        : message;
}

/** The same failure: the same message, or the same failure on another request. */
function sameFailure(a: unknown, b: unknown): boolean {
    const f = text(a, "failure");
    return messageOf(a) === messageOf(b) || (f !== undefined && f === text(b, "failure"));
}

/**
 * The reason of a rolled-back run. `where` is the step; `cause` is either the analysis' own
 * message (an abort of the run) or the error a step threw; `reset` how the reset after it went.
 * When the reset failed as the step did, the failure is said once and its fix comes last.
 */
export function rolledBackReason(
    app: string,
    where: string,
    cause: { abort: string } | { error: unknown },
    reset: ResetOutcome,
): string {
    const error = "error" in cause ? cause.error : undefined;
    const stated = (message: string) =>
        `canary "${app}" rolled back at ${where}: ` +
        ("abort" in cause ? cause.abort : `${where} failed: ${message}`);
    if (reset.ok) {
        return stated(messageOf(error)) + RESTORED;
    }
    const same = "error" in cause && sameFailure(error, reset.error);
    const fix = text(reset.error, "fix");
    return (
        stated(same ? withoutFix(error) : messageOf(error)) +
        (same ? SAME : ALSO) +
        WHEN[reset.write] +
        (same ? "" : `: ${withoutFix(reset.error)}`) +
        `, so ${LEFT[reset.write]}. ` +
        (fix === undefined ? RETRY : `Fix: ${fix}; the next pulumi up resets traffic first`)
    );
}

/** Whether a run's reason says the reset after its abort failed (the release runner's notes). */
export function resetFailed(reason: string): boolean {
    return reason.includes(ALSO) || reason.includes(SAME);
}
