// JSON with object keys sorted at every level, so equal values give equal text: the template
// hash that triggers a canary run and the provider's diff both compare values this way.

/** Canonical JSON text of a JSON-like value. */
export function canonicalJson(v: unknown): string {
    return JSON.stringify(canonical(v));
}

/** Deep equality of JSON-like values. */
export function sameJson(a: unknown, b: unknown): boolean {
    return canonicalJson(a) === canonicalJson(b);
}

function canonical(v: unknown): unknown {
    if (Array.isArray(v)) {
        return v.map(canonical);
    }
    if (v && typeof v === "object") {
        return Object.fromEntries(
            Object.keys(v)
                .sort()
                .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
        );
    }
    return v;
}
