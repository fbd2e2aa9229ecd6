import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    EngineGone,
    findPulumiAncestor,
    HostView,
    hostClock,
    hostView,
    parsePsLine,
    procInfo,
    psInfo,
    ProcessInfo,
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

/** A process table, a parent, a cancel file, stdin and signals, all under the test's control. */
class FakeHost implements HostView {
    parent = 20;
    procs = new Map<number, ProcessInfo>();
    dead = new Set<number>();
    files = new Map<string, string>();
    private stdin?: () => void;
    private signal?: (s: string) => void;
    unwatched = 0;

    constructor(chain: [number, string, number][]) {
        for (const [pid, name, ppid] of chain) {
            this.procs.set(pid, { name, ppid });
        }
    }
    ppid = () => this.parent;
    info = (pid: number) => (this.dead.has(pid) ? undefined : this.procs.get(pid));
    alive = (pid: number) => this.procs.has(pid) && !this.dead.has(pid);
    reads: string[] = [];
    readCancel = (file: string) => {
        this.reads.push(file);
        return this.files.get(file);
    };
    onStdinClosed(cb: () => void) {
        this.stdin = cb;
        return () => this.unwatched++;
    }
    onSignal(cb: (s: string) => void) {
        this.signal = cb;
        return () => this.unwatched++;
    }
    closeStdin = () => this.stdin?.();
    kill = (s: string) => this.signal?.(s);
}

// The upstream shim: pulumi -> sh -> node (us, pid 30); ours execs node: pulumi -> node.
const UPSTREAM: [number, string, number][] = [
    [20, "sh", 10],
    [10, "pulumi", 5],
    [5, "bash", 1],
];

const throwsGone = (message: string) => (e: Error) =>
    e instanceof EngineGone && e.message === message;

describe("rollout/hostClock", () => {
    describe("finding pulumi", () => {
        it("as the parent (our exec'ing shim) or the grandparent (upstream's sh shim)", () => {
            const proc = fakeProc([[30, "node", 20], ...UPSTREAM]);
            const view = { info: (pid: number) => procInfo(pid, proc) };
            assert.strictEqual(findPulumiAncestor(20, view), 10);
            assert.strictEqual(findPulumiAncestor(10, view), 10);
        });
        it("never mistakes the plugin shims or other processes for pulumi", () => {
            const proc = fakeProc([
                [20, "pulumi-resource-pulumi-nodejs", 10],
                [10, "bash", 1],
            ]);
            assert.strictEqual(
                findPulumiAncestor(20, { info: (pid) => procInfo(pid, proc) }),
                undefined,
            );
            assert.strictEqual(
                findPulumiAncestor(20, { info: (pid) => procInfo(pid, "/nonexistent") }),
                undefined,
            );
        });
        it("reads `ps -o ppid=,comm=` as Linux and macOS print it", () => {
            assert.deepStrictEqual(parsePsLine("  4242 pulumi"), { ppid: 4242, name: "pulumi" });
            assert.deepStrictEqual(parsePsLine("   501 /usr/local/bin/pulumi\n"), {
                ppid: 501,
                name: "pulumi",
            });
            assert.deepStrictEqual(parsePsLine("1 /opt/my tools/pulumi"), {
                ppid: 1,
                name: "pulumi",
            });
            assert.strictEqual(parsePsLine(""), undefined);
            assert.strictEqual(parsePsLine("PPID COMM"), undefined);
        });
        it("`ps` (macOS, BSD) and /proc (Linux) see the same process", () => {
            const viaPs = psInfo(process.pid);
            assert.strictEqual(viaPs?.ppid, process.ppid);
            assert.deepStrictEqual(procInfo(process.pid), viaPs);
            assert.deepStrictEqual(hostView().info(process.pid), viaPs);
            assert.strictEqual(psInfo(2 ** 22 + 1), undefined); // above Linux's pid_max
        });
    });

    describe("the guards (fakes, no /proc)", () => {
        it("sleeps normally while nothing happens", async () => {
            const host = new FakeHost(UPSTREAM);
            const clock = hostClock({ view: host, cancelFile: "/c", tickMs: 5 });
            const t0 = Date.now();
            await clock.sleep(30);
            assert.ok(Date.now() - t0 >= 25);
            assert.strictEqual(clock.stopped(), undefined);
        });
        it("stdin closed: pulumi exited, however it exited", async () => {
            const host = new FakeHost(UPSTREAM);
            const clock = hostClock({ view: host, tickMs: 5 });
            host.closeStdin();
            const msg = "the pulumi process that started this rollout is gone (its pipe closed)";
            await assert.rejects(clock.sleep(10_000), throwsGone(msg));
            assert.deepStrictEqual(clock.stopped(), {
                reason: "orphaned",
                message: msg,
                exit: true,
            });
        });
        it("parent changed: reparented to init or launchd, found without /proc or ps", async () => {
            const host = new FakeHost([]); // no process can be read at all
            const clock = hostClock({ view: host, tickMs: 5 });
            const pending = clock.sleep(10_000);
            host.parent = 1;
            await assert.rejects(
                pending,
                throwsGone("the process that started this rollout (pid 20) is gone"),
            );
            assert.strictEqual(clock.stopped()?.exit, true);
        });
        it("pulumi ancestor gone while the sh shim between us lives on", async () => {
            const host = new FakeHost(UPSTREAM);
            const clock = hostClock({ view: host, tickMs: 5 });
            await clock.sleep(10);
            host.dead.add(10);
            await assert.rejects(
                clock.sleep(10_000),
                throwsGone("the pulumi process (pid 10) that started this rollout is gone"),
            );
        });
        it("cancel file: the runner asked, the host stays for pulumi to read the error", async () => {
            const host = new FakeHost(UPSTREAM);
            const clock = hostClock({ view: host, cancelFile: "/tmp/x/cancel", tickMs: 5 });
            host.files.set("/other", "not ours");
            await clock.sleep(10);
            host.files.set("/tmp/x/cancel", "SIGTERM to the release runner (pid 77)");
            const msg = "the release was cancelled (SIGTERM to the release runner (pid 77))";
            await assert.rejects(clock.sleep(10_000), throwsGone(msg));
            assert.deepStrictEqual(clock.stopped(), {
                reason: "cancelled",
                message: msg,
                exit: false,
            });
        });
        it("no cancel file configured (plain pulumi up): no file is ever looked at", async () => {
            const host = new FakeHost(UPSTREAM);
            const clock = hostClock({ view: host, tickMs: 5 });
            await clock.sleep(15);
            assert.strictEqual(clock.stopped(), undefined);
            assert.deepStrictEqual(host.reads, []);
        });
        it("SIGINT to the host (pulumi terminating its plugins): abort, then exit", async () => {
            const host = new FakeHost(UPSTREAM);
            const clock = hostClock({ view: host, tickMs: 5 });
            const pending = clock.sleep(10_000);
            host.kill("SIGINT");
            const msg = "the provider host got SIGINT: pulumi is terminating";
            await assert.rejects(pending, throwsGone(msg));
            assert.deepStrictEqual(clock.stopped(), {
                reason: "signalled",
                message: msg,
                exit: true,
            });
        });
        it("the first reason sticks, and dispose stops both watches", async () => {
            const host = new FakeHost(UPSTREAM);
            const clock = hostClock({ view: host, cancelFile: "/c", tickMs: 5 });
            host.files.set("/c", "");
            assert.strictEqual(clock.stopped()?.reason, "cancelled");
            assert.strictEqual(
                clock.stopped()?.message,
                "the release was cancelled (cancel file present)",
            );
            host.closeStdin();
            assert.strictEqual(clock.stopped()?.reason, "cancelled");
            clock.dispose();
            assert.strictEqual(host.unwatched, 2);
        });
    });

    describe("the real view sees stdin close when its only writer exits", () => {
        const mod = require.resolve("../../../../../components/rollout/adapters/hostClock");
        const script = `
            require("ts-node").register({ transpileOnly: true });
            const { hostView } = require(${JSON.stringify(mod)});
            const st = require("fs").fstatSync(0);
            console.log("watching " + (st.isFIFO() ? "fifo" : st.isSocket() ? "socket" : "other"));
            hostView().onStdinClosed(() => { console.log("closed"); process.exit(0); });
            setTimeout(() => process.exit(3), 10000);`;
        const run = async (
            child: ReturnType<typeof spawn>,
            kind: string,
            closeWriter: () => void,
        ) => {
            let out = "";
            await new Promise<void>((resolve) =>
                child.stdout!.on("data", (d) => {
                    out += d;
                    if (out.includes("watching")) {
                        resolve();
                    }
                }),
            );
            closeWriter();
            const code = await new Promise((r) => child.on("exit", r));
            assert.strictEqual(code, 0);
            assert.strictEqual(out, `watching ${kind}\nclosed\n`);
        };

        it("a FIFO, as pulumi (Go's os.Pipe) gives each plugin", async () => {
            // A shell pipeline is made with pipe(2); `sleep` is the only writer.
            const child = spawn("sh", ["-c", `sleep 1 | "${process.execPath}" -e '${script}'`], {
                stdio: ["ignore", "pipe", "inherit"],
            });
            await run(child, "fifo", () => undefined);
        });
        it("a socket pair, as Node's spawn gives", async () => {
            const child = spawn(process.execPath, ["-e", script], {
                stdio: ["pipe", "pipe", "inherit"],
            });
            await run(child, "socket", () => child.stdin!.end());
        });
    });
});
