// Cancellation as CI does it (a SIGINT, then a SIGTERM a few seconds later, then SIGKILL).
//
// The first signal:
//   1. writes the cancel file: the provider host sees it within 500 ms, aborts the canary and
//      puts all traffic back on stable, and the CanaryRollout fails with that reason;
//   2. sends pulumi one SIGINT (the Automation API's AbortSignal): the engine starts no new
//      step, waits for the ones in flight (the rollout, now ending), writes the checkpoint and
//      releases the stack's lock. A terminal's Ctrl-C already reached pulumi (same foreground
//      process group), so then we send nothing: a second SIGINT would make it terminate.
// A second signal, or --cancel-timeout without the update ending, escalates: SIGTERM to pulumi
// (its "terminate": it stops its plugins, and the provider host, on that signal, puts traffic
// back on stable before it exits), then SIGKILL 3 s later; the runner then removes the lock a
// killed pulumi leaves (`pulumi cancel`, safe: the holder is gone).
import { execFileSync } from "child_process";
import * as path from "path";

export interface CancelPorts {
    writeCancelFile(reason: string): void;
    /** One SIGINT to pulumi (aborts the Automation API's AbortController). */
    interrupt(): void;
    /** The pulumi processes this runner started. */
    pulumiPids(): number[];
    kill(pid: number, signal: NodeJS.Signals): void;
    after(ms: number, fn: () => void): () => void;
    note(message: string): void;
    now(): number;
}

export class Cancellation {
    /** When the first signal came (ms), and which. */
    at?: number;
    signal?: NodeJS.Signals;
    /** pulumi was stopped by signal: its lock must be removed. */
    forced = false;
    private readonly timers: (() => void)[] = [];

    constructor(
        private readonly ports: CancelPorts,
        private readonly timeoutMs: number,
        private readonly killGraceMs = 3000,
    ) {}

    get requested(): boolean {
        return this.at !== undefined;
    }

    /** `fromTerminal`: a SIGINT from a terminal's Ctrl-C, which pulumi got as well. */
    onSignal(signal: NodeJS.Signals, fromTerminal: boolean): void {
        const p = this.ports;
        if (this.at === undefined) {
            this.at = p.now();
            this.signal = signal;
            p.writeCancelFile(`${signal} to the release runner`);
            if (!fromTerminal) {
                p.interrupt();
            }
            p.note(
                `${signal} received: cancelling; the canary puts traffic back on stable and the ` +
                    `update ends (pulumi is stopped after ${this.timeoutMs / 1000}s otherwise)`,
            );
            this.timers.push(
                p.after(this.timeoutMs, () => this.escalate("the update is still running")),
            );
        } else if (!this.forced) {
            this.escalate(`${signal} received again`);
        }
    }

    private escalate(why: string): void {
        const p = this.ports;
        this.forced = true;
        const pids = p.pulumiPids();
        p.note(
            `${why}: stopping pulumi (${pids.length ? `pid ${pids.join(", ")}` : "not running"})`,
        );
        for (const pid of pids) {
            p.kill(pid, "SIGTERM");
        }
        this.timers.push(
            p.after(this.killGraceMs, () => {
                for (const pid of p.pulumiPids()) {
                    p.kill(pid, "SIGKILL");
                }
            }),
        );
    }

    /** Seconds since the first signal. */
    since(): number {
        return this.at === undefined ? 0 : Math.round((this.ports.now() - this.at) / 100) / 10;
    }

    done(): void {
        this.timers.forEach((cancel) => cancel());
    }
}

/** Children of `parent` named pulumi, from `ps -A -o pid=,ppid=,comm=` (Linux and macOS). */
export function pulumiChildren(psOutput: string, parent: number): number[] {
    const pids: number[] = [];
    for (const line of psOutput.split("\n")) {
        const m = /^\s*(\d+)\s+(\d+)\s+(.+?)\s*$/.exec(line);
        if (m && Number(m[2]) === parent && path.basename(m[3]) === "pulumi") {
            pids.push(Number(m[1]));
        }
    }
    return pids;
}

export function realCancelPorts(opts: {
    writeCancelFile(reason: string): void;
    interrupt(): void;
    note(message: string): void;
}): CancelPorts {
    return {
        ...opts,
        pulumiPids() {
            try {
                const ps = execFileSync("ps", ["-A", "-o", "pid=,ppid=,comm="], {
                    encoding: "utf8",
                    stdio: ["ignore", "pipe", "ignore"],
                    timeout: 2000,
                });
                return pulumiChildren(ps, process.pid);
            } catch {
                return [];
            }
        },
        kill(pid, signal) {
            try {
                process.kill(pid, signal);
            } catch {
                // already gone
            }
        },
        after(ms, fn) {
            const t = setTimeout(fn, ms);
            return () => clearTimeout(t);
        },
        now: () => Date.now(),
    };
}
