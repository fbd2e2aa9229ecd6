// app.image against the OCI reference grammar (distribution/reference): each invalid reference
// with its exact message, and the valid forms accepted.
import * as assert from "assert";
import { validateConfig } from "../../../../components/config";
import { IMAGE_CASES, VALID_IMAGES } from "../../../support/configCorpus/images";

const P = "progressive-delivery:app.image: ";

const problems = (image: unknown) => validateConfig({ app: { image } }).errors;

describe("config: app.image, invalid references", () => {
    for (const [image, message] of IMAGE_CASES) {
        it(JSON.stringify(image).slice(0, 60), () =>
            assert.deepStrictEqual(problems(image), [P + message]),
        );
    }
    it("a number is not a reference", () =>
        assert.deepStrictEqual(problems(5), [`${P}must be a string, got 5`]));
});

describe("config: app.image, valid references", () => {
    for (const image of VALID_IMAGES) {
        it(image.slice(0, 60), () => assert.deepStrictEqual(problems(image), []));
    }
});
