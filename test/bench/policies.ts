// The three policies the benchmark compares, each built from the project's real code: the
// engine's step plan parsing, thresholdMetric with the default queries, and judgeMetric.
import { DEFAULTS, JudgeConfig } from "../../components/config";
import { judgeMetric } from "../../components/rollout/judge";
import {
    BaseArgs,
    DEFAULT_REQUESTS_QUERY,
    DEFAULT_SUCCESS_RATE_QUERY,
    thresholdMetric,
} from "../../components/rollout/metrics";
import { parseDurationSeconds, parseSteps } from "../../components/rollout/plan";
import { Metric, MetricsSource, Step } from "../../components/rollout/types";
import { NAMES } from "./world";

export type PolicyName = "tutorial" | "flagger" | "ours";

export interface Policy {
    name: PolicyName;
    describe: string;
    steps: Step[];
    metrics(source: MetricsSource): Metric[];
}

const seconds = (d: string): number => {
    const s = parseDurationSeconds(d);
    if (s === undefined) {
        throw new Error(`bad duration ${d}`);
    }
    return s;
};

const steps = (input: unknown): Step[] => {
    const { steps: parsed, errors } = parseSteps(input);
    if (errors.length) {
        throw new Error(errors.map((e) => `${e.field}: ${e.message}`).join("; "));
    }
    return parsed;
};

const ARGS: BaseArgs = {
    namespace: NAMES.namespace,
    service: NAMES.canaryService,
    stableService: NAMES.stableService,
    ingress: NAMES.canaryIngress,
    failureStatus: DEFAULTS.rollout.metric.failureStatus,
};

export const DEADLINE_SECONDS = seconds(DEFAULTS.rollout.deadline);

export function policies(scrapeSeconds: number): Policy[] {
    const m = DEFAULTS.rollout.metric;
    const minWindowSeconds = 4 * scrapeSeconds;
    const tutorialSteps = steps(DEFAULTS.rollout.steps);
    return [
        {
            name: "tutorial",
            describe:
                "Argo tutorial: success rate >= 0.95 every 1m (5m window, >= 10 requests), " +
                "failureLimit 3; steps 20/40/60/80% with 1m pauses, then one analysis",
            steps: tutorialSteps,
            metrics: (source) => [
                thresholdMetric(
                    {
                        name: m.name,
                        query: DEFAULT_SUCCESS_RATE_QUERY,
                        requestsQuery: DEFAULT_REQUESTS_QUERY,
                        successCondition: m.successCondition,
                        intervalSeconds: seconds(m.interval),
                        // The default initialDelay 0s measures at the canary's first second, when
                        // it has no requests: Inconclusive, and inconclusiveLimit 0 aborts every
                        // run there. Argo's first measurement would be an Error (empty result),
                        // which its consecutiveErrorLimit absorbs; one interval of delay is the
                        // closest equivalent here.
                        initialDelaySeconds: seconds(m.interval),
                        failureLimit: m.failureLimit,
                        inconclusiveLimit: m.inconclusiveLimit,
                        consecutiveErrorLimit: m.consecutiveErrorLimit,
                        minRequests: m.minRequests,
                        windowSeconds: seconds(m.window),
                        minWindowSeconds,
                    },
                    ARGS,
                    source,
                ),
            ],
        },
        {
            name: "flagger",
            describe:
                "Flagger defaults: request-success-rate >= 99% over 1m, checked every 1m, " +
                "rollback at 5 failed checks; weight +20% per passed check up to 50%",
            // Flagger holds the weight until a check passes: an analysis step of one success
            // after each weight does exactly that.
            steps: steps([
                { setWeight: 20 },
                { analysis: {} },
                { setWeight: 40 },
                { analysis: {} },
                { setWeight: 50 },
                { analysis: {} },
            ]),
            metrics: (source) => [
                thresholdMetric(
                    {
                        name: "request-success-rate",
                        query: DEFAULT_SUCCESS_RATE_QUERY,
                        requestsQuery: DEFAULT_REQUESTS_QUERY,
                        successCondition: "result[0] >= 0.99",
                        intervalSeconds: 60,
                        initialDelaySeconds: 60,
                        failureLimit: 4,
                        // Flagger counts "no values" as a failed check; here it is Inconclusive
                        // with the same limit.
                        inconclusiveLimit: 4,
                        consecutiveErrorLimit: 4,
                        minRequests: 0,
                        windowSeconds: 60,
                        minWindowSeconds,
                    },
                    ARGS,
                    source,
                ),
            ],
        },
        {
            name: "ours",
            describe:
                `judge (SPRT canary vs stable, tolerance ${DEFAULTS.rollout.judge.tolerance}, ` +
                `false rollback <= ${DEFAULTS.rollout.judge.falseRollbackRate}, missed <= ` +
                `${DEFAULTS.rollout.judge.missedDetectionRate}) every ${scrapeSeconds}s; same steps as tutorial`,
            steps: tutorialSteps,
            metrics: (source) => {
                const judge: JudgeConfig = {
                    ...DEFAULTS.rollout.judge,
                    enabled: true,
                    intervalSeconds: scrapeSeconds,
                };
                return [
                    judgeMetric(judge, { ...ARGS, scrapeIntervalSeconds: scrapeSeconds }, source),
                ];
            },
        },
    ];
}
