// Proves the layer rules in .eslint.config.mjs bite: planted bad imports are reported under the
// exact rule id, legitimate imports are not, and the real tree is clean.
// Snippets are linted with lintText() under a virtual file path; nothing is written to disk.
import * as assert from "assert";
import * as path from "path";
import { ESLint, Linter } from "eslint";

const ROOT = path.resolve(__dirname, "../../..");
const CONFIG = path.join(ROOT, ".eslint.config.mjs");

const IMPORTS = "no-restricted-imports";
const SYNTAX = "no-restricted-syntax";
const GLOBALS = "no-restricted-globals";
const LAYER_RULES = new Set<string>([IMPORTS, SYNTAX, GLOBALS]);

// Virtual files, one per layer. Only the folder matters to the rules, except for index.ts.
const PROBE = "__layers_probe__.ts";
const AT = {
    core: `components/rollout/core/${PROBE}`,
    coreNested: `components/rollout/core/judge/${PROBE}`,
    adapters: `components/rollout/adapters/${PROBE}`,
    provider: `components/rollout/provider/${PROBE}`,
    component: `components/${PROBE}`, // same folder as canaryApp.ts
    config: `components/config/${PROBE}`,
    rollout: `components/rollout/${PROBE}`, // only the components/** catch-all applies
    policies: `policies/${PROBE}`,
    policiesLib: `policies/lib/${PROBE}`,
    deployments: `deployments/${PROBE}`,
    runner: `deployments/release/${PROBE}`,
    index: "index.ts",
    test: `test/unit/components/${PROBE}`,
};
type Layer = keyof typeof AT;

type Case = [layer: Layer, code: string, ruleId?: string];

const BAD: Case[] = [
    // core: no Pulumi (not even types), no I/O libraries, no Node I/O builtins
    ["core", `import * as pulumi from "@pulumi/pulumi";`],
    ["core", `import type { Output } from "@pulumi/pulumi";`],
    ["core", `import { type Output } from "@pulumi/pulumi";`],
    ["core", `import * as k8s from "@pulumi/kubernetes";`],
    ["core", `import axios from "axios";`],
    ["core", `import type { KubeConfig } from "@kubernetes/client-node";`],
    ["core", `import * as fs from "fs";`],
    ["core", `import { readFile } from "fs/promises";`],
    ["core", `import { readFileSync } from "node:fs";`],
    ["core", `import { setTimeout } from "node:timers/promises";`],
    ["core", `import { execSync } from "child_process";`],
    ["core", `import * as https from "https";`],
    ["core", `import * as http2 from "http2";`],
    ["core", `import * as os from "os";`],
    ["core", `import { env } from "process";`],
    ["core", `import { Worker } from "worker_threads";`],
    ["core", `import fs = require("fs");`],
    // core: no config, adapters, provider, components
    ["core", `import { loadConfig } from "../../config";`],
    ["core", `import { loadConfig } from "../../config/index";`],
    ["core", `import type { JudgeConfig } from "../../config";`],
    ["core", `import { kubeAdapters } from "../adapters/kube";`],
    ["core", `export * from "../adapters/retry";`],
    ["core", `import { CanaryRollout } from "../provider/resources";`],
    ["core", `import { CanaryApp } from "../../canaryApp";`],
    ["core", `import { Workspace } from "../../../local/workspace";`],
    ["core", `import { fakeClock } from "../../../test/support/fakes";`],
    ["coreNested", `import type { JudgeConfig } from "../../../config";`],
    ["coreNested", `import { kubeAdapters } from "../../adapters/kube";`],
    ["coreNested", `import * as pulumi from "@pulumi/pulumi";`],
    // core: the back doors
    ["core", `const x = require("axios");`, SYNTAX],
    ["core", `const p = require.resolve("axios");`, SYNTAX],
    ["core", `const y = await import("fs");`, SYNTAX],
    ["core", `type O = import("@pulumi/pulumi").Output<string>;`, SYNTAX],
    ["core", `process.exit(1);`, GLOBALS],
    ["core", `const e = process.env.HOME;`, GLOBALS],

    ["adapters", `import { x } from "../provider/resources";`],
    ["adapters", `import { loadConfig } from "../../config";`],
    ["adapters", `import { CanaryApp } from "../../canaryApp";`],
    ["adapters", `import { MonitoringStack } from "../../monitoringStack";`],
    ["adapters", `import * as pulumi from "@pulumi/pulumi";`],
    ["adapters", `import { Workspace } from "../../../local/workspace";`],

    ["provider", `import type { JudgeConfig } from "../../config";`],
    ["provider", `import { loadConfig } from "../../config/index";`],
    ["provider", `import { CanaryApp } from "../../canaryApp";`],
    ["provider", `import { IngressNginxMonitor } from "../../ingressMonitor";`],
    ["provider", `import { fakeClock } from "../../../test/support/fakes";`],

    ["component", `import { kubeAdapters } from "./rollout/adapters/kube";`],
    ["component", `import { TEMPLATE_HASH_ANNOTATION } from "./rollout/adapters/kube";`],
    ["component", `import { Workspace } from "../local/workspace";`],
    ["component", `import { fakeClock } from "../test/support/fakes";`],

    ["config", `import { prometheusSource } from "../rollout/adapters/prometheus";`],
    ["config", `import { Workspace } from "../../local/workspace";`],

    ["rollout", `import { Workspace } from "../../local/workspace";`],

    ["policies", `import { checkSpec } from "../../../components/rollout/core/spec";`],
    ["policies", `import type { AppConfig } from "../../../components/config";`],
    ["policies", `import { Workspace } from "../local/workspace";`],
    [
        "policiesLib",
        `import { TEMPLATE_HASH_ANNOTATION } from "../../../components/rollout/adapters/kube";`,
    ],

    ["index", `import { kubeAdapters } from "../../../components/rollout/adapters/kube";`],

    // deployments/: the Automation API and the pure core only
    ["runner", `import { loadConfig } from "../../components/config";`],
    ["runner", `import type { AppConfig } from "../../components/config/types";`],
    ["runner", `import { hostClock } from "../../components/rollout/adapters/hostClock";`],
    ["runner", `import { CanaryRollout } from "../../components/rollout/provider/resources";`],
    ["runner", `import { CanaryApp } from "../../components/canaryApp";`],
    ["runner", `import "../../index";`],
    ["runner", `import { Workspace } from "../../local/workspace";`],
    ["deployments", `import { url } from "../index";`],
    ["deployments", `import { fakeClock } from "../test/support/fakes";`],
    // ... and nothing shipped imports deployments/
    ["provider", `import { EXIT_CODES } from "../../../deployments/release/outcome";`],
    ["component", `import { settings } from "../deployments/settings";`],
    ["policies", `import { settings } from "../deployments/settings";`],
];

const GOOD: Case[] = [
    ["core", `import { fmt } from "./analysis";`],
    ["core", `import { Step } from "./types";`],
    ["core", `import jsep from "jsep";`],
    ["core", `import { tally } from "./process";`], // a core module named like a builtin
    ["coreNested", `import { fmt } from "../analysis";`],
    ["coreNested", `import type { JudgeSpec } from "../spec";`],

    ["adapters", `import type { MetricsSource } from "../core/types";`],
    ["adapters", `import { withRetry } from "./retry";`],
    ["adapters", `import axios from "axios";`],
    ["adapters", `import type { KubeConfig } from "@kubernetes/client-node";`],
    ["adapters", `import * as https from "https";`],
    ["adapters", `import * as fs from "fs";`],

    ["provider", `import { kubeAdapters } from "../adapters/kube";`],
    ["provider", `const { hostClock } = await import("../adapters/hostClock");`],
    ["provider", `import { runRollout } from "../core/engine";`],
    ["provider", `import * as pulumi from "@pulumi/pulumi";`],
    ["provider", `const fs = require("fs");`],

    ["component", `import { CanaryRollout } from "./rollout/provider/resources";`],
    ["component", `import { fmt } from "./rollout/core/analysis";`],
    ["component", `import type { AppConfig } from "./config";`],
    ["component", `import * as k8s from "@pulumi/kubernetes";`],

    ["config", `import { parseCondition } from "../rollout/core/condition";`],
    ["config", `import * as pulumi from "@pulumi/pulumi";`],

    ["policies", `import { ResourceValidationPolicy } from "@pulumi/policy";`],
    ["policies", `import { at } from "./lib/resources";`],
    ["policies", `import * as fs from "fs";`],

    ["index", `import { CanaryApp } from "../../../components/canaryApp";`],
    ["index", `import { loadConfig } from "../../../components/config";`],

    ["runner", `import { CANCEL_FILE_ENV } from "../../components/rollout/core/names";`],
    ["runner", `import type { RunEvidence } from "../../components/rollout/core/state";`],
    ["runner", `import { LocalWorkspace } from "@pulumi/pulumi/automation";`],
    ["runner", `import * as fs from "fs";`],
    ["runner", `import { classify } from "./outcome";`],
    ["deployments", `import * as service from "@pulumi/pulumiservice";`],
    ["deployments", `import { EXIT_CODES } from "./release/outcome";`],

    // test/** is exempt from the layer rules.
    ["test", `import { kubeAdapters } from "../../../components/rollout/adapters/kube";`],
    ["test", `import { CanaryApp } from "../../../components/canaryApp";`],
    ["test", `import { Workspace } from "../../../local/workspace";`],
];

describe("lint: layer rules (.eslint.config.mjs)", function () {
    this.timeout(60000);

    let eslint: ESLint;
    before(() => {
        eslint = new ESLint({ cwd: ROOT, overrideConfigFile: CONFIG });
    });

    async function lint(layer: Layer, code: string): Promise<Linter.LintMessage[]> {
        const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, AT[layer]) });
        const fatal = result.messages.filter((m) => m.fatal || m.ruleId === null);
        assert.deepStrictEqual(fatal, [], `${AT[layer]}: snippet did not lint cleanly: ${code}`);
        return result.messages;
    }

    const show = (ms: Linter.LintMessage[]) =>
        ms.map((m) => `  ${m.line}:${m.column} ${m.ruleId}: ${m.message}`).join("\n") || "  (none)";

    describe("planted bad imports are errors", () => {
        for (const [layer, code, ruleId = IMPORTS] of BAD) {
            it(`${layer}: ${code} -> ${ruleId}`, async () => {
                const messages = await lint(layer, code);
                const hits = messages.filter((m) => m.ruleId === ruleId && m.severity === 2);
                assert.ok(
                    hits.length > 0,
                    `expected ${ruleId} on ${AT[layer]} for:\n  ${code}\ngot:\n${show(messages)}`,
                );
                for (const hit of hits) assert.match(hit.message, /Layer rule/);
            });
        }
    });

    describe("legitimate imports are not flagged", () => {
        for (const [layer, code] of GOOD) {
            it(`${layer}: ${code}`, async () => {
                const messages = await lint(layer, code);
                const hits = messages.filter((m) => LAYER_RULES.has(m.ruleId ?? ""));
                assert.deepStrictEqual(
                    hits,
                    [],
                    `unexpected layer error for:\n  ${code}\n${show(hits)}`,
                );
            });
        }
    });

    it("the real tree has no layer violations", async () => {
        const results = await eslint.lintFiles([
            "components",
            "policies",
            "index.ts",
            "deployments",
        ]);
        assert.ok(results.length > 0, "linted no files");
        const offences = results.flatMap((r) =>
            r.messages
                .filter((m) => LAYER_RULES.has(m.ruleId ?? ""))
                .map(
                    (m) =>
                        `${path.relative(ROOT, r.filePath)}:${m.line}:${m.column} ${m.ruleId}: ${m.message}`,
                ),
        );
        assert.deepStrictEqual(offences, [], `layer violations:\n${offences.join("\n")}`);
    });
});
