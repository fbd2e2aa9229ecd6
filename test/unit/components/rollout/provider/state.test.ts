// The CanaryRollout state is users' state: the current code reads what the first release wrote,
// and the same config previews no change against it. state-first-release.json is the outputs
// the first release's rolloutOutputs wrote (commit c7d719b, run on the default config with the
// local stack's Prometheus), plus the provider host's __provider key. That release's default had
// the judge off; today's default has it on as a guard. A judge that was off is read as today's
// default, so the same (default) config previews no change; writing `judge: {enabled: false}`
// out is a state-only update.
import * as assert from "assert";
import { podTemplate, templateHash } from "../../../../../components/canaryApp";
import { validateConfig } from "../../../../../components/config";
import { routeName, routerInput } from "../../../../../components/routes";
import {
    readRolloutState,
    ROLLOUT_STATE_VERSION,
    RolloutInputs,
    routerOf,
} from "../../../../../components/rollout/core/state";
import {
    changedInputs,
    diffRollout,
    rolloutOutputs,
} from "../../../../../components/rollout/provider/impl";
import stored from "./state-first-release.json";

/** The first release's judge: off. */
const JUDGE_OFF = { enabled: false };

/** The inputs today's CanaryApp passes for the fixture's config (`judge` as written, if at all). */
function currentInputs(judge?: object, router?: object): RolloutInputs & { __provider: string } {
    const { config, errors } = validateConfig({
        router,
        monitoring: {
            install: false,
            prometheus: { url: "http://127.0.0.1:19090" },
            scrapeInterval: "2s",
        },
        rollout: { analysis: { metrics: [{ window: "5m" }], judge } },
    });
    assert.deepStrictEqual(errors, []);
    const template = podTemplate({ ...config.app, image: "argoproj/rollouts-demo:yellow" });
    return {
        app: "rollouts-demo",
        namespace: "rollouts-demo",
        canaryDeployment: "rollouts-demo-canary",
        stableDeployment: "rollouts-demo-stable",
        canaryIngress: routeName(config.router, config.app, "rollouts-demo-canary"),
        ...(routerInput(config.router) ? { router: routerInput(config.router) } : {}),
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
    it("is read as the current version, every field intact, the judge as today's default", () => {
        const state = readRolloutState(stored);
        assert.strictEqual(state.stateVersion, ROLLOUT_STATE_VERSION);
        assert.strictEqual(state.promotedHash, stored.promotedHash);
        assert.strictEqual(state.lastRun?.verdict, "Promoted");
        assert.deepStrictEqual(state.lastRun?.measurements, stored.lastRun.measurements);
        // Version 1 kept only promoted runs in lastRun.
        assert.deepStrictEqual(state.lastPromotedRun, stored.lastRun);
        assert.deepStrictEqual(state.judge, { ...stored.judge, enabled: true, role: "guard" });
    });

    it("a version 1 judge that was on was a gate, and stays one", () => {
        const on = { ...stored, judge: { ...stored.judge, enabled: true } };
        assert.deepStrictEqual(readRolloutState(on).judge, {
            ...stored.judge,
            enabled: true,
            role: "gate",
        });
    });

    it("the same config previews no change against it", () => {
        assert.deepStrictEqual(diffRollout(stored, currentInputs()), {
            changes: false,
            replaces: [],
            deleteBeforeReplace: false,
            stables: ["promotedTemplate", "promotedHash"],
        });
    });

    it("the judge written out as off is a state-only update: no canary", () => {
        const news = currentInputs(JUDGE_OFF);
        assert.deepStrictEqual(changedInputs(readRolloutState(stored), news), ["judge"]);
        // The template is unchanged: promotedTemplate and promotedHash stay, so no canary runs
        // (updateRollout runs one only for a new template hash) and stable is not touched.
        assert.strictEqual(news.templateHash, stored.promotedHash);
        assert.deepStrictEqual(diffRollout(stored, news).stables, [
            "promotedTemplate",
            "promotedHash",
        ]);
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
            judge: { ...previous.judge, enabled: true, role: "guard" },
            stateVersion: ROLLOUT_STATE_VERSION,
            notifications: [],
            abortScaleDownDelaySeconds: 30,
            lastPromotedRun: previous.lastRun,
        });
    });

    it("version 5 state (before routers) and the default config: no change, read as ingress-nginx without a header", () => {
        const news = currentInputs();
        const run = stored.lastRun as never;
        const v5 = { ...rolloutOutputs(news, news.template, news.templateHash, run, run) };
        v5.stateVersion = 5;
        assert.strictEqual("router" in v5, false);
        assert.strictEqual(readRolloutState(v5).router, undefined);
        assert.deepStrictEqual(routerOf(readRolloutState(v5)), { kind: "ingress-nginx" });
        assert.strictEqual(diffRollout(v5, news).changes, false);
        assert.strictEqual(diffRollout(stored, news).changes, false);
    });

    it("choosing gateway-api or a header is a state-only update: the route, the router and the default queries", () => {
        const header = { name: "X-Canary", value: "always" };
        const gw = currentInputs(undefined, { kind: "gateway-api", header });
        assert.deepStrictEqual(changedInputs(readRolloutState(stored), gw), [
            "canaryIngress",
            "router",
            "metrics",
        ]);
        assert.deepStrictEqual(gw.router, { kind: "gateway-api", header });
        assert.strictEqual(gw.canaryIngress, "rollouts-demo");
        const nginx = currentInputs(undefined, { header });
        assert.deepStrictEqual(changedInputs(readRolloutState(stored), nginx), ["router"]);
        assert.deepStrictEqual(diffRollout(stored, nginx).stables, [
            "promotedTemplate",
            "promotedHash",
        ]);
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
