// The names the program (CanaryApp) and the providers agree on in the cluster.

/** On the stable Deployment: the template hash it runs, read by the first run of a rollout. */
export const TEMPLATE_HASH_ANNOTATION = "progressive-delivery/template-hash";

/** ingress-nginx: marks the canary Ingress. */
export const CANARY_ANNOTATION = "nginx.ingress.kubernetes.io/canary";

/** ingress-nginx: the percent of requests the canary Ingress gets; written by the rollout only. */
export const WEIGHT_ANNOTATION = "nginx.ingress.kubernetes.io/canary-weight";

/**
 * The release runner (deployments/release) names a file in this variable of the `pulumi` it
 * starts; the provider host inherits it and aborts a running canary to stable once the file
 * exists (the runner writes it on SIGTERM or SIGINT). Plain `pulumi up` never sets it.
 */
export const CANCEL_FILE_ENV = "PROGRESSIVE_DELIVERY_CANCEL_FILE";
