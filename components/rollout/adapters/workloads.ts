// The canary Deployment's replicas and readiness, and the stable Deployment's template hash,
// through the shared machinery of kube.ts (owner checked on every read, conflict-safe writes).
import { TEMPLATE_HASH_ANNOTATION } from "../core/names";
import { Workloads } from "../core/types";
import { KubeApiError, KubeObject, KubeObjects, KubeOptions } from "./kube";

/** The app's two Deployments. */
export interface WorkloadTarget {
    canaryDeployment: string;
    stableDeployment: string;
}

export interface KubeWorkloads extends Workloads {
    /**
     * The stable Deployment's template-hash annotation ("" without one), or undefined when it
     * does not exist. Refuses a Deployment this program did not create.
     */
    stableTemplateHash(): Promise<string | undefined>;
}

export function kubeWorkloads(
    objects: KubeObjects,
    target: WorkloadTarget,
    opts: Pick<KubeOptions, "pollMs" | "pollSleep">,
): KubeWorkloads {
    const { name, readOwned, write, untilFor, now } = objects;
    const pollMs = opts.pollMs ?? 1000;
    const canary = target.canaryDeployment;
    return {
        async scaleCanary(replicas: number) {
            await write(
                "Deployment",
                canary,
                `scaling ${name("Deployment", canary)} to ${replicas}`,
                (obj) =>
                    (obj as { spec?: { replicas?: number } }).spec?.replicas === replicas
                        ? undefined
                        : { spec: { replicas } },
                untilFor(replicas === 0),
            );
        },
        async waitCanaryReady(replicas: number, deadline: number) {
            const until = Math.min(deadline, objects.deadline);
            for (;;) {
                const d = (await readOwned("Deployment", canary, until)) as KubeObject & {
                    status?: {
                        observedGeneration?: number;
                        readyReplicas?: number;
                        updatedReplicas?: number;
                    };
                };
                const s = d.status ?? {};
                const current = (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
                if (
                    current &&
                    (s.readyReplicas ?? 0) >= replicas &&
                    (s.updatedReplicas ?? 0) >= replicas
                ) {
                    return;
                }
                if (now() + pollMs > until) {
                    throw new Error(
                        `canary ${name("Deployment", canary)} has ${s.readyReplicas ?? 0}/${replicas} ready replicas ` +
                            `(${s.updatedReplicas ?? 0} updated) at the rollout deadline; check its pods' events and readiness probe`,
                    );
                }
                await (opts.pollSleep ?? objects.sleep)(pollMs);
            }
        },
        async stableTemplateHash() {
            try {
                const d = await readOwned("Deployment", target.stableDeployment, objects.deadline);
                return d.metadata?.annotations?.[TEMPLATE_HASH_ANNOTATION] ?? "";
            } catch (e) {
                if (e instanceof KubeApiError && e.status === 404) {
                    return undefined;
                }
                throw e;
            }
        },
    };
}
