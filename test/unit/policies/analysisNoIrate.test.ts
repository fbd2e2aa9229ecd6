import { analysisNoIrate as policy } from "../../../policies/analysisNoIrate";
import { assertPasses, assertViolations, runResourcePolicy } from "../../support/policyHarness";
import { rollout, withField } from "../../support/policyFixtures";

describe("policy analysis-no-irate", () => {
    it("passes the default queries (rate over the window)", async () => {
        assertPasses(await runResourcePolicy(policy, rollout()));
    });

    it("passes a metric whose name merely contains irate", async () => {
        const r = withField(rollout(), "props.metrics.0.query", "sum(rate(myirate_total[5m]))");
        assertPasses(await runResourcePolicy(policy, r));
    });

    it("reports irate in the query", async () => {
        const r = withField(
            rollout(),
            "props.metrics.0.query",
            'sum(irate(nginx_ingress_controller_requests{status!~"5.."}[1m]))',
        );
        assertViolations(await runResourcePolicy(policy, r), [
            'CanaryRollout "rollouts-demo-rollout" metric "success-rate" uses irate() in its query "sum(irate(nginx_ingress_controller_requests{status!~\\"5..\\"}[1m]))": irate looks only at the last two samples, so the gate flaps on a single scrape and ignores the rest of the window. Use rate(...[{{args.window}}]) in progressive-delivery:rollout.analysis.metrics[0].query.',
        ]);
    });

    it("reports irate in the requests query", async () => {
        const r = withField(rollout(), "props.metrics.0.requestsQuery", "sum(irate (x[1m]))");
        assertViolations(await runResourcePolicy(policy, r), [
            'CanaryRollout "rollouts-demo-rollout" metric "success-rate" uses irate() in its requestsQuery "sum(irate (x[1m]))": irate looks only at the last two samples, so the gate flaps on a single scrape and ignores the rest of the window. Use rate(...[{{args.window}}]) in progressive-delivery:rollout.analysis.metrics[0].requestsQuery.',
        ]);
    });
});
