// rate() needs several scrapes in its window: at least 4x the scrape interval. The engine widens
// a shorter window at run time, so a short window in config is not the one the gate uses.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { at, ofType, show, TYPES, UNKNOWN } from "./lib/resources";
import { key, metricsOf, subject } from "./lib/rollout";

/** Scrapes a rate window must span. */
export const MIN_SCRAPES_PER_WINDOW = 4;

export const analysisRateWindow: ResourceValidationPolicy = {
    name: "analysis-rate-window",
    description:
        "Every analysis metric's rate window is at least 4x the Prometheus scrape interval, so " +
        "rate() sees several samples and the window in config is the one the gate uses.",
    enforcementLevel: "advisory",
    validateResource: ofType(TYPES.canaryRollout, (args, reportViolation) => {
        const scrape = at(args.props, "scrapeIntervalSeconds");
        if (typeof scrape !== "number" || !(scrape > 0)) {
            return; // unknown, or no scrape interval to compare with
        }
        const min = MIN_SCRAPES_PER_WINDOW * scrape;
        for (const m of metricsOf(args.props)) {
            const w = at(m.props, "windowSeconds");
            if (w === UNKNOWN || (typeof w === "number" && w >= min)) {
                continue;
            }
            // E.g. a 15s scrape interval: a 30s window holds two samples, one missed scrape
            // leaves rate() with nothing; 60s holds four.
            const what =
                typeof w === "number"
                    ? `uses a rate window of ${w}s, shorter than`
                    : `has no rate window (windowSeconds is ${w === undefined ? "not set" : show(w)}); it must be at least`;
            reportViolation(
                `${subject(args.name, m)} ${what} ${MIN_SCRAPES_PER_WINDOW}x the scrape interval ` +
                    `of ${scrape}s (${min}s): rate() over fewer than four scrapes returns nothing or ` +
                    `jumps on a single sample, and the engine silently widens it to ${min}s, so the ` +
                    `window in config is not the one used. Set ${key(m, "window")} to at least ` +
                    `"${min}s".`,
            );
        }
    }),
};
