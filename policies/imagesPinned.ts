// Images are valid references pinned by a version tag or a digest. With `:latest` (or no tag,
// which is `:latest`) a new image changes the code but not the pod template, so its hash does not
// change, no canary runs, and nodes pull whichever version the registry serves when a pod starts.
// A reference outside the OCI grammar (distribution/reference, which containerd and Docker parse
// with), such as `nginx:`, `nginx::1` or `nginx@sha256:`, never starts at all:
//
//   reference := name [":" tag] ["@" digest]       name := [domain "/"] path (255 characters)
//   domain    := host [":" port]  (the first component, when it has "." or ":", is "localhost",
//                                  or has an upper-case letter)
//   path      := components of [a-z0-9]+ separated by ".", "_", "__" or "-"+, joined by "/"
//   tag       := [\w][\w.-]{0,127}    digest := sha256:64 | sha384:96 | sha512:128 lower hex
import { ResourceValidationPolicy } from "@pulumi/policy";
import {
    at,
    containersOf,
    ofTypes,
    podTemplateOf,
    show,
    UNKNOWN,
    WORKLOAD_TYPES,
} from "./lib/resources";

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST =
    /^(?:\[[a-fA-F0-9:]+\]|(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*)(?::\d+)?$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST_HEX: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
const EXAMPLE = '"argoproj/rollouts-demo:blue"';
const NAME_FIX = `write it as [registry/]repository[:tag], e.g. ${EXAMPLE}`;

/**
 * Why an image reference may not run as a canary: "no tag", "latest", or what makes it invalid
 * with its fix; undefined when it is valid and pinned.
 */
export function imageProblem(ref: string): "no tag" | "latest" | string | undefined {
    if (/[\s\p{Cc}]/u.test(ref)) {
        return `it contains whitespace; write it as repository:tag, e.g. ${EXAMPLE}`;
    }
    if (ref.includes("$")) {
        return 'it contains "$", a variable that was not substituted; put the value itself into the image';
    }
    const [nameTag, digest, extra] = ref.split("@");
    if (extra !== undefined) {
        return `it has more than one "@"; write it as repository[:tag][@digest], e.g. ${EXAMPLE}`;
    }
    if (digest !== undefined) {
        const colon = digest.indexOf(":");
        const [algorithm, hex] = [digest.slice(0, colon), digest.slice(colon + 1)];
        const length = Object.hasOwn(DIGEST_HEX, algorithm) ? DIGEST_HEX[algorithm] : undefined;
        const wrong =
            colon < 0
                ? `the digest ${show(digest)} has no algorithm`
                : length === undefined
                  ? `the digest algorithm ${show(algorithm)} is not sha256, sha384 or sha512`
                  : !new RegExp(`^[a-f0-9]{${length}}$`).test(hex)
                    ? `the ${algorithm} digest ${show(hex)} is not ${length} lower-case hex digits`
                    : undefined;
        if (wrong) {
            return `${wrong}; a digest is "@sha256:" and 64 lower-case hex digits`;
        }
    }
    const colon = nameTag.lastIndexOf(":");
    const tag = colon > nameTag.lastIndexOf("/") ? nameTag.slice(colon + 1) : undefined;
    const name = tag === undefined ? nameTag : nameTag.slice(0, colon);
    if (tag !== undefined && !TAG.test(tag)) {
        const repo = name || "repository";
        return tag === ""
            ? `the tag after ":" is empty; pin a version, e.g. ${show(`${repo}:1.2.3`)}, or a digest ${show(`${repo}@sha256:...`)}`
            : `the tag ${show(tag)} is not 1 to 128 letters, digits, "_", "." and "-", not starting with "." or "-"`;
    }
    const wrongName = nameProblem(name);
    if (wrongName) {
        return `${wrongName}; ${NAME_FIX}`;
    }
    if (digest === undefined && tag === undefined) {
        return "no tag";
    }
    return digest === undefined && tag === "latest" ? "latest" : undefined;
}

function nameProblem(name: string): string | undefined {
    if (name === "") {
        return "it has no repository name";
    }
    if (name.length > 255) {
        return `the name is ${name.length} characters long, more than 255`;
    }
    const parts = name.split("/");
    const domain = parts.length > 1 && /[.:A-Z]|^localhost$/.test(parts[0]) ? parts[0] : undefined;
    if (domain !== undefined && !HOST.test(domain)) {
        return `the registry ${show(domain)} is not a host name or address with an optional :port`;
    }
    const path = domain === undefined ? parts : parts.slice(1);
    const wrong = path.find((p) => !PATH_COMPONENT.test(p));
    if (wrong === undefined) {
        return undefined;
    }
    return /[A-Z]/.test(wrong)
        ? `the repository ${show(path.join("/"))} has upper-case letters; repository names are lower-case`
        : `the repository name component ${show(wrong)} is not lower-case letters and digits separated by ".", "_", "__" or "-"`;
}

export const imagesPinned: ResourceValidationPolicy = {
    name: "images-pinned",
    description:
        "Every container image is a valid reference (the OCI grammar) pinned by a version tag " +
        "or a digest, never `:latest` or no tag: a moving tag changes the code without changing " +
        "the pod template, so no canary runs.",
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
            const why = imageProblem(image);
            if (!why) {
                continue;
            }
            const runs = `${kind} "${args.name}" ${c.kind} "${c.name}" runs image ${show(image)}`;
            const fix = "for a CanaryApp set progressive-delivery:app.image.";
            if (why !== "no tag" && why !== "latest") {
                reportViolation(`${runs}, which is not a valid image reference: ${why}; ${fix}`);
                continue;
            }
            const base = image.split("@")[0];
            const repo = why === "latest" ? base.slice(0, -":latest".length) : base;
            reportViolation(
                `${runs}${why === "no tag" ? `, which has no tag and so means "${base}:latest"` : ""}: ` +
                    "a moving tag changes the code without changing the pod template, so no " +
                    "canary runs for the new version and each node may run a different one. Pin a " +
                    `version tag (e.g. "${repo}:1.2.3") or a digest ("${repo}@sha256:..."); ${fix}`,
            );
        }
    }),
};
