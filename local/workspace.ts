// A Pulumi workspace on the embedded stack, for the demo and the e2e suite: a project directory
// outside the repo whose program files are symlinks to this checkout (so the code under test is
// the checkout's) and whose stack config is a copy of Pulumi.local.yaml (so `pulumi config set`
// and the passphrase salt never touch the repo), with its own file backend.
//
// The links may point to another tree instead (`root`: e.g. an older commit exported by the
// upgrade test). Re-creating a workspace with another root re-points the links and keeps the
// backend and the stack config, so the stack's state carries over from one version of the
// program to the next, as it does for a user who pulls a new version into their checkout.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { KubeConfig } from "@kubernetes/client-node";
import type { RunEvidence } from "../components/rollout/core/state";
import { canaryWeight } from "./router";

const ROOT = path.join(__dirname, "..");
/** Where workspaces (and other state of the embedded stack) live; outside the repo. */
export const STATE =
    process.env.PD_STATE_DIR ??
    path.join(
        process.env.XDG_STATE_HOME ?? path.join(process.env.HOME ?? "/root", ".local", "state"),
        "progressive-delivery",
    );
const EDGE = `http://127.0.0.1:${process.env.EDGE_CONTROL_PORT ?? 10255}`;
const PROMETHEUS = `http://127.0.0.1:${process.env.PD_PROMETHEUS_PORT ?? 19090}`;
const LINKED = ["index.ts", "components", "node_modules", "package.json", "tsconfig.json"];

export interface UpResult {
    code: number | null;
    signal: NodeJS.Signals | null;
    output: string;
    seconds: number;
}

export interface ClusterState {
    stableImage: string;
    stableReady: number;
    canaryImage: string;
    canaryReplicas: number;
    weight: number;
}

export class Workspace {
    readonly stack = "local";
    readonly app = "rollouts-demo";
    readonly namespace = "rollouts-demo";
    private kc?: KubeConfig;

    private constructor(
        readonly dir: string,
        readonly env: NodeJS.ProcessEnv,
        /** The checkout whose program files the project's links point to. */
        readonly root: string,
    ) {}

    /**
     * Creates the workspace `name`, or re-points an existing one at `opts.root` (default: this
     * checkout); its backend and stack config are kept either way.
     */
    static async create(name: string, opts: { root?: string } = {}): Promise<Workspace> {
        const root = path.resolve(opts.root ?? ROOT);
        if (!fs.existsSync(path.join(root, "Pulumi.yaml"))) {
            throw new Error(`workspace root ${root} has no Pulumi.yaml`);
        }
        const base = path.join(STATE, name);
        const dir = path.join(base, "project");
        fs.mkdirSync(dir, { recursive: true });
        for (const f of LINKED) {
            const link = path.join(dir, f);
            fs.rmSync(link, { force: true, recursive: false });
            // A tree exported from git has no node_modules: use this checkout's. Note that Node
            // and TypeScript resolve packages from a module's real path, not from the link, so
            // the root's own files find them only if the root has (a link to) node_modules too.
            const from = f === "node_modules" && !fs.existsSync(path.join(root, f)) ? ROOT : root;
            fs.symlinkSync(path.join(from, f), link);
        }
        fs.copyFileSync(path.join(root, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
        fs.mkdirSync(path.join(base, "backend"), { recursive: true });
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            PULUMI_BACKEND_URL: `file://${path.join(base, "backend")}`,
            PULUMI_CONFIG_PASSPHRASE:
                process.env.PULUMI_CONFIG_PASSPHRASE ?? "progressive-delivery-local",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_DISABLE_REGISTRY_RESOLVE: "true",
            NO_COLOR: "1",
        };
        if (!env.KUBECONFIG) {
            throw new Error(
                "KUBECONFIG is not set: run `npm run local:up` and source its env.sh (npm run demo does)",
            );
        }
        return new Workspace(dir, env, root);
    }

    /** Runs a pulumi command in the workspace, echoing its output with a prefix. */
    pulumi(
        args: string[],
        opts: { echo?: boolean; killWhen?: (output: string) => boolean } = {},
    ): Promise<UpResult> {
        const start = Date.now();
        return new Promise((resolve, reject) => {
            const child = spawn("pulumi", [...args, "--non-interactive", "--color", "never"], {
                cwd: this.dir,
                env: this.env,
            });
            let output = "";
            let killed = false;
            let lineStart = true;
            const onData = (d: Buffer) => {
                const text = d.toString();
                output += text;
                if (opts.echo !== false) {
                    // Indent pulumi's lines under ours; its progress dots continue a line.
                    process.stdout.write(
                        (lineStart ? "    | " : "") + text.replace(/\n(?=.)/g, "\n    | "),
                    );
                    lineStart = text.endsWith("\n");
                }
                if (!killed && opts.killWhen?.(output)) {
                    killed = true;
                    child.kill("SIGKILL");
                }
            };
            child.stdout.on("data", onData);
            child.stderr.on("data", onData);
            child.on("error", reject);
            child.on("close", (code, signal) =>
                resolve({ code, signal, output, seconds: (Date.now() - start) / 1000 }),
            );
        });
    }

    async mustPulumi(args: string[]): Promise<string> {
        const r = await this.pulumi(args, { echo: false });
        if (r.code !== 0) {
            throw new Error(`pulumi ${args.join(" ")} exited ${r.code}:\n${r.output}`);
        }
        return r.output;
    }

    /** A fresh stack from Pulumi.local.yaml; destroys what an earlier run left. */
    async reset(): Promise<void> {
        // The demo and the e2e suite deploy the same app into the same cluster: whichever runs
        // destroys what the others left (the demo leaves its app running for a person to see).
        for (const other of fs.readdirSync(STATE)) {
            const dir = path.join(STATE, other, "project");
            if (
                other !== path.basename(path.dirname(this.dir)) &&
                fs.existsSync(path.join(dir, "Pulumi.yaml"))
            ) {
                await (await Workspace.create(other)).destroyStack();
            }
        }
        await this.destroyStack();
        fs.copyFileSync(
            path.join(this.root, "Pulumi.local.yaml"),
            path.join(this.dir, "Pulumi.local.yaml"),
        );
        await this.mustPulumi(["stack", "init", this.stack]);
        await this.waitNamespaceGone();
    }

    /** A stack from Pulumi.local.yaml, without touching anything deployed (for previews). */
    async ensureStack(): Promise<void> {
        const stacks = await this.mustPulumi(["stack", "ls", "--json"]);
        if (!(JSON.parse(stacks) as { name: string }[]).some((s) => s.name === this.stack)) {
            fs.copyFileSync(
                path.join(this.root, "Pulumi.local.yaml"),
                path.join(this.dir, "Pulumi.local.yaml"),
            );
            await this.mustPulumi(["stack", "init", this.stack]);
        }
    }

    /** Destroys and removes the workspace's stack, if it has one. */
    async destroyStack(): Promise<void> {
        const stacks = await this.mustPulumi(["stack", "ls", "--json"]);
        if ((JSON.parse(stacks) as { name: string }[]).some((s) => s.name === this.stack)) {
            // A killed run may have left the stack locked; nothing else runs here now.
            await this.pulumi(["cancel", "--yes", "--stack", this.stack], { echo: false });
            const d = await this.pulumi(
                ["destroy", "--yes", "--skip-preview", "--stack", this.stack],
                {
                    echo: false,
                },
            );
            if (d.code !== 0) {
                throw new Error(`pulumi destroy in ${this.dir} failed:\n${d.output}`);
            }
            await this.mustPulumi(["stack", "rm", "--yes", "--force", "--stack", this.stack]);
        }
    }

    async setImage(image: string): Promise<void> {
        await this.mustPulumi([
            "config",
            "set",
            "--path",
            "app.image",
            image,
            "--stack",
            this.stack,
        ]);
    }

    up(opts: { killWhen?: (output: string) => boolean } = {}): Promise<UpResult> {
        console.log(`\n$ pulumi up   (stack ${this.stack})`);
        return this.pulumi(["up", "--yes", "--skip-preview", "--stack", this.stack], opts);
    }

    /** Removes the lock a killed `pulumi up` left on the stack, as pulumi's message says to. */
    async cancel(): Promise<void> {
        await this.mustPulumi(["cancel", "--yes", "--stack", this.stack]);
    }

    preview(): Promise<UpResult> {
        return this.pulumi(["preview", "--stack", this.stack, "--diff"], { echo: false });
    }

    destroy(): Promise<UpResult> {
        return this.pulumi(["destroy", "--yes", "--skip-preview", "--stack", this.stack], {
            echo: false,
        });
    }

    /** The stack's `lastRun` output: the last canary run's evidence, or null before any. */
    async lastRun(): Promise<RunEvidence | null> {
        return JSON.parse(
            await this.mustPulumi(["stack", "output", "lastRun", "--json", "--stack", this.stack]),
        );
    }

    private async kube() {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const k8s = require("@kubernetes/client-node") as typeof import("@kubernetes/client-node");
        if (!this.kc) {
            this.kc = new k8s.KubeConfig();
            this.kc.loadFromFile(this.env.KUBECONFIG!);
        }
        return {
            apps: this.kc.makeApiClient(k8s.AppsV1Api),
            net: this.kc.makeApiClient(k8s.NetworkingV1Api),
            core: this.kc.makeApiClient(k8s.CoreV1Api),
        };
    }

    /** The embedded cluster's kubeconfig, as the workspace's clients use it. */
    async kubeConfig(): Promise<KubeConfig> {
        await this.kube();
        return this.kc!;
    }

    /** The Kubernetes events on an object of the app's namespace, oldest first. */
    async events(name: string): Promise<{ reason: string; message: string; type: string }[]> {
        const { core } = await this.kube();
        const list = await core.listNamespacedEvent({
            namespace: this.namespace,
            fieldSelector: `involvedObject.name=${name}`,
        });
        return list.items.map((e) => ({
            reason: e.reason ?? "",
            message: e.message ?? "",
            type: e.type ?? "",
        }));
    }

    async clusterState(): Promise<ClusterState> {
        const { apps } = await this.kube();
        const ns = this.namespace;
        const stable = await apps.readNamespacedDeployment({
            name: `${this.app}-stable`,
            namespace: ns,
        });
        const canary = await apps.readNamespacedDeployment({
            name: `${this.app}-canary`,
            namespace: ns,
        });
        const weight = await canaryWeight(this.kc!, this);
        return {
            stableImage: stable.spec?.template.spec?.containers[0].image ?? "",
            stableReady: stable.status?.readyReplicas ?? 0,
            canaryImage: canary.spec?.template.spec?.containers[0].image ?? "",
            canaryReplicas: canary.spec?.replicas ?? 0,
            weight,
        };
    }

    /**
     * The cluster's state once both Deployments have settled: the controller has seen their
     * latest spec and every pod is updated and ready, with no old pod left over from a rolling
     * update (pulumi's await ends when the new pods are ready, while old ones may still count).
     * For comparing the cluster before and after a command; after `ms` it returns what it sees.
     */
    async steadyState(ms = 60_000): Promise<ClusterState> {
        const { apps } = await this.kube();
        const settled = async (name: string) => {
            const d = await apps.readNamespacedDeployment({ name, namespace: this.namespace });
            const want = d.spec?.replicas ?? 1;
            const s = d.status ?? {};
            return (
                (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
                (s.replicas ?? 0) === want &&
                (s.updatedReplicas ?? 0) === want &&
                (s.readyReplicas ?? 0) === want
            );
        };
        const until = Date.now() + ms;
        while (Date.now() < until) {
            const both = await Promise.all([
                settled(`${this.app}-stable`),
                settled(`${this.app}-canary`),
            ]);
            if (both.every(Boolean)) {
                break;
            }
            await new Promise((r) => setTimeout(r, 500));
        }
        return this.clusterState();
    }

    /** Every object of the app that is left in the cluster (for destroy checks). */
    async leftovers(): Promise<string[]> {
        const { apps, net, core } = await this.kube();
        const ns = this.namespace;
        const found: string[] = [];
        try {
            const n = await core.readNamespace({ name: ns });
            if (n.status?.phase !== "Terminating") {
                found.push(`namespace/${ns}`);
            }
        } catch {
            // gone
        }
        const lists = await Promise.allSettled([
            apps.listNamespacedDeployment({ namespace: ns }),
            net.listNamespacedIngress({ namespace: ns }),
            core.listNamespacedService({ namespace: ns }),
        ]);
        for (const l of lists) {
            if (l.status === "fulfilled") {
                found.push(
                    ...l.value.items.map((i) => `${i.kind ?? "object"}/${i.metadata?.name}`),
                );
            }
        }
        return found;
    }

    private async waitNamespaceGone(): Promise<void> {
        const { core } = await this.kube();
        for (let i = 0; i < 120; i++) {
            try {
                await core.readNamespace({ name: this.namespace });
            } catch {
                return;
            }
            await new Promise((r) => setTimeout(r, 500));
        }
        throw new Error(`namespace ${this.namespace} is still there 60s after destroy`);
    }

    async setErrorRate(version: string, rate: number): Promise<void> {
        const res = await fetch(`${EDGE}/errors?version=${version}&rate=${rate}`, {
            method: "POST",
        });
        if (!res.ok) {
            throw new Error(`edge refused the error rate: ${await res.text()}`);
        }
    }

    /**
     * How many requests to the app the edge has answered 503 so far (a Service with no ready
     * pod: ingress-nginx's and Istio's answer), as Prometheus last scraped it; the injected errors are 500.
     * Read it before and after a step (after a scrape interval) for the step's count.
     */
    async unreadyAnswers(): Promise<number> {
        const ns = this.namespace;
        const q =
            `(sum(nginx_ingress_controller_requests{namespace="${ns}",status="503"}) or vector(0))` +
            ` + (sum(istio_requests_total{destination_service_namespace="${ns}",response_code="503"}) or vector(0))`;
        const res = await fetch(`${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(q)}`);
        const body = (await res.json()) as {
            status: string;
            data?: { result?: { value: [number, string] }[] };
        };
        const value = body.data?.result?.[0]?.value[1];
        if (body.status !== "success" || value === undefined) {
            throw new Error(
                `Prometheus did not answer ${q}: ${JSON.stringify(body).slice(0, 200)}`,
            );
        }
        return Number(value);
    }

    /** Waits for the edge to see the cluster's latest state and send some traffic. */
    async waitForTraffic(seconds = 3): Promise<void> {
        await new Promise((r) => setTimeout(r, seconds * 1000));
    }

    async edgeRoute(): Promise<{
        stableVersion: string;
        canaryVersion: string;
        weight: number;
        summary: string;
    }> {
        const state = (await (await fetch(`${EDGE}/state`)).json()) as {
            routes: {
                host: string;
                weight: number;
                stable: { version: string };
                canary?: { version: string };
                requests: { stable: number; canary: number };
            }[];
            httpRoutes?: EdgeHttpRoute[];
        };
        const r =
            state.routes.find((x) => x.host === "rollouts-demo.local") ??
            httpRouteSplit(state.httpRoutes ?? [], "rollouts-demo.local");
        if (!r) {
            return {
                stableVersion: "",
                canaryVersion: "",
                weight: 0,
                summary: "no route for rollouts-demo.local",
            };
        }
        return {
            stableVersion: r.stable.version,
            canaryVersion: r.canary?.version ?? "",
            weight: r.weight,
            summary: `${100 - r.weight}% to stable ${r.stable.version}, ${r.weight}% to canary ${r.canary?.version ?? "-"} (requests so far: stable ${r.requests.stable}, canary ${r.requests.canary})`,
        };
    }
}

/** An HTTPRoute in the edge's GET /state (local/edge/edge.ts). */
interface EdgeHttpRoute {
    hostnames: string[];
    rules: {
        matches: { headers: unknown[] }[];
        backends: { version: string; weight: number; requests: number }[];
    }[];
}

/**
 * The weighted split of the HTTPRoute serving `host`, in the shape of the edge's Ingress routes:
 * its rule without header matches, first backendRef stable, second canary (as CanaryApp writes
 * them); weights 90 and 10 are a weight of 10%.
 */
function httpRouteSplit(routes: EdgeHttpRoute[], host: string) {
    const rule = routes
        .find((x) => x.hostnames.includes(host))
        ?.rules.find((x) => x.matches.some((m) => m.headers.length === 0));
    if (!rule?.backends.length) {
        return undefined;
    }
    const [stable, canary] = rule.backends;
    const total = stable.weight + (canary?.weight ?? 0);
    return {
        host,
        weight: canary && total > 0 ? Math.round((100 * canary.weight) / total) : 0,
        stable: { version: stable.version },
        canary: canary && { version: canary.version },
        requests: { stable: stable.requests, canary: canary?.requests ?? 0 },
    };
}
