// Invalid configs through the real `pulumi preview` on the embedded stack: each one exits
// non-zero with its exact message line, and the cluster does not change. The stack is deployed
// first (the tutorial's blue), so "does not change" is checked on a running app.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { useEmbeddedStack } from "../support/e2e";
import { INVALID_CONFIGS } from "../support/invalidConfigs";
import { ClusterState, Workspace } from "../../local/workspace";

describe("invalid config through the real pulumi preview (embedded stack)", function () {
    this.timeout(900_000);
    let ws: Workspace;
    let stackFile: string;
    let deployed: string;
    let before0: ClusterState;

    before(async function () {
        useEmbeddedStack(this);
        ws = await Workspace.create("e2e-config");
        await ws.reset();
        const up = await ws.up();
        assert.strictEqual(up.code, 0, up.output);
        stackFile = path.join(ws.dir, `Pulumi.${ws.stack}.yaml`);
        deployed = fs.readFileSync(stackFile, "utf8");
        before0 = await ws.clusterState();
    });

    afterEach(() => {
        // Back to the deployed config: each case changes one key.
        fs.writeFileSync(stackFile, deployed);
    });

    after(async () => {
        await ws?.destroyStack();
    });

    for (const [key, value, line] of INVALID_CONFIGS) {
        it(`${key} = ${JSON.stringify(value).slice(0, 50)}: preview fails with the exact line, the cluster is unchanged`, async () => {
            await ws.mustPulumi(["config", "set", "--path", key, value, "--stack", ws.stack]);
            const r = await ws.preview();
            assert.notStrictEqual(r.code, 0, r.output);
            const lines = r.output.split("\n").map((l) => l.trim());
            assert.ok(lines.includes(`- ${line}`), `no line "- ${line}" in:\n${r.output}`);
            assert.ok(
                lines.some((l) =>
                    l.endsWith("invalid stack config (1 problem); nothing was changed:"),
                ),
                r.output,
            );
            assert.ok(!r.output.includes("s3cret-e2e"), "the secret is not repeated");
            assert.deepStrictEqual(await ws.clusterState(), before0);
        });
    }
});
