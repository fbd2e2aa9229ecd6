import * as assert from "assert";
import { VALID_IMAGES } from "../../support/configCorpus/images";
import { imageProblem, imagesPinned as policy } from "../../../policies/imagesPinned";
import {
    assertPasses,
    assertViolations,
    runResourcePolicy,
    UNKNOWN_VALUE,
} from "../../support/policyHarness";
import {
    canaryDeployment,
    rollout,
    stableDeployment,
    T,
    withField,
} from "../../support/policyFixtures";

const IMAGE = "props.spec.template.spec.containers.0.image";
const fix = (repo: string) =>
    `a moving tag changes the code without changing the pod template, so no canary runs for the new version and each node may run a different one. Pin a version tag (e.g. "${repo}:1.2.3") or a digest ("${repo}@sha256:..."); for a CanaryApp set progressive-delivery:app.image.`;
const DIGEST = "sha256:" + "a".repeat(64);
const NAME_FIX = 'write it as [registry/]repository[:tag], e.g. "argoproj/rollouts-demo:blue"';

describe("policy images-pinned", () => {
    it("classifies image references", () => {
        const table: [string, ReturnType<typeof imageProblem>][] = [
            ["argoproj/rollouts-demo:blue", undefined],
            ["registry.example.com:5000/shop:1.4.2", undefined],
            [`nginx@${DIGEST}`, undefined],
            [`nginx:latest@${DIGEST}`, undefined],
            ["nginx", "no tag"],
            ["registry.example.com:5000/shop", "no tag"],
            ["nginx:latest", "latest"],
            [
                "nginx@sha256:abc",
                'the sha256 digest "abc" is not 64 lower-case hex digits; a digest is "@sha256:" and 64 lower-case hex digits',
            ],
            [
                "nginx@constructor:abc",
                'the digest algorithm "constructor" is not sha256, sha384 or sha512; a digest is "@sha256:" and 64 lower-case hex digits',
            ],
        ];
        for (const [image, want] of table) {
            assert.strictEqual(imageProblem(image), want, image);
        }
    });

    it("passes the canary and stable Deployments of CanaryApp (a version tag)", async () => {
        assertPasses(await runResourcePolicy(policy, canaryDeployment()));
        assertPasses(await runResourcePolicy(policy, stableDeployment()));
    });

    it("passes a digest", async () => {
        const r = withField(canaryDeployment(), IMAGE, `argoproj/rollouts-demo@${DIGEST}`);
        assertPasses(await runResourcePolicy(policy, r));
    });

    it("passes the stable Deployment's template unknown during preview", async () => {
        const r = withField(stableDeployment(), "props.spec.template", UNKNOWN_VALUE.object);
        assertPasses(await runResourcePolicy(policy, r));
    });

    it("does not apply to non-workloads", async () => {
        const outcome = await runResourcePolicy(policy, rollout());
        assert.match(outcome.notApplicable ?? "", /^Policy only applies to resources of types /);
    });

    it("reports an image without a tag", async () => {
        const r = withField(canaryDeployment(), IMAGE, "argoproj/rollouts-demo");
        assertViolations(await runResourcePolicy(policy, r), [
            `Deployment "rollouts-demo-canary" container "rollouts-demo" runs image "argoproj/rollouts-demo", which has no tag and so means "argoproj/rollouts-demo:latest": ${fix("argoproj/rollouts-demo")}`,
        ]);
    });

    it("reports :latest", async () => {
        const r = withField(canaryDeployment(), IMAGE, "argoproj/rollouts-demo:latest");
        assertViolations(await runResourcePolicy(policy, r), [
            `Deployment "rollouts-demo-canary" container "rollouts-demo" runs image "argoproj/rollouts-demo:latest": ${fix("argoproj/rollouts-demo")}`,
        ]);
    });

    it("reports an init container too", async () => {
        const r = withField(canaryDeployment(), "props.spec.template.spec.initContainers", [
            { name: "migrate", image: "shop/migrate:latest" },
        ]);
        assertViolations(await runResourcePolicy(policy, r), [
            `Deployment "rollouts-demo-canary" init container "migrate" runs image "shop/migrate:latest": ${fix("shop/migrate")}`,
        ]);
    });

    it("reads the pod template of other workloads: a StatefulSet, a CronJob and a Pod", async () => {
        const spec = { containers: [{ name: "db", image: "postgres" }] };
        const cases = [
            { type: T.statefulSet, props: { spec: { template: { spec } } } },
            { type: T.cronJob, props: { spec: { jobTemplate: { spec: { template: { spec } } } } } },
            { type: T.pod, props: { spec } },
        ];
        for (const c of cases) {
            const kind = c.type.slice(c.type.lastIndexOf(":") + 1);
            assertViolations(await runResourcePolicy(policy, { ...c, name: "db" }), [
                `${kind} "db" container "db" runs image "postgres", which has no tag and so means "postgres:latest": ${fix("postgres")}`,
            ]);
        }
    });

    it("passes every valid reference of the config's corpus", async () => {
        for (const image of VALID_IMAGES) {
            const r = withField(canaryDeployment(), IMAGE, image);
            assertPasses(await runResourcePolicy(policy, r));
        }
    });

    it("reports references outside the OCI grammar, as the config layer does", async () => {
        const cases: [string, string][] = [
            [
                "nginx:",
                'the tag after ":" is empty; pin a version, e.g. "nginx:1.2.3", or a digest "nginx@sha256:..."',
            ],
            [
                "nginx::1",
                `the repository name component "nginx:" is not lower-case letters and digits separated by ".", "_", "__" or "-"; ${NAME_FIX}`,
            ],
            [":1", `it has no repository name; ${NAME_FIX}`],
            [
                "nginx@sha256:",
                'the sha256 digest "" is not 64 lower-case hex digits; a digest is "@sha256:" and 64 lower-case hex digits',
            ],
            [
                "nginx:${TAG}",
                'it contains "$", a variable that was not substituted; put the value itself into the image',
            ],
        ];
        for (const [image, why] of cases) {
            const r = withField(canaryDeployment(), IMAGE, image);
            assertViolations(await runResourcePolicy(policy, r), [
                `Deployment "rollouts-demo-canary" container "rollouts-demo" runs image ${JSON.stringify(image)}, which is not a valid image reference: ${why}; for a CanaryApp set progressive-delivery:app.image.`,
            ]);
        }
    });
});
