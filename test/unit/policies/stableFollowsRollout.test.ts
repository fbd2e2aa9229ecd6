import * as assert from "assert";
import { stableFollowsRollout as policy } from "../../../policies/stableFollowsRollout";
import {
    assertPasses,
    assertViolations,
    runStackPolicy,
    UNKNOWN_VALUE,
} from "../../support/policyHarness";
import {
    canaryDeployment,
    rollout,
    stableDeployment,
    withField,
} from "../../support/policyFixtures";

const ANNOTATION = "props.metadata.annotations.progressive-delivery/template-hash";
const IMAGE = "props.spec.template.spec.containers.0.image";
const URN =
    "urn:pulumi:test::progressive-delivery::kubernetes:apps/v1:Deployment::rollouts-demo-stable";

describe("policy stable-follows-rollout", () => {
    it("passes a promoted rollout with its stable and canary Deployments", async () => {
        assertPasses(
            await runStackPolicy(policy, [rollout(), stableDeployment(), canaryDeployment()]),
        );
    });

    it("does not apply to a stack without a CanaryRollout", async () => {
        const outcome = await runStackPolicy(policy, [stableDeployment()]);
        assert.strictEqual(outcome.notApplicable, "the stack has no CanaryRollout");
    });

    it("passes during a canary's preview, when the promoted template and hash are unknown", async () => {
        let r = withField(rollout(), "outputs.promotedTemplate", UNKNOWN_VALUE.object);
        r = withField(r, "outputs.promotedHash", UNKNOWN_VALUE.string);
        let s = withField(stableDeployment(), "props.spec.template", UNKNOWN_VALUE.object);
        s = withField(s, ANNOTATION, UNKNOWN_VALUE.string);
        assertPasses(await runStackPolicy(policy, [r, s]));
    });

    it("reports a stable Deployment whose hash is not the promoted one", async () => {
        const s = withField(stableDeployment(), ANNOTATION, "0123456789abcdef");
        const outcome = await runStackPolicy(policy, [rollout(), s]);
        assertViolations(outcome, [
            'Deployment "rollouts-demo-stable" carries template hash 0123456789ab, but its CanaryRollout "rollouts-demo-rollout" promoted 603faf179728: the stable Deployment was changed outside the rollout, so its users get a template no canary has tested. Change the app through its config so that pulumi up runs a canary, and take stable\'s template and annotation from the rollout\'s outputs.',
        ]);
        assert.strictEqual(outcome.violations[0].urn, URN);
    });

    it("reports a stable Deployment without the template-hash annotation", async () => {
        const s = withField(stableDeployment(), ANNOTATION, undefined);
        assertViolations(await runStackPolicy(policy, [rollout(), s]), [
            'Deployment "rollouts-demo-stable" is the stable Deployment of CanaryRollout "rollouts-demo-rollout" but has no progressive-delivery/template-hash annotation, so nothing records which promoted template it runs and the rollout cannot tell whether stable has caught up. Set the annotation from the rollout\'s promotedHash, as CanaryApp does.',
        ]);
    });

    it("reports an image changed directly on stable", async () => {
        const s = withField(stableDeployment(), IMAGE, "argoproj/rollouts-demo:yellow");
        assertViolations(await runStackPolicy(policy, [rollout(), s]), [
            'Deployment "rollouts-demo-stable" container "rollouts-demo" runs image "argoproj/rollouts-demo:yellow", but its CanaryRollout "rollouts-demo-rollout" promoted "argoproj/rollouts-demo:blue": an image changed directly on stable reaches every user without a canary. Set the new image in the app\'s config (progressive-delivery:app.image) so that pulumi up releases it through the canary.',
        ]);
    });

    it("reports a container added to stable only", async () => {
        const s = withField(stableDeployment(), "props.spec.template.spec.containers.1", {
            name: "debug",
            image: "busybox:1.36",
        });
        assertViolations(await runStackPolicy(policy, [rollout(), s]), [
            'Deployment "rollouts-demo-stable" runs containers ["debug","rollouts-demo"], but its CanaryRollout "rollouts-demo-rollout" promoted ["rollouts-demo"]: a container added to or removed from stable directly reaches every user without a canary. Change the pod template through the app\'s config and let the rollout promote it.',
        ]);
    });

    it("reports a rollout whose stable Deployment is not in the stack", async () => {
        const outcome = await runStackPolicy(policy, [rollout(), canaryDeployment()]);
        assertViolations(outcome, [
            'CanaryRollout "rollouts-demo-rollout" promotes to the stable Deployment "rollouts-demo-stable" in namespace "rollouts-demo", but this stack has no such Deployment, so the stable version is managed outside the rollout and can change without a canary. Manage the stable Deployment in this stack, with its template taken from the rollout\'s promotedTemplate (as CanaryApp does).',
        ]);
        assert.strictEqual(
            outcome.violations[0].urn,
            "urn:pulumi:test::progressive-delivery::pulumi-nodejs:dynamic/progressive-delivery:CanaryRollout::rollouts-demo-rollout",
        );
    });

    it("matches the stable Deployment by name when the namespace is unknown during preview", async () => {
        const r = withField(rollout(), "outputs.namespace", UNKNOWN_VALUE.string);
        const s = withField(stableDeployment(), IMAGE, "argoproj/rollouts-demo:yellow");
        const outcome = await runStackPolicy(policy, [r, s]);
        assert.strictEqual(outcome.violations.length, 1);
        assert.match(outcome.violations[0].message, /runs image "argoproj\/rollouts-demo:yellow"/);
    });
});
