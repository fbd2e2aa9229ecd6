// ingress-nginx applies a canary Ingress (nginx.ingress.kubernetes.io/canary: "true") on top of
// the stable Ingress with the same host and path, and honours one canary per host and path. A
// canary without its stable twin, or a second canary on the same host and path, gets no traffic
// from its weight, so its analysis measures nothing.
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { asArray, at, CANARY_ANNOTATION, stringMap, TYPES } from "./lib/resources";

interface Route {
    host?: string;
    path: string;
}

/** Host and path of every rule of an Ingress; rules or paths unknown during preview are left out. */
function routesOf(r: PolicyResource): Route[] {
    const out: Route[] = [];
    const rules = asArray(at(r.props, "spec", "rules")) ?? [];
    rules.forEach((_rule, i) => {
        const host = at(rules, i, "host");
        const paths = asArray(at(rules, i, "http", "paths")) ?? [];
        if (host !== undefined && typeof host !== "string") {
            return;
        }
        paths.forEach((_p, j) => {
            const path = at(paths, j, "path");
            if (path === undefined || typeof path === "string") {
                out.push({ host, path: path ?? "/" });
            }
        });
    });
    return out;
}

const keyOf = (r: Route) => `${r.host ?? "*"} ${r.path}`;
const where = (r: Route) => `${r.host ? `host "${r.host}"` : "any host"} path "${r.path}"`;

export const canaryIngressPairing: StackValidationPolicy = {
    name: "canary-ingress-pairing",
    description:
        `Every canary Ingress (${CANARY_ANNOTATION}: "true") has the same host and path as a ` +
        "stable Ingress in the stack, and no two canary Ingresses share a host and path.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const ingresses = args.resources.filter((r) => r.type === TYPES.ingress);
        const isCanary = (r: PolicyResource) =>
            stringMap(r.props, "metadata", "annotations")[CANARY_ANNOTATION] === "true";
        const canaries = ingresses.filter(isCanary);
        if (canaries.length === 0) {
            args.notApplicable("the stack has no canary Ingress");
        }
        const stable = new Set(
            ingresses
                .filter((r) => !isCanary(r))
                .flatMap(routesOf)
                .map(keyOf),
        );
        const byRoute = new Map<string, PolicyResource[]>();
        for (const c of canaries) {
            for (const route of routesOf(c)) {
                const k = keyOf(route);
                if (!byRoute.has(k)) {
                    byRoute.set(k, []);
                }
                const others = byRoute.get(k)!;
                if (others.includes(c)) {
                    continue;
                }
                if (!stable.has(k)) {
                    reportViolation(
                        `canary Ingress "${c.name}" routes ${where(route)}, but no stable Ingress ` +
                            `in this stack (one without the ${CANARY_ANNOTATION} annotation) serves ` +
                            "that host and path: ingress-nginx applies a canary only on top of a " +
                            "stable Ingress with the same host and path, so the canary weight would " +
                            "do nothing and the analysis would see no canary traffic. Give the " +
                            "canary Ingress the stable Ingress's host and path (for a CanaryApp both " +
                            "come from progressive-delivery:app.host and app.path).",
                        c.urn,
                    );
                }
                for (const other of others) {
                    reportViolation(
                        `canary Ingress "${c.name}" routes ${where(route)}, as does canary Ingress ` +
                            `"${other.name}": ingress-nginx honours one canary per host and path, so ` +
                            "one of them would get no traffic from its weight and its analysis would " +
                            "measure nothing. Give each app its own host or path.",
                        c.urn,
                    );
                }
                others.push(c);
            }
        }
    },
};
