import * as assert from "assert";
import { canaryIngressPairing as policy } from "../../../policies/canaryIngressPairing";
import {
    assertPasses,
    assertViolations,
    runStackPolicy,
    UNKNOWN_VALUE,
} from "../../support/policyHarness";
import { ingress, withField } from "../../support/policyFixtures";

const unpaired = (name: string, route: string) =>
    `canary Ingress "${name}" routes ${route}, but no stable Ingress in this stack (one without the nginx.ingress.kubernetes.io/canary annotation) serves that host and path: ingress-nginx applies a canary only on top of a stable Ingress with the same host and path, so the canary weight would do nothing and the analysis would see no canary traffic. Give the canary Ingress the stable Ingress's host and path (for a CanaryApp both come from progressive-delivery:app.host and app.path).`;

describe("policy canary-ingress-pairing", () => {
    it("passes CanaryApp's stable and canary Ingresses", async () => {
        assertPasses(await runStackPolicy(policy, [ingress("stable"), ingress("canary")]));
    });

    it("does not apply to a stack without a canary Ingress", async () => {
        const outcome = await runStackPolicy(policy, [ingress("stable")]);
        assert.strictEqual(outcome.notApplicable, "the stack has no canary Ingress");
    });

    it("passes two apps, each with its own host", async () => {
        const shop = (r: ReturnType<typeof ingress>) => ({ ...r, name: `shop-${r.name}` });
        assertPasses(
            await runStackPolicy(policy, [
                ingress("stable"),
                ingress("canary"),
                shop(ingress("stable", "shop.example.com")),
                shop(ingress("canary", "shop.example.com")),
            ]),
        );
    });

    it("reports a canary on another path than the stable Ingress", async () => {
        const outcome = await runStackPolicy(policy, [
            ingress("stable"),
            ingress("canary", undefined, "/shop"),
        ]);
        assertViolations(outcome, [
            unpaired("rollouts-demo-canary", 'host "rollouts-demo.local" path "/shop"'),
        ]);
        assert.strictEqual(
            outcome.violations[0].urn,
            "urn:pulumi:test::progressive-delivery::kubernetes:networking.k8s.io/v1:Ingress::rollouts-demo-canary",
        );
    });

    it("reports a canary on another host than the stable Ingress", async () => {
        assertViolations(
            await runStackPolicy(policy, [
                ingress("stable"),
                ingress("canary", "canary.rollouts-demo.local"),
            ]),
            [unpaired("rollouts-demo-canary", 'host "canary.rollouts-demo.local" path "/"')],
        );
    });

    it("reports a canary without a host against a stable Ingress with one", async () => {
        const canary = withField(ingress("canary"), "props.spec.rules.0.host", undefined);
        assertViolations(await runStackPolicy(policy, [ingress("stable"), canary]), [
            unpaired("rollouts-demo-canary", 'any host path "/"'),
        ]);
    });

    it("reports a second canary on the same host and path", async () => {
        const second = { ...ingress("canary"), name: "shop-canary" };
        assertViolations(
            await runStackPolicy(policy, [ingress("stable"), ingress("canary"), second]),
            [
                'canary Ingress "shop-canary" routes host "rollouts-demo.local" path "/", as does canary Ingress "rollouts-demo-canary": ingress-nginx honours one canary per host and path, so one of them would get no traffic from its weight and its analysis would measure nothing. Give each app its own host or path.',
            ],
        );
    });

    it("skips routes unknown during preview", async () => {
        const canary = withField(
            ingress("canary"),
            "props.spec.rules.0.host",
            UNKNOWN_VALUE.string,
        );
        assertPasses(await runStackPolicy(policy, [ingress("stable"), canary]));
    });
});
