// Synthetic ingress traffic for integration tests: every tick, `rps` requests split between
// stable and canary by the current canary weight, each failing with its version's error rate,
// counted in ingress-nginx's metric. Deterministic: fractional requests carry over, and errors
// are spread evenly (an error rate of 0.3 fails 3 of every 10 requests).
import { RequestCounters, RequestLabels } from "../../local/edge/counters";
import { TrafficRouter, Workloads } from "../../components/rollout/core/types";

export class SyntheticTraffic implements TrafficRouter, Workloads {
    weight = 0;
    canaryReplicas = 0;
    errorRate = { stable: 0.0, canary: 0.0 };
    private carry = { stable: 0, canary: 0 };
    private errors = { stable: 0, canary: 0 };
    private timer?: NodeJS.Timeout;
    calls: string[] = [];

    constructor(
        readonly counters: RequestCounters,
        public rps: number,
        readonly base: Omit<RequestLabels, "service" | "status" | "canary" | "ingress"> = {
            namespace: "demo",
            method: "GET",
            host: "demo.local",
            path: "/",
        },
    ) {}

    start(tickMs = 100): void {
        this.timer = setInterval(() => this.tick(tickMs / 1000), tickMs);
    }

    stop(): void {
        clearInterval(this.timer);
    }

    tick(seconds: number): void {
        const share = { stable: 1 - this.weight / 100, canary: this.weight / 100 };
        for (const v of ["stable", "canary"] as const) {
            this.carry[v] += this.rps * seconds * share[v];
            const n = Math.floor(this.carry[v]);
            this.carry[v] -= n;
            for (let i = 0; i < n; i++) {
                this.errors[v] += this.errorRate[v];
                const failed = this.errors[v] >= 1;
                if (failed) {
                    this.errors[v] -= 1;
                }
                this.counters.inc({
                    ...this.base,
                    ingress: v === "canary" ? "demo-canary" : "demo",
                    service: `demo-${v}`,
                    canary: v === "canary" ? "demo-canary" : "",
                    status: failed ? "500" : "200",
                });
            }
        }
    }

    async setWeight(weight: number): Promise<void> {
        this.calls.push(`weight ${weight}`);
        this.weight = weight;
    }
    /** Synthetic traffic sends no header requests: the call is recorded only. */
    async setHeaderRoute(on: boolean): Promise<void> {
        this.calls.push(`header ${on ? "on" : "off"}`);
    }
    async scaleCanary(replicas: number): Promise<void> {
        this.calls.push(`scale ${replicas}`);
        this.canaryReplicas = replicas;
    }
    async waitCanaryReady(): Promise<void> {}
}
