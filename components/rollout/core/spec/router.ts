// The `router` key: which traffic router steps the canary's weight, the Gateway an HTTPRoute
// attaches to, and the header that reaches the canary. resolveRouter reads the user's YAML for the
// config layer; checkRouter holds the rules, also run by the CanaryRollout provider's check on
// the parts it receives (kind and header). Pure.
import { Checker, Problem, show } from "../check";
import {
    DNS_LABEL,
    GATEWAY_KEYS,
    HEADER_KEYS,
    HeaderMatch,
    ROUTER_DEFAULTS,
    ROUTER_KEYS,
    ROUTER_KINDS,
    RouterSpec,
} from "./types";

export const ROUTER = "router";

/** An RFC 7230 token, as Gateway API's HTTPHeaderName and ingress-nginx accept it. */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,256}$/;
/** Visible ASCII, spaces only inside: the same bytes reach both routers' exact match. */
const HEADER_VALUE = /^[\x21-\x7e]([\x20-\x7e]{0,254}[\x21-\x7e])?$/;
/** A GatewayClass name: a DNS subdomain. */
const SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const DNS = {
    re: DNS_LABEL,
    fix: "use a Kubernetes name: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
};

/** The router's kind; a wrong one is reported and read as the default. */
export function checkRouterKind(c: Checker, path: string, kind: unknown): RouterSpec["kind"] {
    if ((ROUTER_KINDS as readonly unknown[]).includes(kind)) {
        return kind as RouterSpec["kind"];
    }
    c.fail(
        path,
        `${show(kind)} is not a router; use "ingress-nginx" (default: the canary Ingress' weight annotation) or "gateway-api" (an HTTPRoute's backendRef weights)`,
    );
    return ROUTER_DEFAULTS.kind;
}

/** A header match: a header name (RFC 7230 token) and its exact value. */
export function checkHeader(c: Checker, path: string, value: unknown): HeaderMatch | undefined {
    if (value === undefined || value === null) {
        return undefined;
    }
    const raw = c.object(path, value, HEADER_KEYS);
    const name = c.string(`${path}.name`, raw.name ?? "", "", {
        re: HEADER_NAME,
        fix: 'use an HTTP header name: letters, digits and !#$%&\'*+-.^_`|~ (an RFC 7230 token, at most 256 characters), e.g. "X-Canary"',
    });
    const headerValue = c.string(`${path}.value`, raw.value ?? "", "", {
        re: HEADER_VALUE,
        fix: 'use 1 to 256 visible ASCII characters (spaces only between them), e.g. "always"; requests with exactly this value reach the canary',
    });
    return { name, value: headerValue };
}

/** Every problem of a normalized router, with paths under `router`. */
export function checkRouter(router: RouterSpec): Problem[] {
    const c = new Checker();
    const kind = checkRouterKind(c, `${ROUTER}.kind`, router.kind);
    checkHeader(c, `${ROUTER}.header`, router.header);
    const g = router.gateway;
    if (kind !== "gateway-api") {
        if (g !== undefined) {
            c.fail(
                `${ROUTER}.gateway`,
                `is set, but router.kind is ${show(kind)}; set router.kind to "gateway-api" to route with an HTTPRoute, or remove router.gateway`,
            );
        }
        return c.problems;
    }
    if (g === undefined) {
        c.fail(`${ROUTER}.gateway`, "is missing; it names the Gateway the HTTPRoute attaches to");
        return c.problems;
    }
    c.string(`${ROUTER}.gateway.name`, g.name, "", DNS);
    c.string(`${ROUTER}.gateway.namespace`, g.namespace, "", DNS);
    c.boolean(`${ROUTER}.gateway.create`, g.create, ROUTER_DEFAULTS.gateway.create);
    c.string(`${ROUTER}.gateway.className`, g.className, "", {
        re: SUBDOMAIN,
        fix: 'use the name of a GatewayClass (a DNS subdomain), e.g. "istio"',
    });
    return c.problems;
}

/**
 * Resolves the `router` key (defaults applied: the Gateway is `<app>-gateway` in the app's
 * namespace, created by the program, of class istio) and returns every problem with its path.
 */
export function resolveRouter(
    raw: unknown,
    app: { name: string; namespace: string },
): { router: RouterSpec; problems: Problem[] } {
    const c = new Checker();
    const r = c.object(ROUTER, raw, ROUTER_KEYS);
    const kind = r.kind ?? ROUTER_DEFAULTS.kind;
    const router: RouterSpec = { kind: kind as RouterSpec["kind"] };
    const header = checkHeader(c, `${ROUTER}.header`, r.header);
    if (header) {
        router.header = header;
    }
    if (r.gateway !== undefined && r.gateway !== null) {
        const g = c.object(`${ROUTER}.gateway`, r.gateway, GATEWAY_KEYS);
        if (kind === "gateway-api" && !(g.create ?? true) && g.className !== undefined) {
            c.fail(
                `${ROUTER}.gateway.className`,
                "is set, but router.gateway.create is false: the existing Gateway has its own class; remove className, or set create to true to have the program create the Gateway",
            );
        }
        router.gateway = gatewayOf(g, app);
    } else if (kind === "gateway-api") {
        router.gateway = gatewayOf({}, app);
    }
    // A header or gateway whose shape was wrong is reported already, not again by the rules.
    const reported = c.problems.map((p) => p.path);
    const rules = checkRouter(router).filter(
        (p) => !reported.some((x) => p.path === x || p.path.startsWith(`${x}.`)),
    );
    return { router, problems: [...c.problems, ...rules] };
}

function gatewayOf(
    g: Record<string, unknown>,
    app: { name: string; namespace: string },
): NonNullable<RouterSpec["gateway"]> {
    return {
        name: (g.name ?? `${app.name}-gateway`) as string,
        namespace: (g.namespace ?? app.namespace) as string,
        create: (g.create ?? ROUTER_DEFAULTS.gateway.create) as boolean,
        className: (g.className ?? ROUTER_DEFAULTS.gateway.className) as string,
    };
}
