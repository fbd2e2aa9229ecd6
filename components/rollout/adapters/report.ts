// Writes a run's report: the charts rendered to SVG by vega / vega-lite (no browser, no network
// when the page is viewed), the HTML page and the Markdown summary, under
// ${XDG_STATE_HOME:-~/.local/state}/progressive-delivery/reports/NAMESPACE-APP/.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pathToFileURL } from "url";
import { chartSpecs, reportHtml, reportMarkdown } from "../core/report";
import type { RunEvidence } from "../core/state";

/**
 * vega and vega-lite are ES modules with top-level await, which require() cannot load, and
 * TypeScript compiles import() to require() under `module: commonjs`; this keeps a real import().
 */
// eslint-disable-next-line no-new-func
const importEsm = new Function("url", "return import(url)") as (url: string) => Promise<unknown>;

async function load<T>(name: string): Promise<T> {
    return (await importEsm(pathToFileURL(require.resolve(name)).href)) as T;
}

/** Each chart rendered to an SVG string. */
export async function renderCharts(
    run: RunEvidence,
): Promise<{ id: string; title: string; svg: string }[]> {
    const vega = await load<typeof import("vega")>("vega");
    // vega-lite's types resolve only under moduleResolution node16; compile() is all we use.
    const vl = await load<{ compile(spec: unknown): { spec: unknown } }>("vega-lite");
    const out = [];
    for (const c of chartSpecs(run)) {
        const compiled = vl.compile(c.spec).spec;
        const view = new vega.View(vega.parse(compiled as never), { renderer: "none" });
        out.push({ id: c.id, title: c.title, svg: await view.toSVG() });
        view.finalize();
    }
    return out;
}

/** Where a run's reports go by default. */
export function reportDir(namespace: string, app: string): string {
    const state = process.env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state");
    return path.join(state, "progressive-delivery", "reports", `${namespace}-${app}`);
}

/** Writes NAME.html and NAME.md for the run; returns their paths. */
export async function writeReport(
    run: RunEvidence,
    dir: string,
): Promise<{ html: string; markdown: string }> {
    fs.mkdirSync(dir, { recursive: true });
    const base = path.join(
        dir,
        `${run.startedAt.replace(/[:.]/g, "-")}-${run.verdict === "Promoted" ? "promoted" : "rolled-back"}`,
    );
    const html = `${base}.html`;
    const markdown = `${base}.md`;
    fs.writeFileSync(html, reportHtml(run, await renderCharts(run)));
    fs.writeFileSync(markdown, reportMarkdown(run, html));
    return { html, markdown };
}
