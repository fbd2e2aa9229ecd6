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
    /**
     * [min, max] of the values the query can return; a value outside is an Error, never a
     * pass. Unset: METRIC_RANGE, a success rate's. Absent from state unless the user set it.
     */
    range?: [number, number];
}

/** The values of a metric that declares no range: a success rate's. */
export const METRIC_RANGE: [number, number] = [0, 1];

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

/** The events a notification can be sent for (RolloutEvent's types). */
export const NOTIFY_EVENTS = [
    "Started",
    "StepStarted",
    "Measured",
    "Promoted",
    "RolledBack",
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];
export const NOTIFY_FORMATS = ["json", "slack"] as const;

/** A webhook to notify; its URL is a secret, kept apart under the same name. */
export interface NotificationSpec {
    name: string;
    format: (typeof NOTIFY_FORMATS)[number];
    events: NotifyEvent[];
}

export interface RolloutSpec {
    steps: Step[];
    deadlineSeconds: number;
    /** After a rollback, how long the canary keeps its pods once its weight is 0. */
    abortScaleDownDelaySeconds: number;
    metrics: MetricSpec[];
    judge: JudgeSpec;
    notifications: NotificationSpec[];
}

/** What the rules need to know about the world around the spec. */
export interface SpecContext {
    /** Prometheus' scrape interval. */
    scrapeIntervalSeconds: number;
    /** The traffic router, whose metrics the default queries read. Defaults to ingress-nginx. */
    router?: RouterKind;
}

/** The traffic routers (core/types.ts TrafficRouter; one adapter file each). */
export const ROUTER_KINDS = ["ingress-nginx", "gateway-api"] as const;
export type RouterKind = (typeof ROUTER_KINDS)[number];

/** A request header that sends a request to the canary whatever the weight. */
export interface HeaderMatch {
    /** An HTTP header name (an RFC 7230 token), e.g. "X-Canary". */
    name: string;
    /** The header's exact value, e.g. "always". */
    value: string;
}

/** The Gateway an HTTPRoute attaches to (router kind gateway-api). */
export interface GatewaySpec {
    name: string;
    namespace: string;
    /** true: the program creates the Gateway; false: the route attaches to an existing one. */
    create: boolean;
    /** The GatewayClass of a created Gateway. */
    className: string;
}

/** The `router` key, normalized. */
export interface RouterSpec {
    kind: RouterKind;
    /** Set for gateway-api only. */
    gateway?: GatewaySpec;
    /** Header access to the canary while a run is on (both routers). */
    header?: HeaderMatch;
}

/** The router's defaults; the gateway's name and namespace default to the app's. */
export const ROUTER_DEFAULTS = {
    kind: "ingress-nginx" as RouterKind,
    gateway: { create: true, className: "istio" },
};
export const ROUTER_KEYS = ["kind", "gateway", "header"];
export const GATEWAY_KEYS = ["name", "namespace", "create", "className"];
export const HEADER_KEYS = ["name", "value"];

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
    /** Longest wait after a rollback before the canary's pods go. */
    maxAbortScaleDownDelaySeconds: 600,
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
    // Argo Rollouts' default: the ingress controller needs a moment to stop sending requests to
    // the canary after its weight goes to 0; scaling it down at once would answer them with 503.
    abortScaleDownDelay: "30s",
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
    notification: {
        format: "json",
        events: ["Started", "StepStarted", "Promoted", "RolledBack"] as NotifyEvent[],
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
export const ROLLOUT_KEYS = [
    "steps",
    "deadline",
    "abortScaleDownDelay",
    "analysis",
    "notifications",
];
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
    "range",
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
export const NOTIFICATION_KEYS = ["name", "format", "events"];
export const NOTIFICATIONS = "rollout.notifications";
export const STEP_KINDS = ["setWeight", "pause", "analysis"];

export const METRICS = "rollout.analysis.metrics";
export const JUDGE = "rollout.analysis.judge";
export const DNS_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
