// The pack as a whole: its layout and defaults, agreement with the program's constants, the
// whole program under mocks with configs the program accepts but the pack refuses (each shipped
// stack, which passes every policy, is in superset.test.ts), and the pack served over the
// analyzer protocol as the CLI runs it.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { podTemplate, templateHash } from "../../../components/canaryApp";
import { validateConfig } from "../../../components/config";
import {
    CANARY_ANNOTATION,
    TEMPLATE_HASH_ANNOTATION,
    trackName,
    WEIGHT_ANNOTATION,
} from "../../../components/rollout/core/names";
import * as lib from "../../../policies/lib/resources";
import {
    templateHash as policyTemplateHash,
    withoutTrack,
} from "../../../policies/lib/templateHash";
import { PACK_NAME, packArgs, policies } from "../../../policies/pack";
import { PACK_DIR, ServedPack } from "../../support/policyAnalyzer";
import { runPack } from "../../support/policyHarness";
import { programResources } from "../../support/policyProgram";
import { ROOT } from "../../support/stackConfig";

/** The documented defaults (policies/README.md, "Enforcement"). */
const DEFAULT_LEVELS: Record<string, string> = {
    "stable-template-unedited": "mandatory",
    "stable-follows-rollout": "mandatory",
    "rollout-steps": "mandatory",
    "rollout-settings": "mandatory",
    "rollout-prometheus": "mandatory",
    "analysis-queries": "mandatory",
    "analysis-conditions": "mandatory",
    "analysis-limits": "advisory",
    "analysis-rate-window": "mandatory",
    "analysis-min-requests": "mandatory",
    "analysis-no-irate": "mandatory",
    "analysis-success-condition": "advisory",
    "images-pinned": "mandatory",
    "canary-container-resources": "mandatory",
    "canary-readiness-probe": "mandatory",
    "service-monitor-selected": "mandatory",
    "helm-chart-pinned": "mandatory",
    "canary-ingress-pairing": "mandatory",
    "canary-http-route-pairing": "mandatory",
    "rollout-owns-traffic": "mandatory",
};

const camel = (name: string) => name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

describe("policy pack progressive-delivery-guardrails", () => {
    describe("layout and defaults", () => {
        it("has each policy in its own module, named after the policy", () => {
            for (const policy of policies) {
                assert.match(policy.name, /^[a-z]+(-[a-z]+)*$/);
                const file = path.join(PACK_DIR, `${camel(policy.name)}.ts`);
                assert.ok(fs.existsSync(file), `${policy.name} lives in ${file}`);
                // eslint-disable-next-line @typescript-eslint/no-require-imports
                assert.strictEqual(require(file)[camel(policy.name)], policy);
            }
            const modules = fs
                .readdirSync(PACK_DIR)
                .filter((f) => f.endsWith(".ts") && !["index.ts", "pack.ts"].includes(f));
            assert.deepStrictEqual(
                modules.sort(),
                policies.map((p) => `${camel(p.name)}.ts`).sort(),
                "every module in policies/ is in the pack",
            );
        });

        it("gives every policy a description and the documented default level", () => {
            const levels = Object.fromEntries(policies.map((p) => [p.name, p.enforcementLevel]));
            assert.deepStrictEqual(levels, DEFAULT_LEVELS);
            for (const p of policies) {
                assert.ok(p.description.length > 40, `${p.name} has a description`);
            }
        });

        it("documents each policy's default in policies/README.md", () => {
            const readme = fs.readFileSync(path.join(PACK_DIR, "README.md"), "utf8");
            const rows = [
                ...readme.matchAll(/^\| `([a-z-]+)` \| [^|]+ \| (mandatory|advisory) \|/gm),
            ];
            assert.deepStrictEqual(
                Object.fromEntries(rows.map((m) => [m[1], m[2]])),
                DEFAULT_LEVELS,
            );
        });

        it("names the pack in PulumiPolicy.yaml as in the code, with the nodejs runtime", () => {
            const project = yaml.load(
                fs.readFileSync(path.join(PACK_DIR, "PulumiPolicy.yaml"), "utf8"),
            ) as { name: string; runtime: { name: string } };
            assert.strictEqual(project.name, PACK_NAME);
            assert.strictEqual(project.runtime.name, "nodejs");
            assert.strictEqual(packArgs().policies, policies);
        });

        it("pins in policies/package.json the versions the project pins", () => {
            const read = (dir: string) =>
                JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
            const root = read(ROOT);
            const pack = read(PACK_DIR);
            const rootVersions = { ...root.dependencies, ...root.devDependencies };
            for (const [name, version] of Object.entries({
                ...pack.dependencies,
                ...pack.devDependencies,
            })) {
                assert.strictEqual(version, rootVersions[name], name);
            }
            assert.deepStrictEqual(Object.keys(pack.dependencies).sort(), [
                "@pulumi/policy",
                "@pulumi/pulumi",
                "jsep",
            ]);
            assert.strictEqual(pack.main, "index.ts");
            assert.match(pack.version, /^\d+\.\d+\.\d+$/);
        });

        it("uses the program's annotation names, Service names and template hash", () => {
            assert.strictEqual(lib.TEMPLATE_HASH_ANNOTATION, TEMPLATE_HASH_ANNOTATION);
            assert.strictEqual(lib.CANARY_ANNOTATION, CANARY_ANNOTATION);
            assert.ok(lib.ROLLOUT_OWNED_ANNOTATIONS.includes(WEIGHT_ANNOTATION));
            for (const track of ["stable", "canary"] as const) {
                assert.strictEqual(`demo${lib.TRACK_SUFFIX[track]}`, trackName("demo", track));
            }
            const { config } = validateConfig({ app: { livenessProbe: { path: "/live" } } });
            const desired = podTemplate(config.app);
            assert.strictEqual(policyTemplateHash(desired), templateHash(desired));
            const stable = {
                ...desired,
                metadata: { labels: { app: "rollouts-demo", track: "stable" } },
            };
            assert.strictEqual(policyTemplateHash(withoutTrack(stable)), templateHash(desired));
        });
    });

    describe("the whole program under mocks", () => {
        // Each shipped stack passes every policy: superset.test.ts.

        it("the program refuses what the mandatory rollout policies refuse", async () => {
            await assert.rejects(
                programResources({
                    "progressive-delivery:rollout": {
                        steps: [{ setWeight: 20 }, { setWeight: 20 }, { analysis: {} }],
                        analysis: { metrics: [{ minRequests: 0 }] },
                    },
                }),
                (e: Error) =>
                    e.message.includes(
                        "progressive-delivery:rollout.steps[1].setWeight: is 20, not above the weight 20",
                    ) &&
                    e.message.includes(
                        "progressive-delivery:rollout.analysis.metrics[0].minRequests: is 0,",
                    ),
            );
        });

        it("warns on or stops what the program accepts but the pack (stricter) refuses", async () => {
            const resources = await programResources({
                "progressive-delivery:monitoring": {
                    values: {
                        prometheus: {
                            prometheusSpec: {
                                serviceMonitorSelector: { matchLabels: { team: "web" } },
                            },
                        },
                    },
                },
                "progressive-delivery:rollout": {
                    analysis: {
                        metrics: [{ name: "errors", failureCondition: "result[0] < 0.95" }],
                    },
                },
            });
            const run = await runPack(policies, resources);
            const expected: [string, string | undefined, string][] = [
                [
                    "analysis-success-condition",
                    "rollouts-demo-rollout",
                    'CanaryRollout "rollouts-demo-rollout" metric "errors" has no successCondition: healthy is then only implied by the failureCondition "result[0] < 0.95",',
                ],
                [
                    "service-monitor-selected",
                    undefined,
                    'ServiceMonitor "ingress-nginx-servicemonitor" has labels {"progressive-delivery/scrape":"true"}, but the Prometheus of Helm release "monitoring-chart" selects ServiceMonitors by {"progressive-delivery/scrape":"true","team":"web"}:',
                ],
            ];
            assert.deepStrictEqual(
                run.violations.map((v) => [v.policy, v.resource]),
                expected.map(([policy, resource]) => [policy, resource]),
            );
            run.violations.forEach((v, i) =>
                assert.ok(v.message.startsWith(expected[i][2]), v.message),
            );
        });
    });

    describe("served as the Pulumi CLI runs it (run-policy-pack in policies/)", function () {
        this.timeout(120_000);
        let pack: ServedPack;

        before(async () => {
            pack = await ServedPack.start();
        });

        after(async () => {
            await pack?.stop();
        });

        it("reports its name, policies and default levels", async () => {
            const info = await pack.info();
            assert.strictEqual(info.name, PACK_NAME);
            assert.deepStrictEqual(
                Object.fromEntries(info.policies.map((p) => [p.name, p.level])),
                DEFAULT_LEVELS,
            );
        });

        it("analyzes a resource: a :latest canary image is a mandatory violation", async () => {
            const { config } = validateConfig({});
            const template = podTemplate({ ...config.app, image: "argoproj/rollouts-demo:latest" });
            const props = {
                metadata: {
                    name: "rollouts-demo-canary",
                    labels: { app: "rollouts-demo", track: "canary" },
                },
                spec: { template },
            };
            await pack.configure({});
            const diagnostics = await pack.analyze(
                "kubernetes:apps/v1:Deployment",
                "rollouts-demo-canary",
                props,
            );
            assert.deepStrictEqual(
                diagnostics.map((d) => [d.policy, d.enforcementLevel]),
                [["images-pinned", "mandatory"]],
            );
            assert.match(diagnostics[0].message, /runs image "argoproj\/rollouts-demo:latest"/);
        });

        it("takes enforcement levels from the pack's config", async () => {
            await pack.configure({ "images-pinned": "advisory", "rollout-steps": "disabled" });
            const diagnostics = await pack.analyze("kubernetes:core/v1:Pod", "debug", {
                spec: { containers: [{ name: "debug", image: "busybox" }] },
            });
            assert.deepStrictEqual(
                diagnostics.map((d) => [d.policy, d.enforcementLevel]),
                [["images-pinned", "advisory"]],
            );
            await pack.configure({});
        });
    });
});
