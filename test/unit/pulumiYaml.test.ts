// Pulumi.yaml declares every key the program reads, with type, default and description, and its
// defaults are the program's; every shipped stack file validates; README documents every key.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { DEFAULTS, KEYS, validateConfig } from "../../components/config";
import { projectFile, ROOT, stackFile } from "../support/stackConfig";

describe("Pulumi.yaml and stack files", () => {
    const project = projectFile();

    it("declares exactly the keys the program reads, each with type, default and description", () => {
        assert.deepStrictEqual(Object.keys(project.config).sort(), [...KEYS].sort());
        for (const [k, v] of Object.entries(project.config)) {
            assert.ok(
                ["string", "integer", "boolean", "array", "object"].includes(v.type),
                `${k}: type`,
            );
            assert.ok(v.default !== undefined, `${k}: default`);
            assert.ok(v.description && v.description.length > 20, `${k}: description`);
        }
    });

    it("its defaults are the program's defaults", () => {
        const c = project.config;
        assert.deepStrictEqual(c.monitoring.default, DEFAULTS.monitoring);
        assert.deepStrictEqual(c.ingressNginx.default, DEFAULTS.ingressNginx);
        assert.deepStrictEqual(c.app.default, DEFAULTS.app);
        assert.deepStrictEqual(c.router.default, DEFAULTS.router);
        assert.deepStrictEqual(c.rollout.default.steps, DEFAULTS.rollout.steps);
        assert.deepStrictEqual(c.rollout.default.analysis.metrics, [DEFAULTS.rollout.metric]);
        assert.deepStrictEqual(c.rollout.default.analysis.judge, DEFAULTS.rollout.judge);
        assert.strictEqual(c.rollout.default.deadline, DEFAULTS.rollout.deadline);
        // The declared defaults validate to the same config as no config at all.
        const declared = validateConfig({
            monitoring: c.monitoring.default,
            ingressNginx: c.ingressNginx.default,
            app: c.app.default,
            rollout: c.rollout.default,
            router: c.router.default,
            tls: c.tls.default,
        });
        assert.deepStrictEqual(declared.errors, []);
        assert.deepStrictEqual(declared.config, validateConfig({}).config);
    });

    for (const stack of ["dev", "prod", "local"]) {
        it(`Pulumi.${stack}.yaml is valid`, () => {
            const values = stackFile(stack);
            const get = (k: string) => values[`progressive-delivery:${k}`];
            const keys = Object.keys(values).map((k) => k.replace(/^progressive-delivery:/, ""));
            const { errors } = validateConfig({
                keys,
                monitoring: get("monitoring"),
                ingressNginx: get("ingressNginx"),
                app: get("app"),
                rollout: get("rollout"),
                router: get("router"),
                tls: get("tls"),
            });
            assert.deepStrictEqual(errors, []);
        });
    }

    it("README's config reference names every key", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        const section = readme.split("## Config reference")[1]?.split("\n## ")[0] ?? "";
        for (const k of KEYS) {
            assert.ok(section.includes(`\`${k}\``), `README config reference lacks ${k}`);
        }
        for (const [k, v] of Object.entries(project.config.app.default)) {
            assert.ok(
                section.includes(`app.${k}`),
                `README config reference lacks app.${k} (${JSON.stringify(v)})`,
            );
        }
    });
});
