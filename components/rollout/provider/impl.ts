// The dynamic providers' logic: pure check and diff (preview never touches the cluster or
// Prometheus), and create/update that wire the real adapters into the engine. resources.ts
// loads this module inside each provider method, so the serialized providers capture nothing
// but two paths.
import type * as pulumi from "@pulumi/pulumi";
import { fmt } from "../core/analysis";
import { sameJson } from "../core/canonicalJson";
import { resetToStable, runRollout } from "../core/engine";
import { judgeMetric } from "../core/judge/metric";
import { thresholdMetric } from "../core/metrics";
import { describeStep } from "../core/plan";
import { BaseArgs } from "../core/queries";
import { checkSpec, MIN_SCRAPES_PER_WINDOW, RolloutSpec } from "../core/spec";
import {
    CompletionInputs,
    readRolloutState,
    ROLLOUT_STATE_VERSION,
    RolloutInputs,
    RolloutOutputs,
    RunEvidence,
    SECRET_INPUTS,
} from "../core/state";
import { Metric, MetricsSource } from "../core/types";

/** The dynamic provider host's own input: the serialized provider, whose text moves with the code. */
const PROVIDER_KEY = "__provider";
/** Never a reason for a diff: secrets (not in outputs) and the provider's serialized code. */
const NOT_DIFFED: readonly string[] = [...SECRET_INPUTS, PROVIDER_KEY];
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

// ---------------------------------------------------------------------------------------------
// check and diff: pure.

export function checkRollout(news: RolloutInputs): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const known = (v: unknown) => v !== undefined && v !== UNKNOWN;
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
        if (known(news[k]) && !(typeof news[k] === "string" && news[k] !== "")) {
            failures.push({
                property: k,
                reason: `${k} must be a non-empty string; CanaryApp sets it, so this is a bug if you did not set it yourself`,
            });
        }
    }
    if (
        known(news.totalReplicas) &&
        !(Number.isInteger(news.totalReplicas) && news.totalReplicas >= 1)
    ) {
        failures.push({
            property: "totalReplicas",
            reason: `totalReplicas must be a whole number >= 1, got ${JSON.stringify(news.totalReplicas)}; set app.replicas`,
        });
    }
    if (known(news.prometheus) && !(news.prometheus?.url || news.prometheus?.service)) {
        failures.push({
            property: "prometheus",
            reason: "prometheus needs a url or a service; set monitoring.prometheus",
        });
    }
    // The spec's rules: the same checkSpec the config layer runs, so a program that builds
    // CanaryRollout by hand meets the same rules with the same messages.
    const spec: RolloutSpec = {
        steps: news.steps,
        deadlineSeconds: news.deadlineSeconds,
        metrics: news.metrics,
        judge: news.judge,
    };
    const scrape = news.scrapeIntervalSeconds;
    if ([...Object.values(spec), scrape].every((v) => v !== UNKNOWN)) {
        if (!(typeof scrape === "number" && scrape > 0)) {
            failures.push({
                property: "scrapeIntervalSeconds",
                reason: `scrapeIntervalSeconds must be a positive number of seconds, got ${JSON.stringify(scrape)}; set monitoring.scrapeInterval`,
            });
        } else {
            for (const p of checkSpec(spec, { scrapeIntervalSeconds: scrape })) {
                failures.push({ property: inputOf(p.path), reason: `${p.path}: ${p.message}` });
            }
        }
    }
    return failures;
}

/** The input a spec path lives in: rollout.deadline -> deadlineSeconds, rollout.steps[2] -> steps. */
function inputOf(path: string): string {
    if (path.startsWith("rollout.steps")) {
        return "steps";
    }
    if (path.startsWith("rollout.deadline")) {
        return "deadlineSeconds";
    }
    return path.startsWith("rollout.analysis.judge") ? "judge" : "metrics";
}

/**
 * Never replaces. A changed template hash means a canary run on update; any other changed input
 * only updates state. Secrets are not in the old outputs, so they never cause a diff by
 * themselves; they are used as given at the next run.
 */
export function diffRollout(stored: object, news: RolloutInputs): pulumi.dynamic.DiffResult {
    const olds = readRolloutState(stored);
    const canary = news.templateHash !== olds.promotedHash;
    return {
        changes: changedInputs(olds, news).length > 0,
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
    return {
        changes: changedInputs(olds, news).length > 0,
        replaces: [],
        deleteBeforeReplace: false,
    };
}

/** The inputs whose value differs from the stored one, leaving out NOT_DIFFED. */
export function changedInputs(olds: object, news: object): string[] {
    const o = olds as Record<string, unknown>;
    const n = news as Record<string, unknown>;
    return Object.keys(n).filter((k) => !NOT_DIFFED.includes(k) && !sameJson(o[k], n[k]));
}

// ---------------------------------------------------------------------------------------------
// create and update: the real run.

/** Builds the metrics of a run: the threshold metrics, and the judge when enabled. */
export function buildMetrics(inputs: RolloutInputs, source: MetricsSource): Metric[] {
    const args: BaseArgs = {
        namespace: inputs.namespace,
        service: inputs.canaryService,
        stableService: inputs.stableService,
        ingress: inputs.canaryIngress,
        failureStatus: inputs.metrics[0]?.failureStatus ?? "5..",
    };
    const minWindowSeconds = MIN_SCRAPES_PER_WINDOW * inputs.scrapeIntervalSeconds;
    const metrics = inputs.metrics.map((m) =>
        thresholdMetric(m, { ...args, failureStatus: m.failureStatus }, source, minWindowSeconds),
    );
    if (inputs.judge?.enabled) {
        metrics.push(
            judgeMetric(
                inputs.judge,
                {
                    ...args,
                    scrapeIntervalSeconds: inputs.scrapeIntervalSeconds,
                    deadlineSeconds: inputs.deadlineSeconds,
                },
                source,
            ),
        );
    }
    return metrics;
}

function publicInputs(inputs: RolloutInputs): Record<string, unknown> {
    const copy = { ...inputs } as Record<string, unknown>;
    for (const k of SECRET_INPUTS) {
        delete copy[k];
    }
    return copy;
}

const log = (line: string) => console.error(line);

async function connect(inputs: RolloutInputs) {
    const { loadKubeConfig, kubeAdapters } = await import("../adapters/kube");
    const { prometheusSource } = await import("../adapters/prometheus");
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
    const { hostClock, OrphanedRun } = await import("../adapters/hostClock");
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
        // Nobody will read the result; the engine already put traffic back on stable. The
        // provider host (resources.ts) exits on this error, or it would linger for good.
        throw new OrphanedRun(`[canary ${inputs.app}] pulumi is gone; traffic is back on stable`);
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
        JSON.stringify({
            ...publicInputs(inputs),
            stateVersion: ROLLOUT_STATE_VERSION,
            promotedTemplate,
            promotedHash,
            lastRun,
        }),
    );
}

export async function updateRollout(
    stored: object,
    news: RolloutInputs,
): Promise<{ outs: RolloutOutputs }> {
    const olds = readRolloutState(stored);
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
    const { loadKubeConfig, kubeAdapters } = await import("../adapters/kube");
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
