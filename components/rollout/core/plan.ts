// The step plan at run time: the weights it sets, the canary replicas a weight needs, and how a
// step reads in messages. The steps' rules are in spec.ts.
import { rolloutTag } from "./names";
import type { Step } from "./spec";

/** The weights a plan sets, in order. */
export function weightsOf(steps: Step[]): number[] {
    return steps.flatMap((s) => ("setWeight" in s ? [s.setWeight] : []));
}

/**
 * Canary replicas for a weight: proportional to the app's replicas, rounded up, and at least 1
 * while the canary gets any traffic. E.g. 4 replicas at 20% -> ceil(0.8) = 1; at 60% -> 3.
 */
export function canaryReplicas(totalReplicas: number, weight: number): number {
    if (weight <= 0) {
        return 0;
    }
    return Math.max(1, Math.ceil((totalReplicas * weight) / 100));
}

/** Human text for a step, e.g. `setWeight 40%`, `pause 30s`, `analysis x2`. */
export function describeStep(step: Step): string {
    if ("setWeight" in step) {
        return `setWeight ${step.setWeight}%`;
    }
    if ("pause" in step) {
        return `pause ${step.pause.durationSeconds}s`;
    }
    return `analysis (${step.analysis.count} successful measurement${step.analysis.count === 1 ? "" : "s"})`;
}

/** What preview says about a CanaryRollout: whether a canary will run, and how. */
export interface PlanInput {
    app: string;
    templateHash: string;
    steps: Step[];
    deadlineSeconds: number;
    metrics: {
        name: string;
        intervalSeconds: number;
        successCondition?: string;
        failureCondition?: string;
    }[];
    judge?: { enabled: boolean; role?: string };
}

/**
 * Seconds a healthy canary takes by the plan: the pauses, plus each analysis step's successful
 * measurements at the slowest metric's interval. E.g. the tutorial's 4 x 60s pauses and one
 * analysis at a 60s interval: 300s.
 */
export function expectedSeconds(plan: Pick<PlanInput, "steps" | "metrics">): number {
    const interval = Math.max(0, ...plan.metrics.map((m) => m.intervalSeconds));
    return plan.steps.reduce(
        (s, step) =>
            s +
            ("pause" in step ? step.pause.durationSeconds : 0) +
            ("analysis" in step ? step.analysis.count * interval : 0),
        0,
    );
}

/** Preview's line, e.g. `a canary will run for template 5104a0c0ff3a: setWeight 20% -> ...`. */
export function describePlan(plan: PlanInput, canary: boolean): string {
    const tag = `${rolloutTag(plan.app)} preview:`;
    if (!canary) {
        return `${tag} no canary will run: the pod template is unchanged (${plan.templateHash.slice(0, 12)})`;
    }
    const metrics = plan.metrics.map(
        (m) =>
            `${m.name} every ${m.intervalSeconds}s (${[m.successCondition, m.failureCondition && `fail if ${m.failureCondition}`].filter(Boolean).join("; ")})`,
    );
    if (plan.judge?.enabled) {
        metrics.push(`judge as a ${plan.judge.role ?? "gate"} (canary vs stable)`);
    }
    return (
        `${tag} a canary will run for template ${plan.templateHash.slice(0, 12)}: ` +
        `${plan.steps.map(describeStep).join(" -> ")}; analysis: ${metrics.join(", ") || "none"}; ` +
        `about ${expectedSeconds(plan)}s if healthy, rolled back at the latest after the deadline of ${plan.deadlineSeconds}s`
    );
}

/**
 * Reads back a progress line's message (without its tag): true where describePlan said a canary
 * will run, false where it said none will, undefined for any other line.
 */
export function plannedCanary(message: string): boolean | undefined {
    const m = /^preview: (a|no) canary will run/.exec(message);
    return m ? m[1] === "a" : undefined;
}
