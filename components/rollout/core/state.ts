// The CanaryRollout and CanaryCompletion state: the inputs the providers receive and the outputs
// they keep. This shape is users' state, so it is versioned: a change to it bumps
// ROLLOUT_STATE_VERSION and teaches readRolloutState the previous shape, and the e2e upgrade test
// proves a stack from the previous code previews no changes.
import { parseDurationSeconds } from "./check";
import { SPEC_DEFAULTS } from "./spec";
import type {
    HeaderMatch,
    JudgeSpec,
    MetricSpec,
    NotificationSpec,
    RouterKind,
    Step,
} from "./spec";
import type { RolloutResult } from "./types";

/** A Service reached through the Kubernetes API server's service proxy. */
export interface ServiceRef {
    namespace: string;
    name: string;
    port: number;
}

/** Where the analysis queries Prometheus; credentials travel apart, as secrets. */
export interface PrometheusRef {
    url?: string;
    service?: ServiceRef;
    username?: string;
    timeoutSeconds: number;
}

/**
 * The router a rollout steps. Absent (state before version 6, and CanaryApp's default) is
 * ingress-nginx without a header route, so a stack with the default config previews no change.
 */
export interface RouterRef {
    kind: RouterKind;
    header?: HeaderMatch;
}

/** The router of a rollout's or completion's inputs, absent read as the default. */
export function routerOf(inputs: { router?: RouterRef }): RouterRef {
    return inputs.router ?? { kind: "ingress-nginx" };
}

/** Inputs of CanaryRollout, as the provider sees them (Outputs resolved). */
export interface RolloutInputs {
    app: string;
    namespace: string;
    canaryDeployment: string;
    stableDeployment: string;
    /** The object the router writes: the canary Ingress, or (gateway-api) the HTTPRoute. */
    canaryIngress: string;
    /** Absent: ingress-nginx without a header route (routerOf). */
    router?: RouterRef;
    canaryService: string;
    stableService: string;
    /** The desired pod template, without the track label. */
    template: Record<string, unknown>;
    templateHash: string;
    totalReplicas: number;
    steps: Step[];
    deadlineSeconds: number;
    /** Absent in state written before version 4 (read as the default, 30 s). */
    abortScaleDownDelaySeconds?: number;
    metrics: MetricSpec[];
    judge: JudgeSpec;
    /** Webhooks to notify; their URLs are the secret notificationUrls. */
    notifications: NotificationSpec[];
    scrapeIntervalSeconds: number;
    prometheus: PrometheusRef;
    /** Secrets: never copied into outputs. */
    notificationUrls?: Record<string, string>;
    prometheusToken?: string;
    prometheusPassword?: string;
    kubeconfig?: string;
    kubeContext?: string;
}

/** The inputs that are secrets: never copied into outputs, never a reason for a diff. */
export const SECRET_INPUTS = [
    "prometheusToken",
    "prometheusPassword",
    "kubeconfig",
    "notificationUrls",
] as const;
type SecretInput = (typeof SECRET_INPUTS)[number];

/** The evidence of one canary run, as returned in outputs. */
export interface RunEvidence extends RolloutResult {
    startedAt: string;
    templateHash: string;
}

/**
 * The version of the outputs' shape.
 * 1: the first release (which wrote no version; state without one is read as 1). `lastRun` was
 *    the last promoted run; a rolled-back run left no evidence in state.
 * 2: `lastRun` is the last run whatever its verdict, `lastPromotedRun` the last promoted one;
 *    `notifications` (empty in version 1).
 *    After a rollback the outputs keep the previous inputs (so the next `pulumi up` with the same
 *    config sees a change and retries) and the previous promoted template.
 * 3: a metric may declare `range` (absent unless the user wrote one, so version 1 and 2 state
 *    reads as is: its metrics declare none).
 * 4: `abortScaleDownDelaySeconds`. Earlier state has none and is read with the default (30 s),
 *    so a stack whose config leaves it unset previews no change; its next rollback waits.
 * 5: the judge has a role (guard or gate), and is on as a guard by default. Earlier state had
 *    no role; a judge that was on acted as a gate (its acceptance was needed at the analysis
 *    step), and one that was off is read with today's default judge, so a config that leaves
 *    the judge unset previews no change (its next canary runs with the judge as a guard).
 * 6: `router` (kind and header route; canaryIngress names the HTTPRoute for gateway-api).
 *    Earlier state has none, which reads as ingress-nginx without a header route, the same
 *    routing as before; CanaryApp leaves it out for that default, so a stack that does not set
 *    progressive-delivery:router previews no change.
 */
export const ROLLOUT_STATE_VERSION = 6;

/** What state written before version 4 is read with: the spec's default abortScaleDownDelay. */
const DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS = parseDurationSeconds(
    SPEC_DEFAULTS.abortScaleDownDelay,
)!;

export interface RolloutOutputs extends Omit<RolloutInputs, SecretInput> {
    stateVersion: number;
    promotedTemplate: Record<string, unknown>;
    promotedHash: string;
    /** The last canary run, promoted or rolled back. */
    lastRun: RunEvidence | null;
    /** The last promoted canary run. */
    lastPromotedRun: RunEvidence | null;
}

export interface CompletionInputs {
    namespace: string;
    canaryDeployment: string;
    stableDeployment: string;
    canaryIngress: string;
    /** Absent (and in state of earlier code): ingress-nginx (routerOf). */
    router?: RouterRef;
    promotedHash: string;
    kubeconfig?: string;
    kubeContext?: string;
}

/**
 * Reads a CanaryRollout's stored outputs, whatever version wrote them. Throws on a version newer
 * than this code knows: a downgraded program must not guess at state it cannot read.
 */
export function readRolloutState(stored: object): RolloutOutputs {
    const version = (stored as { stateVersion?: unknown }).stateVersion ?? 1;
    if (typeof version !== "number" || !Number.isInteger(version) || version < 1) {
        throw new Error(
            `the CanaryRollout state has stateVersion ${JSON.stringify(version)}, which no release wrote; restore the state from a backup (pulumi stack export/import)`,
        );
    }
    if (version > ROLLOUT_STATE_VERSION) {
        throw new Error(
            `the CanaryRollout state was written by a newer progressive-delivery (state version ${version}; this code reads up to ${ROLLOUT_STATE_VERSION}); run the newer code, or restore a backup of the state`,
        );
    }
    const state = {
        ...(stored as unknown as RolloutOutputs),
        abortScaleDownDelaySeconds:
            version < 4
                ? DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS
                : (stored as RolloutOutputs).abortScaleDownDelaySeconds,
    };
    if (version < 5) {
        state.judge = judgeBeforeRoles(state.judge);
    }
    if (version < 6) {
        // No router before version 6: the canary Ingress' weight, no header route, which is
        // what an absent router means (routerOf); it stays absent, as CanaryApp leaves it.
        delete state.router;
    }
    if (version === 1) {
        // Version 1 kept only promoted runs in lastRun, and had no notifications.
        return {
            ...state,
            notifications: state.notifications ?? [],
            lastPromotedRun: state.lastRun ?? null,
            stateVersion: ROLLOUT_STATE_VERSION,
        };
    }
    return { ...state, stateVersion: ROLLOUT_STATE_VERSION };
}

/**
 * Before roles, a judge that was on acted as a gate. One that was off (the default then) is read
 * as today's default judge, a guard, with the old one's parameters.
 */
function judgeBeforeRoles(judge: JudgeSpec | undefined): JudgeSpec {
    const old = (judge ?? {}) as Omit<JudgeSpec, "role">;
    return old.enabled
        ? ({ ...old, role: "gate" } as JudgeSpec)
        : ({
              ...old,
              enabled: SPEC_DEFAULTS.judge.enabled,
              role: SPEC_DEFAULTS.judge.role,
          } as JudgeSpec);
}
