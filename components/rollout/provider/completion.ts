// CanaryCompletion's run: once stable runs the promoted template, all traffic to stable and the
// canary to zero, on this app's objects only (the adapters check their owner).
import { resetToStable } from "../core/engine";
import { appOfCanary, rolloutTag } from "../core/names";
import { CompletionInputs, routerOf } from "../core/state";
import { scrubbed, secretsOf } from "./secrets";

/** How long CanaryCompletion's reset may retry (it has no rollout deadline of its own). */
export const COMPLETION_SECONDS = 300;

/** After stable runs the promoted template: all traffic to stable, canary to zero. */
export async function complete(
    inputs: CompletionInputs,
): Promise<Omit<CompletionInputs, "kubeconfig">> {
    return scrubbed(await secretsOf(inputs), async (log) => {
        const { loadKubeConfig } = await import("../adapters/kube");
        const { kubeAdapters } = await import("./cluster");
        const kc = loadKubeConfig({ kubeconfig: inputs.kubeconfig, context: inputs.kubeContext });
        // CanaryApp names the canary Deployment after the app; its state carries no app field.
        const app = appOfCanary(inputs.canaryDeployment);
        const cluster = kubeAdapters(
            kc,
            { ...inputs, app },
            { deadline: Date.now() + COMPLETION_SECONDS * 1000 },
        );
        await resetToStable({ router: cluster, workloads: cluster });
        // The header route is named only where there is one to remove.
        const header = routerOf(inputs).header ? " no header route," : "";
        log(
            `${rolloutTag(app)} stable runs ${inputs.promotedHash.slice(0, 12)}; canary weight 0,${header} canary scaled to 0`,
        );
        const outs = { ...inputs };
        delete outs.kubeconfig;
        return outs;
    });
}
