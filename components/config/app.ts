// The app's config: its name, image, replicas, port, host, resources and probes.
import { Checker, show } from "../rollout/core/check";
import { DEFAULTS } from "./defaults";
import { CPU, DNS, HOSTNAME, MEMORY } from "./fields";
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

function validateResources(c: Checker, key: string, value: unknown, d: ResourceList): ResourceList {
    const raw = c.object(key, value, Object.keys(d));
    return {
        cpu: c.string(`${key}.cpu`, raw.cpu, d.cpu, {
            re: CPU,
            fix: 'use a CPU quantity such as "100m" or "0.5"',
        }),
        memory: c.string(`${key}.memory`, raw.memory, d.memory, {
            re: MEMORY,
            fix: 'use a memory quantity such as "64Mi" or "1Gi"',
        }),
    };
}

export function validateApp(c: Checker, value: unknown): AppConfig {
    const d = DEFAULTS.app;
    const raw = c.object("app", value, [...Object.keys(d), "livenessProbe"]);
    const name = c.string("app.name", raw.name, d.name, {
        re: /^[a-z0-9]([-a-z0-9]{0,45}[a-z0-9])?$/,
        fix: "use a Kubernetes name of at most 47 characters (lower-case letters, digits and '-'); '-canary' and '-stable' are appended",
    });
    const image = c.string("app.image", raw.image, d.image);
    if (typeof raw.image === "string" && raw.image.trim() !== "") {
        const img = raw.image;
        const lastSegment = img.slice(img.lastIndexOf("/") + 1);
        if (/\s/.test(img) || /[A-Z]/.test(img.split(/[:@]/)[0])) {
            c.fail(
                "app.image",
                `${show(img)} is not a valid image reference; use e.g. "argoproj/rollouts-demo:blue"`,
            );
        } else if (!img.includes("@sha256:") && !lastSegment.includes(":")) {
            c.fail(
                "app.image",
                `${show(img)} has no tag; pin a version, e.g. "${img}:v1.2.3", or a digest "${img}@sha256:..."`,
            );
        } else if (!img.includes("@") && lastSegment.endsWith(":latest")) {
            c.fail(
                "app.image",
                `${show(img)} uses the tag "latest", which changes under you and defeats the canary; pin a version tag or a digest`,
            );
        }
    }
    const resources = c.object("app.resources", raw.resources, Object.keys(d.resources));
    const rawHost = raw.host;
    const host = c.string("app.host", rawHost, d.host);
    if (typeof rawHost === "string" && rawHost.trim() !== "" && !HOSTNAME.test(rawHost)) {
        c.fail(
            "app.host",
            `${show(rawHost)} is not a valid DNS host name; use lower-case names such as "demo.example.com" (no scheme, port or path)`,
        );
    }
    return {
        name,
        namespace: c.string("app.namespace", raw.namespace, d.namespace, DNS),
        image,
        replicas: c.integer("app.replicas", raw.replicas, d.replicas, 1, 1000, "replicas"),
        port: c.integer("app.port", raw.port, d.port, 1, 65535, "(a TCP port)"),
        host,
        path: c.string("app.path", raw.path, d.path, {
            re: /^\/[^\s]*$/,
            fix: 'use an HTTP path starting with "/", e.g. "/" or "/api"',
        }),
        resources: {
            requests: validateResources(
                c,
                "app.resources.requests",
                resources.requests,
                d.resources.requests,
            ),
            limits: validateResources(
                c,
                "app.resources.limits",
                resources.limits,
                d.resources.limits,
            ),
        },
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
