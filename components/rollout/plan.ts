// The step plan: parsing of the user's steps (Argo Rollouts' shape) and their validation.
import { Step } from "./types";

/** The steps as a user writes them in stack config. */
export type StepInput =
    | { setWeight: number }
    | { pause: { duration: string | number } }
    | { analysis?: { count?: number } | null };

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** "30s", "1m", "1.5h", "250ms" or a number of seconds. Returns undefined when malformed. */
export function parseDurationSeconds(value: unknown): number | undefined {
    if (typeof value === "number") {
        return Number.isFinite(value) && value >= 0 ? value : undefined;
    }
    if (typeof value !== "string") {
        return undefined;
    }
    const m = DURATION.exec(value.trim());
    return m ? Number(m[1]) * UNIT_SECONDS[m[2]] : undefined;
}

function show(v: unknown): string {
    return v === undefined ? "nothing" : JSON.stringify(v);
}

/** A problem with one field of the input, named as the user wrote it. */
export interface FieldError {
    field: string;
    message: string;
}

/**
 * Validates and normalises steps. Weights are integers 0-100 and never decrease; pauses have a
 * positive duration; analysis counts are positive integers. `field` prefixes error paths.
 */
export function parseSteps(
    input: unknown,
    field = "steps",
): { steps: Step[]; errors: FieldError[] } {
    const errors: FieldError[] = [];
    const steps: Step[] = [];
    if (!Array.isArray(input) || input.length === 0) {
        errors.push({
            field,
            message: `must be a non-empty list of steps such as [{setWeight: 20}, {pause: {duration: "30s"}}, {analysis: {}}], got ${JSON.stringify(input)}`,
        });
        return { steps, errors };
    }
    let lastWeight = 0;
    input.forEach((raw, i) => {
        const at = `${field}[${i}]`;
        const keys = raw && typeof raw === "object" ? Object.keys(raw) : [];
        if (keys.length !== 1 || !["setWeight", "pause", "analysis"].includes(keys[0])) {
            errors.push({
                field: at,
                message: `must have exactly one of setWeight, pause or analysis, got ${JSON.stringify(raw)}`,
            });
            return;
        }
        const r = raw as Record<string, unknown>;
        if (keys[0] === "setWeight") {
            const w = r.setWeight;
            if (typeof w !== "number" || !Number.isInteger(w) || w < 0 || w > 100) {
                errors.push({
                    field: `${at}.setWeight`,
                    message: `must be a whole number from 0 to 100 (percent of traffic), got ${JSON.stringify(w)}`,
                });
                return;
            }
            if (w < lastWeight) {
                errors.push({
                    field: `${at}.setWeight`,
                    message: `is ${w}, lower than the previous weight ${lastWeight}; weights must not decrease (a canary only gains traffic until promotion)`,
                });
                return;
            }
            lastWeight = w;
            steps.push({ setWeight: w });
        } else if (keys[0] === "pause") {
            const p = r.pause as Record<string, unknown> | null;
            const seconds =
                p && typeof p === "object" ? parseDurationSeconds(p.duration) : undefined;
            if (seconds === undefined || seconds <= 0) {
                errors.push({
                    field: `${at}.pause.duration`,
                    message: `must be a positive duration such as "30s", "2m" or 45 (seconds), got ${show(p && typeof p === "object" ? p.duration : p)}; an indefinite pause cannot be resumed in a pulumi up`,
                });
                return;
            }
            steps.push({ pause: { durationSeconds: seconds } });
        } else {
            if (lastWeight === 0) {
                errors.push({
                    field: `${at}.analysis`,
                    message: `comes before any setWeight above 0, so it would measure a canary with no traffic; put a step such as {setWeight: 20} before it`,
                });
                return;
            }
            const a = r.analysis as Record<string, unknown> | null | undefined;
            const count = a && typeof a === "object" && a.count !== undefined ? a.count : 1;
            if (typeof count !== "number" || !Number.isInteger(count) || count < 1) {
                errors.push({
                    field: `${at}.analysis.count`,
                    message: `must be a whole number of at least 1 (successful measurements to wait for), got ${JSON.stringify(count)}`,
                });
                return;
            }
            steps.push({ analysis: { count } });
        }
    });
    return { steps, errors };
}

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
