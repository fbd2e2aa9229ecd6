// Wald's approximation of the judge's expected decision time, to print next to the measured one.
//
// Wald: the log-LR drifts by E[z] per observation, so it reaches a bound b after about
// b / E[z] observations (ignoring overshoot and the small chance of hitting the other bound).
// Here the observations are failures, and at canary weight w each failure is the canary's with
// probability pi = w*pc / (w*pc + (1-w)*ps), so one alternative's log-LR drifts by
//   mu(w) = rps * (w*pc + (1-w)*ps) * [pi ln(pi1/pi0) + (1-pi) ln((1-pi1)/(1-pi0))]  per second,
// pi0 = w, pi1 = w*p1 / (w*p1 + (1-w)*ps), p1 = ps + excess*tolerance. The weight follows the
// step plan, so the expected time solves integral_0^T mu(w(t)) dt = bound. Stable's rate is taken
// as known (the judge estimates it, and high), so these are optimistic bounds; the measured times
// also include Prometheus' delay (two scrapes, 10-20s, before a new series has an increase).
import { ALTERNATIVES, bounds, SequentialParams } from "../../components/rollout/core/judge/sprt";
import { Step } from "../../components/rollout/core/spec";

export interface Expected {
    decision: "accept" | "reject" | "none";
    /** Seconds from the canary's first traffic, or Infinity. */
    seconds: number;
    /** Canary requests by then. */
    canaryRequests: number;
    /** Failures (both versions) by then: Wald's sample number for this test. */
    failures: number;
}

/** The canary weight (0-1) over time for a plan whose pauses are the only waits. */
export function weightAt(steps: Step[]): (t: number) => number {
    const changes: [number, number][] = [];
    let at = 0;
    for (const s of steps) {
        if ("setWeight" in s) {
            changes.push([at, s.setWeight / 100]);
        } else if ("pause" in s) {
            at += s.pause.durationSeconds;
        }
    }
    return (t) => {
        let w = 0;
        for (const [from, weight] of changes) {
            if (t >= from) {
                w = weight;
            }
        }
        return w;
    };
}

function drift(w: number, rps: number, ps: number, pc: number, p1: number): number {
    const f = rps * (w * pc + (1 - w) * ps);
    const pi = (w * pc) / (w * pc + (1 - w) * ps);
    const pi0 = w;
    const pi1 = (w * p1) / (w * p1 + (1 - w) * ps);
    return f * (pi * Math.log(pi1 / pi0) + (1 - pi) * Math.log((1 - pi1) / (1 - pi0)));
}

/** Expected time to the judge's decision, by Wald's approximation; 1-second steps to `limit`. */
export function expectedDecision(
    steps: Step[],
    rps: number,
    ps: number,
    pc: number,
    p: SequentialParams,
    limit: number,
): Expected {
    const w = weightAt(steps);
    const { acceptBelow, rejectAbove } = bounds(p);
    const healthy = pc <= ps;
    // Reject: some alternative's log-LR reaches rejectAbove - ln(weight). Accept: the 1x
    // alternative reaches acceptBelow - ln(its weight) = ln(beta).
    const targets = healthy
        ? [{ p1: ps + p.tolerance, bound: acceptBelow - Math.log(ALTERNATIVES[0].weight) }]
        : ALTERNATIVES.map((a) => ({
              p1: Math.min(ps + a.excess * p.tolerance, (1 + ps) / 2),
              bound: rejectAbove - Math.log(a.weight),
          }));
    const sums = targets.map(() => 0);
    let requests = 0;
    let failures = 0;
    for (let t = 0; t < limit; t++) {
        const wt = w(t + 0.5);
        requests += rps * wt;
        failures += rps * (wt * pc + (1 - wt) * ps);
        for (let i = 0; i < targets.length; i++) {
            sums[i] += drift(wt, rps, ps, pc, targets[i].p1);
            const hit = healthy ? sums[i] <= targets[i].bound : sums[i] >= targets[i].bound;
            if (hit && requests >= (healthy ? p.minRequests : 0)) {
                return {
                    decision: healthy ? "accept" : "reject",
                    seconds: t + 1,
                    canaryRequests: requests,
                    failures,
                };
            }
        }
    }
    return { decision: "none", seconds: Infinity, canaryRequests: requests, failures };
}
