// A measurement over too few requests says nothing: one successful request is a 100% success
// rate. minRequests makes such a measurement Inconclusive instead of a pass.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { ofType, show, TYPES } from "./lib/resources";
import { key, metricsOf, subject } from "./lib/rollout";

const MAX_REQUESTS = 1e9;

export const analysisMinRequests: ResourceValidationPolicy = {
    name: "analysis-min-requests",
    description:
        "Every analysis metric sets minRequests to a whole number above 0, so a canary that " +
        "served almost no traffic is never judged healthy on a handful of requests.",
    enforcementLevel: "mandatory",
    validateResource: ofType(TYPES.canaryRollout, (args, reportViolation) => {
        for (const m of metricsOf(args.props)) {
            const v = m.props.minRequests;
            if (Number.isInteger(v) && (v as number) > 0 && (v as number) <= MAX_REQUESTS) {
                continue;
            }
            reportViolation(
                `${subject(args.name, m)}: minRequests is ${v === undefined ? "not set" : show(v)}; ` +
                    "without a minimum, a canary that served a handful of requests can be " +
                    "promoted (one successful request is a 100% success rate). Set " +
                    `${key(m, "minRequests")} to a whole number above 0 (at most ${MAX_REQUESTS}), ` +
                    "e.g. 10 (more for busy services).",
            );
        }
    }),
};
