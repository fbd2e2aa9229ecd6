// A report of one run, pure: the charts as vega-lite specs (rendered to SVG by
// adapters/report.ts), a self-contained HTML page and a Markdown summary fit for a CI job summary.
import { fmt, fmtRequests } from "./analysis";
import { verdictLine } from "./evidence";
import { describeStep } from "./plan";
import type { RunEvidence } from "./state";

/** A chart: its title and its vega-lite spec (data inline: nothing is fetched when viewed). */
export interface ChartSpec {
    id: string;
    title: string;
    spec: Record<string, unknown>;
}

const WIDTH = 640;
const HEIGHT = 180;

/** The weight the canary had from each second of the run on, as the steps set it. */
export function weightSeries(run: RunEvidence): { t: number; weight: number }[] {
    const points = [{ t: 0, weight: 0 }];
    let weight = 0;
    for (const s of run.steps) {
        if ("setWeight" in s.step) {
            weight = s.step.setWeight;
            points.push({ t: s.endedAtSeconds, weight });
        }
    }
    // A rollback puts every request back on stable at the end of the run.
    points.push({ t: run.durationSeconds, weight: run.verdict === "Promoted" ? weight : 0 });
    return points;
}

/** The number a threshold condition compares with, e.g. 0.95 for `result[0] >= 0.95`. */
export function conditionLimit(condition: string): number | undefined {
    const m = /^\s*result(?:\[0\])?\s*(?:>=|>|<=|<)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(condition);
    return m ? Number(m[1]) : undefined;
}

/** The judge's accept and reject bounds, as its condition states them. */
export function judgeBounds(condition: string): { accept?: number; reject?: number } {
    const accept = /<=\s*(-?\d+(?:\.\d+)?)\s*accept/.exec(condition);
    const reject = />=\s*(-?\d+(?:\.\d+)?)\s*reject/.exec(condition);
    return {
        accept: accept ? Number(accept[1]) : undefined,
        reject: reject ? Number(reject[1]) : undefined,
    };
}

const PHASE_COLORS = {
    domain: ["Successful", "Failed", "Inconclusive", "Error"],
    range: ["#2e7d32", "#c62828", "#9e9e9e", "#ef6c00"],
};

/** One chart for the weight, one per metric against its limit, one for the judge's evidence. */
export function chartSpecs(run: RunEvidence): ChartSpec[] {
    const charts: ChartSpec[] = [
        {
            id: "weight",
            title: "Canary weight over time (%)",
            spec: {
                width: WIDTH,
                height: HEIGHT,
                data: { values: weightSeries(run) },
                mark: { type: "line", interpolate: "step-after", point: true },
                encoding: {
                    x: { field: "t", type: "quantitative", title: "seconds since the run started" },
                    y: {
                        field: "weight",
                        type: "quantitative",
                        title: "weight %",
                        scale: { domain: [0, 100] },
                    },
                },
            },
        },
    ];
    const names = [...new Set(run.measurements.map((m) => m.metric))];
    for (const name of names) {
        const own = run.measurements.filter((m) => m.metric === name);
        const judge = name === "judge";
        const values = own
            .map((m) => ({
                t: m.atSeconds,
                value: Array.isArray(m.value) ? m.value[0] : m.value,
                phase: m.phase,
            }))
            .filter((p) => typeof p.value === "number" && Number.isFinite(p.value));
        const rules: { y: number; label: string }[] = [];
        if (judge) {
            const b = judgeBounds(own[0]?.condition ?? "");
            if (b.accept !== undefined) rules.push({ y: b.accept, label: "accept bound" });
            if (b.reject !== undefined) rules.push({ y: b.reject, label: "reject bound" });
        } else {
            const limit = conditionLimit(own.find((m) => m.condition)?.condition ?? "");
            if (limit !== undefined) rules.push({ y: limit, label: "limit" });
        }
        charts.push({
            id: `metric-${name}`,
            title: judge
                ? "Judge: evidence (log-likelihood ratio) against its bounds"
                : `${name}: value per measurement against its limit`,
            spec: {
                width: WIDTH,
                height: HEIGHT,
                layer: [
                    {
                        data: { values },
                        mark: { type: "line", point: { filled: true, size: 60 } },
                        encoding: {
                            x: {
                                field: "t",
                                type: "quantitative",
                                title: "seconds since the run started",
                            },
                            y: {
                                field: "value",
                                type: "quantitative",
                                title: judge ? "log-LR" : name,
                            },
                        },
                    },
                    {
                        data: { values },
                        mark: { type: "point", filled: true, size: 80 },
                        encoding: {
                            x: { field: "t", type: "quantitative" },
                            y: { field: "value", type: "quantitative" },
                            color: { field: "phase", type: "nominal", scale: PHASE_COLORS },
                        },
                    },
                    {
                        data: { values: rules },
                        mark: { type: "rule", strokeDash: [6, 4], color: "#555" },
                        encoding: { y: { field: "y", type: "quantitative" } },
                    },
                ],
            },
        });
    }
    return charts;
}

function escape(s: string): string {
    return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function measurementRows(run: RunEvidence): string[][] {
    return run.measurements.map((m) => {
        const step = run.steps[m.step]?.step;
        return [
            `${m.atSeconds}s`,
            `${m.step + 1}${step ? ` ${describeStep(step)}` : ""}`,
            `${m.weight}%`,
            m.metric,
            fmt(m.value),
            m.requests === undefined ? "" : fmtRequests(m.requests),
            m.phase,
            m.message,
            m.query,
        ];
    });
}

const HEADERS = ["t", "step", "weight", "metric", "value", "requests", "phase", "why", "query"];

/** A self-contained page: verdict, charts (inline SVG), the measurements with their queries. */
export function reportHtml(
    run: RunEvidence,
    charts: { id: string; title: string; svg: string }[],
): string {
    const verdictClass = run.verdict === "Promoted" ? "promoted" : "rolled-back";
    const rows = measurementRows(run)
        .map(
            (r) =>
                `<tr>${r.map((c, i) => (i === 8 ? `<td><code>${escape(c)}</code></td>` : `<td>${escape(c)}</td>`)).join("")}</tr>`,
        )
        .join("\n");
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>canary ${escape(run.templateHash.slice(0, 12))}: ${escape(run.verdict)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; } .promoted { color: #2e7d32; } .rolled-back { color: #c62828; }
table { border-collapse: collapse; font-size: 12px; } td, th { border: 1px solid #ccc; padding: 2px 6px; vertical-align: top; }
code { font-size: 11px; word-break: break-all; } figure { margin: 1em 0; }
</style>
</head>
<body>
<h1 id="verdict" class="${verdictClass}">${escape(verdictLine(run))}</h1>
<p id="reason">${escape(run.reason)}</p>
<p>Started ${escape(run.startedAt)}; ${run.durationSeconds}s; template ${escape(run.templateHash)}.</p>
${charts.map((c) => `<figure id="chart-${escape(c.id)}" class="chart"><figcaption>${escape(c.title)}</figcaption>\n${c.svg}\n</figure>`).join("\n")}
<h2>Measurements</h2>
<table id="measurements">
<thead><tr>${HEADERS.map((h) => `<th>${h}</th>`).join("")}</tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}

/** The run as Markdown, for `$GITHUB_STEP_SUMMARY` and the like. */
export function reportMarkdown(run: RunEvidence, htmlPath?: string): string {
    const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
    const lines = [
        `### Canary ${run.verdict === "Promoted" ? "promoted" : "rolled back"}: ${run.templateHash.slice(0, 12)}`,
        "",
        cell(run.reason),
        "",
        `Started ${run.startedAt}, ${run.durationSeconds}s, ${run.measurements.length} measurements.` +
            (htmlPath ? ` Report with charts: \`${htmlPath}\`.` : ""),
        "",
        `| ${HEADERS.join(" | ")} |`,
        `| ${HEADERS.map(() => "---").join(" | ")} |`,
        ...measurementRows(run).map(
            (r) => `| ${r.map((c, i) => (i === 8 ? `\`${cell(c)}\`` : cell(c))).join(" | ")} |`,
        ),
    ];
    return lines.join("\n") + "\n";
}
