// The Gateway API analogue of canary-ingress-pairing. With router.kind gateway-api the rollout
// steps the weights of the two backendRefs (stable and canary Service) of one rule of the app's
// HTTPRoute. That route must be attached to a Gateway that accepts it, serve the app's host, and
// send the rule's traffic to those two Services only; otherwise the weight routes nothing, or
// routes traffic the rollout cannot steer, and the analysis measures the wrong thing. Checked on
// outputs, across the stack; what Pulumi declares of the rollout's own fields (the canary's weight
// and the header rule) is rollout-owns-traffic's, on inputs.
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import {
    hostnamesOf,
    isService,
    namespaceOf,
    nameOf,
    parentRefsOf,
    refusal,
    rulesOf,
} from "./lib/gatewayApi";
import { CONFIG } from "./lib/rollout";
import { at, show, TYPES, UNKNOWN } from "./lib/resources";

const GATEWAY_KEY = `${CONFIG}router.gateway`;

interface App {
    rollout: PolicyResource;
    namespace: string | typeof UNKNOWN;
    stable: string;
    canary: string;
}

/** The app a CanaryRollout releases, when its Services are known. */
function appOf(rollout: PolicyResource): App | undefined {
    const stable = at(rollout.props, "stableService");
    const canary = at(rollout.props, "canaryService");
    const namespace = at(rollout.props, "namespace");
    if (typeof stable !== "string" || typeof canary !== "string") {
        return undefined;
    }
    return {
        rollout,
        namespace: typeof namespace === "string" ? namespace : UNKNOWN,
        stable,
        canary,
    };
}

/** True when some rule of the route sends to the app's canary Service. */
function sendsToCanary(route: PolicyResource, app: App): boolean {
    return rulesOf(route.props).some((r) =>
        r.backendRefs.some((b) => isService(b, app.canary, app.namespace)),
    );
}

export const canaryHttpRoutePairing: StackValidationPolicy = {
    name: "canary-http-route-pairing",
    description:
        "Every HTTPRoute that sends to a CanaryRollout's canary Service is attached to a Gateway " +
        "that accepts it, serves a host, and has its canary in a rule whose backendRefs are " +
        "exactly the app's stable and canary Services; a rollout on the Gateway API router has " +
        "its HTTPRoute in the stack; no two apps' routes share a Gateway, host and path.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const of = (type: string) => args.resources.filter((r) => r.type === type);
        const routes = of(TYPES.httpRoute);
        const gateways = of(TYPES.gateway);
        const apps = of(TYPES.canaryRollout).flatMap((r) => appOf(r) ?? []);
        const onGatewayApi = (app: App) =>
            at(app.rollout.props, "router", "kind") === "gateway-api";
        const pairs = apps.flatMap((app) =>
            routes
                .filter(
                    (route) =>
                        sendsToCanary(route, app) ||
                        (onGatewayApi(app) &&
                            nameOf(route) === at(app.rollout.props, "app") &&
                            namespaceOf(route.props) === app.namespace),
                )
                .map((route) => ({ app, route })),
        );
        if (pairs.length === 0 && !apps.some(onGatewayApi)) {
            args.notApplicable("the stack has no HTTPRoute to a CanaryRollout's canary Service");
        }
        for (const app of apps.filter(onGatewayApi)) {
            if (!pairs.some((p) => p.app === app)) {
                reportViolation(
                    `CanaryRollout "${app.rollout.name}" routes with the Gateway API, but no ` +
                        `HTTPRoute in this stack sends to its canary Service "${app.canary}"` +
                        `${app.namespace === UNKNOWN ? "" : ` in namespace "${app.namespace}"`}: ` +
                        "the rollout would have no weights to step and the analysis no canary " +
                        "traffic. Declare the app's HTTPRoute in this stack (CanaryApp does for " +
                        `${CONFIG}router.kind gateway-api).`,
                    app.rollout.urn,
                );
            }
        }
        /** "<gateway> <host> <path>" -> the route that serves it first. */
        const served = new Map<string, PolicyResource>();
        for (const { app, route } of pairs) {
            const subject = `HTTPRoute "${route.name}" of CanaryRollout "${app.rollout.name}"`;
            const report = (message: string) => reportViolation(`${subject} ${message}`, route.urn);
            const parents = parentRefsOf(route.props);
            const hostnames = hostnamesOf(route.props);
            const routeNamespace = namespaceOf(route.props);
            if (parents !== UNKNOWN && parents.length === 0) {
                report(
                    "has no parentRefs: a route attached to no Gateway serves no request, so the " +
                        "canary weight would do nothing and the analysis would see no canary " +
                        `traffic. Attach it to a Gateway (${GATEWAY_KEY}).`,
                );
            }
            if (hostnames !== UNKNOWN && hostnames.length === 0) {
                report(
                    "has no hostnames: it would take every host of its Gateway's listeners, other " +
                        "apps' requests included, and the analysis would measure them as the " +
                        `canary's. Route the app's host (${CONFIG}app.host).`,
                );
            }
            const rules = rulesOf(route.props).filter(
                (r) =>
                    // Header rules are the rollout's during a run (rollout-owns-traffic).
                    r.matchesHeaders === false && !r.partlyUnknown,
            );
            const weighted = rules.filter((r) =>
                r.backendRefs.some((b) => isService(b, app.canary, app.namespace)),
            );
            const partlyUnknown = rulesOf(route.props).some((r) => r.partlyUnknown);
            if (weighted.length === 0 && !partlyUnknown) {
                report(
                    `has no rule whose backendRefs are the stable Service "${app.stable}" and the ` +
                        `canary Service "${app.canary}": the rollout steps the weights of those ` +
                        "two backendRefs, so it would have nothing to step and the analysis no " +
                        "canary traffic. Give the route one rule with exactly these two " +
                        "backendRefs, the canary's weight 0.",
                );
            }
            for (const rule of weighted) {
                const where = `spec.rules[${rule.index}]`;
                if (!rule.backendRefs.some((b) => isService(b, app.stable, app.namespace))) {
                    report(
                        `sends to the canary Service "${app.canary}" in ${where} without the ` +
                            `stable Service "${app.stable}": the rollout steps the weights of the ` +
                            "two together, and with no stable backendRef every request the rule " +
                            "matches goes to the canary whatever the weight. Add the stable " +
                            "Service to that rule.",
                    );
                }
                const others = rule.backendRefs.filter(
                    (b) =>
                        !isService(b, app.stable, app.namespace) &&
                        !isService(b, app.canary, app.namespace),
                );
                for (const other of others) {
                    const what =
                        other.kind === "Service"
                            ? `Service ${show(other.name)}` +
                              (other.namespace === app.namespace
                                  ? ""
                                  : ` in namespace ${show(other.namespace)}`)
                            : `a backend that is not a Service (${show(other.name)})`;
                    report(
                        `also sends to ${what} in ${where}: the rollout steps only the stable and ` +
                            "canary weights, so that backend's share is traffic it cannot steer, " +
                            "and the canary's share is never the step's weight. Keep exactly the " +
                            `stable Service "${app.stable}" and the canary Service ` +
                            `"${app.canary}" in that rule; route other Services in rules or routes ` +
                            "of their own.",
                    );
                }
            }
            for (const ref of parents === UNKNOWN ? [] : parents) {
                if (ref.isGateway !== true || typeof ref.name !== "string") {
                    continue;
                }
                const ns = ref.namespace;
                const inNamespace = gateways.filter((g) => namespaceOf(g.props) === ns);
                const gateway = inNamespace.find((g) => nameOf(g) === ref.name);
                if (!gateway) {
                    if (inNamespace.length > 0 && ns !== UNKNOWN) {
                        report(
                            `is attached to Gateway "${ref.name}" in namespace "${ns}", but this ` +
                                `stack's Gateways in that namespace are ` +
                                `${inNamespace.map((g) => `"${nameOf(g)}"`).join(", ")}: the ` +
                                "route would attach to nothing (or to a Gateway managed " +
                                "elsewhere) and serve no request through this stack's Gateway. " +
                                `Name this stack's Gateway in the parentRef (${GATEWAY_KEY}.name).`,
                        );
                    }
                    continue;
                }
                const why = refusal(gateway, ref, routeNamespace, hostnames);
                if (why) {
                    report(
                        `is attached to Gateway "${ref.name}", which would not accept it: ` +
                            `${why}. The route would serve no request. Give the Gateway an ` +
                            "HTTP listener that allows HTTPRoutes from the route's namespace " +
                            `(${GATEWAY_KEY}).`,
                    );
                    continue;
                }
                for (const host of hostnames === UNKNOWN ? [] : hostnames) {
                    for (const path of weighted.flatMap((r) => r.paths)) {
                        const k = `${ns === UNKNOWN ? "?" : ns}/${ref.name} ${host} ${path}`;
                        const first = served.get(k);
                        if (first && first !== route) {
                            report(
                                `serves host "${host}" ${path} on Gateway "${ref.name}", as does ` +
                                    `HTTPRoute "${first.name}": the Gateway sends those requests ` +
                                    "to one of the two routes only (the oldest), so the other " +
                                    "app's weight would route nothing and its analysis would " +
                                    "measure nothing. Give each app its own host or path.",
                            );
                        } else {
                            served.set(k, route);
                        }
                    }
                }
            }
        }
    },
};
