// Each metric says what healthy is: a successCondition such as `result[0] >= 0.95`.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { at, ofType, show, TYPES, UNKNOWN } from "./lib/resources";
import { key, metricsOf, subject } from "./lib/rollout";

export const analysisSuccessCondition: ResourceValidationPolicy = {
    name: "analysis-success-condition",
    description:
        "Every analysis metric has a successCondition, so the bar the canary must clear is " +
        "explicit and shown in the evidence, not implied by a failureCondition.",
    enforcementLevel: "advisory",
    validateResource: ofType(TYPES.canaryRollout, (args, reportViolation) => {
        for (const m of metricsOf(args.props)) {
            const success = at(m.props, "successCondition");
            if (success === UNKNOWN || (typeof success === "string" && success.trim() !== "")) {
                continue;
            }
            const failure = at(m.props, "failureCondition");
            const why =
                typeof failure === "string" && failure.trim() !== ""
                    ? `healthy is then only implied by the failureCondition ${show(failure)}, ` +
                      "so any value that does not match it, however poor, counts as a success, " +
                      "and the evidence does not show the bar the canary had to clear"
                    : "with no condition at all, nothing decides whether a measurement passed";
            reportViolation(
                `${subject(args.name, m)} has no successCondition: ${why}. Set ` +
                    `${key(m, "successCondition")}, e.g. "result[0] >= 0.95".`,
            );
        }
    }),
};
