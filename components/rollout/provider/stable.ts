// What a run knows of the stable Deployment: the CanaryRollout state says whether this app was
// deployed here before (never a 404), and the cluster what stable runs now.
import type { KubeAdapters } from "../adapters/kube";
import { resetToStable } from "../core/engine";
import type { RolloutInputs, RolloutOutputs } from "../core/state";

/**
 * Where the state knows of no stable Deployment: a canary runs only against a stable Deployment
 * of this app that runs another template. Otherwise traffic goes to stable and it says why.
 */
export async function needsCanary(
    inputs: RolloutInputs,
    cluster: KubeAdapters,
    log: (line: string) => void,
): Promise<boolean> {
    const existing = await cluster.stableTemplateHash();
    if (existing === undefined || existing === inputs.templateHash) {
        log(
            `[canary ${inputs.app}] ${existing === undefined ? "first deployment" : "stable already runs this template"}: promoted without a canary run`,
        );
        await resetToStable({ router: cluster, workloads: cluster });
        return false;
    }
    return true;
}

/** The stable Deployment the state speaks of is gone: what is missing and how to recover. */
export function missingStable(news: RolloutInputs, olds: RolloutOutputs): string {
    const images = imagesOf(olds.promotedTemplate);
    const promoted =
        images.length > 0
            ? `app.image set back to ${images.map((i) => `"${i}"`).join(", ")}`
            : "the app's config set back to the promoted version";
    return (
        `the stable Deployment ${news.namespace}/${news.stableDeployment} does not exist, but this stack deployed it ` +
        `(the CanaryRollout state says it runs template ${olds.promotedHash.slice(0, 12)}); nothing was changed. ` +
        "A canary needs the stable version to fall back to and to compare against, so none runs without it. " +
        `Recreate it: \`pulumi refresh\`, then \`pulumi up\` with ${promoted} (no canary runs for the ` +
        "promoted template), then set the new version again"
    );
}

function imagesOf(template: Record<string, unknown>): string[] {
    const spec = (template as { spec?: { containers?: { image?: unknown }[] } }).spec;
    return (spec?.containers ?? [])
        .map((c) => c.image)
        .filter((i): i is string => typeof i === "string");
}
