// deployments/ under mocks: the pulumiservice plugin is fetched at run time, which this machine
// cannot do, so the program runs against setMocks (anything but the two resource types throws).
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, one, Recorded, settle, valueOf } from "../../support/mocks";
import { ROOT } from "../../support/stackConfig";

const PROJECT = "progressive-delivery-deployments";

async function runSettings(
    config: Record<string, string>,
): Promise<{ created: Recorded[]; stacks: string[] }> {
    const created = installMocks("settings", {
        project: PROJECT,
        known: {
            "pulumiservice:index:DeploymentSettings": () => ({}),
            "pulumiservice:index:ApprovalRule": () => ({}),
        },
    });
    pulumi.runtime.setAllConfig(
        Object.fromEntries(Object.entries(config).map(([k, v]) => [`${PROJECT}:${k}`, v])),
    );
    const entry = require.resolve(path.join(ROOT, "deployments/index.ts"));
    delete require.cache[entry];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const program = require(entry) as { stacks: pulumi.Output<string[]> };
    const stacks = await valueOf(program.stacks);
    await settle();
    return { created, stacks };
}

const BASE = { organization: "acme", repository: "acme/shop-infra" };

const pathsFor = (stage: string) => [
    "index.ts",
    "components/**",
    "package.json",
    "package-lock.json",
    "Pulumi.yaml",
    `Pulumi.${stage}.yaml`,
];

describe("deployments/ (Pulumi Deployments settings, under mocks)", () => {
    it("dev releases on push, prod by hand; both run npm ci, then the release runner", async () => {
        const { created, stacks } = await runSettings(BASE);
        assert.deepStrictEqual(stacks, [
            "acme/progressive-delivery/dev",
            "acme/progressive-delivery/prod",
        ]);
        assert.deepStrictEqual(created.map((r) => `${r.type} ${r.name}`).sort(), [
            "pulumiservice:index:ApprovalRule prod-credentials",
            "pulumiservice:index:DeploymentSettings dev",
            "pulumiservice:index:DeploymentSettings prod",
        ]);
        for (const stage of ["dev", "prod"]) {
            assert.deepStrictEqual(one(created, "DeploymentSettings", stage).inputs, {
                organization: "acme",
                project: "progressive-delivery",
                stack: stage,
                sourceContext: { git: { branch: "refs/heads/main", repoDir: "." } },
                vcs: {
                    provider: "github",
                    repository: "acme/shop-infra",
                    deployCommits: stage === "dev",
                    previewPullRequests: true,
                    paths: pathsFor(stage),
                    pullRequestTemplate: false, // the SDK's default
                },
                operationContext: {
                    preRunCommands: [
                        "npm ci",
                        `npm run release -- --stack acme/progressive-delivery/${stage}`,
                    ],
                    options: { skipInstallDependencies: true, skipIntermediateDeployments: true },
                },
                cacheOptions: { enable: true },
            });
        }
        // Without named approvers, anyone who may open prod's environment approves.
        assert.deepStrictEqual(
            one(created, "ApprovalRule").inputs.approvalRuleConfig.eligibleApprovers,
            [{ rbacPermission: "environment:open" }],
        );
    });

    it("a change to prod's ESC environment needs a reviewer other than its author", async () => {
        const { created } = await runSettings({
            ...BASE,
            branch: "release",
            prodApprovers: JSON.stringify(["platform", "sre"]),
        });
        assert.deepStrictEqual(one(created, "ApprovalRule").inputs, {
            name: "prod-release-credentials",
            enabled: true,
            environmentIdentifier: {
                organization: "acme",
                project: "progressive-delivery",
                name: "prod",
            },
            targetActionTypes: ["update"],
            approvalRuleConfig: {
                numApprovalsRequired: 1,
                allowSelfApproval: false,
                requireReapprovalOnChange: true,
                eligibleApprovers: [{ teamName: "platform" }, { teamName: "sre" }],
            },
        });
        assert.strictEqual(
            one(created, "DeploymentSettings", "prod").inputs.sourceContext.git.branch,
            "refs/heads/release",
        );
    });

    it("the organization and the repository are required, by name", async () => {
        await assert.rejects(runSettings({ repository: "acme/x" }), (e: Error) =>
            e.message.includes(`Missing required configuration variable '${PROJECT}:organization'`),
        );
    });

    it("every path a release watches exists, and the release command is the runner's", () => {
        for (const p of pathsFor("dev").concat(pathsFor("prod"))) {
            assert.ok(fs.existsSync(path.join(ROOT, p.replace("/**", ""))), p);
        }
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        assert.strictEqual(
            pkg.scripts.release,
            "ts-node --transpile-only deployments/release/main.ts",
        );
    });

    it("the ESC environment feeds exactly the program's three secrets to the stack's config", () => {
        const env = yaml.load(
            fs.readFileSync(path.join(ROOT, "deployments/esc/release.yaml"), "utf8"),
        ) as {
            values: { pulumiConfig: Record<string, string> };
        };
        const project = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
            config: Record<string, unknown>;
        };
        const keys = Object.keys(env.values.pulumiConfig);
        assert.deepStrictEqual(keys, [
            "progressive-delivery:kubeconfig",
            "progressive-delivery:prometheusToken",
            "progressive-delivery:prometheusPassword",
        ]);
        for (const k of keys) {
            assert.ok(k.replace("progressive-delivery:", "") in project.config, k);
        }
    });
});
