// The provider host's clock, and a watch on the `pulumi` process that started the run.
//
// When `pulumi up` is killed (SIGKILL, a second Ctrl-C), its dynamic-provider host is not: it
// keeps running the rollout with nobody reading its result, and would step weights while the
// next `pulumi up` runs its own canary. So the host finds its nearest ancestor named `pulumi`
// when the run starts and, at every tick of the clock, checks that it is still alive; when it is
// gone, sleep() throws, the engine aborts and puts traffic back on stable.
import * as fs from "fs";
import { Clock } from "../core/types";

/** The nearest ancestor process whose name is exactly "pulumi", from /proc (Linux). */
export function findPulumiAncestor(start = process.ppid, proc = "/proc"): number | undefined {
    let pid = start;
    for (let depth = 0; pid > 1 && depth < 10; depth++) {
        try {
            const status = fs.readFileSync(`${proc}/${pid}/status`, "utf8");
            const name = /^Name:\s+(.*)$/m.exec(status)?.[1];
            if (name === "pulumi") {
                return pid;
            }
            pid = Number(/^PPid:\s+(\d+)$/m.exec(status)?.[1] ?? 0);
        } catch {
            return undefined; // no /proc (not Linux) or the process is gone: no watch
        }
    }
    return undefined;
}

export class EngineGone extends Error {}

/** A run ended because its `pulumi` is gone: the provider host should exit, nobody is left. */
export class OrphanedRun extends Error {
    override readonly name = "OrphanedRun";
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** A real clock whose sleep wakes every `tickMs` to check that `pulumi` (if found) still runs. */
export function hostClock(
    pulumiPid = findPulumiAncestor(),
    tickMs = 1000,
): Clock & { orphaned(): boolean } {
    const orphaned = () => pulumiPid !== undefined && !alive(pulumiPid);
    return {
        orphaned,
        now: () => Date.now(),
        async sleep(ms: number) {
            const end = Date.now() + ms;
            for (;;) {
                if (orphaned()) {
                    throw new EngineGone(
                        `the pulumi process (pid ${pulumiPid}) that started this rollout is gone`,
                    );
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
