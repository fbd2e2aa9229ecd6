// Deterministic randomness for the benchmark: mulberry32 for per-trial draws, and a hash of
// (seed, tick, stream) for per-tick draws, so two policies run on the same trial see the same
// requests whenever they send the same share of traffic (common random numbers).

/** mulberry32: a 32-bit state PRNG, uniform on [0, 1). */
export function mulberry32(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** murmur3's 32-bit finalizer: every input bit flips each output bit with probability ~1/2. */
function fmix32(h: number): number {
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
}

/** A 32-bit hash of small integers: each one is mixed in through a full avalanche. */
export function hash32(...xs: number[]): number {
    let h = 0x9e3779b9;
    for (const x of xs) {
        h = fmix32((h + Math.imul(x | 0, 0x9e3779b1) + 0x7f4a7c15) | 0);
    }
    return h;
}

/** uniformOf(a, b, c, d) without the rest-parameter array: the simulator's hot path. */
export function uniform4(a: number, b: number, c: number, d: number): number {
    let h = 0x9e3779b9;
    h = fmix32((h + Math.imul(a | 0, 0x9e3779b1) + 0x7f4a7c15) | 0);
    h = fmix32((h + Math.imul(b | 0, 0x9e3779b1) + 0x7f4a7c15) | 0);
    h = fmix32((h + Math.imul(c | 0, 0x9e3779b1) + 0x7f4a7c15) | 0);
    h = fmix32((h + Math.imul(d | 0, 0x9e3779b1) + 0x7f4a7c15) | 0);
    return (h + 0.5) / 4294967296;
}

/** Uniform on (0, 1), never 0 or 1, from a hash. */
export function uniformOf(...xs: number[]): number {
    return (hash32(...xs) + 0.5) / 4294967296;
}

/**
 * Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9).
 */
export function normInv(p: number): number {
    const a = [
        -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269,
        -30.66479806614716, 2.506628277459239,
    ];
    const b = [
        -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
        -13.28068155288572,
    ];
    const c = [
        -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
        4.374664141464968, 2.938163982698783,
    ];
    const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
    const lo = 0.02425;
    if (p < lo) {
        const q = Math.sqrt(-2 * Math.log(p));
        return (
            (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        );
    }
    if (p > 1 - lo) {
        const q = Math.sqrt(-2 * Math.log(1 - p));
        return (
            -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        );
    }
    const q = p - 0.5;
    const r = q * q;
    return (
        ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    );
}

/**
 * A Poisson(mean) draw by inversion of the uniform u, so a larger mean never gives fewer
 * events for the same u. Exact up to mean 60 (sequential search: ~mean steps); above, the normal
 * approximation, whose error at 60 events (skew 0.13) does not matter here.
 */
export function poissonInv(mean: number, u: number): number {
    if (mean <= 0) {
        return 0;
    }
    if (mean > 60) {
        return Math.max(0, Math.floor(mean + Math.sqrt(mean) * normInv(u) + 0.5));
    }
    let k = 0;
    let p = Math.exp(-mean);
    let f = p;
    while (u > f && k < 1000) {
        k++;
        p *= mean / k;
        f += p;
    }
    return k;
}
