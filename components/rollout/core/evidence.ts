// The evidence of a run as people read it: one line for `lastVerdict`, a table of measurements
// for the failure message and the demo. Pure.
import { fmt, fmtRequests } from "./analysis";
import { readAfterFirstTraffic } from "./judge/metric";
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

/**
 * How many whole seconds after the canary first got traffic a measurement rolled it back: the
 * judge's reason says so; otherwise the deciding measurement (the run's last: the engine stops
 * right after it, and its reason names that metric right after where it stood, `... weight
 * 40%): success-rate 4 measurements failed ...`) less the end of the first step that gave the
 * canary traffic, e.g. 17.6 - 1.5 -> 16. Undefined for a promoted run and for a rollback no
 * measurement decided (the deadline, a failed write).
 */
export function rollbackSeconds(run: RunEvidence): number | undefined {
    if (run.verdict !== "Aborted") {
        return undefined;
    }
    const judged = readAfterFirstTraffic(run.reason);
    if (judged !== undefined) {
        return judged;
    }
    const last = run.measurements[run.measurements.length - 1];
    const traffic = run.steps.find((s) => "setWeight" in s.step && s.step.setWeight > 0);
    const decided =
        last && last.phase !== "Successful" && run.reason.includes(`%): ${last.metric} `);
    return decided && traffic ? Math.round(last.atSeconds - traffic.endedAtSeconds) : undefined;
}
