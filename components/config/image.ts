// app.image against the OCI reference grammar (github.com/distribution/reference, the grammar
// containerd and Docker parse with), then this program's own rule: pinned by a tag or a digest,
// never `latest` or none. The grammar, from distribution/reference's reference.go:
//
//   reference        := name [ ":" tag ] [ "@" digest ]
//   name             := [domain '/'] remote-name          (at most 255 characters)
//   domain           := host [':' port-number]            (the first component, when it has a
//                                                         '.' or ':', is "localhost", or has
//                                                         an upper-case letter)
//   host             := domain-name | IPv4address | '[' IPv6address ']'
//   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
//   path-component   := alpha-numeric [separator alpha-numeric]*
//   alpha-numeric    := /[a-z0-9]+/
//   separator        := /[_.]|__|[-]+/
//   tag              := /[\w][\w.-]{0,127}/
//   digest           := algorithm ":" hex; go-digest accepts sha256 (64 lower-case hex digits),
//                       sha384 (96) and sha512 (128)
import { show } from "../rollout/core/check";

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6 = /^\[[a-fA-F0-9:]+\]$/;
const TAG = /^\w[\w.-]*$/;
const MAX_TAG = 128;
const MAX_NAME = 255;
const DIGEST_HEX: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
const EXAMPLE = '"argoproj/rollouts-demo:blue"';

/** What is wrong with image reference `ref`, as the end of a message; undefined when valid. */
export function imageProblem(ref: string): string | undefined {
    const bad = (what: string, fix: string) =>
        `${show(ref)} is not a valid image reference: ${what}; ${fix}`;
    if (/[\s\p{Cc}]/u.test(ref)) {
        return bad("it contains whitespace", `write it as repository:tag, e.g. ${EXAMPLE}`);
    }
    if (ref.includes("$")) {
        return bad(
            'it contains "$", a variable that was not substituted',
            'put the value itself into the config, e.g. `pulumi config set --path app.image "repo:$TAG"` in a shell that expands it',
        );
    }
    if (ref.indexOf("@") !== ref.lastIndexOf("@")) {
        return bad(
            'it has more than one "@"',
            `write it as repository[:tag][@digest], e.g. ${EXAMPLE}`,
        );
    }
    const at = ref.indexOf("@");
    const nameTag = at < 0 ? ref : ref.slice(0, at);
    const digest = at < 0 ? undefined : ref.slice(at + 1);
    if (digest !== undefined) {
        const problem = digestProblem(digest);
        if (problem) {
            return bad(problem, `a digest is "@sha256:" and 64 lower-case hex digits`);
        }
    }
    const slash = nameTag.lastIndexOf("/");
    const colon = nameTag.lastIndexOf(":");
    const tag = colon > slash ? nameTag.slice(colon + 1) : undefined;
    const name = colon > slash ? nameTag.slice(0, colon) : nameTag;
    const pin = `pin a version, e.g. ${show(`${name || "repository"}:1.2.3`)}, or a digest ${show(`${name || "repository"}@sha256:...`)}`;
    if (tag !== undefined) {
        if (tag === "") {
            return bad('the tag after ":" is empty', pin);
        }
        if (!TAG.test(tag) || tag.length > MAX_TAG) {
            return bad(
                tag.length > MAX_TAG
                    ? `the tag is ${tag.length} characters long`
                    : `the tag ${show(tag)} is not valid`,
                `a tag is 1 to ${MAX_TAG} letters, digits, "_", "." and "-", not starting with "." or "-"`,
            );
        }
    }
    const problem = nameProblem(name);
    if (problem) {
        return bad(problem, `write it as [registry/]repository[:tag], e.g. ${EXAMPLE}`);
    }
    if (tag === undefined && digest === undefined) {
        return `${show(ref)} has no tag; pin a version, e.g. ${show(`${ref}:v1.2.3`)}, or a digest ${show(`${ref}@sha256:...`)}`;
    }
    if (tag === "latest" && digest === undefined) {
        return `${show(ref)} uses the tag "latest", which changes under you and defeats the canary; pin a version tag or a digest`;
    }
    return undefined;
}

function digestProblem(digest: string): string | undefined {
    const colon = digest.indexOf(":");
    if (colon < 0) {
        return `the digest ${show(digest)} has no algorithm`;
    }
    const algorithm = digest.slice(0, colon);
    const hex = digest.slice(colon + 1);
    // Own keys only: `constructor` or `toString` is no algorithm.
    const length = Object.hasOwn(DIGEST_HEX, algorithm) ? DIGEST_HEX[algorithm] : undefined;
    if (length === undefined) {
        return `the digest algorithm ${show(algorithm)} is not sha256, sha384 or sha512`;
    }
    if (!new RegExp(`^[a-f0-9]{${length}}$`).test(hex)) {
        return `the ${algorithm} digest ${show(hex)} is not ${length} lower-case hex digits (it has ${hex.length} characters)`;
    }
    return undefined;
}

function nameProblem(name: string): string | undefined {
    if (name === "") {
        return "it has no repository name";
    }
    if (name.length > MAX_NAME) {
        return `the name is ${name.length} characters long, more than ${MAX_NAME}`;
    }
    const parts = name.split("/");
    const first = parts[0];
    const isDomain =
        parts.length > 1 &&
        (first.includes(".") ||
            first.includes(":") ||
            first === "localhost" ||
            /[A-Z]/.test(first));
    if (isDomain && !validDomain(first)) {
        return `the registry ${show(first)} is not a host name or address with an optional :port`;
    }
    const path = isDomain ? parts.slice(1) : parts;
    const wrong = path.find((p) => !PATH_COMPONENT.test(p));
    if (wrong !== undefined) {
        return /[A-Z]/.test(wrong)
            ? `the repository ${show(path.join("/"))} has upper-case letters; repository names are lower-case`
            : `the repository name component ${show(wrong)} is not lower-case letters and digits separated by ".", "_", "__" or "-"`;
    }
    return undefined;
}

function validDomain(domain: string): boolean {
    const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(domain);
    if (!m) {
        return false;
    }
    const host = m[1];
    return IPV6.test(host) || host.split(".").every((c) => DOMAIN_COMPONENT.test(c));
}
