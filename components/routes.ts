// The objects that route the app's traffic, one function per router kind: the two ingress-nginx
// Ingresses, or (gateway-api) the HTTPRoute and, when the program creates it, its Gateway. All of
// them follow the stable Deployment (the provider waits until its pods are ready): a first deploy
// sends no request to a stable Service with no ready pod, and a host or path change moves the
// routing together once the release is done. The rollout writes what moves during a run (the
// weight, the header route) with its own field manager; at rest those hold the values here.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AppConfig, TlsConfig } from "./config";
import { CANARY_ANNOTATION } from "./rollout/core/names";
import type { RouterSpec } from "./rollout/core/spec";
import type { RouterRef } from "./rollout/core/state";

/** What every router's objects share. */
export interface RouteArgs {
    app: AppConfig;
    namespace: pulumi.Input<string>;
    /** The app and ownership labels of the objects. */
    labels: Record<string, string>;
    services: { stable: k8s.core.v1.Service; canary: k8s.core.v1.Service };
    /** The canary's name (its Deployment, Service and Ingress). */
    canaryName: string;
    /** Parent, ignoreChanges of the ownership labels, and what the objects wait for. */
    opts: pulumi.CustomResourceOptions;
}

/** Gateway API's group and version of the objects CanaryApp creates. */
export const GATEWAY_API = {
    group: "gateway.networking.k8s.io",
    apiVersion: "gateway.networking.k8s.io/v1",
};

/** The object the rollout writes: the canary Ingress, or (gateway-api) the HTTPRoute. */
export function routeName(router: RouterSpec, app: AppConfig, canaryName: string): string {
    return router.kind === "gateway-api" ? app.name : canaryName;
}

/**
 * The rollout's router input: absent for ingress-nginx without a header, the default, so a stack
 * from before routers previews no change (core/state.ts, version 6).
 */
export function routerInput(router: RouterSpec): RouterRef | undefined {
    if (router.kind === "ingress-nginx" && router.header === undefined) {
        return undefined;
    }
    return { kind: router.kind, ...(router.header ? { header: router.header } : {}) };
}

/** The stable Ingress and the ingress-nginx canary Ingress (no weight: the rollout's). */
export function nginxIngresses(
    a: RouteArgs,
    name: string,
    className: string,
    tls: TlsConfig | undefined,
    issuer: pulumi.Resource | undefined,
): { stable: k8s.networking.v1.Ingress; canary: k8s.networking.v1.Ingress } {
    const { app } = a;
    const ingress = (
        resourceName: string,
        ingressName: string,
        svc: k8s.core.v1.Service,
        annotations: Record<string, string>,
    ) =>
        new k8s.networking.v1.Ingress(
            resourceName,
            {
                metadata: {
                    name: ingressName,
                    namespace: a.namespace,
                    labels: a.labels,
                    annotations,
                },
                spec: {
                    ingressClassName: className,
                    tls: tls ? [{ hosts: [app.host], secretName: tls.secretName }] : undefined,
                    rules: [
                        {
                            host: app.host,
                            http: {
                                paths: [
                                    {
                                        path: app.path,
                                        pathType: "Prefix",
                                        backend: {
                                            service: {
                                                name: svc.metadata.name,
                                                port: { name: "http" },
                                            },
                                        },
                                    },
                                ],
                            },
                        },
                    ],
                },
            },
            {
                ...a.opts,
                dependsOn: [
                    ...((a.opts.dependsOn as pulumi.Resource[]) ?? []),
                    ...(issuer ? [issuer] : []),
                ],
            },
        );
    return {
        stable: ingress(
            `${name}-stable`,
            app.name,
            a.services.stable,
            issuer ? { "cert-manager.io/issuer": `${app.name}-issuer` } : {},
        ),
        // The weight and header annotations are left out: the rollout owns them.
        canary: ingress(`${name}-canary`, a.canaryName, a.services.canary, {
            [CANARY_ANNOTATION]: "true",
        }),
    };
}

/**
 * The HTTPRoute `<app.name>`: one rule, the app's path to stable (weight 100) and canary
 * (weight 0), attached to the router's Gateway, which is created here when gateway.create.
 */
export function gatewayRoute(
    a: RouteArgs,
    name: string,
    router: RouterSpec,
): { route: k8s.apiextensions.CustomResource; gateway?: k8s.apiextensions.CustomResource } {
    const { app } = a;
    const g = router.gateway!;
    const sameNamespace = g.namespace === app.namespace;
    const gateway = g.create
        ? new k8s.apiextensions.CustomResource(
              `${name}-gateway`,
              {
                  apiVersion: GATEWAY_API.apiVersion,
                  kind: "Gateway",
                  metadata: {
                      name: g.name,
                      namespace: sameNamespace ? a.namespace : g.namespace,
                      labels: a.labels,
                  },
                  spec: {
                      gatewayClassName: g.className,
                      listeners: [
                          {
                              name: "http",
                              port: 80,
                              protocol: "HTTP",
                              // A listener admits routes of its own namespace only, by default.
                              ...(sameNamespace
                                  ? {}
                                  : { allowedRoutes: { namespaces: { from: "All" } } }),
                          },
                      ],
                  },
              },
              a.opts,
          )
        : undefined;
    const backend = (svc: k8s.core.v1.Service, weight: number) => ({
        name: svc.metadata.name,
        port: 80,
        weight,
    });
    const route = new k8s.apiextensions.CustomResource(
        `${name}-route`,
        {
            apiVersion: GATEWAY_API.apiVersion,
            kind: "HTTPRoute",
            metadata: { name: app.name, namespace: a.namespace, labels: a.labels },
            spec: {
                parentRefs: [
                    {
                        group: GATEWAY_API.group,
                        kind: "Gateway",
                        name: g.name,
                        namespace: g.namespace,
                    },
                ],
                hostnames: [app.host],
                rules: [
                    {
                        matches: [{ path: { type: "PathPrefix", value: app.path } }],
                        backendRefs: [
                            backend(a.services.stable, 100),
                            backend(a.services.canary, 0),
                        ],
                    },
                ],
            },
        },
        {
            ...a.opts,
            dependsOn: [
                ...((a.opts.dependsOn as pulumi.Resource[]) ?? []),
                ...(gateway ? [gateway] : []),
            ],
        },
    );
    return { route, gateway };
}
