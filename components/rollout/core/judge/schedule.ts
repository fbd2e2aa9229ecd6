// When the judge reads Prometheus: just after a scrape, rather than at a phase that is random to
// the scrapes (on average half a scrape interval after the data it reads). Only ever sooner than the
// judge's interval says, and only to see the same scrape a reading then would see. Pure.
import type { WeightChange } from "../types";

/**
 * How long after a scrape's timestamp (its start) the judge first reads it: Prometheus appends a
 * scrape's samples when the scrape ends (`scrape_duration_seconds`, well under a second for an
 * ingress controller's /metrics). Where scrapes take longer, the margin grows (see `observe`).
 */
export const INGEST_MARGIN_SECONDS = 1;

/** What the judge knows of the scrapes. */
export interface ScrapeClock {
    /** Time of the latest sample seen (canary traffic seconds); undefined when not known. */
    sample?: number;
    /** How long after a scrape's time its samples are read. */
    margin: number;
}

export const NO_SCRAPES: ScrapeClock = { margin: INGEST_MARGIN_SECONDS };

/**
 * The clock after a reading at `at` whose latest sample was `age` seconds old (undefined: not
 * known). A sample a whole scrape interval old or older means the scrape after it was due and not
 * in (slow scrapes, or a failed one): the margin is raised to twice that lateness, up to half a
 * scrape interval (where reading after the scrapes gains nothing over a random phase on average).
 * E.g. 10s scrapes, margin 1: a reading at 13 that sees the sample of 2 (age 11) -> margin 2.
 */
export function observe(
    clock: ScrapeClock,
    at: number,
    age: number | undefined,
    scrapeSeconds: number,
): ScrapeClock {
    if (age === undefined) {
        return { margin: clock.margin };
    }
    const late = age - scrapeSeconds;
    const margin =
        late >= 0 ? Math.max(clock.margin, Math.min(scrapeSeconds / 2, 2 * late)) : clock.margin;
    return { sample: at - age, margin };
}

/**
 * When a reading sees what one at `dueSeconds` would, sooner: `margin` after the last scrape in by
 * then, counting scrapes every `scrapeSeconds` from the latest sample seen; `dueSeconds` itself
 * when no new scrape is in by then or the sample's time is not known. E.g. 10s scrapes, sample at
 * 2, margin 1: due at 20 -> 13; due at 12.5 -> 12.5; due at 35 -> 33.
 */
export function nextReading(clock: ScrapeClock, dueSeconds: number, scrapeSeconds: number): number {
    if (clock.sample === undefined) {
        return dueSeconds;
    }
    const k = Math.floor((dueSeconds - clock.margin - clock.sample) / scrapeSeconds);
    return k >= 1 ? clock.sample + k * scrapeSeconds + clock.margin : dueSeconds;
}

/** The weights in effect during (from, to], in order, without repeats. */
export function weightsDuring(weights: WeightChange[], from: number, to: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < weights.length; i++) {
        const end = i + 1 < weights.length ? weights[i + 1].atSeconds : Infinity;
        if (weights[i].atSeconds <= to && end > from && out[out.length - 1] !== weights[i].weight) {
            out.push(weights[i].weight);
        }
    }
    return out;
}
