// A readiness probe on every container released by canary: Services send traffic only to ready
// pods, and the rollout waits for ready canary pods before it shifts traffic.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { at, canaryReleasedContainers, ofType, TYPES, UNKNOWN } from "./lib/resources";

export const canaryReadinessProbe: ResourceValidationPolicy = {
    name: "canary-readiness-probe",
    description:
        "Every container of a Deployment released by canary (track label stable or canary) has " +
        "a readiness probe.",
    enforcementLevel: "mandatory",
    validateResource: ofType(TYPES.deployment, (args, reportViolation) => {
        // Init containers run to completion before the pod can be ready; they have no probe.
        for (const c of canaryReleasedContainers(args.type, args.props, false)) {
            const probe = at(c.props, "readinessProbe");
            if (probe === UNKNOWN || (probe !== undefined && probe !== null)) {
                continue;
            }
            reportViolation(
                `Deployment "${args.name}" ${c.kind} "${c.name}" has no readinessProbe: ` +
                    "Kubernetes would send canary traffic to pods before they can serve, so " +
                    "start-up errors count against the canary, and the rollout's wait for ready " +
                    "canary pods would pass at once. Set a readiness probe on an endpoint the app " +
                    "answers only when ready (for a CanaryApp: " +
                    "progressive-delivery:app.readinessProbe).",
            );
        }
    }),
};
