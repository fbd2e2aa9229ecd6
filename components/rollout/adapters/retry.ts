// Bounded retries with exponential backoff for transient API errors (429, 5xx, 409 on patch,
// connection resets), honouring the server's Retry-After, within a deadline. The sleep and the
// clock are injected so tests need not wait.

export interface RetryOptions {
    /** Total attempts, including the first. Defaults to 5. */
    attempts?: number;
    /** First backoff in ms, doubled each time (200, 400, 800, ...). Defaults to 200. */
    baseMs?: number;
    /** Upper bound of one backoff in ms. Defaults to 5000. */
    maxMs?: number;
    isTransient: (e: unknown) => boolean;
    sleep?: (ms: number) => Promise<void>;
    /**
     * The wait in ms the server asked for before the next attempt (e.g. retryAfterOf), if any.
     * It replaces a shorter backoff; a longer one than the deadline allows (or than maxMs, when
     * there is no deadline) ends the retries, since retrying sooner is what it forbids.
     */
    retryAfterMs?: (e: unknown) => number | undefined;
    /** No retry starts at or after `at` (ms, by `now`); `what` names it in the message. */
    deadline?: { at: number; what: string };
    /** The clock of `deadline`. Defaults to Date.now. */
    now?: () => number;
}

export async function withRetry<T>(
    what: string,
    fn: (attempt: number) => Promise<T>,
    opts: RetryOptions,
): Promise<T> {
    const attempts = opts.attempts ?? 5;
    const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const now = opts.now ?? Date.now;
    const maxMs = opts.maxMs ?? 5000;
    let delay = opts.baseMs ?? 200;
    for (let attempt = 1; ; attempt++) {
        try {
            return await fn(attempt);
        } catch (e) {
            const transient = attempt < attempts && opts.isTransient(e);
            const asked = transient ? opts.retryAfterMs?.(e) : undefined;
            const wait = Math.max(delay, asked ?? 0);
            // Without a deadline, a Retry-After longer than maxMs ends the retries.
            const late = opts.deadline
                ? now() + wait >= opts.deadline.at
                : asked !== undefined && asked > maxMs;
            if (!transient || late) {
                const suffix = attempt > 1 ? ` (after ${attempt} attempts)` : "";
                const beyond = opts.deadline?.what ?? `the longest wait, ${seconds(maxMs)}`;
                const why = !transient
                    ? ""
                    : asked !== undefined && asked >= delay
                      ? `; not retried: the server asked to wait ${seconds(asked)} (Retry-After), beyond ${beyond}`
                      : `; not retried: no time left within ${beyond}`;
                throw new Error(`${what} failed${suffix}: ${errorText(e)}${why}`, { cause: e });
            }
            await sleep(wait);
            delay = Math.min(delay * 2, maxMs);
        }
    }
}

/** Milliseconds as seconds to a tenth, rounded up: a wait is never shown shorter than it is. */
export function seconds(ms: number): string {
    return `${Math.ceil(ms / 100) / 10}s`;
}

/**
 * A Retry-After header's wait in ms: delay-seconds ("120") or an HTTP date; undefined when
 * absent or malformed. E.g. "2" -> 2000; a date 30 s after `now` -> 30000.
 */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
    if (typeof value !== "string" || value.trim() === "") {
        return undefined;
    }
    const text = value.trim();
    if (/^\d+$/.test(text)) {
        return Number(text) * 1000;
    }
    // An HTTP date starts with the day's name ("Fri, 27 Nov 2026 12:00:30 GMT"); Date.parse
    // alone would also take "-1" or "1.5" for a date.
    const at = /^[A-Za-z]{3}/.test(text) ? Date.parse(text) : NaN;
    return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The Retry-After wait of an error from axios or @kubernetes/client-node, in ms, if any. */
export function retryAfterOf(e: unknown, now = Date.now()): number | undefined {
    const x = e as {
        headers?: Record<string, unknown>;
        response?: { headers?: Record<string, unknown> };
    };
    for (const headers of [x?.response?.headers, x?.headers]) {
        if (headers && typeof headers === "object") {
            const key = Object.keys(headers).find((k) => k.toLowerCase() === "retry-after");
            if (key !== undefined) {
                return parseRetryAfter(headers[key], now);
            }
        }
    }
    return undefined;
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

export const NETWORK_CODES = new Set([
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

/** The answer, or an ETIMEDOUT error (transient: the request is retried) after `ms`. */
export function withTimeout<T>(answer: Promise<T>, ms: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
            () =>
                reject(
                    Object.assign(new Error(`no answer within ${ms / 1000}s`), {
                        code: "ETIMEDOUT",
                    }),
                ),
            ms,
        );
    });
    return Promise.race([answer, timeout]).finally(() => clearTimeout(timer));
}
