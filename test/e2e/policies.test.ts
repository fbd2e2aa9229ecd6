// The policy pack under the real CLI: `pulumi preview --policy-pack policies` passes the shipped
// local stack and stops a config the program accepts but the pack refuses, changing nothing.
import * as assert from "assert";
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

    it("a repeated weight and minRequests 0 stop the preview with the mandatory violations", async () => {
        await ws.mustPulumi([
            "config",
            "set",
            "--path",
            "rollout.steps[2].setWeight",
            "20",
            "--stack",
            ws.stack,
        ]);
        await ws.mustPulumi([
            "config",
            "set",
            "--path",
            "rollout.analysis.metrics[0].minRequests",
            "0",
            "--stack",
            ws.stack,
        ]);
        try {
            const r = await ws.pulumi(["preview", "--stack", ws.stack, "--policy-pack", pack], {
                echo: false,
            });
            assert.notStrictEqual(r.code, 0, r.output);
            assert.match(
                r.output,
                /\[mandatory\]\s+rollout-steps\s+\(pulumi-nodejs:dynamic\/progressive-delivery:CanaryRollout: rollouts-demo-rollout\)/,
            );
            assert.match(r.output, /\[mandatory\]\s+analysis-min-requests\s+/);
        } finally {
            await ws.mustPulumi([
                "config",
                "set",
                "--path",
                "rollout.steps[2].setWeight",
                "40",
                "--stack",
                ws.stack,
            ]);
            await ws.mustPulumi([
                "config",
                "set",
                "--path",
                "rollout.analysis.metrics[0].minRequests",
                "5",
                "--stack",
                ws.stack,
            ]);
        }
    });
});
