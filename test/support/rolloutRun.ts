// What the fault suite needs to run the CanaryRollout provider for real: the inputs CanaryApp
// would pass for app "demo" (a one-step canary measured at once), the state a previous run left,
// and a Prometheus double whose answers the test chooses.
import * as http from "http";
import { validateConfig } from "../../components/config";
import type { RolloutInputs, RolloutOutputs } from "../../components/rollout/core/state";
import { rolloutOutputs } from "../../components/rollout/provider/impl";
import { freePort } from "./prometheus";

// Scraped every second, as the inputs' scrapeIntervalSeconds says: the judge (on by default, as
// a guard) then reads every second too, instead of every 30 s (the default scrape interval),
// which held each one-step run's analysis for 30 s.
const { config } = validateConfig({ monitoring: { scrapeInterval: "1s" } });

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
 * `ok_total` over `requests_total` measured every second from the start.
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

/** Captures what the provider prints on stderr. */
export async function captured<T>(run: () => Promise<T>): Promise<{ lines: string[]; result: T }> {
    const lines: string[] = [];
    const orig = console.error;
    console.error = (...a: unknown[]) => lines.push(a.join(" "));
    try {
        return { lines, result: await run() };
    } finally {
        console.error = orig;
    }
}

/** A healthy canary's answer: 500 requests, a success rate of 1. */
export const healthy = (query: string) => (query.includes("requests_total") ? "500" : "1");

/**
 * A Prometheus whose answer to each instant query is one series with `value(query)`, or, when
 * `reject` returns a message, HTTP 400 with that message as Prometheus' error.
 */
export async function prometheusDouble(
    value: (query: string) => string,
    reject: (req: http.IncomingMessage) => string | undefined = () => undefined,
) {
    const port = await freePort();
    const server = http.createServer((req, res) => {
        const query = new URL(req.url!, "http://x").searchParams.get("query") ?? "";
        const error = reject(req);
        res.writeHead(error === undefined ? 200 : 400, { "Content-Type": "application/json" });
        res.end(
            JSON.stringify(
                error !== undefined
                    ? { status: "error", errorType: "bad_data", error }
                    : {
                          status: "success",
                          data: {
                              resultType: "vector",
                              result: [{ metric: {}, value: [Date.now() / 1000, value(query)] }],
                          },
                      },
            ),
        );
    });
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}
