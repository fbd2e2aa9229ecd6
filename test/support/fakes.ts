// Test doubles for the engine's ports: a clock that jumps instead of sleeping, and recording
// adapters. They record every call so tests can assert the order of side effects.
import {
    Clock,
    MeasurementResult,
    Metric,
    TrafficRouter,
    Workloads,
} from "../../components/rollout/core/types";

export class FakeClock implements Clock {
    constructor(public t = 1_700_000_000_000) {}
    now(): number {
        return this.t;
    }
    async sleep(ms: number): Promise<void> {
        this.t += Math.max(0, ms);
    }
}

export class RecordingCluster implements TrafficRouter, Workloads {
    calls: string[] = [];
    weight = -1;
    replicas = -1;
    /** Whether the header route is on (undefined until set). */
    header?: boolean;
    /** A call that throws, once `passesBeforeFailing` of its occurrences went through. */
    failOn?: string;
    passesBeforeFailing = 0;
    async setWeight(weight: number): Promise<void> {
        this.record(`weight ${weight}`);
        this.weight = weight;
    }
    async setHeaderRoute(on: boolean): Promise<void> {
        this.record(`header ${on ? "on" : "off"}`);
        this.header = on;
    }
    async scaleCanary(replicas: number): Promise<void> {
        this.record(`scale ${replicas}`);
        this.replicas = replicas;
    }
    async waitCanaryReady(replicas: number): Promise<void> {
        this.record(`ready ${replicas}`);
    }
    private record(call: string) {
        this.calls.push(call);
        if (
            this.failOn === call &&
            this.calls.filter((c) => c === call).length > this.passesBeforeFailing
        ) {
            throw new Error(`injected failure on ${call}`);
        }
    }
}

/** A metric that returns scripted phases in order (the last one repeats). */
export function scriptedMetric(
    phases: MeasurementResult["phase"][],
    limits: Partial<Metric["limits"]> = {},
    intervalSeconds = 10,
): Metric & { taken: number } {
    const m = {
        name: "success-rate",
        intervalSeconds,
        initialDelaySeconds: 0,
        limits: { failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 4, ...limits },
        taken: 0,
        async measure(): Promise<MeasurementResult> {
            const phase = phases[Math.min(m.taken, phases.length - 1)];
            m.taken++;
            if (phase === "Error") {
                throw new Error("connect ECONNREFUSED 127.0.0.1:9090");
            }
            const value = phase === "Successful" ? 0.99 : phase === "Failed" ? 0.7 : NaN;
            return { phase, value, query: "q", condition: "result[0] >= 0.95", message: phase };
        },
    };
    return m;
}
