import * as assert from "assert";
import {
    canaryReplicas,
    parseDurationSeconds,
    parseSteps,
    weightsOf,
} from "../../../../components/rollout/plan";

describe("rollout/plan", () => {
    it("parses the tutorial's steps", () => {
        const { steps, errors } = parseSteps([
            { setWeight: 20 },
            { pause: { duration: "1m" } },
            { analysis: {} },
            { setWeight: 40 },
            { pause: { duration: 30 } },
            { analysis: { count: 2 } },
        ]);
        assert.deepStrictEqual(errors, []);
        assert.deepStrictEqual(steps, [
            { setWeight: 20 },
            { pause: { durationSeconds: 60 } },
            { analysis: { count: 1 } },
            { setWeight: 40 },
            { pause: { durationSeconds: 30 } },
            { analysis: { count: 2 } },
        ]);
    });

    const bad: [unknown, string, string][] = [
        [[], "steps", "must be a non-empty list"],
        ["20", "steps", "must be a non-empty list"],
        [
            [{ setWeight: 101 }],
            "steps[0].setWeight",
            "must be a whole number from 0 to 100 (percent of traffic), got 101",
        ],
        [[{ setWeight: -1 }], "steps[0].setWeight", "got -1"],
        [[{ setWeight: 12.5 }], "steps[0].setWeight", "got 12.5"],
        [[{ setWeight: "20" }], "steps[0].setWeight", 'got "20"'],
        [
            [{ setWeight: 40 }, { setWeight: 20 }],
            "steps[1].setWeight",
            "is 20, lower than the previous weight 40",
        ],
        [
            [{ setWeight: 20 }, { pause: {} }],
            "steps[1].pause.duration",
            "must be a positive duration",
        ],
        [[{ setWeight: 20 }, { pause: { duration: "5x" } }], "steps[1].pause.duration", 'got "5x"'],
        [[{ setWeight: 20 }, { pause: { duration: 0 } }], "steps[1].pause.duration", "got 0"],
        [[{ setWeight: 20 }, { analysis: { count: 0 } }], "steps[1].analysis.count", "at least 1"],
        [[{ analysis: {} }], "steps[0].analysis", "comes before any setWeight above 0"],
        [
            [{ setWeight: 20, pause: {} }],
            "steps[0]",
            "must have exactly one of setWeight, pause or analysis",
        ],
        [[{ wait: 1 }], "steps[0]", "must have exactly one of"],
    ];
    for (const [input, field, message] of bad) {
        it(`rejects ${JSON.stringify(input)} at ${field}`, () => {
            const { errors } = parseSteps(input);
            assert.strictEqual(errors.length, 1, JSON.stringify(errors));
            assert.strictEqual(errors[0].field, field);
            assert.ok(errors[0].message.includes(message), errors[0].message);
        });
    }

    it("durations", () => {
        assert.strictEqual(parseDurationSeconds("250ms"), 0.25);
        assert.strictEqual(parseDurationSeconds("1.5h"), 5400);
        assert.strictEqual(parseDurationSeconds(" 2m "), 120);
        assert.strictEqual(parseDurationSeconds("2 m"), undefined);
        assert.strictEqual(parseDurationSeconds(-1), undefined);
        assert.strictEqual(parseDurationSeconds(null), undefined);
    });

    it("canary replicas follow the weight, at least 1 while it has traffic", () => {
        assert.deepStrictEqual(
            [0, 1, 20, 25, 26, 50, 60, 80, 100].map((w) => canaryReplicas(4, w)),
            [0, 1, 1, 1, 2, 2, 3, 4, 4],
        );
        assert.strictEqual(canaryReplicas(1, 1), 1);
    });

    it("property: accepted plans never decrease and never pass 100", () => {
        // A deterministic pseudo-random walk over many generated plans.
        let seed = 42;
        const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
        for (let n = 0; n < 2000; n++) {
            const input = Array.from({ length: 1 + Math.floor(rnd() * 8) }, () =>
                rnd() < 0.6
                    ? { setWeight: Math.floor(rnd() * 130) - 10 }
                    : { pause: { duration: `${Math.floor(rnd() * 5)}s` } },
            );
            const { steps, errors } = parseSteps(input);
            if (errors.length === 0) {
                const w = weightsOf(steps);
                w.forEach((x, i) => {
                    assert.ok(x >= 0 && x <= 100);
                    assert.ok(i === 0 || x >= w[i - 1]);
                });
            }
        }
    });
});
