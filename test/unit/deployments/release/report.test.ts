import * as assert from "assert";
import { markdownSummary, ReleaseResult, Reporter } from "../../../../deployments/release/report";

const base: ReleaseResult = {
    stack: "dev",
    outcome: "rolled-back",
    exitCode: 3,
    reason: 'canary "shop" rolled back at step 4/9 (setWeight 40%, weight 40%): success-rate 4 measurements failed',
    canaryRan: true,
    durationSeconds: 95.2,
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

describe("release/report", () => {
    it("text: one line per event, the outcome last", () => {
        const out: string[] = [];
        const r = new Reporter("dev", false, (l) => out.push(l));
        r.planned([{ resource: "shop-rollout", op: "update", canary: true }]);
        r.rollout(base.lines[0]);
        r.note("SIGTERM received");
        r.result(base);
        assert.deepStrictEqual(out, [
            "release dev: preview: a canary will run (shop-rollout)",
            "    1.5s  [canary shop] step 1/9 setWeight 20%: canary replicas 1/4",
            "release dev: SIGTERM received",
            `release dev: rolled back (exit 3) in 95.2s: ${base.reason}`,
        ]);
    });

    it("--json: one JSON object per line, the result without the line and error lists", () => {
        const out: string[] = [];
        const r = new Reporter("dev", true, (l) => out.push(l));
        r.planned([{ resource: "shop-rollout", op: "update", canary: false }]);
        r.rollout(base.lines[0]);
        r.result({ ...base, image: "shop:1.5.0" });
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
                image: "shop:1.5.0",
                outcome: "rolled-back",
                exitCode: 3,
                reason: base.reason,
                canaryRan: true,
                durationSeconds: 95.2,
            },
        ]);
    });

    it("Markdown summary: a table, the rollout and the errors in fences nothing can break", () => {
        assert.strictEqual(
            markdownSummary({ ...base, notes: ["SIGTERM received during the update"] }),
            [
                "## Release `dev`: rolled back (exit 3)",
                "",
                "| | |",
                "| --- | --- |",
                "| Canary | ran |",
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

    it("a promotion shows the verdict and the measurements, not the errors", () => {
        const md = markdownSummary({
            ...base,
            outcome: "promoted",
            exitCode: 0,
            reason: "",
            image: "shop:1.5.0",
            lastRun: {
                verdict: "Promoted",
                reason: 'canary "shop" promoted after 9 steps in 300s',
                headline: "after 9 steps in 300s",
                steps: [],
                durationSeconds: 300,
                startedAt: "2026-01-01T00:00:00Z",
                templateHash: "abc",
                measurements: [
                    {
                        metric: "success-rate",
                        phase: "Successful",
                        step: 8,
                        weight: 80,
                        atSeconds: 290,
                        query: "q",
                        value: 0.99,
                        message: "ok",
                        condition: "result[0] >= 0.95",
                    },
                ],
            },
        });
        assert.ok(md.includes("| Image | `shop:1.5.0` |\n"));
        assert.ok(
            md.includes('| Verdict | Promoted: canary "shop" promoted after 9 steps in 300s |\n'),
        );
        assert.ok(md.includes("| 290s | 9 | 80% | success-rate | 0.99 | Successful |\n"));
        assert.ok(!md.includes("### Errors"));
    });
});
