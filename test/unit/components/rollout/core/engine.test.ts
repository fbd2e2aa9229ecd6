import * as assert from "assert";
import { DEFAULTS, validateConfig } from "../../../../../components/config";
import {
    resetToStable,
    RolloutPlan,
    runRollout,
} from "../../../../../components/rollout/core/engine";
import { stepsOf } from "../../../../support/spec";
import { EventSink, Metric, RolloutEvent } from "../../../../../components/rollout/core/types";
import { FakeClock, RecordingCluster, scriptedMetric } from "../../../../support/fakes";

// The shipped defaults: 20/40/60/80% with 1m pauses, then one analysis.
const TUTORIAL_STEPS = stepsOf(DEFAULTS.rollout.steps);

function setup(metric: Metric, opts: Partial<RolloutPlan> = {}, events?: EventSink) {
    const clock = new FakeClock();
    const cluster = new RecordingCluster();
    const lines: string[] = [];
    const plan: RolloutPlan = {
        app: "demo",
        steps: TUTORIAL_STEPS,
        totalReplicas: 4,
        deadlineSeconds: 3600,
        metrics: [metric],
        ...opts,
    };
    const run = () =>
        runRollout(plan, {
            router: cluster,
            workloads: cluster,
            clock,
            report: (l) => lines.push(l),
            events,
        });
    return { clock, cluster, lines, run };
}

describe("rollout/engine", () => {
    it("promotes a healthy canary, resetting first and scaling before each weight", async () => {
        const metric = scriptedMetric(["Successful"], {}, 60);
        const { cluster, run, lines } = setup(metric);
        const r = await run();
        assert.strictEqual(r.verdict, "Promoted", r.reason);
        assert.deepStrictEqual(cluster.calls, [
            "weight 0",
            "header off",
            "scale 0",
            "scale 1",
            "ready 1",
            "weight 20",
            "scale 2",
            "ready 2",
            "weight 40",
            "scale 3",
            "ready 3",
            "weight 60",
            "scale 4",
            "ready 4",
            "weight 80",
        ]);
        // One measurement per minute of pause plus the analysis step's own.
        assert.deepStrictEqual(
            r.measurements.map((m) => [m.step, m.weight, m.atSeconds]),
            [
                [1, 20, 0],
                [3, 40, 60],
                [5, 60, 120],
                [7, 80, 180],
                [8, 80, 240],
            ],
        );
        assert.strictEqual(r.steps.length, 9);
        assert.match(
            r.reason,
            /^canary "demo" promoted after 9 steps in 240s \(success-rate 5 successful\)$/,
        );
        assert.ok(
            lines.some((l) =>
                l.includes("step 2/9 (pause 60s, weight 20%) success-rate = 0.99: Successful"),
            ),
            lines.join("\n"),
        );
    });

    it("rolls back on the (failureLimit+1)th failure with step, weight, metric, value, condition and limit", async () => {
        const metric = scriptedMetric(["Successful", "Failed"], { failureLimit: 3 }, 20);
        const { cluster, run } = setup(metric);
        const r = await run();
        assert.strictEqual(r.verdict, "Aborted");
        assert.strictEqual(metric.taken, 5);
        assert.strictEqual(r.abortedAtStep, 3);
        assert.strictEqual(
            r.reason,
            'canary "demo" rolled back at step 4/9 (pause 60s, weight 40%): success-rate 4 measurements failed ' +
                '"result[0] >= 0.95" (failureLimit 3); last value 0.7: Failed; query: q; ' +
                "traffic is back on the stable version and the canary is scaled to 0",
        );
        assert.deepStrictEqual(cluster.calls.slice(-3), ["weight 0", "header off", "scale 0"]);
    });

    it("inconclusive measurements never pass an analysis step and abort past inconclusiveLimit", async () => {
        const metric = scriptedMetric(["Inconclusive"], { inconclusiveLimit: 2 }, 10);
        const steps = stepsOf([{ setWeight: 20 }, { analysis: {} }]);
        const { run } = setup(metric, { steps });
        const r = await run();
        assert.strictEqual(r.verdict, "Aborted");
        assert.strictEqual(metric.taken, 3);
        assert.match(
            r.reason,
            /success-rate 3 measurements were inconclusive .*\(inconclusiveLimit 2\)/,
        );
    });

    it("analysis step waits for `count` successes, skipping inconclusive ones", async () => {
        const metric = scriptedMetric(
            ["Inconclusive", "Successful", "Inconclusive", "Successful"],
            { inconclusiveLimit: 5 },
            10,
        );
        const steps = stepsOf([{ setWeight: 50 }, { analysis: { count: 2 } }]);
        const { run } = setup(metric, { steps });
        const r = await run();
        assert.strictEqual(r.verdict, "Promoted");
        assert.strictEqual(metric.taken, 4);
        assert.strictEqual(r.durationSeconds, 30);
    });

    it("errors count only in a row, up to consecutiveErrorLimit", async () => {
        const metric = scriptedMetric(["Error"], { consecutiveErrorLimit: 4 }, 10);
        const steps = stepsOf([{ setWeight: 50 }, { analysis: { count: 3 } }]);
        const { run } = setup(metric, { steps });
        const r = await run();
        assert.strictEqual(r.verdict, "Aborted");
        assert.strictEqual(metric.taken, 5);
        assert.match(
            r.reason,
            /5 measurements in a row were errors \(consecutiveErrorLimit 4\); last value no value: connect ECONNREFUSED/,
        );
    });

    it("aborts at the deadline and says how to fix it", async () => {
        const metric = scriptedMetric(["Successful"], {}, 60);
        const { run, clock } = setup(metric, { deadlineSeconds: 90 });
        const start = clock.now();
        const r = await run();
        assert.strictEqual(r.verdict, "Aborted");
        assert.strictEqual(clock.now() - start, 90_000);
        assert.match(
            r.reason,
            /deadline of 90s passed at step 4\/9 \(pause 60s, weight 40%\) with 2 successful success-rate; raise rollout.deadline/,
        );
    });

    it("deadline boundary: a rollout that ends exactly before the deadline is promoted", async () => {
        const metric = scriptedMetric(["Successful"], {}, 60);
        const { run } = setup(metric, { deadlineSeconds: 240.001 });
        assert.strictEqual((await run()).verdict, "Promoted");
    });

    it("an adapter failure aborts and resets traffic", async () => {
        const metric = scriptedMetric(["Successful"]);
        const { run, cluster } = setup(metric);
        cluster.failOn = "ready 2";
        const r = await run();
        assert.strictEqual(r.verdict, "Aborted");
        assert.match(
            r.reason,
            /rolled back at step 3\/9 \(setWeight 40%, weight 20%\): step 3\/9 .*failed: injected failure on ready 2; traffic is back/,
        );
        assert.deepStrictEqual(cluster.calls.slice(-3), ["weight 0", "header off", "scale 0"]);
    });

    it("says so when the reset after an abort fails too", async () => {
        const metric = scriptedMetric(["Failed"]);
        const { run, cluster } = setup(metric);
        // The reset before the canary starts goes through; the one after the abort fails.
        cluster.failOn = "scale 0";
        cluster.passesBeforeFailing = 1;
        const r = await run();
        assert.strictEqual(r.verdict, "Aborted");
        assert.strictEqual(
            r.reason,
            'canary "demo" rolled back at step 2/9 (pause 60s, weight 20%): success-rate 1 measurements failed "result[0] >= 0.95" (failureLimit 0); last value 0.7: Failed; query: q; ' +
                "resetting traffic to stable ALSO failed (scaling the canary to 0): injected failure on scale 0, " +
                "so traffic is back on the stable version, but the canary keeps its pods. Run pulumi up again: every run resets first",
        );
        assert.deepStrictEqual(cluster.calls.slice(-3), ["weight 0", "header off", "scale 0"]);
    });

    it("a reset that fails at removing the header route: the weight is back to 0, the header route named", async () => {
        const { run, cluster } = setup(scriptedMetric(["Failed"]));
        cluster.failOn = "header off";
        cluster.passesBeforeFailing = 1;
        const r = await run();
        assert.strictEqual(
            r.reason,
            'canary "demo" rolled back at step 2/9 (pause 60s, weight 20%): success-rate 1 measurements failed "result[0] >= 0.95" (failureLimit 0); last value 0.7: Failed; query: q; ' +
                "resetting traffic to stable ALSO failed (removing the header route): injected failure on header off, " +
                "so the weight is back to 0, but a header route may still reach the canary. Run pulumi up again: every run resets first",
        );
        assert.deepStrictEqual(cluster.calls.slice(-2), ["weight 0", "header off"]);
    });

    it("a step error the reset meets again is said once, and nothing is claimed restored", async () => {
        const { run, cluster } = setup(scriptedMetric(["Successful"]));
        cluster.failOn = "weight 0";
        const r = await run();
        assert.strictEqual(
            r.reason,
            'canary "demo" rolled back at step 1/9 (setWeight 20%, weight 0%): step 1/9 (setWeight 20%, weight 0%) failed: injected failure on weight 0; ' +
                "resetting traffic to stable failed the same way, so nothing was reset: the weight and the canary's pods are as the step left them. " +
                "Run pulumi up again: every run resets first",
        );
        assert.deepStrictEqual(cluster.calls, ["weight 0", "weight 0"]);
    });

    it("initialDelay postpones the first measurement after traffic starts", async () => {
        const metric = { ...scriptedMetric(["Successful"], {}, 10), initialDelaySeconds: 25 };
        const steps = stepsOf([{ setWeight: 50 }, { analysis: {} }]);
        const { run } = setup(metric, { steps });
        const r = await run();
        assert.deepStrictEqual(
            r.measurements.map((m) => m.atSeconds),
            [25],
        );
    });

    it("takes a measurement sooner when the metric asks for it, never later than its interval, before now, or before an analysis step it is due in", async () => {
        const due: number[] = [];
        // Asks for 3.5s before the schedule, then 5s after it, then a time long past, then 3.5s
        // before again.
        const wishes = [(d: number) => d - 3.5, (d: number) => d + 5, (d: number) => d - 100];
        const metric = {
            ...scriptedMetric(["Successful"], {}, 10),
            nextReadingSeconds(d: number) {
                due.push(d);
                return (wishes[due.length - 1] ?? wishes[0])(d);
            },
        };
        const steps = stepsOf([
            { setWeight: 50 },
            { pause: { duration: "40s" } },
            { analysis: {} },
        ]);
        const { run } = setup(metric, { steps });
        const r = await run();
        // Every 10s by the interval, whenever the one before was taken: due at 10 -> 6.5; at 20
        // (asks for 25) -> 20; at 30 (asks for -70) -> now, 20; at 40, when the analysis step
        // starts, it is not asked: 40.
        assert.deepStrictEqual(
            r.measurements.map((m) => m.atSeconds),
            [0, 6.5, 20, 20, 40],
        );
        assert.deepStrictEqual(due, [10, 20, 30, 50]);
    });
});

describe("rollout/engine with the shipped default metric", () => {
    it("tolerates the first measurements before Prometheus has scraped the canary twice", async () => {
        const m = validateConfig({}).config.rollout.metrics[0];
        const metric = {
            ...scriptedMetric(["Inconclusive", "Inconclusive", "Successful"], m, m.intervalSeconds),
            initialDelaySeconds: m.initialDelaySeconds,
        };
        const { run } = setup(metric);
        const r = await run();
        assert.strictEqual(r.verdict, "Promoted", r.reason);
        assert.strictEqual(r.measurements[0].atSeconds, 60);
    });
});

describe("rollout/engine events", () => {
    it("emits the run as data: start, each step, each measurement, the verdict", async () => {
        const metric = scriptedMetric(["Successful", "Failed"]);
        const steps = stepsOf([
            { setWeight: 20 },
            { pause: { duration: "15s" } },
            { analysis: {} },
        ]);
        const events: RolloutEvent[] = [];
        const { run } = setup(metric, { steps }, (e) => events.push(e));
        const r = await run();
        assert.strictEqual(r.verdict, "Aborted");
        assert.deepStrictEqual(
            events.map((e) =>
                e.type === "Measured"
                    ? `${e.type} ${e.measurement.phase} at ${e.at}s`
                    : e.type === "StepStarted"
                      ? `${e.type} ${e.step + 1}/${e.of} ${e.description} weight ${e.weight}`
                      : `${e.type} at ${e.at}s`,
            ),
            [
                "Started at 0s",
                "StepStarted 1/3 setWeight 20% weight 20",
                "StepStarted 2/3 pause 15s weight 20",
                "Measured Successful at 0s",
                "Measured Failed at 10s",
                "RolledBack at 10s",
            ],
        );
        const last = events[events.length - 1];
        assert.ok(last.type === "RolledBack" && last.reason === r.reason && last.step === 1);
    });

    it("a sink that throws changes nothing", async () => {
        const metric = scriptedMetric(["Successful"]);
        const { run } = setup(metric, {}, () => {
            throw new Error("sink down");
        });
        assert.strictEqual((await run()).verdict, "Promoted");
    });
});

describe("rollout/engine abortScaleDownDelay", () => {
    it("a rollback puts the weight to 0, keeps the canary's pods for the delay, then scales to 0", async () => {
        const metric = scriptedMetric(["Failed"]);
        const { run, cluster, clock } = setup(metric, { abortScaleDownDelaySeconds: 30 });
        const scaledAt: number[] = [];
        const scale = cluster.scaleCanary.bind(cluster);
        cluster.scaleCanary = async (n: number) => {
            scaledAt.push(clock.now());
            return scale(n);
        };
        const weightZeroAt: number[] = [];
        const setWeight = cluster.setWeight.bind(cluster);
        cluster.setWeight = async (w: number) => {
            if (w === 0) weightZeroAt.push(clock.now());
            return setWeight(w);
        };
        const r = await run();
        assert.strictEqual(r.verdict, "Aborted");
        assert.deepStrictEqual(cluster.calls.slice(-3), ["weight 0", "header off", "scale 0"]);
        // The last weight-0 write and the last scale-down are 30 s apart.
        assert.strictEqual(
            scaledAt[scaledAt.length - 1] - weightZeroAt[weightZeroAt.length - 1],
            30_000,
        );
    });

    it("a run whose clock stops (cancelled, pulumi gone) scales down at once", async () => {
        const metric = scriptedMetric(["Failed"]);
        const { run, cluster, clock } = setup(metric, { abortScaleDownDelaySeconds: 30 });
        let stopped = false;
        const sleep = clock.sleep.bind(clock);
        clock.sleep = async (ms: number) => {
            if (stopped) throw new Error("the run was cancelled");
            await sleep(ms);
        };
        const setWeight = cluster.setWeight.bind(cluster);
        cluster.setWeight = async (w: number) => {
            await setWeight(w);
            if (w === 0 && cluster.calls.length > 2) stopped = true;
        };
        const before = clock.now();
        const r = await run();
        assert.strictEqual(r.verdict, "Aborted");
        assert.deepStrictEqual(cluster.calls.slice(-3), ["weight 0", "header off", "scale 0"]);
        assert.ok(clock.now() - before < 30_000 + 60_000, "no 30 s wait after the stop");
        assert.match(
            r.reason,
            /traffic is back on the stable version and the canary is scaled to 0$/,
        );
    });

    describe("header route (router.header)", () => {
        const HEADER_STEPS = [
            { pause: { durationSeconds: 30 } },
            { setWeight: 50 },
            { analysis: { count: 1 } },
        ];

        it("canary ready and the header route on before the first step, so a first pause reaches it by header only", async () => {
            const metric = scriptedMetric(["Successful"], {}, 10);
            const { run, cluster, lines } = setup(metric, {
                steps: HEADER_STEPS,
                headerRoute: true,
            });
            const r = await run();
            assert.strictEqual(r.verdict, "Promoted", r.reason);
            assert.deepStrictEqual(cluster.calls, [
                "weight 0",
                "header off",
                "scale 0",
                "scale 1",
                "ready 1",
                "header on",
                "scale 2",
                "ready 2",
                "weight 50",
            ]);
            assert.strictEqual(
                lines[1],
                "[canary demo] header route: canary replicas 1/4, then requests with the header reach the canary",
            );
        });

        it("a rollback sets weight 0 and removes the header route before scaling the canary down", async () => {
            const metric = scriptedMetric(["Failed"], {}, 10);
            const { run, cluster } = setup(metric, { steps: HEADER_STEPS, headerRoute: true });
            const r = await run();
            assert.strictEqual(r.verdict, "Aborted");
            assert.deepStrictEqual(cluster.calls.slice(-3), ["weight 0", "header off", "scale 0"]);
            assert.strictEqual(cluster.header, false);
            assert.strictEqual(cluster.weight, 0);
        });

        it("a run that fails before the first weight (canary never ready) removes the header route too", async () => {
            const metric = scriptedMetric(["Successful"], {}, 10);
            const { run, cluster } = setup(metric, { steps: HEADER_STEPS, headerRoute: true });
            cluster.failOn = "ready 1";
            const r = await run();
            assert.strictEqual(r.verdict, "Aborted");
            assert.deepStrictEqual(cluster.calls, [
                "weight 0",
                "header off",
                "scale 0",
                "scale 1",
                "ready 1",
                "weight 0",
                "header off",
                "scale 0",
            ]);
        });

        it("the canary keeps a pod while the header route is on, even at weight 0", async () => {
            const metric = scriptedMetric(["Successful"], {}, 10);
            const steps = [{ setWeight: 0 }, { setWeight: 25 }, { analysis: { count: 1 } }];
            const { run, cluster } = setup(metric, { steps, headerRoute: true });
            await run();
            assert.deepStrictEqual(cluster.calls.slice(3, 9), [
                "scale 1",
                "ready 1",
                "header on",
                "scale 1",
                "ready 1",
                "weight 0",
            ]);
        });

        it("without a header the run never turns a header route on, and resets still remove one", async () => {
            const metric = scriptedMetric(["Successful"], {}, 10);
            const { run, cluster } = setup(metric, { steps: HEADER_STEPS });
            await run();
            assert.deepStrictEqual(cluster.calls, [
                "weight 0",
                "header off",
                "scale 0",
                "scale 2",
                "ready 2",
                "weight 50",
            ]);
        });

        it("completion's reset (resetToStable): weight 0, header route off, canary to 0, in that order", async () => {
            const cluster = new RecordingCluster();
            await resetToStable({ router: cluster, workloads: cluster });
            assert.deepStrictEqual(cluster.calls, ["weight 0", "header off", "scale 0"]);
        });
    });
});
