// How far the accept side bets from its null line: the fraction of the way to "the canary fails as
// stable does" that makes the time to acceptance short at its (1 - beta) quantile. Pure.
//
// The accept side's ln e-value, betting k of the way from the null (canary = stable + tolerance)
// to the alternative (canary = stable), grows like a Brownian motion in the information the
// requests bring (D per unit when k = 1, Kelly's bet): drift k(2 - k) D, variance 2 k^2 D (the
// Gaussian approximation of a log likelihood ratio). The time to reach b = ln(1/beta) is then
// inverse Gaussian with mean b / (k(2 - k) D) and shape b^2 / (2 k^2 D). Its quantiles scale with
// 1/D, as the ratio of shape to mean, b(2 - k) / (2k), does not depend on D: the k that minimises a
// quantile is the same at any traffic, weight and error rate. Kelly's k = 1 gives the shortest
// median and a long tail; a gate waits for its slowest canaries, so the judge takes the k that
// minimises the (1 - beta) quantile: e.g. 0.72 for beta = 0.05 (the 95th percentile 8% shorter in
// information than Kelly's, the median 21% longer). Any k > 0 keeps the bet below the null line,
// so the guarantee (a canary worse than the tolerance is accepted with probability <= beta) is
// the same.
// Where the deadline binds rather than the tail (a gate at 2 rps), the longer median costs
// acceptances within the deadline: the README's "What a low-traffic service should choose".

/** The grid k is chosen on: hundredths, so the fraction is exact and the same on every machine. */
const STEPS = 100;
const ITERATIONS = 100;
/** acceptFraction's answers: it is asked at every interval, for one or two betas a run. */
const FRACTIONS = new Map<number, number>();

const ERFC_COEFFICIENTS = [
    -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398,
    1.48851587, -0.82215223, 0.17087277,
];

/**
 * ln of erfc(z) for z >= 0, with relative error below 1.2e-7 (Numerical Recipes' erfcc, a
 * Chebyshev fit), so that exp(x) erfc(z) stays exact where both are extreme.
 */
function logErfc(z: number): number {
    const t = 1 / (1 + z / 2);
    const poly = ERFC_COEFFICIENTS.reduceRight((acc, c) => c + t * acc, 0);
    return Math.log(t) - z * z + poly;
}

/** ln of the standard normal CDF at x. */
function logPhi(x: number): number {
    if (x >= 0) {
        return Math.log(1 - Math.exp(logErfc(x / Math.SQRT2)) / 2);
    }
    return logErfc(-x / Math.SQRT2) - Math.LN2;
}

/** The CDF at t of the inverse Gaussian with mean m and shape l. */
export function inverseGaussianCdf(t: number, m: number, l: number): number {
    const a = Math.sqrt(l / t);
    return Math.exp(logPhi(a * (t / m - 1))) + Math.exp((2 * l) / m + logPhi(-a * (t / m + 1)));
}

/** The q quantile of the time for the accept bet at fraction k to reach b, with D = 1. */
export function acceptTimeQuantile(k: number, b: number, q: number): number {
    const m = b / (k * (2 - k));
    const l = (b * b) / (2 * k * k);
    let lo = 0;
    let hi = m;
    while (inverseGaussianCdf(hi, m, l) < q) {
        hi *= 2;
    }
    for (let i = 0; i < ITERATIONS; i++) {
        const mid = (lo + hi) / 2;
        if (inverseGaussianCdf(mid, m, l) < q) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return (lo + hi) / 2;
}

/**
 * The accept bet's fraction for missedDetectionRate beta: the k in hundredths, (0, 1], whose
 * (1 - beta) quantile of the time to ln(1/beta) is smallest. E.g. 0.72 for beta = 0.05.
 */
export function acceptFraction(beta: number): number {
    const known = FRACTIONS.get(beta);
    if (known !== undefined) {
        return known;
    }
    const b = Math.log(1 / beta);
    let best = 1;
    let bestTime = acceptTimeQuantile(1, b, 1 - beta);
    for (let i = STEPS - 1; i >= 1; i--) {
        const k = i / STEPS;
        const time = acceptTimeQuantile(k, b, 1 - beta);
        if (time < bestTime) {
            best = k;
            bestTime = time;
        }
    }
    FRACTIONS.set(beta, best);
    return best;
}
