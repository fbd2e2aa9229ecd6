// The shape of a release: well-formed steps, weights that only go up and never past 100, bounded
// pauses, an analysis step that promotion waits on (after the canary has traffic, with something
// to measure), a bounded deadline the pauses fit in, and a scale-down delay shorter than it.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { asArray, asObject, ofType, show, TYPES, UNKNOWN } from "./lib/resources";
import { CONFIG, input, seconds } from "./lib/rollout";

const STEPS = `${CONFIG}rollout.steps`;
/** Longest deadline or pause: a rollout holds pulumi up and the stack's lock while it runs. */
const MAX_SECONDS = 24 * 3600;
/** Longest wait after a rollback before the canary's pods go. */
const MAX_SCALE_DOWN_DELAY_SECONDS = 600;
const MAX_ANALYSIS_COUNT = 1000;
const KINDS = ["setWeight", "pause", "analysis"];

const inRange = (v: number, min: number, max: number) => v >= min && v <= max;

export const rolloutSteps: ResourceValidationPolicy = {
    name: "rollout-steps",
    description:
        "A CanaryRollout's steps are each one of setWeight, pause or analysis; weights strictly " +
        "increase and never pass 100; pauses and the deadline are bounded and the pauses fit in " +
        "the deadline; at least one analysis step comes after the canary has traffic, and none " +
        "before; an analysis step has a metric or the judge to wait on.",
    enforcementLevel: "mandatory",
    validateResource: ofType(TYPES.canaryRollout, (args, reportViolation) => {
        const subject = `CanaryRollout "${args.name}"`;
        const rawSteps = input(args.props, "steps");
        if (rawSteps === UNKNOWN) {
            return;
        }
        const steps = asArray(rawSteps);
        if (!steps || steps.length === 0) {
            reportViolation(
                `${subject} has no steps (got ${show(rawSteps)}): without steps there is no ` +
                    "canary, the new version goes straight to every user. Set " +
                    `${STEPS}, e.g. [{setWeight: 20}, {pause: ` +
                    '{duration: "1m"}}, {analysis: {}}].',
            );
            return;
        }
        let highest: { weight: number; step: number } | undefined;
        let pauseSeconds = 0;
        let analysisAfterTraffic = false;
        steps.forEach((raw, i) => {
            const step = asObject(raw);
            const keys = step ? Object.keys(step) : [];
            if (!step || keys.length !== 1 || !KINDS.includes(keys[0])) {
                reportViolation(
                    `${subject}: step ${i + 1} is ${show(raw)}; a step has exactly one of ` +
                        "setWeight, pause or analysis, so the engine cannot tell what it means. " +
                        `Write it as {setWeight: 20}, {pause: {duration: "1m"}} or {analysis: {}} in ${STEPS}.`,
                );
                return;
            }
            if (keys[0] === "setWeight") {
                const w = step.setWeight;
                if (typeof w !== "number" || !Number.isInteger(w) || w < 0 || w > 100) {
                    reportViolation(
                        `${subject}: step ${i + 1} sets weight ${show(w)}; a weight is the percent ` +
                            "of requests sent to the canary, so it must be a whole number from 0 " +
                            `to 100. Use at most 100 in ${STEPS} ` +
                            "(promotion moves the rest of the traffic anyway).",
                    );
                    return;
                }
                if (highest && w <= highest.weight) {
                    reportViolation(
                        `${subject}: step ${i + 1} sets weight ${w} after step ${highest.step} ` +
                            `set ${highest.weight}; weights must strictly increase because a canary ` +
                            "only gains traffic until it is promoted: a repeated weight is a step " +
                            "that tests nothing new, and a lower one moves users back to the old " +
                            `version mid-release. Make each setWeight in ${STEPS} higher than the ` +
                            "one before.",
                    );
                    return;
                }
                highest = { weight: w, step: i + 1 };
            } else if (keys[0] === "pause") {
                const d = asObject(step.pause)?.durationSeconds;
                if (typeof d !== "number" || !(d > 0) || d > MAX_SECONDS) {
                    reportViolation(
                        `${subject}: step ${i + 1} pauses for ${seconds(d)}; a pause must be a ` +
                            `positive duration of at most 24h (${MAX_SECONDS}s): an indefinite pause ` +
                            "cannot be resumed in a pulumi up, and the rollout holds the stack's lock " +
                            `while it waits. Set ${STEPS}[${i}].pause.duration, e.g. "1m".`,
                    );
                    return;
                }
                pauseSeconds += d;
            } else if (!highest || highest.weight === 0) {
                reportViolation(
                    `${subject}: the analysis at step ${i + 1} comes before any setWeight above 0, ` +
                        "so it measures a canary that gets no traffic. Put it after a step such " +
                        `as {setWeight: 20} in ${STEPS}.`,
                );
            } else {
                const count = asObject(step.analysis)?.count ?? 1;
                if (!Number.isInteger(count) || !inRange(count as number, 1, MAX_ANALYSIS_COUNT)) {
                    reportViolation(
                        `${subject}: the analysis at step ${i + 1} waits for ${show(count)} ` +
                            "successful measurements; it must be a whole number from 1 to " +
                            `${MAX_ANALYSIS_COUNT}. Set ${STEPS}[${i}].analysis.count, e.g. 1.`,
                    );
                    return;
                }
                analysisAfterTraffic = true;
            }
        });
        if (!analysisAfterTraffic && !steps.some((s) => asObject(s)?.analysis !== undefined)) {
            reportViolation(
                `${subject} has no analysis step: promotion then never waits for a ` +
                    "successful measurement, and the canary is promoted when the last pause " +
                    "ends even if no measurement succeeded. Add an {analysis: {count: N}} " +
                    `step after a setWeight in ${STEPS}.`,
            );
        }
        checkAnalysable(args.props, subject, analysisAfterTraffic, reportViolation);
        checkDeadline(args.props, subject, pauseSeconds, reportViolation);
    }),
};

/** An analysis step waits on the metrics and the judge: with neither it would wait on nothing. */
function checkAnalysable(
    props: unknown,
    subject: string,
    hasAnalysis: boolean,
    report: (message: string) => void,
): void {
    const metrics = input(props, "metrics");
    const judge = input(props, "judge");
    if (!hasAnalysis || metrics === UNKNOWN || judge === UNKNOWN) {
        return;
    }
    if ((asArray(metrics) ?? []).length > 0) {
        return;
    }
    const j = asObject(judge);
    if (j?.enabled !== true) {
        report(
            `${subject} has an analysis step but nothing to measure: no metric, and the judge is ` +
                `off. Add a metric to ${CONFIG}rollout.analysis.metrics or enable ` +
                `${CONFIG}rollout.analysis.judge.`,
        );
    } else if (j.role !== "gate") {
        // A guard only rolls back: with no metric, the analysis step would pass on no evidence.
        report(
            `${subject} has an analysis step but nothing that can pass it: no metric, and the ` +
                `judge is a guard (it only rolls back). Add a metric to ` +
                `${CONFIG}rollout.analysis.metrics or set ${CONFIG}rollout.analysis.judge.role ` +
                `to "gate".`,
        );
    }
}

function checkDeadline(
    props: unknown,
    subject: string,
    pauseSeconds: number,
    report: (message: string) => void,
): void {
    const deadline = input(props, "deadlineSeconds");
    if (deadline === UNKNOWN) {
        return;
    }
    const valid = typeof deadline === "number" && inRange(deadline, 1, MAX_SECONDS);
    if (typeof deadline !== "number" || !(deadline > 0)) {
        report(
            `${subject} has no deadline (deadlineSeconds is ${deadline === undefined ? "not set" : show(deadline)}): ` +
                "a rollout without one can hold pulumi up, and the stack's lock, for as long " +
                `as the canary keeps waiting for measurements. Set ${CONFIG}rollout.deadline, ` +
                'e.g. "30m".',
        );
    } else if (!valid) {
        report(
            `${subject} has a deadline of ${seconds(deadline)}; it must be from 1s to 24h ` +
                `(${MAX_SECONDS}s), because a rollout holds pulumi up and the stack's lock while ` +
                `it runs. Set ${CONFIG}rollout.deadline, e.g. "30m".`,
        );
    } else if (pauseSeconds >= deadline) {
        report(
            `${subject} has a deadline of ${deadline}s, but its pauses alone take ` +
                `${pauseSeconds}s, so every release would run out of time and roll back. ` +
                `Raise ${CONFIG}rollout.deadline above ${pauseSeconds}s or shorten the pauses.`,
        );
    }
    // Absent from state written before the delay existed: the provider reads it as 0.
    const delay = input(props, "abortScaleDownDelaySeconds");
    if (delay === undefined || delay === UNKNOWN) {
        return;
    }
    const inBounds = typeof delay === "number" && inRange(delay, 0, MAX_SCALE_DOWN_DELAY_SECONDS);
    if (!inBounds || (valid && (delay as number) >= deadline)) {
        report(
            `${subject} keeps a rolled-back canary's pods for ${seconds(delay)}; it must be from ` +
                `0s to 10m (${MAX_SCALE_DOWN_DELAY_SECONDS}s) and shorter than the deadline` +
                `${valid ? ` (${deadline}s)` : ""}, because a rollback holds pulumi up that long ` +
                `before the canary's pods go. Set ${CONFIG}rollout.abortScaleDownDelay, e.g. "30s".`,
        );
    }
}
