// MetricsSource over the Prometheus HTTP API (instant queries), via axios. Two ways in:
// a direct URL (optional bearer token or basic auth, custom CA), or the Kubernetes API server's
// service proxy (/api/v1/namespaces/NS/services/NAME:PORT/proxy/), so a workstation or a Pulumi
// Deployments runner needs no port-forward.
//
// Only a well-formed instant vector comes out of query(); anything else is an error that names
// what came back (HTML, malformed JSON, a matrix, an HTTP status, a reset connection, silence).
// One query, retries and Retry-After waits included, ends within monitoring.prometheus.timeout
// and within the time its caller has left before the rollout's deadline.
import * as https from "https";
import axios, { AxiosInstance, AxiosResponse } from "axios";
import type { KubeConfig } from "@kubernetes/client-node";
import { cut, show } from "../core/check";
import { MetricsSource, QueryOptions, QueryResult } from "../core/types";
import { isTransientHttp, parseRetryAfter, seconds, withRetry } from "./retry";

export interface PrometheusEndpoint {
    url?: string;
    service?: { namespace: string; name: string; port: number };
    bearerToken?: string;
    username?: string;
    password?: string;
    /** PEM of a CA to trust for a direct https URL. */
    caPem?: string;
    /** The longest one query may take, retries included. */
    timeoutSeconds: number;
}

/**
 * Largest answer read. One series of an instant vector is about 200 bytes with ingress-nginx's
 * labels, and every query here must return one (the judge's four are sums too): 1 MiB holds
 * thousands, and a query that returns more is wrong whatever its values (200,000 series are
 * about 20 MB).
 */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/** Longest piece of Prometheus' own text (an error, a body) quoted in a message. */
const MAX_QUOTED_CHARS = 200;

/** Attempts of one query; each retry only within the query's time (see prometheusSource). */
const ATTEMPTS = 3;
const BACKOFF_MS = 250;

/** What went wrong with one attempt, in words; `transient` ones are retried. */
class PrometheusFault extends Error {
    constructor(
        message: string,
        readonly transient = false,
        readonly retryAfterMs?: number,
    ) {
        super(message);
    }
}

/** A description of where queries go, safe to log (no credentials). */
export function describeEndpoint(e: PrometheusEndpoint): string {
    if (!e.url) {
        return `service ${e.service!.namespace}/${e.service!.name}:${e.service!.port} via the Kubernetes API server`;
    }
    try {
        const u = new URL(e.url);
        u.username = "";
        u.password = "";
        return u.toString().replace(/\/$/, "");
    } catch {
        return e.url;
    }
}

export async function prometheusSource(
    endpoint: PrometheusEndpoint,
    kubeConfig?: KubeConfig,
): Promise<MetricsSource> {
    const client = await makeClient(endpoint, kubeConfig);
    const what = `Prometheus query at ${describeEndpoint(endpoint)}`;
    const timeoutMs = endpoint.timeoutSeconds * 1000;
    // Retry-After of the last 429/503: no query is sent before, by any metric of the run.
    let notBefore = 0;
    return {
        async query(promql: string, options: QueryOptions = {}): Promise<QueryResult> {
            const start = Date.now();
            const byDeadline = options.timeoutMs !== undefined && options.timeoutMs < timeoutMs;
            const budget = Math.max(0, byDeadline ? options.timeoutMs! : timeoutMs);
            const end = start + budget;
            const limit = byDeadline
                ? `the ${seconds(budget)} left before the rollout's deadline`
                : `the ${seconds(timeoutMs)} a query may take (monitoring.prometheus.timeout)`;
            if (budget <= 0) {
                throw new Error(`${what} not sent: the rollout's deadline has passed`);
            }
            const wait = notBefore - start;
            if (wait > 0) {
                if (wait >= budget) {
                    throw new Error(
                        `${what} not sent: Prometheus asked to wait ${seconds(wait)} more (Retry-After), beyond ${limit}`,
                    );
                }
                await new Promise((r) => setTimeout(r, wait));
            }
            return withRetry(
                what,
                async () => {
                    try {
                        return await attempt(client, promql, end, limit);
                    } catch (e) {
                        const asked = (e as PrometheusFault).retryAfterMs;
                        if (asked !== undefined) {
                            notBefore = Date.now() + asked;
                        }
                        throw e;
                    }
                },
                {
                    attempts: ATTEMPTS,
                    baseMs: BACKOFF_MS,
                    isTransient: (e) => e instanceof PrometheusFault && e.transient,
                    retryAfterMs: (e) => (e as PrometheusFault).retryAfterMs,
                    deadline: { at: end, what: limit },
                },
            );
        },
    };
}

/** One HTTP request, cut at `end` (epoch ms) whatever the server does. */
async function attempt(
    client: AxiosInstance,
    promql: string,
    end: number,
    limit: string,
): Promise<QueryResult> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), Math.max(0, end - Date.now()));
    let response: AxiosResponse<string>;
    try {
        response = await client.get<string>("/api/v1/query", {
            params: { query: promql },
            signal: controller.signal,
        });
    } catch (e) {
        throw controller.signal.aborted
            ? new PrometheusFault(`no answer within ${limit}`)
            : transportFault(e);
    } finally {
        clearTimeout(timer);
    }
    return answerOf(response);
}

const NETWORK_WORDS = new Map([
    ["ECONNRESET", "the connection was reset by the server"],
    ["ECONNREFUSED", "the connection was refused: is Prometheus listening at that address?"],
    ["ETIMEDOUT", "the connection timed out"],
    ["EPIPE", "the connection was closed while sending"],
    ["EAI_AGAIN", "the host name could not be resolved (DNS)"],
    ["ENOTFOUND", "the host name was not found (DNS)"],
]);

function transportFault(e: unknown): PrometheusFault {
    const err = e as { code?: unknown; message?: unknown };
    const message = String(err?.message ?? e);
    if (message.includes("maxContentLength")) {
        return new PrometheusFault(
            `the answer is larger than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB (the most read of one answer), so it holds far more than one series; a metric's query must return exactly one: aggregate with sum(...)`,
        );
    }
    const code = typeof err?.code === "string" ? err.code : undefined;
    const words = code !== undefined ? NETWORK_WORDS.get(code) : undefined;
    return new PrometheusFault(
        words ? `${words} (${code})` : cut(message, MAX_QUOTED_CHARS),
        isTransientHttp(e),
    );
}

/** Why Prometheus answered an HTTP status other than 2xx, with the fix where there is one. */
const STATUS_HINTS = new Map([
    [400, "Prometheus rejected the query; fix the metric's query (try it in Prometheus' UI)"],
    [
        401,
        "Prometheus refused the credentials; set prometheusToken, or monitoring.prometheus.username with prometheusPassword",
    ],
    [
        403,
        "the credentials may not query Prometheus (through the service proxy, the kubeconfig's user needs get on services/proxy)",
    ],
    [
        404,
        "no Prometheus API at this address; monitoring.prometheus must point at Prometheus itself, whose API is under /api/v1",
    ],
    [422, "Prometheus could not run the query (e.g. too many samples); narrow the query"],
    [429, "Prometheus is rate-limiting queries"],
    [503, "Prometheus is unavailable (starting, or overloaded)"],
]);

function answerOf(response: AxiosResponse<string>): QueryResult {
    const { status } = response;
    const headers = response.headers as Record<string, unknown>;
    const body = typeof response.data === "string" ? response.data : String(response.data ?? "");
    const html = isHtml(body, headers["content-type"]);
    if (status >= 300 && status < 400) {
        throw new PrometheusFault(
            `HTTP ${status}: redirected to ${show(headers.location ?? "nowhere")}; set monitoring.prometheus to Prometheus' own address`,
        );
    }
    if (status < 200 || status >= 300) {
        const json = tryJson(body) as { errorType?: unknown; error?: unknown } | undefined;
        const detail =
            json && json.error !== undefined
                ? `${String(json.errorType ?? "error")}: ${cut(String(json.error), MAX_QUOTED_CHARS)}`
                : html
                  ? "an HTML page, not Prometheus' JSON (a proxy's or login page?)"
                  : body.trim()
                    ? cut(body.trim(), MAX_QUOTED_CHARS)
                    : "no body";
        const hint = STATUS_HINTS.get(status) ?? (status >= 500 ? "a server error" : "");
        const retryAfterMs =
            status === 429 || status === 503 ? parseRetryAfter(headers["retry-after"]) : undefined;
        throw new PrometheusFault(
            `HTTP ${status} (${detail})${hint ? `: ${hint}` : ""}`,
            status === 429 || status >= 500,
            retryAfterMs,
        );
    }
    if (html) {
        throw new PrometheusFault(
            "Prometheus answered HTML, not JSON: the address serves a web page (a login page or a proxy's?), not Prometheus' API; monitoring.prometheus must point at Prometheus itself",
        );
    }
    const parsed = tryJson(body);
    if (parsed === undefined) {
        throw new PrometheusFault(
            `the answer is not valid JSON (cut short, or not from Prometheus): ${body.length} bytes, ${show(body)}`,
        );
    }
    return readAnswer(parsed);
}

/** Parses a query answer's JSON into the values of an instant vector. */
export function readAnswer(parsed: unknown): QueryResult {
    const answer = (parsed ?? {}) as {
        status?: unknown;
        errorType?: unknown;
        error?: unknown;
        warnings?: unknown;
        data?: { resultType?: unknown; result?: unknown };
    };
    if (answer.status === "error") {
        throw new PrometheusFault(
            `Prometheus rejected the query (${String(answer.errorType)}): ${cut(String(answer.error), MAX_QUOTED_CHARS)}`,
        );
    }
    if (answer.status !== "success" || !answer.data || typeof answer.data !== "object") {
        throw new PrometheusFault(
            `the answer is not a Prometheus query result (no "status": "success" with "data"): ${show(parsed)}`,
        );
    }
    // Warnings say the data may be partial (a remote read or a store that failed): a success
    // rate over part of the failures would be measured as healthy. Infos are only hints; before
    // Prometheus 2.54 (and in Thanos) they came among the warnings, prefixed "PromQL info:"
    // (rate() over a counter whose name does not end in _total, as ingress-nginx's).
    const warnings = Array.isArray(answer.warnings)
        ? answer.warnings.filter((w) => !(typeof w === "string" && w.startsWith(PROMQL_INFO)))
        : answer.warnings;
    if (warnings !== undefined && !(Array.isArray(warnings) && warnings.length === 0)) {
        throw new PrometheusFault(
            `Prometheus answered with warnings, so its data may be partial (a failed remote read or store): ${show(warnings)}; fix what it warns of, a partial answer is not measured`,
        );
    }
    const { resultType, result } = answer.data;
    if (resultType !== "vector") {
        const what = RESULT_TYPES.get(String(resultType)) ?? `a result of type ${show(resultType)}`;
        throw new PrometheusFault(
            `Prometheus answered ${what}, not an instant vector; a metric's query must return exactly one series, e.g. sum(rate(...[{{args.window}}]))`,
        );
    }
    if (!Array.isArray(result)) {
        throw new PrometheusFault(`the answer's vector is not a list: ${show(result)}`);
    }
    return { values: result.map((s) => sampleValue(s)) };
}

/** How Prometheus before 2.54 and Thanos mark an info-level annotation among the warnings. */
const PROMQL_INFO = "PromQL info:";

const RESULT_TYPES = new Map([
    ["matrix", "a matrix (a range vector: drop the trailing [range], or wrap it in rate())"],
    ["scalar", "a scalar (drop scalar(...))"],
    ["string", "a string"],
]);

/** One series' value: Prometheus writes floats as strings, with +Inf, -Inf and NaN by name. */
function sampleValue(series: unknown): number {
    const value = (series as { value?: unknown })?.value;
    const timed = Array.isArray(value) && value.length === 2 && Number.isFinite(value[0]);
    const text = timed ? value[1] : undefined;
    if (typeof text !== "string") {
        throw new PrometheusFault(
            `a series of the answer has no [time, "value"] sample: ${show(series)}`,
        );
    }
    const named = SPECIAL_VALUES.get(text);
    if (named !== undefined) {
        return named;
    }
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
        throw new PrometheusFault(`a series' value ${show(text)} is not a number`);
    }
    return Number(text);
}

const SPECIAL_VALUES = new Map([
    ["+Inf", Infinity],
    ["Inf", Infinity],
    ["-Inf", -Infinity],
    ["NaN", NaN],
]);

function isHtml(body: string, contentType: unknown): boolean {
    return /html/i.test(String(contentType ?? "")) || /^\s*</.test(body);
}

function tryJson(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return undefined;
    }
}

async function makeClient(
    endpoint: PrometheusEndpoint,
    kubeConfig?: KubeConfig,
): Promise<AxiosInstance> {
    // Every answer is read as text and judged here; nothing follows a redirect or reads more
    // than MAX_ANSWER_BYTES.
    const common = {
        responseType: "text" as const,
        transformResponse: [(data: unknown) => data],
        validateStatus: () => true,
        maxContentLength: MAX_ANSWER_BYTES,
        maxBodyLength: MAX_ANSWER_BYTES,
        maxRedirects: 0,
        proxy: false as const,
    };
    if (endpoint.url) {
        const headers: Record<string, string> = {};
        if (endpoint.bearerToken) {
            headers.Authorization = `Bearer ${endpoint.bearerToken}`;
        }
        return axios.create({
            ...common,
            baseURL: endpoint.url.replace(/\/+$/, ""),
            headers,
            auth: endpoint.username
                ? { username: endpoint.username, password: endpoint.password ?? "" }
                : undefined,
            httpsAgent: endpoint.caPem ? new https.Agent({ ca: endpoint.caPem }) : undefined,
        });
    }
    if (!endpoint.service || !kubeConfig) {
        throw new Error(
            "no Prometheus endpoint: set monitoring.prometheus.url or monitoring.prometheus.service",
        );
    }
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) {
        throw new Error(
            "the kubeconfig has no current cluster, so the Prometheus service proxy cannot be reached",
        );
    }
    // Let client-node put the kubeconfig's CA, client certificate and token on an https agent.
    const opts: https.RequestOptions = {};
    await kubeConfig.applyToHTTPSOptions(opts);
    const { namespace, name, port } = endpoint.service;
    return axios.create({
        ...common,
        baseURL: `${cluster.server.replace(/\/+$/, "")}/api/v1/namespaces/${namespace}/services/${name}:${port}/proxy`,
        headers: (opts.headers ?? {}) as Record<string, string>,
        httpsAgent: new https.Agent({
            ca: opts.ca,
            cert: opts.cert,
            key: opts.key,
            rejectUnauthorized: cluster.skipTLSVerify ? false : undefined,
        }),
    });
}
