// Every other value of a CanaryRollout's spec within the bounds the program holds: the metrics'
// names, intervals, limits and failure statuses, the judge's parameters, the notifications, and
// the traffic router (its kind, and the header that reaches the canary).
// (Steps and deadline: rollout-steps; queries, conditions, minRequests and windows: the
// analysis-* policies.)
import { ResourceValidationPolicy } from "@pulumi/policy";
import { asArray, asObject, ofType, show, TYPES, UNKNOWN } from "./lib/resources";
import { CONFIG, input, seconds } from "./lib/rollout";

const METRICS = `${CONFIG}rollout.analysis.metrics`;
const JUDGE = `${CONFIG}rollout.analysis.judge`;
const NOTIFICATIONS = `${CONFIG}rollout.notifications`;
const ROUTER = `${CONFIG}router`;
const ROUTER_KINDS = ["ingress-nginx", "gateway-api"];
/** RFC 7230's token, at most 256 characters: what an HTTP header name is made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$/;
/** 1 to 256 visible ASCII characters, spaces only inside (HTTP trims them at the ends). */
const VISIBLE = /^[\x21-\x7e]([\x20-\x7e]{0,254}[\x21-\x7e])?$/;
const DNS_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const FAILURE_STATUSES = ["5..", "[45].."];
const FORMATS = ["json", "slack"];
const EVENTS = ["Started", "StepStarted", "Measured", "Promoted", "RolledBack"];
const METRIC: [string, string] = [
    "metric",
    '{name: "success-rate", successCondition: "result[0] >= 0.95"}',
];
const WEBHOOK: [string, string] = ["webhook", '{name: "slack", format: "slack"}'];

/** What a value must be, as a message says it, when `v` is not that; undefined when it is. */
type Rule = (v: unknown) => string | undefined;

const set = (v: unknown) => v !== undefined && v !== null;
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** A number of seconds in [min, max]; required. */
const secondsIn =
    (min: number, max: number): Rule =>
    (v) =>
        isNumber(v) && v >= min && v <= max
            ? undefined
            : `must be from ${min}s to ${max}s, got ${seconds(v)}`;

/** A whole number in [min, max]; unset is allowed (the engine's default). */
const count =
    (min: number, max: number, unit: string): Rule =>
    (v) =>
        !set(v) || (Number.isInteger(v) && (v as number) >= min && (v as number) <= max)
            ? undefined
            : `must be a whole number of ${unit} from ${min} to ${max}, got ${show(v)}`;

/** A number strictly between min and max; unset is allowed. */
const between =
    (min: number, max: number): Rule =>
    (v) =>
        !set(v) || (isNumber(v) && v > min && v < max)
            ? undefined
            : `must be a number greater than ${min} and less than ${max}, got ${show(v)}`;

const oneOf =
    (choices: string[]): Rule =>
    (v) =>
        choices.includes(v as string)
            ? undefined
            : `must be one of ${choices.map((c) => JSON.stringify(c)).join(", ")}, got ${show(v)}`;

const dnsName: Rule = (v) =>
    typeof v === "string" && DNS_LABEL.test(v)
        ? undefined
        : `must be a name of lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters, got ${show(v)}`;

/** Each metric's fields not covered by another policy, by input field, with its config key. */
const METRIC_RULES: [string, string, Rule][] = [
    ["name", "name", dnsName],
    ["intervalSeconds", "interval", secondsIn(1, 3600)],
    ["initialDelaySeconds", "initialDelay", secondsIn(0, 3600)],
    ["failureLimit", "failureLimit", count(0, 1000, "failed measurements")],
    ["inconclusiveLimit", "inconclusiveLimit", count(0, 1000, "inconclusive measurements")],
    ["consecutiveErrorLimit", "consecutiveErrorLimit", count(0, 1000, "errors in a row")],
    ["failureStatus", "failureStatus", oneOf(FAILURE_STATUSES)],
];

const JUDGE_RULES: [string, string, Rule][] = [
    [
        "enabled",
        "enabled",
        (v) =>
            !set(v) || typeof v === "boolean" ? undefined : `must be true or false, got ${show(v)}`,
    ],
    // Absent in a CanaryRollout written before the judge had roles: the program reads it as a guard.
    ["role", "role", (v) => (!set(v) ? undefined : oneOf(["guard", "gate"])(v))],
    ["tolerance", "tolerance", between(0, 1)],
    ["falseRollbackRate", "falseRollbackRate", between(0, 0.5)],
    ["missedDetectionRate", "missedDetectionRate", between(0, 0.5)],
    ["intervalSeconds", "interval", secondsIn(1, 3600)],
    ["minRequests", "minRequests", count(1, 1e9, "requests")],
];

const NOTIFICATION_RULES: [string, string, Rule][] = [
    ["name", "name", dnsName],
    ["format", "format", oneOf(FORMATS)],
    [
        "events",
        "events",
        (v) => {
            const events = asArray(v);
            return events && events.length > 0 && events.every((e) => EVENTS.includes(e as string))
                ? undefined
                : `must be a non-empty list of ${EVENTS.join(", ")}, got ${show(v)}`;
        },
    ],
];

const HEADER_RULES: [string, string, Rule][] = [
    [
        "name",
        "name",
        (v) =>
            typeof v === "string" && TOKEN.test(v)
                ? undefined
                : "must be an HTTP header name (an RFC 7230 token of at most 256 letters, " +
                  `digits and !#$%&'*+-.^_\`|~), such as "X-Canary", got ${show(v)}`,
    ],
    [
        "value",
        "value",
        (v) =>
            typeof v === "string" && VISIBLE.test(v)
                ? undefined
                : "must be 1 to 256 visible ASCII characters (spaces only between them, as HTTP " +
                  `trims them at the ends), such as "always", got ${show(v)}`,
    ],
];

export const rolloutSettings: ResourceValidationPolicy = {
    name: "rollout-settings",
    description:
        "Every other value of a CanaryRollout's spec is within the bounds the program holds: " +
        "metric names (unique Kubernetes names), intervals, limits and failure statuses, the " +
        "judge's parameters, the notifications' names, formats and events, and the router's kind " +
        "and header.",
    enforcementLevel: "mandatory",
    validateResource: ofType(TYPES.canaryRollout, (args, reportViolation) => {
        const report = (key: string, problem: string) =>
            reportViolation(`CanaryRollout "${args.name}": ${key} ${problem}.`);
        const each = (
            list: unknown[],
            at: string,
            rules: [string, string, Rule][],
            [noun, example]: [string, string],
        ) => {
            const names: unknown[] = list.map((x) => asObject(x)?.name);
            list.forEach((raw, i) => {
                const item = asObject(raw);
                if (!item) {
                    report(`${at}[${i}]`, `must be a ${noun} such as ${example}, got ${show(raw)}`);
                    return;
                }
                for (const [field, name, rule] of rules) {
                    const problem = rule(item[field]);
                    if (problem) {
                        report(`${at}[${i}].${name}`, problem);
                    }
                }
                if (names.indexOf(names[i]) !== i) {
                    report(
                        `${at}[${i}].name`,
                        `${show(names[i])} is used by another ${noun}; give each ${noun} its own name`,
                    );
                }
            });
        };
        const metrics = input(args.props, "metrics");
        if (metrics !== UNKNOWN) {
            const list = asArray(metrics);
            if (!list) {
                report(METRICS, `must be a list of metrics, got ${show(metrics)}`);
            } else {
                each(list, METRICS, METRIC_RULES, METRIC);
            }
        }
        const judge = input(args.props, "judge");
        if (judge !== UNKNOWN) {
            const j = asObject(judge) ?? {};
            for (const [field, name, rule] of JUDGE_RULES) {
                const problem = rule(j[field]);
                if (problem) {
                    report(`${JUDGE}.${name}`, problem);
                }
            }
        }
        const notifications = input(args.props, "notifications");
        if (notifications !== UNKNOWN && notifications !== undefined) {
            const list = asArray(notifications);
            if (!list) {
                report(NOTIFICATIONS, `must be a list of webhooks, got ${show(notifications)}`);
            } else {
                each(list, NOTIFICATIONS, NOTIFICATION_RULES, WEBHOOK);
            }
        }
        // Absent in a CanaryRollout written before the Gateway API router: ingress-nginx.
        const router = input(args.props, "router");
        if (router !== UNKNOWN && router !== undefined) {
            const r = asObject(router);
            if (!r) {
                report(
                    ROUTER,
                    `must be a router such as {kind: "gateway-api"}, got ${show(router)}`,
                );
                return;
            }
            // Written only when it is not the default, and then always with its kind.
            const kindProblem = r.kind === UNKNOWN ? undefined : oneOf(ROUTER_KINDS)(r.kind);
            if (kindProblem) {
                report(`${ROUTER}.kind`, kindProblem);
            }
            if (set(r.header)) {
                const h = asObject(r.header);
                if (!h) {
                    report(
                        `${ROUTER}.header`,
                        `must be a header such as {name: "X-Canary", value: "always"}, got ${show(r.header)}`,
                    );
                    return;
                }
                for (const [field, name, rule] of HEADER_RULES) {
                    const problem = rule(h[field]);
                    if (problem) {
                        report(`${ROUTER}.header.${name}`, problem);
                    }
                }
            }
        }
    }),
};
