import * as assert from "assert";
import { validateConfig } from "../../../../../components/config";
import {
    checkRollout,
    diffCompletion,
    diffRollout,
    rolloutOutputs,
} from "../../../../../components/rollout/provider/impl";
import {
    ROLLOUT_STATE_VERSION,
    type RolloutInputs,
    type RolloutOutputs,
} from "../../../../../components/rollout/core/state";

const { config } = validateConfig({});
const inputs: RolloutInputs = {
    app: "demo",
    namespace: "demo",
    canaryDeployment: "demo-canary",
    stableDeployment: "demo-stable",
    canaryIngress: "demo-canary",
    canaryService: "demo-canary",
    stableService: "demo-stable",
    template: { spec: { containers: [{ image: "x:1" }] } },
    templateHash: "h1",
    totalReplicas: 4,
    steps: config.rollout.steps,
    deadlineSeconds: 600,
    metrics: config.rollout.metrics,
    judge: config.rollout.judge,
    notifications: [],
    scrapeIntervalSeconds: 30,
    prometheus: { url: "http://p:9090", timeoutSeconds: 10 },
    kubeconfig: "secret-kubeconfig",
    prometheusToken: "secret-token",
};
const { kubeconfig: _k, prometheusToken: _t, ...pub } = inputs;
const olds: RolloutOutputs = {
    ...pub,
    stateVersion: ROLLOUT_STATE_VERSION,
    promotedTemplate: inputs.template,
    promotedHash: "h1",
    lastRun: null,
    lastPromotedRun: null,
};

describe("rollout provider: check and diff are pure", () => {
    it("no change -> no diff, even though secrets are absent from the old outputs", () => {
        assert.deepStrictEqual(diffRollout(olds, inputs), {
            changes: false,
            replaces: [],
            deleteBeforeReplace: false,
            stables: ["promotedTemplate", "promotedHash"],
        });
    });
    it("a new template hash -> an update that runs a canary (never a replace)", () => {
        const d = diffRollout(olds, { ...inputs, templateHash: "h2", template: { spec: {} } });
        assert.deepStrictEqual(d, {
            changes: true,
            replaces: [],
            deleteBeforeReplace: false,
            stables: [],
        });
    });
    it("steps or analysis alone -> an update that keeps the promoted template stable", () => {
        const d = diffRollout(olds, { ...inputs, steps: [{ setWeight: 50 }] });
        assert.strictEqual(d.changes, true);
        assert.deepStrictEqual(d.stables, ["promotedTemplate", "promotedHash"]);
        assert.deepStrictEqual(d.replaces, []);
    });
    it("a rotated secret alone does not cause a diff", () => {
        assert.strictEqual(diffRollout(olds, { ...inputs, kubeconfig: "other" }).changes, false);
    });
    it("check accepts good inputs and tolerates unknowns during preview", () => {
        assert.deepStrictEqual(checkRollout(inputs), []);
        const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        assert.deepStrictEqual(
            checkRollout({
                ...inputs,
                namespace: unknown,
                totalReplicas: unknown as unknown as number,
                prometheus: unknown as unknown as RolloutInputs["prometheus"],
            }),
            [],
        );
    });
    it("check names every bad field and its fix", () => {
        const failures = checkRollout({
            ...inputs,
            app: "",
            totalReplicas: 0,
            deadlineSeconds: -1,
            steps: [],
            prometheus: { timeoutSeconds: 1 },
            metrics: [{ ...inputs.metrics[0], failureCondition: "result >> 1" }],
        });
        assert.deepStrictEqual(
            failures.map((f) => [f.property, f.reason]),
            [
                [
                    "app",
                    "app must be a non-empty string; CanaryApp sets it, so this is a bug if you did not set it yourself",
                ],
                [
                    "totalReplicas",
                    "totalReplicas must be a whole number >= 1, got 0; set app.replicas",
                ],
                ["prometheus", "prometheus needs a url or a service; set monitoring.prometheus"],
                ["deadlineSeconds", "rollout.deadline: must be at least 1s, got -1s"],
                [
                    "steps",
                    'rollout.steps: must be a non-empty list of steps such as [{setWeight: 20}, {pause: {duration: "30s"}}, {analysis: {}}], got []',
                ],
                [
                    "metrics",
                    'rollout.analysis.metrics[0].failureCondition: "result >> 1" uses the operator >>; allowed are numbers, result, result[0], comparisons, && || !, + - * / and the functions len, isNaN, isInf, abs, min, max',
                ],
            ],
        );
    });
    it("check refuses a change of router kind in the same update as the pod template", () => {
        const gateway = { ...inputs, router: { kind: "gateway-api" as const } };
        assert.deepStrictEqual(
            checkRollout({ ...gateway, templateHash: "h-new" }, inputs).map((f) => [
                f.property,
                f.reason,
            ]),
            [
                [
                    "router",
                    'router.kind changes from "ingress-nginx" to "gateway-api" in the same update as the pod template; the new route is created only after the release, so the canary would get no traffic. Nothing was changed: change router.kind alone first (that `pulumi up` runs no canary), then the image or pod template',
                ],
            ],
        );
        // Alone, or the template alone, or a first deployment: fine.
        assert.deepStrictEqual(checkRollout(gateway, inputs), []);
        assert.deepStrictEqual(checkRollout({ ...inputs, templateHash: "h-new" }, inputs), []);
        assert.deepStrictEqual(checkRollout({ ...gateway, templateHash: "h-new" }, {}), []);
        // Back from gateway-api with a new template: the same.
        assert.strictEqual(
            checkRollout({ ...inputs, templateHash: "h-new" }, gateway)[0]?.property,
            "router",
        );
    });

    it("check holds the Prometheus timeout to the config's bounds", () => {
        const reasons = (timeoutSeconds: unknown) =>
            checkRollout({
                ...inputs,
                prometheus: { url: "http://p:9090", timeoutSeconds: timeoutSeconds as number },
            }).map((f) => [f.property, f.reason]);
        assert.deepStrictEqual(reasons(360000), [
            [
                "prometheus",
                "monitoring.prometheus.timeout: must be at most 5m, got 100h; a query that takes longer holds the whole analysis",
            ],
        ]);
        assert.deepStrictEqual(reasons(0), [
            ["prometheus", "monitoring.prometheus.timeout: must be at least 1s, got 0s"],
        ]);
        assert.deepStrictEqual(reasons("10"), [
            ["prometheus", 'monitoring.prometheus.timeout: must be a number of seconds, got "10"'],
        ]);
        assert.deepStrictEqual(reasons(300), []);
    });
    it("completion diffs on the promoted hash only", () => {
        const c = {
            namespace: "n",
            canaryDeployment: "c",
            stableDeployment: "s",
            canaryIngress: "i",
            promotedHash: "h",
        };
        assert.strictEqual(diffCompletion(c, { ...c, kubeconfig: "x" }).changes, false);
        assert.strictEqual(diffCompletion(c, { ...c, promotedHash: "h2" }).changes, true);
    });
});

describe("rollout provider outputs", () => {
    it("are plain JSON: no undefined anywhere (protobuf's Struct rejects it), NaN as null, no secrets", () => {
        const run = {
            verdict: "Promoted" as const,
            reason: "r",
            headline: "promoted after 0 steps in 1s",
            startedAt: "t",
            templateHash: "h1",
            durationSeconds: 1,
            abortedAtStep: undefined,
            steps: [],
            measurements: [
                {
                    metric: "m",
                    phase: "Inconclusive",
                    step: 0,
                    weight: 20,
                    atSeconds: 1,
                    query: "q",
                    value: NaN,
                    requests: undefined,
                    condition: "c",
                    message: "no data",
                },
            ],
        };
        const outs = rolloutOutputs(inputs, inputs.template, "h1", run as never, run as never);
        const walk = (v: unknown, at: string): void => {
            assert.notStrictEqual(v, undefined, `undefined at ${at}`);
            if (v && typeof v === "object") {
                for (const [k, x] of Object.entries(v)) {
                    walk(x, `${at}.${k}`);
                }
            }
        };
        walk(outs, "outs");
        assert.strictEqual(outs.lastRun!.measurements[0].value, null);
        assert.ok(!JSON.stringify(outs).includes("secret-kubeconfig"));
        assert.ok(!JSON.stringify(outs).includes("secret-token"));
    });
});
