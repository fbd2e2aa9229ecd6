import * as assert from "assert";
import { imagesPinned as policy, unpinned } from "../../../policies/imagesPinned";
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

describe("policy images-pinned", () => {
    it("classifies image references", () => {
        const table: [string, ReturnType<typeof unpinned>][] = [
            ["argoproj/rollouts-demo:blue", undefined],
            ["registry.example.com:5000/shop:1.4.2", undefined],
            [`nginx@${DIGEST}`, undefined],
            [`nginx:latest@${DIGEST}`, undefined],
            ["nginx", "no tag"],
            ["registry.example.com:5000/shop", "no tag"],
            ["nginx:latest", "latest"],
            ["nginx@sha256:abc", "no tag"],
        ];
        for (const [image, want] of table) {
            assert.strictEqual(unpinned(image), want, image);
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
});
