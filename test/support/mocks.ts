// pulumi.runtime.setMocks with a recorder: every registered resource is kept with its inputs,
// and anything this program should never create or call throws ("Mock not implemented").
import * as pulumi from "@pulumi/pulumi";

export interface Recorded {
    type: string;
    name: string;
    inputs: Record<string, any>;
    provider?: string;
}

/** Resource types the program may create, with the extra state each returns. */
const KNOWN: Record<string, (inputs: Record<string, any>) => Record<string, unknown>> = {
    "pulumi:providers:kubernetes": () => ({}),
    "kubernetes:core/v1:Namespace": () => ({}),
    "kubernetes:core/v1:Service": () => ({}),
    "kubernetes:apps/v1:Deployment": () => ({}),
    "kubernetes:networking.k8s.io/v1:Ingress": () => ({}),
    "kubernetes:helm.sh/v3:Release": () => ({ status: { status: "deployed" } }),
    "kubernetes:monitoring.coreos.com/v1:ServiceMonitor": () => ({}),
    "kubernetes:cert-manager.io/v1:Issuer": () => ({}),
    "kubernetes:gateway.networking.k8s.io/v1:Gateway": () => ({}),
    "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": () => ({}),
    // A remote component: its plugin builds the Helm Release; under mocks it is one resource.
    "kubernetes-cert-manager:index:CertManager": () => ({ status: { status: "deployed" } }),
    "pulumi-nodejs:dynamic/progressive-delivery:CanaryRollout": (i) => ({
        promotedTemplate: i.template,
        promotedHash: i.templateHash,
        lastRun: null,
    }),
    "pulumi-nodejs:dynamic/progressive-delivery:CanaryCompletion": () => ({}),
};

let registered = 0;

/**
 * `project` and `known`: another program of this repository (deployments/) with its own
 * resource types; anything else still throws.
 */
export function installMocks(
    stack = "test",
    {
        project = "progressive-delivery",
        known = KNOWN,
    }: { project?: string; known?: typeof KNOWN } = {},
): Recorded[] {
    const created: Recorded[] = [];
    pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                // Our own components register too; they have no state of their own.
                const extra = args.type.startsWith("progressive-delivery:")
                    ? () => ({})
                    : known[args.type];
                if (!extra) {
                    throw new Error(
                        `Mock not implemented for resource type ${args.type} (${args.name})`,
                    );
                }
                registered++;
                created.push({
                    type: args.type,
                    name: args.name,
                    inputs: args.inputs,
                    provider: args.provider,
                });
                return { id: `${args.name}-id`, state: { ...args.inputs, ...extra(args.inputs) } };
            },
            call(args: pulumi.runtime.MockCallArgs) {
                throw new Error(`Mock not implemented for call ${args.token}`);
            },
        },
        project,
        stack,
        false,
    );
    return created;
}

/** The value of an Output, awaited (no `done` inside `.apply`). */
export function valueOf<T>(o: pulumi.Input<T> | undefined): Promise<T> {
    return new Promise((resolve) =>
        pulumi.output(o as pulumi.Input<T>).apply((v) => resolve(v as T)),
    );
}

/**
 * Lets the runtime finish registering resources whose inputs are Outputs (dynamic resources
 * also serialize their provider first): waits until nothing new was registered for 300 ms.
 */
export async function settle(): Promise<void> {
    const deadline = Date.now() + 30_000;
    let seen = -1;
    while (seen !== registered && Date.now() < deadline) {
        seen = registered;
        await new Promise((r) => setTimeout(r, 300));
    }
}

export function byType(created: Recorded[], type: string): Recorded[] {
    return created.filter((r) => r.type.endsWith(type));
}

export function one(created: Recorded[], type: string, name?: string): Recorded {
    const found = byType(created, type).filter((r) => name === undefined || r.name === name);
    if (found.length !== 1) {
        throw new Error(
            `expected one ${type}${name ? ` named ${name}` : ""}, found ${found.map((r) => r.name).join(", ") || "none"}`,
        );
    }
    return found[0];
}
