// What the runner prints: one line per rollout event and per phase, and a last line with the
// outcome; as text for a person, or as JSON lines (--json) for a machine. Also the Markdown
// summary written to $GITHUB_STEP_SUMMARY: each canary run as the core renders it (its report's
// Markdown), and around it only what belongs to the release (stack, image, exit code, duration).
import { rolloutTag } from "../../components/rollout/core/names";
import { reportMarkdown } from "../../components/rollout/core/report";
import type { PlannedRollout, RolloutLine, RolloutRun } from "./events";
import { EXIT_CODES, Outcome } from "./outcome";

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
    /** The evidence of each canary run of this update (promoted, rolled back or cancelled). */
    runs: RolloutRun[];
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
        const canaries = planned.filter((p) => p.canary).map((p) => p.app);
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
            `${l.seconds.toFixed(1).padStart(7)}s  ${rolloutTag(l.app)} ${l.message}`,
        );
    }

    note(message: string): void {
        this.emit("note", { message }, `release ${this.stack}: ${message}`);
    }

    result(r: ReleaseResult): void {
        const { lines: _l, errors: _e, notes: _n, runs, ...fields } = r;
        this.emit(
            "result",
            {
                ...fields,
                runs: runs.map(({ app, run }) => ({
                    app,
                    verdict: run.verdict,
                    templateHash: run.templateHash,
                    startedAt: run.startedAt,
                })),
            },
            `release ${this.stack}: ${OUTCOME_TITLE[r.outcome]} (exit ${r.exitCode}) in ` +
                `${r.durationSeconds}s${r.reason ? `: ${r.reason}` : ""}`,
        );
    }
}

/**
 * Markdown for GitHub's job summary. What a run's evidence says (its verdict, reason, steps and
 * measurements) is the core's report; the rollout lines and errors it already tells are left
 * out. Code blocks are fenced so no line can break out.
 */
export function markdownSummary(r: ReleaseResult): string {
    const fence = (lines: string[]) => [
        "```text",
        ...lines.map((l) => l.replace(/```/g, "'''")),
        "```",
    ];
    const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
    const toldByRun = (text: string) => r.runs.some(({ run }) => text.startsWith(run.reason));
    const meaning = EXIT_CODES.find((e) => e.code === r.exitCode)?.meaning;
    const out = [
        `## Release \`${r.stack}\`: ${OUTCOME_TITLE[r.outcome]} (exit ${r.exitCode})`,
        "",
        "| | |",
        "| --- | --- |",
        ...(r.image ? [`| Image | \`${cell(r.image)}\` |`] : []),
        `| Exit code | ${r.exitCode}${meaning ? `: ${cell(meaning)}` : ""} |`,
        `| Duration | ${r.durationSeconds} s |`,
        ...(r.runs.length === 0 && !r.canaryRan
            ? ["| Canary | none ran (first deployment, or no pod template changed) |"]
            : []),
        ...(r.reason && !r.runs.some(({ run }) => run.reason.startsWith(r.reason))
            ? [`| Why | ${cell(r.reason)} |`]
            : []),
        "",
    ];
    if (r.notes.length > 0) {
        out.push(...r.notes.map((n) => `- ${n}`), "");
    }
    out.push(...r.runs.map(({ run }) => reportMarkdown(run)));
    const untold = r.lines.filter((l) => !r.runs.some((x) => x.app === l.app));
    if (untold.length > 0) {
        out.push(
            "### Rollout",
            "",
            ...fence(untold.map((l) => `${l.seconds}s ${rolloutTag(l.app)} ${l.message}`)),
            "",
        );
    }
    const errors = r.outcome === "promoted" ? [] : r.errors.filter((e) => !toldByRun(e));
    if (errors.length > 0) {
        out.push("### Errors", "", ...fence(errors.flatMap((e) => e.split("\n"))), "");
    }
    return out.join("\n");
}
