// What the fault suite needs to run the CanaryRollout provider for real: the inputs CanaryApp
// would pass for app "demo" (a one-step canary measured at once) and the state a previous run
// left. Prometheus is test/faults/fakePrometheus.ts.
import { validateConfig } from "../../components/config";
import type { RolloutInputs, RolloutOutputs } from "../../components/rollout/core/state";
import { rolloutOutputs } from "../../components/rollout/provider/impl";

const { config } = validateConfig({});

/** The app's objects, as the Kubernetes adapters address them. */
export const DEMO_TARGET = {
    app: "demo",
    namespace: "demo",
    canaryDeployment: "demo-canary",
    canaryIngress: "demo-canary",
    stableDeployment: "demo-stable",
};

/**
 * Inputs for app "demo", template h2 (image demo:2): 50% then one analysis, a success rate of
 * `ok_total` and an increase() of `requests_total` (as FakePrometheus tells them apart),
 * measured every second from the start.
 */
export function demoInputs(over: Partial<RolloutInputs> = {}): RolloutInputs {
    return {
        ...DEMO_TARGET,
        canaryService: "demo-canary",
        stableService: "demo-stable",
        template: { spec: { containers: [{ name: "demo", image: "demo:2" }] } },
        templateHash: "h2",
        totalReplicas: 4,
        steps: [{ setWeight: 50 }, { analysis: { count: 1 } }],
        deadlineSeconds: 60,
        metrics: [
            {
                ...config.rollout.metrics[0],
                query: 'sum(rate(ok_total{service="{{args.service}}"}[{{args.window}}]))',
                requestsQuery:
                    'sum(increase(requests_total{service="{{args.service}}"}[{{args.window}}]))',
                intervalSeconds: 1,
                initialDelaySeconds: 0,
            },
        ],
        judge: config.rollout.judge,
        notifications: [],
        scrapeIntervalSeconds: 1,
        prometheus: { url: "http://127.0.0.1:9", timeoutSeconds: 5 },
        ...over,
    };
}

/** The state a previous run of `inputs` left: stable runs template h1, image demo:1. */
export function previousState(inputs: RolloutInputs): RolloutOutputs {
    return rolloutOutputs(
        inputs,
        { spec: { containers: [{ name: "demo", image: "demo:1" }] } },
        "h1",
        null,
        null,
    );
}
