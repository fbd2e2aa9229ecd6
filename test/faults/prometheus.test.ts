// The fault suite for the analysis: the real prometheusSource, thresholdMetric and runRollout
// against a misbehaving Prometheus (fakePrometheus.ts). Whatever Prometheus answers, a canary is
// promoted only on well-formed, healthy answers; every other answer rolls it back with a
// message that names what came back, and every run ends within its deadline.
//
// The engine's clock skips its sleeps (pauses, measurement intervals) but counts real time, so a
// query that hangs for 0.5 s costs the run 0.5 s of its deadline; the adapter runs on real
// timers with a 0.5 s timeout, so the whole suite takes seconds.
import * as assert from "assert";
import { prometheusSource } from "../../components/rollout/adapters/prometheus";
import { RolloutPlan, runRollout } from "../../components/rollout/core/engine";
import { thresholdMetric } from "../../components/rollout/core/metrics";
import { KEYS } from "../../components/rollout/core/judge/counts";
import { judgeAgeQuery, JUDGE_QUERIES } from "../../components/rollout/core/judge/metric";
import { DEFAULT_SUCCESS_RATE_QUERY, renderQuery } from "../../components/rollout/core/queries";
import { resolveSpec } from "../../components/rollout/core/spec";
import { Clock, RolloutResult } from "../../components/rollout/core/types";
import { buildMetrics } from "../../components/rollout/provider/impl";
import { RecordingCluster } from "../support/fakes";
import { demoInputs } from "../support/rolloutRun";
import {
    always,
    FakePrometheus,
    healthy,
    isRequestsQuery,
    manySeries,
    Mode,
    ok,
    rate,
    requests,
    vector,
} from "./fakePrometheus";
import { DEMO_ARGS as ARGS } from "../support/queryArgs";

/** Real time, plus every sleep skipped: now() moves with work, not with waiting. */
class SkippingClock implements Clock {
    private skipped = 0;
    now(): number {
        return Date.now() + this.skipped;
    }
    async sleep(ms: number): Promise<void> {
        this.skipped += Math.max(0, ms);
        await new Promise((r) => setImmediate(r));
    }
}

const SCRAPE_SECONDS = 5;
const WINDOW_SECONDS = 4 * SCRAPE_SECONDS;
const QUERY = renderQuery(DEFAULT_SUCCESS_RATE_QUERY, { ...ARGS, window: `${WINDOW_SECONDS}s` });
/** A query's time: long enough for three attempts (0, 250 and 750 ms) on a busy machine. */
const TIMEOUT_SECONDS = 2;
const TIMEOUT = "the 2s a query may take (monitoring.prometheus.timeout)";
/** For the silent modes, where the timeout is what is tested: a short one keeps them fast. */
const SHORT = { timeoutSeconds: 0.5 };
const SHORT_TIMEOUT = "the 0.5s a query may take (monitoring.prometheus.timeout)";
const AT = "step 2/2 (analysis (3 successful measurements), weight 50%)";
const RESET = "; traffic is back on the stable version and the canary is scaled to 0";
const SERIES =
    "series, but a metric's query must return exactly one; aggregate them with sum(...), e.g. sum(rate(...[{{args.window}}]))";
const NOT_VECTOR =
    "not an instant vector; a metric's query must return exactly one series, e.g. sum(rate(...[{{args.window}}]))";
/**
 * durationSeconds is rounded to 0.1 s and a timer fires a few ms late: a run cut at its
 * deadline reports at most one rounding step more.
 */
const ROUNDING_SECONDS = 0.1;

interface RunOptions {
    timeoutSeconds?: number;
    deadline?: string;
    initialDelay?: string | number;
    url?: string;
    /** The metrics as the provider builds them (buildMetrics): the threshold metric and the judge. */
    judge?: boolean;
}

describe("faults: a misbehaving Prometheus never promotes a canary", function () {
    this.timeout(20_000);
    const prom = new FakePrometheus();
    before(() => prom.start());
    after(() => prom.stop());
    beforeEach(() => {
        prom.received.length = 0;
    });

    async function run(mode: Mode, o: RunOptions = {}) {
        prom.mode = mode;
        const { spec, problems } = resolveSpec(
            {
                steps: [{ setWeight: 50 }, { analysis: { count: 3 } }],
                deadline: o.deadline ?? "60s",
                // The rollback's scale-down delay is not what these runs test.
                abortScaleDownDelay: 0,
                analysis: {
                    metrics: [
                        {
                            interval: "1s",
                            initialDelay: o.initialDelay ?? 0,
                            window: `${WINDOW_SECONDS}s`,
                            inconclusiveLimit: 1,
                            consecutiveErrorLimit: 1,
                        },
                    ],
                },
            },
            { scrapeIntervalSeconds: SCRAPE_SECONDS },
        );
        assert.deepStrictEqual(problems, []);
        const source = await prometheusSource({
            url: o.url ?? prom.url,
            timeoutSeconds: o.timeoutSeconds ?? TIMEOUT_SECONDS,
        });
        const plan: RolloutPlan = {
            app: "demo",
            steps: spec.steps,
            totalReplicas: 4,
            deadlineSeconds: spec.deadlineSeconds,
            metrics: o.judge
                ? buildMetrics(
                      demoInputs({ ...spec, scrapeIntervalSeconds: SCRAPE_SECONDS }),
                      source,
                  )
                : [thresholdMetric(spec.metrics[0], ARGS, source, WINDOW_SECONDS)],
        };
        const cluster = new RecordingCluster();
        const result = await runRollout(plan, {
            router: cluster,
            workloads: cluster,
            clock: new SkippingClock(),
            report: () => {},
        });
        // Bounded: the run ends within its deadline, whatever Prometheus does.
        assert.ok(
            result.durationSeconds <= plan.deadlineSeconds + ROUNDING_SECONDS,
            `${result.durationSeconds}s > deadline ${plan.deadlineSeconds}s`,
        );
        return { result, cluster };
    }

    /** Rolled back: never promoted, all traffic back on stable, no successful measurement. */
    function assertRolledBack(result: RolloutResult, cluster: RecordingCluster): void {
        assert.strictEqual(result.verdict, "Aborted", result.reason);
        assert.deepStrictEqual(cluster.calls.slice(-3), ["weight 0", "header off", "scale 0"]);
        assert.ok(!cluster.calls.includes("weight 100"), cluster.calls.join(", "));
        assert.deepStrictEqual(
            result.measurements.filter((m) => m.phase === "Successful"),
            [],
        );
    }

    /** The verdict when the last two measurements were errors (consecutiveErrorLimit 1). */
    const errors = (message: string, last = "no value") =>
        `canary "demo" rolled back at ${AT}: success-rate 2 measurements in a row were errors (consecutiveErrorLimit 1); last value ${last}: ${message}; query: ${QUERY}${RESET}`;
    const inconclusive = (message: string, last: string) =>
        `canary "demo" rolled back at ${AT}: success-rate 2 measurements were inconclusive "result[0] >= 0.95" (inconclusiveLimit 1); last value ${last}: ${message}; query: ${QUERY}${RESET}`;
    const failed = (what: string) => `Prometheus query at ${prom.url} failed${what}`;

    describe("controls: the same harness promotes a healthy canary", () => {
        it("healthy answers promote", async () => {
            const { result } = await run(healthy);
            assert.strictEqual(result.verdict, "Promoted", result.reason);
            assert.deepStrictEqual(
                result.measurements.map((m) => [m.phase, m.value, m.requests]),
                [
                    ["Successful", 0.99, 120],
                    ["Successful", 0.99, 120],
                    ["Successful", 0.99, 120],
                ],
            );
        });

        it("slow answers within the timeout promote", async () => {
            const { result } = await run((q) => ({ afterMs: 100, then: healthy(q) }));
            assert.strictEqual(result.verdict, "Promoted", result.reason);
        });

        it("Retry-After on a 503 is waited out within the timeout, then the canary is measured", async () => {
            let first = true;
            const { result } = await run(
                (q) => {
                    if (!isRequestsQuery(q) && first) {
                        first = false;
                        return { status: 503, body: "", headers: { "retry-after": "1" } };
                    }
                    return healthy(q);
                },
                { timeoutSeconds: 3 },
            );
            assert.strictEqual(result.verdict, "Promoted", result.reason);
            const rates = prom.received.filter((r) => !isRequestsQuery(r.query));
            assert.ok(rates[1].at - rates[0].at >= 1000, "the retry came before Retry-After");
        });
    });

    // [mode, its answers, the verdict, run options]
    const cases: [string, Mode, () => string, RunOptions?][] = [
        [
            "three series",
            rate(vector("0.99", "0.97", "0.2")),
            () => errors(`the query returned 3 ${SERIES}`, "no value over 120 requests"),
        ],
        [
            "2,000 series",
            rate(manySeries(2000)),
            () => errors(`the query returned 2000 ${SERIES}`, "no value over 120 requests"),
        ],
        [
            "200,000 series (17 MB)",
            rate(manySeries(200_000)),
            () =>
                errors(
                    failed(
                        ": the answer is larger than 1 MiB (the most read of one answer), so it holds far more than one series; a metric's query must return exactly one: aggregate with sum(...)",
                    ),
                ),
        ],
        [
            "a success rate of 7.5",
            rate(vector("7.5")),
            () =>
                errors(
                    "the query returned 7.5, outside the metric's range [0, 1]; check the query, or declare the range of its values",
                    "7.5 over 120 requests",
                ),
        ],
        [
            "+Inf",
            rate(vector("+Inf")),
            () =>
                errors(
                    "the query returned +Inf, outside the metric's range [0, 1] (a division by zero?); check the query, or declare the range of its values",
                    "+Inf over 120 requests",
                ),
        ],
        [
            "-Inf",
            rate(vector("-Inf")),
            () =>
                errors(
                    "the query returned -Inf, outside the metric's range [0, 1] (a division by zero?); check the query, or declare the range of its values",
                    "-Inf over 120 requests",
                ),
        ],
        [
            "NaN",
            rate(vector("NaN")),
            () =>
                inconclusive(
                    "the query returned NaN (no requests in the window?)",
                    "NaN over 120 requests",
                ),
        ],
        [
            "empty vector",
            rate(vector()),
            () =>
                inconclusive(
                    "the query returned no data (empty vector)",
                    "no value over 120 requests",
                ),
        ],
        [
            "requests query: three series",
            requests(vector("50", "60", "70")),
            () => errors(`the requestsQuery returned 3 ${SERIES}`, "0.99"),
        ],
        [
            "requests query: +Inf",
            requests(vector("+Inf")),
            () =>
                errors(
                    "the requestsQuery returned +Inf, not a count of requests (0 or more); check the query",
                    "0.99",
                ),
        ],
        [
            "matrix",
            always(
                ok(
                    '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"0.99"]]}]}}',
                ),
            ),
            () =>
                errors(
                    failed(
                        `: Prometheus answered a matrix (a range vector: drop the trailing [range], or wrap it in rate()), ${NOT_VECTOR}`,
                    ),
                ),
        ],
        [
            "scalar",
            always(ok('{"status":"success","data":{"resultType":"scalar","result":[1,"0.99"]}}')),
            () =>
                errors(failed(`: Prometheus answered a scalar (drop scalar(...)), ${NOT_VECTOR}`)),
        ],
        [
            "string",
            always(ok('{"status":"success","data":{"resultType":"string","result":[1,"0.99"]}}')),
            () => errors(failed(`: Prometheus answered a string, ${NOT_VECTOR}`)),
        ],
        [
            "a success with warnings (a partial answer)",
            rate(
                '{"status":"success","warnings":["remote read: store eu-1 unavailable"],"data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"0.99"]}]}}',
            ),
            () =>
                errors(
                    failed(
                        ': Prometheus answered with warnings, so its data may be partial (a failed remote read or store): ["remote read: store eu-1 unavailable"]; fix what it warns of, a partial answer is not measured',
                    ),
                ),
        ],
        [
            "HTML body",
            always({
                status: 200,
                body: "<!DOCTYPE html><html><body><form>Sign in</form></body></html>",
                headers: { "content-type": "text/html; charset=utf-8" },
            }),
            () =>
                errors(
                    failed(
                        ": Prometheus answered HTML, not JSON: the address serves a web page (a login page or a proxy's?), not Prometheus' API; monitoring.prometheus must point at Prometheus itself",
                    ),
                ),
        ],
        [
            "truncated JSON",
            always(
                ok('{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"va'),
            ),
            () =>
                errors(
                    failed(
                        ': the answer is not valid JSON (cut short, or not from Prometheus): 76 bytes, "{\\"status\\":\\"success\\",\\"data\\":{\\"resultType\\":\\"vector\\",\\"result\\":[{\\"metr... (93 characters)',
                    ),
                ),
        ],
        [
            "400 bad query",
            always({
                status: 400,
                body: '{"status":"error","errorType":"bad_data","error":"1:10: parse error: unexpected \\"}\\""}',
                headers: { "content-type": "application/json" },
            }),
            () =>
                errors(
                    failed(
                        ": HTTP 400 (bad_data: 1:10: parse error: unexpected \"}\"): Prometheus rejected the query; fix the metric's query (try it in Prometheus' UI)",
                    ),
                ),
        ],
        [
            "401",
            always({ status: 401, body: "Unauthorized\n" }),
            () =>
                errors(
                    failed(
                        ": HTTP 401 (Unauthorized): Prometheus refused the credentials; set prometheusToken, or monitoring.prometheus.username with prometheusPassword",
                    ),
                ),
        ],
        [
            "403",
            always({ status: 403, body: "Forbidden\n" }),
            () =>
                errors(
                    failed(
                        ": HTTP 403 (Forbidden): the credentials may not query Prometheus (through the service proxy, the kubeconfig's user needs get on services/proxy)",
                    ),
                ),
        ],
        [
            "404",
            always({ status: 404, body: "404 page not found\n" }),
            () =>
                errors(
                    failed(
                        ": HTTP 404 (404 page not found): no Prometheus API at this address; monitoring.prometheus must point at Prometheus itself, whose API is under /api/v1",
                    ),
                ),
        ],
        [
            "302 to a login page",
            always({ status: 302, body: "", headers: { location: "/login?next=%2Fapi" } }),
            () =>
                errors(
                    failed(
                        ': HTTP 302: redirected to "/login?next=%2Fapi"; set monitoring.prometheus to Prometheus\' own address',
                    ),
                ),
        ],
        [
            "500",
            always({
                status: 500,
                body: '{"status":"error","errorType":"internal","error":"out of memory"}',
                headers: { "content-type": "application/json" },
            }),
            () =>
                errors(
                    failed(
                        " (after 3 attempts): HTTP 500 (internal: out of memory): a server error",
                    ),
                ),
        ],
        [
            "502 from a proxy",
            always({
                status: 502,
                body: "<html><body><h1>502 Bad Gateway</h1></body></html>",
                headers: { "content-type": "text/html" },
            }),
            () =>
                errors(
                    failed(
                        " (after 3 attempts): HTTP 502 (an HTML page, not Prometheus' JSON (a proxy's or login page?)): a server error",
                    ),
                ),
        ],
        [
            "503 with Retry-After",
            always({ status: 503, body: "", headers: { "retry-after": "30" } }),
            // The second measurement is not even sent: Prometheus asked for 30s of quiet.
            () =>
                errors(
                    `Prometheus query at ${prom.url} not sent: Prometheus asked to wait 30s more (Retry-After), beyond ${TIMEOUT}`,
                ),
        ],
        [
            "429 with Retry-After",
            always({ status: 429, body: "too many queries", headers: { "retry-after": "30" } }),
            () =>
                errors(
                    `Prometheus query at ${prom.url} not sent: Prometheus asked to wait 30s more (Retry-After), beyond ${TIMEOUT}`,
                ),
        ],
        [
            "slow (answers after 1s)",
            (q) => ({ afterMs: 1000, then: healthy(q) }),
            () => errors(failed(`: no answer within ${SHORT_TIMEOUT}`)),
            SHORT,
        ],
        [
            "hang (never answers)",
            always({ hang: true }),
            () => errors(failed(`: no answer within ${SHORT_TIMEOUT}`)),
            SHORT,
        ],
        [
            "connection reset",
            always({ reset: true }),
            () =>
                errors(
                    failed(
                        " (after 3 attempts): the connection was reset by the server (ECONNRESET)",
                    ),
                ),
        ],
    ];
    for (const [name, mode, verdict, options] of cases) {
        it(`${name}: rolled back, and the verdict says so`, async () => {
            const { result, cluster } = await run(mode, options);
            assertRolledBack(result, cluster);
            assert.strictEqual(result.reason, verdict());
        });
    }

    it("503 with Retry-After: one request only, none before the wait is over", async () => {
        const { result } = await run(
            always({ status: 503, body: "", headers: { "retry-after": "30" } }),
        );
        assert.strictEqual(result.verdict, "Aborted");
        assert.strictEqual(prom.received.filter((r) => !isRequestsQuery(r.query)).length, 1);
        assert.strictEqual(
            result.measurements[0].message,
            failed(
                `: HTTP 503 (no body): Prometheus is unavailable (starting, or overloaded); not retried: the server asked to wait 30s (Retry-After), beyond ${TIMEOUT}`,
            ),
        );
    });

    it("connection refused: rolled back, and the verdict says so", async () => {
        const closed = new FakePrometheus();
        await closed.start();
        const url = closed.url;
        await closed.stop();
        const { result, cluster } = await run(healthy, { url });
        assertRolledBack(result, cluster);
        assert.strictEqual(
            result.reason,
            errors(
                `Prometheus query at ${url} failed (after 3 attempts): the connection was refused: is Prometheus listening at that address? (ECONNREFUSED)`,
            ),
        );
    });

    it("a hung Prometheus at a 10s timeout is cut at the rollout's deadline", async () => {
        const { result, cluster } = await run(always({ hang: true }), {
            timeoutSeconds: 10,
            deadline: "1s",
            initialDelay: 0.6,
        });
        assertRolledBack(result, cluster);
        assert.strictEqual(
            result.reason,
            `canary "demo" rolled back at ${AT}: deadline of 1s passed at ${AT} with 0 successful success-rate; raise rollout.deadline or shorten the steps; last measurement: success-rate Error: ${failed(": no answer within the 0.4s left before the rollout's deadline")}${RESET}`,
        );
        // One request per query: a query that used up its time is not tried again.
        assert.strictEqual(prom.received.length, 2);
    });

    it("a Prometheus that hangs on the judge's queries at a 10s timeout is cut at the rollout's deadline", async () => {
        // The judge (on by default, as a guard) measures from the canary's first second; the
        // threshold metric's first measurement would come after the deadline.
        const judgeQueries = KEYS.map((k) =>
            renderQuery(JUDGE_QUERIES[k], { ...ARGS, window: "" }),
        );
        const { result, cluster } = await run(
            (q) => (judgeQueries.includes(q) ? { hang: true } : healthy(q)),
            { timeoutSeconds: 10, deadline: "1s", initialDelay: 2, judge: true },
        );
        assertRolledBack(result, cluster);
        assert.strictEqual(
            result.reason,
            `canary "demo" rolled back at ${AT}: deadline of 1s passed at ${AT} with 0 successful success-rate, 0 successful judge; raise rollout.deadline or shorten the steps; last measurement: judge Error: ${failed(": no answer within the 1s left before the rollout's deadline")}${RESET}`,
        );
        assert.deepStrictEqual(
            result.measurements.map((m) => [m.metric, m.phase, m.query]),
            [["judge", "Error", judgeQueries.join(" ; ")]],
        );
        // One request per query: a query that used up its time is not tried again. Beside the
        // four counters, the age of their latest sample (answered).
        assert.deepStrictEqual(
            prom.received.map((r) => r.query),
            [...judgeQueries, renderQuery(judgeAgeQuery("ingress-nginx"), { ...ARGS, window: "" })],
        );
    });
});
