import * as assert from "assert";
import { reportMarkdown } from "../../../../components/rollout/core/report";
import { summarize } from "../../../../components/rollout/core/evidence";
import { markdownSummary, ReleaseResult, Reporter } from "../../../../deployments/release/report";
import { ROLLED_BACK } from "../../../support/runs";

const base: ReleaseResult = {
    stack: "dev",
    outcome: "rolled-back",
    exitCode: 3,
    reason: 'canary "shop" rolled back at step 4/9 (setWeight 40%, weight 40%): success-rate 4 measurements failed',
    canaryRan: true,
    durationSeconds: 95.2,
    runs: [],
    notes: [],
    lines: [
        {
            seconds: 1.5,
            time: "2026-01-01T00:00:01.500Z",
            app: "shop",
            message: "step 1/9 setWeight 20%: canary replicas 1/4",
        },
        {
            seconds: 80,
            time: "2026-01-01T00:01:20.000Z",
            app: "shop",
            message: "a ``` fence | in a line",
        },
    ],
    errors: ["first error\nsecond line"],
};

/** A release that rolled back app "demo" (ROLLED_BACK) and promoted nothing else. */
const rolledBackDemo: ReleaseResult = {
    ...base,
    image: "demo:2",
    reason: ROLLED_BACK.reason,
    runs: [{ app: "demo", run: ROLLED_BACK }],
    lines: [
        {
            seconds: 1,
            time: "2026-01-01T00:00:01.000Z",
            app: "demo",
            message: "step 1/9 setWeight 20%: canary replicas 1/4",
        },
    ],
    // CanaryApp's error (the run's reason and evidence), then pulumi's own.
    errors: [`${ROLLED_BACK.reason}\n${summarize(ROLLED_BACK)}`, "update failed"],
};

describe("release/report", () => {
    it("text: one line per event, each naming its app; the outcome last", () => {
        const out: string[] = [];
        const r = new Reporter("dev", false, (l) => out.push(l));
        r.planned([
            { app: "shop", op: "update", canary: true },
            { app: "cart", op: "update", canary: false },
        ]);
        r.rollout(base.lines[0]);
        // CanaryCompletion's line, as complete() prints it for app "shop".
        r.rollout({
            seconds: 95,
            time: "2026-01-01T00:01:35.000Z",
            app: "shop",
            message: "stable runs 5104a0c0ff3a; canary weight 0, canary scaled to 0",
        });
        r.note("SIGTERM received");
        r.result(base);
        assert.deepStrictEqual(out, [
            "release dev: preview: a canary will run (shop)",
            "    1.5s  [canary shop] step 1/9 setWeight 20%: canary replicas 1/4",
            "   95.0s  [canary shop] stable runs 5104a0c0ff3a; canary weight 0, canary scaled to 0",
            "release dev: SIGTERM received",
            `release dev: rolled back (exit 3) in 95.2s: ${base.reason}`,
        ]);
    });

    it("--json: one JSON object per line, the result without the line and error lists", () => {
        const out: string[] = [];
        const r = new Reporter("dev", true, (l) => out.push(l));
        r.planned([{ app: "shop", op: "update", canary: false }]);
        r.rollout(base.lines[0]);
        r.result(rolledBackDemo);
        const parsed = out.map((l) => JSON.parse(l));
        for (const p of parsed) {
            assert.match(p.time, /^\d{4}-\d\d-\d\dT/);
            delete p.time;
        }
        assert.deepStrictEqual(parsed, [
            {
                type: "phase",
                stack: "dev",
                phase: "preview",
                detail: "no canary will run (no pod template changed)",
            },
            {
                type: "rollout",
                stack: "dev",
                seconds: 1.5,
                app: "shop",
                message: "step 1/9 setWeight 20%: canary replicas 1/4",
            },
            {
                type: "result",
                stack: "dev",
                image: "demo:2",
                outcome: "rolled-back",
                exitCode: 3,
                reason: ROLLED_BACK.reason,
                canaryRan: true,
                durationSeconds: 95.2,
                runs: [
                    {
                        app: "demo",
                        verdict: "Aborted",
                        templateHash: ROLLED_BACK.templateHash,
                        startedAt: ROLLED_BACK.startedAt,
                    },
                ],
            },
        ]);
    });

    it("Markdown with a run: the release's own rows, then the core's report of the run, nothing twice", () => {
        assert.strictEqual(
            markdownSummary(rolledBackDemo),
            [
                "## Release `dev`: rolled back (exit 3)",
                "",
                "| | |",
                "| --- | --- |",
                "| Image | `demo:2` |",
                "| Exit code | 3: the analysis failed: traffic is back on stable, stable unchanged |",
                "| Duration | 95.2 s |",
                "",
                reportMarkdown(ROLLED_BACK),
                "### Errors",
                "",
                "```text",
                "update failed",
                "```",
                "",
            ].join("\n"),
        );
    });

    it("Markdown without a run: the reason, the rollout lines and the errors in fences nothing can break", () => {
        assert.strictEqual(
            markdownSummary({ ...base, notes: ["SIGTERM received during the update"] }),
            [
                "## Release `dev`: rolled back (exit 3)",
                "",
                "| | |",
                "| --- | --- |",
                "| Exit code | 3: the analysis failed: traffic is back on stable, stable unchanged |",
                "| Duration | 95.2 s |",
                `| Why | ${base.reason} |`,
                "",
                "- SIGTERM received during the update",
                "",
                "### Rollout",
                "",
                "```text",
                "1.5s [canary shop] step 1/9 setWeight 20%: canary replicas 1/4",
                "80s [canary shop] a ''' fence | in a line",
                "```",
                "",
                "### Errors",
                "",
                "```text",
                "first error",
                "second line",
                "```",
                "",
            ].join("\n"),
        );
    });

    it("Markdown of a first deployment: no canary, the app's lines, no errors", () => {
        assert.strictEqual(
            markdownSummary({
                ...base,
                outcome: "promoted",
                exitCode: 0,
                reason: "",
                canaryRan: false,
                errors: ["a warning that failed nothing"],
                lines: [
                    {
                        seconds: 2,
                        time: "2026-01-01T00:00:02.000Z",
                        app: "shop",
                        message: "first deployment: promoted without a canary run",
                    },
                ],
            }),
            [
                "## Release `dev`: promoted (exit 0)",
                "",
                "| | |",
                "| --- | --- |",
                "| Exit code | 0: released: the canary was promoted, or no canary was needed |",
                "| Duration | 95.2 s |",
                "| Canary | none ran (first deployment, or no pod template changed) |",
                "",
                "### Rollout",
                "",
                "```text",
                "2s [canary shop] first deployment: promoted without a canary run",
                "```",
                "",
            ].join("\n"),
        );
    });
});
