// The e2e suite's invalid configs (test/support/invalidConfigs.ts), checked here against
// validateConfig on the same stack file, so each e2e expectation is the program's exact line.
import * as assert from "assert";
import { validateConfig } from "../../../../components/config";
import { INVALID_CONFIGS } from "../../../support/invalidConfigs";
import { stackFile } from "../../../support/stackConfig";

/** Pulumi.local.yaml's values with `key` (a config path) set to `value`, as --path does. */
function localWith(key: string, value: string): Record<string, unknown> {
    const local = stackFile("local");
    const raw: Record<string, any> = {};
    for (const k of ["monitoring", "ingressNginx", "app", "rollout", "tls"]) {
        raw[k] = structuredClone(local[`progressive-delivery:${k}`]);
    }
    const parts = key.split(".");
    let o = raw;
    for (const p of parts.slice(0, -1)) {
        o[p] ??= {};
        o = o[p];
    }
    o[parts[parts.length - 1]] = value;
    return raw;
}

describe("config: the e2e suite's invalid configs, against validateConfig", () => {
    it("are at least 10", () => assert.ok(INVALID_CONFIGS.length >= 10));
    for (const [key, value, line] of INVALID_CONFIGS) {
        it(`${key} = ${JSON.stringify(value).slice(0, 50)}`, () =>
            assert.deepStrictEqual(validateConfig(localWith(key, value)).errors, [line]));
    }
});
