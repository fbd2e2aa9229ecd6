// The shape of a release: weights that only go up and never past 100, an analysis step that
// promotion waits on (after the canary has traffic), and a deadline the pauses fit in.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { asArray, asObject, at, ofType, show, TYPES, UNKNOWN } from "./lib/resources";

export const rolloutSteps: ResourceValidationPolicy = {
    name: "rollout-steps",
    description:
        "A CanaryRollout's weights strictly increase and never pass 100, at least one analysis " +
        "step comes after the canary has traffic, and a deadline is set that the pauses fit in.",
    enforcementLevel: "mandatory",
    validateResource: ofType(TYPES.canaryRollout, (args, reportViolation) => {
        const subject = `CanaryRollout "${args.name}"`;
        const rawSteps = at(args.props, "steps");
        if (rawSteps === UNKNOWN) {
            return;
        }
        const steps = asArray(rawSteps);
        if (!steps || steps.length === 0) {
            reportViolation(
                `${subject} has no steps (got ${show(rawSteps)}): without steps there is no ` +
                    "canary, the new version goes straight to every user. Set " +
                    "progressive-delivery:rollout.steps, e.g. [{setWeight: 20}, {pause: " +
                    '{duration: "1m"}}, {analysis: {}}].',
            );
            return;
        }
        let highest: { weight: number; step: number } | undefined;
        let pauseSeconds = 0;
        let analysisAfterTraffic = false;
        const analysisBeforeTraffic: number[] = [];
        steps.forEach((_s, i) => {
            const step = asObject(at(steps, i)) ?? {};
            if ("setWeight" in step) {
                const w = at(step, "setWeight");
                if (w === UNKNOWN) {
                    return;
                }
                if (typeof w !== "number" || !Number.isInteger(w) || w < 0 || w > 100) {
                    reportViolation(
                        `${subject}: step ${i + 1} sets weight ${show(w)}; a weight is the percent ` +
                            "of requests sent to the canary, so it must be a whole number from 0 " +
                            "to 100. Use at most 100 in progressive-delivery:rollout.steps " +
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
                            "version mid-release. Make each setWeight in " +
                            "progressive-delivery:rollout.steps higher than the one before.",
                    );
                    return;
                }
                highest = { weight: w, step: i + 1 };
            } else if ("pause" in step) {
                const d = at(step, "pause", "durationSeconds");
                pauseSeconds += typeof d === "number" ? d : 0;
            } else if ("analysis" in step) {
                if (highest && highest.weight > 0) {
                    analysisAfterTraffic = true;
                } else {
                    analysisBeforeTraffic.push(i + 1);
                }
            }
        });
        if (!analysisAfterTraffic) {
            reportViolation(
                analysisBeforeTraffic.length === 0
                    ? `${subject} has no analysis step: promotion then never waits for a ` +
                          "successful measurement, and the canary is promoted when the last pause " +
                          "ends even if no measurement succeeded. Add an {analysis: {count: N}} " +
                          "step after a setWeight in progressive-delivery:rollout.steps."
                    : `${subject}: no analysis step comes after a setWeight above 0 (analysis ` +
                          `at step ${analysisBeforeTraffic.join(", ")}), so the analysis measures a ` +
                          "canary that gets no traffic and promotion waits on nothing. Put an " +
                          "analysis step after a step such as {setWeight: 20} in " +
                          "progressive-delivery:rollout.steps.",
            );
        }
        const deadline = at(args.props, "deadlineSeconds");
        if (deadline === UNKNOWN) {
            return;
        }
        if (typeof deadline !== "number" || !(deadline > 0)) {
            reportViolation(
                `${subject} has no deadline (deadlineSeconds is ${deadline === undefined ? "not set" : show(deadline)}): ` +
                    "a rollout without one can hold pulumi up, and the stack's lock, for as long " +
                    "as the canary keeps waiting for measurements. Set " +
                    'progressive-delivery:rollout.deadline, e.g. "30m".',
            );
        } else if (pauseSeconds >= deadline) {
            reportViolation(
                `${subject} has a deadline of ${deadline}s, but its pauses alone take ` +
                    `${pauseSeconds}s, so every release would run out of time and roll back. ` +
                    `Raise progressive-delivery:rollout.deadline above ${pauseSeconds}s or shorten ` +
                    "the pauses.",
            );
        }
    }),
};
