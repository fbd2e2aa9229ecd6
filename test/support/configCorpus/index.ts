// The invalid-config corpus as one list: every invalid stack config the config tests check with
// its exact problem lines (values.ts, images.ts, cluster.ts, and the e2e suite's list in
// ../invalidConfigs.ts, one `pulumi config set --path` away from Pulumi.local.yaml).
import type { RawConfig } from "../../../components/config";
import { INVALID_CONFIGS, localWith } from "../invalidConfigs";
import { CLUSTER_CASES } from "./cluster";
import { IMAGE_CASES } from "./images";
import { VALUE_CASES } from "./values";

export interface InvalidConfig {
    name: string;
    raw: RawConfig;
    /** The config layer's exact problem lines. */
    errors: string[];
}

export const INVALID_CONFIG_CORPUS: InvalidConfig[] = [
    ...VALUE_CASES.map(([name, raw, line]) => ({ name, raw, errors: [line] })),
    ...IMAGE_CASES.map(([image, message]) => ({
        name: `app.image ${JSON.stringify(image).slice(0, 60)}`,
        raw: { app: { image } },
        errors: [`progressive-delivery:app.image: ${message}`],
    })),
    ...CLUSTER_CASES.map(([name, raw, errors]) => ({ name, raw, errors })),
    ...INVALID_CONFIGS.map(([key, value, line]) => ({
        name: `e2e: ${key} = ${JSON.stringify(value).slice(0, 50)}`,
        raw: localWith(key, value),
        errors: [line],
    })),
];
