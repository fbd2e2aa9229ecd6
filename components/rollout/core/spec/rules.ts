// checkSpec: every rule on a normalized spec. Pure; tolerant of any input shape, because the
// provider receives whatever a program passed to CanaryRollout.
import { Checker, formatSeconds, Problem, Raw, show } from "../check";
import { checkCondition, checkQuery, checkRange } from "./metricRules";
import {
    BOUNDS,
    DNS_LABEL,
    FAILURE_STATUSES,
    JUDGE,
    JUDGE_ROLES,
    JudgeSpec,
    METRICS,
    MetricSpec,
    MIN_SCRAPES_PER_WINDOW,
    NOTIFICATIONS,
    NOTIFY_EVENTS,
    NOTIFY_FORMATS,
    NotificationSpec,
    RolloutSpec,
    SPEC_DEFAULTS,
    SpecContext,
    Step,
    STEP_KINDS,
} from "./types";

/** Every problem of a normalized spec, with paths as the user writes them under `rollout`. */
export function checkSpec(spec: RolloutSpec, ctx: SpecContext): Problem[] {
    const c = new Checker();
    const deadline = c.seconds("rollout.deadline", spec.deadlineSeconds, NaN, 1, BOUNDS.maxSeconds);
    if (spec.abortScaleDownDelaySeconds !== undefined) {
        // State written before the delay existed has none: the provider reads it as 0.
        const delay = c.seconds(
            "rollout.abortScaleDownDelay",
            spec.abortScaleDownDelaySeconds,
            NaN,
            0,
            BOUNDS.maxAbortScaleDownDelaySeconds,
            "a rollback holds pulumi up this long before the canary's pods go",
        );
        if (Number.isFinite(deadline) && delay >= deadline) {
            c.fail(
                "rollout.abortScaleDownDelay",
                `is ${delay}s, not shorter than rollout.deadline (${deadline}s); a few seconds to a minute lets traffic leave the canary: use e.g. "30s"`,
            );
        }
    }
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
    checkNotifications(c, spec.notifications);
    if (metrics.length === 0 && steps.some((s) => "analysis" in s)) {
        if (!judge.enabled) {
            c.fail(
                "rollout.analysis",
                "has no metric and the judge is off, but the steps contain an analysis step; add a metric or enable the judge",
            );
        } else if (judge.role === "guard") {
            c.fail(
                "rollout.analysis",
                `has no metric and the judge is a guard (it only rolls back), but the steps contain an analysis step, which would then pass without evidence; add a metric or set ${JUDGE}.role to "gate"`,
            );
        }
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
        checkQuery(c, `${path}.${k}`, m[k], ctx.router);
    }
    const range = checkRange(c, `${path}.range`, m.range);
    for (const k of ["successCondition", "failureCondition"] as const) {
        const s = m[k] === undefined ? undefined : c.optionalString(`${path}.${k}`, m[k]);
        if (s) {
            checkCondition(c, `${path}.${k}`, s, range, m.range !== undefined);
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

function checkNotifications(c: Checker, value: unknown): void {
    if (value === undefined) {
        return; // state written before notifications existed
    }
    if (!Array.isArray(value)) {
        c.fail(
            NOTIFICATIONS,
            `must be a list of webhooks such as [{name: "slack", format: "slack"}], got ${show(value)}`,
        );
        return;
    }
    const names: unknown[] = [];
    value.forEach((raw, i) => {
        const at = `${NOTIFICATIONS}[${i}]`;
        const n = (raw && typeof raw === "object" ? raw : {}) as Partial<NotificationSpec>;
        const name = c.string(`${at}.name`, n.name ?? "", "", {
            re: DNS_LABEL,
            fix: "name the webhook (lower-case letters, digits and '-'), e.g. \"slack\"; its URL is the secret progressive-delivery:notificationUrls.NAME",
        });
        if (names.includes(name)) {
            c.fail(
                `${at}.name`,
                `${show(name)} is used by another notification; give each its own name`,
            );
        }
        names.push(name);
        if (!(NOTIFY_FORMATS as readonly unknown[]).includes(n.format)) {
            c.fail(
                `${at}.format`,
                `${show(n.format)} is not supported: use "json" (the event as JSON) or "slack" (Slack's incoming webhook)`,
            );
        }
        const events = n.events;
        if (!Array.isArray(events) || events.length === 0) {
            c.fail(
                `${at}.events`,
                `must be a non-empty list of ${NOTIFY_EVENTS.join(", ")}, got ${show(events)}`,
            );
        } else {
            events
                .filter((e) => !(NOTIFY_EVENTS as readonly unknown[]).includes(e))
                .forEach((e) =>
                    c.fail(
                        `${at}.events`,
                        `${show(e)} is not an event; use ${NOTIFY_EVENTS.join(", ")}`,
                    ),
                );
        }
    });
}

/** The judge's rules; its parameters must make the test mean something (alpha 0 never rolls back). */
export function checkJudge(c: Checker, value: unknown): JudgeSpec {
    const j = (value && typeof value === "object" ? value : {}) as Partial<JudgeSpec>;
    const d = SPEC_DEFAULTS.judge;
    let role = d.role;
    if (j.role !== undefined && j.role !== null) {
        if ((JUDGE_ROLES as readonly unknown[]).includes(j.role)) {
            role = j.role;
        } else {
            c.fail(
                `${JUDGE}.role`,
                `${show(j.role)} is not a role: use "guard" (it only rolls back; the steps and metrics promote) or "gate" (promotion also needs the judge's acceptance)`,
            );
        }
    }
    return {
        enabled: c.boolean(`${JUDGE}.enabled`, j.enabled, d.enabled),
        role,
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

/** The kind of a step as written, or undefined when it is not exactly one known kind. */
export function stepKind(raw: unknown): string | undefined {
    const keys = raw && typeof raw === "object" && !Array.isArray(raw) ? Object.keys(raw) : [];
    return keys.length === 1 && STEP_KINDS.includes(keys[0]) ? keys[0] : undefined;
}
