// The router side of the demo and the e2e tests on the embedded stack: choosing the stack's
// router, the canary's weight wherever the router keeps it, and one request through the edge
// routed as the load is (GET /probe), e.g. with the header that reaches the canary.
import type { KubeConfig } from "@kubernetes/client-node";
import type { HeaderMatch, RouterKind } from "../components/rollout/core/spec";
import type { Workspace } from "./workspace";

const EDGE = `http://127.0.0.1:${process.env.EDGE_CONTROL_PORT ?? 10255}`;
export const DEMO_HOST = "rollouts-demo.local";
/** The header the demo and the e2e test configure. */
export const DEMO_HEADER: HeaderMatch = { name: "X-Canary", value: "always" };

/** Sets progressive-delivery:router on the workspace's stack (kind, and the header if given). */
export async function setRouter(
    ws: Workspace,
    kind: RouterKind,
    header?: HeaderMatch,
): Promise<void> {
    const set = (key: string, value: string) =>
        ws.mustPulumi(["config", "set", "--path", key, value, "--stack", ws.stack]);
    await set("router.kind", kind);
    if (header) {
        await set("router.header.name", header.name);
        await set("router.header.value", header.value);
    }
}

/**
 * The canary's weight: the canary Ingress' annotation, or (no Ingress) the canary backendRef's
 * weight in the HTTPRoute's weighted rule.
 */
export async function canaryWeight(kc: KubeConfig, ws: Workspace): Promise<number> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const k8s = require("@kubernetes/client-node") as typeof import("@kubernetes/client-node");
    const ns = ws.namespace;
    try {
        const ing = await kc
            .makeApiClient(k8s.NetworkingV1Api)
            .readNamespacedIngress({ name: `${ws.app}-canary`, namespace: ns });
        return Number(
            ing.metadata?.annotations?.["nginx.ingress.kubernetes.io/canary-weight"] ?? 0,
        );
    } catch (e) {
        if ((e as { code?: number }).code !== 404) {
            throw e;
        }
    }
    const route = (await kc.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({
        group: "gateway.networking.k8s.io",
        version: "v1",
        namespace: ns,
        plural: "httproutes",
        name: ws.app,
    })) as { spec?: { rules?: { backendRefs?: { name: string; weight?: number }[] }[] } };
    const canary = `${ws.app}-canary`;
    for (const rule of route.spec?.rules ?? []) {
        const refs = rule.backendRefs ?? [];
        if (refs.length === 2 && refs.some((b) => b.name === canary)) {
            return refs.find((b) => b.name === canary)!.weight ?? 0;
        }
    }
    return 0;
}

export interface Probe {
    status: number;
    version: string;
    service: string;
}

/** One request through the edge, routed exactly as the load is (the edge's GET /probe). */
export async function probe(header?: HeaderMatch, path = "/"): Promise<Probe> {
    const q = new URLSearchParams({ host: DEMO_HOST, path });
    if (header) {
        q.append("header", `${header.name}:${header.value}`);
    }
    const res = await fetch(`${EDGE}/probe?${q}`);
    if (!res.ok) {
        throw new Error(`edge /probe answered ${res.status}: ${await res.text()}`);
    }
    return (await res.json()) as Probe;
}

/**
 * Makes the stack's first step a pause (the first setWeight becomes `pause: {duration}`), so a
 * canary run has a window with the header route on and no weighted traffic.
 */
export async function pauseFirst(ws: Workspace, duration = "15s"): Promise<void> {
    await ws.mustPulumi([
        "config",
        "rm",
        "--path",
        "rollout.steps[0].setWeight",
        "--stack",
        ws.stack,
    ]);
    await ws.mustPulumi([
        "config",
        "set",
        "--path",
        "rollout.steps[0].pause.duration",
        duration,
        "--stack",
        ws.stack,
    ]);
}

export interface HeaderProbeReport {
    /** A request with the header, and one without, both sent before the first weight. */
    header?: Probe;
    plain?: Probe;
    beforeFirstWeight: boolean;
    error?: string;
}

/**
 * Watches a `pulumi up`'s output (Workspace.up's killWhen, never killing): once the run is in its
 * first step (a pause, with the header route on), probes the edge with and without the header
 * until the header request reaches `canaryVersion` (the edge reads the route every few seconds),
 * for up to `ms`. `result` resolves with the last probes and whether no weight had been set yet.
 */
export function headerProbe(header: HeaderMatch, canaryVersion: string, ms = 10_000) {
    let started = false;
    let weighted = false;
    let finish: (r: HeaderProbeReport) => void = () => undefined;
    const result = new Promise<HeaderProbeReport>((r) => (finish = r));
    const run = async () => {
        const until = Date.now() + ms;
        let last: HeaderProbeReport = { beforeFirstWeight: false, error: "no probe answered" };
        while (Date.now() < until) {
            try {
                const h = await probe(header);
                const plain = await probe();
                last = { header: h, plain, beforeFirstWeight: !weighted };
                if (h.version === canaryVersion) {
                    break;
                }
            } catch (e) {
                last = { beforeFirstWeight: !weighted, error: (e as Error).message };
            }
            await new Promise((r) => setTimeout(r, 500));
        }
        finish(last);
    };
    return {
        watch(output: string): boolean {
            if (/setWeight \d+%: canary replicas/.test(output)) {
                weighted = true;
            }
            if (!started && /\] step 1\/\d+ pause /.test(output)) {
                started = true;
                void run();
            }
            return false;
        },
        /** After the up: resolves `result` if the run never reached its first pause. */
        done(): void {
            if (!started) {
                finish({
                    beforeFirstWeight: false,
                    error: "the run never reached its first pause",
                });
            }
        },
        result,
    };
}

/** The HTTPRoute's rules that match a header (the header route), for checks at rest. */
export async function headerRules(kc: KubeConfig, ws: Workspace): Promise<unknown[]> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const k8s = require("@kubernetes/client-node") as typeof import("@kubernetes/client-node");
    const route = (await kc.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({
        group: "gateway.networking.k8s.io",
        version: "v1",
        namespace: ws.namespace,
        plural: "httproutes",
        name: ws.app,
    })) as { spec?: { rules?: { matches?: { headers?: unknown[] }[] }[] } };
    return (route.spec?.rules ?? []).filter((r) =>
        (r.matches ?? []).some((m) => (m.headers ?? []).length > 0),
    );
}
