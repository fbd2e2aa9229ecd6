// Nothing secret leaves a provider method: every progress line, error message and output is
// scrubbed of the run's secret values (the kubeconfig and the credentials in it, the Prometheus
// token and password) before it reaches stderr, the engine or the state. The adapters never put
// a secret into a message on purpose; this catches what a server echoes back (an error body
// that quotes the Authorization header, say) and anything a future message forgets.
import type { KubeConfig } from "@kubernetes/client-node";
import type { PrometheusRef } from "../core/state";

/** Shorter values are not scrubbed: they would garble ordinary words and numbers. */
export const MIN_SECRET_CHARS = 6;
export const REDACTED = "[secret]";

/** The secret inputs of a run. */
export interface SecretSource {
    kubeconfig?: string;
    prometheusToken?: string;
    prometheusPassword?: string;
    prometheus?: Pick<PrometheusRef, "username">;
    /** Webhook URLs: each one a secret. */
    notificationUrls?: Record<string, string>;
}

/** Every secret text of a run, longest first, also as it appears inside JSON strings. */
export function secretTexts(inputs: SecretSource, kc?: KubeConfig): string[] {
    const found: unknown[] = [
        inputs.kubeconfig,
        inputs.prometheusToken,
        inputs.prometheusPassword,
        ...Object.values(inputs.notificationUrls ?? {}),
    ];
    const username = inputs.prometheus?.username;
    if (username && inputs.prometheusPassword) {
        // What axios sends as basic auth, should a server echo the header back.
        found.push(Buffer.from(`${username}:${inputs.prometheusPassword}`).toString("base64"));
    }
    for (const u of kc?.users ?? []) {
        found.push(u.token, u.password, u.keyData, ...Object.values(u.authProvider?.config ?? {}));
    }
    const texts = found.filter(
        (s): s is string => typeof s === "string" && s.length >= MIN_SECRET_CHARS,
    );
    const all = new Set([...texts, ...texts.map((s) => JSON.stringify(s).slice(1, -1))]);
    return [...all].sort((a, b) => b.length - a.length);
}

/** `text` with every secret replaced by [secret]. */
export function redact(text: string, secrets: readonly string[]): string {
    let out = text;
    for (const s of secrets) {
        out = out.split(s).join(REDACTED);
    }
    return out;
}

/**
 * Runs a provider method with a progress log that scrubs secrets, and scrubs its result and
 * its error. The error is a new one without `cause` (a cause may quote a secret), with the
 * same name (resources.ts recognises OrphanedRun by its name).
 */
export async function scrubbed<T>(
    secrets: readonly string[],
    run: (log: (line: string) => void) => Promise<T>,
): Promise<T> {
    try {
        const result = await run((line) => console.error(redact(line, secrets)));
        return JSON.parse(redact(JSON.stringify(result), secrets));
    } catch (e) {
        const err = new Error(redact((e as Error)?.message ?? String(e), secrets));
        err.name = (e as Error)?.name ?? "Error";
        throw err;
    }
}

/** The run's secrets (the kubeconfig's credentials too), to scrub from all that leaves it. */
export async function secretsOf(
    inputs: SecretSource & { kubeContext?: string },
): Promise<string[]> {
    const { parseKubeConfig } = await import("../adapters/kube");
    let kc: KubeConfig | undefined;
    try {
        kc = parseKubeConfig({ kubeconfig: inputs.kubeconfig, context: inputs.kubeContext });
    } catch {
        kc = undefined; // the run fails on it with its own (scrubbed) message
    }
    return secretTexts(inputs, kc);
}
