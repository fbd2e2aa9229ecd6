// The benchmark's PromQL subset against hand-computed Prometheus results (extrapolatedRate in
// promql/functions.go). Not in `npm run test:unit`: run with `npx mocha test/bench/promql.test.ts`.
import * as assert from "assert";
import { evaluate, extrapolatedRate, latest, parsePromQL, pushSample, Series } from "./promql";

function series(labels: Record<string, string>, samples: [number, number][]): Series {
    const s: Series = { labels: { __name__: "reqs", ...labels }, t: [], v: [], corr: [] };
    for (const [seconds, v] of samples) {
        pushSample(s, seconds * 1000, v);
    }
    return s;
}

describe("bench/promql", () => {
    const steady = series({ service: "a", status: "200" }, [
        [10, 10],
        [20, 20],
        [30, 30],
        [40, 40],
        [50, 50],
    ]);

    it("extrapolates to both ends when the samples are near them: 40 -> 60 over 60s", () => {
        assert.strictEqual(extrapolatedRate(steady, 0, 60_000, false), 60);
        assert.strictEqual(extrapolatedRate(steady, 0, 60_000, true), 1);
    });

    it("extrapolates by half an interval toward a far end: 40 + 10 + 5", () => {
        assert.strictEqual(extrapolatedRate(steady, 0, 100_000, false), 55);
    });

    it("never extrapolates a counter below zero (series born inside the window)", () => {
        const born = series({}, [
            [30, 5],
            [40, 15],
            [50, 25],
        ]);
        // 20 sampled over 20s; to start: 30s is past 1.1 x 10s so 5s, zero point 5s; to end 10s.
        assert.strictEqual(extrapolatedRate(born, 0, 60_000, false), 35);
    });

    it("adds the value before each reset", () => {
        const reset = series({}, [
            [10, 10],
            [20, 20],
            [30, 5],
            [40, 15],
        ]);
        assert.strictEqual(extrapolatedRate(reset, 0, 40_000, false)!.toFixed(3), "33.333");
    });

    it("gives no element with fewer than two samples in the (left-open) range", () => {
        assert.strictEqual(extrapolatedRate(steady, 40_000, 50_000, false), undefined);
        // 40s and 50s are in (39.999s, 50s]: 10, stretched by the 1ms to the start.
        assert.strictEqual(extrapolatedRate(steady, 39_999, 50_000, false)!.toFixed(3), "10.001");
    });

    it("evaluates sum, division, matchers and the instant lookback", () => {
        const fail = series({ service: "a", status: "500" }, [
            [10, 1],
            [20, 2],
            [30, 3],
            [40, 4],
            [50, 5],
        ]);
        const other = series({ service: "b", status: "500" }, [[10, 100]]);
        const all = [steady, fail, other];
        const rate = (sel: string) => `sum(rate(reqs{${sel}}[60s]))`;
        const ratio = parsePromQL(`${rate('service="a",status!~"5.."')} / ${rate('service="a"')}`);
        assert.deepStrictEqual(evaluate(ratio, all, 60_000), [60 / 66]);
        assert.deepStrictEqual(evaluate(parsePromQL(rate('service="c"')), all, 60_000), []);
        assert.deepStrictEqual(
            evaluate(parsePromQL('sum(reqs{status=~"5.."})'), all, 60_000),
            [105],
        );
        // Lookback 5 minutes: the 10s sample of `other` is gone at 311s.
        assert.strictEqual(latest(other, 309_000), 100);
        assert.strictEqual(latest(other, 311_000), undefined);
    });

    it("gives the age of the latest sample of the selected series, by its own time", () => {
        const late = series({ service: "a", status: "500" }, [
            [12, 1],
            [22, 2],
        ]);
        const age = (sel: string) => parsePromQL(`time() - max(timestamp(reqs{${sel}}))`);
        // steady's last sample is at 50s, late's at 22s: the latest of them is 50s.
        assert.deepStrictEqual(evaluate(age('service="a"'), [steady, late], 53_500), [3.5]);
        assert.deepStrictEqual(evaluate(age('status="500"'), [steady, late], 45_000), [23]);
        // Only samples at or before the evaluation time, within the lookback.
        assert.deepStrictEqual(evaluate(age('service="a"'), [steady, late], 49_999), [9.999]);
        assert.deepStrictEqual(evaluate(age('service="a"'), [steady, late], 351_000), []);
    });

    it("refuses shapes it does not model", () => {
        assert.throws(() => parsePromQL("irate(reqs[1m])"), /expected sum/);
        assert.throws(() => parsePromQL('sum(rate(reqs{a="b"}[1m])) * 2'), /expected end of query/);
        assert.throws(() => parsePromQL("time() - min(timestamp(reqs{}))"), /expected max/);
    });
});
