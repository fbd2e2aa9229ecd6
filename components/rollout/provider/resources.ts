// CanaryRollout and CanaryCompletion: the two dynamic resources of one app's release.
//
// A dynamic provider is serialized into the state and run by Pulumi's provider host, a separate
// Node.js process that has no TypeScript loader and none of this program's live objects. So
// each provider method here captures only two strings (the implementation's path and
// ts-node's), and loads providerImpl.ts inside the call. If the checkout moved since the state
// was written, the path is looked up again under the provider host's working directory, which
// is the project directory.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { CompletionInputs, RolloutInputs, RolloutOutputs } from "../core/state";

type Impl = typeof import("./impl");

/** Absolute path of the implementation, and the same path relative to the project root. */
const IMPL = require.resolve("./impl");
const IMPL_FROM_ROOT = path.relative(path.join(__dirname, "..", "..", ".."), IMPL);
const TS_NODE = require.resolve("ts-node");

/** A function the provider host can run: loads the implementation (and ts-node if needed). */
function makeLoader(implPath: string, implFromRoot: string, tsNodePath: string): () => Impl {
    return () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const fs = require("fs");
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const p = require("path");
        const target = fs.existsSync(implPath) ? implPath : p.resolve(process.cwd(), implFromRoot);
        if (
            target.endsWith(".ts") &&
            !(process as unknown as { [k: symbol]: unknown })[
                Symbol.for("ts-node.register.instance")
            ]
        ) {
            const tsNode = fs.existsSync(tsNodePath) ? tsNodePath : "ts-node";
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            require(tsNode).register({
                transpileOnly: true,
                compilerOptions: { module: "commonjs" },
            });
        }
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require(target);
    };
}

/**
 * Runs a provider method in the provider host. When the run ended because `pulumi` is gone
 * (OrphanedRun), nobody will read the result and the host would linger for good: exit it.
 */
async function exitWhenOrphaned<T>(run: () => Promise<T>): Promise<T> {
    // When pulumi is killed, the pipe the host's stderr writes to is closed: a progress line
    // must not end the host (EPIPE) before it has put traffic back on stable.
    process.stderr.on("error", () => undefined);
    try {
        return await run();
    } catch (e) {
        if ((e as Error).name === "OrphanedRun") {
            console.error(`${(e as Error).message}. Exiting.`);
            setTimeout(() => process.exit(2), 100);
        }
        throw e;
    }
}

/** The provider objects. Exported for the serialization guard test. */
export function rolloutProvider(): pulumi.dynamic.ResourceProvider {
    const load = makeLoader(IMPL, IMPL_FROM_ROOT, TS_NODE);
    return {
        async check(olds: RolloutInputs, news: RolloutInputs) {
            return { inputs: news, failures: load().checkRollout(news, olds) };
        },
        async diff(_id: string, olds: object, news: RolloutInputs) {
            return load().diffRollout(olds, news);
        },
        async create(inputs: RolloutInputs) {
            return exitWhenOrphaned(() => load().createRollout(inputs));
        },
        async update(_id: string, olds: object, news: RolloutInputs) {
            return exitWhenOrphaned(() => load().updateRollout(olds, news));
        },
        // Nothing to delete: the Deployments and Ingresses are Pulumi resources of their own.
        async delete() {},
    };
}

export function completionProvider(): pulumi.dynamic.ResourceProvider {
    const load = makeLoader(IMPL, IMPL_FROM_ROOT, TS_NODE);
    return {
        async diff(_id: string, olds: CompletionInputs, news: CompletionInputs) {
            return load().diffCompletion(olds, news);
        },
        async create(inputs: CompletionInputs) {
            return {
                id: `${inputs.namespace}/${inputs.canaryDeployment}`,
                outs: await load().complete(inputs),
            };
        },
        async update(_id: string, _olds: CompletionInputs, news: CompletionInputs) {
            return { outs: await load().complete(news) };
        },
        async delete() {},
    };
}

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/**
 * Steps the canary's traffic weight, runs the analysis, and outputs the template that stable
 * may run. On a failed analysis it puts traffic back on stable, scales the canary to zero and
 * throws, so the stable Deployment (which depends on promotedTemplate) is never touched.
 */
export class CanaryRollout extends pulumi.dynamic.Resource {
    declare readonly promotedTemplate: pulumi.Output<Record<string, unknown>>;
    declare readonly promotedHash: pulumi.Output<string>;
    declare readonly lastRun: pulumi.Output<RolloutOutputs["lastRun"]>;
    declare readonly lastPromotedRun: pulumi.Output<RolloutOutputs["lastPromotedRun"]>;

    constructor(name: string, args: Inputs<RolloutInputs>, opts?: pulumi.CustomResourceOptions) {
        super(
            rolloutProvider(),
            name,
            {
                ...args,
                promotedTemplate: undefined,
                promotedHash: undefined,
                lastRun: undefined,
                lastPromotedRun: undefined,
            },
            {
                ...opts,
                additionalSecretOutputs: [
                    "kubeconfig",
                    "prometheusToken",
                    "prometheusPassword",
                    "notificationUrls",
                ],
            },
            "progressive-delivery",
            "CanaryRollout",
        );
    }
}

/** After stable runs the promoted template: canary weight 0 and canary replicas 0. */
export class CanaryCompletion extends pulumi.dynamic.Resource {
    declare readonly promotedHash: pulumi.Output<string>;

    constructor(name: string, args: Inputs<CompletionInputs>, opts?: pulumi.CustomResourceOptions) {
        super(
            completionProvider(),
            name,
            args,
            { ...opts, additionalSecretOutputs: ["kubeconfig"] },
            "progressive-delivery",
            "CanaryCompletion",
        );
    }
}
