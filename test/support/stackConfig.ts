// Loads Pulumi.yaml's defaults and a stack file the way the CLI merges them, as the flat
// "project:key" -> JSON string map that pulumi.runtime.setAllConfig takes.
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";

export const ROOT = path.join(__dirname, "..", "..");

export function projectFile(): {
    name: string;
    config: Record<string, { type: string; default: any; description: string }>;
} {
    return yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as ReturnType<
        typeof projectFile
    >;
}

export function stackFile(stack: string): Record<string, unknown> {
    const doc = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
        config?: Record<string, unknown>;
    };
    return doc.config ?? {};
}

/** Project defaults overlaid with the stack's values (whole keys replaced, as the CLI does). */
export function mergedConfig(stack: string | Record<string, unknown>): Record<string, string> {
    const project = projectFile();
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(project.config)) {
        out[`${project.name}:${k}`] =
            typeof v.default === "string" ? v.default : JSON.stringify(v.default);
    }
    const values = typeof stack === "string" ? stackFile(stack) : stack;
    for (const [k, v] of Object.entries(values)) {
        out[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return out;
}
