// The runner's command line: `npm run release -- --stack NAME [--image REF] [--json] ...`.
import * as path from "path";
import { EXIT_CODES } from "./outcome";

export interface ReleaseArgs {
    stack: string;
    /** Sets progressive-delivery:app.image in the stack's config before the preview. */
    image?: string;
    json: boolean;
    /** The Pulumi project directory. Defaults to this repository's root. */
    cwd: string;
    policyPacks: string[];
    /** After SIGTERM/SIGINT, how long the update may take to end by itself. Defaults to 8. */
    cancelTimeoutSeconds: number;
}

export class UsageError extends Error {
    override readonly name = "UsageError";
}

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export const HELP = `Usage: npm run release -- --stack NAME [--image REF] [--json] [options]

Previews, then updates the stack with the Automation API, printing one line per rollout event,
and exits with a code that says how the release ended. Writes a Markdown summary to
$GITHUB_STEP_SUMMARY when that is set.

Options:
  --stack NAME            the stack to release (required), e.g. dev or my-org/dev
  --image REF             set app.image (a pinned tag or digest) in the stack config first
  --json                  print JSON lines instead of text
  --cwd DIR               the Pulumi project directory (default: this repository)
  --policy-pack DIR       run a policy pack in the preview and the update (repeatable)
  --cancel-timeout SECS   after SIGTERM/SIGINT, how long the update may take to end before
                          pulumi is stopped and its lock removed (default 8)
  -h, --help              this text

SIGTERM or SIGINT cancels: the running canary puts all traffic back on stable within a second,
the update ends as cancelled and the stack is left unlocked; the next run retries from a reset.

Exit codes:
${EXIT_CODES.map((e) => `  ${String(e.code).padEnd(3)} ${e.meaning}`).join("\n")}
`;

/** Parses argv (without node and the script); undefined means --help was asked for. */
export function parseArgs(argv: string[], cwd = PROJECT_ROOT): ReleaseArgs | undefined {
    const out: ReleaseArgs = {
        stack: "",
        json: false,
        cwd,
        policyPacks: [],
        cancelTimeoutSeconds: 8,
    };
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        const value = (): string => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) {
                throw new UsageError(`${flag} needs a value; see --help`);
            }
            return v;
        };
        switch (flag) {
            case "-h":
            case "--help":
                return undefined;
            case "--stack":
                out.stack = value();
                break;
            case "--image":
                out.image = value();
                break;
            case "--json":
                out.json = true;
                break;
            case "--cwd":
                out.cwd = path.resolve(value());
                break;
            case "--policy-pack":
                out.policyPacks.push(path.resolve(value()));
                break;
            case "--cancel-timeout": {
                const v = value();
                const n = Number(v);
                if (!(Number.isFinite(n) && n > 0 && n <= 600)) {
                    throw new UsageError(
                        `--cancel-timeout ${JSON.stringify(v)} is not a number of seconds between 0 and 600; e.g. --cancel-timeout 8`,
                    );
                }
                out.cancelTimeoutSeconds = n;
                break;
            }
            default:
                throw new UsageError(`unknown argument ${JSON.stringify(flag)}; see --help`);
        }
    }
    if (out.stack === "") {
        throw new UsageError("--stack is required, e.g. --stack dev; see --help");
    }
    return out;
}
