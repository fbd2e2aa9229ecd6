// The judge's queries against a real Prometheus (Debian's package), started on a free loopback port
// and scraping two exporters of ingress-nginx's request counter every second (two controller
// replicas: two label sets for each Service). The test sets the counters itself, so it can do what
// a running ingress controller does to them: restart (a counter reset), see a status for the first
// time (a new failure series), lose a series (it goes stale).
import * as assert from "assert";
import * as http from "http";
import { prometheusSource } from "../../../../../components/rollout/adapters/prometheus";
import { judgeMetric } from "../../../../../components/rollout/core/judge/metric";
import { type JudgeSpec, SPEC_DEFAULTS } from "../../../../../components/rollout/core/spec";
import {
    MeasureContext,
    Metric,
    MetricsSource,
} from "../../../../../components/rollout/core/types";
import { freePort, PrometheusProcess } from "../../../../support/prometheus";
import { DEMO_ARGS } from "../../../../support/queryArgs";

/** One controller replica's /metrics: series set by the test, by service and status. */
class Exporter {
    readonly values = new Map<string, number>();
    server?: http.Server;
    port = 0;

    constructor(readonly pod: string) {}

    set(service: string, status: string, value: number): void {
        this.values.set(`${service}|${status}`, value);
    }

    drop(service: string, status: string): void {
        this.values.delete(`${service}|${status}`);
    }

    render(): string {
        const lines = ["# TYPE nginx_ingress_controller_requests counter"];
        for (const [key, v] of this.values) {
            const [service, status] = key.split("|");
            const canary = service === "demo-canary" ? "demo-canary" : "";
            lines.push(
                `nginx_ingress_controller_requests{canary="${canary}",controller_pod="${this.pod}",` +
                    `host="demo.local",ingress="${service}",method="GET",namespace="demo",path="/",` +
                    `service="${service}",status="${status}"} ${v}`,
            );
        }
        return lines.join("\n") + "\n";
    }

    async start(): Promise<void> {
        this.port = await freePort();
        this.server = http.createServer((_req, res) => {
            res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" });
            res.end(this.render());
        });
        await new Promise<void>((r) => this.server!.listen(this.port, "127.0.0.1", r));
    }

    stop(): Promise<void> {
        return new Promise((r) => this.server!.close(() => r()));
    }
}

/** The shipped defaults: tolerance 0.01, alpha 0.005, beta 0.05, minRequests 50, as a guard. */
const JUDGE: JudgeSpec = { ...SPEC_DEFAULTS.judge, intervalSeconds: 1 };

const ARGS = { ...DEMO_ARGS, scrapeIntervalSeconds: 1, deadlineSeconds: 60 };

const ctx = (seconds: number): MeasureContext => ({
    stepIndex: 0,
    weight: 20,
    canaryTrafficSeconds: seconds,
    weights: [{ atSeconds: 0, weight: 20 }],
});

describe("the judge's queries against a real Prometheus", function () {
    this.timeout(120_000);
    let prom: PrometheusProcess;
    let a: Exporter;
    let b: Exporter;
    let source: MetricsSource;

    beforeEach(async () => {
        a = new Exporter("controller-a");
        b = new Exporter("controller-b");
        await a.start();
        await b.start();
        // Stable has served for a while on both replicas; the canary has no series yet.
        a.set("demo-stable", "200", 9_900);
        a.set("demo-stable", "500", 100);
        b.set("demo-stable", "200", 4_950);
        b.set("demo-stable", "503", 50);
        prom = new PrometheusProcess(
            await freePort(),
            [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`],
            1,
        );
        await prom.start();
        source = await prometheusSource({ url: prom.url, timeoutSeconds: 2 });
    });

    afterEach(async () => {
        await prom.cleanup();
        await a.stop();
        await b.stop();
    });

    /** Waits until Prometheus has scraped the exporters' current values (both replicas). */
    async function scraped(): Promise<void> {
        const want = [...a.values.values(), ...b.values.values()].reduce((s, v) => s + v, 0);
        const deadline = Date.now() + 20_000;
        for (;;) {
            const r = await source.query(
                'sum(nginx_ingress_controller_requests{namespace="demo"})',
            );
            const count = await source.query(
                'count(nginx_ingress_controller_requests{namespace="demo"})',
            );
            if (r.values[0] === want && count.values[0] === a.values.size + b.values.size) {
                return;
            }
            if (Date.now() > deadline) {
                throw new Error(`Prometheus never showed ${want} requests: ${r.values}`);
            }
            await new Promise((res) => setTimeout(res, 200));
        }
    }

    async function measure(m: Metric, seconds: number) {
        await scraped();
        return m.measure(ctx(seconds));
    }

    /** The time (s) of each replica's latest sample of stable's series, from the raw samples. */
    async function latestSamples(): Promise<number[]> {
        const q = encodeURIComponent(
            'nginx_ingress_controller_requests{namespace="demo",service="demo-stable"}[10s]',
        );
        const body = (await (await fetch(`${prom.url}/api/v1/query?query=${q}`)).json()) as {
            data: { result: { metric: { instance: string }; values: [number, string][] }[] };
        };
        const latest = new Map<string, number>();
        for (const s of body.data.result) {
            const t = s.values[s.values.length - 1][0];
            latest.set(s.metric.instance, Math.max(t, latest.get(s.metric.instance) ?? 0));
        }
        return [...latest.values()];
    }

    /** A time difference on the 1-second cycle of the scrapes, in [0, 1). */
    const cycle = (d: number) => ((d % 1) + 1) % 1;
    /** How far apart two times are on that cycle. */
    const apart = (x: number, y: number) => Math.min(cycle(x - y), 1 - cycle(x - y));

    it("reads the time of the counters' latest scrape from Prometheus, and schedules its next reading just after a scrape", async () => {
        const m = judgeMetric(JUDGE, ARGS, source);
        await scraped();
        // The judge's clock starts now: canary traffic seconds = wall-clock seconds - t0.
        const t0 = Date.now() / 1000;
        // Read when the time is at least 0.25s away from either replica's scrape phase, so a
        // `timestamp()` that gave the evaluation time instead of the sample's would show.
        for (;;) {
            const phases = await latestSamples();
            if (phases.every((p) => apart(Date.now() / 1000, p) >= 0.25)) {
                break;
            }
            await new Promise((r) => setTimeout(r, 50));
        }
        const at = Date.now() / 1000 - t0;
        await m.measure(ctx(at));
        // The queries were evaluated up to this long after `at`: the judge's sample time is a
        // scrape's time less at most that.
        const took = Date.now() / 1000 - t0 - at;
        // Due 5s later: the judge reads 1s (the margin) after the last scrape before then.
        const next = m.nextReadingSeconds!(at + 5);
        assert.ok(next > at + 4 && next <= at + 5, `${next} not in (${at + 4}, ${at + 5}]`);
        const sample = next - 1;
        // Not the evaluation time: the latest scrape was at least 0.25s before `at`.
        assert.ok(cycle(at - sample) >= 0.2, `sample ${sample} at ${at}`);
        const phases = await latestSamples();
        assert.ok(
            phases.some(
                (p) => cycle(p - t0 - sample) <= took + 0.02 || cycle(p - t0 - sample) >= 0.98,
            ),
            `the judge's sample time ${sample + t0} is not a scrape's (${phases.join(", ")}; ` +
                `the queries took ${took}s)`,
        );
    });

    it("sums both replicas' label sets for each Service, and a failure series that first appears mid-run counts from 0", async () => {
        const m = judgeMetric(JUDGE, ARGS, source);
        const baseline = await measure(m, 0);
        assert.strictEqual(baseline.phase, "Inconclusive");
        // The canary's first requests, on both replicas; no failure series yet: 0 failures.
        a.set("demo-canary", "200", 30);
        b.set("demo-canary", "200", 10);
        a.set("demo-stable", "200", 9_900 + 100);
        b.set("demo-stable", "200", 4_950 + 60);
        const first = await measure(m, 1);
        assert.strictEqual(first.phase, "Successful");
        assert.deepStrictEqual((first.value as number[]).slice(2), [0, 40, 0, 160]);
        // A 500 on the canary's replica b: a series Prometheus has never seen, value 4.
        b.set("demo-canary", "500", 4);
        a.set("demo-canary", "200", 60);
        a.set("demo-stable", "500", 102);
        a.set("demo-stable", "200", 10_100);
        const second = await measure(m, 2);
        assert.deepStrictEqual((second.value as number[]).slice(2), [4, 74, 2, 262]);
        assert.match(second.message, /^canary 4\/74 failed \(5\.4%\) vs stable 2\/262 \(0\.76%\)/);
    });

    it("skips the interval in which a replica restarted (its counters went down) and counts on from there", async () => {
        const m = judgeMetric(JUDGE, ARGS, source);
        a.set("demo-canary", "200", 100);
        a.set("demo-canary", "500", 1);
        await measure(m, 0);
        a.set("demo-canary", "200", 140);
        a.set("demo-stable", "200", 10_060);
        await measure(m, 1);
        // Replica a restarts: every counter it exports starts again near 0.
        a.set("demo-canary", "200", 5);
        a.set("demo-canary", "500", 0);
        a.set("demo-stable", "200", 20);
        a.set("demo-stable", "500", 0);
        const reset = await measure(m, 2);
        assert.strictEqual(reset.phase, "Inconclusive");
        assert.match(
            reset.message,
            /: a counter went down or jumped \(restart or failed scrape\); interval skipped$/,
        );
        a.set("demo-canary", "200", 45);
        a.set("demo-stable", "200", 180);
        const after = await measure(m, 3);
        assert.strictEqual(after.phase, "Successful");
        // 40 canary requests before the restart, 40 after; the restart's interval is not counted.
        assert.deepStrictEqual((after.value as number[]).slice(2), [0, 80, 0, 320]);
    });

    it("a series that goes stale is a missing reading, not a reset to 0; its return counts on", async () => {
        const m = judgeMetric(JUDGE, ARGS, source);
        a.set("demo-canary", "200", 100);
        await measure(m, 0);
        a.set("demo-canary", "200", 140);
        await measure(m, 1);
        // Stable's only failure series on replica b vanishes from the exposition: Prometheus marks
        // it stale at the next scrape and an instant query no longer returns it.
        b.drop("demo-stable", "503");
        b.set("demo-stable", "200", 5_000);
        await scraped();
        const gone = await m.measure(ctx(2));
        assert.strictEqual(gone.phase, "Inconclusive");
        assert.match(
            gone.message,
            /: a counter went down or jumped \(restart or failed scrape\); interval skipped$/,
        );
        // Both failure series vanish: the failures query is empty where it had a value.
        a.drop("demo-stable", "500");
        await scraped();
        const empty = await m.measure(ctx(3));
        assert.match(
            empty.message,
            /: no value for stableFailures \(NaN, or no series where there was one\); reading skipped$/,
        );
        a.set("demo-stable", "500", 100);
        b.set("demo-stable", "503", 50);
        a.set("demo-canary", "200", 180);
        a.set("demo-stable", "200", 10_060);
        const back = await measure(m, 4);
        assert.strictEqual(back.phase, "Successful");
        // 40 more canary requests; stable's 210 requests include the 50 failures its returning
        // series brings back: a returning series' history counts once (a jump guard catches
        // only discontinuities of 20x an interval).
        assert.deepStrictEqual((back.value as number[]).slice(2), [0, 80, 50, 210]);
    });
});
