// Bounded retries with exponential backoff for transient API errors (429, 5xx, 409 on patch,
// connection resets). The sleep is injected so tests need not wait.

export interface RetryOptions {
    /** Total attempts, including the first. Defaults to 5. */
    attempts?: number;
    /** First backoff in ms, doubled each time (200, 400, 800, ...). Defaults to 200. */
    baseMs?: number;
    /** Upper bound of one backoff in ms. Defaults to 5000. */
    maxMs?: number;
    isTransient: (e: unknown) => boolean;
    sleep?: (ms: number) => Promise<void>;
}

export async function withRetry<T>(
    what: string,
    fn: () => Promise<T>,
    opts: RetryOptions,
): Promise<T> {
    const attempts = opts.attempts ?? 5;
    const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    let delay = opts.baseMs ?? 200;
    for (let attempt = 1; ; attempt++) {
        try {
            return await fn();
        } catch (e) {
            if (attempt >= attempts || !opts.isTransient(e)) {
                const suffix = attempt > 1 ? ` (after ${attempt} attempts)` : "";
                throw new Error(`${what} failed${suffix}: ${errorText(e)}`, { cause: e });
            }
            await sleep(delay);
            delay = Math.min(delay * 2, opts.maxMs ?? 5000);
        }
    }
}

/** HTTP status of an error from axios or @kubernetes/client-node, if it has one. */
export function statusOf(e: unknown): number | undefined {
    const x = e as { code?: unknown; statusCode?: unknown; response?: { status?: unknown } };
    for (const v of [x?.response?.status, x?.statusCode, x?.code]) {
        if (typeof v === "number") {
            return v;
        }
    }
    return undefined;
}

const NETWORK_CODES = new Set([
    "ECONNRESET",
    "ECONNREFUSED",
    "ETIMEDOUT",
    "EPIPE",
    "EAI_AGAIN",
    "ECONNABORTED",
    "UND_ERR_SOCKET",
]);

/** 429, 5xx, and connection-level failures; 409 too when `conflictIsTransient` (patches). */
export function isTransientHttp(e: unknown, conflictIsTransient = false): boolean {
    const status = statusOf(e);
    if (status !== undefined) {
        return status === 429 || status >= 500 || (conflictIsTransient && status === 409);
    }
    const code =
        (e as { code?: unknown; cause?: { code?: unknown } })?.code ??
        (e as { cause?: { code?: unknown } })?.cause?.code;
    return typeof code === "string" && NETWORK_CODES.has(code);
}

export function errorText(e: unknown): string {
    const status = statusOf(e);
    let body =
        (e as { body?: unknown; response?: { data?: unknown } })?.body ??
        (e as { response?: { data?: unknown } })?.response?.data;
    if (typeof body === "string") {
        // client-node's ApiException carries the API server's Status as a JSON string.
        try {
            body = JSON.parse(body);
        } catch {
            // not JSON: keep the error's own message
        }
    }
    let message = (e as Error)?.message ?? String(e);
    if (body && typeof body === "object" && "message" in body) {
        message = String((body as { message: unknown }).message);
    } else if (body && typeof body === "object" && "error" in body) {
        message = String((body as { error: unknown }).error);
    }
    return status !== undefined && !message.includes(String(status))
        ? `HTTP ${status}: ${message}`
        : message;
}

/**
 * The wait a 429 or 503 asks for in its Retry-After header (seconds, or an HTTP date), in ms;
 * undefined when there is none. Reads @kubernetes/client-node's ApiException (`headers`) and
 * axios' errors (`response.headers`).
 */
export function retryAfterMs(e: unknown, now = Date.now()): number | undefined {
    const x = e as { headers?: unknown; response?: { headers?: unknown } };
    const headers = (x?.headers ?? x?.response?.headers ?? {}) as Record<string, unknown>;
    const key = Object.keys(headers).find((k) => k.toLowerCase() === "retry-after");
    const value = key === undefined ? undefined : String(headers[key]).trim();
    if (!value) {
        return undefined;
    }
    if (/^\d+$/.test(value)) {
        return Number(value) * 1000;
    }
    const date = Date.parse(value);
    return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
