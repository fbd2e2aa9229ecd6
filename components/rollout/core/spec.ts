// The rollout specification: its types, its defaults, its bounds, and the rules a spec must keep.
// This is the one home of each rule. The config layer resolves the user's `rollout` key with
// `resolveSpec` (raw YAML in, normalized spec and every problem out); the CanaryRollout
// provider's `check` runs `checkSpec` on the normalized inputs it receives; the policy pack
// (which ships alone) mirrors the mandatory rules and is tested against this file.
import { Checker, formatSeconds, parseDurationSeconds, Problem, Raw, show } from "./check";
import { parseCondition } from "./condition";
import {
    ARG_NAMES,
    DEFAULT_REQUESTS_QUERY,
    DEFAULT_SUCCESS_RATE_QUERY,
    unknownArgs,
} from "./queries";

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

/** The comparative judge (judge.ts), normalized. */
export interface JudgeSpec {
    enabled: boolean;
    /** How much higher than stable's the canary's error rate may be (absolute), e.g. 0.01. */
    tolerance: number;
    /** Highest probability of rolling back a canary no worse than stable. */
    falseRollbackRate: number;
    /** Highest probability of promoting a canary worse than stable + tolerance. */
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
    judge: {
        enabled: false,
        tolerance: 0.01,
        falseRollbackRate: 0.005,
        missedDetectionRate: 0.05,
        minRequests: 50,
    },
};

/** The keys a user may write, at each level of the `rollout` key. */
const ROLLOUT_KEYS = ["steps", "deadline", "analysis"];
const ANALYSIS_KEYS = ["metrics", "judge"];
const METRIC_KEYS = [
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
const JUDGE_KEYS = [
    "enabled",
    "tolerance",
    "falseRollbackRate",
    "missedDetectionRate",
    "interval",
    "minRequests",
];
const STEP_KINDS = ["setWeight", "pause", "analysis"];

const METRICS = "rollout.analysis.metrics";
const JUDGE = "rollout.analysis.judge";
const DNS_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

// ---------------------------------------------------------------------------------------------
// resolveSpec: the user's YAML -> the normalized spec. Only shapes, unknown keys and duration
// syntax are checked here; every rule on values is checkSpec's, run at the end.

/** Resolves the `rollout` key (defaults applied) and returns every problem with its path. */
export function resolveSpec(
    raw: unknown,
    ctx: SpecContext,
): { spec: RolloutSpec; problems: Problem[] } {
    const c = new Checker();
    const d = SPEC_DEFAULTS;
    const r = c.object("rollout", raw, ROLLOUT_KEYS);
    const analysis = c.object("rollout.analysis", r.analysis, ANALYSIS_KEYS);
    let metrics: MetricSpec[];
    if (analysis.metrics === undefined || analysis.metrics === null) {
        metrics = [resolveMetric(c, `${METRICS}[0]`, {})];
    } else if (!Array.isArray(analysis.metrics)) {
        c.fail(METRICS, `must be a list of metrics, got ${show(analysis.metrics)}`);
        metrics = [];
    } else {
        metrics = analysis.metrics.map((m, i) => resolveMetric(c, `${METRICS}[${i}]`, m));
    }
    const j = c.object(JUDGE, analysis.judge, JUDGE_KEYS);
    const spec: RolloutSpec = {
        steps: resolveSteps(c, r.steps ?? d.steps),
        deadlineSeconds: duration(c, "rollout.deadline", r.deadline, d.deadline),
        metrics,
        judge: {
            enabled: j.enabled ?? d.judge.enabled,
            tolerance: j.tolerance ?? d.judge.tolerance,
            falseRollbackRate: j.falseRollbackRate ?? d.judge.falseRollbackRate,
            missedDetectionRate: j.missedDetectionRate ?? d.judge.missedDetectionRate,
            intervalSeconds: duration(
                c,
                `${JUDGE}.interval`,
                j.interval,
                `${ctx.scrapeIntervalSeconds}s`,
            ),
            minRequests: j.minRequests ?? d.judge.minRequests,
        } as JudgeSpec,
    };
    // A field whose shape was wrong is already reported; its placeholder must not be reported
    // again by the rules (e.g. a malformed pause is not also "not a positive duration").
    const reported = c.problems.map((p) => p.path);
    const within = (path: string, outer: string) =>
        path === outer || path.startsWith(`${outer}.`) || path.startsWith(`${outer}[`);
    const rules = checkSpec(spec, ctx).filter((p) => !reported.some((r) => within(p.path, r)));
    return { spec, problems: [...c.problems, ...rules] };
}

/** A duration in seconds; NaN (reported here, skipped by the rules) when malformed. */
function duration(c: Checker, path: string, value: unknown, fallback: string): number {
    const seconds = parseDurationSeconds(value ?? fallback);
    if (seconds === undefined) {
        c.fail(
            path,
            `must be a duration such as "30s", "5m" or "1h" (or a number of seconds), got ${show(value)}`,
        );
        return NaN;
    }
    return seconds;
}

function resolveMetric(c: Checker, path: string, value: unknown): MetricSpec {
    const d = SPEC_DEFAULTS.metric;
    const m = c.object(path, value, METRIC_KEYS);
    // With explicit conditions the default successCondition is not added: a failureCondition
    // alone means "fail if", as in Argo.
    const explicit = m.successCondition !== undefined || m.failureCondition !== undefined;
    return {
        name: (m.name ?? d.name) as string,
        query: (m.query ?? DEFAULT_SUCCESS_RATE_QUERY) as string,
        requestsQuery: (m.requestsQuery ?? DEFAULT_REQUESTS_QUERY) as string,
        successCondition: (explicit ? (m.successCondition ?? undefined) : d.successCondition) as
            string | undefined,
        failureCondition: (m.failureCondition ?? undefined) as string | undefined,
        intervalSeconds: duration(c, `${path}.interval`, m.interval, d.interval),
        initialDelaySeconds: duration(c, `${path}.initialDelay`, m.initialDelay, d.initialDelay),
        failureLimit: (m.failureLimit ?? d.failureLimit) as number,
        inconclusiveLimit: (m.inconclusiveLimit ?? d.inconclusiveLimit) as number,
        consecutiveErrorLimit: (m.consecutiveErrorLimit ?? d.consecutiveErrorLimit) as number,
        minRequests: (m.minRequests ?? d.minRequests) as number,
        windowSeconds: duration(c, `${path}.window`, m.window, d.window),
        failureStatus: (m.failureStatus ?? d.failureStatus) as string,
    };
}

function resolveSteps(c: Checker, input: unknown): Step[] {
    if (!Array.isArray(input)) {
        return input as Step[]; // checkSpec names the problem
    }
    return input.map((raw, i) => {
        const at = `rollout.steps[${i}]`;
        const kind = stepKind(raw);
        if (kind === "pause") {
            const p = c.object(`${at}.pause`, (raw as Raw).pause, ["duration"]);
            const seconds = parseDurationSeconds(p.duration);
            // Malformed or missing: checkSpec reports the pause with its own message.
            return { pause: { durationSeconds: seconds ?? (p.duration as number) } };
        }
        if (kind === "analysis") {
            const a = c.object(`${at}.analysis`, (raw as Raw).analysis, ["count"]);
            return { analysis: { count: (a.count ?? 1) as number } };
        }
        return raw as Step;
    });
}

function stepKind(raw: unknown): string | undefined {
    const keys = raw && typeof raw === "object" && !Array.isArray(raw) ? Object.keys(raw) : [];
    return keys.length === 1 && STEP_KINDS.includes(keys[0]) ? keys[0] : undefined;
}

// ---------------------------------------------------------------------------------------------
// checkSpec: every rule on a normalized spec. Pure; tolerant of any input shape, because the
// provider receives whatever a program passed to CanaryRollout.

/** Every problem of a normalized spec, with paths as the user writes them under `rollout`. */
export function checkSpec(spec: RolloutSpec, ctx: SpecContext): Problem[] {
    const c = new Checker();
    const deadline = c.seconds("rollout.deadline", spec.deadlineSeconds, NaN, 1, BOUNDS.maxSeconds);
    const steps = checkSteps(c, spec.steps);
    const pauses = steps.reduce((s, x) => s + ("pause" in x ? x.pause.durationSeconds : 0), 0);
    if (Number.isFinite(deadline) && pauses >= deadline) {
        c.fail(
            "rollout.deadline",
            `is ${deadline}s, but the pauses alone take ${pauses}s; raise it above ${pauses}s or shorten the pauses`,
        );
    }
    const metrics = Array.isArray(spec.metrics) ? spec.metrics : [];
    if (!Array.isArray(spec.metrics)) {
        c.fail(METRICS, `must be a list of metrics, got ${show(spec.metrics)}`);
    }
    metrics.forEach((m, i) => checkMetric(c, `${METRICS}[${i}]`, m, ctx));
    const names = metrics.map((m) => m?.name);
    names.forEach((n, i) => {
        if (names.indexOf(n) !== i) {
            c.fail(
                `${METRICS}[${i}].name`,
                `${show(n)} is used by another metric; give each metric its own name`,
            );
        }
    });
    const judge = checkJudge(c, spec.judge);
    if (metrics.length === 0 && !judge.enabled && steps.some((s) => "analysis" in s)) {
        c.fail(
            "rollout.analysis",
            "has no metric and the judge is off, but the steps contain an analysis step; add a metric or enable the judge",
        );
    }
    return c.problems;
}

/** The steps' rules; returns the well-formed steps (for the deadline rule). */
function checkSteps(c: Checker, input: unknown): Step[] {
    if (!Array.isArray(input) || input.length === 0) {
        c.fail(
            "rollout.steps",
            `must be a non-empty list of steps such as [{setWeight: 20}, {pause: {duration: "30s"}}, {analysis: {}}], got ${show(input)}`,
        );
        return [];
    }
    const steps: Step[] = [];
    let last: { weight: number; index: number } | undefined;
    let analysed = false;
    input.forEach((raw, i) => {
        const at = `rollout.steps[${i}]`;
        const kind = stepKind(raw);
        const r = raw as Raw;
        if (!kind) {
            c.fail(at, `must have exactly one of setWeight, pause or analysis, got ${show(raw)}`);
        } else if (kind === "setWeight") {
            const w = r.setWeight;
            if (typeof w !== "number" || !Number.isInteger(w) || w < 0 || w > 100) {
                c.fail(
                    `${at}.setWeight`,
                    `must be a whole number from 0 to 100 (percent of traffic), got ${show(w)}`,
                );
            } else if (last && w <= last.weight) {
                c.fail(
                    `${at}.setWeight`,
                    `is ${w}, not above the weight ${last.weight} of rollout.steps[${last.index}]; weights must strictly increase (a repeated weight tests nothing new, a lower one moves users back mid-release)`,
                );
            } else {
                last = { weight: w, index: i };
                steps.push({ setWeight: w });
            }
        } else if (kind === "pause") {
            const p = r.pause as Raw | null;
            const seconds = p && typeof p === "object" ? p.durationSeconds : undefined;
            if (typeof seconds !== "number" || !(seconds > 0) || seconds > BOUNDS.maxSeconds) {
                c.fail(
                    `${at}.pause.duration`,
                    `must be a positive duration of at most ${formatSeconds(BOUNDS.maxSeconds)} such as "30s", "2m" or 45 (seconds), got ${typeof seconds === "number" && seconds > 0 ? formatSeconds(seconds) : show(seconds)}; an indefinite pause cannot be resumed in a pulumi up`,
                );
            } else {
                steps.push({ pause: { durationSeconds: seconds } });
            }
        } else if (!last || last.weight === 0) {
            c.fail(
                `${at}.analysis`,
                "comes before any setWeight above 0, so it would measure a canary with no traffic; put a step such as {setWeight: 20} before it",
            );
        } else {
            const a = r.analysis as Raw | null | undefined;
            const count = a && typeof a === "object" ? a.count : undefined;
            const n = c.integer(
                `${at}.analysis.count`,
                count,
                1,
                1,
                BOUNDS.maxLimit,
                "successful measurements",
            );
            if (Number.isInteger(n)) {
                analysed = true;
                steps.push({ analysis: { count: n } });
            }
        }
    });
    if (!analysed && !c.problems.some((p) => p.path.startsWith("rollout.steps"))) {
        c.fail(
            "rollout.steps",
            "has no analysis step after the canary gets traffic, so the canary would be promoted without one successful measurement; add {analysis: {}} after a setWeight above 0",
        );
    }
    return steps;
}

function checkMetric(c: Checker, path: string, value: unknown, ctx: SpecContext): void {
    const m = (value && typeof value === "object" ? value : {}) as Partial<MetricSpec>;
    c.string(`${path}.name`, m.name ?? "", "", {
        re: DNS_LABEL,
        fix: "use a Kubernetes name: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
    });
    for (const k of ["query", "requestsQuery"] as const) {
        const q = c.string(`${path}.${k}`, m[k] ?? "", "", {
            re: /\S/,
            fix: "remove it to use the default, or write a PromQL query",
        });
        const unknown = unknownArgs(q);
        if (unknown.length > 0) {
            c.fail(
                `${path}.${k}`,
                `uses unknown args ${unknown.map((u) => `{{args.${u}}}`).join(", ")}; known are ${ARG_NAMES.map((a) => `{{args.${a}}}`).join(", ")}`,
            );
        }
        if (/\birate\s*\(/.test(q)) {
            c.fail(
                `${path}.${k}`,
                "uses irate(), which looks at the last two samples only and flaps on noise; use rate() over {{args.window}}",
            );
        }
    }
    for (const k of ["successCondition", "failureCondition"] as const) {
        const s = m[k] === undefined ? undefined : c.optionalString(`${path}.${k}`, m[k]);
        if (s) {
            try {
                parseCondition(s);
            } catch (e) {
                c.fail(`${path}.${k}`, (e as Error).message);
            }
        }
    }
    if (m.successCondition == null && m.failureCondition == null) {
        c.fail(path, 'needs a successCondition or a failureCondition, e.g. "result[0] >= 0.95"');
    }
    const interval = BOUNDS.maxMeasureIntervalSeconds;
    c.seconds(`${path}.interval`, m.intervalSeconds, NaN, 1, interval);
    c.seconds(`${path}.initialDelay`, m.initialDelaySeconds, NaN, 0, interval);
    c.integer(`${path}.failureLimit`, m.failureLimit, 0, 0, BOUNDS.maxLimit, "failed measurements");
    c.integer(
        `${path}.inconclusiveLimit`,
        m.inconclusiveLimit,
        0,
        0,
        BOUNDS.maxLimit,
        "inconclusive measurements",
    );
    c.integer(
        `${path}.consecutiveErrorLimit`,
        m.consecutiveErrorLimit,
        0,
        0,
        BOUNDS.maxLimit,
        "errors in a row",
    );
    const minRequests = c.integer(
        `${path}.minRequests`,
        m.minRequests,
        1,
        0,
        BOUNDS.maxRequests,
        "requests",
    );
    if (minRequests === 0) {
        c.fail(
            `${path}.minRequests`,
            "is 0, so a canary that served a handful of requests can pass (one successful request is a 100% success rate); set it above 0, e.g. 10 (more for busy services)",
        );
    }
    const window = c.seconds(`${path}.window`, m.windowSeconds, NaN, 1, BOUNDS.maxSeconds);
    const min = MIN_SCRAPES_PER_WINDOW * ctx.scrapeIntervalSeconds;
    if (window < min) {
        c.fail(
            `${path}.window`,
            `is ${window}s, shorter than ${MIN_SCRAPES_PER_WINDOW}x the scrape interval (${min}s); rate() needs several samples: use at least "${min}s"`,
        );
    }
    if (!(FAILURE_STATUSES as readonly unknown[]).includes(m.failureStatus)) {
        c.fail(
            `${path}.failureStatus`,
            `${show(m.failureStatus)} is not supported: use "5.." (server errors fail the canary) or "[45].." (client errors too)`,
        );
    }
}

/** The judge's rules; its parameters must make the test mean something (alpha 0 never rolls back). */
export function checkJudge(c: Checker, value: unknown): JudgeSpec {
    const j = (value && typeof value === "object" ? value : {}) as Partial<JudgeSpec>;
    const d = SPEC_DEFAULTS.judge;
    return {
        enabled: c.boolean(`${JUDGE}.enabled`, j.enabled, d.enabled),
        tolerance: c.number(`${JUDGE}.tolerance`, j.tolerance, d.tolerance, 0, 1),
        falseRollbackRate: c.number(
            `${JUDGE}.falseRollbackRate`,
            j.falseRollbackRate,
            d.falseRollbackRate,
            0,
            BOUNDS.maxRate,
        ),
        missedDetectionRate: c.number(
            `${JUDGE}.missedDetectionRate`,
            j.missedDetectionRate,
            d.missedDetectionRate,
            0,
            BOUNDS.maxRate,
        ),
        intervalSeconds: c.seconds(
            `${JUDGE}.interval`,
            j.intervalSeconds,
            NaN,
            1,
            BOUNDS.maxMeasureIntervalSeconds,
        ),
        minRequests: c.integer(
            `${JUDGE}.minRequests`,
            j.minRequests,
            d.minRequests,
            1,
            BOUNDS.maxRequests,
            "requests",
        ),
    };
}
