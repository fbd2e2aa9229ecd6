// Shared helpers of the policy pack: resource type tokens, the names CanaryApp gives its
// resources, type filters, and safe readers over resource properties that may be unknown during
// `pulumi preview`. The pack is self-contained (nothing is imported from ../components), so it can
// be published to Pulumi Cloud on its own; test/unit/policies keeps these constants equal to the
// program's.
import { ResourceValidation, UnknownValueError } from "@pulumi/policy";

/** Type tokens as the engine reports them. */
export const TYPES = {
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    daemonSet: "kubernetes:apps/v1:DaemonSet",
    replicaSet: "kubernetes:apps/v1:ReplicaSet",
    job: "kubernetes:batch/v1:Job",
    cronJob: "kubernetes:batch/v1:CronJob",
    pod: "kubernetes:core/v1:Pod",
    namespace: "kubernetes:core/v1:Namespace",
    ingress: "kubernetes:networking.k8s.io/v1:Ingress",
    httpRoute: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
    gateway: "kubernetes:gateway.networking.k8s.io/v1:Gateway",
    helmRelease: "kubernetes:helm.sh/v3:Release",
    helmChartV4: "kubernetes:helm.sh/v4:Chart",
    serviceMonitor: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
    canaryRollout: "pulumi-nodejs:dynamic/progressive-delivery:CanaryRollout",
} as const;

/** Workload types whose pod template the image policy reads. */
export const WORKLOAD_TYPES: string[] = [
    TYPES.deployment,
    TYPES.statefulSet,
    TYPES.daemonSet,
    TYPES.replicaSet,
    TYPES.job,
    TYPES.cronJob,
    TYPES.pod,
];

/** The stable Deployment's annotation: hash of the pod template the rollout promoted. */
export const TEMPLATE_HASH_ANNOTATION = "progressive-delivery/template-hash";
/** ingress-nginx's canary annotation; CanaryApp sets it to "true" on the canary Ingress. */
export const CANARY_ANNOTATION = "nginx.ingress.kubernetes.io/canary";
/**
 * ingress-nginx annotations of a canary Ingress that the rollout writes with its own field manager
 * (weight, header route during a run), or that would route to the canary beside it.
 */
export const ROLLOUT_OWNED_ANNOTATIONS = [
    "nginx.ingress.kubernetes.io/canary-weight",
    "nginx.ingress.kubernetes.io/canary-weight-total",
    "nginx.ingress.kubernetes.io/canary-by-header",
    "nginx.ingress.kubernetes.io/canary-by-header-value",
    "nginx.ingress.kubernetes.io/canary-by-header-pattern",
    "nginx.ingress.kubernetes.io/canary-by-cookie",
];
/** What CanaryApp appends to the app's name for its Deployments and Services ("demo-canary"). */
export const TRACK_SUFFIX = { stable: "-stable", canary: "-canary" } as const;
/** The label CanaryApp puts on both Deployments and their pods: "stable" or "canary". */
export const TRACK_LABEL = "track";

/**
 * A validation that applies to one resource type. The type is attached as `__pulumiType`, the
 * same marker @pulumi/policy's validateResourceOfType leaves, so the analyzer skips other types
 * without calling it; the explicit check keeps direct calls (tests) honest.
 */
export function ofType(type: string, validate: ResourceValidation): ResourceValidation {
    const fn: ResourceValidation = (args, report) =>
        args.type === type
            ? validate(args, report)
            : args.notApplicable(`Policy only applies to resources of type '${type}'`);
    (fn as { __pulumiType?: string }).__pulumiType = type;
    return fn;
}

/** A validation that applies to several resource types. */
export function ofTypes(types: string[], validate: ResourceValidation): ResourceValidation {
    return (args, report) =>
        types.includes(args.type)
            ? validate(args, report)
            : args.notApplicable(`Policy only applies to resources of types ${types.join(", ")}`);
}

// ---------------------------------------------------------------------------------------------
// Reading properties. During preview, values computed from other resources' outputs are unknown,
// and the analyzer's proxy throws when one is read. A policy that let that propagate would be
// reported as "can't run during preview" on every canary release (the stable Deployment's
// template is the rollout's output), so the readers below turn an unknown into UNKNOWN and the
// policies skip what they cannot see yet. Each skip is safe: the same value is checked when it is
// known (at `pulumi up`, or on the canary Deployment that carries the same template).

export const UNKNOWN: unique symbol = Symbol("unknown during preview");
export type Unknown = typeof UNKNOWN;

/** The value `read` returns, or UNKNOWN if it touches a value unknown during preview. */
export function peek<T>(read: () => T): T | Unknown {
    try {
        return read();
    } catch (e) {
        if (e instanceof UnknownValueError) {
            return UNKNOWN;
        }
        throw e;
    }
}

export type Json = Record<string, unknown>;

/** `v` as a plain object, or undefined. */
export function asObject(v: unknown): Json | undefined {
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Json) : undefined;
}

/** `v` as an array, or undefined. */
export function asArray(v: unknown): unknown[] | undefined {
    return Array.isArray(v) ? v : undefined;
}

/** The known value at `path` below `root`; undefined when absent, UNKNOWN when unknown. */
export function at(root: unknown, ...path: (string | number)[]): unknown {
    return peek(() => {
        let v: unknown = root;
        for (const key of path) {
            if (v === null || typeof v !== "object") {
                return undefined;
            }
            v = (v as Record<string | number, unknown>)[key];
        }
        return v;
    });
}

/** String labels or annotations at `path` (unknown entries left out). */
export function stringMap(root: unknown, ...path: string[]): Record<string, string> {
    const m = asObject(at(root, ...path));
    const out: Record<string, string> = {};
    for (const k of m ? Object.keys(m) : []) {
        const v = at(m, k);
        if (typeof v === "string") {
            out[k] = v;
        }
    }
    return out;
}

/**
 * A deep, plain copy of a known value, or UNKNOWN if any part of it is unknown. Numbers stay as
 * they are (NaN is not turned into null, as a JSON round trip would), undefined keys are dropped.
 */
export function plain(v: unknown): unknown {
    if (v === UNKNOWN || v === undefined) {
        return v;
    }
    const copy = (x: unknown): unknown =>
        Array.isArray(x)
            ? x.map(copy)
            : x !== null && typeof x === "object"
              ? Object.fromEntries(
                    Object.entries(x)
                        .filter(([, y]) => y !== undefined)
                        .map(([k, y]) => [k, copy(y)]),
                )
              : x;
    return peek(() => copy(v));
}

/** Longest value a message echoes: a 100,000-character query is cut, not repeated. */
export const MAX_SHOWN_CHARS = 80;

/** A value as a message shows it: JSON cut to 80 characters; "nothing", NaN and Infinity by name. */
export function show(v: unknown): string {
    if (v === undefined) {
        return "nothing";
    }
    if (typeof v === "number" && !Number.isFinite(v)) {
        return String(v);
    }
    const text = JSON.stringify(v) ?? String(v);
    return text.length > MAX_SHOWN_CHARS
        ? `${text.slice(0, MAX_SHOWN_CHARS)}... (${text.length} characters)`
        : text;
}

// ---------------------------------------------------------------------------------------------
// Pod templates and containers.

/** The pod template of a workload (for a Pod: its own metadata and spec). */
export function podTemplateOf(type: string, props: unknown): unknown {
    switch (type) {
        case TYPES.pod:
            return peek(() => ({
                metadata: (props as Json).metadata,
                spec: (props as Json).spec,
            }));
        case TYPES.cronJob:
            return at(props, "spec", "jobTemplate", "spec", "template");
        default:
            return at(props, "spec", "template");
    }
}

export interface ContainerRef {
    /** "container" or "init container", for messages. */
    kind: string;
    name: string;
    /** The container's properties; read fields with `at`, they may be unknown. */
    props: Json;
}

/** Containers and init containers of a pod template; unknown entries are left out. */
export function containersOf(template: unknown, withInit = true): ContainerRef[] {
    const out: ContainerRef[] = [];
    const lists: [string, string][] = [["containers", "container"]];
    if (withInit) {
        lists.push(["initContainers", "init container"]);
    }
    for (const [field, kind] of lists) {
        const list = asArray(at(template, "spec", field)) ?? [];
        list.forEach((_c, i) => {
            const c = asObject(at(list, i));
            if (c) {
                const name = at(c, "name");
                out.push({ kind, name: typeof name === "string" ? name : `#${i}`, props: c });
            }
        });
    }
    return out;
}

/** True when a Deployment is one of a CanaryApp's two (its `track` label is stable or canary). */
export function isCanaryReleased(props: unknown): boolean {
    const tracks = [
        stringMap(props, "metadata", "labels")[TRACK_LABEL],
        stringMap(at(props, "spec", "template"), "metadata", "labels")[TRACK_LABEL],
    ];
    return tracks.some((t) => t === "stable" || t === "canary");
}

/**
 * The containers of a Deployment released by canary (track label stable or canary), or none:
 * for other resources, and for the stable Deployment during preview, whose template is still
 * unknown (the canary's, checked too, is the same template).
 */
export function canaryReleasedContainers(
    type: string,
    props: unknown,
    withInit = true,
): ContainerRef[] {
    if (!isCanaryReleased(props)) {
        return [];
    }
    const template = podTemplateOf(type, props);
    return template === UNKNOWN ? [] : containersOf(template, withInit);
}
