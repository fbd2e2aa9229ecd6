import { rolloutSettings as policy } from "../../../policies/rolloutSettings";
import {
    assertPasses,
    assertViolations,
    runResourcePolicy,
    UNKNOWN_VALUE,
} from "../../support/policyHarness";
import { config, rollout, withField } from "../../support/policyFixtures";

const R = 'CanaryRollout "rollouts-demo-rollout": progressive-delivery:rollout';
const METRIC = config.rollout.metrics[0];

describe("policy rollout-settings", () => {
    it("passes the defaults, and a judge and a webhook in bounds", async () => {
        assertPasses(await runResourcePolicy(policy, rollout()));
        let r = withField(rollout(), "props.judge.enabled", true);
        r = withField(r, "props.notifications", [
            { name: "slack", format: "slack", events: ["Promoted", "RolledBack"] },
        ]);
        assertPasses(await runResourcePolicy(policy, r));
    });

    it("passes values unknown during preview", async () => {
        const r = withField(rollout(), "props.judge", UNKNOWN_VALUE.object);
        assertPasses(await runResourcePolicy(policy, r));
    });

    it("reports each metric field out of bounds with its config key and value", async () => {
        const cases: [string, unknown, string][] = [
            [
                "name",
                "Success_Rate",
                `${R}.analysis.metrics[0].name must be a name of lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters, got "Success_Rate".`,
            ],
            [
                "intervalSeconds",
                0,
                `${R}.analysis.metrics[0].interval must be from 1s to 3600s, got 0s.`,
            ],
            [
                "initialDelaySeconds",
                7200,
                `${R}.analysis.metrics[0].initialDelay must be from 0s to 3600s, got 7200s.`,
            ],
            [
                "failureLimit",
                -1,
                `${R}.analysis.metrics[0].failureLimit must be a whole number of failed measurements from 0 to 1000, got -1.`,
            ],
            [
                "inconclusiveLimit",
                1.5,
                `${R}.analysis.metrics[0].inconclusiveLimit must be a whole number of inconclusive measurements from 0 to 1000, got 1.5.`,
            ],
            [
                "consecutiveErrorLimit",
                1001,
                `${R}.analysis.metrics[0].consecutiveErrorLimit must be a whole number of errors in a row from 0 to 1000, got 1001.`,
            ],
            [
                "failureStatus",
                "4..",
                `${R}.analysis.metrics[0].failureStatus must be one of "5..", "[45]..", got "4..".`,
            ],
        ];
        for (const [field, value, message] of cases) {
            const r = withField(rollout(), `props.metrics.0.${field}`, value);
            assertViolations(await runResourcePolicy(policy, r), [message]);
        }
    });

    it("reports metrics that are not a list, an entry that is not a metric, and a repeated name", async () => {
        assertViolations(
            await runResourcePolicy(policy, withField(rollout(), "props.metrics", "x")),
            [`${R}.analysis.metrics must be a list of metrics, got "x".`],
        );
        const r = withField(rollout(), "props.metrics", [METRIC, METRIC, 5]);
        assertViolations(await runResourcePolicy(policy, r), [
            `${R}.analysis.metrics[1].name "success-rate" is used by another metric; give each metric its own name.`,
            `${R}.analysis.metrics[2] must be a metric such as {name: "success-rate", successCondition: "result[0] >= 0.95"}, got 5.`,
        ]);
    });

    it("reports the judge's parameters out of bounds", async () => {
        const cases: [string, unknown, string][] = [
            ["enabled", "yes", `${R}.analysis.judge.enabled must be true or false, got "yes".`],
            [
                "tolerance",
                1.5,
                `${R}.analysis.judge.tolerance must be a number greater than 0 and less than 1, got 1.5.`,
            ],
            [
                "falseRollbackRate",
                0.5,
                `${R}.analysis.judge.falseRollbackRate must be a number greater than 0 and less than 0.5, got 0.5.`,
            ],
            [
                "missedDetectionRate",
                0,
                `${R}.analysis.judge.missedDetectionRate must be a number greater than 0 and less than 0.5, got 0.`,
            ],
            [
                "intervalSeconds",
                undefined,
                `${R}.analysis.judge.interval must be from 1s to 3600s, got nothing.`,
            ],
            [
                "minRequests",
                0,
                `${R}.analysis.judge.minRequests must be a whole number of requests from 1 to 1000000000, got 0.`,
            ],
        ];
        for (const [field, value, message] of cases) {
            const r = withField(rollout(), `props.judge.${field}`, value);
            assertViolations(await runResourcePolicy(policy, r), [message]);
        }
    });

    it("reports notifications out of bounds", async () => {
        const r = withField(rollout(), "props.notifications", [
            { name: "ops", format: "teams", events: ["Paused"] },
            { name: "ops", format: "json", events: [] },
        ]);
        assertViolations(await runResourcePolicy(policy, r), [
            `${R}.notifications[0].format must be one of "json", "slack", got "teams".`,
            `${R}.notifications[0].events must be a non-empty list of Started, StepStarted, Measured, Promoted, RolledBack, got ["Paused"].`,
            `${R}.notifications[1].events must be a non-empty list of Started, StepStarted, Measured, Promoted, RolledBack, got [].`,
            `${R}.notifications[1].name "ops" is used by another webhook; give each webhook its own name.`,
        ]);
        assertViolations(
            await runResourcePolicy(policy, withField(rollout(), "props.notifications", {})),
            [`${R}.notifications must be a list of webhooks, got {}.`],
        );
    });

    it("passes both routers, with and without a header, and a rollout written before routers", async () => {
        for (const router of [
            undefined,
            { kind: "ingress-nginx" },
            { kind: "gateway-api", header: { name: "X-Canary", value: "always" } },
            { kind: "gateway-api", header: { name: "x-canary_2!", value: "a b ~" } },
        ]) {
            const r = withField(rollout(), "props.router", router);
            assertPasses(await runResourcePolicy(policy, r));
        }
    });

    it("reports a router kind, header name or header value the program refuses", async () => {
        const K = 'CanaryRollout "rollouts-demo-rollout": progressive-delivery:router';
        const NAME = `${K}.header.name must be an HTTP header name (an RFC 7230 token of at most 256 letters, digits and !#$%&'*+-.^_\`|~), such as "X-Canary", got`;
        const VALUE = `${K}.header.value must be 1 to 256 visible ASCII characters (spaces only between them, as HTTP trims them at the ends), such as "always", got`;
        const cases: [unknown, string[]][] = [
            [
                { kind: "istio" },
                [`${K}.kind must be one of "ingress-nginx", "gateway-api", got "istio".`],
            ],
            [
                "gateway-api",
                [`${K} must be a router such as {kind: "gateway-api"}, got "gateway-api".`],
            ],
            [
                { kind: "gateway-api", header: "X-Canary: always" },
                [
                    `${K}.header must be a header such as {name: "X-Canary", value: "always"}, got "X-Canary: always".`,
                ],
            ],
            [
                { kind: "ingress-nginx", header: { name: "X Canary", value: "" } },
                [`${NAME} "X Canary".`, `${VALUE} "".`],
            ],
            [
                { kind: "gateway-api", header: { name: "X-Canary:", value: "caf\u00e9" } },
                [`${NAME} "X-Canary:".`, `${VALUE} "caf\u00e9".`],
            ],
            [
                { kind: "gateway-api", header: { value: "line\nbreak" } },
                [`${NAME} nothing.`, `${VALUE} "line\\nbreak".`],
            ],
        ];
        for (const [router, messages] of cases) {
            const r = withField(rollout(), "props.router", router);
            assertViolations(await runResourcePolicy(policy, r), messages);
        }
    });

    it("passes a router unknown during preview", async () => {
        const r = withField(rollout(), "props.router", UNKNOWN_VALUE.object);
        assertPasses(await runResourcePolicy(policy, r));
    });
});
