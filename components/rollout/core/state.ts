// The CanaryRollout and CanaryCompletion state: the inputs the providers receive and the outputs
// they keep. This shape is users' state, so it is versioned: a change to it bumps
// ROLLOUT_STATE_VERSION and teaches readRolloutState the previous shape, and the e2e upgrade test
// proves a stack from the previous code previews no changes.
import { type JudgeSpec, type MetricSpec, SPEC_DEFAULTS, type Step } from "./spec";
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
    metrics: MetricSpec[];
    judge: JudgeSpec;
    scrapeIntervalSeconds: number;
    prometheus: PrometheusRef;
    /** Secrets: never copied into outputs. */
    prometheusToken?: string;
    prometheusPassword?: string;
    kubeconfig?: string;
    kubeContext?: string;
}

/** The inputs that are secrets: never copied into outputs, never a reason for a diff. */
export const SECRET_INPUTS = ["prometheusToken", "prometheusPassword", "kubeconfig"] as const;
type SecretInput = (typeof SECRET_INPUTS)[number];

/** The evidence of one canary run, as returned in outputs. */
export interface RunEvidence extends RolloutResult {
    startedAt: string;
    templateHash: string;
}

/**
 * The version of the outputs' shape. 1: the shape of the first release (which wrote no
 * version; state without one is read as 1). 2: the judge has a role (guard or gate).
 */
export const ROLLOUT_STATE_VERSION = 2;

export interface RolloutOutputs extends Omit<RolloutInputs, SecretInput> {
    stateVersion: number;
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
    const state = stored as unknown as RolloutOutputs;
    return {
        ...state,
        judge: version < 2 ? judgeOfVersion1(state.judge) : state.judge,
        stateVersion: ROLLOUT_STATE_VERSION,
    };
}

/**
 * Version 1's judge had no role, and acted as a gate: its acceptance was needed at the analysis
 * step. A judge that was off gets the role a config that says only `enabled: false` resolves to
 * today, so that config previews no change.
 */
function judgeOfVersion1(judge: JudgeSpec | undefined): JudgeSpec {
    const old = (judge ?? {}) as Omit<JudgeSpec, "role">;
    return { ...old, role: old.enabled ? "gate" : SPEC_DEFAULTS.judge.role } as JudgeSpec;
}
