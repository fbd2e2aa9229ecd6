// The roll-back side's limits that do not depend on the bets: its floor, and which bets hold only
// their largest interval to their cap (the caps themselves: sequential.ts intervalCaps). Pure.
import type { IntervalTiming } from "./sequential";

/**
 * The bets whose cap holds only their largest interval, in BETS order: the gross and wide bets.
 * Their cap says that one interval (one event) never rolls back on its own: the other intervals
 * must carry at least the rest of the bound. Capping the largest interval says exactly that;
 * capping every interval also threw away the excess of the others, so a first interval that was
 * short (the canary's traffic starts at any point of a scrape interval) or unlucky cost a whole
 * extra interval. Statistic <= the uncapped one, so the guarantee is the same; it is >= capping
 * every interval, so nothing that rolled back before is rolled back later.
 */
export const CAP_LARGEST: readonly boolean[] = [true, false, true];

/** A bet's ln e-value with its largest interval held to `cap`. */
export function capLargest(total: number, largest: number, cap: number): number {
    return total - Math.max(0, largest - cap);
}

/** One roll-back bet's ln e-value, and for CAP_LARGEST its sum and largest interval since `low`. */
export interface BetLog {
    log: number;
    sum: number;
    largest: number;
}

export const FRESH: BetLog = { log: 0, sum: 0, largest: 0 };

/**
 * A bet after one interval's evidence `l`, its cap and floor `low`. Capping every interval:
 * max(low, log + min(cap, l)). Capping the largest: the sum since the bet last sat on its floor,
 * less the largest interval's excess over `cap`; where that is at or below `low` the bet sits on
 * its floor and starts afresh. Either is low + a sum of at most the intervals' evidence since a
 * restart, so the floor's union bound holds; the second is never below the first (by induction).
 */
export function addInterval(b: BetLog, l: number, cap: number, low: number, largestOnly: boolean) {
    if (!largestOnly) {
        const log = Math.max(low, b.log + Math.min(cap, l));
        return { log, sum: log, largest: 0 };
    }
    const sum = b.sum + l;
    const largest = Math.max(b.largest, l);
    const log = capLargest(sum, largest, cap);
    return log <= low ? { log: low, sum: low, largest: 0 } : { log, sum, largest };
}

/**
 * How low the roll-back side's ln e-value may fall: -ln(horizonIntervals). Without a floor, a
 * canary that is healthy for minutes and then degrades (a leak, the load of a higher weight)
 * would first have to climb back from all the evidence of its good minutes. With it, the statistic
 * is a fresh e-process started at exp(floor) at the last time it sat on the floor, and a union bound
 * over the at most horizonIntervals start times keeps the guarantee: horizon x alpha x
 * exp(-ln horizon) = alpha. E.g. a 30-minute deadline read every 10s: 181 intervals, -5.2.
 */
export function floor(timing: IntervalTiming): number {
    return -Math.log(Math.max(1, timing.horizonIntervals));
}
