// The stable Deployment runs exactly the template its template-hash annotation names. CanaryApp
// sets both from the CanaryRollout's outputs (promotedTemplate, promotedHash), so they agree
// unless something edited the template after promotion: a transformation, or a direct image
// change on stable, which would reach every user without a canary.
import { ResourceValidationPolicy } from "@pulumi/policy";
import {
    asObject,
    at,
    containersOf,
    ofType,
    plain,
    TEMPLATE_HASH_ANNOTATION,
    TYPES,
    UNKNOWN,
} from "./lib/resources";
import { short, templateHash, withoutTrack } from "./lib/templateHash";

export const stableTemplateUnedited: ResourceValidationPolicy = {
    name: "stable-template-unedited",
    description:
        "The stable Deployment of a CanaryApp runs exactly the pod template its " +
        `${TEMPLATE_HASH_ANNOTATION} annotation names, the one its CanaryRollout promoted: a ` +
        "template edited on stable (a transformation, a direct image change) reaches every user " +
        "without a canary.",
    enforcementLevel: "mandatory",
    validateResource: ofType(TYPES.deployment, (args, reportViolation) => {
        const annotations = at(args.props, "metadata", "annotations");
        const a = annotations === UNKNOWN ? undefined : asObject(annotations);
        if (!a || !(TEMPLATE_HASH_ANNOTATION in a)) {
            return; // not the stable Deployment of a CanaryApp
        }
        const template = plain(at(args.props, "spec", "template"));
        if (template === UNKNOWN || !asObject(template)) {
            // During a canary's preview the template is the rollout's (unknown) output: fine.
            return;
        }
        const recorded = at(a, TEMPLATE_HASH_ANNOTATION);
        if (recorded === UNKNOWN) {
            reportViolation(
                `Deployment "${args.name}": its pod template is known during preview while its ` +
                    `${TEMPLATE_HASH_ANNOTATION} annotation is not, so the template does not come ` +
                    "from the CanaryRollout's promotedTemplate and would reach stable without a " +
                    "canary. Take the stable Deployment's spec.template and annotation from its " +
                    "CanaryRollout's outputs (promotedTemplate, promotedHash), as CanaryApp does, " +
                    "and change the app through its config.",
            );
            return;
        }
        const actual = templateHash(withoutTrack(template));
        if (actual !== recorded) {
            const images = containersOf(template)
                .map((c) => at(c.props, "image"))
                .filter((i): i is string => typeof i === "string");
            reportViolation(
                `Deployment "${args.name}": its pod template (image ${images.map((i) => `"${i}"`).join(", ")}) ` +
                    `hashes to ${short(actual)}, but its ${TEMPLATE_HASH_ANNOTATION} annotation ` +
                    `says ${typeof recorded === "string" ? short(recorded) : JSON.stringify(recorded)}, ` +
                    "the template its CanaryRollout promoted: the template was edited after " +
                    "promotion (e.g. by a transformation or a direct image change), so stable " +
                    "would run a version no canary has tested. Change the app through its config " +
                    "(e.g. progressive-delivery:app.image) so that pulumi up runs a canary, and " +
                    "leave the stable Deployment's template to the rollout.",
            );
        }
    }),
};
