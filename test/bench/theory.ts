// What the judge's e-values promise, computed (not simulated) for independent errors with
// stable's rate known, to print next to the measured figures: the expected time to a decision,
// Wald-style (each ln e-value drifts by its expected growth per second, and the decision comes when
// the drift alone reaches the bound), with the judge's caps and the scrape's delay, the excess bet
// as if it already knew the canary's rate. No noise, no overshoot, no dispersion: the measured
// median should be near it, the tails longer.
import { acceptFraction } from "../../components/rollout/core/judge/acceptFraction";
import { CAP_LARGEST, capLargest } from "../../components/rollout/core/judge/caps";
import { nullStableRate } from "../../components/rollout/core/judge/evalue";
import { INGEST_MARGIN_SECONDS } from "../../components/rollout/core/judge/schedule";
import type { Bet } from "../../components/rollout/core/judge/evalue";
import {
    bounds,
    intervalCaps,
    rejectWeights,
    SequentialParams,
    GROSS_EXCESS,
    GROSS_SHIFT,
    WIDE_EXCESS,
    WIDE_SHIFT,
} from "../../components/rollout/core/judge/sequential";
import { Step } from "../../components/rollout/core/spec";

export interface Expected {
    decision: "accept" | "reject" | "none";
    /** Seconds from the canary's first traffic to the reading that decides, or Infinity. */
    seconds: number;
    /** Canary requests by then. */
    canaryRequests: number;
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

/** Expected ln e-value growth per request (both versions) of a bet, at canary share w. */
export function growth(w: number, pc: number, ps: number, bet: Bet): number {
    const a = nullStableRate(w, bet);
    const { thetaC, thetaS, shift } = bet;
    const canary =
        pc * Math.log(thetaC / (a + shift)) + (1 - pc) * Math.log((1 - thetaC) / (1 - a - shift));
    const stable = ps * Math.log(thetaS / a) + (1 - ps) * Math.log((1 - thetaS) / (1 - a));
    return w * canary + (1 - w) * stable;
}

/**
 * The expected decision for a canary failing pc against stable at ps, `rps` requests per second,
 * the judge reading INGEST_MARGIN_SECONDS after each scrape, every `scrapeSeconds`, up to
 * `limit` seconds. Reject: the strongest roll-back bet reaches its bound; accept (a gate): the
 * accept bet reaches ln(1/beta) after minRequests canary requests.
 */
export function expectedDecision(
    steps: Step[],
    rps: number,
    ps: number,
    pc: number,
    p: SequentialParams,
    scrapeSeconds: number,
    limit: number,
    gate: boolean,
): Expected {
    const w = weightAt(steps);
    const { rejectAbove, acceptAbove } = bounds(p);
    const weights = rejectWeights();
    const theta = Math.max(ps, 1e-4);
    const grossShift = Math.max(GROSS_SHIFT, p.tolerance);
    // The excess bet as if its plug-in had already found the canary's rate.
    const excess = Math.min(theta + 12 * p.tolerance, Math.max(theta + 2 * p.tolerance, pc));
    const bets: Bet[] = [
        {
            thetaC: theta + grossShift + GROSS_EXCESS - GROSS_SHIFT,
            thetaS: theta,
            shift: grossShift,
        },
        { thetaC: excess, thetaS: theta, shift: p.tolerance },
        {
            thetaC: theta + Math.max(WIDE_SHIFT, p.tolerance) + WIDE_EXCESS - WIDE_SHIFT,
            thetaS: theta,
            shift: Math.max(WIDE_SHIFT, p.tolerance),
        },
    ];
    const k = acceptFraction(p.missedDetectionRate);
    const accept: Bet = {
        thetaC: theta + (1 - k) * p.tolerance,
        thetaS: theta,
        shift: p.tolerance,
    };
    const caps = intervalCaps(p, {
        seconds: scrapeSeconds,
        scrapeSeconds,
        horizonIntervals: limit / scrapeSeconds,
    });
    const logs = bets.map(() => 0);
    const largest = bets.map(() => 0);
    let acceptLog = 0;
    let requests = 0;
    // One scrape interval at a time: the caps apply to the expected increment of each.
    for (let t = 0; t < limit; t += scrapeSeconds) {
        const inc = bets.map(() => 0);
        let acc = 0;
        for (let s = t; s < t + scrapeSeconds; s++) {
            const wt = w(s + 0.5);
            requests += rps * wt;
            bets.forEach((b, i) => (inc[i] += rps * growth(wt, pc, ps, b)));
            acc += rps * growth(wt, pc, ps, accept);
        }
        bets.forEach((_, i) => {
            largest[i] = Math.max(largest[i], inc[i]);
            logs[i] += CAP_LARGEST[i] ? inc[i] : Math.min(caps[i], inc[i]);
        });
        const capped = logs.map((l, i) =>
            CAP_LARGEST[i] ? capLargest(l, largest[i], caps[i]) : l,
        );
        acceptLog += acc;
        const data = t + scrapeSeconds;
        // Read just after the scrape (judge/schedule.ts).
        const at = data + INGEST_MARGIN_SECONDS;
        if (capped.some((l, i) => l + Math.log(weights[i]) >= rejectAbove)) {
            return { decision: "reject", seconds: at, canaryRequests: requests };
        }
        if (gate && acceptLog >= acceptAbove && requests >= p.minRequests) {
            return { decision: "accept", seconds: at, canaryRequests: requests };
        }
    }
    return { decision: "none", seconds: Infinity, canaryRequests: requests };
}
