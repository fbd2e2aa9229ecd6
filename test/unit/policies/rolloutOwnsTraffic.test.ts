import * as assert from "assert";
import { rolloutOwnsTraffic as policy } from "../../../policies/rolloutOwnsTraffic";
import {
    assertPasses,
    assertViolations,
    runResourcePolicy,
    UNKNOWN_VALUE,
} from "../../support/policyHarness";
import { headerRule, httpRoute, ingress, withField } from "../../support/policyFixtures";

const CANARY = ingress("canary");
const ROUTE = httpRoute();
const annotated = (annotations: Record<string, string>) =>
    withField(CANARY, "props.metadata.annotations", {
        "nginx.ingress.kubernetes.io/canary": "true",
        ...annotations,
    });

const WEIGHT_OWNED =
    "the rollout writes the canary's weight during a run and sets it back to 0 at every end; declared by Pulumi it sends users to the canary outside any run, and each `pulumi up` takes the weight back from the rollout";
const HEADER_OWNED =
    "the rollout writes the header route when a run turns it on and removes it at every end; declared by Pulumi it sends those requests to the canary outside any run (to no pod once the canary is scaled down after a rollback)";
const SET_HEADER =
    "set progressive-delivery:router.header.name and progressive-delivery:router.header.value instead";
const SET_STEPS = "the rollout's steps (progressive-delivery:rollout.steps) set the weight";

describe("policy rollout-owns-traffic", () => {
    it("passes CanaryApp's canary Ingress and the app's HTTPRoute at rest", async () => {
        assertPasses(await runResourcePolicy(policy, CANARY));
        assertPasses(await runResourcePolicy(policy, ROUTE));
    });

    it("does not apply to a stable Ingress, nor to a route without an app's two Services", async () => {
        assert.strictEqual(
            (await runResourcePolicy(policy, ingress("stable"))).notApplicable,
            "not a canary Ingress",
        );
        const other = withField(ROUTE, "props.spec.rules.0.backendRefs", [
            { name: "web", port: 80 },
            { name: "rollouts-demo-canary", port: 80, weight: 5 },
        ]);
        assert.strictEqual(
            (await runResourcePolicy(policy, other)).notApplicable,
            "the HTTPRoute sends to no CanaryApp's stable and canary Services",
        );
    });

    it("reports each rollout-owned annotation declared on the canary Ingress", async () => {
        const outcome = await runResourcePolicy(
            policy,
            annotated({
                "nginx.ingress.kubernetes.io/canary-weight": "20",
                "nginx.ingress.kubernetes.io/canary-weight-total": "1000",
                "nginx.ingress.kubernetes.io/canary-by-header": "X-Canary",
                "nginx.ingress.kubernetes.io/canary-by-header-value": "always",
                "nginx.ingress.kubernetes.io/canary-by-header-pattern": "^a",
                "nginx.ingress.kubernetes.io/canary-by-cookie": "canary",
            }),
        );
        const c = 'canary Ingress "rollouts-demo-canary" declares nginx.ingress.kubernetes.io/';
        assertViolations(outcome, [
            `${c}canary-weight: "20", but ${WEIGHT_OWNED}. Remove the annotation; ${SET_STEPS}.`,
            `${c}canary-weight-total: "1000", but ${WEIGHT_OWNED}. Remove the annotation; ${SET_STEPS}.`,
            `${c}canary-by-header: "X-Canary", but ${HEADER_OWNED}. Remove the annotation and ${SET_HEADER}.`,
            `${c}canary-by-header-value: "always", but ${HEADER_OWNED}. Remove the annotation and ${SET_HEADER}.`,
            `${c}canary-by-header-pattern: "^a", but ${HEADER_OWNED}. Remove the annotation and ${SET_HEADER}.`,
            `${c}canary-by-cookie: "canary", but it sends the requests it selects to the canary whatever the weight, traffic the rollout cannot steer nor take back at a rollback. Remove the annotation; for access to the canary before its first weight ${SET_HEADER}.`,
        ]);
    });

    it("passes other annotations on the canary Ingress", async () => {
        assertPasses(
            await runResourcePolicy(
                policy,
                annotated({ "nginx.ingress.kubernetes.io/proxy-body-size": "8m" }),
            ),
        );
    });

    it("reports a canary weight declared on the HTTPRoute, or left to the API's default", async () => {
        const where =
            'HTTPRoute "rollouts-demo-route" spec.rules[0] gives the canary Service "rollouts-demo-canary" weight';
        assertViolations(
            await runResourcePolicy(
                policy,
                withField(ROUTE, "props.spec.rules.0.backendRefs.1.weight", 20),
            ),
            [`${where} 20, but ${WEIGHT_OWNED}. Declare weight 0; ${SET_STEPS}.`],
        );
        assertViolations(
            await runResourcePolicy(
                policy,
                withField(ROUTE, "props.spec.rules.0.backendRefs.1.weight", undefined),
            ),
            [
                `${where} nothing (the Gateway API reads 1), but ${WEIGHT_OWNED}. Declare weight 0; ${SET_STEPS}.`,
            ],
        );
    });

    it("reports a header rule to the canary declared on the HTTPRoute", async () => {
        const route = withField(ROUTE, "props.spec.rules", [
            headerRule(),
            ...ROUTE.props.spec.rules,
        ]);
        assertViolations(await runResourcePolicy(policy, route), [
            `HTTPRoute "rollouts-demo-route" spec.rules[0] sends requests with header X-Canary to the canary Service "rollouts-demo-canary", but ${HEADER_OWNED}. Remove the rule and ${SET_HEADER}.`,
        ]);
    });

    it("skips a weight unknown during preview", async () => {
        const route = withField(
            ROUTE,
            "props.spec.rules.0.backendRefs.1.weight",
            UNKNOWN_VALUE.number,
        );
        assertPasses(await runResourcePolicy(policy, route));
    });
});
