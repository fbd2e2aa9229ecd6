// The step plan at run time: the weights it sets, the canary replicas a weight needs, and how a
// step reads in messages. The steps' rules are in spec.ts.
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
