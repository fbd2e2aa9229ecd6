// The pack's mandatory policies are a superset of the program's own checks on what reaches the
// resources: every invalid config of the corpus (test/support/configCorpus) whose wrong value
// lands in the CanaryRollout's inputs (so the provider's check, checkRollout = checkSpec and the
// Prometheus URL rule, refuses them) or in the canary Deployment's image (so the config's OCI
// grammar refuses it) is stopped by at least one mandatory violation on that resource; the
// shipped stacks pass every policy. The resources are built by the fixtures from the config the
// config layer returns with its problems (wrong values kept), and the first test checks those
// fixtures against what the real program registers.
import * as assert from "assert";
import { ResourceValidationPolicy } from "@pulumi/policy";
import { RawConfig, validateConfig } from "../../../components/config";
import { imageProblem } from "../../../components/config/image";
import { RolloutInputs } from "../../../components/rollout/core/state";
import { checkRollout } from "../../../components/rollout/provider/impl";
import { policies } from "../../../policies/pack";
import { INVALID_CONFIG_CORPUS } from "../../support/configCorpus";
import { FakeResource, runPack, runResourcePolicy } from "../../support/policyHarness";
import { canaryDeployment, rollout } from "../../support/policyFixtures";
import { programResources } from "../../support/policyProgram";
import { mergedConfig, stackFile } from "../../support/stackConfig";

const MANDATORY = policies.filter(
    (p) => p.enforcementLevel === "mandatory" && "validateResource" in p,
) as ResourceValidationPolicy[];

/** "policy: message" for each mandatory violation on one resource. */
async function mandatory(r: FakeResource): Promise<string[]> {
    const found: string[] = [];
    for (const p of MANDATORY) {
        const outcome = await runResourcePolicy(p, r);
        assert.strictEqual(outcome.unknown, undefined, `${p.name} read an unknown value`);
        found.push(...outcome.violations.map((v) => `${p.name}: ${v.message}`));
    }
    return found;
}

/** A stack's config as loadConfig reads it (project defaults, then the stack's values). */
function stackRaw(stack: string | Record<string, unknown>): RawConfig {
    const merged = mergedConfig(stack);
    const value = (k: string) => JSON.parse(merged[`progressive-delivery:${k}`]);
    return {
        monitoring: value("monitoring"),
        ingressNginx: value("ingressNginx"),
        app: value("app"),
        rollout: value("rollout"),
        tls: value("tls"),
        router: value("router"),
        kubeContext: merged["progressive-delivery:kubeContext"],
    };
}

/** The local stack routed by the Gateway API, with header access: an HTTPRoute and a Gateway. */
const GATEWAY_STACK: Record<string, unknown> = {
    ...stackFile("local"),
    "progressive-delivery:router": {
        kind: "gateway-api",
        header: { name: "X-Canary", value: "always" },
    },
};

/**
 * Corpus cases whose problem is under the rollout, the image or the Prometheus URL but whose
 * wrong value never reaches the resources, and why. Any other such case must reach them.
 */
const KEPT_OUT: Record<string, string> = {
    "empty image": "the default image stands in for the empty one",
    "url with install":
        "the rollout asks the installed Prometheus' Service; only the config refuses the ambiguity",
    "both url and service": "same: a URL and a Service are both valid inputs",
    "an unbounded Prometheus timeout": "the default timeout stands in for the one out of bounds",
    "a notification without its secret URL":
        "the webhook's URL is a secret the config reads; the rollout's inputs are valid",
};
/** What the program refuses of the resources a config gives: the rollout's check, the image rule. */
function refused(raw: RawConfig) {
    const { config } = validateConfig(raw);
    const r = rollout(config);
    return {
        rollout: r,
        deployment: canaryDeployment(config),
        byProvider: checkRollout(r.props as unknown as RolloutInputs).map((f) => f.reason),
        byImage: imageProblem(config.app.image),
    };
}

const RELEVANT = /^progressive-delivery:(rollout[.:]|app\.image:|monitoring\.prometheus[.:])/;

describe("policy pack: the mandatory policies stop every invalid config that reaches a resource", () => {
    for (const [name, stack] of [
        ["dev", "dev"],
        ["prod", "prod"],
        ["local", "local"],
        ["local with router gateway-api and a header", GATEWAY_STACK],
    ] as const) {
        it(`${name}: the fixtures are the program's resources, and they pass every policy`, async () => {
            const { config, errors } = validateConfig(stackRaw(stack));
            assert.deepStrictEqual(errors, []);
            const resources = await programResources(stack);
            const real = (f: FakeResource) => {
                const found = resources.find((r) => r.type === f.type && r.name === f.name);
                assert.ok(found, `${f.name} is registered`);
                return found.props;
            };
            // As the engine receives them: JSON, so an undefined key is left out.
            const sent = (v: unknown) => JSON.parse(JSON.stringify(v));
            const r = rollout(config);
            for (const [k, v] of Object.entries(r.props)) {
                assert.deepStrictEqual(real(r)[k], sent(v), `${r.name}.${k}`);
            }
            const d = canaryDeployment(config);
            assert.deepStrictEqual(real(d).spec, sent(d.props.spec), `${d.name}.spec`);
            const run = await runPack(policies, resources);
            assert.deepStrictEqual(run.violations, []);
            assert.deepStrictEqual(run.unknown, []);
            // Not vacuous: every policy found something to check (local has no Helm release and
            // no ServiceMonitor: it uses an existing Prometheus; the shipped stacks route with
            // ingress-nginx, so no HTTPRoute; the gateway-api stack has no Ingress).
            const gateway = stack === GATEWAY_STACK;
            const skipped = [
                ...(stack !== "dev" && stack !== "prod"
                    ? ["service-monitor-selected", "helm-chart-pinned"]
                    : []),
                ...(gateway ? ["canary-ingress-pairing"] : ["canary-http-route-pairing"]),
            ];
            assert.deepStrictEqual(
                policies.map((p) => p.name).filter((n) => !run.applied.has(n)),
                skipped,
            );
        });
    }

    for (const c of INVALID_CONFIG_CORPUS) {
        it(c.name, async () => {
            assert.deepStrictEqual(validateConfig(c.raw).errors, c.errors, "the corpus is current");
            const { rollout: r, deployment, byProvider, byImage } = refused(c.raw);
            if (byProvider.length > 0) {
                assert.notDeepStrictEqual(await mandatory(r), [], byProvider.join("\n"));
            }
            if (byImage) {
                assert.notDeepStrictEqual(await mandatory(deployment), [], byImage);
            }
        });
    }

    it("the corpus reaches the resources: every rollout, image and URL case but those kept out", () => {
        const reaches = (raw: RawConfig) => {
            const { byProvider, byImage } = refused(raw);
            return byProvider.length > 0 || byImage !== undefined;
        };
        const reached = INVALID_CONFIG_CORPUS.filter((c) => reaches(c.raw));
        assert.deepStrictEqual(
            INVALID_CONFIG_CORPUS.filter((c) => c.errors.some((e) => RELEVANT.test(e)))
                .filter((c) => !reached.includes(c))
                .map((c) => c.name)
                .sort(),
            Object.keys(KEPT_OUT).sort(),
        );
        assert.ok(reached.length > INVALID_CONFIG_CORPUS.length / 2, `${reached.length} reached`);
    });
});

describe("policy pack: exact mandatory violations for representative invalid configs", () => {
    const S = 'CanaryRollout "rollouts-demo-rollout" metric "success-rate"';
    const RUNS = 'Deployment "rollouts-demo-canary" container "rollouts-demo" runs image';
    const APP_IMAGE = "for a CanaryApp set progressive-delivery:app.image.";
    const NAME_FIX = 'write it as [registry/]repository[:tag], e.g. "argoproj/rollouts-demo:blue"';
    const KNOWN =
        "{{args.namespace}}, {{args.service}}, {{args.stableService}}, {{args.ingress}}, {{args.failureStatus}}, {{args.window}}";
    const metric = (m: object): RawConfig => ({ rollout: { analysis: { metrics: [m] } } });
    const cases: [string, RawConfig, string[]][] = [
        [
            "image nginx:",
            { app: { image: "nginx:" } },
            [
                `images-pinned: ${RUNS} "nginx:", which is not a valid image reference: the tag after ":" is empty; pin a version, e.g. "nginx:1.2.3", or a digest "nginx@sha256:..."; ${APP_IMAGE}`,
            ],
        ],
        [
            "image nginx::1",
            { app: { image: "nginx::1" } },
            [
                `images-pinned: ${RUNS} "nginx::1", which is not a valid image reference: the repository name component "nginx:" is not lower-case letters and digits separated by ".", "_", "__" or "-"; ${NAME_FIX}; ${APP_IMAGE}`,
            ],
        ],
        [
            "image :1",
            { app: { image: ":1" } },
            [
                `images-pinned: ${RUNS} ":1", which is not a valid image reference: it has no repository name; ${NAME_FIX}; ${APP_IMAGE}`,
            ],
        ],
        [
            "image nginx@sha256:",
            { app: { image: "nginx@sha256:" } },
            [
                `images-pinned: ${RUNS} "nginx@sha256:", which is not a valid image reference: the sha256 digest "" is not 64 lower-case hex digits; a digest is "@sha256:" and 64 lower-case hex digits; ${APP_IMAGE}`,
            ],
        ],
        [
            "an unclosed placeholder",
            metric({ query: 'sum(rate(x{service="{{args.service}"}[{{args.window}}]))' }),
            [
                `analysis-queries: ${S}: its query has "{{args.service}", which is not a placeholder and would reach Prometheus as written; write each arg as {{args.NAME}}, one of ${KNOWN}. Fix progressive-delivery:rollout.analysis.metrics[0].query.`,
            ],
        ],
        [
            "a condition that does not depend on result",
            metric({ successCondition: "true" }),
            [
                `analysis-conditions: ${S}: its successCondition "true" does not depend on result: it is always true, whatever Prometheus answers; compare result with a limit, e.g. "result[0] >= 0.95". Fix progressive-delivery:rollout.analysis.metrics[0].successCondition.`,
            ],
        ],
        [
            "a percentage against a success rate's range [0, 1]",
            metric({ successCondition: "result[0] >= 95" }),
            [
                `analysis-conditions: ${S}: its successCondition "result[0] >= 95" is always false for values in the metric's range [0, 1] (a success rate's: the metric declares no range), so it does not depend on the result; compare result with a limit inside the range, e.g. "result[0] >= 0.95", or declare the range of the query's values, e.g. range: [0, 60] for a latency in seconds. Fix progressive-delivery:rollout.analysis.metrics[0].successCondition.`,
            ],
        ],
        [
            "a success rate's range written backwards",
            metric({ range: [1, 0] }),
            [
                `analysis-conditions: ${S}: its range [1,0] is not [min, max], two numbers with min below max (the values the query can return), e.g. [0, 1] for a success rate or [0, 60] for a latency in seconds. Fix progressive-delivery:rollout.analysis.metrics[0].range.`,
            ],
        ],
    ];
    for (const [name, raw, expected] of cases) {
        it(name, async () => {
            const { config, errors } = validateConfig(raw);
            assert.strictEqual(errors.length, 1, "the config layer refuses it too");
            const found = [
                ...(await mandatory(rollout(config))),
                ...(await mandatory(canaryDeployment(config))),
            ];
            assert.deepStrictEqual(found, expected);
        });
    }
});
