// What the runner prints: one line per rollout event and per phase, and a last line with the
// outcome; as text for a person, or as JSON lines (--json) for a machine. Also the Markdown
// summary written to $GITHUB_STEP_SUMMARY.
import type { RunEvidence } from "../../components/rollout/core/state";
import type { PlannedRollout, RolloutLine } from "./events";
import type { Outcome } from "./outcome";

export interface ReleaseResult {
    stack: string;
    image?: string;
    outcome: Outcome;
    exitCode: number;
    /** Why it ended so (empty when promoted). */
    reason: string;
    /** A canary ran in this update (false: first deployment, or the template did not change). */
    canaryRan: boolean;
    durationSeconds: number;
    /** The rollout's evidence, when the update succeeded. */
    lastRun?: RunEvidence | null;
    /** The runner's own lines about cancellation (signal, timings, forced stop). */
    notes: string[];
    lines: RolloutLine[];
    errors: string[];
}

export const OUTCOME_TITLE: Record<Outcome, string> = {
    promoted: "promoted",
    "rolled-back": "rolled back",
    invalid: "invalid config or policy violation",
    infrastructure: "infrastructure error",
    cancelled: "cancelled",
};

export class Reporter {
    constructor(
        private readonly stack: string,
        private readonly json: boolean,
        private readonly write: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
    ) {}

    private emit(type: string, fields: Record<string, unknown>, text: string): void {
        this.write(
            this.json
                ? JSON.stringify({
                      type,
                      time: new Date().toISOString(),
                      stack: this.stack,
                      ...fields,
                  })
                : text,
        );
    }

    phase(phase: "preview" | "update", detail: string): void {
        this.emit("phase", { phase, detail }, `release ${this.stack}: ${phase}: ${detail}`);
    }

    planned(planned: PlannedRollout[]): void {
        const canaries = planned.filter((p) => p.canary).map((p) => p.resource);
        this.phase(
            "preview",
            canaries.length > 0
                ? `a canary will run (${canaries.join(", ")})`
                : "no canary will run (no pod template changed)",
        );
    }

    rollout(l: RolloutLine): void {
        this.emit(
            "rollout",
            { seconds: l.seconds, app: l.app, message: l.message, time: l.time },
            `${l.seconds.toFixed(1).padStart(7)}s  [canary ${l.app}] ${l.message}`,
        );
    }

    note(message: string): void {
        this.emit("note", { message }, `release ${this.stack}: ${message}`);
    }

    result(r: ReleaseResult): void {
        const { lines: _l, errors: _e, notes: _n, lastRun, ...fields } = r;
        this.emit(
            "result",
            { ...fields, verdict: lastRun?.verdict },
            `release ${this.stack}: ${OUTCOME_TITLE[r.outcome]} (exit ${r.exitCode}) in ` +
                `${r.durationSeconds}s${r.reason ? `: ${r.reason}` : ""}`,
        );
    }
}

/** Markdown for GitHub's job summary; code blocks are fenced so no line can break out. */
export function markdownSummary(r: ReleaseResult): string {
    const fence = (lines: string[]) => [
        "```text",
        ...lines.map((l) => l.replace(/```/g, "'''")),
        "```",
    ];
    const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
    const out = [
        `## Release \`${r.stack}\`: ${OUTCOME_TITLE[r.outcome]} (exit ${r.exitCode})`,
        "",
        "| | |",
        "| --- | --- |",
        ...(r.image ? [`| Image | \`${cell(r.image)}\` |`] : []),
        `| Canary | ${r.canaryRan ? "ran" : "none (first deployment or pod template unchanged)"} |`,
        `| Duration | ${r.durationSeconds} s |`,
        ...(r.reason ? [`| Why | ${cell(r.reason)} |`] : []),
        ...(r.lastRun
            ? [`| Verdict | ${cell(`${r.lastRun.verdict}: ${r.lastRun.reason}`)} |`]
            : []),
        "",
    ];
    if (r.notes.length > 0) {
        out.push(...r.notes.map((n) => `- ${n}`), "");
    }
    if (r.lines.length > 0) {
        out.push(
            "### Rollout",
            "",
            ...fence(r.lines.map((l) => `${l.seconds}s [canary ${l.app}] ${l.message}`)),
            "",
        );
    }
    if (r.outcome !== "promoted" && r.errors.length > 0) {
        out.push("### Errors", "", ...fence(r.errors.flatMap((e) => e.split("\n"))), "");
    }
    if (r.lastRun && r.lastRun.measurements.length > 0) {
        out.push(
            "### Measurements",
            "",
            "| t | step | weight | metric | value | phase |",
            "| --- | --- | --- | --- | --- | --- |",
            ...r.lastRun.measurements.map(
                (m) =>
                    `| ${m.atSeconds}s | ${m.step + 1} | ${m.weight}% | ${cell(m.metric)} | ` +
                    `${cell(JSON.stringify(m.value ?? null))} | ${m.phase} |`,
            ),
            "",
        );
    }
    return out.join("\n");
}
