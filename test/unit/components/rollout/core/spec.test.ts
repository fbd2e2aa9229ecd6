// The rollout spec's one home: resolveSpec (the user's YAML) and checkSpec (a normalized spec, as
// the provider receives it) report each problem once, with its path and its exact message.
import * as assert from "assert";
import {
    checkSpec,
    resolveSpec,
    RolloutSpec,
    SPEC_DEFAULTS,
} from "../../../../../components/rollout/core/spec";

const CTX = { scrapeIntervalSeconds: 30 };
const problems = (raw: unknown) =>
    resolveSpec(raw, CTX).problems.map((p) => `${p.path}: ${p.message}`);
const PAUSE = 'must be a positive duration of at most 24h such as "30s", "2m" or 45 (seconds), got';
const INDEFINITE = "; an indefinite pause cannot be resumed in a pulumi up";
const NO_ANALYSIS =
    "rollout.steps: has no analysis step after the canary gets traffic, so the canary would be promoted without one successful measurement; add {analysis: {}} after a setWeight above 0";

describe("rollout/spec resolveSpec", () => {
    it("an empty rollout key gives the tutorial's plan", () => {
        const { spec, problems } = resolveSpec(undefined, CTX);
        assert.deepStrictEqual(problems, []);
        assert.deepStrictEqual(spec.steps.slice(0, 2), [
            { setWeight: 20 },
            { pause: { durationSeconds: 60 } },
        ]);
        assert.deepStrictEqual(spec.steps[8], { analysis: { count: 1 } });
        assert.strictEqual(spec.deadlineSeconds, 1800);
        assert.strictEqual(
            spec.judge.intervalSeconds,
            30,
            "the judge defaults to the scrape interval",
        );
        assert.strictEqual(spec.metrics[0].successCondition, SPEC_DEFAULTS.metric.successCondition);
        // New stacks: the tutorial's success rate plus the judge as a guard.
        assert.strictEqual(spec.metrics.length, 1);
        assert.deepStrictEqual(
            { enabled: spec.judge.enabled, role: spec.judge.role },
            { enabled: true, role: "guard" },
        );
    });

    it("the judge alone may gate an analysis step", () => {
        const { spec, problems } = resolveSpec(
            { analysis: { metrics: [], judge: { role: "gate" } } },
            CTX,
        );
        assert.deepStrictEqual(problems, []);
        assert.strictEqual(spec.judge.role, "gate");
    });

    it("normalizes the user's steps", () => {
        const { spec, problems } = resolveSpec(
            {
                steps: [
                    { setWeight: 20 },
                    { pause: { duration: "1m" } },
                    { analysis: {} },
                    { setWeight: 40 },
                    { pause: { duration: 30 } },
                    { analysis: { count: 2 } },
                ],
            },
            CTX,
        );
        assert.deepStrictEqual(problems, []);
        assert.deepStrictEqual(spec.steps, [
            { setWeight: 20 },
            { pause: { durationSeconds: 60 } },
            { analysis: { count: 1 } },
            { setWeight: 40 },
            { pause: { durationSeconds: 30 } },
            { analysis: { count: 2 } },
        ]);
    });

    const steps = (s: unknown) => ({ steps: s });
    const bad: [string, unknown, string[]][] = [
        [
            "no steps",
            steps([]),
            [
                'rollout.steps: must be a non-empty list of steps such as [{setWeight: 20}, {pause: {duration: "30s"}}, {analysis: {}}], got []',
            ],
        ],
        [
            "steps not a list",
            steps("20"),
            [
                'rollout.steps: must be a non-empty list of steps such as [{setWeight: 20}, {pause: {duration: "30s"}}, {analysis: {}}], got "20"',
            ],
        ],
        [
            "weight above 100",
            steps([{ setWeight: 101 }, { analysis: {} }]),
            [
                "rollout.steps[0].setWeight: must be a whole number from 0 to 100 (percent of traffic), got 101",
                "rollout.steps[1].analysis: comes before any setWeight above 0, so it would measure a canary with no traffic; put a step such as {setWeight: 20} before it",
            ],
        ],
        [
            "fractional weight",
            steps([{ setWeight: 12.5 }]),
            [
                "rollout.steps[0].setWeight: must be a whole number from 0 to 100 (percent of traffic), got 12.5",
            ],
        ],
        [
            "weight as a string",
            steps([{ setWeight: "20" }]),
            [
                'rollout.steps[0].setWeight: must be a whole number from 0 to 100 (percent of traffic), got "20"',
            ],
        ],
        [
            "a lower weight",
            steps([{ setWeight: 40 }, { setWeight: 20 }, { analysis: {} }]),
            [
                "rollout.steps[1].setWeight: is 20, not above the weight 40 of rollout.steps[0]; weights must strictly increase (a repeated weight tests nothing new, a lower one moves users back mid-release)",
            ],
        ],
        [
            "a repeated weight (the mandatory policy's rule, now config's too)",
            steps([{ setWeight: 40 }, { setWeight: 40 }, { analysis: {} }]),
            [
                "rollout.steps[1].setWeight: is 40, not above the weight 40 of rollout.steps[0]; weights must strictly increase (a repeated weight tests nothing new, a lower one moves users back mid-release)",
            ],
        ],
        [
            "a pause without duration",
            steps([{ setWeight: 20 }, { pause: {} }, { analysis: {} }]),
            [`rollout.steps[1].pause.duration: ${PAUSE} nothing${INDEFINITE}`],
        ],
        [
            "a malformed pause",
            steps([{ setWeight: 20 }, { pause: { duration: "5x" } }, { analysis: {} }]),
            [`rollout.steps[1].pause.duration: ${PAUSE} "5x"${INDEFINITE}`],
        ],
        [
            "a zero pause",
            steps([{ setWeight: 20 }, { pause: { duration: 0 } }, { analysis: {} }]),
            [`rollout.steps[1].pause.duration: ${PAUSE} 0${INDEFINITE}`],
        ],
        [
            "an unbounded pause",
            steps([{ setWeight: 20 }, { pause: { duration: "25h" } }, { analysis: {} }]),
            [`rollout.steps[1].pause.duration: ${PAUSE} 25h${INDEFINITE}`],
        ],
        [
            "a misspelt key inside a step",
            steps([{ setWeight: 20 }, { analysis: { templates: [] } }]),
            ["rollout.steps[1].analysis.templates: is not a known key; known keys are count"],
        ],
        [
            "an analysis count of 0",
            steps([{ setWeight: 20 }, { analysis: { count: 0 } }]),
            [
                "rollout.steps[1].analysis.count: must be between 1 and 1000 successful measurements, got 0",
            ],
        ],
        [
            "analysis before traffic",
            steps([{ analysis: {} }]),
            [
                "rollout.steps[0].analysis: comes before any setWeight above 0, so it would measure a canary with no traffic; put a step such as {setWeight: 20} before it",
            ],
        ],
        [
            "two kinds in one step",
            steps([{ setWeight: 20, pause: {} }]),
            [
                'rollout.steps[0]: must have exactly one of setWeight, pause or analysis, got {"setWeight":20,"pause":{}}',
            ],
        ],
        ["promotion without a measurement", steps([{ setWeight: 100 }]), [NO_ANALYSIS]],
        [
            "pauses but no analysis",
            steps([{ setWeight: 20 }, { pause: { duration: "1m" } }]),
            [NO_ANALYSIS],
        ],
        [
            "a scale-down delay as long as the deadline",
            { deadline: "5m", abortScaleDownDelay: "5m" },
            [
                'rollout.abortScaleDownDelay: is 300s, not shorter than rollout.deadline (300s); a few seconds to a minute lets traffic leave the canary: use e.g. "30s"',
            ],
        ],
        [
            "an unbounded scale-down delay",
            { abortScaleDownDelay: "11m" },
            [
                "rollout.abortScaleDownDelay: must be at most 10m, got 11m; a rollback holds pulumi up this long before the canary's pods go",
            ],
        ],
        [
            "a scale-down delay that is not a duration",
            { abortScaleDownDelay: "soon" },
            [
                'rollout.abortScaleDownDelay: must be a duration such as "30s", "5m" or "1h" (or a number of seconds), got "soon"',
            ],
        ],
        [
            "an unbounded deadline",
            { deadline: "999999h" },
            [
                "rollout.deadline: must be at most 24h, got 999999h; a rollout holds pulumi up and the stack's lock while it runs",
            ],
        ],
        [
            "a deadline the pauses do not fit in",
            { deadline: "3m" },
            [
                "rollout.deadline: is 180s, but the pauses alone take 240s; raise it above 240s or shorten the pauses",
            ],
        ],
        [
            "a judge role that is neither guard nor gate",
            { analysis: { judge: { role: "referee" } } },
            [
                'rollout.analysis.judge.role: "referee" is not a role: use "guard" (it only rolls back; the steps and metrics promote) or "gate" (promotion also needs the judge\'s acceptance)',
            ],
        ],
        [
            "an analysis step with no metric and the judge as a guard",
            { analysis: { metrics: [] } },
            [
                'rollout.analysis: has no metric and the judge is a guard (it only rolls back), but the steps contain an analysis step, which would then pass without evidence; add a metric or set rollout.analysis.judge.role to "gate"',
            ],
        ],
        [
            "an analysis step with no metric and the judge off",
            { analysis: { metrics: [], judge: { enabled: false } } },
            [
                "rollout.analysis: has no metric and the judge is off, but the steps contain an analysis step; add a metric or enable the judge",
            ],
        ],
        [
            "a window under 4 scrapes, and the judge's alpha at its open bound",
            { analysis: { metrics: [{ window: "1m" }], judge: { falseRollbackRate: 0.5 } } },
            [
                'rollout.analysis.metrics[0].window: is 60s, shorter than 4x the scrape interval (120s); rate() needs several samples: use at least "120s"',
                "rollout.analysis.judge.falseRollbackRate: must be a number greater than 0 and less than 0.5, got 0.5",
            ],
        ],
    ];
    for (const [name, raw, expected] of bad) {
        it(`rejects ${name}`, () => assert.deepStrictEqual(problems(raw), expected));
    }
});

describe("rollout/spec checkSpec (what the provider's check runs)", () => {
    const good = resolveSpec(undefined, CTX).spec;

    it("the resolved defaults pass", () => assert.deepStrictEqual(checkSpec(good, CTX), []));

    it("a spec built by hand meets the same rules with the same messages", () => {
        const bad: RolloutSpec = {
            ...good,
            steps: [{ setWeight: 50 }, { setWeight: 50 }, { analysis: { count: 1 } }],
            judge: { ...good.judge, tolerance: 0 },
        };
        assert.deepStrictEqual(
            checkSpec(bad, CTX).map((p) => `${p.path}: ${p.message}`),
            [
                "rollout.steps[1].setWeight: is 50, not above the weight 50 of rollout.steps[0]; weights must strictly increase (a repeated weight tests nothing new, a lower one moves users back mid-release)",
                "rollout.analysis.judge.tolerance: must be a number greater than 0 and less than 1, got 0",
            ],
        );
    });

    it("a metric's range: absent unless written, then checked with its conditions", () => {
        // A malformed range is reported alone: the conditions are not judged against a guess.
        const [plain] = resolveSpec(undefined, CTX).spec.metrics;
        assert.ok(!("range" in plain), "no range in state unless the user wrote one");
        const { spec, problems } = resolveSpec(
            { analysis: { metrics: [{ range: [0, 100], successCondition: "result[0] >= 95" }] } },
            CTX,
        );
        assert.deepStrictEqual(problems, []);
        assert.deepStrictEqual(spec.metrics[0].range, [0, 100]);
        const handBuilt: RolloutSpec = {
            ...good,
            metrics: [
                { ...good.metrics[0], range: [5, 5], successCondition: "result[0] >= 95" },
                {
                    ...good.metrics[0],
                    name: "latency",
                    query: "vector(1)",
                    successCondition: "1 > 0",
                },
            ],
        };
        assert.deepStrictEqual(
            checkSpec(handBuilt, CTX).map((p) => `${p.path}: ${p.message}`),
            [
                "rollout.analysis.metrics[0].range: must be [min, max], two numbers with min below max (the values the query can return), e.g. [0, 1] for a success rate or [0, 60] for a latency in seconds; got [5,5]",
                `rollout.analysis.metrics[1].query: "vector(1)" uses neither {{args.service}} nor {{args.ingress}}, so it does not measure the canary (vector(1) would pass every canary); select the canary's series, e.g. nginx_ingress_controller_requests{namespace="{{args.namespace}}",service="{{args.service}}"}`,
                'rollout.analysis.metrics[1].successCondition: "1 > 0" does not depend on result: it is always true, whatever Prometheus answers; compare result with a limit, e.g. "result[0] >= 0.95"',
            ],
        );
    });

    it("tolerates any shape without throwing", () => {
        for (const junk of [{}, { steps: 5, metrics: "x", judge: null }, { metrics: [null] }]) {
            const found = checkSpec(junk as unknown as RolloutSpec, CTX);
            assert.ok(found.length > 0, JSON.stringify(junk));
        }
    });
});
