// The names the program (CanaryApp) and the providers agree on in the cluster.

/** On the stable Deployment: the template hash it runs, read by the first run of a rollout. */
export const TEMPLATE_HASH_ANNOTATION = "progressive-delivery/template-hash";

/** ingress-nginx: marks the canary Ingress. */
export const CANARY_ANNOTATION = "nginx.ingress.kubernetes.io/canary";

/** ingress-nginx: the percent of requests the canary Ingress gets; written by the rollout only. */
export const WEIGHT_ANNOTATION = "nginx.ingress.kubernetes.io/canary-weight";

/**
 * ingress-nginx: a request whose header HEADER_ANNOTATION equals HEADER_VALUE_ANNOTATION goes to
 * the canary whatever the weight. Written by the rollout while a run has its header route on.
 */
export const HEADER_ANNOTATION = "nginx.ingress.kubernetes.io/canary-by-header";
export const HEADER_VALUE_ANNOTATION = "nginx.ingress.kubernetes.io/canary-by-header-value";

// Ownership: CanaryApp puts these labels on the metadata (never the pod template: that would
// start a canary) of the Deployments, Services and Ingresses it creates, and the rollout writes
// only objects that carry them for its own app (core/ownership.ts).

/** Kubernetes' recommended label for the tool that manages an object. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
/** Its value on this program's objects. */
export const MANAGED_BY = "progressive-delivery";
/** Kubernetes' recommended label for the instance of an application: the app's name. */
export const INSTANCE_LABEL = "app.kubernetes.io/instance";
/** The label the previous code (before the ownership labels) put on the app's objects. */
export const APP_LABEL = "app";

/** The labels that mark an object as this program's, for app `app`. */
export function ownerLabels(app: string): Record<string, string> {
    return { [MANAGED_BY_LABEL]: MANAGED_BY, [INSTANCE_LABEL]: app };
}

const TRACK_SUFFIX = { stable: "-stable", canary: "-canary" } as const;

/** The Deployments' (and Services') names of an app: "demo" -> "demo-stable", "demo-canary". */
export function trackName(app: string, track: keyof typeof TRACK_SUFFIX): string {
    return `${app}${TRACK_SUFFIX[track]}`;
}

/** The app a canary Deployment belongs to, from its name ("demo-canary" -> "demo"). */
export function appOfCanary(canaryDeployment: string): string {
    return canaryDeployment.endsWith(TRACK_SUFFIX.canary)
        ? canaryDeployment.slice(0, -TRACK_SUFFIX.canary.length)
        : canaryDeployment;
}

/** The field manager of the rollout's own writes (weight, canary replicas). */
export const FIELD_MANAGER = "progressive-delivery-rollout";
/** pulumi-kubernetes' field managers: "pulumi-kubernetes-<hex>" (server-side apply), or bare. */
export const PULUMI_FIELD_MANAGER_PREFIX = "pulumi-kubernetes";

/**
 * The release runner (deployments/release) names a file in this variable of the `pulumi` it
 * starts; the provider host inherits it and aborts a running canary to stable once the file
 * exists (the runner writes it on SIGTERM or SIGINT). Plain `pulumi up` never sets it.
 */
export const CANCEL_FILE_ENV = "PROGRESSIVE_DELIVERY_CANCEL_FILE";

// Every progress line of a rollout (the engine's steps and measurements, the provider's verdict,
// the preview's plan, CanaryCompletion, a refused event or webhook) starts with the tag of the
// app it belongs to, so a person, `pulumi up`'s output and the release runner can tell them apart.

/** The tag of an app's progress lines: "[canary demo]". */
export function rolloutTag(app: string): string {
    return `[canary ${app}]`;
}

const TAGGED_LINE = /^\[canary ([^\]]+)\] (.*)$/;

/** A progress line's app and message ("[canary demo] step 1/9 ..."), or undefined. */
export function parseRolloutLine(line: string): { app: string; message: string } | undefined {
    const m = TAGGED_LINE.exec(line);
    return m ? { app: m[1], message: m[2] } : undefined;
}
