// The app's config: its name, image, replicas, port, host, resources and probes.
import { Checker, Raw, show } from "../rollout/core/check";
import { DEFAULTS } from "./defaults";
import { DNS, HOSTNAME, isSystemNamespace } from "./fields";
import { imageProblem } from "./image";
import { compareQuantities, parseQuantity } from "./quantity";
import type { AppConfig, ProbeConfig, ResourceList } from "./types";

function validateProbe(c: Checker, key: string, value: unknown, d: ProbeConfig): ProbeConfig {
    const raw = c.object(key, value, Object.keys(d));
    return {
        path: c.string(`${key}.path`, raw.path, d.path, {
            re: /^\/\S*$/,
            fix: 'use an HTTP path starting with "/", e.g. "/healthz"',
        }),
        initialDelaySeconds: c.integer(
            `${key}.initialDelaySeconds`,
            raw.initialDelaySeconds,
            d.initialDelaySeconds,
            0,
            3600,
            "seconds",
        ),
        periodSeconds: c.integer(
            `${key}.periodSeconds`,
            raw.periodSeconds,
            d.periodSeconds,
            1,
            3600,
            "seconds",
        ),
        failureThreshold: c.integer(
            `${key}.failureThreshold`,
            raw.failureThreshold,
            d.failureThreshold,
            1,
            100,
            "probes",
        ),
    };
}

const QUANTITY_FIX = {
    cpu: 'use a CPU quantity such as "100m" or "0.5"',
    memory: 'use a memory quantity such as "64Mi" or "1Gi"',
};

function validateResources(c: Checker, key: string, value: unknown, d: ResourceList): ResourceList {
    const raw = c.object(key, value, Object.keys(d));
    const quantity = (name: keyof ResourceList) => {
        const path = `${key}.${name}`;
        const text = c.string(path, raw[name], d[name], { re: /^/, fix: QUANTITY_FIX[name] });
        if (raw[name] !== text) {
            return text; // absent, or already reported: the default stands
        }
        const q = parseQuantity(text);
        if (q === undefined) {
            c.fail(path, `${show(text)} is not valid: ${QUANTITY_FIX[name]}`);
            return d[name];
        }
        if (q.num <= 0n) {
            c.fail(path, `must be more than 0, got ${show(text)}; ${QUANTITY_FIX[name]}`);
            return d[name];
        }
        return text;
    };
    return { cpu: quantity("cpu"), memory: quantity("memory") };
}

/** Kubernetes refuses a container whose limit is below its request: say so before it does. */
function checkLimits(c: Checker, requests: ResourceList, limits: ResourceList): void {
    const reported = (path: string) => c.problems.some((p) => p.path === path);
    for (const name of ["cpu", "memory"] as const) {
        if (
            reported(`app.resources.requests.${name}`) ||
            reported(`app.resources.limits.${name}`)
        ) {
            continue; // one of them is the default standing in for a wrong value
        }
        const request = parseQuantity(requests[name]);
        const limit = parseQuantity(limits[name]);
        if (request && limit && compareQuantities(limit, request) < 0) {
            c.fail(
                `app.resources.limits.${name}`,
                `${show(limits[name])} is less than app.resources.requests.${name} ${show(requests[name])}; ` +
                    `Kubernetes refuses a limit below its request: raise the limit to at least ${show(requests[name])} or lower the request`,
            );
        }
    }
}

/** app.namespace: a DNS label, and no system namespace unless app.allowSystemNamespace. */
function validateNamespace(c: Checker, raw: Raw, d: typeof DEFAULTS.app): [string, boolean] {
    const namespace = c.string("app.namespace", raw.namespace, d.namespace, DNS);
    const allow = c.boolean(
        "app.allowSystemNamespace",
        raw.allowSystemNamespace,
        d.allowSystemNamespace,
    );
    if (isSystemNamespace(namespace) && !allow) {
        c.fail(
            "app.namespace",
            `${show(namespace)} is a system namespace (Kubernetes keeps "default" and "kube-*" for itself and its add-ons); ` +
                `give the app a namespace of its own, e.g. ${show(d.namespace)}, or set app.allowSystemNamespace to true ` +
                "to deploy there anyway (the namespace is then neither created nor deleted by the stack)",
        );
    }
    return [namespace, allow];
}

export function validateApp(c: Checker, value: unknown): AppConfig {
    const d = DEFAULTS.app;
    const raw = c.object("app", value, [...Object.keys(d), "livenessProbe"]);
    const name = c.string("app.name", raw.name, d.name, {
        re: /^[a-z0-9]([-a-z0-9]{0,45}[a-z0-9])?$/,
        fix: "use a Kubernetes name of at most 47 characters (lower-case letters, digits and '-'); '-canary' and '-stable' are appended",
    });
    const image = c.string("app.image", raw.image, d.image);
    const imageWrong = raw.image === image ? imageProblem(image) : undefined;
    if (imageWrong) {
        c.fail("app.image", imageWrong);
    }
    const [namespace, allowSystemNamespace] = validateNamespace(c, raw, d);
    const resources = c.object("app.resources", raw.resources, Object.keys(d.resources));
    const rawHost = raw.host;
    const host = c.string("app.host", rawHost, d.host);
    if (typeof rawHost === "string" && rawHost.trim() !== "" && !HOSTNAME.test(rawHost)) {
        c.fail(
            "app.host",
            `${show(rawHost)} is not a valid DNS host name; use lower-case names such as "demo.example.com" (no scheme, port or path)`,
        );
    }
    const requests = validateResources(
        c,
        "app.resources.requests",
        resources.requests,
        d.resources.requests,
    );
    const limits = validateResources(
        c,
        "app.resources.limits",
        resources.limits,
        d.resources.limits,
    );
    checkLimits(c, requests, limits);
    return {
        name,
        namespace,
        allowSystemNamespace,
        image,
        replicas: c.integer("app.replicas", raw.replicas, d.replicas, 1, 1000, "replicas"),
        port: c.integer("app.port", raw.port, d.port, 1, 65535, "(a TCP port)"),
        host,
        path: c.string("app.path", raw.path, d.path, {
            re: /^\/[^\s]*$/,
            fix: 'use an HTTP path starting with "/", e.g. "/" or "/api"',
        }),
        resources: { requests, limits },
        readinessProbe: validateProbe(
            c,
            "app.readinessProbe",
            raw.readinessProbe,
            d.readinessProbe,
        ),
        livenessProbe:
            raw.livenessProbe === undefined
                ? undefined
                : validateProbe(c, "app.livenessProbe", raw.livenessProbe, d.readinessProbe),
    };
}
