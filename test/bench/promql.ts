// A small PromQL evaluator over simulated scrapes, with Prometheus' own semantics for the only
// shapes the policies send: `sum(rate|increase(metric{matchers}[range]))`, `sum(metric{matchers})`,
// a division of two such sums, and the age of the latest sample, `time() - max(timestamp(metric{
// matchers}))`. Anything else throws, so a policy cannot silently query
// something this does not model.
//
// Semantics copied from Prometheus (promql/functions.go extrapolatedRate, Prometheus 3):
// - a range [t-R, t] holds the samples with t-R < ts <= t (left-open);
// - a series with fewer than 2 samples in the range yields no element;
// - counter resets: a sample below its predecessor adds the predecessor's value;
// - extrapolation to the range's ends: the full gap when it is under 1.1x the average sample
//   spacing, else half a spacing; toward the start never past the counter's zero point;
// - an instant selector takes each series' latest sample no older than 5 minutes (lookback);
// - sum() over no elements is an empty vector; empty / x is empty; 0/0 is NaN;
// - timestamp() of an instant selector is each series' latest sample's own time, in seconds.

export interface Series {
    labels: Record<string, string>;
    /** Scrape times (ms) and counter values, in time order. */
    t: number[];
    v: number[];
    /** Reset-corrected running value: corr[j] - corr[i] is the increase from sample i to j. */
    corr: number[];
}

export function pushSample(s: Series, t: number, v: number): void {
    const n = s.v.length;
    const step = n === 0 ? v : v >= s.v[n - 1] ? v - s.v[n - 1] : v;
    s.t.push(t);
    s.v.push(v);
    s.corr.push(n === 0 ? v : s.corr[n - 1] + step);
}

type Op = "=" | "!=" | "=~" | "!~";

interface Matcher {
    label: string;
    op: Op;
    value: string;
    re?: RegExp;
}

interface Selector {
    key: string;
    metric: string;
    matchers: Matcher[];
}

export type Expr =
    | { kind: "sum"; fn: "rate" | "increase"; selector: Selector; rangeMs: number }
    | { kind: "sumInstant"; selector: Selector }
    | { kind: "age"; selector: Selector }
    | { kind: "div"; left: Expr; right: Expr };

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

class Parser {
    private i = 0;
    constructor(private readonly src: string) {}

    parse(): Expr {
        const e = this.expr();
        this.ws();
        if (this.i !== this.src.length) {
            this.fail("end of query");
        }
        return e;
    }

    private expr(): Expr {
        this.ws();
        if (this.src.startsWith("time", this.i)) {
            return this.age();
        }
        const left = this.operand();
        this.ws();
        if (this.src[this.i] === "/") {
            this.i++;
            return { kind: "div", left, right: this.operand() };
        }
        return left;
    }

    /** `time() - max(timestamp(selector))`. */
    private age(): Expr {
        this.word("time");
        this.expect("(");
        this.expect(")");
        this.expect("-");
        this.word("max");
        this.expect("(");
        this.word("timestamp");
        this.expect("(");
        const selector = this.selector();
        this.expect(")");
        this.expect(")");
        return { kind: "age", selector };
    }

    private operand(): Expr {
        this.ws();
        if (this.src[this.i] === "(") {
            this.i++;
            const e = this.expr();
            this.expect(")");
            return e;
        }
        this.word("sum");
        this.expect("(");
        const save = this.i;
        const fn = this.ident();
        this.ws();
        if (this.src[this.i] === "{") {
            this.i = save;
            const selector = this.selector();
            this.expect(")");
            return { kind: "sumInstant", selector };
        }
        if (fn !== "rate" && fn !== "increase") {
            this.fail("rate or increase", fn);
        }
        this.expect("(");
        const selector = this.selector();
        this.expect("[");
        const m = /^(\d+)(ms|s|m|h)/.exec(this.src.slice(this.i));
        if (!m) {
            this.fail("a duration such as 60s");
        }
        this.i += m![0].length;
        this.expect("]");
        this.expect(")");
        this.expect(")");
        return {
            kind: "sum",
            fn: fn as "rate" | "increase",
            selector,
            rangeMs: Number(m![1]) * UNIT_MS[m![2]],
        };
    }

    private selector(): Selector {
        const start = this.i;
        const metric = this.ident();
        const matchers: Matcher[] = [];
        this.expect("{");
        for (;;) {
            this.ws();
            if (this.src[this.i] === "}") {
                this.i++;
                break;
            }
            const label = this.ident();
            this.ws();
            const op = (["=~", "!~", "!=", "="] as Op[]).find((o) =>
                this.src.startsWith(o, this.i),
            );
            if (!op) {
                this.fail("a matcher operator");
            }
            this.i += op!.length;
            this.ws();
            const value = this.string();
            const re = op === "=~" || op === "!~" ? new RegExp(`^(?:${value})$`) : undefined;
            matchers.push({ label, op: op!, value, re });
            this.ws();
            if (this.src[this.i] === ",") {
                this.i++;
            }
        }
        return { key: this.src.slice(start, this.i), metric, matchers };
    }

    private string(): string {
        if (this.src[this.i] !== '"') {
            this.fail("a double-quoted string");
        }
        let out = "";
        for (this.i++; this.i < this.src.length && this.src[this.i] !== '"'; this.i++) {
            if (this.src[this.i] === "\\") {
                this.i++;
            }
            out += this.src[this.i];
        }
        this.expect('"');
        return out;
    }

    private ident(): string {
        this.ws();
        const m = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(this.src.slice(this.i));
        if (!m) {
            this.fail("a name");
        }
        this.i += m![0].length;
        return m![0];
    }

    private word(w: string): void {
        const got = this.ident();
        if (got !== w) {
            this.fail(w, got);
        }
    }

    private expect(ch: string): void {
        this.ws();
        if (this.src[this.i] !== ch) {
            this.fail(`"${ch}"`);
        }
        this.i++;
    }

    private ws(): void {
        while (this.i < this.src.length && /\s/.test(this.src[this.i])) {
            this.i++;
        }
    }

    private fail(expected: string, got?: string): never {
        const at = got ?? JSON.stringify(this.src.slice(this.i, this.i + 20));
        throw new Error(
            `bench PromQL: expected ${expected} at ${this.i}, got ${at} in: ${this.src}`,
        );
    }
}

const parsed = new Map<string, Expr>();

export function parsePromQL(src: string): Expr {
    let e = parsed.get(src);
    if (!e) {
        e = new Parser(src).parse();
        if (parsed.size > 10_000) {
            parsed.clear();
        }
        parsed.set(src, e);
    }
    return e;
}

function matches(s: Series, sel: Selector): boolean {
    if (s.labels.__name__ !== sel.metric) {
        return false;
    }
    return sel.matchers.every((m) => {
        const v = s.labels[m.label] ?? "";
        switch (m.op) {
            case "=":
                return v === m.value;
            case "!=":
                return v !== m.value;
            case "=~":
                return m.re!.test(v);
            case "!~":
                return !m.re!.test(v);
        }
    });
}

/** First index with t[i] > x. */
function upperBound(t: number[], x: number): number {
    let lo = 0;
    let hi = t.length;
    while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (t[mid] <= x) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/** Prometheus' extrapolatedRate for one counter series; undefined = no element. */
export function extrapolatedRate(
    s: Series,
    rangeStart: number,
    rangeEnd: number,
    isRate: boolean,
): number | undefined {
    const i0 = upperBound(s.t, rangeStart);
    const i1 = upperBound(s.t, rangeEnd) - 1;
    if (i1 - i0 + 1 < 2) {
        return undefined;
    }
    let result = s.corr[i1] - s.corr[i0];
    let durationToStart = (s.t[i0] - rangeStart) / 1000;
    let durationToEnd = (rangeEnd - s.t[i1]) / 1000;
    const sampledInterval = (s.t[i1] - s.t[i0]) / 1000;
    const average = sampledInterval / (i1 - i0);
    const threshold = average * 1.1;
    let extrapolateTo = sampledInterval;
    if (durationToStart >= threshold) {
        durationToStart = average / 2;
    }
    if (result > 0 && s.v[i0] >= 0) {
        const durationToZero = sampledInterval * (s.v[i0] / result);
        if (durationToZero < durationToStart) {
            durationToStart = durationToZero;
        }
    }
    extrapolateTo += durationToStart;
    if (durationToEnd >= threshold) {
        durationToEnd = average / 2;
    }
    extrapolateTo += durationToEnd;
    let factor = extrapolateTo / sampledInterval;
    if (isRate) {
        factor /= (rangeEnd - rangeStart) / 1000;
    }
    result *= factor;
    return result;
}

const LOOKBACK_MS = 5 * 60_000;

/** An instant selector's value of one series at `now`: its latest sample within the lookback. */
export function latest(s: Series, now: number): number | undefined {
    const i = upperBound(s.t, now) - 1;
    return i >= 0 && s.t[i] > now - LOOKBACK_MS ? s.v[i] : undefined;
}

/** The time (ms) of a series' latest sample within the lookback at `now`. */
function latestTime(s: Series, now: number): number | undefined {
    const i = upperBound(s.t, now) - 1;
    return i >= 0 && s.t[i] > now - LOOKBACK_MS ? s.t[i] : undefined;
}

/** Evaluates at `now` (ms) over `series`; returns the instant vector's values. */
export function evaluate(e: Expr, series: Series[], now: number, cache?: SelectorCache): number[] {
    if (e.kind === "div") {
        const l = evaluate(e.left, series, now, cache);
        const r = evaluate(e.right, series, now, cache);
        // Both sides are label-less after sum(): one-to-one match or nothing.
        return l.length === 1 && r.length === 1 ? [l[0] / r[0]] : [];
    }
    const selected = cache
        ? cache.select(e.selector, series)
        : series.filter((s) => matches(s, e.selector));
    if (e.kind === "age") {
        const times = selected.map((s) => latestTime(s, now)).filter((t) => t !== undefined);
        return times.length > 0 ? [(now - Math.max(...times)) / 1000] : [];
    }
    let sum = 0;
    let any = false;
    for (const s of selected) {
        const v =
            e.kind === "sumInstant"
                ? latest(s, now)
                : extrapolatedRate(s, now - e.rangeMs, now, e.fn === "rate");
        if (v !== undefined) {
            sum += v;
            any = true;
        }
    }
    return any ? [sum] : [];
}

/** Remembers which series a selector matched; series are only ever appended. */
export class SelectorCache {
    private readonly memo = new Map<string, { seen: number; hits: Series[] }>();

    select(sel: Selector, series: Series[]): Series[] {
        let m = this.memo.get(sel.key);
        if (!m) {
            m = { seen: 0, hits: [] };
            this.memo.set(sel.key, m);
        }
        for (; m.seen < series.length; m.seen++) {
            if (matches(series[m.seen], sel)) {
                m.hits.push(series[m.seen]);
            }
        }
        return m.hits;
    }
}
