// The policy pack under the real CLI: `pulumi preview --policy-pack policies` passes the shipped
// local stack and stops a config the program accepts but the pack refuses, changing nothing.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { useEmbeddedStack } from "../support/e2e";
import { ROOT } from "../support/stackConfig";
import { Workspace } from "../../local/workspace";

describe("policy pack with the real CLI", function () {
    this.timeout(600_000);
    let ws: Workspace;
    const pack = path.join(ROOT, "policies");

    before(async function () {
        useEmbeddedStack(this);
        ws = await Workspace.create("policy");
        await ws.ensureStack();
    });

    it("the shipped local stack passes every policy", async () => {
        const r = await ws.pulumi(["preview", "--stack", ws.stack, "--policy-pack", pack], {
            echo: false,
        });
        assert.strictEqual(r.code, 0, r.output);
        assert.match(r.output, /progressive-delivery-guardrails/);
    });

    it("a team's levels file makes a policy mandatory: a metric with no successCondition stops the preview, nothing changes", async () => {
        // The program accepts a metric that only states when it fails (Argo Rollouts' semantics);
        // the pack's analysis-success-condition is advisory by default, and a team that wants the
        // bar stated everywhere raises it with CrossGuard's standard levels file.
        const levels = path.join(
            fs.mkdtempSync(path.join(os.tmpdir(), "pd-levels-")),
            "levels.json",
        );
        fs.writeFileSync(levels, JSON.stringify({ "analysis-success-condition": "mandatory" }));
        const metric = "rollout.analysis.metrics[0]";
        const set = (key: string, value: string) =>
            ws.mustPulumi(["config", "set", "--path", key, value, "--stack", ws.stack]);
        await ws.mustPulumi([
            "config",
            "rm",
            "--path",
            `${metric}.successCondition`,
            "--stack",
            ws.stack,
        ]);
        await set(`${metric}.failureCondition`, "result[0] < 0.95");
        const before = await ws.clusterState().catch(() => undefined);
        try {
            const advisory = await ws.pulumi(
                ["preview", "--stack", ws.stack, "--policy-pack", pack],
                { echo: false },
            );
            assert.strictEqual(advisory.code, 0, advisory.output);
            assert.match(advisory.output, /\[advisory\]\s+analysis-success-condition\s+/);

            const r = await ws.pulumi(
                [
                    "preview",
                    "--stack",
                    ws.stack,
                    "--policy-pack",
                    pack,
                    "--policy-pack-config",
                    levels,
                ],
                { echo: false },
            );
            assert.notStrictEqual(r.code, 0, r.output);
            assert.match(
                r.output,
                /\[mandatory\]\s+analysis-success-condition\s+\(pulumi-nodejs:dynamic\/progressive-delivery:CanaryRollout: rollouts-demo-rollout\)/,
            );
            assert.match(r.output, /has no successCondition/);
            assert.deepStrictEqual(await ws.clusterState().catch(() => undefined), before);
        } finally {
            await ws.mustPulumi([
                "config",
                "rm",
                "--path",
                `${metric}.failureCondition`,
                "--stack",
                ws.stack,
            ]);
            await set(`${metric}.successCondition`, "result[0] >= 0.95");
            fs.rmSync(path.dirname(levels), { recursive: true, force: true });
        }
    });
});
