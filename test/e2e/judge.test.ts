// The comparative judge end to end: the real pulumi CLI, the embedded stack's Prometheus and the
// local edge. A new stack has the judge on as a guard: a canary failing 30% is rolled back (by
// the judge or the success rate, whichever decides first) with the judge's measurements in the
// evidence; as a gate (`rollout.analysis.judge.role: gate`), a healthy canary is promoted on the
// judge's acceptance. Its own workspace ("judge"): its own stack, backend and config.
import * as assert from "assert";
import { rollbackSeconds } from "../../components/rollout/core/evidence";
import { judgeCondition } from "../../components/rollout/core/judge/metric";
import { expectStable, useEmbeddedStack } from "../support/e2e";
import { failingCanaryReason, judgeAcceptance, localConfig } from "../support/localStack";
import { Workspace } from "../../local/workspace";

describe("the judge end to end (real pulumi, embedded stack)", function () {
    this.timeout(600_000);
    let ws: Workspace;

    before(async function () {
        useEmbeddedStack(this);
        ws = await Workspace.create("judge");
        await ws.reset();
        await ws.setErrorRate("red", 0);
        // The first deployment: stable runs blue, no canary run (nothing to compare against).
        await ws.setImage("argoproj/rollouts-demo:blue");
        const r = await ws.up();
        assert.strictEqual(r.code, 0, r.output);
        expectStable(await ws.clusterState(), "blue");
    });

    after(async () => {
        await ws?.setErrorRate("red", 0).catch(() => undefined);
    });

    it("by default a guard: a canary failing 30% is rolled back, the judge's measurements in the evidence, stable untouched", async () => {
        const config = localConfig();
        assert.strictEqual(config.rollout.judge.role, "guard");
        await ws.setErrorRate("red", 0.3);
        try {
            await ws.setImage("argoproj/rollouts-demo:red");
            const r = await ws.up();
            assert.notStrictEqual(r.code, 0, r.output);
            const run = (await ws.lastRun())!;
            assert.strictEqual(run.verdict, "Aborted");
            // The judge or the success rate, whichever decided first, in its exact shape; the
            // reason names the metric whose measurement ended the run.
            assert.match(run.reason, failingCanaryReason(config));
            const decider = run.measurements[run.measurements.length - 1].metric;
            assert.ok(["judge", "success-rate"].includes(decider), decider);
            assert.ok(run.reason.includes(`%): ${decider} `), run.reason);
            // The judge measured from the canary's first seconds of traffic, as a guard.
            const judged = run.measurements.filter((m) => m.metric === "judge");
            assert.ok(judged.length > 0, "no judge measurement in lastRun");
            const rule = judgeCondition(config.rollout.judge);
            assert.ok(rule.startsWith("guard: "), rule);
            for (const m of judged.filter((x) => x.phase !== "Error")) {
                assert.strictEqual(m.condition, rule);
            }
            // What the demo prints: the seconds from the canary's first traffic to the rollback.
            const seconds = rollbackSeconds(run);
            assert.ok(seconds !== undefined, run.reason);
            console.log(`    rolled back by ${decider} ${seconds}s after the canary got traffic`);
            expectStable(await ws.clusterState(), "blue");
        } finally {
            await ws.setErrorRate("red", 0);
        }
    });

    it("as a gate: a healthy canary is promoted on the judge's acceptance", async () => {
        await ws.mustPulumi([
            "config",
            "set",
            "--path",
            "rollout.analysis.judge.role",
            "gate",
            "--stack",
            ws.stack,
        ]);
        const config = localConfig((raw) => (raw.rollout.analysis.judge = { role: "gate" }));
        await ws.setImage("argoproj/rollouts-demo:yellow");
        const r = await ws.up();
        assert.strictEqual(r.code, 0, r.output);
        const run = (await ws.lastRun())!;
        assert.strictEqual(run.verdict, "Promoted", run.reason);
        assert.match(
            run.reason,
            /^canary "rollouts-demo" promoted after 9 steps in [\d.]+s \(success-rate \d+ successful, judge \d+ successful\)$/,
        );
        const judged = run.measurements.filter((m) => m.metric === "judge");
        const rule = judgeCondition(config.rollout.judge);
        assert.ok(rule.startsWith("gate: "), rule);
        for (const m of judged.filter((x) => x.phase !== "Error")) {
            assert.strictEqual(m.condition, rule);
        }
        // The gate accepted: at least one Successful judge measurement, each one an acceptance,
        // and the analysis step (the last) ended on one.
        const accepted = judged.filter((m) => m.phase === "Successful");
        assert.ok(accepted.length > 0, JSON.stringify(judged.map((m) => m.message)));
        for (const m of accepted) {
            assert.match(m.message, judgeAcceptance(config));
        }
        const analysis = run.steps.length - 1;
        assert.ok(
            accepted.some((m) => m.step === analysis),
            "the analysis step passed on the judge's acceptance",
        );
        expectStable(await ws.clusterState(), "yellow");
    });
});
