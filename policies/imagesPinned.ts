// Images are pinned by a version tag or a digest. With `:latest` (or no tag, which is `:latest`)
// a new image changes the code but not the pod template, so its hash does not change, no canary
// runs, and nodes pull whichever version the registry serves when a pod starts.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { at, containersOf, ofTypes, podTemplateOf, UNKNOWN, WORKLOAD_TYPES } from "./lib/resources";

/** Why a reference is not pinned, or undefined when it is. */
export function unpinned(image: string): "no tag" | "latest" | undefined {
    const at = image.indexOf("@");
    const name = at < 0 ? image : image.slice(0, at);
    if (at >= 0 && /^[A-Za-z0-9_+.-]+:[0-9a-fA-F]{32,}$/.test(image.slice(at + 1))) {
        return undefined; // a digest pins the content, whatever the tag says
    }
    const last = name.slice(name.lastIndexOf("/") + 1);
    const colon = last.lastIndexOf(":");
    if (colon < 0) {
        return "no tag";
    }
    return last.slice(colon + 1) === "latest" ? "latest" : undefined;
}

export const imagesPinned: ResourceValidationPolicy = {
    name: "images-pinned",
    description:
        "Every container image is pinned by a version tag or a digest, never `:latest` or no " +
        "tag: a moving tag changes the code without changing the pod template, so no canary runs.",
    enforcementLevel: "mandatory",
    validateResource: ofTypes(WORKLOAD_TYPES, (args, reportViolation) => {
        const kind = args.type.slice(args.type.lastIndexOf(":") + 1);
        const template = podTemplateOf(args.type, args.props);
        if (template === UNKNOWN) {
            return; // the stable Deployment's template during preview; the canary's is checked
        }
        for (const c of containersOf(template)) {
            const image = at(c.props, "image");
            if (typeof image !== "string") {
                continue;
            }
            const why = unpinned(image);
            if (!why) {
                continue;
            }
            const base = image.split("@")[0];
            const repo = why === "latest" ? base.slice(0, -":latest".length) : base;
            reportViolation(
                `${kind} "${args.name}" ${c.kind} "${c.name}" runs image "${image}"` +
                    `${why === "no tag" ? `, which has no tag and so means "${base}:latest"` : ""}: ` +
                    "a moving tag changes the code without changing the pod template, so no " +
                    "canary runs for the new version and each node may run a different one. Pin a " +
                    `version tag (e.g. "${repo}:1.2.3") or a digest ("${repo}@sha256:..."); for a ` +
                    "CanaryApp set progressive-delivery:app.image.",
            );
        }
    }),
};
