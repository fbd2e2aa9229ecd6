// The stable Deployment the CanaryRollout state speaks of is gone: a canary needs it (to fall
// back to, to compare against), so the run changes nothing and says how to bring it back.
import type { RolloutInputs, RolloutOutputs } from "../core/state";

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
