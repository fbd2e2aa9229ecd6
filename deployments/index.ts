// Wiring only: the Deployments settings of dev and prod, and the review of prod's credentials.
import * as pulumi from "@pulumi/pulumi";
import * as service from "@pulumi/pulumiservice";
import { deploymentSettings, Options, prodApprovalRule, Stage, stackName } from "./settings";

const config = new pulumi.Config();
const options: Options = {
    organization: config.require("organization"),
    repository: config.require("repository"),
    branch: config.get("branch") ?? "main",
    prodApprovers: config.getObject<string[]>("prodApprovers") ?? [],
};

const stages: Stage[] = ["dev", "prod"];
for (const stage of stages) {
    new service.DeploymentSettings(stage, deploymentSettings(stage, options));
}
new service.ApprovalRule("prod-credentials", prodApprovalRule(options));

export const stacks = stages.map((s) => stackName(s, options));
