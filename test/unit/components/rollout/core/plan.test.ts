import * as assert from "assert";
import { canaryReplicas, weightsOf } from "../../../../../components/rollout/core/plan";
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
