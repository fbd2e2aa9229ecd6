// The e2e suites need the embedded stack's built tools. Where they are not built (a fresh
// machine whose CI cannot afford the cold build, see README "Tests"), each suite is skipped
// with a message saying how to build them; where they are, the stack is brought up (warm, well
// under a minute) and its environment is loaded into this process.
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { ClusterState } from "../../local/workspace";
import { ROOT } from "./stackConfig";

/** Paths of the built binaries, or the missing ones. */
export function missingTools(): string[] {
    const paths = execFileSync(
        "bash",
        [path.join(ROOT, "local/cluster/build.sh"), "--print-paths"],
        { encoding: "utf8" },
    );
    const dirs = Object.fromEntries(
        paths
            .trim()
            .split("\n")
            .map((l) => l.split("=") as [string, string]),
    );
    const cache = path.join(
        process.env.XDG_CACHE_HOME ?? path.join(process.env.HOME ?? "/root", ".cache"),
        "progressive-delivery",
    );
    const wanted = [
        path.join(dirs.K8S_BIN, "kube-apiserver"),
        path.join(dirs.ETCD_BIN, "etcd"),
        path.join(dirs.KWOK_BIN, "kwok"),
        path.join(cache, "pulumi-v3.274.1/bin/pulumi"),
        path.join(cache, "pulumi-v3.274.1/bin/pulumi-language-nodejs"),
    ];
    const plugins = path.join(cache, "pulumi-home/plugins");
    const provider =
        fs.existsSync(plugins) &&
        fs.readdirSync(plugins).some((d) => d.startsWith("resource-kubernetes-v4.25.0"));
    return [
        ...wanted.filter((p) => !fs.existsSync(p)),
        ...(provider ? [] : ["pulumi-resource-kubernetes 4.25.0 plugin"]),
    ];
}

let loaded = false;

/** Skips the suite when the tools are not built; otherwise starts the stack and loads its env. */
export function useEmbeddedStack(ctx: Mocha.Context): void {
    const missing = missingTools();
    if (missing.length > 0) {
        console.log(
            `    skipped: the embedded stack is not built (missing ${missing.join(", ")}). Build it with \`npm run local:up\`.`,
        );
        ctx.skip();
    }
    if (loaded) {
        return;
    }
    const up = spawnSync("bash", [path.join(ROOT, "local/up.sh")], {
        encoding: "utf8",
        stdio: ["ignore", "inherit", "inherit"],
    });
    if (up.status !== 0) {
        throw new Error(`npm run local:up failed (exit ${up.status})`);
    }
    const env = execFileSync(
        "bash",
        ["-c", `. "${ROOT}/local/lib.sh" && use_local_env && env -0`],
        { encoding: "utf8" },
    );
    for (const kv of env.split("\0").filter(Boolean)) {
        const i = kv.indexOf("=");
        process.env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    loaded = true;
}

/** Stable runs `tag`, all traffic is on it and the canary is scaled to 0. */
export function expectStable(s: ClusterState, tag: string): void {
    assert.ok(s.stableImage.endsWith(`:${tag}`), `stable runs ${s.stableImage}, expected :${tag}`);
    assert.strictEqual(s.weight, 0, "all traffic on stable");
    assert.strictEqual(s.canaryReplicas, 0, "canary scaled to 0");
}
