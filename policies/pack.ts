// The pack's policies, one module each, and its name. index.ts serves them; tests import this
// module (importing index.ts would start the analyzer's gRPC server).
import { Policies, PolicyPackArgs } from "@pulumi/policy";
import { analysisConditions } from "./analysisConditions";
import { analysisLimits } from "./analysisLimits";
import { analysisMinRequests } from "./analysisMinRequests";
import { analysisNoIrate } from "./analysisNoIrate";
import { analysisQueries } from "./analysisQueries";
import { analysisRateWindow } from "./analysisRateWindow";
import { analysisSuccessCondition } from "./analysisSuccessCondition";
import { canaryContainerResources } from "./canaryContainerResources";
import { canaryHttpRoutePairing } from "./canaryHttpRoutePairing";
import { canaryIngressPairing } from "./canaryIngressPairing";
import { canaryReadinessProbe } from "./canaryReadinessProbe";
import { helmChartPinned } from "./helmChartPinned";
import { imagesPinned } from "./imagesPinned";
import { rolloutOwnsTraffic } from "./rolloutOwnsTraffic";
import { rolloutPrometheus } from "./rolloutPrometheus";
import { rolloutSettings } from "./rolloutSettings";
import { rolloutSteps } from "./rolloutSteps";
import { serviceMonitorSelected } from "./serviceMonitorSelected";
import { stableFollowsRollout } from "./stableFollowsRollout";
import { stableTemplateUnedited } from "./stableTemplateUnedited";

/** Must equal `name` in PulumiPolicy.yaml. */
export const PACK_NAME = "progressive-delivery-guardrails";

/** Every policy, each with its default enforcement level (see README.md, "Enforcement"). */
export const policies: Policies = [
    stableTemplateUnedited,
    stableFollowsRollout,
    rolloutSteps,
    rolloutSettings,
    rolloutPrometheus,
    analysisQueries,
    analysisConditions,
    analysisLimits,
    analysisRateWindow,
    analysisMinRequests,
    analysisNoIrate,
    analysisSuccessCondition,
    imagesPinned,
    canaryContainerResources,
    canaryReadinessProbe,
    serviceMonitorSelected,
    helmChartPinned,
    canaryIngressPairing,
    canaryHttpRoutePairing,
    rolloutOwnsTraffic,
];

export function packArgs(readme?: string): PolicyPackArgs {
    return {
        description:
            "Guardrails for Prometheus-gated canary releases: the stable version changes only " +
            "through the rollout, the rollout and its analysis can actually tell a bad version " +
            "from a good one, and the traffic and metrics the analysis relies on exist.",
        displayName: "Progressive delivery guardrails",
        provider: "kubernetes",
        tags: ["kubernetes", "canary", "progressive-delivery"],
        // Each policy sets its own level; this applies only to a policy that does not.
        enforcementLevel: "advisory",
        readme,
        policies,
    };
}
