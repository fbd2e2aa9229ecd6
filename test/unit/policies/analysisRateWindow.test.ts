import { analysisRateWindow as policy } from "../../../policies/analysisRateWindow";
import {
    assertPasses,
    assertViolations,
    runResourcePolicy,
    UNKNOWN_VALUE,
} from "../../support/policyHarness";
import { rollout, withField } from "../../support/policyFixtures";

// Defaults: scrape interval 30s, window 5m (300s >= 4 x 30s).
describe("policy analysis-rate-window", () => {
    it("passes the default window", async () => {
        assertPasses(await runResourcePolicy(policy, rollout()));
    });

    it("passes a window of exactly 4x the scrape interval", async () => {
        assertPasses(
            await runResourcePolicy(
                policy,
                withField(rollout(), "props.metrics.0.windowSeconds", 120),
            ),
        );
    });

    it("reports a window shorter than 4x the scrape interval", async () => {
        const r = withField(rollout(), "props.metrics.0.windowSeconds", 60);
        assertViolations(await runResourcePolicy(policy, r), [
            'CanaryRollout "rollouts-demo-rollout" metric "success-rate" uses a rate window of 60s, shorter than 4x the scrape interval of 30s (120s): rate() over fewer than four scrapes returns nothing or jumps on a single sample, and the engine silently widens it to 120s, so the window in config is not the one used. Set progressive-delivery:rollout.analysis.metrics[0].window to at least "120s".',
        ]);
    });

    it("reports a metric without a window", async () => {
        const r = withField(rollout(), "props.metrics.0.windowSeconds", undefined);
        assertViolations(await runResourcePolicy(policy, r), [
            'CanaryRollout "rollouts-demo-rollout" metric "success-rate" has no rate window (windowSeconds is not set); it must be at least 4x the scrape interval of 30s (120s): rate() over fewer than four scrapes returns nothing or jumps on a single sample, and the engine silently widens it to 120s, so the window in config is not the one used. Set progressive-delivery:rollout.analysis.metrics[0].window to at least "120s".',
        ]);
    });

    it("reports a window longer than a day", async () => {
        const r = withField(rollout(), "props.metrics.0.windowSeconds", 86401);
        assertViolations(await runResourcePolicy(policy, r), [
            'CanaryRollout "rollouts-demo-rollout" metric "success-rate" uses a rate window of 86401s, more than 24h (86400s). Set progressive-delivery:rollout.analysis.metrics[0].window to at most "24h", e.g. "5m".',
        ]);
    });

    it("reports a rollout that states no scrape interval to compare with", async () => {
        let r = withField(rollout(), "props.scrapeIntervalSeconds", undefined);
        r = withField(r, "props.metrics.0.windowSeconds", 1);
        assertViolations(await runResourcePolicy(policy, r), [
            'CanaryRollout "rollouts-demo-rollout" has no scrape interval (scrapeIntervalSeconds is not set), so no rate window can be checked against it and the engine cannot size its windows. Set progressive-delivery:monitoring.scrapeInterval, e.g. "30s".',
        ]);
    });

    it("passes a scrape interval unknown during preview", async () => {
        const r = withField(rollout(), "props.scrapeIntervalSeconds", UNKNOWN_VALUE.number);
        assertPasses(await runResourcePolicy(policy, r));
    });
});
