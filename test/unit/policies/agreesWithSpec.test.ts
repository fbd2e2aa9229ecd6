// The mandatory policies that read a CanaryRollout agree with the engine's checkSpec: a spec the
// program accepts is never stopped at preview by them (equivalently, whatever they stop the
// program refuses first, with its own message). The pack ships alone and cannot import checkSpec, so this property test over
// generated specs is what keeps the two homes of these rules equal.
import * as assert from "assert";
import { ResourceValidationPolicy } from "@pulumi/policy";
import { checkSpec, MetricSpec, RolloutSpec, Step } from "../../../components/rollout/core/spec";
import { policies } from "../../../policies/pack";
import { FakeResource, runResourcePolicy } from "../../support/policyHarness";
import { config, rollout } from "../../support/policyFixtures";

const MANDATORY = policies.filter(
    (p) => p.enforcementLevel === "mandatory" && "validateResource" in p,
) as ResourceValidationPolicy[];

/** Mandatory violations on a CanaryRollout with this spec. */
async function violations(spec: RolloutSpec, scrape: number): Promise<string[]> {
    const base = rollout();
    const r: FakeResource = {
        ...base,
        props: { ...base.props, ...spec, scrapeIntervalSeconds: scrape },
    };
    const found: string[] = [];
    for (const p of MANDATORY) {
        const outcome = await runResourcePolicy(p, r);
        found.push(...outcome.violations.map((v) => `${p.name}: ${v.message}`));
    }
    return found;
}

describe("mandatory CanaryRollout policies agree with checkSpec", function () {
    this.timeout(120_000);

    it("there are mandatory policies that read CanaryRollouts", async () => {
        // Not vacuous: a repeated weight is stopped by the pack.
        const spec: RolloutSpec = {
            ...config.rollout,
            steps: [{ setWeight: 20 }, { setWeight: 20 }, { analysis: { count: 1 } }],
        };
        assert.ok((await violations(spec, 30)).length > 0);
        assert.ok(checkSpec(spec, { scrapeIntervalSeconds: 30 }).length > 0);
    });

    it("on 600 generated specs, none that checkSpec accepts is stopped by them", async () => {
        let seed = 7;
        const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
        const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
        let accepted = 0;
        let refused = 0;
        for (let n = 0; n < 600; n++) {
            let steps: Step[] = Array.from({ length: 1 + Math.floor(rnd() * 6) }, () =>
                pick<() => Step>([
                    () => ({ setWeight: pick([0, 10, 20, 20, 50, 80, 100, 120]) }),
                    () => ({ pause: { durationSeconds: pick([10, 60, 600]) } }),
                    () => ({ analysis: { count: pick([1, 2]) } }),
                ])(),
            );
            if (rnd() < 0.6) {
                // Mostly well-formed plans too: weights in order, then an analysis step.
                const w = steps.flatMap((s) => ("setWeight" in s ? [s.setWeight] : []));
                const sorted = [...new Set(w)].sort((a, b) => a - b);
                steps = steps
                    .map((s) => ("setWeight" in s ? sorted.shift() : -1) ?? null)
                    .flatMap((x, i) =>
                        x === null ? [] : x === -1 ? [steps[i]] : [{ setWeight: x }],
                    );
                steps.push({ analysis: { count: 1 } });
            }
            const metric: MetricSpec = {
                ...config.rollout.metrics[0],
                minRequests: pick([0, 1, 10, 10]),
                query: pick([
                    config.rollout.metrics[0].query,
                    config.rollout.metrics[0].query,
                    "sum(irate(nginx_ingress_controller_requests[1m]))",
                ]),
            };
            const spec: RolloutSpec = {
                ...config.rollout,
                steps,
                deadlineSeconds: pick([60, 1800, 1800]),
                metrics: [metric],
            };
            const scrape = pick([10, 30]);
            const problems = checkSpec(spec, { scrapeIntervalSeconds: scrape });
            const stopped = await violations(spec, scrape);
            if (problems.length === 0) {
                accepted++;
                assert.deepStrictEqual(stopped, [], JSON.stringify(spec.steps));
            } else if (stopped.length > 0) {
                refused++;
            }
        }
        assert.ok(accepted > 50 && refused > 50, `accepted ${accepted}, refused ${refused}`);
    });
});
