// The simulated world of one trial: an ingress controller counting requests per version and
// status, a Prometheus scraping those counters, and the traffic split the engine sets. Time is the
// engine's fake clock; the world catches up lazily whenever the engine looks (a query) or acts (a
// weight change), one 1-second tick at a time.
//
// Per tick and version: requests ~ Poisson(rps(t) x share). Failures follow the scenario's error
// model (ERROR_MODELS):
// - independent: each request fails with the version's error rate (status 500);
// - clumped: failures come in clumps (a retrying client, one bad pod): clumps arrive as a Poisson
//   process at rate x error rate / CLUMP_MEAN, each of Geometric(mean CLUMP_MEAN) failures, so the
//   error rate is the same but the count varies E[K^2]/E[K] = 9 times more than independent ones;
// - versionBursts: on top of independent errors, bursts that hit ONE version at a time (a bad pod,
//   a node, a cache miss storm): every VERSION_BURST.meanGapSeconds on average, on the canary or
//   stable with equal odds, 10-20s long, failing 10-20% of that version's requests (status 503);
// - sharedBursts: bursts that hit both versions at once (a dependency's blip): every 180s on
//   average, 20s at 20% (status 503).
// Traffic is steady, ramping (a quarter of `rps` at the canary's start, all of it 10 minutes
// later) or day-night (a 20-minute cycle between 0.3x and 1.7x `rps`: a day squeezed into a
// rollout). Draws are inverted from hashed uniforms of (seed, tick, stream), so every policy's
// run of the same trial sees the same requests when it sends the same share.
import { MetricsSource, QueryResult } from "../../components/rollout/core/types";
import { mulberry32, poissonInv, uniform4 } from "./prng";
import { evaluate, Expr, parsePromQL, pushSample, SelectorCache, Series } from "./promql";

export const ERROR_MODELS = ["independent", "clumped", "versionBursts", "sharedBursts"] as const;
export type ErrorModel = (typeof ERROR_MODELS)[number];
export const TRAFFIC_SHAPES = ["steady", "ramp", "dayNight"] as const;
export type Traffic = (typeof TRAFFIC_SHAPES)[number];

export interface Scenario {
    name: string;
    /** Requests per second to the app, both versions together (the mean, for ramp and dayNight). */
    rps: number;
    stableErrorRate: number;
    canaryErrorRate: number;
    errorModel: ErrorModel;
    traffic: Traffic;
    scrapeSeconds: number;
}

/** Mean clump size of the clumped model: the worst case. */
export const CLUMP_MEAN = 5;
/** Bursts on one version at a time. */
export const VERSION_BURST = {
    meanGapSeconds: 180,
    minSeconds: 10,
    maxSeconds: 20,
    minRate: 0.1,
    maxRate: 0.2,
};
/** Bursts on both versions at once. */
export const SHARED_BURST = { meanGapSeconds: 180, durationSeconds: 20, errorRate: 0.2 };

/** Seconds of stable-only history before the canary starts (so stable's series have samples). */
const PRE_SECONDS = 300;
/** Requests stable served before that history: its counters' lifetime. */
const LIFETIME_REQUESTS = 1e7;

export const NAMES = {
    namespace: "rollouts-demo",
    canaryService: "rollouts-demo-canary",
    stableService: "rollouts-demo-stable",
    canaryIngress: "rollouts-demo-canary",
    stableIngress: "rollouts-demo-stable",
};

const STATUSES = ["200", "500", "503"] as const;

interface Counter {
    series: Series;
    value: number;
    born: boolean;
}

interface Burst {
    from: number;
    to: number;
    /** 0 canary, 1 stable, 2 both. */
    version: number;
    rate: number;
}

/** The traffic multiplier at `t` seconds from the canary's start. */
export function trafficFactor(traffic: Traffic, t: number): number {
    switch (traffic) {
        case "ramp":
            return 0.25 + 0.75 * Math.min(1, Math.max(0, t) / 600);
        case "dayNight":
            return 1 + 0.7 * Math.sin((2 * Math.PI * t) / 1200);
        default:
            return 1;
    }
}

export class World {
    /** Canary share of traffic, 0-1. */
    private weight = 0;
    /** Next tick (seconds from t0) to generate. */
    private tick = -PRE_SECONDS;
    private nextScrape: number;
    private readonly counters: Counter[][] = [];
    readonly series: Series[] = [];
    private readonly bursts: Burst[] = [];
    readonly cache = new SelectorCache();

    constructor(
        readonly scenario: Scenario,
        readonly seed: number,
        /** When the canary run starts (ms); ticks are whole seconds from here. */
        readonly t0: number,
        /** Simulated seconds after t0 the world may have to cover (bursts are drawn this far). */
        horizonSeconds: number,
    ) {
        const rnd = mulberry32(seed);
        const scrape = scenario.scrapeSeconds;
        // Scrapes at a random phase to the canary start: t0 + phase + k x interval.
        const phase = (0.05 + 0.9 * rnd()) * scrape;
        this.nextScrape = t0 + (phase - Math.ceil(PRE_SECONDS / scrape) * scrape) * 1000;
        const model = scenario.errorModel;
        if (model === "versionBursts" || model === "sharedBursts") {
            const gap =
                model === "sharedBursts"
                    ? SHARED_BURST.meanGapSeconds
                    : VERSION_BURST.meanGapSeconds;
            for (let s = -PRE_SECONDS + -Math.log(rnd()) * gap; s < horizonSeconds;) {
                const b =
                    model === "sharedBursts"
                        ? {
                              from: s,
                              to: s + SHARED_BURST.durationSeconds,
                              version: 2,
                              rate: SHARED_BURST.errorRate,
                          }
                        : this.versionBurst(s, rnd);
                this.bursts.push(b);
                s = b.to + -Math.log(rnd()) * gap;
            }
        }
        for (const version of ["canary", "stable"] as const) {
            const row: Counter[] = [];
            const canary = version === "canary";
            for (const status of STATUSES) {
                const series: Series = {
                    labels: {
                        __name__: "nginx_ingress_controller_requests",
                        controller_class: "k8s.io/ingress-nginx",
                        host: "rollouts-demo.local",
                        ingress: canary ? NAMES.canaryIngress : NAMES.stableIngress,
                        method: "GET",
                        namespace: NAMES.namespace,
                        path: "/",
                        service: canary ? NAMES.canaryService : NAMES.stableService,
                        status,
                        canary: canary ? NAMES.canaryService : "",
                    },
                    t: [],
                    v: [],
                    corr: [],
                };
                // Stable has served for days at its error rate: its 200 and 500 series exist
                // with large values. The canary's, and any 503 series, appear at their first
                // request, as ingress-nginx creates them.
                const p = scenario.stableErrorRate;
                const lifetime = LIFETIME_REQUESTS * (1 + rnd());
                const start =
                    canary || status === "503"
                        ? 0
                        : Math.round(status === "200" ? lifetime * (1 - p) : lifetime * p);
                const old = start > 0;
                row.push({ series, value: start, born: old });
                if (old) {
                    this.series.push(series);
                }
            }
            this.counters.push(row);
        }
    }

    private versionBurst(s: number, rnd: () => number): Burst {
        const b = VERSION_BURST;
        const seconds = b.minSeconds + (b.maxSeconds - b.minSeconds) * rnd();
        return {
            from: s,
            to: s + seconds,
            version: rnd() < 0.5 ? 0 : 1,
            rate: b.minRate + (b.maxRate - b.minRate) * rnd(),
        };
    }

    /** Sets the canary's share from time `at` (ms) on. */
    setWeight(at: number, percent: number): void {
        this.advanceTo(at);
        this.weight = percent / 100;
    }

    /** Generates ticks and scrapes up to `now` (ms). */
    advanceTo(now: number): void {
        for (;;) {
            const tickMid = this.t0 + (this.tick + 0.5) * 1000;
            if (tickMid <= this.nextScrape) {
                if (tickMid > now) {
                    return;
                }
                this.runTick();
            } else {
                if (this.nextScrape > now) {
                    return;
                }
                this.scrape(this.nextScrape);
                this.nextScrape += this.scenario.scrapeSeconds * 1000;
            }
        }
    }

    /** The burst error rate of `version` at second `mid` (0 outside bursts). */
    private burstRate(version: number, mid: number): number {
        let rate = 0;
        for (const b of this.bursts) {
            if (b.from > mid) {
                break;
            }
            if (b.to > mid && (b.version === version || b.version === 2)) {
                rate = Math.max(rate, b.rate);
            }
        }
        return rate;
    }

    private runTick(): void {
        const t = this.tick;
        const sc = this.scenario;
        const rps = sc.rps * trafficFactor(sc.traffic, t + 0.5);
        for (let v = 0; v < 2; v++) {
            const share = v === 0 ? this.weight : 1 - this.weight;
            if (share <= 0) {
                continue;
            }
            const p500 = v === 0 ? sc.canaryErrorRate : sc.stableErrorRate;
            const p503 = (1 - p500) * this.burstRate(v, t + 0.5);
            const lambda = rps * share;
            const row = this.counters[v];
            // Statuses 200, 500, 503, each from its own stream of uniforms.
            this.add(row[0], poissonInv(lambda * (1 - p500 - p503), uniform4(this.seed, t, v, 0)));
            this.add(row[1], this.failures(lambda * p500, t, v));
            if (p503 > 0) {
                this.add(row[2], poissonInv(lambda * p503, uniform4(this.seed, t, v, 2)));
            }
        }
        this.tick++;
    }

    /** Failures (status 500) with mean `mean` in one tick, by the scenario's error model. */
    private failures(mean: number, t: number, v: number): number {
        if (this.scenario.errorModel !== "clumped") {
            return poissonInv(mean, uniform4(this.seed, t, v, 1));
        }
        const clumps = poissonInv(mean / CLUMP_MEAN, uniform4(this.seed, t, v, 1));
        let n = 0;
        for (let i = 0; i < clumps; i++) {
            // Geometric on 1, 2, ... with mean CLUMP_MEAN, by inversion.
            const u = uniform4(this.seed, t, v, 3 + i);
            n += 1 + Math.floor(Math.log(1 - u) / Math.log(1 - 1 / CLUMP_MEAN));
        }
        return n;
    }

    private add(c: Counter, n: number): void {
        if (n > 0) {
            c.value += n;
            if (!c.born) {
                c.born = true;
                this.series.push(c.series);
            }
        }
    }

    private scrape(at: number): void {
        for (const row of this.counters) {
            for (const c of row) {
                if (c.born) {
                    pushSample(c.series, at, c.value);
                }
            }
        }
    }
}

/** Parsed queries: the policies send the same few texts thousands of times. */
const PARSED = new Map<string, Expr>();

/** Prometheus over the world: instant queries at the clock's now. */
export class SimPrometheus implements MetricsSource {
    queries = 0;
    constructor(
        private readonly world: World,
        private readonly now: () => number,
    ) {}

    async query(promql: string): Promise<QueryResult> {
        this.queries++;
        const t = this.now();
        this.world.advanceTo(t);
        let expr = PARSED.get(promql);
        if (!expr) {
            expr = parsePromQL(promql);
            PARSED.set(promql, expr);
        }
        return { values: evaluate(expr, this.world.series, t, this.world.cache) };
    }
}
