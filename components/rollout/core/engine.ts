// The rollout state machine: reset to stable, then for each step set the weight (scaling the
// canary first), wait or analyse, and finally promote or abort. It talks only to the ports in
// types.ts and reads time from the injected clock, so it is pure with respect to the world.
import { assess, fmt, tally } from "./analysis";
import { canaryReplicas, describeStep } from "./plan";
import {
    Clock,
    Measurement,
    Metric,
    Reporter,
    RolloutResult,
    StepRecord,
    TrafficRouter,
    Workloads,
} from "./types";
import type { Step } from "./spec";

export interface RolloutPlan {
    /** The app's name, used in every message. */
    app: string;
    steps: Step[];
    /** Replicas of the stable Deployment; the canary's follow the weight. */
    totalReplicas: number;
    /** The whole rollout must finish within this many seconds, or it is rolled back. */
    deadlineSeconds: number;
    metrics: Metric[];
}

export interface Ports {
    router: TrafficRouter;
    workloads: Workloads;
    clock: Clock;
    report: Reporter;
}

/** Puts all traffic on stable and scales the canary to zero. Idempotent. */
export async function resetToStable(ports: Pick<Ports, "router" | "workloads">): Promise<void> {
    await ports.router.setWeight(0);
    await ports.workloads.scaleCanary(0);
}

/** Thrown inside the loop to stop it; carries the reason shown to the user. */
class Abort extends Error {}

export async function runRollout(plan: RolloutPlan, ports: Ports): Promise<RolloutResult> {
    const { clock, report } = ports;
    const start = clock.now();
    const deadline = start + plan.deadlineSeconds * 1000;
    const since = () => round((clock.now() - start) / 1000);
    const tag = `[canary ${plan.app}]`;
    const measurements: Measurement[] = [];
    const steps: StepRecord[] = [];
    const nextAt = new Map<Metric, number>();
    let weight = 0;
    let trafficStart: number | undefined;
    let index = 0;

    const where = () => {
        const step = plan.steps[index];
        return `step ${index + 1}/${plan.steps.length} (${step ? describeStep(step) : "promotion"}, weight ${weight}%)`;
    };

    const checkDeadline = () => {
        if (clock.now() >= deadline) {
            const ok = plan.metrics
                .map(
                    (m) =>
                        `${tally(measurements.filter((x) => x.metric === m.name)).successful} successful ${m.name}`,
                )
                .join(", ");
            throw new Abort(
                `deadline of ${plan.deadlineSeconds}s passed at ${where()} with ${ok || "no metrics"}; ` +
                    `raise rollout.deadline or shorten the steps`,
            );
        }
    };

    const measure = async (metric: Metric) => {
        const ctx = {
            stepIndex: index,
            weight,
            canaryTrafficSeconds:
                trafficStart === undefined ? 0 : (clock.now() - trafficStart) / 1000,
        };
        let m: Measurement;
        try {
            const r = await metric.measure(ctx);
            m = { metric: metric.name, step: index, weight, atSeconds: since(), ...r };
        } catch (e) {
            m = {
                metric: metric.name,
                step: index,
                weight,
                atSeconds: since(),
                phase: "Error",
                query: "",
                condition: "",
                message: (e as Error).message,
            };
        }
        measurements.push(m);
        const own = measurements.filter((x) => x.metric === metric.name);
        const t = tally(own);
        report(
            `${tag} ${where()} ${metric.name} = ${fmt(m.value)}` +
                (m.requests !== undefined ? ` over ${fmt(m.requests)} requests` : "") +
                `: ${m.phase} (${m.message}) [successful ${t.successful}, failed ${t.failed}/${metric.limits.failureLimit}, ` +
                `inconclusive ${t.inconclusive}/${metric.limits.inconclusiveLimit}, errors in a row ${t.consecutiveErrors}/${metric.limits.consecutiveErrorLimit}]`,
        );
        const a = assess(own, metric.limits);
        if (a.status !== "Running") {
            throw new Abort(abortMessage(metric, a.status, a.limit, a.count, own));
        }
    };

    // Waits until `done` holds, taking each metric's measurements when they fall due.
    const measureUntil = async (done: () => boolean, until?: number) => {
        for (;;) {
            if (done()) {
                return;
            }
            checkDeadline();
            const now = clock.now();
            const due = plan.metrics.filter((m) => (nextAt.get(m) ?? Infinity) <= now);
            for (const metric of due) {
                await measure(metric);
                nextAt.set(
                    metric,
                    Math.max(nextAt.get(metric)! + metric.intervalSeconds * 1000, clock.now()),
                );
            }
            if (due.length > 0) {
                continue;
            }
            const wake = Math.min(
                deadline,
                until ?? Infinity,
                ...plan.metrics.map((m) => nextAt.get(m) ?? Infinity),
            );
            if (wake === Infinity) {
                throw new Abort(`${where()} waits for measurements, but no metric is scheduled`);
            }
            await clock.sleep(Math.max(0, wake - clock.now()));
        }
    };

    const runStep = async (step: Step) => {
        if ("setWeight" in step) {
            const replicas = canaryReplicas(plan.totalReplicas, step.setWeight);
            report(
                `${tag} step ${index + 1}/${plan.steps.length} ${describeStep(step)}: canary replicas ${replicas}/${plan.totalReplicas}`,
            );
            await ports.workloads.scaleCanary(replicas);
            await ports.workloads.waitCanaryReady(replicas, deadline);
            checkDeadline();
            await ports.router.setWeight(step.setWeight);
            weight = step.setWeight;
            if (weight > 0 && trafficStart === undefined) {
                trafficStart = clock.now();
                for (const m of plan.metrics) {
                    nextAt.set(m, trafficStart + m.initialDelaySeconds * 1000);
                }
            }
        } else if ("pause" in step) {
            report(
                `${tag} step ${index + 1}/${plan.steps.length} ${describeStep(step)} at weight ${weight}%`,
            );
            const end = clock.now() + step.pause.durationSeconds * 1000;
            await measureUntil(() => clock.now() >= end, end);
        } else {
            report(
                `${tag} step ${index + 1}/${plan.steps.length} ${describeStep(step)} at weight ${weight}%`,
            );
            if (plan.metrics.length === 0) {
                throw new Abort(`${where()} is an analysis step, but no metric is configured`);
            }
            const from = measurements.length;
            const enough = () =>
                plan.metrics.every(
                    (m) =>
                        measurements
                            .slice(from)
                            .filter((x) => x.metric === m.name && x.phase === "Successful")
                            .length >= step.analysis.count,
                );
            await measureUntil(enough);
        }
    };

    let verdict: RolloutResult["verdict"] = "Promoted";
    let reason: string;
    let abortedAtStep: number | undefined;
    try {
        report(`${tag} resetting traffic to stable before the canary starts`);
        await resetToStable(ports);
        for (index = 0; index < plan.steps.length; index++) {
            const startedAtSeconds = since();
            await runStep(plan.steps[index]);
            steps.push({
                index,
                step: plan.steps[index],
                startedAtSeconds,
                endedAtSeconds: since(),
            });
        }
        const counts = plan.metrics
            .map(
                (m) =>
                    `${m.name} ${tally(measurements.filter((x) => x.metric === m.name)).successful} successful`,
            )
            .join(", ");
        reason =
            `canary "${plan.app}" promoted after ${plan.steps.length} steps in ${since()}s` +
            (counts ? ` (${counts})` : "");
        report(`${tag} ${reason}`);
    } catch (e) {
        verdict = "Aborted";
        abortedAtStep = Math.min(index, plan.steps.length - 1);
        const cause = e instanceof Abort ? e.message : `${where()} failed: ${(e as Error).message}`;
        reason = `canary "${plan.app}" rolled back at ${where()}: ${cause}`;
        report(`${tag} ${reason}`);
        try {
            await resetToStable(ports);
            reason += "; traffic is back on the stable version and the canary is scaled to 0";
        } catch (resetError) {
            reason += `; resetting traffic to stable ALSO failed: ${(resetError as Error).message}. Run pulumi up again: every run resets first`;
        }
    }
    return { verdict, reason, abortedAtStep, steps, measurements, durationSeconds: since() };
}

function abortMessage(
    metric: Metric,
    status: "Failed" | "Inconclusive" | "Error",
    limit: string,
    count: number,
    own: Measurement[],
): string {
    const last = [...own].reverse().find((m) => m.phase === status) ?? own[own.length - 1];
    const what =
        status === "Failed"
            ? `${count} measurements failed`
            : status === "Inconclusive"
              ? `${count} measurements were inconclusive`
              : `${count} measurements in a row were errors`;
    const cond = last.condition ? ` "${last.condition}"` : "";
    return (
        `${metric.name} ${what}${cond} (${limit}); last value ${fmt(last.value)}` +
        (last.requests !== undefined ? ` over ${fmt(last.requests)} requests` : "") +
        `: ${last.message}; query: ${last.query}`
    );
}

function round(x: number): number {
    return Math.round(x * 10) / 10;
}
