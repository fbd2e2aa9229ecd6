import * as assert from "assert";
import {
    chartSpecs,
    conditionLimit,
    judgeBounds,
    reportHtml,
    reportMarkdown,
    weightSeries,
} from "../../../../../components/rollout/core/report";
import { ROLLED_BACK } from "../../../../support/runs";

describe("rollout/report (pure)", () => {
    it("the weight follows the steps and returns to 0 on a rollback", () => {
        assert.deepStrictEqual(weightSeries(ROLLED_BACK), [
            { t: 0, weight: 0 },
            { t: 4, weight: 20 },
            { t: 66, weight: 40 },
            { t: 130, weight: 0 },
        ]);
    });

    it("reads limits and bounds from the conditions it can", () => {
        assert.strictEqual(conditionLimit("result[0] >= 0.95"), 0.95);
        assert.strictEqual(conditionLimit("result < 0.05"), 0.05);
        assert.strictEqual(conditionLimit("result[0] >= 0.95 && result[0] <= 1"), undefined);
        assert.deepStrictEqual(judgeBounds(ROLLED_BACK.measurements[4].condition), {
            accept: -3.69,
            reject: 5.3,
        });
    });

    it("one chart for the weight, one per metric with its limit, one for the judge", () => {
        const charts = chartSpecs(ROLLED_BACK);
        assert.deepStrictEqual(
            charts.map((c) => c.id),
            ["weight", "metric-success-rate", "metric-judge"],
        );
        const layers = (charts[2].spec as { layer: { data: { values: unknown[] } }[] }).layer;
        assert.deepStrictEqual(layers[2].data.values, [
            { y: -3.69, label: "accept bound" },
            { y: 5.3, label: "reject bound" },
        ]);
        assert.deepStrictEqual(
            (charts[1].spec as { layer: { data: { values: unknown[] } }[] }).layer[2].data.values,
            [{ y: 0.95, label: "limit" }],
        );
    });

    it("the page escapes what it shows and holds every measurement", () => {
        const html = reportHtml({ ...ROLLED_BACK, reason: "<script>x</script>" }, []);
        assert.ok(!html.includes("<script>"));
        assert.strictEqual(html.match(/<tr><td>/g)?.length, ROLLED_BACK.measurements.length);
    });

    it("the Markdown summary fits a CI job summary", () => {
        const md = reportMarkdown(ROLLED_BACK, "/tmp/r.html").split("\n");
        assert.deepStrictEqual(md.slice(0, 5), [
            "### Canary rolled back: 5104a0c0ff3a",
            "",
            'canary "demo" rolled back at step 4/9 (pause 60s, weight 40%): success-rate 4 measurements failed',
            "",
            "Started 2026-11-29T18:00:00.000Z, 130s, 6 measurements. Report with charts: `/tmp/r.html`.",
        ]);
        assert.strictEqual(
            md[9],
            '| 60s | 2 pause 60s | 20% | success-rate | 0.71 | ~120 requests (estimated by increase()) | Failed | successCondition is false | `sum(rate(nginx_ingress_controller_requests{service="demo-canary",status!~"5.."}[60s])) / sum(...)` |',
        );
    });
});
