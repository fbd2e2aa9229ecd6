// The dynamic providers' logic: pure check and diff (preview never touches the cluster or
// Prometheus), and create/update that wire the real adapters into the engine. resources.ts
// loads this module inside each provider method, so the serialized providers capture nothing
// but two paths.
import type * as pulumi from "@pulumi/pulumi";
import { sameJson } from "../core/canonicalJson";
import { resetToStable, runRollout } from "../core/engine";
import { judgeMetric } from "../core/judge/metric";
import { thresholdMetric } from "../core/metrics";
import { summarize, verdictLine } from "../core/evidence";
import { describePlan } from "../core/plan";
import { resetFailed } from "../core/restore";
import { BaseArgs } from "../core/queries";
import { MIN_SCRAPES_PER_WINDOW } from "../core/spec";
import {
    CompletionInputs,
    readRolloutState,
    ROLLOUT_STATE_VERSION,
    RolloutInputs,
    routerOf,
    RolloutOutputs,
    RunEvidence,
    SECRET_INPUTS,
} from "../core/state";
import { CANCEL_FILE_ENV, rolloutTag } from "../core/names";
import { Metric, MetricsSource } from "../core/types";
import { scrubbed, secretsOf } from "./secrets";
import { missingStable } from "./stable";

export { checkRollout } from "./check";
export { complete, COMPLETION_SECONDS } from "./completion"; // resources.ts loads them from here

/** The dynamic provider host's own input: the serialized provider, whose text moves with the code. */
const PROVIDER_KEY = "__provider";
/** Never a reason for a diff: secrets (not in outputs) and the provider's serialized code. */
const NOT_DIFFED: readonly string[] = [...SECRET_INPUTS, PROVIDER_KEY];
/** How long a finished run waits for its Kubernetes events and notifications to go out. */
const EVIDENCE_FLUSH_MS = 5000;

// ---------------------------------------------------------------------------------------------
// check and diff: pure.

/**
 * Never replaces. A changed template hash means a canary run on update; any other changed input
 * only updates state. Secrets are not in the old outputs, so they never cause a diff by
 * themselves; they are used as given at the next run.
 */
export function diffRollout(stored: object, news: RolloutInputs): pulumi.dynamic.DiffResult {
    const olds = readRolloutState(stored);
    const canary = news.templateHash !== olds.promotedHash;
    // Preview runs diff: say what `pulumi up` will do (stderr lines show in preview's output).
    console.error(describePlan(news, canary));
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
        const { scrapeIntervalSeconds, deadlineSeconds } = inputs;
        const timing = { scrapeIntervalSeconds, deadlineSeconds, router: routerOf(inputs).kind };
        metrics.push(judgeMetric(inputs.judge, { ...args, ...timing }, source));
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

type Log = (line: string) => void;
type Connection = Awaited<ReturnType<typeof connect>>;

/** The adapters of a run; the Kubernetes ones retry no later than the rollout's deadline. */
async function connect(inputs: RolloutInputs) {
    const { loadKubeConfig } = await import("../adapters/kube");
    const { kubeAdapters } = await import("./cluster");
    const { prometheusSource } = await import("../adapters/prometheus");
    const kc = loadKubeConfig({ kubeconfig: inputs.kubeconfig, context: inputs.kubeContext });
    const cluster = kubeAdapters(kc, inputs, {
        deadline: Date.now() + inputs.deadlineSeconds * 1000,
    });
    const source = await prometheusSource(
        {
            ...inputs.prometheus,
            bearerToken: inputs.prometheusToken,
            password: inputs.prometheusPassword,
        },
        kc,
    );
    return { cluster, source, kc };
}

/** Runs the canary and returns its evidence, promoted or rolled back. */
async function canary(inputs: RolloutInputs, conn: Connection, log: Log): Promise<RunEvidence> {
    const { source, kc } = conn;
    const { hostClock, OrphanedRun } = await import("../adapters/hostClock");
    const { kubeAdapters } = await import("./cluster");
    const { kubeEvents } = await import("../adapters/events");
    const { webhooks } = await import("../adapters/webhooks");
    const events = kubeEvents(kc, inputs, log);
    const hooks = webhooks(
        inputs.notifications ?? [],
        inputs.notificationUrls ?? {},
        log,
        inputs.app,
    );
    const sinks = [events.sink, hooks.sink];
    const queues = [events.queue, ...hooks.queues];
    // The host clock also watches for cancellation (the release runner's cancel file, a signal
    // to the host) and for a gone `pulumi`; the run's Kubernetes waits tick on it, so either
    // stops a wait for ready pods at the next tick.
    const clock = hostClock({ cancelFile: process.env[CANCEL_FILE_ENV] || undefined });
    const cluster = kubeAdapters(kc, inputs, {
        deadline: Date.now() + inputs.deadlineSeconds * 1000,
        pollSleep: clock.sleep,
    });
    const startedAt = new Date().toISOString();
    let result;
    try {
        result = await runRollout(
            {
                app: inputs.app,
                steps: inputs.steps,
                totalReplicas: inputs.totalReplicas,
                deadlineSeconds: inputs.deadlineSeconds,
                abortScaleDownDelaySeconds: inputs.abortScaleDownDelaySeconds ?? 0,
                metrics: buildMetrics(inputs, source),
                headerRoute: routerOf(inputs).header !== undefined,
            },
            {
                router: cluster,
                workloads: cluster,
                clock,
                report: log,
                events: (e) => sinks.forEach((sink) => sink(e)),
            },
        );
    } finally {
        clock.dispose();
    }
    // Evidence that leaves the process gets a few more seconds, never more.
    await Promise.all(queues.map((q) => q.flush(EVIDENCE_FLUSH_MS)));
    if (clock.stopped()?.exit) {
        // Nobody will read the result; the engine already reset traffic (its reason says how
        // far). The provider host (resources.ts) exits on this error, or it would linger.
        const reset = resetFailed(result.reason)
            ? `: ${result.reason}`
            : "; traffic is back on stable";
        throw new OrphanedRun(`${rolloutTag(inputs.app)} ${clock.stopped()!.message}${reset}`);
    }
    const evidence: RunEvidence = { ...result, startedAt, templateHash: inputs.templateHash };
    log(`${rolloutTag(inputs.app)} ${verdictLine(evidence)}; ${await report(evidence, inputs)}`);
    return evidence;
}

/** Writes the run's report; says where, or why not (a report never changes a verdict). */
async function report(evidence: RunEvidence, inputs: RolloutInputs): Promise<string> {
    try {
        const { reportDir, writeReport } = await import("../adapters/report");
        const paths = await writeReport(evidence, reportDir(inputs.namespace, inputs.app));
        return `report: ${paths.html} (Markdown summary: ${paths.markdown})`;
    } catch (e) {
        return `no report written: ${(e as Error).message}`;
    }
}

/**
 * No CanaryRollout state: the first deployment of this app, unless a stable Deployment of this
 * app is already there (the state was lost, or the resource renamed): then its template hash
 * decides, and a different one runs a canary against it.
 */
export async function createRollout(
    inputs: RolloutInputs,
): Promise<{ id: string; outs: RolloutOutputs }> {
    return scrubbed(await secretsOf(inputs), async (log) => ({
        id: `${inputs.namespace}/${inputs.app}`,
        outs: await firstRun(inputs, await connect(inputs), log),
    }));
}

/** A run where the state knows of no stable Deployment at this place. */
async function firstRun(
    inputs: RolloutInputs,
    conn: Connection,
    log: Log,
): Promise<RolloutOutputs> {
    const { cluster } = conn;
    const existing = await cluster.stableTemplateHash();
    let lastRun: RunEvidence | null = null;
    if (existing === undefined) {
        log(`${rolloutTag(inputs.app)} first deployment: promoted without a canary run`);
        await resetFirstDeployment(cluster);
    } else if (existing === inputs.templateHash) {
        log(
            `${rolloutTag(inputs.app)} stable already runs this template: promoted without a canary run`,
        );
        await resetToStable({ router: cluster, workloads: cluster });
    } else {
        lastRun = await canary(inputs, conn, log);
        if (lastRun.verdict !== "Promoted") {
            // No previous state to keep: fail the create, so the next `pulumi up` creates and
            // retries. The reason and the evidence are in the message.
            throw new Error(`${lastRun.reason}\n${summarize(lastRun)}`);
        }
    }
    return rolloutOutputs(inputs, inputs.template, inputs.templateHash, lastRun, lastRun);
}

/**
 * No stable Deployment yet: CanaryApp creates the Ingresses (or the HTTPRoute) once stable's
 * pods are ready (so a first deploy sends no request to a Service with no ready pod), and the
 * router's object may not exist yet (so too after a change of router, which creates a new one). Then nothing routes to the canary and there is no weight to reset; any other error
 * is one.
 */
async function resetFirstDeployment(cluster: Connection["cluster"]): Promise<void> {
    const { KubeApiError } = await import("../adapters/kube");
    const unlessMissing = async (write: () => Promise<void>) => {
        try {
            await write();
        } catch (e) {
            if (!(e instanceof KubeApiError && e.status === 404)) {
                throw e;
            }
        }
    };
    await resetToStable({
        router: {
            setWeight: (weight) => unlessMissing(() => cluster.setWeight(weight)),
            setHeaderRoute: (on) => unlessMissing(() => cluster.setHeaderRoute(on)),
        },
        workloads: cluster,
    });
}

/**
 * The outputs: the public inputs, what stable may run, and the evidence, as plain JSON. The
 * provider host hands outputs to protobuf's Struct, which rejects `undefined` ("Unexpected
 * struct type"); JSON drops undefined fields and turns NaN into null.
 */
export function rolloutOutputs(
    inputs: RolloutInputs | RolloutOutputs,
    promotedTemplate: Record<string, unknown>,
    promotedHash: string,
    lastRun: RunEvidence | null,
    lastPromotedRun: RunEvidence | null,
): RolloutOutputs {
    return JSON.parse(
        JSON.stringify({
            ...publicInputs(inputs as RolloutInputs),
            stateVersion: ROLLOUT_STATE_VERSION,
            promotedTemplate,
            promotedHash,
            lastRun,
            lastPromotedRun,
        }),
    );
}

/**
 * The state says stable runs olds.promotedHash. The same template: no canary. A new one: a canary,
 * which needs the stable Deployment the state speaks of (gone: nothing changes, the error says
 * how to recover; a 404 is never a first deployment). Moved elsewhere: a first deployment there.
 */
export async function updateRollout(
    stored: object,
    news: RolloutInputs,
): Promise<{ outs: RolloutOutputs }> {
    const olds = readRolloutState(stored);
    return scrubbed(await secretsOf(news), async (log) => {
        const conn = await connect(news);
        const { cluster } = conn;
        if (news.templateHash === olds.promotedHash) {
            // Steps, analysis, router or credentials changed, not the pod template: no canary
            // run. A new router's object is created after this (it follows stable).
            const moved =
                olds.canaryIngress !== news.canaryIngress ||
                routerOf(olds).kind !== routerOf(news).kind;
            await (moved
                ? resetFirstDeployment(cluster)
                : resetToStable({ router: cluster, workloads: cluster }));
            const { promotedTemplate, promotedHash, lastRun, lastPromotedRun } = olds;
            return {
                outs: rolloutOutputs(
                    news,
                    promotedTemplate,
                    promotedHash,
                    lastRun,
                    lastPromotedRun,
                ),
            };
        }
        if (olds.namespace !== news.namespace || olds.stableDeployment !== news.stableDeployment) {
            return { outs: await firstRun(news, conn, log) };
        }
        if ((await cluster.stableTemplateHash()) === undefined) {
            throw new Error(missingStable(news, olds));
        }
        const run = await canary(news, conn, log);
        if (run.verdict === "Promoted") {
            return { outs: rolloutOutputs(news, news.template, news.templateHash, run, run) };
        }
        // Rolled back: the update succeeds, so the evidence is kept in state and in the stack's
        // outputs, but the outputs keep the previous inputs and promoted template. Stable is not
        // touched (its template follows promotedTemplate); the next `pulumi up` with the same
        // config sees a change and retries; reverting the config is no change. CanaryApp fails
        // the `pulumi up` with the reason (it sees lastRun rolled back for the template asked
        // for now).
        log(summarize(run));
        const { promotedTemplate, promotedHash, lastPromotedRun } = olds;
        return { outs: rolloutOutputs(olds, promotedTemplate, promotedHash, run, lastPromotedRun) };
    });
}
