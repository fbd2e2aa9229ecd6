// The rollout specification's types, defaults and bounds. The rules are in rules.ts (checkSpec),
// the reading of the user's YAML in resolve.ts (resolveSpec).

/** One step of the plan, normalized (durations in seconds). */
export type Step =
    | { setWeight: number }
    | { pause: { durationSeconds: number } }
    | { analysis: { count: number } };

/** A step as a user writes it in stack config (Argo Rollouts' shape). */
export type StepInput =
    | { setWeight: number }
    | { pause: { duration: string | number } }
    | { analysis?: { count?: number } | null };

/** Argo Rollouts' limits on one metric's measurements. */
export interface MetricLimits {
    failureLimit: number;
    inconclusiveLimit: number;
    consecutiveErrorLimit: number;
}

/** Statuses that count as failed requests. */
export const FAILURE_STATUSES = ["5..", "[45].."] as const;
export type FailureStatus = (typeof FAILURE_STATUSES)[number];

/** One threshold metric (the tutorial's kind), normalized. */
export interface MetricSpec extends MetricLimits {
    name: string;
    /** PromQL template with {{args.NAME}} placeholders (queries.ts). */
    query: string;
    /** Requests the canary served in the window; gates minRequests. */
    requestsQuery: string;
    successCondition?: string;
    failureCondition?: string;
    intervalSeconds: number;
    initialDelaySeconds: number;
    minRequests: number;
    /** The rate window; never shorter than MIN_SCRAPES_PER_WINDOW scrape intervals. */
    windowSeconds: number;
    failureStatus: string;
}

/**
 * What the judge may decide. guard: it can only roll back; promotion is decided by the steps and
 * the threshold metrics. gate: promotion also needs its acceptance.
 */
export const JUDGE_ROLES = ["guard", "gate"] as const;
export type JudgeRole = (typeof JUDGE_ROLES)[number];

/** The comparative judge (core/judge/), normalized. */
export interface JudgeSpec {
    enabled: boolean;
    role: JudgeRole;
    /**
     * How much higher than stable's the canary's error rate may be (absolute, over the same
     * seconds), e.g. 0.01: a canary within it is healthy.
     */
    tolerance: number;
    /** Highest probability of rolling back a canary within tolerance. */
    falseRollbackRate: number;
    /** Highest probability that the judge accepts a canary worse than stable + tolerance. */
    missedDetectionRate: number;
    /** Measure this often; defaults to the scrape interval. */
    intervalSeconds: number;
    /** Fewest canary requests before the judge may accept. */
    minRequests: number;
}

export interface RolloutSpec {
    steps: Step[];
    deadlineSeconds: number;
    metrics: MetricSpec[];
    judge: JudgeSpec;
}

/** What the rules need to know about the world around the spec. */
export interface SpecContext {
    /** Prometheus' scrape interval. */
    scrapeIntervalSeconds: number;
}

/** rate() needs several scrapes in its window: at least this many scrape intervals. */
export const MIN_SCRAPES_PER_WINDOW = 4;

/** Bounds of every number in the spec. */
export const BOUNDS = {
    /** Longest deadline, pause, window or interval: a rollout holds the stack's lock. */
    maxSeconds: 24 * 3600,
    maxMeasureIntervalSeconds: 3600,
    maxLimit: 1000,
    maxRequests: 1e9,
    /** Judge probabilities are in (0, maxRate). */
    maxRate: 0.5,
} as const;

/** The spec's defaults as a user would write them (Pulumi.yaml declares the same). */
export const SPEC_DEFAULTS = {
    steps: [
        { setWeight: 20 },
        { pause: { duration: "1m" } },
        { setWeight: 40 },
        { pause: { duration: "1m" } },
        { setWeight: 60 },
        { pause: { duration: "1m" } },
        { setWeight: 80 },
        { pause: { duration: "1m" } },
        { analysis: {} },
    ] as StepInput[],
    deadline: "30m",
    metric: {
        name: "success-rate",
        successCondition: "result[0] >= 0.95",
        interval: "1m",
        // Argo's engine defaults are initialDelay 0 and inconclusiveLimit 0; with them the
        // first measurement, taken before Prometheus has two scrapes of the canary's new
        // series, is an empty vector and aborts every rollout at t=0. One interval of delay
        // and two tolerated inconclusive measurements fix the tutorial's default.
        initialDelay: "1m",
        failureLimit: 3,
        inconclusiveLimit: 2,
        consecutiveErrorLimit: 4,
        minRequests: 10,
        window: "5m",
        failureStatus: "5..",
    },
    // New stacks get the judge as a guard: it rolls a bad canary back within seconds and never
    // holds a healthy one past the schedule. A stack written before it (state version 1) had it
    // off; see readRolloutState.
    judge: {
        enabled: true,
        role: "guard" as JudgeRole,
        tolerance: 0.01,
        falseRollbackRate: 0.005,
        missedDetectionRate: 0.05,
        minRequests: 50,
    },
};

/** The keys a user may write, at each level of the `rollout` key. */
export const ROLLOUT_KEYS = ["steps", "deadline", "analysis"];
export const ANALYSIS_KEYS = ["metrics", "judge"];
export const METRIC_KEYS = [
    "name",
    "query",
    "requestsQuery",
    "successCondition",
    "failureCondition",
    "interval",
    "initialDelay",
    "failureLimit",
    "inconclusiveLimit",
    "consecutiveErrorLimit",
    "minRequests",
    "window",
    "failureStatus",
];
export const JUDGE_KEYS = [
    "enabled",
    "role",
    "tolerance",
    "falseRollbackRate",
    "missedDetectionRate",
    "interval",
    "minRequests",
];
export const STEP_KINDS = ["setWeight", "pause", "analysis"];

export const METRICS = "rollout.analysis.metrics";
export const JUDGE = "rollout.analysis.judge";
export const DNS_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
