// The e2e suite's invalid configs (test/support/invalidConfigs.ts), checked here against
// validateConfig on the same stack file, so each e2e expectation is the program's exact line.
import * as assert from "assert";
import { validateConfig } from "../../../../components/config";
import { INVALID_CONFIGS, localWith } from "../../../support/invalidConfigs";

describe("config: the e2e suite's invalid configs, against validateConfig", () => {
    it("are at least 10", () => assert.ok(INVALID_CONFIGS.length >= 10));
    for (const [key, value, line] of INVALID_CONFIGS) {
        it(`${key} = ${JSON.stringify(value).slice(0, 50)}`, () =>
            assert.deepStrictEqual(validateConfig(localWith(key, value)).errors, [line]));
    }
});
