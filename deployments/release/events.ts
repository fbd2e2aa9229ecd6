// The engine's event stream, as the release runner reads it. The CanaryRollout provider prints
// one line per step and measurement on stderr, tagged with its app (core/names.ts rolloutTag);
// the engine turns each line of a plugin's stderr into a diagnostic event (severity "info#err"),
// which the Automation API hands to onEvent. Errors, policy violations, the preview's planned
// steps, and each resource's outputs once its step is done (a CanaryRollout's `lastRun`, the
// evidence of its run) come the same way.
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { parseRolloutLine } from "../../components/rollout/core/names";
import { plannedCanary } from "../../components/rollout/core/plan";
import type { RunEvidence } from "../../components/rollout/core/state";

/** One rollout event: what the provider printed, and when (seconds since the update started). */
export interface RolloutLine {
    seconds: number;
    time: string;
    app: string;
    message: string;
}

/** A CanaryRollout the preview plans to change. */
export interface PlannedRollout {
    /** Its app, as its progress lines name it (the resource's name when the input is unknown). */
    app: string;
    op: string;
    /** The pod template changed: the update runs a canary (unless stable already runs it). */
    canary: boolean;
}

/** The evidence of a canary run in this update, from its CanaryRollout's outputs. */
export interface RolloutRun {
    app: string;
    run: RunEvidence;
}

const ROLLOUT_TYPE = /:CanaryRollout$/;
/** How the engine's events write a value that is not known yet (a preview's computed input). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A run's evidence, when the value is one (a secret or an older shape is not). */
function asRun(v: unknown): RunEvidence | undefined {
    const r = v as Partial<RunEvidence> | null | undefined;
    return r &&
        typeof r.verdict === "string" &&
        typeof r.reason === "string" &&
        typeof r.startedAt === "string" &&
        typeof r.templateHash === "string" &&
        Array.isArray(r.measurements) &&
        Array.isArray(r.steps)
        ? (r as RunEvidence)
        : undefined;
}

export class EventLog {
    readonly lines: RolloutLine[] = [];
    readonly errors: string[] = [];
    readonly violations: string[] = [];
    private readonly changes: PlannedRollout[] = [];
    /** Each app's own preview line: whether its provider says a canary will run. */
    private readonly previewSays = new Map<string, boolean>();
    /** The canary runs of this update, in the order they ended. */
    readonly runs: RolloutRun[] = [];

    constructor(
        private readonly onLine: (line: RolloutLine) => void,
        private start = Date.now(),
        private readonly now: () => number = Date.now,
    ) {}

    /** Rollout lines count their seconds from here (the update's start). */
    restartClock(at: number): void {
        this.start = at;
    }

    readonly onEvent = (e: EngineEvent): void => {
        const d = e.diagnosticEvent;
        if (d) {
            if (d.severity === "error") {
                this.errors.push(d.message.trim());
                return;
            }
            for (const text of d.message.split("\n")) {
                const parsed = parseRolloutLine(text.trim());
                if (parsed) {
                    const at = this.now();
                    const line = {
                        seconds: Math.round((at - this.start) / 100) / 10,
                        time: new Date(at).toISOString(),
                        ...parsed,
                    };
                    this.lines.push(line);
                    this.onLine(line);
                    const canary = plannedCanary(parsed.message);
                    if (canary !== undefined) {
                        this.previewSays.set(parsed.app, canary);
                    }
                }
            }
        }
        const p = e.policyEvent;
        if (p && p.enforcementLevel === "mandatory") {
            this.violations.push(`${p.policyName}: ${p.message.trim()}`);
        }
        const pre = e.resourcePreEvent?.metadata;
        if (pre && ROLLOUT_TYPE.test(pre.type) && pre.op !== "same" && pre.op !== "read") {
            const app = pre.new?.inputs?.app;
            this.changes.push({
                app:
                    typeof app === "string" && app !== UNKNOWN
                        ? app
                        : (pre.urn.split("::").pop() ?? pre.urn),
                op: pre.op,
                canary: pre.op === "create" || (pre.diffs ?? []).includes("templateHash"),
            });
        }
        const out = e.resOutputsEvent;
        if (out && !out.planning && ROLLOUT_TYPE.test(out.metadata.type)) {
            // A run is this update's when its evidence is new: an update of steps or analysis
            // alone (or no change) keeps the last run's evidence as it was.
            const run = asRun(out.metadata.new?.outputs?.lastRun);
            const before = asRun(out.metadata.old?.outputs?.lastRun);
            const app = out.metadata.new?.outputs?.app;
            if (
                run &&
                typeof app === "string" &&
                !(before?.startedAt === run.startedAt && before.templateHash === run.templateHash)
            ) {
                this.runs.push({ app, run });
            }
        }
    };

    /**
     * The CanaryRollouts the preview plans to change. Whether a canary runs is the provider's
     * own preview line where it printed one (it knows the state and the promoted template);
     * otherwise (a rollout not diffed yet: a create) the engine's diff says.
     */
    get planned(): PlannedRollout[] {
        return this.changes.map((p) => ({ ...p, canary: this.previewSays.get(p.app) ?? p.canary }));
    }

    /** Did a canary run in this update (any rollout line that is not "without a canary run")? */
    canaryRan(): boolean {
        return this.lines.some((l) => /^step \d+\//.test(l.message));
    }
}
