// app.image values outside the OCI reference grammar (distribution/reference) or not pinned,
// each with the config layer's exact message after "progressive-delivery:app.image: ", and valid
// references: test/unit/components/config/image.test.ts checks them against validateConfig,
// test/unit/policies/ against the pack's images-pinned.

export const H64 = "0123456789abcdef".repeat(4);
const NAME_FIX = 'write it as [registry/]repository[:tag], e.g. "argoproj/rollouts-demo:blue"';
const TAG_FIX = 'a tag is 1 to 128 letters, digits, "_", "." and "-", not starting with "." or "-"';
const DIGEST_FIX = 'a digest is "@sha256:" and 64 lower-case hex digits';
const COMPONENT = 'is not lower-case letters and digits separated by ".", "_", "__" or "-"';

/** [image, the exact message after the key]. */
export const IMAGE_CASES: [string, string][] = [
    [
        "nginx:",
        '"nginx:" is not a valid image reference: the tag after ":" is empty; pin a version, e.g. "nginx:1.2.3", or a digest "nginx@sha256:..."',
    ],
    [":1", `":1" is not a valid image reference: it has no repository name; ${NAME_FIX}`],
    [
        "@sha256:" + H64,
        `"@sha256:${H64}" is not a valid image reference: it has no repository name; ${NAME_FIX}`,
    ],
    [
        "nginx@sha256:",
        `"nginx@sha256:" is not a valid image reference: the sha256 digest "" is not 64 lower-case hex digits (it has 0 characters); ${DIGEST_FIX}`,
    ],
    [
        `nginx@sha256:${H64.slice(1)}`,
        `"nginx@sha256:${H64.slice(1)}" is not a valid image reference: the sha256 digest "${H64.slice(1)}" is not 64 lower-case hex digits (it has 63 characters); ${DIGEST_FIX}`,
    ],
    [
        `nginx@sha256:${H64.toUpperCase()}`,
        `"nginx@sha256:${H64.toUpperCase()}" is not a valid image reference: the sha256 digest "${H64.toUpperCase()}" is not 64 lower-case hex digits (it has 64 characters); ${DIGEST_FIX}`,
    ],
    [
        `nginx@md5:${H64}`,
        `"nginx@md5:${H64}" is not a valid image reference: the digest algorithm "md5" is not sha256, sha384 or sha512; ${DIGEST_FIX}`,
    ],
    [
        `nginx@constructor:abc`,
        `"nginx@constructor:abc" is not a valid image reference: the digest algorithm "constructor" is not sha256, sha384 or sha512; ${DIGEST_FIX}`,
    ],
    [
        `nginx@${H64}`,
        `"nginx@${H64}" is not a valid image reference: the digest "${H64}" has no algorithm; ${DIGEST_FIX}`,
    ],
    [
        `nginx@sha512:${H64}`,
        `"nginx@sha512:${H64}" is not a valid image reference: the sha512 digest "${H64}" is not 128 lower-case hex digits (it has 64 characters); ${DIGEST_FIX}`,
    ],
    [
        `a@b@sha256:${H64}`,
        `"a@b@sha256:${H64}" is not a valid image reference: it has more than one "@"; write it as repository[:tag][@digest], e.g. "argoproj/rollouts-demo:blue"`,
    ],
    [
        "nginx:${TAG}",
        '"nginx:${TAG}" is not a valid image reference: it contains "$", a variable that was not substituted; put the value itself into the config, e.g. `pulumi config set --path app.image "repo:$TAG"` in a shell that expands it',
    ],
    [
        "$REGISTRY/app:1",
        '"$REGISTRY/app:1" is not a valid image reference: it contains "$", a variable that was not substituted; put the value itself into the config, e.g. `pulumi config set --path app.image "repo:$TAG"` in a shell that expands it',
    ],
    [
        "nginx::1",
        `"nginx::1" is not a valid image reference: the repository name component "nginx:" ${COMPONENT}; ${NAME_FIX}`,
    ],
    [
        "Nginx:1",
        `"Nginx:1" is not a valid image reference: the repository "Nginx" has upper-case letters; repository names are lower-case; ${NAME_FIX}`,
    ],
    [
        "localhost:5000/Team/app:1",
        `"localhost:5000/Team/app:1" is not a valid image reference: the repository "Team/app" has upper-case letters; repository names are lower-case; ${NAME_FIX}`,
    ],
    [
        "nginx:" + "1".repeat(129),
        `"nginx:${"1".repeat(73)}... (137 characters) is not a valid image reference: the tag is 129 characters long; ${TAG_FIX}`,
    ],
    [
        "team/app:.1",
        `"team/app:.1" is not a valid image reference: the tag ".1" is not valid; ${TAG_FIX}`,
    ],
    [
        "team/app:-1",
        `"team/app:-1" is not a valid image reference: the tag "-1" is not valid; ${TAG_FIX}`,
    ],
    [
        "team/app:v1+build",
        `"team/app:v1+build" is not a valid image reference: the tag "v1+build" is not valid; ${TAG_FIX}`,
    ],
    [
        "team//app:1",
        `"team//app:1" is not a valid image reference: the repository name component "" ${COMPONENT}; ${NAME_FIX}`,
    ],
    [
        "team/app-:1",
        `"team/app-:1" is not a valid image reference: the repository name component "app-" ${COMPONENT}; ${NAME_FIX}`,
    ],
    [
        "team/-app:1",
        `"team/-app:1" is not a valid image reference: the repository name component "-app" ${COMPONENT}; ${NAME_FIX}`,
    ],
    [
        "team/a___b:1",
        `"team/a___b:1" is not a valid image reference: the repository name component "a___b" ${COMPONENT}; ${NAME_FIX}`,
    ],
    [
        "registry_x.example.com/app:1",
        `"registry_x.example.com/app:1" is not a valid image reference: the registry "registry_x.example.com" is not a host name or address with an optional :port; ${NAME_FIX}`,
    ],
    [
        "registry.example.com:http/app:1",
        `"registry.example.com:http/app:1" is not a valid image reference: the registry "registry.example.com:http" is not a host name or address with an optional :port; ${NAME_FIX}`,
    ],
    [
        "-registry.example.com/app:1",
        `"-registry.example.com/app:1" is not a valid image reference: the registry "-registry.example.com" is not a host name or address with an optional :port; ${NAME_FIX}`,
    ],
    [
        "x".repeat(256) + ":1",
        `"${"x".repeat(79)}... (260 characters) is not a valid image reference: the name is 256 characters long, more than 255; ${NAME_FIX}`,
    ],
    [
        "app\t:1",
        '"app\\t:1" is not a valid image reference: it contains whitespace; write it as repository:tag, e.g. "argoproj/rollouts-demo:blue"',
    ],
    [
        "app:1 ",
        '"app:1 " is not a valid image reference: it contains whitespace; write it as repository:tag, e.g. "argoproj/rollouts-demo:blue"',
    ],
    [
        "https://registry.example.com/app:1",
        `"https://registry.example.com/app:1" is not a valid image reference: the registry "https:" is not a host name or address with an optional :port; ${NAME_FIX}`,
    ],
    [
        "localhost/app",
        '"localhost/app" has no tag; pin a version, e.g. "localhost/app:v1.2.3", or a digest "localhost/app@sha256:..."',
    ],
    [
        "registry.example.com:5000/team/app:latest",
        '"registry.example.com:5000/team/app:latest" uses the tag "latest", which changes under you and defeats the canary; pin a version tag or a digest',
    ],
];

export const VALID_IMAGES = [
    "argoproj/rollouts-demo:blue",
    "registry.example.com:5000/team/app:1.2.3",
    `app@sha256:${H64}`,
    `app:v1@sha256:${H64}`,
    `app:latest@sha256:${H64}`,
    `app@sha384:${"a".repeat(96)}`,
    `app@sha512:${"b".repeat(128)}`,
    "localhost:5000/app:1",
    "[::1]:5000/app:1",
    "Registry.Example.com/app:1",
    "192.168.1.10:5000/app:2024.01.02",
    "ghcr.io/org/a__b/c-d.e:1_2-3",
    "docker.io/library/nginx:1.27.3-alpine",
    "a---b/c_d.e:V1",
    "nginx:" + "1".repeat(128),
];
