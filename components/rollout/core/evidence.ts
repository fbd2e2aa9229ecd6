// The evidence of a run as people read it: one line for `lastVerdict`, a table of measurements
// for the failure message and the demo. Pure.
import { fmt, fmtRequests } from "./analysis";
import { describeStep } from "./plan";
import type { RunEvidence } from "./state";

/**
 * One line for `pulumi up`'s summary, e.g. `promoted 5104a0c0ff3a on 2026-11-29T18:00:00Z:
 * promoted after 9 steps in 250.3s`; `none` before the first canary run.
 */
export function verdictLine(run: RunEvidence | null | undefined): string {
    if (!run) {
        return "no canary run yet";
    }
    const word = run.verdict === "Promoted" ? "promoted" : "rolled back";
    // State written before headlines existed only has the reason.
    const what = run.headline ?? run.reason;
    return `${word} ${run.templateHash.slice(0, 12)} (run of ${run.startedAt}): ${what}`;
}

/**
 * Whether `run` is a rollback of the template the program asks for now: then this `pulumi up`
 * failed to release it. A rollback of another template (the config was reverted since) is
 * history, not a failure.
 */
export function rolledBackNow(run: RunEvidence | null | undefined, desiredHash: string): boolean {
    return !!run && run.verdict === "Aborted" && run.templateHash === desiredHash;
}

/** The evidence as a short table: one line per measurement. */
export function summarize(e: RunEvidence): string {
    const lines = [`evidence (started ${e.startedAt}, ${e.durationSeconds}s):`];
    for (const m of e.measurements) {
        const step = e.steps[m.step]?.step;
        lines.push(
            `  t=${m.atSeconds}s step ${m.step + 1}${step ? ` ${describeStep(step)}` : ""} weight ${m.weight}% ` +
                `${m.metric}=${fmt(m.value)}${m.requests !== undefined ? ` (${fmtRequests(m.requests)})` : ""} ${m.phase}: ${m.message}`,
        );
    }
    return lines.join("\n");
}
