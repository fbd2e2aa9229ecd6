// What a release ended as, and its exit code: one table, the only home of the codes and their
// meanings; --help prints it and the README's "From CI" table is kept equal to it by a test.
// The classification reads only what the engine said: the runner's own signal, the rollouts'
// evidence (their outputs), policy events and error diagnostics.
import { resetFailed } from "../../components/rollout/core/restore";

export type Outcome = "promoted" | "rolled-back" | "invalid" | "infrastructure" | "cancelled";

/** Why the runner exits when no release outcome applies. */
export type RunnerExit = "usage" | "crash";

/** Exit codes, in the order --help lists them. */
export const EXIT_CODES: readonly {
    outcome: Outcome | RunnerExit;
    code: number;
    meaning: string;
}[] = [
    {
        outcome: "promoted",
        code: 0,
        meaning: "released: the canary was promoted, or no canary was needed",
    },
    {
        outcome: "crash",
        code: 1,
        meaning: "the runner itself failed (a bug): its stack trace is on stderr",
    },
    { outcome: "usage", code: 2, meaning: "bad command line" },
    {
        outcome: "rolled-back",
        code: 3,
        meaning: "the analysis failed: traffic is back on stable, stable unchanged",
    },
    {
        outcome: "invalid",
        code: 4,
        meaning: "invalid config or a mandatory policy violation: nothing was changed",
    },
    {
        outcome: "infrastructure",
        code: 5,
        meaning:
            "infrastructure error (cluster, Prometheus, backend, lock, CLI), or a failed reset",
    },
    {
        outcome: "cancelled",
        code: 6,
        meaning: "cancelled by SIGTERM/SIGINT: traffic back on stable, stack unlocked",
    },
];

export function exitCode(outcome: Outcome | RunnerExit): number {
    return EXIT_CODES.find((e) => e.outcome === outcome)!.code;
}

/** Everything the runner learnt from a preview or update that matters for its outcome. */
export interface Facts {
    /** The runner was told to stop (SIGTERM, SIGINT). */
    cancelled: boolean;
    /** The operation exited 0. */
    succeeded: boolean;
    /** Error diagnostics, and the CLI's own error text when it failed before the engine ran. */
    errors: string[];
    /** Mandatory policy violations, as "policy: message". */
    violations: string[];
    /** The reasons of the canaries this update rolled back, from their evidence. */
    rolledBack: string[];
}

// Where each pattern comes from (tests feed the real producers' messages through classify):
// - ROLLED_BACK: the reason of every aborted canary, components/rollout/core/engine.ts.
// - CONFIG: the program's ConfigError (components/config/index.ts); a provider's check failure
//   (CanaryRollout's check runs checkSpec), which the engine reports as "has a problem";
//   the CLI's checks of the stack file against Pulumi.yaml's declared types; a stack that does
//   not exist; secrets the CLI cannot decrypt (wrong passphrase or secrets provider).
const ROLLED_BACK = /canary "[^"]+" rolled back at /;
const CONFIG = [
    /invalid stack config \(/,
    /has a problem: /,
    /Stack '[^']+' is missing configuration/,
    /Stack '[^']+' with configuration key '[^']+' must be/,
    /no stack named '[^']+' found/,
    /failed to decrypt/,
];

/** The outcome, and the line that says why (the first that decided it). */
export function classify(f: Facts): { outcome: Outcome; reason: string } {
    const first = (re: RegExp) => f.errors.find((e) => re.test(e));
    if (f.succeeded) {
        // Even with a signal: it came too late to stop anything, the release is done.
        return { outcome: "promoted", reason: "" };
    }
    // The evidence first: it is there even when the program had no time to report the rollback.
    const rollback = f.rolledBack[0] ?? first(ROLLED_BACK);
    const rolledBack = rollback === undefined ? undefined : firstLine(rollback, ROLLED_BACK);
    if (f.cancelled) {
        return { outcome: "cancelled", reason: rolledBack ?? "cancelled" };
    }
    if (f.violations.length > 0) {
        return { outcome: "invalid", reason: `policy violation: ${f.violations[0]}` };
    }
    if (rolledBack !== undefined) {
        // Exit 3 promises traffic back on stable; a reset that failed keeps no such promise.
        const outcome = resetFailed(rollback!) ? "infrastructure" : "rolled-back";
        return { outcome, reason: rolledBack };
    }
    for (const re of CONFIG) {
        const e = first(re);
        if (e) {
            return { outcome: "invalid", reason: firstLine(e, re, false) };
        }
    }
    const any = f.errors.find((e) => e.trim() !== "");
    return {
        outcome: "infrastructure",
        reason: any ? any.trim().split("\n")[0] : "pulumi failed without an error message",
    };
}

/**
 * The line of a multi-line message that matches (from the match on, when `fromMatch`), and the
 * next one when it ends with a colon.
 */
function firstLine(text: string, re: RegExp, fromMatch = true): string {
    const lines = text.split("\n");
    const i = Math.max(
        0,
        lines.findIndex((l) => re.test(l)),
    );
    const line = (fromMatch ? lines[i].slice(Math.max(0, lines[i].search(re))) : lines[i]).trim();
    return line.endsWith(":") && lines[i + 1] ? `${line} ${lines[i + 1].trim()}` : line;
}
