// rate() needs several scrapes in its window: at least 4x the scrape interval. The program
// refuses a shorter window, and the engine would widen one at run time, so a short window in
// config is never the one the gate uses.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { at, ofType, show, TYPES, UNKNOWN } from "./lib/resources";
import { key, metricsOf, subject } from "./lib/rollout";

/** Scrapes a rate window must span. */
export const MIN_SCRAPES_PER_WINDOW = 4;
/** Longest window: a day of samples is more than any canary's evidence. */
const MAX_WINDOW_SECONDS = 24 * 3600;

export const analysisRateWindow: ResourceValidationPolicy = {
    name: "analysis-rate-window",
    description:
        "Every analysis metric's rate window is at least 4x the Prometheus scrape interval (and " +
        "at most 24h), so rate() sees several samples and the window in config is the one the " +
        "gate uses.",
    enforcementLevel: "mandatory",
    validateResource: ofType(TYPES.canaryRollout, (args, reportViolation) => {
        const scrape = at(args.props, "scrapeIntervalSeconds");
        if (scrape === UNKNOWN) {
            return;
        }
        if (typeof scrape !== "number" || !(scrape > 0)) {
            reportViolation(
                `CanaryRollout "${args.name}" has no scrape interval (scrapeIntervalSeconds is ` +
                    `${scrape === undefined ? "not set" : show(scrape)}), so no rate window can be ` +
                    "checked against it and the engine cannot size its windows. Set " +
                    'progressive-delivery:monitoring.scrapeInterval, e.g. "30s".',
            );
            return;
        }
        const min = MIN_SCRAPES_PER_WINDOW * scrape;
        for (const m of metricsOf(args.props)) {
            const raw = m.props.windowSeconds;
            const w = typeof raw === "number" && Number.isFinite(raw) ? raw : undefined;
            if (w !== undefined && w >= Math.max(1, min) && w <= MAX_WINDOW_SECONDS) {
                continue;
            }
            if (w !== undefined && w > MAX_WINDOW_SECONDS) {
                reportViolation(
                    `${subject(args.name, m)} uses a rate window of ${w}s, more than 24h ` +
                        `(${MAX_WINDOW_SECONDS}s). Set ${key(m, "window")} to at most "24h", e.g. "5m".`,
                );
                continue;
            }
            // E.g. a 15s scrape interval: a 30s window holds two samples, one missed scrape
            // leaves rate() with nothing; 60s holds four.
            const what =
                w !== undefined
                    ? `uses a rate window of ${w}s, shorter than`
                    : `has no rate window (windowSeconds is ${raw === undefined ? "not set" : show(raw)}); it must be at least`;
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
