// The engine's event stream, as the release runner reads it. The CanaryRollout provider prints
// one line per step and measurement on stderr, tagged `[canary APP]`; the engine turns each line
// of a plugin's stderr into a diagnostic event (severity "info#err"), which the Automation API
// hands to onEvent. Errors, policy violations and the preview's planned steps come the same way.
import type { EngineEvent } from "@pulumi/pulumi/automation";

/** One rollout event: what the provider printed, and when (seconds since the update started). */
export interface RolloutLine {
    seconds: number;
    time: string;
    app: string;
    message: string;
}

/** A CanaryRollout the preview plans to change. */
export interface PlannedRollout {
    resource: string;
    op: string;
    /** The pod template changed: the update runs a canary (unless stable already runs it). */
    canary: boolean;
}

const TAG = /^\[canary ([^\]]+)\] (.*)$/;
const ROLLOUT_TYPE = /:CanaryRollout$/;

export class EventLog {
    readonly lines: RolloutLine[] = [];
    readonly errors: string[] = [];
    readonly violations: string[] = [];
    readonly planned: PlannedRollout[] = [];

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
                const m = TAG.exec(text.trim());
                if (m) {
                    const at = this.now();
                    const line = {
                        seconds: Math.round((at - this.start) / 100) / 10,
                        time: new Date(at).toISOString(),
                        app: m[1],
                        message: m[2],
                    };
                    this.lines.push(line);
                    this.onLine(line);
                }
            }
        }
        const p = e.policyEvent;
        if (p && p.enforcementLevel === "mandatory") {
            this.violations.push(`${p.policyName}: ${p.message.trim()}`);
        }
        const pre = e.resourcePreEvent?.metadata;
        if (pre && ROLLOUT_TYPE.test(pre.type) && pre.op !== "same" && pre.op !== "read") {
            this.planned.push({
                resource: pre.urn.split("::").pop() ?? pre.urn,
                op: pre.op,
                canary: pre.op === "create" || (pre.diffs ?? []).includes("templateHash"),
            });
        }
    };

    /** Did a canary run in this update (any rollout line that is not "without a canary run")? */
    canaryRan(): boolean {
        return this.lines.some((l) => /^step \d+\//.test(l.message));
    }
}
