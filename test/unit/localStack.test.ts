// The e2e suite's expectations of the local stack (test/support/localStack.ts), checked against
// the real engine and metrics (buildMetrics, runRollout) on Pulumi.local.yaml's settings, with
// the bench's simulated ingress and Prometheus (test/bench/world.ts) at the edge's 20 requests/s
// and 2 s scrapes: every reason the code gives for the case matches, and both deciders occur.
import * as assert from "assert";
import { runRollout } from "../../components/rollout/core/engine";
import { judgeCondition } from "../../components/rollout/core/judge/metric";
import { RolloutResult } from "../../components/rollout/core/types";
import { buildMetrics } from "../../components/rollout/provider/impl";
import { SimPrometheus, World } from "../bench/world";
import { FakeClock } from "../support/fakes";
import { failingCanaryReason, judgeAcceptance, localConfig } from "../support/localStack";
import { demoInputs } from "../support/rolloutRun";
import type { ProgramConfig } from "../../components/config/types";

/** The local edge's load (local/lib.sh EDGE_RPS). */
const EDGE_RPS = 20;
/** How long the canary's pods take to be ready at each weight: kwok's, about a second. */
const READY_MS = 1000;

async function run(config: ProgramConfig, canaryErrorRate: number, seed: number) {
    const { rollout, monitoring } = config;
    const clock = new FakeClock();
    const world = new World(
        {
            name: "local",
            rps: EDGE_RPS,
            stableErrorRate: 0,
            canaryErrorRate,
            errorModel: "independent",
            traffic: "steady",
            scrapeSeconds: monitoring.scrapeIntervalSeconds,
        },
        seed,
        clock.now(),
        rollout.deadlineSeconds + 60,
    );
    const inputs = demoInputs({
        app: config.app.name,
        namespace: config.app.namespace,
        canaryService: `${config.app.name}-canary`,
        stableService: `${config.app.name}-stable`,
        canaryIngress: `${config.app.name}-canary`,
        steps: rollout.steps,
        deadlineSeconds: rollout.deadlineSeconds,
        metrics: rollout.metrics,
        judge: rollout.judge,
        scrapeIntervalSeconds: monitoring.scrapeIntervalSeconds,
    });
    return runRollout(
        {
            app: config.app.name,
            steps: rollout.steps,
            totalReplicas: config.app.replicas,
            deadlineSeconds: rollout.deadlineSeconds,
            metrics: buildMetrics(inputs, new SimPrometheus(world, () => clock.now())),
        },
        {
            router: {
                setWeight: async (w) => world.setWeight(clock.now(), w),
                setHeaderRoute: async () => {},
            },
            workloads: {
                scaleCanary: async () => {},
                waitCanaryReady: async (n) => (n > 0 ? clock.sleep(READY_MS) : undefined),
            },
            clock,
            report: () => {},
        },
    );
}

const decider = (r: RolloutResult) => r.measurements[r.measurements.length - 1].metric;

describe("the e2e suite's expectations of the local stack, against the engine", () => {
    it("a canary failing 30% under the default guard: every reason has one of the two shapes, and both occur", async () => {
        const config = localConfig();
        assert.deepStrictEqual(
            [config.rollout.judge.enabled, config.rollout.judge.role],
            [true, "guard"],
        );
        const pattern = failingCanaryReason(config);
        const by: Record<string, number> = {};
        for (let seed = 1; seed <= 100; seed++) {
            const r = await run(config, 0.3, seed);
            assert.strictEqual(r.verdict, "Aborted", r.reason);
            assert.match(r.reason, pattern);
            by[decider(r)] = (by[decider(r)] ?? 0) + 1;
            const judged = r.measurements.filter((m) => m.metric === "judge");
            assert.ok(judged.length > 0);
            assert.ok(judged.every((m) => m.condition === judgeCondition(config.rollout.judge)));
        }
        // At 20 requests/s and 2 s scrapes the judge usually decides first, the success rate
        // (its fourth failure, 12-16 s after traffic at the earliest) sometimes.
        assert.deepStrictEqual(Object.keys(by).sort(), ["judge", "success-rate"]);
        assert.ok(by.judge > by["success-rate"], JSON.stringify(by));
    });

    it("the pattern refuses what the code does not say for the case", async () => {
        const config = localConfig();
        const r = await run(config, 0.3, 1);
        const pattern = failingCanaryReason(config);
        for (const [from, to] of [
            ["rolled back at step", "rolled back at step 0"],
            ["failureLimit", "inconclusiveLimit"],
            ["; traffic is back", "; traffic is not back"],
        ]) {
            assert.doesNotMatch(r.reason.replace(from, to), pattern);
        }
        // Without the judge, only the success rate can decide.
        assert.strictEqual(decider(r), "judge");
        const off = localConfig((raw) => (raw.rollout.analysis.judge = { enabled: false }));
        assert.doesNotMatch(r.reason, failingCanaryReason(off));
        assert.match((await run(off, 0.3, 1)).reason, failingCanaryReason(off));
    });

    it("a healthy canary under a gate: promoted on the judge's acceptance", async () => {
        const config = localConfig((raw) => (raw.rollout.analysis.judge = { role: "gate" }));
        for (let seed = 1; seed <= 10; seed++) {
            const r = await run(config, 0, seed);
            assert.strictEqual(r.verdict, "Promoted", r.reason);
            const accepted = r.measurements.filter(
                (m) => m.metric === "judge" && m.phase === "Successful",
            );
            assert.ok(accepted.length > 0);
            for (const m of accepted) {
                assert.match(m.message, judgeAcceptance(config));
                assert.strictEqual(m.condition, judgeCondition(config.rollout.judge));
            }
            assert.match(
                r.reason,
                /^canary "rollouts-demo" promoted after 9 steps in [\d.]+s \(success-rate \d+ successful, judge \d+ successful\)$/,
            );
        }
    });

    it("with router gateway-api: the reason names Istio's counters (a real one from the embedded stack)", () => {
        const config = localConfig((raw) => {
            raw.router = { kind: "gateway-api" };
        });
        const reason =
            'canary "rollouts-demo" rolled back at step 4/9 (pause 10s, weight 40%): judge 1 measurements failed "guard: roll back when ln e >= 5.3: the canary\'s error rate is more than 0.01 above stable\'s (a canary within it is rolled back with probability <= 0.005); promotion is left to the steps and metrics" (failureLimit 0); last value [7.072, -74.75, 20, 56, 0, 137] over 56 requests: canary 20/56 failed (36%) vs stable 0/137 (0%): ln e 7.07 >= 5.3: the canary\'s error rate is more than 0.01 above stable\'s (the evidence points to +0.3), 4s after the canary first got traffic; query: sum(istio_requests_total{reporter="source",destination_service_namespace="rollouts-demo",destination_service_name="rollouts-demo-canary"}) ; sum(istio_requests_total{reporter="source",destination_service_namespace="rollouts-demo",destination_service_name="rollouts-demo-canary",response_code=~"5.."}) ; sum(istio_requests_total{reporter="source",destination_service_namespace="rollouts-demo",destination_service_name="rollouts-demo-stable"}) ; sum(istio_requests_total{reporter="source",destination_service_namespace="rollouts-demo",destination_service_name="rollouts-demo-stable",response_code=~"5.."}); traffic is back on the stable version and the canary is scaled to 0';
        assert.match(reason, failingCanaryReason(config));
        assert.doesNotMatch(reason, failingCanaryReason(localConfig()));
    });
});
