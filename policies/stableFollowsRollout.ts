// Across the stack: each CanaryRollout's stable Deployment carries the hash the rollout promoted
// and runs the images of the promoted template. Checked on outputs, so it holds for what was
// actually applied; stable-template-unedited checks the Deployment's own inputs before it is
// changed.
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import {
    asObject,
    at,
    containersOf,
    plain,
    TEMPLATE_HASH_ANNOTATION,
    TYPES,
    UNKNOWN,
} from "./lib/resources";
import { short } from "./lib/templateHash";

/** Container name -> image, for containers whose image is known. */
function images(template: unknown): Map<string, string> {
    const out = new Map<string, string>();
    for (const c of containersOf(template)) {
        const image = at(c.props, "image");
        out.set(c.name, typeof image === "string" ? image : "");
    }
    return out;
}

function checkStable(
    rollout: PolicyResource,
    stable: PolicyResource,
    reportViolation: (message: string, urn?: string) => void,
): void {
    const promotedHash = at(rollout.props, "promotedHash");
    const annotation = at(stable.props, "metadata", "annotations", TEMPLATE_HASH_ANNOTATION);
    if (typeof promotedHash === "string" && annotation !== UNKNOWN) {
        if (annotation === undefined) {
            reportViolation(
                `Deployment "${stable.name}" is the stable Deployment of CanaryRollout ` +
                    `"${rollout.name}" but has no ${TEMPLATE_HASH_ANNOTATION} annotation, so ` +
                    "nothing records which promoted template it runs and the rollout cannot tell " +
                    "whether stable has caught up. Set the annotation from the rollout's " +
                    "promotedHash, as CanaryApp does.",
                stable.urn,
            );
        } else if (annotation !== promotedHash) {
            reportViolation(
                `Deployment "${stable.name}" carries template hash ` +
                    `${typeof annotation === "string" ? short(annotation) : JSON.stringify(annotation)}, ` +
                    `but its CanaryRollout "${rollout.name}" promoted ${short(promotedHash)}: the ` +
                    "stable Deployment was changed outside the rollout, so its users get a template " +
                    "no canary has tested. Change the app through its config so that pulumi up runs " +
                    "a canary, and take stable's template and annotation from the rollout's outputs.",
                stable.urn,
            );
        }
    }
    const promoted = plain(at(rollout.props, "promotedTemplate"));
    const running = plain(at(stable.props, "spec", "template"));
    if (!asObject(promoted) || !asObject(running)) {
        return; // unknown during preview, or not promoted yet
    }
    const want = images(promoted);
    const have = images(running);
    const names = (m: Map<string, string>) => [...m.keys()].sort();
    if (JSON.stringify(names(want)) !== JSON.stringify(names(have))) {
        reportViolation(
            `Deployment "${stable.name}" runs containers ${JSON.stringify(names(have))}, but its ` +
                `CanaryRollout "${rollout.name}" promoted ${JSON.stringify(names(want))}: a ` +
                "container added to or removed from stable directly reaches every user without a " +
                "canary. Change the pod template through the app's config and let the rollout " +
                "promote it.",
            stable.urn,
        );
        return;
    }
    for (const [name, image] of have) {
        if (image !== want.get(name)) {
            reportViolation(
                `Deployment "${stable.name}" container "${name}" runs image "${image}", but its ` +
                    `CanaryRollout "${rollout.name}" promoted "${want.get(name)}": an image ` +
                    "changed directly on stable reaches every user without a canary. Set the new " +
                    "image in the app's config (progressive-delivery:app.image) so that pulumi up " +
                    "releases it through the canary.",
                stable.urn,
            );
        }
    }
}

export const stableFollowsRollout: StackValidationPolicy = {
    name: "stable-follows-rollout",
    description:
        "Each CanaryRollout's stable Deployment exists in the stack, carries the template hash " +
        "the rollout promoted and runs the promoted template's images: stable changes only " +
        "through a canary.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const rollouts = args.resources.filter((r) => r.type === TYPES.canaryRollout);
        if (rollouts.length === 0) {
            args.notApplicable("the stack has no CanaryRollout");
        }
        const deployments = args.resources.filter((r) => r.type === TYPES.deployment);
        for (const rollout of rollouts) {
            const namespace = at(rollout.props, "namespace");
            const name = at(rollout.props, "stableDeployment");
            if (typeof name !== "string") {
                continue;
            }
            const stables = deployments.filter((d) => {
                const ns = at(d.props, "metadata", "namespace");
                return (
                    at(d.props, "metadata", "name") === name &&
                    (typeof namespace !== "string" || typeof ns !== "string" || ns === namespace)
                );
            });
            if (stables.length === 0) {
                reportViolation(
                    `CanaryRollout "${rollout.name}" promotes to the stable Deployment "${name}"` +
                        `${typeof namespace === "string" ? ` in namespace "${namespace}"` : ""}, ` +
                        "but this stack has no such Deployment, so the stable version is managed " +
                        "outside the rollout and can change without a canary. Manage the stable " +
                        "Deployment in this stack, with its template taken from the rollout's " +
                        "promotedTemplate (as CanaryApp does).",
                    rollout.urn,
                );
            }
            for (const stable of stables) {
                checkStable(rollout, stable, reportViolation);
            }
        }
    },
};
