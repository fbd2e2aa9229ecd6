// Each metric states how many failed measurements and how many errors in a row abort the canary.
// (A stated value out of bounds is rollout-settings' to stop.)
import { ResourceValidationPolicy } from "@pulumi/policy";
import { ofType, TYPES } from "./lib/resources";
import { key, metricsOf, subject } from "./lib/rollout";

const WHY: Record<string, string> = {
    failureLimit:
        "it is how many failed measurements abort the canary, and left unset the engine falls " +
        "back to 0 without the tolerance being visible to anyone reviewing the stack",
    consecutiveErrorLimit:
        "it is how many Prometheus errors in a row abort the rollout, and left unset the engine " +
        "falls back to 4, so a Prometheus outage during a release is handled by a default " +
        "nobody chose",
};
const EXAMPLE: Record<string, number> = { failureLimit: 2, consecutiveErrorLimit: 4 };

export const analysisLimits: ResourceValidationPolicy = {
    name: "analysis-limits",
    description:
        "Every analysis metric of a CanaryRollout sets failureLimit and consecutiveErrorLimit, " +
        "so the tolerance for failed measurements and Prometheus errors is stated, not defaulted.",
    enforcementLevel: "advisory",
    validateResource: ofType(TYPES.canaryRollout, (args, reportViolation) => {
        for (const m of metricsOf(args.props)) {
            for (const field of ["failureLimit", "consecutiveErrorLimit"]) {
                if (m.props[field] !== undefined && m.props[field] !== null) {
                    continue;
                }
                reportViolation(
                    `${subject(args.name, m)}: ${field} is not set; ` +
                        `it must be a whole number of 0 or more, because ${WHY[field]}. Set ` +
                        `${key(m, field)}, e.g. ${EXAMPLE[field]}.`,
                );
            }
        }
    }),
};
