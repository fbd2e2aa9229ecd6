import { canaryReadinessProbe as policy } from "../../../policies/canaryReadinessProbe";
import {
    assertPasses,
    assertViolations,
    runResourcePolicy,
    UNKNOWN_VALUE,
} from "../../support/policyHarness";
import { canaryDeployment, stableDeployment, withField } from "../../support/policyFixtures";

const PROBE = "props.spec.template.spec.containers.0.readinessProbe";

describe("policy canary-readiness-probe", () => {
    it("passes the canary and stable Deployments of CanaryApp", async () => {
        assertPasses(await runResourcePolicy(policy, canaryDeployment()));
        assertPasses(await runResourcePolicy(policy, stableDeployment()));
    });

    it("passes a Deployment not released by canary", async () => {
        let r = withField(canaryDeployment(), "props.metadata.labels", { app: "other" });
        r = withField(r, "props.spec.template.metadata.labels", { app: "other" });
        assertPasses(await runResourcePolicy(policy, withField(r, PROBE, undefined)));
    });

    it("passes the stable Deployment's template unknown during preview", async () => {
        const r = withField(stableDeployment(), "props.spec.template", UNKNOWN_VALUE.object);
        assertPasses(await runResourcePolicy(policy, r));
    });

    it("does not ask init containers for a probe", async () => {
        const r = withField(canaryDeployment(), "props.spec.template.spec.initContainers", [
            { name: "migrate", image: "shop/migrate:1.0.0" },
        ]);
        assertPasses(await runResourcePolicy(policy, r));
    });

    it("reports a container without a readiness probe", async () => {
        const r = withField(canaryDeployment(), PROBE, undefined);
        assertViolations(await runResourcePolicy(policy, r), [
            'Deployment "rollouts-demo-canary" container "rollouts-demo" has no readinessProbe: Kubernetes would send canary traffic to pods before they can serve, so start-up errors count against the canary, and the rollout\'s wait for ready canary pods would pass at once. Set a readiness probe on an endpoint the app answers only when ready (for a CanaryApp: progressive-delivery:app.readinessProbe).',
        ]);
    });
});
