// The data and the ports of the rollout engine. Everything here is plain data or a small
// interface, so the core (plan.ts, analysis.ts, engine.ts) stays free of I/O and tests can drive
// it with a fake clock and fake adapters.
import type { MetricLimits, Step } from "./spec";

/** The outcome of one measurement, with Argo Rollouts' meanings. */
export type Phase = "Successful" | "Failed" | "Inconclusive" | "Error";

/** What a metric's query returned: the values of an instant vector (possibly empty). */
export interface QueryResult {
    /** One value per series; +Inf, -Inf and NaN as Infinity, -Infinity and NaN. */
    values: number[];
}

/** How one query may run. */
export interface QueryOptions {
    /**
     * The longest the query may take, retries included, in ms (e.g. the time left before the
     * rollout's deadline); the source's own timeout applies as well.
     */
    timeoutMs?: number;
}

/**
 * Prometheus (or anything that answers PromQL). Throws on transport or query errors, and on
 * answers that are not an instant vector.
 */
export interface MetricsSource {
    query(promql: string, options?: QueryOptions): Promise<QueryResult>;
}

/**
 * Where traffic goes: the share of requests (0-100) sent to the canary, and the header route that
 * sends matching requests to the canary whatever the weight. One adapter file per router
 * (adapters/routers/); writes that put traffic back on stable are idempotent.
 */
export interface TrafficRouter {
    setWeight(weight: number): Promise<void>;
    /**
     * Turns the header route on (the router's configured header reaches the canary) or off.
     * Off removes any header route this program wrote, configured or not, so a reset also
     * clears one left by an interrupted run under an older config.
     */
    setHeaderRoute(on: boolean): Promise<void>;
}

/** The canary Deployment. */
export interface Workloads {
    /** Sets the canary's replica count (0 scales it down). */
    scaleCanary(replicas: number): Promise<void>;
    /** Resolves when `replicas` canary pods are ready; rejects at `deadline` (epoch ms). */
    waitCanaryReady(replicas: number, deadline: number): Promise<void>;
}

/** Time, injected so tests run the whole state machine in milliseconds. */
export interface Clock {
    now(): number;
    sleep(ms: number): Promise<void>;
}

/** A canary weight the engine set, and when: seconds on the canaryTrafficSeconds clock. */
export interface WeightChange {
    atSeconds: number;
    weight: number;
}

/** Where and when a measurement is taken: passed to every metric. */
export interface MeasureContext {
    stepIndex: number;
    weight: number;
    /** Seconds since the canary first received traffic in this run (0 before). */
    canaryTrafficSeconds: number;
    /**
     * Milliseconds left before the rollout's deadline when the measurement starts: a metric
     * passes it to its queries, so none runs past the deadline.
     */
    timeLeftMs?: number;
    /**
     * Every weight set since the canary first received traffic, oldest first: the first is the
     * first weight above 0, at 0s. E.g. [{0, 20}, {60, 40}] at 75s: 20% until 60s, 40% since.
     */
    weights: WeightChange[];
    /** True in an analysis step: the one promotion waits on (a pause ends by its clock). */
    analysis?: boolean;
}

/** One measurement as recorded in the evidence. */
export interface Measurement {
    metric: string;
    phase: Phase;
    /** Step index (0-based) and weight at the time of the measurement. */
    step: number;
    weight: number;
    /** Seconds since the start of the rollout. */
    atSeconds: number;
    /** The rendered query (or queries) that produced the value. */
    query: string;
    /** The observed value(s); absent for errors and empty results. */
    value?: number | number[];
    /** Requests seen by the canary in the window, when the metric counts them. */
    requests?: number;
    /** The condition or rule applied, e.g. `result[0] >= 0.95`. */
    condition: string;
    /** Why the measurement has its phase, in words. */
    message: string;
}

/** The part of a measurement that a metric produces; the engine adds where and when. */
export type MeasurementResult = Omit<Measurement, "metric" | "step" | "weight" | "atSeconds">;

/** A metric the engine measures on a schedule during pauses and analysis steps. */
export interface Metric {
    name: string;
    intervalSeconds: number;
    initialDelaySeconds: number;
    limits: MetricLimits;
    measure(ctx: MeasureContext): Promise<MeasurementResult>;
    /**
     * Optional: when the next measurement is worth taking, given that the schedule has it at
     * `dueSeconds` (both on the canaryTrafficSeconds clock), e.g. just after the scrape that a
     * reading at `dueSeconds` would see, which gives the same data sooner. The engine takes it
     * only when it is earlier than `dueSeconds`, never before now, and not for a measurement due
     * when an analysis step starts (which needs its own). The next stays due by the interval.
     */
    nextReadingSeconds?(dueSeconds: number): number;
}

export interface StepRecord {
    index: number;
    step: Step;
    startedAtSeconds: number;
    endedAtSeconds: number;
}

export type Verdict = "Promoted" | "Aborted";

export interface RolloutResult {
    verdict: Verdict;
    /** One line a person can read: why it was promoted or rolled back. */
    reason: string;
    /** Where and why, in one short clause: `after 9 steps in 250s`, `at step 4/9 (...): ...`. */
    headline: string;
    /** Step index (0-based) at which it was aborted. */
    abortedAtStep?: number;
    steps: StepRecord[];
    measurements: Measurement[];
    durationSeconds: number;
}

/** One progress line, for stderr. */
export type Reporter = (line: string) => void;

/**
 * What happened in a run, as data: Kubernetes events and webhook notifications are made from
 * these. `at` is seconds since the start of the run.
 */
export type RolloutEvent =
    | { type: "Started"; app: string; at: number; steps: number; deadlineSeconds: number }
    | {
          type: "StepStarted";
          app: string;
          at: number;
          step: number;
          of: number;
          description: string;
          weight: number;
      }
    | { type: "Measured"; app: string; at: number; measurement: Measurement }
    | { type: "Promoted"; app: string; at: number; reason: string }
    | { type: "RolledBack"; app: string; at: number; step: number; reason: string };

/** Receives events; must not throw or block (adapters queue and send in the background). */
export type EventSink = (event: RolloutEvent) => void;
