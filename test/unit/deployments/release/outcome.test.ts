// The outcome of a release is read from what the engine and the CLI said. Each case feeds the
// message its real producer writes (the engine's reason, ConfigError, the provider's check),
// so a change of wording there fails here.
import * as assert from "assert";
import { ConfigError } from "../../../../components/config";
import { runRollout } from "../../../../components/rollout/core/engine";
import { checkRollout } from "../../../../components/rollout/provider/impl";
import { classify, EXIT_CODES, exitCode, Facts } from "../../../../deployments/release/outcome";
import { FakeClock, RecordingCluster, scriptedMetric } from "../../../support/fakes";
import { stepsOf } from "../../../support/spec";

const facts = (f: Partial<Facts>): Facts => ({
    cancelled: false,
    succeeded: false,
    errors: [],
    violations: [],
    rolledBack: [],
    ...f,
});

/** The engine's result for a canary the analysis rejects, on `cluster`. */
async function rejected(cluster = new RecordingCluster()) {
    return runRollout(
        {
            app: "shop",
            steps: stepsOf([{ setWeight: 20 }, { analysis: {} }]),
            totalReplicas: 4,
            deadlineSeconds: 600,
            metrics: [scriptedMetric(["Failed"])],
        },
        { router: cluster, workloads: cluster, clock: new FakeClock(), report: () => undefined },
    );
}

/** The provider's failure message for a canary the analysis rejected, from the real engine. */
async function rolledBackMessage(): Promise<string> {
    const result = await rejected();
    assert.strictEqual(result.verdict, "Aborted");
    return `${result.reason}\nevidence (started 2026-01-01T00:00:00Z, 0s):\n  t=0s step 2 ...`;
}

describe("release/outcome", () => {
    it("each outcome's exit code, exactly", () => {
        assert.deepStrictEqual(
            Object.fromEntries(EXIT_CODES.map((e) => [e.outcome, exitCode(e.outcome)])),
            {
                promoted: 0,
                crash: 1,
                usage: 2,
                "rolled-back": 3,
                invalid: 4,
                infrastructure: 5,
                cancelled: 6,
            },
        );
        assert.deepStrictEqual(
            EXIT_CODES.map((e) => e.code),
            [0, 1, 2, 3, 4, 5, 6],
            "distinct, in --help's order",
        );
    });

    it("a canary the analysis rejected: rolled back, with the engine's reason", async () => {
        const message = await rolledBackMessage();
        const got = classify(facts({ errors: [message, "update failed"] }));
        assert.deepStrictEqual(got, {
            outcome: "rolled-back",
            reason: message.split("\n")[0],
        });
        assert.match(got.reason, /^canary "shop" rolled back at step 2\/2/);
    });

    it("a rollback known from the run's evidence alone (the program had no time to say it)", async () => {
        const message = await rolledBackMessage();
        const reason = message.split("\n")[0];
        assert.deepStrictEqual(
            classify(facts({ rolledBack: [reason], errors: ["update failed"] })),
            {
                outcome: "rolled-back",
                reason,
            },
        );
        assert.deepStrictEqual(classify(facts({ rolledBack: [reason], cancelled: true })), {
            outcome: "cancelled",
            reason,
        });
    });

    it("a rollback whose reset failed is no exit 3 (traffic may not be on stable): infrastructure, with the engine's reason", async () => {
        const cluster = new RecordingCluster();
        cluster.failOn = "weight 0";
        cluster.passesBeforeFailing = 1;
        const result = await rejected(cluster);
        const reason =
            'canary "shop" rolled back at step 2/2 (analysis (1 successful measurement), weight 20%): success-rate 1 measurements failed "result[0] >= 0.95" (failureLimit 0); last value 0.7: Failed; query: q; ' +
            "resetting traffic to stable ALSO failed: injected failure on weight 0, so nothing was reset: the weight and the canary's pods are as the step left them. " +
            "Run pulumi up again: every run resets first";
        assert.strictEqual(result.reason, reason);
        const got = classify(facts({ errors: [reason, "update failed"] }));
        assert.deepStrictEqual(got, { outcome: "infrastructure", reason });
        assert.strictEqual(exitCode(got.outcome), 5);
        assert.deepStrictEqual(classify(facts({ rolledBack: [reason] })), {
            outcome: "infrastructure",
            reason,
        });
    });

    it("the runner's own signal wins over the rollback it caused", async () => {
        const message = await rolledBackMessage();
        assert.deepStrictEqual(classify(facts({ cancelled: true, errors: [message] })), {
            outcome: "cancelled",
            reason: message.split("\n")[0],
        });
        assert.deepStrictEqual(classify(facts({ cancelled: true })), {
            outcome: "cancelled",
            reason: "cancelled",
        });
    });

    it("success is a promotion (or no canary needed), even if a signal came too late", () => {
        for (const cancelled of [false, true]) {
            assert.deepStrictEqual(classify(facts({ succeeded: true, cancelled })), {
                outcome: "promoted",
                reason: "",
            });
        }
    });

    it("the program's ConfigError: invalid, with its first problem", () => {
        const e = new ConfigError([
            'progressive-delivery:app.image: "shop:latest" is not pinned; use a version tag',
            "progressive-delivery:app.replicas: ...",
        ]);
        assert.deepStrictEqual(classify(facts({ errors: ["update failed", e.message] })), {
            outcome: "invalid",
            reason: 'invalid stack config (2 problems); nothing was changed: - progressive-delivery:app.image: "shop:latest" is not pinned; use a version tag',
        });
    });

    it("the CanaryRollout check (checkSpec) as the engine reports it: invalid", () => {
        const [failure] = checkRollout({ totalReplicas: 0 } as never);
        // pulumi's diag.ResourceInvalidProperty: "%v resource '%v': property %v value %v has a problem: %v"
        const diag = `pulumi-nodejs:dynamic/progressive-delivery:CanaryRollout resource 'shop-rollout': property ${failure.property} value 0 has a problem: ${failure.reason}`;
        assert.deepStrictEqual(classify(facts({ errors: [diag] })), {
            outcome: "invalid",
            reason: diag,
        });
    });

    for (const [message, why] of [
        ["Stack 'dev' is missing configuration value 'progressive-delivery:app'", "missing value"],
        [
            "Stack 'dev' with configuration key 'progressive-delivery:app' must be of type 'object'",
            "wrong type",
        ],
        ["no stack named 'prod' found", "no such stack"],
        [
            "failed to decrypt encrypted configuration value 'progressive-delivery:kubeconfig': incorrect passphrase",
            "wrong passphrase",
        ],
    ]) {
        it(`the CLI's config check (${why}): invalid`, () => {
            assert.strictEqual(classify(facts({ errors: [message] })).outcome, "invalid");
        });
    }

    it("a mandatory policy violation: invalid, named by its policy", () => {
        assert.deepStrictEqual(
            classify(
                facts({
                    violations: ["images-pinned: shop:latest is not pinned"],
                    errors: ["preview failed"],
                }),
            ),
            {
                outcome: "invalid",
                reason: "policy violation: images-pinned: shop:latest is not pinned",
            },
        );
    });

    it("anything else is infrastructure, with its first line", () => {
        assert.deepStrictEqual(
            classify(
                facts({
                    errors: [
                        "",
                        "configured Kubernetes cluster is unreachable: unable to load schema information\n  detail",
                    ],
                }),
            ),
            {
                outcome: "infrastructure",
                reason: "configured Kubernetes cluster is unreachable: unable to load schema information",
            },
        );
        assert.deepStrictEqual(classify(facts({})), {
            outcome: "infrastructure",
            reason: "pulumi failed without an error message",
        });
    });
});
