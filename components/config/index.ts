// The one place that reads pulumi.Config: it reads the stack's values, hands them to the pure
// validateConfig, and fails the program (and so `pulumi preview`) before any resource is
// registered when anything is wrong.
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "./defaults";
import type { ProgramConfig, ProgramSecrets } from "./types";
import { validateConfig } from "./validate";

export { DEFAULTS, KEYS, PROJECT } from "./defaults";
export type * from "./types";
export { validateConfig } from "./validate";
export type { RawConfig } from "./validate";

/** Thrown when the stack config is invalid; lists every problem, one per line. */
export class ConfigError extends pulumi.RunError {
    constructor(public readonly problems: string[]) {
        super(
            `invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was changed:\n  - ${problems.join("\n  - ")}`,
        );
    }
}

/** Reads the stack's config, validates it, and throws ConfigError listing every problem. */
export function loadConfig(): { config: ProgramConfig; secrets: ProgramSecrets } {
    const cfg = new pulumi.Config(PROJECT);
    const prefix = `${PROJECT}:`;
    const keys = Object.keys(pulumi.runtime.allConfig())
        .filter((k) => k.startsWith(prefix))
        .map((k) => k.slice(prefix.length));
    const problems: string[] = [];
    const object = (key: string): unknown => {
        try {
            return cfg.getObject(key);
        } catch {
            problems.push(
                `${prefix}${key}: is not valid JSON/YAML; set it with \`pulumi config set --path\` or as a YAML map in Pulumi.<stack>.yaml`,
            );
            return undefined;
        }
    };
    // Optional strings are declared with the default "" (a declared key without a default is
    // required by the CLI), so "" means unset.
    const present = (key: string) => (pulumi.runtime.getConfig(prefix + key) ?? "") !== "";
    const secret = (key: string) => (present(key) ? cfg.getSecret(key) : undefined);
    const { config, errors } = validateConfig({
        keys,
        kubeContext: cfg.get("kubeContext"),
        hasKubeconfig: present("kubeconfig"),
        monitoring: object("monitoring"),
        ingressNginx: object("ingressNginx"),
        app: object("app"),
        rollout: object("rollout"),
        router: object("router"),
        tls: object("tls"),
        notificationUrls: object("notificationUrls"),
    });
    problems.push(...errors);
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return {
        config,
        secrets: {
            kubeconfig: secret("kubeconfig"),
            prometheusToken: secret("prometheusToken"),
            prometheusPassword: secret("prometheusPassword"),
            notificationUrls: config.notificationUrls
                ? pulumi.secret(config.notificationUrls)
                : undefined,
        },
    };
}
