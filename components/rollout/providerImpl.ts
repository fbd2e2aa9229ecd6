// The dynamic providers' logic: pure check and diff (preview never touches the cluster or
// Prometheus), and create/update that wire the real adapters into the engine. resources.ts
// loads this module inside each provider method, so the serialized providers capture nothing
// but two paths.
import type * as pulumi from "@pulumi/pulumi";
import type { JudgeConfig, MetricConfig, ServiceRef } from "../config";
import { fmt } from "./analysis";
import { parseCondition } from "./condition";
import { runRollout, resetToStable } from "./engine";
import { thresholdMetric, unknownArgs, BaseArgs } from "./metrics";
import { describeStep } from "./plan";
import { Metric, MetricsSource, RolloutResult, Step } from "./types";

/** Inputs of CanaryRollout, as the provider sees them (Outputs resolved). */
export interface RolloutInputs {
    app: string;
    namespace: string;
    canaryDeployment: string;
    stableDeployment: string;
    canaryIngress: string;
    canaryService: string;
    stableService: string;
    /** The desired pod template, without the track label. */
    template: Record<string, unknown>;
    templateHash: string;
    totalReplicas: number;
    steps: Step[];
    deadlineSeconds: number;
    metrics: MetricConfig[];
    judge: JudgeConfig;
    scrapeIntervalSeconds: number;
    prometheus: { url?: string; service?: ServiceRef; username?: string; timeoutSeconds: number };
    /** Secrets: never copied into outputs. */
    prometheusToken?: string;
    prometheusPassword?: string;
    kubeconfig?: string;
    kubeContext?: string;
}

/** The evidence of the last canary run, as returned in outputs. */
export interface RunEvidence extends RolloutResult {
    startedAt: string;
    templateHash: string;
}

export interface RolloutOutputs extends Omit<
    RolloutInputs,
    "prometheusToken" | "prometheusPassword" | "kubeconfig"
> {
    promotedTemplate: Record<string, unknown>;
    promotedHash: string;
    lastRun: RunEvidence | null;
}

export interface CompletionInputs {
    namespace: string;
    canaryDeployment: string;
    stableDeployment: string;
    canaryIngress: string;
    promotedHash: string;
    kubeconfig?: string;
    kubeContext?: string;
}

const SECRET_KEYS = ["prometheusToken", "prometheusPassword", "kubeconfig"];
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

// ---------------------------------------------------------------------------------------------
// check and diff: pure.

export function checkRollout(news: RolloutInputs): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const known = (v: unknown) => v !== undefined && v !== UNKNOWN;
    const need = (property: string, ok: boolean, reason: string) => {
        if (!ok) {
            failures.push({ property, reason });
        }
    };
    for (const k of [
        "app",
        "namespace",
        "canaryDeployment",
        "stableDeployment",
        "canaryIngress",
        "canaryService",
        "stableService",
        "templateHash",
    ] as const) {
        if (known(news[k])) {
            need(
                k,
                typeof news[k] === "string" && news[k] !== "",
                `${k} must be a non-empty string; CanaryApp sets it, so this is a bug if you did not set it yourself`,
            );
        }
    }
    if (known(news.totalReplicas)) {
        need(
            "totalReplicas",
            Number.isInteger(news.totalReplicas) && news.totalReplicas >= 1,
            `totalReplicas must be a whole number >= 1, got ${JSON.stringify(news.totalReplicas)}; set app.replicas`,
        );
    }
    if (known(news.deadlineSeconds)) {
        need(
            "deadlineSeconds",
            typeof news.deadlineSeconds === "number" && news.deadlineSeconds > 0,
            `deadlineSeconds must be positive, got ${JSON.stringify(news.deadlineSeconds)}; set rollout.deadline such as "30m"`,
        );
    }
    if (known(news.steps)) {
        need(
            "steps",
            Array.isArray(news.steps) && news.steps.length > 0,
            "steps must be a non-empty list; set rollout.steps",
        );
    }
    if (known(news.metrics) && Array.isArray(news.metrics)) {
        news.metrics.forEach((m, i) => {
            for (const key of ["successCondition", "failureCondition"] as const) {
                if (m[key]) {
                    try {
                        parseCondition(m[key]!);
                    } catch (e) {
                        failures.push({
                            property: `metrics[${i}].${key}`,
                            reason: `${(e as Error).message}; fix rollout.analysis.metrics[${i}].${key}`,
                        });
                    }
                }
            }
            for (const key of ["query", "requestsQuery"] as const) {
                const unknown = unknownArgs(m[key] ?? "");
                if (unknown.length) {
                    failures.push({
                        property: `metrics[${i}].${key}`,
                        reason: `unknown query args ${unknown.join(", ")}; fix rollout.analysis.metrics[${i}].${key}`,
                    });
                }
            }
        });
    }
    if (known(news.prometheus)) {
        need(
            "prometheus",
            !!(news.prometheus?.url || news.prometheus?.service),
            "prometheus needs a url or a service; set monitoring.prometheus",
        );
    }
    return failures;
}

/** Deep equality of JSON-like values; unknowns compare unequal so preview shows an update. */
export function sameJson(a: unknown, b: unknown): boolean {
    return canonicalJson(a) === canonicalJson(b);
}

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(v: unknown): string {
    return JSON.stringify(canonical(v));
}

function canonical(v: unknown): unknown {
    if (Array.isArray(v)) {
        return v.map(canonical);
    }
    if (v && typeof v === "object") {
        return Object.fromEntries(
            Object.keys(v)
                .sort()
                .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
        );
    }
    return v;
}

/**
 * Never replaces. A changed template hash means a canary run on update; any other changed input
 * only updates state. Secrets are not in the old outputs, so they never cause a diff by
 * themselves; they are used as given at the next run.
 */
export function diffRollout(olds: RolloutOutputs, news: RolloutInputs): pulumi.dynamic.DiffResult {
    const changed = Object.keys(news).filter(
        (k) =>
            !SECRET_KEYS.includes(k) &&
            !sameJson(
                (olds as unknown as Record<string, unknown>)[k],
                (news as unknown as Record<string, unknown>)[k],
            ),
    );
    const canary = news.templateHash !== olds.promotedHash;
    return {
        changes: changed.length > 0,
        replaces: [],
        deleteBeforeReplace: false,
        // Without a new template the promoted one stays: preview then shows no change to stable.
        stables: canary ? [] : ["promotedTemplate", "promotedHash"],
    };
}

export function diffCompletion(
    olds: CompletionInputs,
    news: CompletionInputs,
): pulumi.dynamic.DiffResult {
    const changed = Object.keys(news).filter(
        (k) =>
            !SECRET_KEYS.includes(k) &&
            !sameJson(
                (olds as unknown as Record<string, unknown>)[k],
                (news as unknown as Record<string, unknown>)[k],
            ),
    );
    return { changes: changed.length > 0, replaces: [], deleteBeforeReplace: false };
}

// ---------------------------------------------------------------------------------------------
// create and update: the real run.

/** Builds the metrics of a run. The judge (judge.ts) joins them when enabled. */
export function buildMetrics(inputs: RolloutInputs, source: MetricsSource): Metric[] {
    const args: BaseArgs = {
        namespace: inputs.namespace,
        service: inputs.canaryService,
        stableService: inputs.stableService,
        ingress: inputs.canaryIngress,
        failureStatus: inputs.metrics[0]?.failureStatus ?? "5..",
    };
    const metrics = inputs.metrics.map((m) =>
        thresholdMetric(
            { ...m, minWindowSeconds: 4 * inputs.scrapeIntervalSeconds },
            { ...args, failureStatus: m.failureStatus },
            source,
        ),
    );
    if (inputs.judge?.enabled) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { judgeMetric } = require("./judge") as typeof import("./judge");
        metrics.push(
            judgeMetric(
                inputs.judge,
                { ...args, scrapeIntervalSeconds: inputs.scrapeIntervalSeconds },
                source,
            ),
        );
    }
    return metrics;
}

function publicInputs(
    inputs: RolloutInputs,
): Omit<RolloutInputs, "prometheusToken" | "prometheusPassword" | "kubeconfig"> {
    const copy = { ...inputs } as Record<string, unknown>;
    for (const k of SECRET_KEYS) {
        delete copy[k];
    }
    return copy as Omit<RolloutInputs, "prometheusToken" | "prometheusPassword" | "kubeconfig">;
}

const log = (line: string) => console.error(line);

async function connect(inputs: RolloutInputs) {
    const { loadKubeConfig, kubeAdapters } = await import("./kube");
    const { prometheusSource } = await import("./prometheus");
    const kc = loadKubeConfig({ kubeconfig: inputs.kubeconfig, context: inputs.kubeContext });
    const cluster = kubeAdapters(kc, inputs);
    const source = await prometheusSource(
        {
            ...inputs.prometheus,
            bearerToken: inputs.prometheusToken,
            password: inputs.prometheusPassword,
        },
        kc,
    );
    return { cluster, source };
}

/** Runs the canary and returns its evidence; throws with the reason when it is rolled back. */
async function canary(inputs: RolloutInputs): Promise<RunEvidence> {
    const { cluster, source } = await connect(inputs);
    const { hostClock } = await import("./hostClock");
    const clock = hostClock();
    const startedAt = new Date().toISOString();
    const result = await runRollout(
        {
            app: inputs.app,
            steps: inputs.steps,
            totalReplicas: inputs.totalReplicas,
            deadlineSeconds: inputs.deadlineSeconds,
            metrics: buildMetrics(inputs, source),
        },
        {
            router: cluster,
            workloads: cluster,
            clock,
            report: log,
        },
    );
    if (clock.orphaned()) {
        // Nobody will read the result; the engine already put traffic back on stable. Exit, or
        // this host would linger after the killed `pulumi up` for good.
        log(`[canary ${inputs.app}] pulumi is gone; traffic is back on stable. Exiting.`);
        setTimeout(() => process.exit(2), 100);
    }
    const evidence: RunEvidence = { ...result, startedAt, templateHash: inputs.templateHash };
    if (result.verdict !== "Promoted") {
        throw new Error(`${result.reason}\n${summarize(evidence)}`);
    }
    return evidence;
}

/** The evidence as a short table for the failure message and the demo. */
export function summarize(e: RunEvidence): string {
    const lines = [`evidence (started ${e.startedAt}, ${e.durationSeconds}s):`];
    for (const m of e.measurements) {
        const step = e.steps[m.step]?.step;
        lines.push(
            `  t=${m.atSeconds}s step ${m.step + 1}${step ? ` ${describeStep(step)}` : ""} weight ${m.weight}% ` +
                `${m.metric}=${fmt(m.value)}${m.requests !== undefined ? ` (${fmt(m.requests)} req)` : ""} ${m.phase}: ${m.message}`,
        );
    }
    return lines.join("\n");
}

export async function createRollout(
    inputs: RolloutInputs,
): Promise<{ id: string; outs: RolloutOutputs }> {
    const { cluster } = await connect(inputs);
    const existing = await cluster.stableTemplateHash();
    let lastRun: RunEvidence | null = null;
    if (existing === undefined || existing === inputs.templateHash) {
        log(
            `[canary ${inputs.app}] ${existing === undefined ? "first deployment" : "stable already runs this template"}: promoted without a canary run`,
        );
        await resetToStable({ router: cluster, workloads: cluster });
    } else {
        lastRun = await canary(inputs);
    }
    return {
        id: `${inputs.namespace}/${inputs.app}`,
        outs: rolloutOutputs(inputs, inputs.template, inputs.templateHash, lastRun),
    };
}

/**
 * The outputs: the public inputs, what stable may run, and the evidence, as plain JSON. The
 * provider host hands outputs to protobuf's Struct, which rejects `undefined` ("Unexpected
 * struct type"); JSON drops undefined fields and turns NaN into null.
 */
export function rolloutOutputs(
    inputs: RolloutInputs,
    promotedTemplate: Record<string, unknown>,
    promotedHash: string,
    lastRun: RunEvidence | null,
): RolloutOutputs {
    return JSON.parse(
        JSON.stringify({ ...publicInputs(inputs), promotedTemplate, promotedHash, lastRun }),
    );
}

export async function updateRollout(
    olds: RolloutOutputs,
    news: RolloutInputs,
): Promise<{ outs: RolloutOutputs }> {
    if (news.templateHash === olds.promotedHash) {
        // Steps, analysis or credentials changed, not the pod template: no canary run.
        const { cluster } = await connect(news);
        await resetToStable({ router: cluster, workloads: cluster });
        return {
            outs: rolloutOutputs(news, olds.promotedTemplate, olds.promotedHash, olds.lastRun),
        };
    }
    const lastRun = await canary(news);
    return { outs: rolloutOutputs(news, news.template, news.templateHash, lastRun) };
}

/** After stable runs the promoted template: all traffic to stable, canary to zero. */
export async function complete(
    inputs: CompletionInputs,
): Promise<Omit<CompletionInputs, "kubeconfig">> {
    const { loadKubeConfig, kubeAdapters } = await import("./kube");
    const kc = loadKubeConfig({ kubeconfig: inputs.kubeconfig, context: inputs.kubeContext });
    const cluster = kubeAdapters(kc, inputs);
    await resetToStable({ router: cluster, workloads: cluster });
    console.error(
        `[canary ${inputs.canaryDeployment}] stable runs ${inputs.promotedHash.slice(0, 12)}; canary weight 0, canary scaled to 0`,
    );
    const outs = { ...inputs };
    delete outs.kubeconfig;
    return JSON.parse(JSON.stringify(outs));
}
