// CanaryApp: one app released by canary. The graph (DESIGN.md, "Resource graph"):
//
//   Namespace, Services (stable, canary)
//   canary Deployment (template = desired; replicas left to the rollout)
//     -> CanaryRollout (steps the weight, analyses; outputs promotedTemplate)
//     -> stable Deployment (template = promotedTemplate)
//     -> routing (routes.ts): Ingress (stable) and Ingress (canary, nginx annotations), or
//        (gateway-api) the HTTPRoute and its Gateway
//     -> CanaryCompletion (weight 0, canary to 0 once stable runs the promoted template)
//
// If the rollout throws, the stable Deployment is never touched and the rollout's state keeps
// the old inputs: the next `pulumi up` with the same config retries the canary.
import { createHash } from "crypto";
import * as k8s from "@pulumi/kubernetes";
import { CertManager } from "@pulumi/kubernetes-cert-manager";
import * as pulumi from "@pulumi/pulumi";
import type { AppConfig, TlsConfig } from "./config";
import { canonicalJson } from "./rollout/core/canonicalJson";
import { isSystemNamespace } from "./config/fields";
import { rolledBackNow, summarize, verdictLine } from "./rollout/core/evidence";
import { ownerLabels, TEMPLATE_HASH_ANNOTATION, trackName } from "./rollout/core/names";
import type { RolloutSpec, RouterSpec } from "./rollout/core/spec";
import type { ServiceRef } from "./rollout/core/state";
import { CanaryCompletion, CanaryRollout } from "./rollout/provider/resources";
import { gatewayRoute, nginxIngresses, RouteArgs, routeName, routerInput } from "./routes";

/** The Node.js language host's exit code for "the program already reported its error". */
const LOGGED_ERROR_EXIT_CODE = 32;

export interface CanaryAppArgs {
    app: AppConfig;
    rollout: RolloutSpec;
    /** ingressClassName of both Ingresses. Defaults to "nginx". */
    ingressClassName?: string;
    /** The traffic router. Defaults to ingress-nginx without a header route. */
    router?: RouterSpec;
    tls?: TlsConfig;
    /** Where the analysis reads metrics. */
    prometheus: {
        url?: pulumi.Input<string>;
        service?: pulumi.Input<ServiceRef | undefined>;
        username?: string;
        timeoutSeconds: number;
    };
    /** Prometheus scrape interval in seconds; the rate window never gets shorter than 4x this. */
    scrapeIntervalSeconds: number;
    /** Secrets, passed to the dynamic resources only (encrypted in state, never in outputs). */
    kubeconfig?: pulumi.Input<string>;
    kubeContext?: string;
    prometheusToken?: pulumi.Input<string>;
    /** Secret webhook URLs by notification name (rollout.notifications). */
    notificationUrls?: pulumi.Input<Record<string, string>>;
    prometheusPassword?: pulumi.Input<string>;
    /** Resources the release waits for (e.g. the ServiceMonitor, so metrics exist). */
    dependsOn?: pulumi.Resource[];
}

/** The desired pod template, without the track label (the same for canary and stable). */
export function podTemplate(app: AppConfig): Record<string, unknown> {
    const probe = (p: AppConfig["readinessProbe"]) => ({
        httpGet: { path: p.path, port: "http" },
        initialDelaySeconds: p.initialDelaySeconds,
        periodSeconds: p.periodSeconds,
        failureThreshold: p.failureThreshold,
    });
    return {
        metadata: { labels: { app: app.name } },
        spec: {
            containers: [
                {
                    name: app.name,
                    image: app.image,
                    ports: [{ name: "http", containerPort: app.port, protocol: "TCP" }],
                    resources: app.resources,
                    readinessProbe: probe(app.readinessProbe),
                    ...(app.livenessProbe ? { livenessProbe: probe(app.livenessProbe) } : {}),
                },
            ],
        },
    };
}

/** The template with the track label that the stable or canary Service selects. */
export function withTrack(
    template: Record<string, unknown>,
    track: "stable" | "canary",
): Record<string, unknown> {
    const metadata = (template.metadata ?? {}) as { labels?: Record<string, string> };
    return { ...template, metadata: { ...metadata, labels: { ...metadata.labels, track } } };
}

/** The ownership labels as Pulumi property paths: set at creation, never changed after. */
export function ownershipIgnoreChanges(app: string): string[] {
    return Object.keys(ownerLabels(app)).map((k) => `metadata.labels["${k}"]`);
}

/** sha256 of the template's canonical JSON: what triggers a canary run. */
export function templateHash(template: unknown): string {
    return createHash("sha256").update(canonicalJson(template)).digest("hex");
}

export class CanaryApp extends pulumi.ComponentResource {
    readonly url: pulumi.Output<string>;
    readonly stableService: pulumi.Output<string>;
    readonly canaryService: pulumi.Output<string>;
    readonly rollout: CanaryRollout;
    /** The last canary run in one line, e.g. `rolled back 5104a0c0ff3a (...): ...`. */
    readonly lastVerdict: pulumi.Output<string>;
    readonly stable: k8s.apps.v1.Deployment;
    readonly canary: k8s.apps.v1.Deployment;
    /** Router ingress-nginx: the two Ingresses. */
    readonly canaryIngress?: k8s.networking.v1.Ingress;
    readonly stableIngress?: k8s.networking.v1.Ingress;
    /** Router gateway-api: the HTTPRoute. */
    readonly route?: k8s.apiextensions.CustomResource;

    constructor(name: string, args: CanaryAppArgs, opts?: pulumi.ComponentResourceOptions) {
        super("progressive-delivery:app:CanaryApp", name, {}, opts);
        const { app, rollout } = args;
        if (rollout.steps.length === 0) {
            throw new pulumi.ResourceError(
                `CanaryApp ${name}: rollout.steps is empty; give at least one step`,
                this,
            );
        }
        // The Deployments', Services' and Ingresses' metadata (never a pod template: that would
        // start a canary) says they are this program's, for this app: the rollout writes nothing
        // without these labels (rollout/core/ownership.ts). They are set when an object is
        // created and never changed after (ignoreChanges), so a stack created before them
        // previews no change; its objects are recognised by their app label and managedFields.
        const owned = ownerLabels(app.name);
        const parent = { parent: this };
        const marked = { parent: this, ignoreChanges: ownershipIgnoreChanges(app.name) };
        // A system namespace (allowed by app.allowSystemNamespace) exists already and is never
        // this stack's to create or delete.
        const namespace = isSystemNamespace(app.namespace)
            ? pulumi.output(app.namespace)
            : new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: app.namespace } }, parent)
                  .metadata.name;
        const names = {
            stable: trackName(app.name, "stable"),
            canary: trackName(app.name, "canary"),
        };
        const labels = (track: "stable" | "canary") => ({ app: app.name, track });
        const metaLabels = (track: "stable" | "canary") => ({ ...labels(track), ...owned });

        const service = (track: "stable" | "canary") =>
            new k8s.core.v1.Service(
                `${name}-${track}`,
                {
                    metadata: { name: names[track], namespace, labels: metaLabels(track) },
                    spec: {
                        selector: labels(track),
                        ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
                    },
                },
                marked,
            );
        const stableSvc = service("stable");
        const canarySvc = service("canary");

        const router = args.router ?? { kind: "ingress-nginx" };
        // TLS terminates at the Ingresses (the config refuses it with gateway-api).
        const tls = args.tls?.enabled && router.kind === "ingress-nginx" ? args.tls : undefined;
        const issuer = tls
            ? this.issuer(app.name, tls, namespace, args.ingressClassName ?? "nginx")
            : undefined;
        const desired = podTemplate(app);
        const hash = templateHash(desired);
        this.canary = new k8s.apps.v1.Deployment(
            `${name}-canary`,
            {
                metadata: { name: names.canary, namespace, labels: metaLabels("canary") },
                // No `replicas`: the rollout scales the canary, and SSA leaves the field to it.
                spec: {
                    selector: { matchLabels: labels("canary") },
                    template: withTrack(desired, "canary"),
                },
            },
            marked,
        );

        this.rollout = new CanaryRollout(
            `${name}-rollout`,
            {
                app: app.name,
                namespace,
                canaryDeployment: names.canary,
                stableDeployment: names.stable,
                // Plain names: the rollout runs before the routing objects are created or changed.
                canaryIngress: routeName(router, app, names.canary),
                router: routerInput(router),
                canaryService: canarySvc.metadata.name,
                stableService: stableSvc.metadata.name,
                template: desired,
                templateHash: hash,
                totalReplicas: app.replicas,
                steps: rollout.steps,
                deadlineSeconds: rollout.deadlineSeconds,
                abortScaleDownDelaySeconds: rollout.abortScaleDownDelaySeconds,
                metrics: rollout.metrics,
                judge: rollout.judge,
                notifications: rollout.notifications,
                notificationUrls: args.notificationUrls,
                scrapeIntervalSeconds: args.scrapeIntervalSeconds,
                prometheus: pulumi.output(args.prometheus).apply((p) => ({
                    ...(p.url ? { url: p.url } : {}),
                    ...(p.service ? { service: p.service } : {}),
                    ...(p.username ? { username: p.username } : {}),
                    timeoutSeconds: p.timeoutSeconds,
                })),
                prometheusToken: args.prometheusToken,
                prometheusPassword: args.prometheusPassword,
                kubeconfig: args.kubeconfig,
                kubeContext: args.kubeContext,
            },
            {
                parent: this,
                dependsOn: [this.canary, canarySvc, stableSvc, ...(args.dependsOn ?? [])],
            },
        );

        this.stable = new k8s.apps.v1.Deployment(
            `${name}-stable`,
            {
                metadata: {
                    name: names.stable,
                    namespace,
                    labels: metaLabels("stable"),
                    annotations: { [TEMPLATE_HASH_ANNOTATION]: this.rollout.promotedHash },
                },
                spec: {
                    replicas: app.replicas,
                    selector: { matchLabels: labels("stable") },
                    template: this.rollout.promotedTemplate.apply((t) => withTrack(t, "stable")),
                },
            },
            marked,
        );

        const routing: RouteArgs = {
            app,
            namespace,
            labels: { app: app.name, ...owned },
            services: { stable: stableSvc, canary: canarySvc },
            canaryName: names.canary,
            opts: { ...marked, dependsOn: [this.stable] },
        };
        if (router.kind === "gateway-api") {
            this.route = gatewayRoute(routing, name, router).route;
        } else {
            const className = args.ingressClassName ?? "nginx";
            const ingresses = nginxIngresses(routing, name, className, tls, issuer);
            this.stableIngress = ingresses.stable;
            this.canaryIngress = ingresses.canary;
        }

        new CanaryCompletion(
            `${name}-completion`,
            {
                namespace,
                canaryDeployment: names.canary,
                stableDeployment: names.stable,
                canaryIngress: routeName(router, app, names.canary),
                ...(router.kind === "gateway-api" ? { router: { kind: router.kind } } : {}),
                promotedHash: this.stable.metadata.annotations.apply(
                    (a) => a[TEMPLATE_HASH_ANNOTATION],
                ),
                kubeconfig: args.kubeconfig,
                kubeContext: args.kubeContext,
            },
            // After the routing objects too: its reset writes them, and they follow stable.
            {
                parent: this,
                dependsOn: [
                    this.stable,
                    ...[this.route, this.stableIngress, this.canaryIngress].filter(
                        (r): r is NonNullable<typeof r> => r !== undefined,
                    ),
                ],
            },
        );

        // A rollback is not a resource failure: CanaryRollout keeps its evidence in state and
        // in the stack's outputs. This `pulumi up` still fails, with the reason, when the run
        // rolled back the template asked for now. Exit code 32 is the language host's "the
        // program already told the user" (Bail): the update ends as failed, and the engine
        // still records the outputs that were updated (Pulumi >= 3.111).
        this.rollout.lastRun.apply((run) => {
            if (rolledBackNow(run, hash)) {
                pulumi.log.error(`${run!.reason}\n${summarize(run!)}`, this.rollout);
                process.exitCode = LOGGED_ERROR_EXIT_CODE;
            }
        });
        this.lastVerdict = this.rollout.lastRun.apply(verdictLine);

        const scheme = tls ? "https" : "http";
        this.url = pulumi.output(`${scheme}://${app.host}${app.path}`);
        this.stableService = stableSvc.metadata.name;
        this.canaryService = canarySvc.metadata.name;
        this.registerOutputs({
            url: this.url,
            stableService: this.stableService,
            canaryService: this.canaryService,
            promotedHash: this.rollout.promotedHash,
            lastRun: this.rollout.lastRun,
            lastPromotedRun: this.rollout.lastPromotedRun,
            lastVerdict: this.lastVerdict,
        });
    }

    /** A cert-manager Issuer in the app's namespace: self-signed, or ACME over HTTP-01. */
    private issuer(
        name: string,
        tls: TlsConfig,
        namespace: pulumi.Input<string>,
        ingressClassName: string,
    ): k8s.apiextensions.CustomResource {
        const spec =
            tls.issuer === "acme"
                ? {
                      acme: {
                          email: tls.acme!.email,
                          server: tls.acme!.server,
                          privateKeySecretRef: { name: `${name}-acme-account` },
                          solvers: [{ http01: { ingress: { ingressClassName } } }],
                      },
                  }
                : { selfSigned: {} };
        const certManager = tls.installCertManager ? this.certManager(name, tls) : undefined;
        return new k8s.apiextensions.CustomResource(
            `${name}-issuer`,
            {
                apiVersion: "cert-manager.io/v1",
                kind: "Issuer",
                metadata: { name: `${name}-issuer`, namespace },
                spec,
            },
            { parent: this, dependsOn: certManager ? [certManager] : [] },
        );
    }

    /**
     * cert-manager itself (its CRDs and webhook), the same pinned chart either way: through
     * @pulumi/kubernetes-cert-manager's component (its provider plugin is downloaded by
     * `pulumi up`), or as a plain Helm Release where that plugin cannot be had.
     */
    private certManager(name: string, tls: TlsConfig): pulumi.Resource {
        const release = {
            name: "cert-manager",
            namespace: "cert-manager",
            createNamespace: true,
            chart: tls.certManagerChart.name,
            version: tls.certManagerChart.version,
            repositoryOpts: { repo: tls.certManagerChart.repo },
        };
        if (tls.certManagerVia === "component") {
            return new CertManager(
                `${name}-cert-manager`,
                { installCRDs: true, helmOptions: release },
                { parent: this },
            );
        }
        return new k8s.helm.v3.Release(
            `${name}-cert-manager`,
            { ...release, values: { crds: { enabled: true } } },
            { parent: this },
        );
    }
}
