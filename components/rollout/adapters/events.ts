// Kubernetes events on the canary Deployment for each step, measurement and verdict, so
// `kubectl describe deployment APP-canary` and `kubectl get events` show the release as Flagger's
// users expect. Written in the background (queue.ts); a cluster that refuses them (RBAC) is told
// once and the run goes on.
import type { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { describeEvent } from "../core/events";
import { rolloutTag } from "../core/names";
import { EventSink, Reporter, RolloutEvent } from "../core/types";
import { sendQueue, SendQueue } from "./queue";
import { errorText } from "./retry";

/** The name of the component that reports the events. */
export const EVENT_SOURCE = "progressive-delivery";

export function kubeEvents(
    kc: KubeConfig,
    target: { app: string; namespace: string; canaryDeployment: string },
    log: Reporter,
): { sink: EventSink; queue: SendQueue<RolloutEvent> } {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lib = require("@kubernetes/client-node") as typeof import("@kubernetes/client-node");
    const core: CoreV1Api = kc.makeApiClient(lib.CoreV1Api);
    const apps = kc.makeApiClient(lib.AppsV1Api);
    const { app, namespace, canaryDeployment: name } = target;
    let uid: string | undefined;
    let refused = false;
    let n = 0;
    const queue = sendQueue<RolloutEvent>(async (e) => {
        if (refused) {
            return;
        }
        try {
            uid ??= (await apps.readNamespacedDeployment({ name, namespace })).metadata?.uid;
            const d = describeEvent(e);
            const now = new Date();
            await core.createNamespacedEvent({
                namespace,
                body: {
                    metadata: {
                        // Unique per run and event, as kubectl's recorder names them.
                        name: `${name}.${now.getTime().toString(16)}${(n++).toString(16)}`,
                        namespace,
                    },
                    involvedObject: {
                        apiVersion: "apps/v1",
                        kind: "Deployment",
                        name,
                        namespace,
                        uid,
                    },
                    reason: d.reason,
                    message: d.message,
                    type: d.type,
                    count: 1,
                    firstTimestamp: now,
                    lastTimestamp: now,
                    source: { component: EVENT_SOURCE },
                    reportingComponent: EVENT_SOURCE,
                    reportingInstance: EVENT_SOURCE,
                },
            });
        } catch (err) {
            refused = true;
            log(
                `${rolloutTag(app)} could not write Kubernetes events on Deployment ${namespace}/${name} (${errorText(err)}); the run goes on without them`,
            );
        }
    });
    return { sink: (e) => queue.push(e), queue };
}
