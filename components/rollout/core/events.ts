// A run's events as Kubernetes events and notifications read them: a reason code, a type and
// one message. Pure; the adapters (adapters/events.ts, adapters/webhooks.ts) only send them.
import { fmt, fmtRequests } from "./analysis";
import type { RolloutEvent } from "./types";

/** The reason codes written on the canary Deployment; README "Evidence" lists them. */
export const REASONS = {
    Started: "RolloutStarted",
    StepStarted: "RolloutStep",
    Successful: "AnalysisSuccessful",
    Failed: "AnalysisFailed",
    Inconclusive: "AnalysisInconclusive",
    Error: "AnalysisError",
    Promoted: "RolloutPromoted",
    RolledBack: "RolloutRolledBack",
} as const;

/** Kubernetes keeps event messages to 1 kB; so do notifications. */
export const MAX_EVENT_MESSAGE = 1024;

export interface DescribedEvent {
    reason: (typeof REASONS)[keyof typeof REASONS];
    type: "Normal" | "Warning";
    message: string;
}

export function describeEvent(e: RolloutEvent): DescribedEvent {
    const d = ((): DescribedEvent => {
        switch (e.type) {
            case "Started":
                return {
                    reason: REASONS.Started,
                    type: "Normal",
                    message: `canary run of ${e.app} started: ${e.steps} steps, deadline ${e.deadlineSeconds}s`,
                };
            case "StepStarted":
                return {
                    reason: REASONS.StepStarted,
                    type: "Normal",
                    message: `step ${e.step + 1}/${e.of}: ${e.description} at weight ${e.weight}%`,
                };
            case "Measured": {
                const m = e.measurement;
                return {
                    reason: REASONS[m.phase],
                    type: m.phase === "Failed" || m.phase === "Error" ? "Warning" : "Normal",
                    message:
                        `${m.metric} = ${fmt(m.value)}` +
                        (m.requests !== undefined ? ` over ${fmtRequests(m.requests)}` : "") +
                        ` at step ${m.step + 1}, weight ${m.weight}%: ${m.phase} (${m.message})`,
                };
            }
            case "Promoted":
                return { reason: REASONS.Promoted, type: "Normal", message: e.reason };
            case "RolledBack":
                return { reason: REASONS.RolledBack, type: "Warning", message: e.reason };
        }
    })();
    return d.message.length > MAX_EVENT_MESSAGE
        ? { ...d, message: `${d.message.slice(0, MAX_EVENT_MESSAGE - 3)}...` }
        : d;
}
