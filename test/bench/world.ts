// The simulated world of one trial: an ingress controller counting requests per version and
// status (Poisson arrivals, independent failures), a Prometheus scraping those counters, and the
// traffic split the engine sets. Time is the engine's fake clock; the world catches up lazily
// whenever the engine looks (a query) or acts (a weight change), one 1-second tick at a time.
//
// Per tick and version: requests ~ Poisson(rps x share), each failing with the version's error
// rate (status 500). During a burst both versions also fail BURST.errorRate of the other requests
// (status 503): a shared dependency blip, which a comparison with stable should shrug off and an
// absolute threshold cannot. Draws are inverted from hashed uniforms of (seed, tick, stream), so
// every policy's run of the same trial sees the same requests when it sends the same share.
import { MetricsSource, QueryResult } from "../../components/rollout/core/types";
import { mulberry32, poissonInv, uniform4 } from "./prng";
import { evaluate, parsePromQL, pushSample, SelectorCache, Series } from "./promql";

export interface Scenario {
    name: string;
    /** Requests per second to the app, both versions together. */
    rps: number;
    stableErrorRate: number;
    canaryErrorRate: number;
    bursty: boolean;
}

/** Shared bursts: on average one every 180s, 20s long, failing 20% of requests of both versions. */
export const BURST = { meanGapSeconds: 180, durationSeconds: 20, errorRate: 0.2 };

/** Seconds of stable-only history before the canary starts (so stable's series have samples). */
const PRE_SECONDS = 300;

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

export class World {
    /** Canary share of traffic, 0-1. */
    private weight = 0;
    /** Next tick (seconds from t0) to generate. */
    private tick = -PRE_SECONDS;
    private nextScrape: number;
    private readonly counters: Counter[][] = [];
    readonly series: Series[] = [];
    private readonly bursts: [number, number][] = [];
    private burstAt = 0;
    readonly cache = new SelectorCache();

    constructor(
        readonly scenario: Scenario,
        readonly seed: number,
        /** When the canary run starts (ms); ticks are whole seconds from here. */
        readonly t0: number,
        readonly scrapeSeconds: number,
        /** Simulated seconds after t0 the world may have to cover (bursts are drawn this far). */
        horizonSeconds: number,
    ) {
        const rnd = mulberry32(seed);
        // Scrapes at a random phase to the canary start: t0 + phase + k x interval.
        const phase = (0.05 + 0.9 * rnd()) * scrapeSeconds;
        this.nextScrape =
            t0 + (phase - Math.ceil(PRE_SECONDS / scrapeSeconds) * scrapeSeconds) * 1000;
        if (scenario.bursty) {
            for (
                let s = -PRE_SECONDS + -Math.log(rnd()) * BURST.meanGapSeconds;
                s < horizonSeconds;
            ) {
                this.bursts.push([s, s + BURST.durationSeconds]);
                s += BURST.durationSeconds + -Math.log(rnd()) * BURST.meanGapSeconds;
            }
        }
        for (const version of ["canary", "stable"] as const) {
            const row: Counter[] = [];
            for (const status of STATUSES) {
                const canary = version === "canary";
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
                // Stable has served for days: its series exist with large values. The canary's
                // appear at their first request, as ingress-nginx creates them.
                const old = !canary && (status !== "503" || scenario.bursty);
                const start = old ? Math.floor(rnd() * 1e6) + (status === "200" ? 1e7 : 1e4) : 0;
                row.push({ series, value: start, born: old });
                if (old) {
                    this.series.push(series);
                }
            }
            this.counters.push(row);
        }
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
                this.nextScrape += this.scrapeSeconds * 1000;
            }
        }
    }

    private inBurst(mid: number): boolean {
        while (this.burstAt < this.bursts.length && this.bursts[this.burstAt][1] <= mid) {
            this.burstAt++;
        }
        const b = this.bursts[this.burstAt];
        return b !== undefined && b[0] <= mid;
    }

    private runTick(): void {
        const t = this.tick;
        const { rps, canaryErrorRate, stableErrorRate } = this.scenario;
        const burst = this.inBurst(t + 0.5);
        for (let v = 0; v < 2; v++) {
            const share = v === 0 ? this.weight : 1 - this.weight;
            if (share <= 0) {
                continue;
            }
            const p500 = v === 0 ? canaryErrorRate : stableErrorRate;
            const p503 = burst ? (1 - p500) * BURST.errorRate : 0;
            const lambda = rps * share;
            const row = this.counters[v];
            // Statuses 200, 500, 503, each from its own stream of uniforms.
            this.add(row[0], poissonInv(lambda * (1 - p500 - p503), uniform4(this.seed, t, v, 0)));
            this.add(row[1], poissonInv(lambda * p500, uniform4(this.seed, t, v, 1)));
            if (p503 > 0) {
                this.add(row[2], poissonInv(lambda * p503, uniform4(this.seed, t, v, 2)));
            }
        }
        this.tick++;
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
        return { values: evaluate(parsePromQL(promql), this.world.series, t, this.world.cache) };
    }
}
