// Serialization guard: each dynamic provider serializes (as Pulumi does when registering the
// resource), captures no live clients or secrets, and the serialized text runs in a plain Node.js
// process like Pulumi's provider host (no ts-node preloaded), answering check and diff.
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import {
    completionProvider,
    rolloutProvider,
} from "../../../../../components/rollout/provider/resources";
import { validateConfig } from "../../../../../components/config";
import { ROOT } from "../../../../support/stackConfig";

/** A CanaryRollout's inputs as CanaryApp passes them for the default config. */
const { rollout } = validateConfig({}).config;
const GOOD = {
    templateHash: "a",
    totalReplicas: 4,
    ...rollout,
    scrapeIntervalSeconds: 30,
    prometheus: { url: "http://p", timeoutSeconds: 10 },
};

async function serialize(provider: pulumi.dynamic.ResourceProvider): Promise<string> {
    const s = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: false });
    return s.text;
}

/** Runs `script` against the serialized provider in a fresh node process and returns its JSON. */
function runInHost(text: string, script: string): unknown {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pd-provider-"));
    fs.writeFileSync(path.join(dir, "provider.js"), text);
    fs.writeFileSync(
        path.join(dir, "run.js"),
        `const provider = require("./provider.js").handler();\n(async () => {\n${script}\n})().catch((e) => { console.error(e); process.exit(1); });\n`,
    );
    try {
        return JSON.parse(
            execFileSync(process.execPath, [path.join(dir, "run.js")], {
                cwd: ROOT,
                encoding: "utf8",
                env: { PATH: process.env.PATH },
            }),
        );
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("dynamic providers serialize", () => {
    it("CanaryRollout: small, no clients or secrets, and check/diff run in a bare node process", async () => {
        const text = await serialize(rolloutProvider());
        assert.ok(text.length < 20_000, `serialized provider is ${text.length} bytes`);
        for (const forbidden of [
            "KubeConfig",
            "axios.create",
            "BEGIN CERTIFICATE",
            "client-certificate-data",
        ]) {
            assert.ok(!text.includes(forbidden), `serialized provider mentions ${forbidden}`);
        }
        const out = runInHost(
            text,
            `const good = ${JSON.stringify(GOOD)};
             const bad = { ...good, totalReplicas: 0, metrics: [{ ...good.metrics[0], successCondition: "result[0] >=", query: "{{args.nope}}" }] };
             const c1 = await provider.check({}, good);
             const c2 = await provider.check({}, bad);
             const d = await provider.diff("id", { ...good, promotedHash: "a" }, { ...good, templateHash: "b" });
             console.log(JSON.stringify({ ok: c1.failures, bad: c2.failures.map((f) => f.property === "totalReplicas" ? f.property : f.property + ": " + f.reason), diff: d }));`,
        ) as { ok: unknown[]; bad: string[]; diff: pulumi.dynamic.DiffResult };
        assert.deepStrictEqual(out.ok, []);
        assert.deepStrictEqual(out.bad, [
            "totalReplicas",
            "metrics: rollout.analysis.metrics[0].query: uses unknown args {{args.nope}}; known are {{args.namespace}}, {{args.service}}, {{args.stableService}}, {{args.ingress}}, {{args.failureStatus}}, {{args.window}}",
            'metrics: rollout.analysis.metrics[0].successCondition: cannot parse "result[0] >=": Expected expression after >= at character 12',
        ]);
        assert.deepStrictEqual(out.diff, {
            changes: true,
            replaces: [],
            deleteBeforeReplace: false,
            stables: [],
        });
    });

    it("CanaryCompletion serializes and diffs in a bare node process", async () => {
        const text = await serialize(completionProvider());
        const out = runInHost(
            text,
            `const a = { namespace: "n", canaryDeployment: "c", stableDeployment: "s", canaryIngress: "i", promotedHash: "h1" };
             console.log(JSON.stringify([await provider.diff("id", a, a), await provider.diff("id", a, { ...a, promotedHash: "h2" })]));`,
        ) as pulumi.dynamic.DiffResult[];
        assert.deepStrictEqual(
            out.map((d) => d.changes),
            [false, true],
        );
        assert.deepStrictEqual(
            out.map((d) => d.replaces),
            [[], []],
        );
    });
});
