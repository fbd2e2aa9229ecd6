// The Deployments settings of each stack, as plain data (tests read them under mocks).
//
// A deployment checks the repository out, runs the pre-run commands, then `pulumi up`. The
// release itself is a pre-run command: `npm run release` previews and updates with the
// Automation API, streams the rollout and exits non-zero on a rollback, which fails the
// deployment before its own `pulumi up`; after a promotion that `pulumi up` finds nothing to do.
// Credentials never live here: each stack imports its ESC environment (Pulumi.<stack>.yaml
// `environment:`), which feeds the kubeconfig and Prometheus secrets to the stack's config.
import type * as service from "@pulumi/pulumiservice";

export const PROJECT = "progressive-delivery";

export type Stage = "dev" | "prod";

export interface Options {
    organization: string;
    repository: string;
    branch: string;
    prodApprovers: string[];
}

/** The ESC environment of a stage: progressive-delivery/dev, progressive-delivery/prod. */
export function environmentName(stage: Stage): string {
    return `${PROJECT}/${stage}`;
}

/** The paths whose change is a release: the program and the stage's own stack file. */
function releasePaths(stage: Stage): string[] {
    return [
        "index.ts",
        "components/**",
        "package.json",
        "package-lock.json",
        "Pulumi.yaml",
        `Pulumi.${stage}.yaml`,
    ];
}

/** The stack's fully qualified name, as the release runner takes it. */
export function stackName(stage: Stage, o: Pick<Options, "organization">): string {
    return `${o.organization}/${PROJECT}/${stage}`;
}

export function deploymentSettings(stage: Stage, o: Options): service.DeploymentSettingsArgs {
    return {
        organization: o.organization,
        project: PROJECT,
        stack: stage,
        sourceContext: { git: { branch: `refs/heads/${o.branch}`, repoDir: "." } },
        vcs: {
            provider: "github",
            repository: o.repository,
            // dev releases on every push to the branch; prod only when a person deploys it
            // (the console's Deploy button or the REST API): its review step.
            deployCommits: stage === "dev",
            previewPullRequests: true,
            paths: releasePaths(stage),
        },
        operationContext: {
            preRunCommands: ["npm ci", `npm run release -- --stack ${stackName(stage, o)}`],
            options: {
                // npm ci above installs exactly the lockfile; Deployments' own install would not.
                skipInstallDependencies: true,
                // A newer commit supersedes a queued one: one release per stack at a time.
                skipIntermediateDeployments: true,
            },
        },
        cacheOptions: { enable: true },
    };
}

/** A change to prod's ESC environment (credentials, config) waits for a reviewer. */
export function prodApprovalRule(o: Options): service.ApprovalRuleArgs {
    return {
        name: "prod-release-credentials",
        enabled: true,
        environmentIdentifier: {
            organization: o.organization,
            project: PROJECT,
            name: "prod",
        },
        targetActionTypes: ["update"],
        approvalRuleConfig: {
            numApprovalsRequired: 1,
            allowSelfApproval: false,
            requireReapprovalOnChange: true,
            eligibleApprovers:
                o.prodApprovers.length > 0
                    ? o.prodApprovers.map((teamName) => ({ teamName }))
                    : [{ rbacPermission: "environment:open" }],
        },
    };
}
