// Router ingress-nginx: the canary Ingress' canary-weight annotation, and its canary-by-header
// annotations for the header route. Both are left out of Pulumi's manifest, so the rollout's
// field manager owns them and server-side apply never fights over them.
import { HEADER_ANNOTATION, HEADER_VALUE_ANNOTATION, WEIGHT_ANNOTATION } from "../../core/names";
import type { HeaderMatch } from "../../core/spec";
import { TrafficRouter } from "../../core/types";
import type { KubeObject, KubeObjects } from "../kube";

export interface IngressNginxTarget {
    canaryIngress: string;
    /** The header that reaches the canary while the header route is on. */
    header?: HeaderMatch;
}

export function ingressNginxRouter(
    objects: KubeObjects,
    target: IngressNginxTarget,
): TrafficRouter {
    const { name, write, untilFor } = objects;
    const ingress = target.canaryIngress;
    const annotations = (obj: KubeObject) => obj.metadata?.annotations ?? {};
    return {
        async setWeight(weight: number) {
            await write(
                "Ingress",
                ingress,
                `setting ${WEIGHT_ANNOTATION}=${weight} on ${name("Ingress", ingress)}`,
                (obj) =>
                    annotations(obj)[WEIGHT_ANNOTATION] === String(weight)
                        ? undefined
                        : { metadata: { annotations: { [WEIGHT_ANNOTATION]: String(weight) } } },
                untilFor(weight === 0),
            );
        },
        async setHeaderRoute(on: boolean) {
            const header = on ? target.header : undefined;
            if (on && !header) {
                return; // no header configured: nothing to turn on
            }
            // A merge patch removes an annotation with null.
            const want = {
                [HEADER_ANNOTATION]: header?.name ?? null,
                [HEADER_VALUE_ANNOTATION]: header?.value ?? null,
            };
            await write(
                "Ingress",
                ingress,
                header
                    ? `setting ${HEADER_ANNOTATION}=${header.name} on ${name("Ingress", ingress)}`
                    : `removing ${HEADER_ANNOTATION} from ${name("Ingress", ingress)}`,
                (obj) =>
                    Object.entries(want).every(([k, v]) => (annotations(obj)[k] ?? null) === v)
                        ? undefined
                        : { metadata: { annotations: want } },
                untilFor(!on),
            );
        },
    };
}
