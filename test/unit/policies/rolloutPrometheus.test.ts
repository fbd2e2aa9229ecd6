import { rolloutPrometheus as policy } from "../../../policies/rolloutPrometheus";
import {
    assertPasses,
    assertViolations,
    runResourcePolicy,
    UNKNOWN_VALUE,
} from "../../support/policyHarness";
import { rollout, withField } from "../../support/policyFixtures";

const R = 'CanaryRollout "rollouts-demo-rollout"';
const SECRETS =
    "set the password with `pulumi config set --secret progressive-delivery:prometheusPassword` (and progressive-delivery:monitoring.prometheus.username), or a bearer token with `pulumi config set --secret progressive-delivery:prometheusToken`";
const withUrl = (url: string) =>
    withField(rollout(), "props.prometheus", { url, timeoutSeconds: 10 });

describe("policy rollout-prometheus", () => {
    it("passes the installed Prometheus' Service, a plain URL, and one unknown during preview", async () => {
        assertPasses(await runResourcePolicy(policy, rollout()));
        assertPasses(
            await runResourcePolicy(policy, withUrl("https://metrics.example.com/prometheus")),
        );
        const r = withField(rollout(), "props.prometheus", UNKNOWN_VALUE.object);
        assertPasses(await runResourcePolicy(policy, r));
    });

    it("reports credentials in the URL without echoing them", async () => {
        assertViolations(
            await runResourcePolicy(policy, withUrl("http://alice:s3cret@prometheus:9090")),
            [
                `${R}: its Prometheus URL "http://***@prometheus:9090" has credentials in it (user:password@ before the host), which would be stored in plain text in the state and shown in outputs and logs; remove them, then ${SECRETS}. Fix progressive-delivery:monitoring.prometheus.url.`,
            ],
        );
    });

    it("reports a query or a fragment without echoing them, and another scheme", async () => {
        assertViolations(
            await runResourcePolicy(policy, withUrl("http://prometheus:9090/api?token=s3cret")),
            [
                `${R}: its Prometheus URL "http://prometheus:9090/api?***" has a query or a fragment, which would be stored in plain text in the state; give Prometheus' base URL (with a path prefix if it has one), and ${SECRETS}. Fix progressive-delivery:monitoring.prometheus.url.`,
            ],
        );
        assertViolations(await runResourcePolicy(policy, withUrl("ftp://prometheus:9090")), [
            `${R}: its Prometheus URL "ftp://prometheus:9090" is not an http(s) URL such as "http://prometheus.example.com:9090". Fix progressive-delivery:monitoring.prometheus.url.`,
        ]);
    });

    it("reports a query timeout outside 1s..300s, as the program's check does", async () => {
        const withTimeout = (timeoutSeconds: unknown) =>
            withField(rollout(), "props.prometheus", { url: "http://p:9090", timeoutSeconds });
        for (const [t, shown] of [
            [0, "0s"],
            [360000, "360000s"],
            ["10", '"10"'],
        ] as const) {
            assertViolations(await runResourcePolicy(policy, withTimeout(t)), [
                `${R}: its Prometheus query timeout must be from 1s to 300s (a longer query holds the whole analysis), got ${shown}. Fix progressive-delivery:monitoring.prometheus.timeout.`,
            ]);
        }
        assertPasses(await runResourcePolicy(policy, withTimeout(300)));
        assertPasses(await runResourcePolicy(policy, withTimeout(1)));
    });

    it("reports a rollout with neither a URL nor a Service", async () => {
        const r = withField(rollout(), "props.prometheus", { timeoutSeconds: 10 });
        assertViolations(await runResourcePolicy(policy, r), [
            `${R} has no Prometheus to ask (prometheus is {"timeoutSeconds":10}): it needs a url or a service. Set progressive-delivery:monitoring.prometheus, or monitoring.install to true.`,
        ]);
    });
});
