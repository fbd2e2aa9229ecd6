// The CanaryRollout state is users' state: the current code reads what the first release wrote,
// and the same config previews no change against it. state-first-release.json is the outputs
// the first release's rolloutOutputs wrote (commit c7d719b, run on the default config with the
// local stack's Prometheus), plus the provider host's __provider key.
import * as assert from "assert";
import { podTemplate, templateHash } from "../../../../../components/canaryApp";
import { validateConfig } from "../../../../../components/config";
import {
    readRolloutState,
    ROLLOUT_STATE_VERSION,
    RolloutInputs,
} from "../../../../../components/rollout/core/state";
import { diffRollout, rolloutOutputs } from "../../../../../components/rollout/provider/impl";
import stored from "./state-first-release.json";

/** The inputs today's CanaryApp passes for the config that wrote the fixture. */
function currentInputs(): RolloutInputs & { __provider: string } {
    const { config, errors } = validateConfig({
        monitoring: {
            install: false,
            prometheus: { url: "http://127.0.0.1:19090" },
            scrapeInterval: "2s",
        },
        rollout: { analysis: { metrics: [{ window: "5m" }] } },
    });
    assert.deepStrictEqual(errors, []);
    const template = podTemplate({ ...config.app, image: "argoproj/rollouts-demo:yellow" });
    return {
        app: "rollouts-demo",
        namespace: "rollouts-demo",
        canaryDeployment: "rollouts-demo-canary",
        stableDeployment: "rollouts-demo-stable",
        canaryIngress: "rollouts-demo-canary",
        canaryService: "rollouts-demo-canary",
        stableService: "rollouts-demo-stable",
        template,
        templateHash: templateHash(template),
        totalReplicas: config.app.replicas,
        ...config.rollout,
        scrapeIntervalSeconds: 2,
        prometheus: { url: "http://127.0.0.1:19090", timeoutSeconds: 10 },
        kubeconfig: "secret",
        kubeContext: "local",
        // The serialized provider's text moves with the code; it must not count as a change.
        __provider: "exports.handler = /* serialized by this release */ undefined;",
    };
}

describe("CanaryRollout state written by the previous shape", () => {
    it("is read as version 1 and upgraded, every field intact", () => {
        const state = readRolloutState(stored);
        assert.strictEqual(state.stateVersion, ROLLOUT_STATE_VERSION);
        // Version 1 kept only promoted runs in lastRun.
        assert.deepStrictEqual(state.lastPromotedRun, stored.lastRun);
        assert.strictEqual(state.promotedHash, stored.promotedHash);
        assert.strictEqual(state.lastRun?.verdict, "Promoted");
        assert.deepStrictEqual(state.lastRun?.measurements, stored.lastRun.measurements);
    });

    it("the same config previews no change against it", () => {
        assert.deepStrictEqual(diffRollout(stored, currentInputs()), {
            changes: false,
            replaces: [],
            deleteBeforeReplace: false,
            stables: ["promotedTemplate", "promotedHash"],
        });
    });

    it("what this code writes is the previous shape plus the fields added since", () => {
        const news = currentInputs();
        const run = stored.lastRun as never;
        const outs = rolloutOutputs(news, news.template, news.templateHash, run, run);
        // The provider host sets __provider on the outputs itself.
        const { __provider: _new, ...written } = outs as typeof outs & { __provider?: string };
        const { __provider: _old, ...previous } = stored;
        assert.deepStrictEqual(written, {
            ...previous,
            stateVersion: ROLLOUT_STATE_VERSION,
            notifications: [],
            abortScaleDownDelaySeconds: 30,
            lastPromotedRun: previous.lastRun,
        });
    });

    it("a state from a newer release is refused, not guessed at", () => {
        assert.throws(
            () => readRolloutState({ ...stored, stateVersion: ROLLOUT_STATE_VERSION + 1 }),
            {
                message: `the CanaryRollout state was written by a newer progressive-delivery (state version ${ROLLOUT_STATE_VERSION + 1}; this code reads up to ${ROLLOUT_STATE_VERSION}); run the newer code, or restore a backup of the state`,
            },
        );
    });
});
