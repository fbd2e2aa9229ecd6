// The provider host's clock, and the guards that stop a rollout nobody is waiting for.
//
// A dynamic-provider host is a separate process that `pulumi` starts in its own process group,
// so a Ctrl-C or a SIGTERM sent to `pulumi` never reaches it, and the engine's Cancel call is a
// no-op in @pulumi/pulumi's host. Left alone, a host whose `pulumi` was killed keeps stepping
// weights with nobody reading its result. So at every tick of the clock (500 ms) the run checks:
//
//   orphaned   its `pulumi` is gone. Three portable signs, any one is enough:
//              - stdin closed: pulumi starts every plugin with a pipe on stdin and holds its
//                write end until it exits, however it exits (SIGKILL included);
//              - the parent changed: our shim execs node, so pulumi is the parent, and a dead
//                parent means reparenting to init (launchd on macOS) or a subreaper;
//              - the nearest ancestor named `pulumi`, found at the start through /proc (Linux)
//                or `ps -o ppid=,comm=` (macOS, BSD), no longer exists (upstream's sh shim sits
//                between pulumi and node, so the parent alone does not tell).
//   cancelled  the release runner (deployments/release) asked for it: the file named by
//              CANCEL_FILE_ENV exists. The update then fails with the reason and ends cleanly.
//   signalled  the host itself got SIGINT or SIGTERM: that is how pulumi stops its plugins
//              when it terminates (a second Ctrl-C), with 5 s before SIGKILL.
//
// Any of them makes sleep() throw, the engine aborts and puts traffic back on stable. When the
// engine is gone or terminating (orphaned, signalled), the host should then exit.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Clock } from "../core/types";

export interface ProcessInfo {
    name: string;
    ppid: number;
}

/** What the guards read about this process and its engine; tests pass fakes. */
export interface HostView {
    /** This process's parent, read now (it changes when the parent dies). */
    ppid(): number;
    /** A process's name and parent, or undefined if it is gone or cannot be read. */
    info(pid: number): ProcessInfo | undefined;
    alive(pid: number): boolean;
    /** The cancel file's text, or undefined when it does not exist. */
    readCancel(file: string): string | undefined;
    /** Calls back when stdin (the engine's pipe) closes; returns a function that stops watching. */
    onStdinClosed(cb: () => void): () => void;
    /** Calls back on SIGINT or SIGTERM; while watched, the signal does not kill the process. */
    onSignal(cb: (signal: string) => void): () => void;
}

/** Why a run must stop early; `exit`: the engine is gone or terminating, the host should exit. */
export interface Stop {
    reason: "orphaned" | "cancelled" | "signalled";
    message: string;
    exit: boolean;
}

export class EngineGone extends Error {
    override readonly name = "EngineGone";
}

/** A run ended because its `pulumi` is gone: the provider host should exit, nobody is left. */
export class OrphanedRun extends Error {
    override readonly name = "OrphanedRun";
}

/** The nearest ancestor process whose name is exactly "pulumi". */
export function findPulumiAncestor(
    start: number,
    view: Pick<HostView, "info">,
): number | undefined {
    let pid = start;
    for (let depth = 0; pid > 1 && depth < 10; depth++) {
        const p = view.info(pid);
        if (!p) {
            return undefined; // unreadable or gone: no watch by ancestor
        }
        if (p.name === "pulumi") {
            return pid;
        }
        pid = p.ppid;
    }
    return undefined;
}

/** A process from /proc/PID/status (Linux). */
export function procInfo(pid: number, proc = "/proc"): ProcessInfo | undefined {
    try {
        const status = fs.readFileSync(`${proc}/${pid}/status`, "utf8");
        const name = /^Name:\s+(.*)$/m.exec(status)?.[1];
        const ppid = /^PPid:\s+(\d+)$/m.exec(status)?.[1];
        return name === undefined || ppid === undefined ? undefined : { name, ppid: Number(ppid) };
    } catch {
        return undefined;
    }
}

/** One line of `ps -o ppid=,comm=`: macOS prints the executable's path, Linux its name. */
export function parsePsLine(line: string): ProcessInfo | undefined {
    const m = /^\s*(\d+)\s+(.+?)\s*$/.exec(line);
    return m ? { ppid: Number(m[1]), name: path.basename(m[2]) } : undefined;
}

/** A process from `ps` (macOS, BSD: no /proc). */
export function psInfo(pid: number): ProcessInfo | undefined {
    try {
        const out = execFileSync("ps", ["-o", "ppid=,comm=", "-p", String(pid)], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
            timeout: 2000,
        });
        return parsePsLine(out.split("\n")[0] ?? "");
    } catch {
        return undefined;
    }
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** A pipe (Go's os.Pipe, as pulumi makes it) or a socket pair (as Node's spawn makes it). */
function stdinIsPipe(): boolean {
    try {
        const st = fs.fstatSync(0);
        return st.isFIFO() || st.isSocket();
    } catch {
        return false;
    }
}

// stdin is read once per process: a closed pipe stays closed for every later run.
let stdinClosed = false;
let stdinWatched = false;
const stdinListeners = new Set<() => void>();

/** The real process: /proc where it exists, `ps` elsewhere. */
export function hostView(): HostView {
    const hasProc = fs.existsSync("/proc/self/status");
    return {
        ppid: () => process.ppid,
        info: (pid) => (hasProc ? procInfo(pid) : psInfo(pid)),
        alive,
        readCancel(file) {
            try {
                return fs.readFileSync(file, "utf8").trim();
            } catch {
                return undefined;
            }
        },
        onStdinClosed(cb) {
            if (!stdinWatched && stdinIsPipe()) {
                stdinWatched = true;
                const closed = () => {
                    stdinClosed = true;
                    stdinListeners.forEach((l) => l());
                };
                process.stdin.on("end", closed).on("close", closed).on("error", closed);
                process.stdin.resume();
            }
            if (stdinClosed) {
                cb();
            }
            stdinListeners.add(cb);
            return () => stdinListeners.delete(cb);
        },
        onSignal(cb) {
            process.on("SIGINT", cb).on("SIGTERM", cb);
            return () => process.off("SIGINT", cb).off("SIGTERM", cb);
        },
    };
}

export interface HostClockOptions {
    view?: HostView;
    /** The release runner's cancel file (CANCEL_FILE_ENV); none: no cancellation by file. */
    cancelFile?: string;
    tickMs?: number;
}

export type HostClock = Clock & {
    /** Why the run must stop, or undefined while it may go on. */
    stopped(): Stop | undefined;
    /** Stops watching stdin and signals; call when the run ends. */
    dispose(): void;
};

/** A real clock whose sleep wakes every `tickMs` and throws EngineGone once the run must stop. */
export function hostClock(opts: HostClockOptions = {}): HostClock {
    const view = opts.view ?? hostView();
    const tickMs = opts.tickMs ?? 500;
    const parent = view.ppid();
    const pulumiPid = findPulumiAncestor(parent, view);
    let event: Stop | undefined;
    const unwatch = [
        view.onStdinClosed(() => {
            event ??= {
                reason: "orphaned",
                message: "the pulumi process that started this rollout is gone (its pipe closed)",
                exit: true,
            };
        }),
        view.onSignal((signal) => {
            event ??= {
                reason: "signalled",
                message: `the provider host got ${signal}: pulumi is terminating`,
                exit: true,
            };
        }),
    ];
    const stopped = (): Stop | undefined => {
        if (event) {
            return event;
        }
        if (view.ppid() !== parent) {
            return (event = {
                reason: "orphaned",
                message: `the process that started this rollout (pid ${parent}) is gone`,
                exit: true,
            });
        }
        if (pulumiPid !== undefined && !view.alive(pulumiPid)) {
            return (event = {
                reason: "orphaned",
                message: `the pulumi process (pid ${pulumiPid}) that started this rollout is gone`,
                exit: true,
            });
        }
        const why = opts.cancelFile === undefined ? undefined : view.readCancel(opts.cancelFile);
        if (why !== undefined) {
            return (event = {
                reason: "cancelled",
                message: `the release was cancelled (${why || "cancel file present"})`,
                exit: false,
            });
        }
        return undefined;
    };
    return {
        stopped,
        dispose: () => unwatch.forEach((u) => u()),
        now: () => Date.now(),
        async sleep(ms: number) {
            const end = Date.now() + ms;
            for (;;) {
                const stop = stopped();
                if (stop) {
                    throw new EngineGone(stop.message);
                }
                const left = end - Date.now();
                if (left <= 0) {
                    return;
                }
                await new Promise((r) => setTimeout(r, Math.min(left, tickMs)));
            }
        },
    };
}
