// The pod template hash, computed exactly as CanaryApp computes it (components/canaryApp.ts
// templateHash: sha256 of the canonical JSON, keys sorted), over the template without the track
// label that CanaryApp adds to each Deployment. A test keeps the two equal.
import { createHash } from "crypto";
import { asObject, Json, TRACK_LABEL } from "./resources";

function canonical(v: unknown): unknown {
    if (Array.isArray(v)) {
        return v.map(canonical);
    }
    if (v && typeof v === "object") {
        return Object.fromEntries(
            Object.keys(v)
                .sort()
                .map((k) => [k, canonical((v as Json)[k])]),
        );
    }
    return v;
}

/** sha256 (hex) of the template's canonical JSON. `template` must be plain (no unknowns). */
export function templateHash(template: unknown): string {
    return createHash("sha256")
        .update(JSON.stringify(canonical(template)))
        .digest("hex");
}

/** A plain template without the track label, as the rollout saw it before withTrack. */
export function withoutTrack(template: unknown): unknown {
    const t = asObject(template);
    const labels = asObject(asObject(t?.metadata)?.labels);
    if (!t || !labels || !(TRACK_LABEL in labels)) {
        return template;
    }
    const rest = { ...labels };
    delete rest[TRACK_LABEL];
    return { ...t, metadata: { ...asObject(t.metadata), labels: rest } };
}

/** The first 12 hex digits, as messages show a hash. */
export function short(hash: string): string {
    return hash.slice(0, 12);
}
