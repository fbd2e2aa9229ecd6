import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { HELP, parseArgs, PROJECT_ROOT, UsageError } from "../../../../deployments/release/args";
import { main } from "../../../../deployments/release/main";
import { EXIT_CODES } from "../../../../deployments/release/outcome";

const usage = (message: string) => (e: Error) => e instanceof UsageError && e.message === message;

describe("release/args", () => {
    it("--stack alone: the repository's project, text output, 8 s to cancel", () => {
        assert.deepStrictEqual(parseArgs(["--stack", "dev"]), {
            stack: "dev",
            json: false,
            cwd: PROJECT_ROOT,
            policyPacks: [],
            cancelTimeoutSeconds: 8,
        });
        assert.ok(fs.existsSync(path.join(PROJECT_ROOT, "Pulumi.yaml")));
    });

    it("every option", () => {
        assert.deepStrictEqual(
            parseArgs(
                [
                    "--stack",
                    "my-org/prod",
                    "--image",
                    "registry.example.com/shop:1.5.0",
                    "--json",
                    "--cwd",
                    "/tmp/ws",
                    "--policy-pack",
                    "/p1",
                    "--policy-pack",
                    "/p2",
                    "--cancel-timeout",
                    "2.5",
                ],
                "/unused",
            ),
            {
                stack: "my-org/prod",
                image: "registry.example.com/shop:1.5.0",
                json: true,
                cwd: "/tmp/ws",
                policyPacks: ["/p1", "/p2"],
                cancelTimeoutSeconds: 2.5,
            },
        );
    });

    it("--help", () => {
        assert.strictEqual(parseArgs(["--stack", "dev", "--help"]), undefined);
        assert.strictEqual(parseArgs(["-h"]), undefined);
    });

    it("bad command lines name the flag and the fix", () => {
        assert.throws(
            () => parseArgs([]),
            usage("--stack is required, e.g. --stack dev; see --help"),
        );
        assert.throws(() => parseArgs(["--stack"]), usage("--stack needs a value; see --help"));
        assert.throws(
            () => parseArgs(["--stack", "--json"]),
            usage("--stack needs a value; see --help"),
        );
        assert.throws(
            () => parseArgs(["--stack", "dev", "-x"]),
            usage('unknown argument "-x"; see --help'),
        );
        assert.throws(
            () => parseArgs(["--stack", "dev", "--cancel-timeout", "0"]),
            usage(
                '--cancel-timeout "0" is not a number of seconds between 0 and 600; e.g. --cancel-timeout 8',
            ),
        );
    });

    it("README's From CI table is the exit code table", () => {
        const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
        const section = readme.split("\n## From CI\n")[1].split("\n## ")[0];
        const rows = section.split("\n").filter((l) => /^\| \d+ \|/.test(l));
        assert.deepStrictEqual(
            rows,
            EXIT_CODES.map((e) => `| ${e.code} | ${e.meaning} |`),
        );
    });

    it("--help ends with the exit code table", () => {
        assert.ok(
            HELP.endsWith(
                [
                    "Exit codes:",
                    "  0   released: the canary was promoted, or no canary was needed",
                    "  1   the runner itself failed (a bug): its stack trace is on stderr",
                    "  2   bad command line",
                    "  3   the analysis failed: traffic is back on stable, stable unchanged",
                    "  4   invalid config or a mandatory policy violation: nothing was changed",
                    "  5   infrastructure error (cluster, Prometheus, backend, lock, CLI), or a failed reset",
                    "  6   cancelled by SIGTERM/SIGINT: traffic back on stable, stack unlocked",
                    "",
                ].join("\n"),
            ),
            HELP,
        );
    });

    describe("main: the exit code without a release", () => {
        /** Runs main with stdout and stderr captured. */
        async function run(argv: string[]) {
            const out = { code: -1, stdout: "", stderr: "" };
            const write = { stdout: process.stdout.write, stderr: process.stderr.write };
            process.stdout.write = ((s: string) => ((out.stdout += s), true)) as never;
            process.stderr.write = ((s: string) => ((out.stderr += s), true)) as never;
            try {
                out.code = await main(argv);
            } finally {
                process.stdout.write = write.stdout;
                process.stderr.write = write.stderr;
            }
            return out;
        }

        it("a bad command line: exit 2, the problem on stderr", async () => {
            assert.deepStrictEqual(await run(["--stack", "dev", "--cancel-timeout", "x"]), {
                code: 2,
                stdout: "",
                stderr: 'release: --cancel-timeout "x" is not a number of seconds between 0 and 600; e.g. --cancel-timeout 8\n',
            });
        });

        it("--help: exit 0, the help on stdout", async () => {
            assert.deepStrictEqual(await run(["--help"]), { code: 0, stdout: HELP, stderr: "" });
        });
    });
});
