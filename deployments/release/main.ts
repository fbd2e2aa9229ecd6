// The release runner's entry: `npm run release -- --stack NAME [--image REF] [--json]`.
// See args.ts for the options and outcome.ts for the exit codes.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { CANCEL_FILE_ENV } from "../../components/rollout/core/names";
import { HELP, parseArgs, ReleaseArgs, UsageError } from "./args";
import { Cancellation, realCancelPorts } from "./cancel";
import { exitCode } from "./outcome";
import { markdownSummary, Reporter } from "./report";
import { release, StackPort } from "./runner";

async function openStack(args: ReleaseArgs, cancelFile: string): Promise<StackPort> {
    return LocalWorkspace.selectStack(
        { stackName: args.stack, workDir: args.cwd },
        { envVars: { [CANCEL_FILE_ENV]: cancelFile } },
    );
}

/** Runs the release the command line asks for; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
    let args: ReleaseArgs | undefined;
    try {
        args = parseArgs(argv);
    } catch (e) {
        if (e instanceof UsageError) {
            process.stderr.write(`release: ${e.message}\n`);
            return exitCode("usage");
        }
        throw e;
    }
    if (!args) {
        process.stdout.write(HELP);
        return 0;
    }
    const reporter = new Reporter(args.stack, args.json);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pd-release-"));
    const cancelFile = path.join(dir, "cancel");
    const controller = new AbortController();
    const cancellation = new Cancellation(
        realCancelPorts({
            writeCancelFile: (reason) => fs.writeFileSync(cancelFile, `${reason}\n`),
            interrupt: () => controller.abort(),
            note: (m) => reporter.note(m),
        }),
        args.cancelTimeoutSeconds * 1000,
    );
    // A terminal's Ctrl-C reaches the whole foreground process group, pulumi included.
    const onSignal = (signal: NodeJS.Signals) =>
        cancellation.onSignal(signal, signal === "SIGINT" && process.stdin.isTTY === true);
    process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
    try {
        const result = await release(args, {
            openStack: () => openStack(args, cancelFile),
            reporter,
            cancellation,
            signal: controller.signal,
        });
        result.notes.forEach((n) => reporter.note(n));
        reporter.result(result);
        if (process.env.GITHUB_STEP_SUMMARY) {
            fs.appendFileSync(process.env.GITHUB_STEP_SUMMARY, `${markdownSummary(result)}\n`);
        }
        return result.exitCode;
    } finally {
        cancellation.done();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.stdout.write("", () => process.exit(code)),
        (e) => {
            process.stderr.write(`release: ${(e as Error).stack ?? e}\n`);
            process.exit(exitCode("crash"));
        },
    );
}
