// resolveSpec: the user's YAML -> the normalized spec. Only shapes, unknown keys and duration
// syntax are checked here; every rule on values is checkSpec's, run at the end.
import { Checker, parseDurationSeconds, Problem, Raw, show } from "../check";
import { ROUTER_QUERIES } from "../queries";
import { checkSpec, stepKind } from "./rules";
import {
    ANALYSIS_KEYS,
    JUDGE,
    JUDGE_KEYS,
    JudgeSpec,
    METRIC_KEYS,
    METRICS,
    MetricSpec,
    NOTIFICATION_KEYS,
    NOTIFICATIONS,
    NotificationSpec,
    ROLLOUT_KEYS,
    ROUTER_DEFAULTS,
    RolloutSpec,
    SPEC_DEFAULTS,
    SpecContext,
    Step,
} from "./types";

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
        metrics = [resolveMetric(c, `${METRICS}[0]`, {}, ctx)];
    } else if (!Array.isArray(analysis.metrics)) {
        c.fail(METRICS, `must be a list of metrics, got ${show(analysis.metrics)}`);
        metrics = [];
    } else {
        metrics = analysis.metrics.map((m, i) => resolveMetric(c, `${METRICS}[${i}]`, m, ctx));
    }
    const j = c.object(JUDGE, analysis.judge, JUDGE_KEYS);
    const spec: RolloutSpec = {
        steps: resolveSteps(c, r.steps ?? d.steps),
        deadlineSeconds: duration(c, "rollout.deadline", r.deadline, d.deadline),
        abortScaleDownDelaySeconds: duration(
            c,
            "rollout.abortScaleDownDelay",
            r.abortScaleDownDelay,
            d.abortScaleDownDelay,
        ),
        metrics,
        notifications: resolveNotifications(c, r.notifications),
        judge: {
            enabled: j.enabled ?? d.judge.enabled,
            role: j.role ?? d.judge.role,
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

function resolveNotifications(c: Checker, value: unknown): NotificationSpec[] {
    if (value === undefined || value === null) {
        return [];
    }
    if (!Array.isArray(value)) {
        return value as NotificationSpec[]; // checkSpec names the problem
    }
    const d = SPEC_DEFAULTS.notification;
    return value.map((raw, i) => {
        const n = c.object(`${NOTIFICATIONS}[${i}]`, raw, NOTIFICATION_KEYS);
        return {
            name: n.name,
            format: n.format ?? d.format,
            events: n.events ?? d.events,
        } as NotificationSpec;
    });
}

/** A duration in seconds; NaN (reported here, skipped by the rules) when malformed. */
function duration(c: Checker, path: string, value: unknown, fallback: string): number {
    return c.durationSyntax(path, value, fallback) ?? NaN;
}

/** A metric; its queries default to the router's (ctx.router, queries.ts ROUTER_QUERIES). */
function resolveMetric(c: Checker, path: string, value: unknown, ctx: SpecContext): MetricSpec {
    const d = SPEC_DEFAULTS.metric;
    const q = ROUTER_QUERIES[ctx.router!] ?? ROUTER_QUERIES[ROUTER_DEFAULTS.kind];
    const m = c.object(path, value, METRIC_KEYS);
    // With explicit conditions the default successCondition is not added: a failureCondition
    // alone means "fail if", as in Argo.
    const explicit = m.successCondition !== undefined || m.failureCondition !== undefined;
    return {
        name: (m.name ?? d.name) as string,
        query: (m.query ?? q.successRate) as string,
        requestsQuery: (m.requestsQuery ?? q.requests) as string,
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
        // Only when written: state from before `range` existed stays the same (state.ts).
        ...(m.range != null ? { range: m.range as [number, number] } : {}),
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
