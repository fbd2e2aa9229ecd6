import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    EngineGone,
    findPulumiAncestor,
    hostClock,
} from "../../../../../components/rollout/adapters/hostClock";

/** A fake /proc with a chain of processes: [pid, name, ppid]. */
function fakeProc(chain: [number, string, number][]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pd-proc-"));
    for (const [pid, name, ppid] of chain) {
        fs.mkdirSync(path.join(dir, String(pid)));
        fs.writeFileSync(
            path.join(dir, String(pid), "status"),
            `Name:\t${name}\nState:\tS (sleeping)\nPPid:\t${ppid}\n`,
        );
    }
    return dir;
}

describe("rollout/hostClock", () => {
    it("finds pulumi as the parent (our exec'ing shim) or the grandparent (upstream's sh shim)", () => {
        const proc = fakeProc([
            [30, "node", 20],
            [20, "sh", 10],
            [10, "pulumi", 5],
            [5, "bash", 1],
        ]);
        assert.strictEqual(findPulumiAncestor(20, proc), 10);
        assert.strictEqual(findPulumiAncestor(10, proc), 10);
    });
    it("does not mistake the plugin shims or other processes for pulumi", () => {
        const proc = fakeProc([
            [20, "pulumi-resource-pulumi-nodejs", 10],
            [10, "bash", 1],
        ]);
        assert.strictEqual(findPulumiAncestor(20, proc), undefined);
        assert.strictEqual(findPulumiAncestor(20, "/nonexistent"), undefined);
    });
    it("sleeps normally while pulumi runs and throws once it is gone", async () => {
        const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
        const clock = hostClock(child.pid, 20);
        const t0 = Date.now();
        await clock.sleep(60);
        assert.ok(Date.now() - t0 >= 55);
        assert.strictEqual(clock.orphaned(), false);
        child.kill("SIGKILL");
        await new Promise((r) => child.once("exit", r));
        await assert.rejects(
            clock.sleep(10_000),
            (e: Error) =>
                e instanceof EngineGone &&
                /pid \d+\) that started this rollout is gone/.test(e.message),
        );
        assert.strictEqual(clock.orphaned(), true);
    });
    it("without a pulumi ancestor it never reports orphaned", async () => {
        const clock = hostClock(undefined, 10);
        await clock.sleep(15);
        assert.strictEqual(clock.orphaned(), false);
    });
});
