// The report in a real headless browser (Debian's Chromium): the page a person opens after a
// rollback shows the verdict, both charts drawn (SVG with marks) and every measurement.
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { writeReport } from "../../../../../components/rollout/adapters/report";
import { ROLLED_BACK } from "../../../../support/runs";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => fs.existsSync(p));

describe("run report in headless Chromium", function () {
    this.timeout(120_000);
    let dir: string;

    before(function () {
        if (!CHROMIUM) {
            throw new Error("Chromium is not installed: `apt-get install chromium` (.ci/run does)");
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pd-report-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("shows the verdict, the weight chart, each metric's chart and the measurements", async () => {
        const { html, markdown } = await writeReport(ROLLED_BACK, dir);
        assert.ok(fs.readFileSync(markdown, "utf8").startsWith("### Canary rolled back"));
        const profile = fs.mkdtempSync(path.join(dir, "profile-"));
        const dom = execFileSync(
            CHROMIUM!,
            [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                `--user-data-dir=${profile}`,
                "--dump-dom",
                `file://${html}`,
            ],
            { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 60_000 },
        );
        assert.match(dom, /<h1 id="verdict" class="rolled-back">rolled back 5104a0c0ff3a/);
        const figures = [
            ...dom.matchAll(/<figure id="chart-([^"]+)" class="chart">([\s\S]*?)<\/figure>/g),
        ];
        assert.deepStrictEqual(
            figures.map((f) => f[1]),
            ["weight", "metric-success-rate", "metric-judge"],
        );
        for (const [, id, body] of figures) {
            assert.match(body, /<svg[^>]*class="marks"/, `${id} has an SVG`);
            // The line of each chart is drawn: a path with a real "d" attribute.
            assert.match(body, /<path[^>]* d="M[-\d.]+,[-\d.]+L/, `${id} draws its line`);
        }
        assert.strictEqual(dom.match(/<tr><td>/g)?.length, ROLLED_BACK.measurements.length);
        assert.doesNotMatch(dom, /https?:\/\/(?!www\.w3\.org)/, "nothing fetched from the network");
    });
});
