// .github/workflows/release.yml cannot run here; its shape can be checked.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { parseDurationSeconds } from "../../components/rollout/core/check";
import { ROOT, stackFile } from "../support/stackConfig";

interface Workflow {
    on: {
        push: { branches: string[]; paths: string[] };
        workflow_dispatch: { inputs: { stack: { options: string[] }; image: unknown } };
    };
    concurrency: { group: string; "cancel-in-progress": boolean };
    jobs: Record<
        string,
        {
            "timeout-minutes": string;
            env: Record<string, string>;
            steps: { uses?: string; run?: string; with?: Record<string, unknown> }[];
        }
    >;
}

const workflow = yaml.load(
    fs.readFileSync(path.join(ROOT, ".github/workflows/release.yml"), "utf8"),
) as Workflow;
const job = workflow.jobs.release;
const STACK = "${{ inputs.stack || 'dev' }}";

/** The job's timeout per stack, from its one expression: (stack == 'prod' && P || D). */
function timeoutMinutes(stack: string): number {
    const m = /^\$\{\{ \(inputs\.stack \|\| 'dev'\) == 'prod' && (\d+) \|\| (\d+) \}\}$/.exec(
        job["timeout-minutes"],
    );
    assert.ok(m, `unexpected timeout-minutes: ${job["timeout-minutes"]}`);
    return Number(stack === "prod" ? m[1] : m[2]);
}

describe(".github/workflows/release.yml", () => {
    it("dev on push to main, prod (or dev) by hand, with an optional image", () => {
        assert.deepStrictEqual(workflow.on.push.branches, ["main"]);
        assert.ok(workflow.on.push.paths.includes("Pulumi.dev.yaml"));
        assert.ok(!workflow.on.push.paths.includes("Pulumi.prod.yaml"), "prod never on push");
        assert.deepStrictEqual(workflow.on.workflow_dispatch.inputs.stack.options, ["prod", "dev"]);
        assert.strictEqual(job.env.STACK, STACK);
        assert.strictEqual(job.env.IMAGE, "${{ inputs.image }}");
    });

    it("one release per stack at a time, never cancelling the one in progress", () => {
        assert.deepStrictEqual(workflow.concurrency, {
            group: `release-${STACK}`,
            "cancel-in-progress": false,
        });
    });

    for (const stack of ["dev", "prod"]) {
        it(`the job's timeout is above ${stack}'s rollout.deadline, with room to install`, () => {
            const rollout = stackFile(stack)["progressive-delivery:rollout"] as {
                deadline: string;
            };
            const deadlineMinutes = parseDurationSeconds(rollout.deadline)! / 60;
            assert.ok(
                timeoutMinutes(stack) >= deadlineMinutes + 15,
                `${stack}: timeout ${timeoutMinutes(stack)}m, deadline ${deadlineMinutes}m`,
            );
        });
    }

    it("npm ci, the pinned pulumi CLI, login, then the release runner; the image never inlined", () => {
        const steps = job.steps.map((s) => s.uses?.replace(/@.*/, "") ?? s.run!.trim());
        assert.deepStrictEqual(steps.slice(0, 5), [
            "actions/checkout",
            "actions/setup-node",
            "npm ci",
            "pulumi/actions",
            "pulumi login",
        ]);
        // The CLI the embedded stack builds and the e2e suite runs.
        const local = /_pd_pulumi_version=v(\S+)/.exec(
            fs.readFileSync(path.join(ROOT, "local/pulumi/env.sh"), "utf8"),
        )![1];
        assert.deepStrictEqual(job.steps[3].with, { "pulumi-version": local });
        const release = job.steps[5].run!;
        assert.match(release, /npm run release -- "\$\{args\[@\]\}"/);
        assert.match(release, /args=\(--stack "\$STACK"\)/);
        assert.doesNotMatch(release, /\$\{\{/, "inputs go through env, not into the script");
    });
});
