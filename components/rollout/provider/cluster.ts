// The cluster side of a run: the workloads, and the traffic router chosen by the rollout's
// router kind. A third router is one adapter file (adapters/routers/) and one entry in ROUTERS.
// impl.ts and completion.ts load this module inside their methods (serialized providers).
import type { KubeConfig } from "@kubernetes/client-node";
import { KubeObjects, kubeObjects, KubeOptions, RouteKind } from "../adapters/kube";
import { gatewayApiRouter } from "../adapters/routers/gatewayApi";
import { ingressNginxRouter } from "../adapters/routers/ingressNginx";
import { kubeWorkloads, KubeWorkloads } from "../adapters/workloads";
import { trackName } from "../core/names";
import type { RouterKind } from "../core/spec";
import { RouterRef, routerOf } from "../core/state";
import { TrafficRouter } from "../core/types";

/** Where the app lives, and what its router writes. */
export interface ClusterTarget {
    app: string;
    namespace: string;
    canaryDeployment: string;
    stableDeployment: string;
    /** The canary Ingress, or (gateway-api) the HTTPRoute. */
    canaryIngress: string;
    /** The Services; default to the app's track names (core/names.ts trackName). */
    canaryService?: string;
    stableService?: string;
    /** Absent: ingress-nginx without a header route. */
    router?: RouterRef;
}

const ROUTERS: Record<
    RouterKind,
    { routeKind: RouteKind; make(objects: KubeObjects, t: ClusterTarget): TrafficRouter }
> = {
    "ingress-nginx": {
        routeKind: "Ingress",
        make: (objects, t) =>
            ingressNginxRouter(objects, {
                canaryIngress: t.canaryIngress,
                header: routerOf(t).header,
            }),
    },
    "gateway-api": {
        routeKind: "HTTPRoute",
        make: (objects, t) =>
            gatewayApiRouter(objects, {
                route: t.canaryIngress,
                canaryService: t.canaryService ?? trackName(t.app, "canary"),
                stableService: t.stableService ?? trackName(t.app, "stable"),
                header: routerOf(t).header,
            }),
    },
};

export type ClusterAdapters = KubeWorkloads & TrafficRouter;

/** The workloads and the router of one app, on one set of retry and deadline options. */
export function kubeAdapters(
    kc: KubeConfig,
    target: ClusterTarget,
    opts: KubeOptions,
): ClusterAdapters {
    const router = ROUTERS[routerOf(target).kind];
    if (!router) {
        throw new Error(
            `router.kind ${JSON.stringify(routerOf(target).kind)} has no adapter; use "ingress-nginx" or "gateway-api"`,
        );
    }
    const objects = kubeObjects(
        kc,
        { app: target.app, namespace: target.namespace, routeKind: router.routeKind },
        opts,
    );
    return { ...kubeWorkloads(objects, target, opts), ...router.make(objects, target) };
}
