// One scrape interval's evidence: an e-value about the gap between the canary's error rate and
// stable's, computed from the interval's four counts, whatever stable's own error rate was in each
// second of it. Pure.
//
// The construction is the safe test for 2x2 tables of Turner, Ly and Grünwald ("Safe tests and
// always-valid confidence intervals for contingency tables and beyond", 2021), with the null
// shifted by `shift`. Each request goes to the canary with probability w (its share of the
// interval's requests) and fails with probability p_c on the canary, p_s on stable; both may move
// from one second to the next. A bet names rates (theta_c, theta_s); the e-value multiplies, over
// the interval's requests, the bet's probability of each outcome over the probability at a null
// point (a + shift, a):
//   x_c ln(theta_c/(a+shift)) + (n_c-x_c) ln((1-theta_c)/(1-a-shift))
//     + x_s ln(theta_s/a) + (n_s-x_s) ln((1-theta_s)/(1-a)).
// For one request at a moment where stable fails at p and the canary at p + shift, its
// expectation is
//   g(p) = w [(p+shift) theta_c/(a+shift) + (1-p-shift)(1-theta_c)/(1-a-shift)]
//        + (1-w) [p theta_s/a + (1-p)(1-theta_s)/(1-a)],
// linear in p and 1 at p = a. `nullStableRate` picks the a where its slope is 0: then g(p) = 1 for
// EVERY p, so the expectation is 1 whatever stable's rate does second by second (a shared burst, a
// day-night swing), with no estimate of it. Further from the line the expectation drops: for a
// roll-back bet (theta_c above the null line) when the canary fails less than p + shift, for an
// accept bet (theta_c below it) when it fails more. E.g. w = 0.2, theta_s = 1%, theta_c = 5%,
// shift 1%: a = 1.38%, so each canary failure counts ln(5/2.38) = +0.74, each stable failure
// ln(1/1.38) = -0.32.
//
// w is the canary's share of the interval's requests. When the weight changed inside the interval
// that is the average of the two weights over its requests, and the e-value stays exact as long as
// stable's error rate did not change at the same time (see sequential.ts for what bounds the rest).
import type { Counts } from "./counts";

/** What an e-value bets on: the rates of both versions, and the null's shift (canary - stable). */
export interface Bet {
    thetaC: number;
    thetaS: number;
    shift: number;
}

const ITERATIONS = 60;

/**
 * The null point's stable rate a for canary share w: the root in (0, 1 - shift) of
 * w [theta_c/(a+shift) - (1-theta_c)/(1-a-shift)] + (1-w) [theta_s/a - (1-theta_s)/(1-a)],
 * which decreases in a, so the root is unique; 0 when the slope is negative already at 0 (no
 * stable requests: the canary alone is compared with `shift`). E.g. w 0.2, theta_c 5%,
 * theta_s 1%, shift 1%: 1.38%.
 */
export function nullStableRate(w: number, bet: Bet): number {
    const { thetaC, thetaS, shift } = bet;
    const slope = (a: number) =>
        w * (thetaC / (a + shift) - (1 - thetaC) / (1 - a - shift)) +
        (1 - w) * (thetaS / a - (1 - thetaS) / (1 - a));
    let lo = 1e-12;
    let hi = 1 - shift - 1e-12;
    if (w >= 1 || slope(lo) <= 0) {
        return w >= 1 ? Math.max(0, thetaC - shift) : 0;
    }
    for (let i = 0; i < ITERATIONS; i++) {
        const mid = (lo + hi) / 2;
        if (slope(mid) > 0) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return (lo + hi) / 2;
}

/** x ln(p/q), 0 when x is 0 (so a rate of 0 is never a log of 0 times nothing). */
function term(x: number, p: number, q: number): number {
    return x > 0 ? x * Math.log(p / q) : 0;
}

/** ln of one interval's e-value for a bet; 0 without canary requests. */
export function logEValue(c: Counts, bet: Bet): number {
    const n = c.canaryRequests + c.stableRequests;
    if (c.canaryRequests <= 0) {
        return 0;
    }
    const w = c.canaryRequests / n;
    const a = nullStableRate(w, bet);
    const { thetaC, thetaS, shift } = bet;
    const xc = c.canaryFailures;
    const xs = c.stableFailures;
    return (
        term(xc, thetaC, a + shift) +
        term(c.canaryRequests - xc, 1 - thetaC, 1 - a - shift) +
        term(xs, thetaS, a) +
        term(c.stableRequests - xs, 1 - thetaS, 1 - a)
    );
}
