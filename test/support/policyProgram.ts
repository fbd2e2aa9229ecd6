// The whole program (index.ts) under mocks with a stack's config, as test/unit/index.test.ts
// runs it, turned into the resources a policy pack sees: each resource's inputs, and its outputs
// as the mocks return them (test/support/mocks.ts: a CanaryRollout's outputs add the promoted
// template and hash, as after a successful release).
import * as pulumi from "@pulumi/pulumi";
import { installMocks, Recorded, settle, valueOf } from "./mocks";
import { FakeResource } from "./policyHarness";
import { mergedConfig, ROOT } from "./stackConfig";

/** The state a mocked resource returns beyond its inputs (mirrors mocks.ts KNOWN). */
function extraOutputs(r: Recorded): Record<string, unknown> {
    if (r.type === "pulumi-nodejs:dynamic/progressive-delivery:CanaryRollout") {
        return {
            promotedTemplate: r.inputs.template,
            promotedHash: r.inputs.templateHash,
            lastRun: null,
        };
    }
    if (r.type === "kubernetes:helm.sh/v3:Release") {
        return { status: { status: "deployed" } };
    }
    return {};
}

/** Runs index.ts with a shipped stack's config (or raw config values) and returns its resources. */
export async function programResources(
    stack: string | Record<string, unknown>,
): Promise<FakeResource[]> {
    const created = installMocks(typeof stack === "string" ? stack : "custom");
    pulumi.runtime.setAllConfig(mergedConfig(stack));
    const entry = require.resolve(`${ROOT}/index.ts`);
    delete require.cache[entry];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const program = require(entry) as Record<string, pulumi.Output<unknown>>;
    for (const v of Object.values(program)) {
        await valueOf(v);
    }
    await settle();
    return created.map((r) => ({
        type: r.type,
        name: r.name,
        props: r.inputs,
        outputs: { ...r.inputs, ...extraOutputs(r) },
    }));
}
