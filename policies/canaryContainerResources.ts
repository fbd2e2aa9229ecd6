// Requests and limits on every container released by canary: the canary must neither fail for
// want of capacity (a healthy version rolled back) nor starve the stable pods beside it.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { at, canaryReleasedContainers, ofType, TYPES, UNKNOWN } from "./lib/resources";

const FIELDS: [string, string][] = [
    ["requests", "cpu"],
    ["requests", "memory"],
    ["limits", "cpu"],
    ["limits", "memory"],
];

export const canaryContainerResources: ResourceValidationPolicy = {
    name: "canary-container-resources",
    description:
        "Every container of a Deployment released by canary (track label stable or canary) sets " +
        "cpu and memory requests and limits.",
    enforcementLevel: "mandatory",
    validateResource: ofType(TYPES.deployment, (args, reportViolation) => {
        for (const c of canaryReleasedContainers(args.type, args.props)) {
            const missing = FIELDS.filter(([group, resource]) => {
                const v = at(c.props, "resources", group, resource);
                return v !== UNKNOWN && (v === undefined || v === null || v === "");
            }).map(([group, resource]) => `${group}.${resource}`);
            if (missing.length === 0) {
                continue;
            }
            reportViolation(
                `Deployment "${args.name}" ${c.kind} "${c.name}" sets no ${missing.join(", ")}: ` +
                    "without requests the scheduler may pack canary pods onto busy nodes, where " +
                    "they fail for want of capacity and a healthy version is rolled back; without " +
                    "limits a bad canary can starve the stable pods beside it, the harm a canary " +
                    "exists to contain. Set cpu and memory requests and limits (for a CanaryApp: " +
                    "progressive-delivery:app.resources).",
            );
        }
    }),
};
