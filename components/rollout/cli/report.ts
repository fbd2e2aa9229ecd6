// npm run report -- --stack NAME [--out DIR] [--cwd PROJECT_DIR]
// Writes the report of a stack's last canary run again from its state (the `lastRun` and
// `lastPromotedRun` stack outputs), with the pulumi CLI on PATH and the stack's backend set up
// as for `pulumi up`. Prints the paths written.
import { execFileSync } from "child_process";
import * as path from "path";
import { reportDir, writeReport } from "../adapters/report";
import type { RunEvidence } from "../core/state";

const USAGE = "usage: npm run report -- --stack NAME [--out DIR] [--cwd PROJECT_DIR]";

function args(argv: string[]): { stack: string; out?: string; cwd: string } {
    const get = (flag: string) => {
        const i = argv.indexOf(flag);
        return i >= 0 ? argv[i + 1] : undefined;
    };
    const stack = get("--stack");
    if (!stack) {
        throw new Error(`--stack is required\n${USAGE}`);
    }
    return { stack, out: get("--out"), cwd: get("--cwd") ?? process.cwd() };
}

function output(name: string, stack: string, cwd: string): RunEvidence | null {
    const text = execFileSync(
        "pulumi",
        ["stack", "output", name, "--json", "--stack", stack, "--non-interactive"],
        { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
    );
    return JSON.parse(text) as RunEvidence | null;
}

async function main(): Promise<void> {
    const { stack, out, cwd } = args(process.argv.slice(2));
    const dir = path.resolve(out ?? reportDir("stack", stack));
    const last = output("lastRun", stack, cwd);
    const promoted = output("lastPromotedRun", stack, cwd);
    // After a promotion both outputs are the same run: write it once.
    const runs = [last, promoted?.startedAt === last?.startedAt ? null : promoted];
    for (const run of runs.filter((r): r is RunEvidence => !!r)) {
        const paths = await writeReport(run, dir);
        console.log(
            `${run.verdict} ${run.templateHash.slice(0, 12)}: ${paths.html} (Markdown: ${paths.markdown})`,
        );
    }
    if (!last && !promoted) {
        console.log(`stack ${stack} has no canary run in its outputs yet`);
    }
}

main().catch((e) => {
    console.error(`report: ${(e as Error).message}`);
    process.exit(1);
});
