// Whose is an object: each owner shape with its exact words (core/ownership.ts).
import * as assert from "assert";
import { foreignOwner, OwnedMeta } from "../../../../../components/rollout/core/ownership";

const OURS = {
    "app.kubernetes.io/managed-by": "progressive-delivery",
    "app.kubernetes.io/instance": "demo",
};

describe("rollout/core ownership", () => {
    const cases: [string, OwnedMeta, string | undefined][] = [
        ["this program's, for this app", { labels: { ...OURS, app: "demo" } }, undefined],
        [
            "this program's, but no app named",
            { labels: { "app.kubernetes.io/managed-by": "progressive-delivery" } },
            "it is labelled app.kubernetes.io/managed-by: progressive-delivery but names no app (no label app.kubernetes.io/instance)",
        ],
        [
            "another app",
            { labels: { ...OURS, "app.kubernetes.io/instance": "shop" } },
            'it belongs to app "shop" (label app.kubernetes.io/instance)',
        ],
        [
            "ours by labels, yet controlled by a ReplicaSet and a Rollout",
            {
                labels: OURS,
                ownerReferences: [
                    { kind: "ReplicaSet", name: "a" },
                    { kind: "Rollout", name: "b" },
                ],
            },
            'it is controlled by "ReplicaSet/a, Rollout/b" (metadata.ownerReferences)',
        ],
        [
            "before the labels, written by the rollout only",
            {
                labels: { app: "demo" },
                managedFields: [{ manager: "progressive-delivery-rollout" }],
            },
            undefined,
        ],
        [
            "before the labels, written by pulumi-kubernetes in client-side mode",
            { labels: { app: "demo" }, managedFields: [{ manager: "pulumi-kubernetes" }] },
            undefined,
        ],
        [
            "before the labels, no managedFields at all",
            { labels: { app: "demo" } },
            "it has no label app.kubernetes.io/managed-by and was written by no field manager, not by Pulumi",
        ],
        [
            "a managed-by value that is cut to 80 characters",
            { labels: { "app.kubernetes.io/managed-by": "x".repeat(100) } },
            `it is managed by "${"x".repeat(79)}... (102 characters) (label app.kubernetes.io/managed-by)`,
        ],
        [
            "no metadata at all",
            {},
            'it has neither the label app.kubernetes.io/managed-by: progressive-delivery nor app: "demo"',
        ],
    ];
    for (const [name, meta, expected] of cases) {
        it(name, () => assert.strictEqual(foreignOwner(meta, "demo"), expected));
    }
});
