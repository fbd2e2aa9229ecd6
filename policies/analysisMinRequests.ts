// A measurement over too few requests says nothing: one successful request is a 100% success
// rate. minRequests makes such a measurement Inconclusive instead of a pass.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { at, ofType, show, TYPES, UNKNOWN } from "./lib/resources";
import { key, metricsOf, subject } from "./lib/rollout";

export const analysisMinRequests: ResourceValidationPolicy = {
    name: "analysis-min-requests",
    description:
        "Every analysis metric sets minRequests above 0, so a canary that served almost no " +
        "traffic is never judged healthy on a handful of requests.",
    enforcementLevel: "mandatory",
    validateResource: ofType(TYPES.canaryRollout, (args, reportViolation) => {
        for (const m of metricsOf(args.props)) {
            const v = at(m.props, "minRequests");
            if (v === UNKNOWN || (typeof v === "number" && v > 0)) {
                continue;
            }
            reportViolation(
                `${subject(args.name, m)}: minRequests is ${v === undefined ? "not set" : show(v)}; ` +
                    "without a minimum, a canary that served a handful of requests can be " +
                    "promoted (one successful request is a 100% success rate). Set " +
                    `${key(m, "minRequests")} above 0, e.g. 10 (more for busy services).`,
            );
        }
    }),
};
