// The four policies the benchmark compares, each built from the project's real code: the
// engine's step plan parsing, thresholdMetric with the default queries, and judgeMetric. guard is
// what a new stack gets (the tutorial's success-rate metric plus the judge as a guard); gate is
// the same with the judge as a gate.
import { judgeMetric } from "../../components/rollout/core/judge/metric";
import { thresholdMetric } from "../../components/rollout/core/metrics";
import { BaseArgs } from "../../components/rollout/core/queries";
import {
    MIN_SCRAPES_PER_WINDOW,
    resolveSpec,
    RolloutSpec,
} from "../../components/rollout/core/spec";
import { Metric, MetricsSource } from "../../components/rollout/core/types";
import { stepsOf } from "../support/spec";
import { NAMES } from "./world";

export type PolicyName = "tutorial" | "flagger" | "guard" | "gate";
export const POLICY_NAMES: PolicyName[] = ["tutorial", "flagger", "guard", "gate"];

export interface Policy {
    name: PolicyName;
    describe: string;
    steps: RolloutSpec["steps"];
    metrics(source: MetricsSource): Metric[];
}

/** The shipped defaults, resolved as the config layer resolves an empty `rollout` key. */
function defaults(scrapeIntervalSeconds: number): RolloutSpec {
    const { spec, problems } = resolveSpec({}, { scrapeIntervalSeconds });
    if (problems.length) {
        throw new Error(problems.map((e) => `${e.path}: ${e.message}`).join("; "));
    }
    return spec;
}

const ARGS: BaseArgs = {
    namespace: NAMES.namespace,
    service: NAMES.canaryService,
    stableService: NAMES.stableService,
    ingress: NAMES.canaryIngress,
    failureStatus: "5..",
};

export const DEADLINE_SECONDS = defaults(1).deadlineSeconds;

export function policies(scrapeSeconds: number): Policy[] {
    const spec = defaults(scrapeSeconds);
    const [m] = spec.metrics;
    const minWindowSeconds = MIN_SCRAPES_PER_WINDOW * scrapeSeconds;
    const tutorialSteps = spec.steps;
    return [
        {
            name: "tutorial",
            describe:
                "Argo tutorial: success rate >= 0.95 every 1m (5m window, >= 10 requests), " +
                "failureLimit 3; steps 20/40/60/80% with 1m pauses, then one analysis",
            steps: tutorialSteps,
            metrics: (source) => [
                // The default initialDelay (one interval) stands in for Argo's first measurement,
                // which is an Error (empty result) that its consecutiveErrorLimit absorbs.
                thresholdMetric(m, ARGS, source, minWindowSeconds),
            ],
        },
        {
            name: "flagger",
            describe:
                "Flagger defaults: request-success-rate >= 99% over 1m, checked every 1m, " +
                "rollback at 5 failed checks; weight +20% per passed check up to 50%",
            // Flagger holds the weight until a check passes: an analysis step of one success
            // after each weight does exactly that.
            steps: stepsOf([
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
                        ...m,
                        name: "request-success-rate",
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
                    },
                    ARGS,
                    source,
                    minWindowSeconds,
                ),
            ],
        },
        ...(["guard", "gate"] as const).map((role) => ({
            name: role,
            describe:
                `success rate >= 0.95 (as tutorial) + judge as ${role} (tolerance ${spec.judge.tolerance}, ` +
                `false rollback <= ${spec.judge.falseRollbackRate}` +
                (role === "gate"
                    ? `, accepts a worse one <= ${spec.judge.missedDetectionRate}`
                    : "") +
                `) every ${scrapeSeconds}s; same steps as tutorial`,
            steps: tutorialSteps,
            metrics: (source: MetricsSource) => [
                thresholdMetric(m, ARGS, source, minWindowSeconds),
                judgeMetric(
                    { ...spec.judge, enabled: true, role, intervalSeconds: scrapeSeconds },
                    {
                        ...ARGS,
                        scrapeIntervalSeconds: scrapeSeconds,
                        deadlineSeconds: DEADLINE_SECONDS,
                    },
                    source,
                ),
            ],
        })),
    ];
}
