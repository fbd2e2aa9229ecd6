import * as assert from "assert";
import { stableTemplateUnedited as policy } from "../../../policies/stableTemplateUnedited";
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
    withField,
} from "../../support/policyFixtures";

const ANNOTATION = "props.metadata.annotations.progressive-delivery/template-hash";

describe("policy stable-template-unedited", () => {
    it("passes the stable Deployment as CanaryApp registers it", async () => {
        assertPasses(await runResourcePolicy(policy, stableDeployment()));
    });

    it("passes the canary Deployment (no template-hash annotation: not a stable)", async () => {
        assertPasses(await runResourcePolicy(policy, canaryDeployment()));
    });

    it("does not apply to other resource types", async () => {
        const outcome = await runResourcePolicy(policy, rollout());
        assert.strictEqual(
            outcome.notApplicable,
            "Policy only applies to resources of type 'kubernetes:apps/v1:Deployment'",
        );
    });

    it("passes during a canary's preview, when the template and its hash are both unknown", async () => {
        let r = withField(stableDeployment(), "props.spec.template", UNKNOWN_VALUE.object);
        r = withField(r, ANNOTATION, UNKNOWN_VALUE.string);
        assertPasses(await runResourcePolicy(policy, r));
    });

    it("passes a template unknown during preview whatever the annotation says", async () => {
        const r = withField(stableDeployment(), "props.spec.template", UNKNOWN_VALUE.object);
        assertPasses(await runResourcePolicy(policy, r));
    });

    it("reports an image changed directly on stable", async () => {
        const r = withField(
            stableDeployment(),
            "props.spec.template.spec.containers.0.image",
            "argoproj/rollouts-demo:yellow",
        );
        assertViolations(await runResourcePolicy(policy, r), [
            'Deployment "rollouts-demo-stable": its pod template (image "argoproj/rollouts-demo:yellow") hashes to 5104a0c0ff3a, but its progressive-delivery/template-hash annotation says 603faf179728, the template its CanaryRollout promoted: the template was edited after promotion (e.g. by a transformation or a direct image change), so stable would run a version no canary has tested. Change the app through its config (e.g. progressive-delivery:app.image) so that pulumi up runs a canary, and leave the stable Deployment\'s template to the rollout.',
        ]);
    });

    it("reports any other edit of the promoted template (here an added env var)", async () => {
        const r = withField(stableDeployment(), "props.spec.template.spec.containers.0.env", [
            { name: "DEBUG", value: "1" },
        ]);
        const outcome = await runResourcePolicy(policy, r);
        assert.strictEqual(outcome.violations.length, 1);
        assert.match(outcome.violations[0].message, /hashes to [0-9a-f]{12}, but its/);
    });

    it("reports a template known during preview while the annotation is not: not the rollout's output", async () => {
        const r = withField(stableDeployment(), ANNOTATION, UNKNOWN_VALUE.string);
        assertViolations(await runResourcePolicy(policy, r), [
            "Deployment \"rollouts-demo-stable\": its pod template is known during preview while its progressive-delivery/template-hash annotation is not, so the template does not come from the CanaryRollout's promotedTemplate and would reach stable without a canary. Take the stable Deployment's spec.template and annotation from its CanaryRollout's outputs (promotedTemplate, promotedHash), as CanaryApp does, and change the app through its config.",
        ]);
    });
});
