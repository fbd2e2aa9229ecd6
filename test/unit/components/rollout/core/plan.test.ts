import * as assert from "assert";
import {
    canaryReplicas,
    describePlan,
    expectedSeconds,
    plannedCanary,
    weightsOf,
} from "../../../../../components/rollout/core/plan";
import { resolveSpec } from "../../../../../components/rollout/core/spec";

describe("rollout/plan", () => {
    it("canary replicas follow the weight, at least 1 while it has traffic", () => {
        assert.deepStrictEqual(
            [0, 1, 20, 25, 26, 50, 60, 80, 100].map((w) => canaryReplicas(4, w)),
            [0, 1, 1, 1, 2, 2, 3, 4, 4],
        );
        assert.strictEqual(canaryReplicas(1, 1), 1);
    });

    it("property: accepted plans strictly increase, never pass 100, and end with analysis", () => {
        // A deterministic pseudo-random walk over many generated plans; some are accepted.
        let seed = 42;
        const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
        let accepted = 0;
        for (let n = 0; n < 2000; n++) {
            const input = Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => {
                const r = rnd();
                return r < 0.5
                    ? { setWeight: Math.floor(rnd() * 130) - 10 }
                    : r < 0.8
                      ? { pause: { duration: `${Math.floor(rnd() * 5)}s` } }
                      : { analysis: {} };
            });
            const { spec, problems } = resolveSpec({ steps: input }, { scrapeIntervalSeconds: 2 });
            if (problems.length === 0) {
                accepted++;
                const w = weightsOf(spec.steps);
                w.forEach((x, i) => {
                    assert.ok(x >= 0 && x <= 100);
                    assert.ok(i === 0 || x > w[i - 1], JSON.stringify(input));
                });
                const firstTraffic = spec.steps.findIndex(
                    (s) => "setWeight" in s && s.setWeight > 0,
                );
                assert.ok(
                    spec.steps.slice(firstTraffic).some((s) => "analysis" in s),
                    JSON.stringify(input),
                );
            }
        }
        assert.ok(accepted > 50, `only ${accepted} generated plans were accepted`);
    });
});

describe("rollout/plan preview line", () => {
    const { spec } = resolveSpec(undefined, { scrapeIntervalSeconds: 30 });
    const plan = { app: "demo", templateHash: "5104a0c0ff3aafcdaed5", ...spec };

    it("the tutorial's plan takes its pauses plus one analysis interval when healthy", () => {
        assert.strictEqual(expectedSeconds(plan), 4 * 60 + 60);
    });

    it("says that a canary will run, with its steps, analysis, duration and deadline", () => {
        assert.strictEqual(
            describePlan(plan, true),
            "[canary demo] preview: a canary will run for template 5104a0c0ff3a: setWeight 20% -> pause 60s -> setWeight 40% -> pause 60s -> setWeight 60% -> pause 60s -> setWeight 80% -> pause 60s -> analysis (1 successful measurement); analysis: success-rate every 60s (result[0] >= 0.95), judge as a guard (canary vs stable); about 300s if healthy, rolled back at the latest after the deadline of 1800s",
        );
    });

    it("says that no canary will run when the template is unchanged", () => {
        assert.strictEqual(
            describePlan(plan, false),
            "[canary demo] preview: no canary will run: the pod template is unchanged (5104a0c0ff3a)",
        );
    });

    it("reads back what its own line says, and nothing from other lines", () => {
        const message = (line: string) => line.replace(/^\[canary demo\] /, "");
        assert.strictEqual(plannedCanary(message(describePlan(plan, true))), true);
        assert.strictEqual(plannedCanary(message(describePlan(plan, false))), false);
        assert.strictEqual(plannedCanary("step 1/9 setWeight 20%: canary replicas 1/4"), undefined);
    });
});
