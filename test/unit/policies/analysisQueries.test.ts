import * as assert from "assert";
import { analysisQueries as policy } from "../../../policies/analysisQueries";
import {
    assertPasses,
    assertViolations,
    runResourcePolicy,
    UNKNOWN_VALUE,
} from "../../support/policyHarness";
import { canaryDeployment, rollout, withField } from "../../support/policyFixtures";

const QUERY = "props.metrics.0.query";
const S = 'CanaryRollout "rollouts-demo-rollout" metric "success-rate"';
const KNOWN =
    "{{args.namespace}}, {{args.service}}, {{args.stableService}}, {{args.ingress}}, {{args.failureStatus}}, {{args.window}}";
const FIX = (field: string) => `Fix progressive-delivery:rollout.analysis.metrics[0].${field}.`;

describe("policy analysis-queries", () => {
    it("passes the default queries", async () => {
        assertPasses(await runResourcePolicy(policy, rollout()));
    });

    it("does not apply to other resource types", async () => {
        const outcome = await runResourcePolicy(policy, canaryDeployment());
        assert.match(outcome.notApplicable ?? "", /CanaryRollout'$/);
    });

    it("passes a metric unknown during preview", async () => {
        const r = withField(rollout(), QUERY, UNKNOWN_VALUE.string);
        assertPasses(await runResourcePolicy(policy, r));
    });

    it("passes a query that selects the canary by its Ingress", async () => {
        const r = withField(rollout(), QUERY, 'sum(rate(x{ingress="{{args.ingress}}"}[5m]))');
        assertPasses(await runResourcePolicy(policy, r));
    });

    it("reports an unclosed placeholder, which would reach Prometheus as written", async () => {
        const q = 'sum(rate(x{service="{{args.service}"}[{{args.window}}]))';
        assertViolations(await runResourcePolicy(policy, withField(rollout(), QUERY, q)), [
            `${S}: its query has "{{args.service}", which is not a placeholder and would reach Prometheus as written; write each arg as {{args.NAME}}, one of ${KNOWN}. ${FIX("query")}`,
        ]);
    });

    it("reports the other malformed placeholders", async () => {
        for (const [q, piece] of [
            ['sum(rate(x{service="{args.service}}"}[5m]))', '"{args.service}}"'],
            ['sum(rate(x{service="{{args.service}}"}[{{window}}]))', '"{{window}}"'],
            ['sum(x{service="{{args.service}}",ns="args.namespace"})', '"args.namespace"'],
        ]) {
            assertViolations(await runResourcePolicy(policy, withField(rollout(), QUERY, q)), [
                `${S}: its query has ${piece}, which is not a placeholder and would reach Prometheus as written; write each arg as {{args.NAME}}, one of ${KNOWN}. ${FIX("query")}`,
            ]);
        }
    });

    it("reports an unknown arg", async () => {
        const q = 'sum(rate(x{service="{{args.service-name}}"}[5m]))';
        assertViolations(await runResourcePolicy(policy, withField(rollout(), QUERY, q)), [
            `${S}: its query uses unknown args "{{args.service-name}}"; known are ${KNOWN}. ${FIX("query")}`,
        ]);
    });

    it("reports a query that does not select the canary (vector(1) passes every canary)", async () => {
        const r = withField(rollout(), "props.metrics.0.requestsQuery", "vector(1000)");
        assertViolations(await runResourcePolicy(policy, r), [
            `${S}: its requestsQuery "vector(1000)" uses neither {{args.service}} nor {{args.ingress}}, so it does not measure the canary (vector(1) would pass every canary); select the canary's series, e.g. nginx_ingress_controller_requests{namespace="{{args.namespace}}",service="{{args.service}}"}. ${FIX("requestsQuery")}`,
        ]);
    });

    it("reports an empty query and one too long for a URL", async () => {
        assertViolations(await runResourcePolicy(policy, withField(rollout(), QUERY, " ")), [
            `${S}: its query must be a PromQL query, got " "; remove it to use the default. ${FIX("query")}`,
        ]);
        const long = `sum(x{service="{{args.service}}"})${" + 1".repeat(1000)}`;
        assertViolations(await runResourcePolicy(policy, withField(rollout(), QUERY, long)), [
            `${S}: its query is 4034 characters long, more than 4000: queries are sent in a URL, which API servers and proxies cut at 8 KiB; shorten it, e.g. with a recording rule. ${FIX("query")}`,
        ]);
    });
});
