// The judge's unit of data: requests and failures of each version, in one interval between two
// counter readings or summed over the intervals used.

export interface Counts {
    canaryRequests: number;
    canaryFailures: number;
    stableRequests: number;
    stableFailures: number;
}

export const ZERO: Counts = {
    canaryRequests: 0,
    canaryFailures: 0,
    stableRequests: 0,
    stableFailures: 0,
};

export const KEYS = Object.keys(ZERO) as (keyof Counts)[];

export function addCounts(a: Counts, b: Counts): Counts {
    const out = { ...ZERO };
    for (const k of KEYS) {
        out[k] = a[k] + b[k];
    }
    return out;
}
