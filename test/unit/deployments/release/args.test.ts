import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { HELP, parseArgs, PROJECT_ROOT, UsageError } from "../../../../deployments/release/args";
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

    it("--help lists every exit code with its meaning", () => {
        for (const e of EXIT_CODES) {
            assert.ok(
                HELP.includes(`  ${String(e.code).padEnd(3)} ${e.meaning}\n`),
                `${e.code} missing`,
            );
        }
    });
});
