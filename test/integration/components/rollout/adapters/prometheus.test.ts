// The analysis against a real Prometheus (Debian's package) started on a free loopback port,
// scraping a local exporter of ingress-nginx's metric that the test drives.
import * as assert from "assert";
import * as http from "http";
import { RolloutPlan, runRollout } from "../../../../../components/rollout/core/engine";
import { thresholdMetric } from "../../../../../components/rollout/core/metrics";
import {
    DEFAULT_REQUESTS_QUERY,
    DEFAULT_SUCCESS_RATE_QUERY,
} from "../../../../../components/rollout/core/queries";
import { stepsOf } from "../../../../support/spec";
import { prometheusSource } from "../../../../../components/rollout/adapters/prometheus";
import { RequestCounters, serveMetrics } from "../../../../../local/edge/counters";
import { freePort, PrometheusProcess } from "../../../../support/prometheus";
import { SyntheticTraffic } from "../../../../support/traffic";

const realClock = {
    now: () => Date.now(),
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
};
const args = {
    namespace: "demo",
    service: "demo-canary",
    stableService: "demo-stable",
    ingress: "demo-canary",
    failureStatus: "5..",
};

describe("analysis against a real Prometheus", function () {
    this.timeout(120_000);
    let prom: PrometheusProcess;
    let exporter: http.Server;
    let counters: RequestCounters;
    let traffic: SyntheticTraffic;

    beforeEach(async () => {
        counters = new RequestCounters();
        const exporterPort = await freePort();
        exporter = await serveMetrics(counters, exporterPort);
        prom = new PrometheusProcess(await freePort(), [`127.0.0.1:${exporterPort}`], 1);
        await prom.start();
        traffic = new SyntheticTraffic(counters, 50);
        traffic.start();
    });

    afterEach(async () => {
        traffic.stop();
        await prom.cleanup();
        await new Promise((r) => exporter.close(r));
    });

    async function run(
        limits: {
            failureLimit?: number;
            inconclusiveLimit?: number;
            consecutiveErrorLimit?: number;
        },
        steps = [{ setWeight: 50 }, { analysis: { count: 3 } }],
        deadlineSeconds = 60,
        onLine: (line: string) => void = () => {},
    ) {
        const source = await prometheusSource({ url: prom.url, timeoutSeconds: 2 });
        const metric = thresholdMetric(
            {
                name: "success-rate",
                query: DEFAULT_SUCCESS_RATE_QUERY,
                requestsQuery: DEFAULT_REQUESTS_QUERY,
                successCondition: "result[0] >= 0.95",
                intervalSeconds: 2,
                initialDelaySeconds: 3,
                failureLimit: limits.failureLimit ?? 1,
                inconclusiveLimit: limits.inconclusiveLimit ?? 3,
                consecutiveErrorLimit: limits.consecutiveErrorLimit ?? 2,
                minRequests: 10,
                windowSeconds: 20,
                failureStatus: "5..",
            },
            args,
            source,
            4,
        );
        const plan: RolloutPlan = {
            app: "demo",
            steps: stepsOf(steps),
            totalReplicas: 4,
            deadlineSeconds,
            metrics: [metric],
        };
        const lines: string[] = [];
        const result = await runRollout(plan, {
            router: traffic,
            workloads: traffic,
            clock: realClock,
            report: (l) => {
                lines.push(l);
                onLine(l);
            },
        });
        return { result, lines };
    }

    it("a healthy canary passes", async () => {
        traffic.errorRate = { stable: 0.01, canary: 0.01 };
        const { result } = await run({});
        assert.strictEqual(result.verdict, "Promoted", result.reason);
        const ok = result.measurements.filter((m) => m.phase === "Successful");
        assert.strictEqual(ok.length, 3);
        for (const m of ok) {
            assert.ok((m.value as number) >= 0.95 && (m.value as number) <= 1, String(m.value));
            assert.ok(m.requests! >= 10);
            assert.match(
                m.query,
                /^sum\(rate\(nginx_ingress_controller_requests\{namespace="demo",service="demo-canary",status!~"5\.\."\}\[\d+s\]\)\) \/ sum\(rate\(/,
            );
        }
    });

    it("a canary failing 30% of requests is rolled back within failureLimit+1 failed measurements", async () => {
        traffic.errorRate = { stable: 0.01, canary: 0.3 };
        const { result } = await run({ failureLimit: 1 });
        assert.strictEqual(result.verdict, "Aborted");
        const failed = result.measurements.filter((m) => m.phase === "Failed");
        assert.strictEqual(failed.length, 2);
        // Every measurement after the first scrapes saw the errors; none passed.
        assert.strictEqual(result.measurements.filter((m) => m.phase === "Successful").length, 0);
        for (const m of failed) {
            assert.ok(Math.abs((m.value as number) - 0.7) < 0.06, `success rate ${m.value}`);
        }
        assert.match(
            result.reason,
            /rolled back at step 2\/2 \(analysis \(3 successful measurements\), weight 50%\): success-rate 2 measurements failed "result\[0\] >= 0.95" \(failureLimit 1\); last value 0\.\d+ over (\d+ requests|~\d+(\.\d+)? requests \(estimated by increase\(\)\)): successCondition "result\[0\] >= 0.95" is false; query: sum\(rate/,
        );
        assert.deepStrictEqual(traffic.calls.slice(-3), ["weight 0", "header off", "scale 0"]);
        assert.strictEqual(traffic.weight, 0);
    });

    it("no traffic is Inconclusive, never a pass", async () => {
        traffic.rps = 0;
        const { result } = await run({ inconclusiveLimit: 2 });
        assert.strictEqual(result.verdict, "Aborted");
        assert.deepStrictEqual(
            result.measurements.map((m) => m.phase),
            ["Inconclusive", "Inconclusive", "Inconclusive"],
        );
        assert.match(
            result.reason,
            /success-rate 3 measurements were inconclusive .*\(inconclusiveLimit 2\)/,
        );
    });

    it("Prometheus stopped mid-analysis counts as Error up to consecutiveErrorLimit, then aborts", async () => {
        traffic.errorRate = { stable: 0, canary: 0 };
        // Stop Prometheus right after the first successful measurement.
        const { result } = await run(
            { consecutiveErrorLimit: 2 },
            [{ setWeight: 50 }, { analysis: { count: 100 } }],
            90,
            (line) => {
                if (line.includes(": Successful (")) {
                    void prom.stop();
                }
            },
        );
        assert.strictEqual(result.verdict, "Aborted");
        const phases = result.measurements.map((m) => m.phase);
        assert.ok(phases.includes("Successful"), phases.join(","));
        assert.deepStrictEqual(phases.slice(-3), ["Error", "Error", "Error"]);
        assert.match(
            result.reason,
            /3 measurements in a row were errors \(consecutiveErrorLimit 2\).*ECONNREFUSED/,
        );
    });
});
