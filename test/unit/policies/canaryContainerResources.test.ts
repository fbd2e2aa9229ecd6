import { canaryContainerResources as policy } from "../../../policies/canaryContainerResources";
import {
    assertPasses,
    assertViolations,
    runResourcePolicy,
    UNKNOWN_VALUE,
} from "../../support/policyHarness";
import { canaryDeployment, stableDeployment, withField } from "../../support/policyFixtures";

const RESOURCES = "props.spec.template.spec.containers.0.resources";
const why =
    "without requests the scheduler may pack canary pods onto busy nodes, where they fail for want of capacity and a healthy version is rolled back; without limits a bad canary can starve the stable pods beside it, the harm a canary exists to contain. Set cpu and memory requests and limits (for a CanaryApp: progressive-delivery:app.resources).";

describe("policy canary-container-resources", () => {
    it("passes the canary and stable Deployments of CanaryApp", async () => {
        assertPasses(await runResourcePolicy(policy, canaryDeployment()));
        assertPasses(await runResourcePolicy(policy, stableDeployment()));
    });

    it("passes a Deployment not released by canary (no track label)", async () => {
        let r = withField(canaryDeployment(), "props.metadata.labels", { app: "other" });
        r = withField(r, "props.spec.template.metadata.labels", { app: "other" });
        r = withField(r, RESOURCES, undefined);
        assertPasses(await runResourcePolicy(policy, r));
    });

    it("passes the stable Deployment's template unknown during preview", async () => {
        const r = withField(stableDeployment(), "props.spec.template", UNKNOWN_VALUE.object);
        assertPasses(await runResourcePolicy(policy, r));
    });

    it("reports missing limits", async () => {
        const r = withField(canaryDeployment(), `${RESOURCES}.limits`, undefined);
        assertViolations(await runResourcePolicy(policy, r), [
            `Deployment "rollouts-demo-canary" container "rollouts-demo" sets no limits.cpu, limits.memory: ${why}`,
        ]);
    });

    it("reports a missing memory request", async () => {
        const r = withField(canaryDeployment(), `${RESOURCES}.requests.memory`, undefined);
        assertViolations(await runResourcePolicy(policy, r), [
            `Deployment "rollouts-demo-canary" container "rollouts-demo" sets no requests.memory: ${why}`,
        ]);
    });

    it("reports a container without resources, on the stable Deployment too", async () => {
        const r = withField(stableDeployment(), RESOURCES, undefined);
        assertViolations(await runResourcePolicy(policy, r), [
            `Deployment "rollouts-demo-stable" container "rollouts-demo" sets no requests.cpu, requests.memory, limits.cpu, limits.memory: ${why}`,
        ]);
    });

    it("reports an init container without resources", async () => {
        const r = withField(canaryDeployment(), "props.spec.template.spec.initContainers", [
            { name: "migrate", image: "shop/migrate:1.0.0" },
        ]);
        assertViolations(await runResourcePolicy(policy, r), [
            `Deployment "rollouts-demo-canary" init container "migrate" sets no requests.cpu, requests.memory, limits.cpu, limits.memory: ${why}`,
        ]);
    });
});
