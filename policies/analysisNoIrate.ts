// irate() reads the last two samples only: a gate built on it flaps on one scrape.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { at, ofType, show, TYPES } from "./lib/resources";
import { key, metricsOf, subject } from "./lib/rollout";

const IRATE = /\birate\s*\(/;

export const analysisNoIrate: ResourceValidationPolicy = {
    name: "analysis-no-irate",
    description:
        "No gating query of a CanaryRollout uses irate(): it looks at the last two samples " +
        "only, so the verdict flaps on a single scrape; rate() over the window is stable.",
    enforcementLevel: "mandatory",
    validateResource: ofType(TYPES.canaryRollout, (args, reportViolation) => {
        for (const m of metricsOf(args.props)) {
            for (const field of ["query", "requestsQuery"]) {
                const q = at(m.props, field);
                if (typeof q !== "string" || !IRATE.test(q)) {
                    continue;
                }
                reportViolation(
                    `${subject(args.name, m)} uses irate() in its ${field} ${show(q)}: ` +
                        "irate looks only at the last two samples, so the gate flaps on a single " +
                        "scrape and ignores the rest of the window. Use rate(...[{{args.window}}]) " +
                        `in ${key(m, field)}.`,
                );
            }
        }
    }),
};
