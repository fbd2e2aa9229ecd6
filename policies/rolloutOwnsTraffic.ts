// The rollout owns the canary's share of the traffic: it writes the weight (and, with
// router.header, the header route) with its own field manager during a run and resets them to
// stable at every end. Pulumi declares the route at rest: the canary Ingress with none of
// ingress-nginx's canary-weight / canary-by-* annotations, the HTTPRoute's canary backendRef with
// weight 0 and no header rule. A value Pulumi declared would send users to the canary outside any
// run (to a canary scaled to zero after a rollback, or an untested version), and each `pulumi up`
// would take the field back from the rollout. Checked on inputs: the outputs of a route hold the
// rollout's own writes.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { canaryAppOf, rulesOf } from "./lib/gatewayApi";
import { CONFIG } from "./lib/rollout";
import {
    CANARY_ANNOTATION,
    ofTypes,
    ROLLOUT_OWNED_ANNOTATIONS,
    show,
    stringMap,
    TRACK_SUFFIX,
    TYPES,
    UNKNOWN,
} from "./lib/resources";

const HEADER = `${CONFIG}router.header`;

/** Why Pulumi must not declare the canary's weight, and the fix. */
const WEIGHT_OWNED =
    "the rollout writes the canary's weight during a run and sets it back to 0 at every end; " +
    "declared by Pulumi it sends users to the canary outside any run, and each `pulumi up` " +
    "takes the weight back from the rollout";
/** Why Pulumi must not declare a header route to the canary. */
const HEADER_OWNED =
    "the rollout writes the header route when a run turns it on and removes it at every end; " +
    "declared by Pulumi it sends those requests to the canary outside any run (to no pod once " +
    "the canary is scaled down after a rollback)";
const SET_HEADER = `set ${HEADER}.name and ${HEADER}.value instead`;
const SET_STEPS = `the rollout's steps (${CONFIG}rollout.steps) set the weight`;

/** Why Pulumi must not declare an annotation of the canary Ingress, and the fix. */
function annotationProblem(annotation: string): string {
    if (annotation.includes("canary-weight")) {
        return `${WEIGHT_OWNED}. Remove the annotation; ${SET_STEPS}`;
    }
    if (annotation.includes("canary-by-header")) {
        return `${HEADER_OWNED}. Remove the annotation and ${SET_HEADER}`;
    }
    return (
        "it sends the requests it selects to the canary whatever the weight, traffic the rollout " +
        "cannot steer nor take back at a rollback. Remove the annotation; for access to the " +
        `canary before its first weight ${SET_HEADER}`
    );
}

export const rolloutOwnsTraffic: ResourceValidationPolicy = {
    name: "rollout-owns-traffic",
    description:
        "Pulumi declares the canary's traffic at rest and leaves the rest to the rollout: no " +
        "canary-weight or canary-by-* annotation on a canary Ingress, and on an HTTPRoute the " +
        "canary Service's weight 0 and no header rule to it.",
    enforcementLevel: "mandatory",
    validateResource: ofTypes([TYPES.ingress, TYPES.httpRoute], (args, reportViolation) => {
        if (args.type === TYPES.ingress) {
            const annotations = stringMap(args.props, "metadata", "annotations");
            if (annotations[CANARY_ANNOTATION] !== "true") {
                args.notApplicable("not a canary Ingress");
            }
            for (const a of ROLLOUT_OWNED_ANNOTATIONS.filter((x) => x in annotations)) {
                reportViolation(
                    `canary Ingress "${args.name}" declares ${a}: ${show(annotations[a])}, but ` +
                        `${annotationProblem(a)}.`,
                );
            }
            return;
        }
        const app = canaryAppOf(args.props);
        if (app === undefined) {
            args.notApplicable("the HTTPRoute sends to no CanaryApp's stable and canary Services");
        }
        const canary = `${app}${TRACK_SUFFIX.canary}`;
        for (const rule of rulesOf(args.props)) {
            const refs = rule.backendRefs.filter((b) => b.kind === "Service" && b.name === canary);
            if (refs.length === 0) {
                continue;
            }
            const where = `HTTPRoute "${args.name}" spec.rules[${rule.index}]`;
            if (rule.matchesHeaders === true) {
                reportViolation(
                    `${where} sends requests with header ${rule.headers.join(", ")} to the canary ` +
                        `Service "${canary}", but ${HEADER_OWNED}. Remove the rule and ${SET_HEADER}.`,
                );
                continue;
            }
            for (const ref of refs) {
                if (ref.weight !== 0 && ref.weight !== UNKNOWN) {
                    reportViolation(
                        `${where} gives the canary Service "${canary}" weight ` +
                            `${ref.weight === undefined ? "nothing (the Gateway API reads 1)" : show(ref.weight)}, ` +
                            `but ${WEIGHT_OWNED}. Declare weight 0; ${SET_STEPS}.`,
                    );
                }
            }
        }
    }),
};
