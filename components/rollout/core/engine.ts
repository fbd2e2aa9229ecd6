// The rollout state machine: reset to stable, then for each step set the weight (scaling the
// canary first), wait or analyse, and finally promote or abort. It talks only to the ports in
// types.ts and reads time from the injected clock, so it is pure with respect to the world.
import { assess, clip, fmt, fmtRequests, tally } from "./analysis";
import { MeasurementSchedule } from "./measurementSchedule";
import { rolloutTag } from "./names";
import { canaryReplicas, describeStep } from "./plan";
import { resetAfterAbort, rolledBackReason } from "./restore";
import {
    Clock,
    EventSink,
    Measurement,
    Metric,
    Reporter,
    RolloutEvent,
    RolloutResult,
    StepRecord,
    TrafficRouter,
    WeightChange,
    Workloads,
} from "./types";
import type { Step } from "./spec";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface RolloutPlan {
    /** The app's name, used in every message. */
    app: string;
    steps: Step[];
    /** Replicas of the stable Deployment; the canary's follow the weight. */
    totalReplicas: number;
    /** The whole rollout must finish within this many seconds, or it is rolled back. */
    deadlineSeconds: number;
    /**
     * After a rollback sets the weight to 0, the canary keeps its pods this long so the ingress
     * has moved traffic off them before they go (Argo Rollouts' abortScaleDownDelaySeconds).
     * Defaults to 0.
     */
    abortScaleDownDelaySeconds?: number;
    metrics: Metric[];
    /** router.header is set: the canary ready and the header route on before the first step. */
    headerRoute?: boolean;
}

export interface Ports {
    router: TrafficRouter;
    workloads: Workloads;
    clock: Clock;
    report: Reporter;
    /** Events of the run, for Kubernetes events and notifications. */
    events?: EventSink;
}

/** Puts all traffic on stable (weight 0, no header route) and scales the canary to zero. Idempotent. */
export async function resetToStable(ports: Pick<Ports, "router" | "workloads">): Promise<void> {
    await ports.router.setWeight(0);
    await ports.router.setHeaderRoute(false);
    await ports.workloads.scaleCanary(0);
}

/** Thrown inside the loop to stop it; carries the reason shown to the user. */
class Abort extends Error {
    /** The cause in one short clause, for the one-line verdict (`lastVerdict`). */
    constructor(
        message: string,
        readonly headline = message,
    ) {
        super(message);
    }
}

export async function runRollout(plan: RolloutPlan, ports: Ports): Promise<RolloutResult> {
    return new Run(plan, ports).execute();
}

/** One run of a plan: its clock, its measurements and where it is. */
class Run {
    private readonly start: number;
    private readonly deadline: number;
    private readonly tag: string;
    private readonly measurements: Measurement[] = [];
    private readonly steps: StepRecord[] = [];
    private readonly schedule: MeasurementSchedule;
    private weight = 0;
    private trafficStart?: number;
    /** The weights set since traffic started, for the metrics (MeasureContext.weights). */
    private readonly weights: WeightChange[] = [];
    private index = 0;

    constructor(
        private readonly plan: RolloutPlan,
        private readonly ports: Ports,
    ) {
        this.start = ports.clock.now();
        this.deadline = this.start + plan.deadlineSeconds * 1000;
        this.tag = rolloutTag(plan.app);
        this.schedule = new MeasurementSchedule(plan.metrics);
    }

    async execute(): Promise<RolloutResult> {
        const { plan, ports } = this;
        let verdict: RolloutResult["verdict"] = "Promoted";
        let reason: string;
        let abortedAtStep: number | undefined;
        let headline: string;
        try {
            this.emit({
                type: "Started",
                steps: plan.steps.length,
                deadlineSeconds: plan.deadlineSeconds,
            });
            this.report("resetting traffic to stable before the canary starts");
            await resetToStable(ports);
            if (plan.headerRoute) {
                await this.openHeaderRoute();
            }
            for (this.index = 0; this.index < plan.steps.length; this.index++) {
                const startedAtSeconds = this.since();
                await this.runStep(plan.steps[this.index]);
                const step = plan.steps[this.index];
                this.steps.push({
                    index: this.index,
                    step,
                    startedAtSeconds,
                    endedAtSeconds: this.since(),
                });
            }
            const counts = this.successes()
                .map((x) => `${x.name} ${x.n} successful`)
                .join(", ");
            reason =
                `canary "${plan.app}" promoted after ${plan.steps.length} steps in ${this.since()}s` +
                (counts ? ` (${counts})` : "");
            this.report(reason);
            headline = `after ${plan.steps.length} steps in ${this.since()}s`;
            this.emit({ type: "Promoted", reason });
        } catch (e) {
            verdict = "Aborted";
            abortedAtStep = Math.min(this.index, plan.steps.length - 1);
            const cause =
                e instanceof Abort ? e.message : `${this.where()} failed: ${(e as Error).message}`;
            headline = `at ${this.where()}: ${e instanceof Abort ? e.headline : cause}`;
            this.report(`canary "${plan.app}" rolled back at ${this.where()}: ${cause}`);
            reason = rolledBackReason(
                plan.app,
                this.where(),
                e instanceof Abort ? { abort: e.message } : { error: e },
                await resetAfterAbort(ports, plan.abortScaleDownDelaySeconds ?? 0),
            );
            this.emit({ type: "RolledBack", step: abortedAtStep, reason });
        }
        return {
            verdict,
            reason,
            headline,
            abortedAtStep,
            steps: this.steps,
            measurements: this.measurements,
            durationSeconds: this.since(),
        };
    }

    /** Before the first step: the canary's first pods ready, then the header route on. */
    private async openHeaderRoute(): Promise<void> {
        const n = canaryReplicas(this.plan.totalReplicas, 1);
        const then = "then requests with the header reach the canary";
        this.report(`header route: canary replicas ${n}/${this.plan.totalReplicas}, ${then}`);
        await this.readyCanary(n);
        await this.ports.router.setHeaderRoute(true);
    }

    /** Scales the canary and waits until `replicas` pods are ready, within the deadline. */
    private async readyCanary(replicas: number): Promise<void> {
        await this.ports.workloads.scaleCanary(replicas);
        await this.ports.workloads.waitCanaryReady(replicas, this.deadline);
        this.checkDeadline();
    }

    private async runStep(step: Step): Promise<void> {
        const label = `step ${this.index + 1}/${this.plan.steps.length} ${describeStep(step)}`;
        this.emit({
            type: "StepStarted",
            step: this.index,
            of: this.plan.steps.length,
            description: describeStep(step),
            weight: "setWeight" in step ? step.setWeight : this.weight,
        });
        if ("setWeight" in step) {
            // The header route keeps a pod to send its requests to, even at weight 0.
            const w = this.plan.headerRoute ? Math.max(1, step.setWeight) : step.setWeight;
            const replicas = canaryReplicas(this.plan.totalReplicas, w);
            this.report(`${label}: canary replicas ${replicas}/${this.plan.totalReplicas}`);
            await this.readyCanary(replicas);
            await this.ports.router.setWeight(step.setWeight);
            this.weight = step.setWeight;
            if (this.weight > 0 && this.trafficStart === undefined) {
                this.trafficStart = this.ports.clock.now();
                this.schedule.start(this.trafficStart);
            }
            if (this.trafficStart !== undefined) {
                this.weights.push({ atSeconds: this.trafficSeconds(), weight: this.weight });
            }
            return;
        }
        this.report(`${label} at weight ${this.weight}%`);
        if ("pause" in step) {
            const end = this.ports.clock.now() + step.pause.durationSeconds * 1000;
            // A measurement due when an analysis step starts is taken in it, not sooner.
            const next = this.plan.steps.slice(this.index + 1).find((s) => !("setWeight" in s));
            this.schedule.hold(next && "analysis" in next ? end : undefined);
            return this.measureUntil(() => this.ports.clock.now() >= end, end);
        }
        this.schedule.hold(undefined);
        if (this.plan.metrics.length === 0) {
            throw new Abort(`${this.where()} is an analysis step, but no metric is configured`);
        }
        const from = this.measurements.length;
        const enough = () =>
            this.plan.metrics.every(
                (m) =>
                    this.measurements
                        .slice(from)
                        .filter((x) => x.metric === m.name && x.phase === "Successful").length >=
                    step.analysis.count,
            );
        return this.measureUntil(enough);
    }

    /** Waits until `done` holds, taking each metric's measurements when they fall due. */
    private async measureUntil(done: () => boolean, until?: number): Promise<void> {
        const { clock } = this.ports;
        for (;;) {
            if (done()) {
                return;
            }
            this.checkDeadline();
            const now = clock.now();
            const due = this.schedule.due(now);
            for (const metric of due) {
                await this.measure(metric);
                this.schedule.measured(metric, clock.now());
            }
            if (due.length > 0) {
                continue;
            }
            const wake = Math.min(this.deadline, until ?? Infinity, this.schedule.next());
            if (wake === Infinity) {
                throw new Abort(
                    `${this.where()} waits for measurements, but no metric is scheduled`,
                );
            }
            await clock.sleep(Math.max(0, wake - clock.now()));
        }
    }

    private async measure(metric: Metric): Promise<void> {
        const at = { metric: metric.name, step: this.index, weight: this.weight };
        const ctx = {
            stepIndex: this.index,
            weight: this.weight,
            canaryTrafficSeconds: this.trafficSeconds(),
            timeLeftMs: this.deadline - this.ports.clock.now(),
            weights: this.weights.map((w) => ({ ...w })),
            analysis: "analysis" in this.plan.steps[this.index],
        };
        let m: Measurement;
        try {
            m = { ...at, atSeconds: this.since(), ...(await metric.measure(ctx)) };
            m.message = clip(m.message);
        } catch (e) {
            const message = clip((e as Error).message);
            m = {
                ...at,
                atSeconds: this.since(),
                phase: "Error",
                query: "",
                condition: "",
                message,
            };
        }
        this.measurements.push(m);
        this.emit({ type: "Measured", measurement: m });
        const own = this.measurements.filter((x) => x.metric === metric.name);
        const t = tally(own);
        const l = metric.limits;
        this.report(
            `${this.where()} ${metric.name} = ${fmt(m.value)}` +
                (m.requests !== undefined ? ` over ${fmtRequests(m.requests)}` : "") +
                `: ${m.phase} (${m.message}) [successful ${t.successful}, failed ${t.failed}/${l.failureLimit}, ` +
                `inconclusive ${t.inconclusive}/${l.inconclusiveLimit}, errors in a row ${t.consecutiveErrors}/${l.consecutiveErrorLimit}]`,
        );
        const a = assess(own, l);
        if (a.status !== "Running") {
            const { message, headline } = abortMessage(metric, a.status, a.limit, a.count, own);
            throw new Abort(message, headline);
        }
        // A measurement that ended past the deadline (one that ignored timeLeftMs) counts for
        // nothing: the deadline has the last word.
        this.checkDeadline();
    }

    /** Seconds since the canary first received traffic (0 before). */
    private trafficSeconds(): number {
        const { trafficStart } = this;
        return trafficStart === undefined ? 0 : (this.ports.clock.now() - trafficStart) / 1000;
    }

    private checkDeadline(): void {
        if (this.ports.clock.now() >= this.deadline) {
            const counts =
                this.successes()
                    .map((x) => `${x.n} successful ${x.name}`)
                    .join(", ") || "no metrics";
            const headline = `deadline of ${this.plan.deadlineSeconds}s passed at ${this.where()} with ${counts}; raise rollout.deadline or shorten the steps`;
            // Why the time ran out, when the measurements say so (e.g. no answer).
            const last = this.measurements[this.measurements.length - 1];
            const why =
                last && last.phase !== "Successful"
                    ? `; last measurement: ${last.metric} ${last.phase}: ${last.message}`
                    : "";
            throw new Abort(`${headline}${why}`, headline);
        }
    }

    /** Successful measurements per metric, in order. */
    private successes(): { name: string; n: number }[] {
        return this.plan.metrics.map((m) => ({
            name: m.name,
            n: tally(this.measurements.filter((x) => x.metric === m.name)).successful,
        }));
    }

    private where(): string {
        const step = this.plan.steps[this.index];
        return `step ${this.index + 1}/${this.plan.steps.length} (${step ? describeStep(step) : "promotion"}, weight ${this.weight}%)`;
    }

    private since(): number {
        return round((this.ports.clock.now() - this.start) / 1000);
    }

    /** Hands an event to the sink; a sink that throws must not break the run. */
    private emit(event: DistributiveOmit<RolloutEvent, "app" | "at">): void {
        try {
            this.ports.events?.({ ...event, app: this.plan.app, at: this.since() } as RolloutEvent);
        } catch {
            // Events are evidence beside the verdict, never a reason to change it.
        }
    }

    private report(line: string): void {
        this.ports.report(`${this.tag} ${line}`);
    }
}

function abortMessage(
    metric: Metric,
    status: "Failed" | "Inconclusive" | "Error",
    limit: string,
    count: number,
    own: Measurement[],
): { message: string; headline: string } {
    const last = [...own].reverse().find((m) => m.phase === status) ?? own[own.length - 1];
    const what =
        status === "Failed"
            ? `${count} measurements failed`
            : status === "Inconclusive"
              ? `${count} measurements were inconclusive`
              : `${count} measurements in a row were errors`;
    const cond = last.condition ? ` "${last.condition}"` : "";
    const lastValue =
        `last value ${fmt(last.value)}` +
        (last.requests !== undefined ? ` over ${fmtRequests(last.requests)}` : "");
    return {
        message: `${metric.name} ${what}${cond} (${limit}); ${lastValue}: ${last.message}; query: ${last.query}`,
        headline: `${metric.name} ${what}${cond} (${limit}), ${lastValue}`,
    };
}

function round(x: number): number {
    return Math.round(x * 10) / 10;
}
