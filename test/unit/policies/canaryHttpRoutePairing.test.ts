import * as assert from "assert";
import { canaryHttpRoutePairing as policy } from "../../../policies/canaryHttpRoutePairing";
import {
    assertPasses,
    assertViolations,
    FakeResource,
    runStackPolicy,
    UNKNOWN_VALUE,
} from "../../support/policyHarness";
import {
    gateway,
    headerRule,
    httpRoute,
    ingress,
    rollout,
    withField,
} from "../../support/policyFixtures";

/** A CanaryRollout of app `app` (as CanaryApp names its Services) on the Gateway API router. */
function appRollout(app = "rollouts-demo") {
    const r = rollout();
    const props = {
        ...r.props,
        app,
        canaryDeployment: `${app}-canary`,
        stableDeployment: `${app}-stable`,
        canaryService: `${app}-canary`,
        stableService: `${app}-stable`,
        router: { kind: "gateway-api" },
    };
    return { ...r, name: `${app}-rollout`, props, outputs: { ...r.outputs, ...props } };
}

const S = 'HTTPRoute "rollouts-demo-route" of CanaryRollout "rollouts-demo-rollout"';
const ROUTE = httpRoute();
const run = (...resources: FakeResource[]) => runStackPolicy(policy, resources);
const withRoute = (route: FakeResource) => run(appRollout(), gateway(), route);

const notAccepted = (why: string) =>
    `${S} is attached to Gateway "rollouts-demo-gateway", which would not accept it: ${why}. The route would serve no request. Give the Gateway an HTTP listener that allows HTTPRoutes from the route's namespace (progressive-delivery:router.gateway).`;

describe("policy canary-http-route-pairing", () => {
    it("passes the app's HTTPRoute at rest on the Gateway the stack creates", async () => {
        assertPasses(await withRoute(ROUTE));
    });

    it("passes the route during a run: the rollout's header rule and weights", async () => {
        const running = withField(ROUTE, "props.spec.rules", [
            headerRule(),
            {
                ...ROUTE.props.spec.rules[0],
                backendRefs: [
                    { name: "rollouts-demo-stable", port: 80, weight: 80 },
                    { name: "rollouts-demo-canary", port: 80, weight: 20 },
                ],
            },
        ]);
        assertPasses(await withRoute(running));
    });

    it("passes a route attached to a Gateway managed outside the stack", async () => {
        const external = withField(ROUTE, "props.spec.parentRefs.0.namespace", "edge");
        assertPasses(await run(appRollout(), gateway(), external));
    });

    it("passes a route attached to a Gateway that allows routes from every namespace", async () => {
        const gw = withField(gateway("edge", "edge"), "props.spec.listeners.0.allowedRoutes", {
            namespaces: { from: "All" },
        });
        let route = withField(ROUTE, "props.spec.parentRefs.0.name", "edge");
        route = withField(route, "props.spec.parentRefs.0.namespace", "edge");
        assertPasses(await run(appRollout(), gw, route));
    });

    it("does not apply to a stack routed by ingress-nginx", async () => {
        const outcome = await run(rollout(), ingress("stable"), ingress("canary"));
        assert.strictEqual(
            outcome.notApplicable,
            "the stack has no HTTPRoute to a CanaryRollout's canary Service",
        );
    });

    it("reports a rollout on the Gateway API router without its HTTPRoute", async () => {
        const outcome = await run(appRollout(), gateway());
        assertViolations(outcome, [
            'CanaryRollout "rollouts-demo-rollout" routes with the Gateway API, but no HTTPRoute in this stack sends to its canary Service "rollouts-demo-canary" in namespace "rollouts-demo": the rollout would have no weights to step and the analysis no canary traffic. Declare the app\'s HTTPRoute in this stack (CanaryApp does for progressive-delivery:router.kind gateway-api).',
        ]);
        assert.strictEqual(
            outcome.violations[0].urn,
            "urn:pulumi:test::progressive-delivery::pulumi-nodejs:dynamic/progressive-delivery:CanaryRollout::rollouts-demo-rollout",
        );
    });

    it("reports the app's route when no rule sends to the app's two Services", async () => {
        const other = withField(httpRoute("shop"), "props.metadata.name", "rollouts-demo");
        const outcome = await run(appRollout(), gateway(), { ...other, name: ROUTE.name });
        assertViolations(outcome, [
            `${S} has no rule whose backendRefs are the stable Service "rollouts-demo-stable" and the canary Service "rollouts-demo-canary": the rollout steps the weights of those two backendRefs, so it would have nothing to step and the analysis no canary traffic. Give the route one rule with exactly these two backendRefs, the canary's weight 0.`,
        ]);
        assert.strictEqual(
            outcome.violations[0].urn,
            "urn:pulumi:test::progressive-delivery::kubernetes:gateway.networking.k8s.io/v1:HTTPRoute::rollouts-demo-route",
        );
    });

    it("reports a route without parentRefs", async () => {
        assertViolations(await withRoute(withField(ROUTE, "props.spec.parentRefs", [])), [
            `${S} has no parentRefs: a route attached to no Gateway serves no request, so the canary weight would do nothing and the analysis would see no canary traffic. Attach it to a Gateway (progressive-delivery:router.gateway).`,
        ]);
    });

    it("reports a route without hostnames", async () => {
        assertViolations(await withRoute(withField(ROUTE, "props.spec.hostnames", undefined)), [
            `${S} has no hostnames: it would take every host of its Gateway's listeners, other apps' requests included, and the analysis would measure them as the canary's. Route the app's host (progressive-delivery:app.host).`,
        ]);
    });

    it("reports a rule that sends to the canary without the stable Service", async () => {
        const route = withField(ROUTE, "props.spec.rules.0.backendRefs", [
            { name: "rollouts-demo-canary", port: 80, weight: 0 },
        ]);
        assertViolations(await withRoute(route), [
            `${S} sends to the canary Service "rollouts-demo-canary" in spec.rules[0] without the stable Service "rollouts-demo-stable": the rollout steps the weights of the two together, and with no stable backendRef every request the rule matches goes to the canary whatever the weight. Add the stable Service to that rule.`,
        ]);
    });

    it("reports other backends in the canary's rule: traffic the rollout cannot steer", async () => {
        const refs = ROUTE.props.spec.rules[0].backendRefs;
        const route = withField(ROUTE, "props.spec.rules.0.backendRefs", [
            ...refs,
            { name: "legacy", port: 80, weight: 10 },
            { name: "rollouts-demo-stable", namespace: "shop", port: 80 },
            { group: "example.com", kind: "Bucket", name: "static" },
        ]);
        const also = (what: string) =>
            `${S} also sends to ${what} in spec.rules[0]: the rollout steps only the stable and canary weights, so that backend's share is traffic it cannot steer, and the canary's share is never the step's weight. Keep exactly the stable Service "rollouts-demo-stable" and the canary Service "rollouts-demo-canary" in that rule; route other Services in rules or routes of their own.`;
        assertViolations(await withRoute(route), [
            also('Service "legacy"'),
            also('Service "rollouts-demo-stable" in namespace "shop"'),
            also('a backend that is not a Service ("static")'),
        ]);
    });

    it("reports a parentRef to a Gateway the stack does not declare beside its own", async () => {
        const route = withField(ROUTE, "props.spec.parentRefs.0.name", "rollouts-demo-gw");
        assertViolations(await withRoute(route), [
            `${S} is attached to Gateway "rollouts-demo-gw" in namespace "rollouts-demo", but this stack's Gateways in that namespace are "rollouts-demo-gateway": the route would attach to nothing (or to a Gateway managed elsewhere) and serve no request through this stack's Gateway. Name this stack's Gateway in the parentRef (progressive-delivery:router.gateway.name).`,
        ]);
    });

    it("reports a Gateway without an HTTP listener", async () => {
        const gw = withField(gateway(), "props.spec.listeners", [
            { name: "tls", port: 443, protocol: "TLS" },
            { name: "tcp", port: 5432, protocol: "TCP" },
        ]);
        assertViolations(await run(appRollout(), gw, ROUTE), [
            notAccepted(
                'listener "tls" speaks "TLS", not HTTP or HTTPS; listener "tcp" speaks "TCP", not HTTP or HTTPS',
            ),
        ]);
        const none = withField(gateway(), "props.spec.listeners", []);
        assertViolations(await run(appRollout(), none, ROUTE), [
            notAccepted("it has no listener at all"),
        ]);
    });

    it("reports a Gateway whose listener takes no HTTPRoute, or no route from the app's namespace", async () => {
        const kinds = withField(gateway(), "props.spec.listeners.0.allowedRoutes", {
            kinds: [{ kind: "GRPCRoute" }],
        });
        assertViolations(await run(appRollout(), kinds, ROUTE), [
            notAccepted('listener "http" allows no HTTPRoute (allowedRoutes.kinds)'),
        ]);
        // The Gateway in its own namespace, created with the default allowedRoutes (Same).
        let route = withField(ROUTE, "props.spec.parentRefs.0.namespace", "edge");
        route = withField(route, "props.spec.parentRefs.0.name", "rollouts-demo-gateway");
        const elsewhere = gateway("rollouts-demo-gateway", "edge");
        assertViolations(await run(appRollout(), elsewhere, route), [
            notAccepted(
                'listener "http" allows routes from its own namespace "edge" only (allowedRoutes.namespaces.from "Same", the default), and the route is in "rollouts-demo"',
            ),
        ]);
    });

    it("reports a parentRef to a listener the Gateway lacks, or one for another host", async () => {
        const section = withField(ROUTE, "props.spec.parentRefs.0.sectionName", "https");
        assertViolations(await withRoute(section), [
            notAccepted('it has no listener named "https"'),
        ]);
        const port = withField(ROUTE, "props.spec.parentRefs.0.port", 8080);
        assertViolations(await withRoute(port), [notAccepted("it has no listener on port 8080")]);
        const gw = withField(gateway(), "props.spec.listeners.0.hostname", "*.example.com");
        assertViolations(await run(appRollout(), gw, ROUTE), [
            notAccepted('listener "http" serves host "*.example.com" only'),
        ]);
        const wide = withField(gateway(), "props.spec.listeners.0.hostname", "*.local");
        assertPasses(await run(appRollout(), wide, ROUTE));
    });

    it("reports two apps' routes on the same Gateway, host and path", async () => {
        const shop = httpRoute("shop");
        const outcome = await run(appRollout(), appRollout("shop"), gateway(), ROUTE, shop);
        assertViolations(outcome, [
            'HTTPRoute "shop-route" of CanaryRollout "shop-rollout" serves host "rollouts-demo.local" PathPrefix / on Gateway "rollouts-demo-gateway", as does HTTPRoute "rollouts-demo-route": the Gateway sends those requests to one of the two routes only (the oldest), so the other app\'s weight would route nothing and its analysis would measure nothing. Give each app its own host or path.',
        ]);
        const ownHost = httpRoute("shop", "shop.local");
        assertPasses(await run(appRollout(), appRollout("shop"), gateway(), ROUTE, ownHost));
    });

    it("skips what is unknown during preview", async () => {
        for (const [field, value] of [
            ["props.spec.rules.0.backendRefs", UNKNOWN_VALUE.array],
            ["props.spec.rules.0.backendRefs.1.name", UNKNOWN_VALUE.string],
            ["props.spec.parentRefs", UNKNOWN_VALUE.array],
            ["props.spec.hostnames", UNKNOWN_VALUE.array],
            ["props.spec.parentRefs.0.namespace", UNKNOWN_VALUE.string],
        ] as const) {
            const route = withField(ROUTE, field, value);
            const outcome = await withRoute(route);
            assert.deepStrictEqual(outcome.violations, [], field);
            assert.strictEqual(outcome.unknown, undefined, field);
        }
        const gw = withField(gateway(), "props.spec.listeners", UNKNOWN_VALUE.array);
        assertPasses(await run(appRollout(), gw, ROUTE));
    });
});
