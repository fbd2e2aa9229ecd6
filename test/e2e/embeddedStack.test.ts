// The embedded stack itself (issue: local stack): nodes Ready, and a throwaway program with one
// Deployment and one dynamic resource goes through preview, up and destroy with the real CLI,
// the real pulumi-kubernetes provider and the real API server, with no network beyond loopback.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { useEmbeddedStack } from "../support/e2e";
import { ROOT } from "../support/stackConfig";

const PROGRAM = `import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
const ns = new k8s.core.v1.Namespace("ns", { metadata: { name: "pd-smoke" } });
const labels = { app: "smoke" };
const dep = new k8s.apps.v1.Deployment("smoke", {
    metadata: { name: "smoke", namespace: ns.metadata.name },
    spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: "c", image: "registry.example/smoke:1.0" }] } } },
});
const provider: pulumi.dynamic.ResourceProvider = {
    async create(inputs) { return { id: "echo-" + inputs.value, outs: { value: inputs.value, echoed: true } }; },
};
class Echo extends pulumi.dynamic.Resource {}
const echo = new Echo(provider, "echo", { value: "hello", echoed: undefined }, { dependsOn: [dep] });
export const ready = dep.status.readyReplicas;
export const echoed = (echo as unknown as { echoed: pulumi.Output<boolean> }).echoed;
`;

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
    const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout: 600_000 });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("embedded stack", function () {
    this.timeout(900_000);
    let dir: string;
    let env: NodeJS.ProcessEnv;

    before(function () {
        useEmbeddedStack(this);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pd-smoke-"));
        fs.writeFileSync(
            path.join(dir, "Pulumi.yaml"),
            "name: pd-smoke\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n",
        );
        fs.writeFileSync(path.join(dir, "index.ts"), PROGRAM);
        for (const f of ["node_modules", "package.json", "tsconfig.json"]) {
            fs.symlinkSync(path.join(ROOT, f), path.join(dir, f));
        }
        env = {
            ...process.env,
            PULUMI_BACKEND_URL: `file://${dir}/.state`,
            PULUMI_CONFIG_PASSPHRASE: "smoke",
        };
        fs.mkdirSync(path.join(dir, ".state"));
        assert.strictEqual(
            run("pulumi", ["stack", "init", "smoke", "--non-interactive"], dir, env).code,
            0,
        );
    });

    after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

    it("has at least 2 Ready kwok nodes", () => {
        const r = run(
            "kubectl",
            [
                "get",
                "nodes",
                "-o",
                'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
            ],
            dir,
            env,
        );
        assert.strictEqual(r.code, 0, r.out);
        const ready = r.out
            .trim()
            .split("\n")
            .filter((s) => s === "True");
        assert.ok(ready.length >= 2, r.out);
    });

    it("pulumi preview, up (Deployment Available, dynamic resource created) and destroy are clean", () => {
        const preview = run("pulumi", ["preview", "--non-interactive"], dir, env);
        assert.strictEqual(preview.code, 0, preview.out);
        assert.match(preview.out, /\+ 4 to create|4 to create/);

        const up = run("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive"], dir, env);
        assert.strictEqual(up.code, 0, up.out);
        const outputs = JSON.parse(run("pulumi", ["stack", "output", "--json"], dir, env).out);
        assert.deepStrictEqual(outputs, { ready: 2, echoed: true });
        const available = run(
            "kubectl",
            [
                "-n",
                "pd-smoke",
                "get",
                "deploy",
                "smoke",
                "-o",
                'jsonpath={.status.conditions[?(@.type=="Available")].status}',
            ],
            dir,
            env,
        );
        assert.strictEqual(available.out.trim(), "True");

        const again = run(
            "pulumi",
            ["preview", "--non-interactive", "--expect-no-changes"],
            dir,
            env,
        );
        assert.strictEqual(again.code, 0, again.out);

        const destroy = run(
            "pulumi",
            ["destroy", "--yes", "--skip-preview", "--non-interactive"],
            dir,
            env,
        );
        assert.strictEqual(destroy.code, 0, destroy.out);
        const gone = run("kubectl", ["get", "deploy", "-n", "pd-smoke", "-o", "name"], dir, env);
        assert.strictEqual(gone.out.trim(), "", gone.out);
    });
});
