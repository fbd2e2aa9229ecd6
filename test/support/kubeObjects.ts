// The objects the Kubernetes API double (kubeApi.ts) serves: the resources it knows, each under
// its own API group, RFC 7386 merge patch as kube-apiserver applies it, and the objects CanaryApp
// creates for an app (its Deployments, and the canary Ingress or the gateway-api HTTPRoute), as
// they are in the cluster before a run.
import {
    CANARY_ANNOTATION,
    ownerLabels,
    TEMPLATE_HASH_ANNOTATION,
    trackName,
} from "../../components/rollout/core/names";
import type { KubeApiDouble } from "./kubeApi";

export type Resource = "deployments" | "ingresses" | "httproutes";
export type Obj = {
    apiVersion?: string;
    kind?: string;
    metadata: {
        name: string;
        namespace: string;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
        ownerReferences?: { apiVersion?: string; kind: string; name: string; uid?: string }[];
        managedFields?: { manager: string; operation: string; apiVersion?: string }[];
        resourceVersion?: string;
        generation?: number;
        [k: string]: unknown;
    };
    spec?: Record<string, any>;
    status?: Record<string, any>;
};

export const GROUP: Record<Resource, { prefix: string; apiVersion: string; kind: string }> = {
    deployments: { prefix: "/apis/apps/v1", apiVersion: "apps/v1", kind: "Deployment" },
    ingresses: {
        prefix: "/apis/networking.k8s.io/v1",
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
    },
    httproutes: {
        prefix: "/apis/gateway.networking.k8s.io/v1",
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
    },
};
export const QUALIFIED: Record<Resource, string> = {
    deployments: "deployments.apps",
    ingresses: "ingresses.networking.k8s.io",
    httproutes: "httproutes.gateway.networking.k8s.io",
};

/** RFC 7386 JSON merge patch: objects merge, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
    if (patch === null || typeof patch !== "object" || Array.isArray(patch)) {
        return patch;
    }
    const out: Record<string, unknown> =
        target && typeof target === "object" && !Array.isArray(target)
            ? { ...(target as Record<string, unknown>) }
            : {};
    for (const [k, v] of Object.entries(patch)) {
        if (v === null) {
            delete out[k];
        } else {
            out[k] = mergePatch(out[k], v);
        }
    }
    return out;
}

/** The end of every refusal of an object this program did not create (core/ownership.ts). */
export const NOT_OURS =
    "The rollout writes and trusts only objects this program created, so nothing was changed; give the app another app.name or app.namespace, or remove the other object";

/**
 * Ways an object can belong to someone else: a name, the change, and how the refusal says it.
 * Each is refused for every kind the rollout writes.
 */
export const FOREIGN_OWNERS: [string, (o: Obj) => void, string][] = [
    [
        "managed by Helm",
        (o) => {
            o.metadata.labels!["app.kubernetes.io/managed-by"] = "Helm";
        },
        'it is managed by "Helm" (label app.kubernetes.io/managed-by)',
    ],
    [
        "another app of this program",
        (o) => {
            o.metadata.labels!["app.kubernetes.io/instance"] = "shop";
        },
        'it belongs to app "shop" (label app.kubernetes.io/instance)',
    ],
    [
        "controlled by another object",
        (o) => {
            o.metadata.ownerReferences = [{ kind: "Rollout", name: "demo" }];
        },
        'it is controlled by "Rollout/demo" (metadata.ownerReferences)',
    ],
    [
        "no ownership labels, labelled for another app",
        (o) => {
            o.metadata.labels = { app: "shop" };
        },
        'it is labelled app: "shop" and has no label app.kubernetes.io/managed-by',
    ],
    [
        "no labels at all",
        (o) => {
            o.metadata.labels = {};
        },
        'it has neither the label app.kubernetes.io/managed-by: progressive-delivery nor app: "demo"',
    ],
    [
        "the app's label, but created with kubectl",
        (o) => {
            o.metadata.labels = { app: "demo" };
            o.metadata.managedFields = [
                { manager: "kubectl-create", operation: "Update" },
                { manager: "kubectl-edit", operation: "Update" },
            ];
        },
        'it has no label app.kubernetes.io/managed-by and was written by "kubectl-create, kubectl-edit", not by Pulumi',
    ],
];

/** The objects CanaryApp creates for an app, as they are in the cluster before a run. */
export interface AppSeed {
    app: string;
    namespace: string;
    /** The stable Deployment's template hash; null: no stable Deployment. */
    stableHash?: string | null;
    /** "labels": this code's ownership labels; "legacy": the code before them (app label only). */
    marks?: "labels" | "legacy";
    /** The router's object: the canary Ingress (default), or the HTTPRoute `<app>`. */
    router?: "ingress-nginx" | "gateway-api";
    /** false: no router object (a first deployment: CanaryApp creates it after stable). */
    canaryIngress?: boolean;
}

/** A pulumi-kubernetes server-side-apply field manager, as it records itself. */
export const PULUMI_MANAGER = "pulumi-kubernetes-5f1e2d3c";

/**
 * The spec of the HTTPRoute CanaryApp creates (components/routes.ts gatewayRoute) for path "/",
 * host `<app>.local` and the Gateway `<app>-gateway`: one rule, stable at `stableWeight`, the
 * canary at the rest. The backendRefs carry the group and kind the API server defaults.
 */
export function httpRoute(app: string, namespace: string, stableWeight = 100) {
    const backend = (track: "stable" | "canary", weight: number) => ({
        group: "",
        kind: "Service",
        name: trackName(app, track),
        port: 80,
        weight,
    });
    return {
        parentRefs: [
            {
                group: "gateway.networking.k8s.io",
                kind: "Gateway",
                name: `${app}-gateway`,
                namespace,
            },
        ],
        hostnames: [`${app}.local`],
        rules: [
            {
                matches: [{ path: { type: "PathPrefix", value: "/" } }],
                backendRefs: [
                    backend("stable", stableWeight),
                    backend("canary", 100 - stableWeight),
                ],
            },
        ],
    };
}

export function seedApp(api: KubeApiDouble, seed: AppSeed): void {
    const { app, namespace } = seed;
    const meta = (name: string, track?: string): Obj["metadata"] => ({
        name,
        namespace,
        labels: {
            app,
            ...(track ? { track } : {}),
            ...(seed.marks === "legacy" ? {} : ownerLabels(app)),
        },
        annotations: {},
        managedFields: [{ manager: PULUMI_MANAGER, operation: "Apply" }],
    });
    const deployment = (track: "stable" | "canary", replicas: number): Obj => ({
        metadata: meta(trackName(app, track), track),
        spec: { replicas, selector: { matchLabels: { app, track } }, template: {} },
        status: {
            observedGeneration: 1,
            replicas,
            readyReplicas: replicas,
            updatedReplicas: replicas,
        },
    });
    api.put("deployments", deployment("canary", 0));
    if (seed.stableHash !== null) {
        const d = deployment("stable", 4);
        d.metadata.annotations = {
            ...d.metadata.annotations,
            [TEMPLATE_HASH_ANNOTATION]: seed.stableHash ?? "h-stable",
        };
        api.put("deployments", d);
    }
    if (seed.canaryIngress === false) {
        return;
    }
    if (seed.router === "gateway-api") {
        api.put("httproutes", { metadata: meta(app), spec: httpRoute(app, namespace) });
        return;
    }
    const ingress = meta(trackName(app, "canary"));
    ingress.annotations = { ...ingress.annotations, [CANARY_ANNOTATION]: "true" };
    api.put("ingresses", { metadata: ingress, spec: {} });
}
