// Upgrading the program under a live stack: a stack deployed (and canaried) by older code must
// show no changes in `pulumi preview` with the current code, and `pulumi up` must run no canary
// and leave the cluster as it was. Older code: the last commit before the layers refactor
// (components/rollout/*.ts moved into core/, adapters/ and provider/, components/config.ts into
// components/config/), and the last one before the routers (CanaryRollout state version 5).
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { useEmbeddedStack } from "../support/e2e";
import { ROOT } from "../support/stackConfig";
import { ClusterState, STATE, Workspace } from "../../local/workspace";

/** The older code, as (what it precedes, full commit id). */
const BASES: [string, string][] = [
    ["the layers refactor", "c7d719bd66e329cc9bb7b0a09639d684d02d5881"],
    ["the routers (state version 5)", "056d58e4952b0c237470c4ed0f1255621334e9ff"],
];
/** Where old code is exported: next to the workspaces, outside the repo. */
const oldTree = (commit: string) => path.join(STATE, `upgrade-old-${commit.slice(0, 7)}`);

/** Exports `commit` into its old tree, with node_modules to run it. */
function materialiseOldTree(commit: string, before: string): string {
    const tree = oldTree(commit);
    try {
        execFileSync("git", ["cat-file", "-e", `${commit}^{commit}`], {
            cwd: ROOT,
            stdio: "ignore",
        });
    } catch {
        throw new Error(
            `commit ${commit} (the last one before ${before}) is not in this ` +
                `clone's history (a shallow clone?): run \`git fetch --unshallow\` in ${ROOT}`,
        );
    }
    // A fresh tree every run, but an installed node_modules is kept (npm ci takes a while).
    fs.mkdirSync(tree, { recursive: true });
    for (const f of fs.readdirSync(tree)) {
        const p = path.join(tree, f);
        if (f !== "node_modules" || fs.lstatSync(p).isSymbolicLink()) {
            // rm does not follow a node_modules link into this checkout.
            fs.rmSync(p, { recursive: true, force: true });
        }
    }
    execFileSync(
        "bash",
        ["-c", `set -o pipefail; git archive "$1" | tar -x -C "$2"`, "-", commit, tree],
        { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] },
    );
    // Node and TypeScript resolve packages from a module's real path, so the old tree's files
    // need node_modules of their own (a link in the workspace is not enough): this checkout's
    // when the locked dependencies are the same, otherwise installed from the old lock file, as
    // a user's checkout would have them.
    const modules = path.join(tree, "node_modules");
    const stamp = path.join(modules, ".installed-from");
    const oldLock = fs.readFileSync(path.join(tree, "package-lock.json"), "utf8");
    const lock = fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8");
    if (oldLock === lock) {
        fs.rmSync(modules, { recursive: true, force: true });
        fs.symlinkSync(path.join(ROOT, "node_modules"), modules);
    } else if (!(fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === commit)) {
        console.log(`    npm ci in ${tree} (its package-lock.json is not this checkout's)`);
        execFileSync("npm", ["ci", "--no-audit", "--no-fund"], {
            cwd: tree,
            stdio: ["ignore", "inherit", "inherit"],
        });
        fs.writeFileSync(stamp, commit);
    }
    return tree;
}

/** The lines of a preview that announce a change to a resource, and its summary. */
function changeLines(output: string): string {
    return output
        .split("\n")
        .filter((l) =>
            /^\s*[~+-]|\((update|create|delete|replace)|to (update|create|delete|replace)|unchanged/.test(
                l,
            ),
        )
        .join("\n");
}

for (const [precedes, commit] of BASES) {
    describe(`upgrade from the code before ${precedes} (real pulumi, embedded stack)`, function () {
        this.timeout(900_000);
        let ws: Workspace;
        let stateBefore: ClusterState;
        let lastRunBefore: Awaited<ReturnType<Workspace["lastRun"]>>;

        before(async function () {
            useEmbeddedStack(this);
            const old = materialiseOldTree(commit, precedes);
            ws = await Workspace.create("upgrade", { root: old });
            await ws.reset();
            await ws.setErrorRate("yellow", 0);
        });

        after(async () => {
            // Leave the cluster to the other suites (whose reset would destroy this stack anyway).
            if (ws) {
                await (await Workspace.create("upgrade")).destroyStack();
            }
        });

        it("the old code deploys blue, then canaries and promotes yellow", async () => {
            await ws.setImage("argoproj/rollouts-demo:blue");
            const first = await ws.up();
            assert.strictEqual(first.code, 0, first.output);
            assert.match(first.output, /first deployment: promoted without a canary run/);

            await ws.setImage("argoproj/rollouts-demo:yellow");
            const canary = await ws.up();
            assert.strictEqual(canary.code, 0, canary.output);
            assert.match(canary.output, /setWeight 80%: canary replicas/);
            lastRunBefore = await ws.lastRun();
            assert.strictEqual(lastRunBefore?.verdict, "Promoted");
            assert.ok(lastRunBefore!.measurements.some((m) => m.phase === "Successful"));
            stateBefore = await ws.steadyState();
            assert.ok(stateBefore.stableImage.endsWith(":yellow"), stateBefore.stableImage);
            assert.strictEqual(stateBefore.weight, 0);
            assert.strictEqual(stateBefore.canaryReplicas, 0);
        });

        it("with the current code, pulumi preview shows no changes", async () => {
            // Same workspace name: same backend and stack config, links now to this checkout.
            ws = await Workspace.create("upgrade");
            assert.strictEqual(ws.root, ROOT);
            const p = await ws.pulumi(
                ["preview", "--stack", ws.stack, "--diff", "--expect-no-changes"],
                { echo: false },
            );
            const changes = changeLines(p.output);
            console.log(`    preview (exit ${p.code}, ${p.seconds.toFixed(0)} s):\n${changes}`);
            assert.match(p.output, /unchanged/, p.output);
            assert.doesNotMatch(
                p.output,
                /to update|to create|to delete|to replace/,
                `the preview announces changes:\n${changes}\n\nfull output:\n${p.output}`,
            );
            assert.strictEqual(p.code, 0, p.output);
            assert.deepStrictEqual(await ws.steadyState(), stateBefore);
        });

        it("with the current code, pulumi up runs no canary and changes nothing", async () => {
            const r = await ws.up();
            assert.strictEqual(r.code, 0, r.output);
            assert.doesNotMatch(r.output, /resetting traffic to stable before the canary starts/);
            // Progress lines only: the Outputs section lists lastRun's steps ("setWeight: 20").
            assert.doesNotMatch(r.output, /setWeight \d+%/);
            assert.doesNotMatch(r.output, /\[canary [^\]]*\] (step|resetting)/);
            assert.deepStrictEqual(await ws.steadyState(), stateBefore);
            assert.deepStrictEqual(await ws.lastRun(), lastRunBefore);
        });
    });
}
