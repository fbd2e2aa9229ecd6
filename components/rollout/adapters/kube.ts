// Kubernetes adapters via @kubernetes/client-node: the ingress-nginx canary weight on the canary
// Ingress, and the canary Deployment's replicas. Both write with their own field manager and
// touch only fields that Pulumi's manifests leave out, so server-side apply never fights them.
import type { AppsV1Api, KubeConfig, NetworkingV1Api } from "@kubernetes/client-node";
import { TEMPLATE_HASH_ANNOTATION, WEIGHT_ANNOTATION } from "../core/names";
import { TrafficRouter, Workloads } from "../core/types";
import { isTransientHttp, statusOf, withRetry } from "./retry";

export const FIELD_MANAGER = "progressive-delivery-rollout";

/** Where the app lives in the cluster. */
export interface CanaryTarget {
    namespace: string;
    canaryDeployment: string;
    canaryIngress: string;
    stableDeployment: string;
}

/** Kubernetes access as the provider receives it: a kubeconfig's text, or the ambient one. */
export interface KubeAccess {
    kubeconfig?: string;
    context?: string;
}

// client-node 1.x is an ES module; Node >= 20.19 can require() it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const k8s = (): typeof import("@kubernetes/client-node") => require("@kubernetes/client-node");

export function loadKubeConfig(access: KubeAccess): KubeConfig {
    const kc = new (k8s().KubeConfig)();
    if (access.kubeconfig) {
        kc.loadFromString(access.kubeconfig);
    } else {
        kc.loadFromDefault();
    }
    if (access.context) {
        kc.setCurrentContext(access.context);
    }
    if (!kc.getCurrentCluster()) {
        throw new Error(
            "no Kubernetes cluster: set progressive-delivery:kubeconfig (as a secret), or KUBECONFIG / kubeContext",
        );
    }
    return kc;
}

const retry = <T>(what: string, fn: () => Promise<T>) =>
    withRetry(what, fn, { attempts: 6, baseMs: 200, isTransient: (e) => isTransientHttp(e, true) });

export interface KubeAdapters extends TrafficRouter, Workloads {
    /** The stable Deployment's template-hash annotation, or undefined if it does not exist. */
    stableTemplateHash(): Promise<string | undefined>;
}

/**
 * `sleep` paces the wait for ready canary pods; the provider passes its host clock's, so a
 * cancelled or orphaned run stops waiting at the next tick instead of at the deadline.
 */
export function kubeAdapters(
    kc: KubeConfig,
    target: CanaryTarget,
    pollMs = 1000,
    sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
): KubeAdapters {
    const lib = k8s();
    const apps: AppsV1Api = kc.makeApiClient(lib.AppsV1Api);
    const net: NetworkingV1Api = kc.makeApiClient(lib.NetworkingV1Api);
    const mergePatch = lib.setHeaderOptions("Content-Type", lib.PatchStrategy.MergePatch);
    const { namespace } = target;
    return {
        async setWeight(weight: number) {
            await retry(
                `setting ${WEIGHT_ANNOTATION}=${weight} on Ingress ${namespace}/${target.canaryIngress}`,
                () =>
                    net.patchNamespacedIngress(
                        {
                            name: target.canaryIngress,
                            namespace,
                            fieldManager: FIELD_MANAGER,
                            body: {
                                metadata: { annotations: { [WEIGHT_ANNOTATION]: String(weight) } },
                            },
                        },
                        mergePatch,
                    ),
            );
        },
        async scaleCanary(replicas: number) {
            await retry(
                `scaling Deployment ${namespace}/${target.canaryDeployment} to ${replicas}`,
                () =>
                    apps.patchNamespacedDeployment(
                        {
                            name: target.canaryDeployment,
                            namespace,
                            fieldManager: FIELD_MANAGER,
                            body: { spec: { replicas } },
                        },
                        mergePatch,
                    ),
            );
        },
        async waitCanaryReady(replicas: number, deadline: number) {
            for (;;) {
                const d = await retry(
                    `reading Deployment ${namespace}/${target.canaryDeployment}`,
                    () =>
                        apps.readNamespacedDeployment({ name: target.canaryDeployment, namespace }),
                );
                const s = d.status ?? {};
                const current = (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
                if (
                    current &&
                    (s.readyReplicas ?? 0) >= replicas &&
                    (s.updatedReplicas ?? 0) >= replicas
                ) {
                    return;
                }
                if (Date.now() + pollMs > deadline) {
                    throw new Error(
                        `canary Deployment ${namespace}/${target.canaryDeployment} has ${s.readyReplicas ?? 0}/${replicas} ready replicas ` +
                            `(${s.updatedReplicas ?? 0} updated) at the rollout deadline; check its pods' events and readiness probe`,
                    );
                }
                await sleep(pollMs);
            }
        },
        async stableTemplateHash() {
            try {
                const d = await retry(
                    `reading Deployment ${namespace}/${target.stableDeployment}`,
                    () =>
                        apps.readNamespacedDeployment({ name: target.stableDeployment, namespace }),
                );
                return d.metadata?.annotations?.[TEMPLATE_HASH_ANNOTATION] ?? "";
            } catch (e) {
                if (statusOf((e as Error).cause) === 404) {
                    return undefined;
                }
                throw e;
            }
        },
    };
}
