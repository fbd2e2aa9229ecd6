// MetricsSource over the Prometheus HTTP API (instant queries), via axios. Two ways in:
// a direct URL (optional bearer token or basic auth, custom CA), or the Kubernetes API server's
// service proxy (/api/v1/namespaces/NS/services/NAME:PORT/proxy/), so a workstation or a Pulumi
// Deployments runner needs no port-forward.
import * as https from "https";
import axios, { AxiosInstance } from "axios";
import type { KubeConfig } from "@kubernetes/client-node";
import { MetricsSource, QueryResult } from "../core/types";
import { isTransientHttp, withRetry } from "./retry";

export interface PrometheusEndpoint {
    url?: string;
    service?: { namespace: string; name: string; port: number };
    bearerToken?: string;
    username?: string;
    password?: string;
    /** PEM of a CA to trust for a direct https URL. */
    caPem?: string;
    timeoutSeconds: number;
}

interface PromResponse {
    status: "success" | "error";
    errorType?: string;
    error?: string;
    data?: { resultType: string; result: unknown };
}

/** Parses an instant query's data into numbers. Vector -> values; scalar -> [value]. */
export function parseQueryData(data: PromResponse["data"]): QueryResult {
    if (!data) {
        throw new Error("Prometheus answered without data");
    }
    switch (data.resultType) {
        case "vector":
            return {
                values: (data.result as { value: [number, string] }[]).map((s) =>
                    Number(s.value[1]),
                ),
            };
        case "scalar":
            return { values: [Number((data.result as [number, string])[1])] };
        default:
            throw new Error(
                `the query returned a ${data.resultType}, not an instant vector or scalar; aggregate it, e.g. sum(rate(...[5m]))`,
            );
    }
}

/** A description of where queries go, safe to log (no credentials). */
export function describeEndpoint(e: PrometheusEndpoint): string {
    return e.url
        ? e.url
        : `service ${e.service!.namespace}/${e.service!.name}:${e.service!.port} via the Kubernetes API server`;
}

export async function prometheusSource(
    endpoint: PrometheusEndpoint,
    kubeConfig?: KubeConfig,
): Promise<MetricsSource> {
    const client = await makeClient(endpoint, kubeConfig);
    return {
        async query(promql: string): Promise<QueryResult> {
            const response = await withRetry(
                `Prometheus query at ${describeEndpoint(endpoint)}`,
                () => client.get<PromResponse>("/api/v1/query", { params: { query: promql } }),
                { attempts: 3, baseMs: 250, isTransient: (e) => isTransientHttp(e) },
            );
            const body = response.data;
            if (body.status !== "success") {
                throw new Error(`Prometheus rejected the query (${body.errorType}): ${body.error}`);
            }
            return parseQueryData(body.data);
        },
    };
}

async function makeClient(
    endpoint: PrometheusEndpoint,
    kubeConfig?: KubeConfig,
): Promise<AxiosInstance> {
    const timeout = endpoint.timeoutSeconds * 1000;
    if (endpoint.url) {
        const headers: Record<string, string> = {};
        if (endpoint.bearerToken) {
            headers.Authorization = `Bearer ${endpoint.bearerToken}`;
        }
        return axios.create({
            baseURL: endpoint.url.replace(/\/+$/, ""),
            timeout,
            headers,
            auth: endpoint.username
                ? { username: endpoint.username, password: endpoint.password ?? "" }
                : undefined,
            httpsAgent: endpoint.caPem ? new https.Agent({ ca: endpoint.caPem }) : undefined,
            proxy: false,
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
        baseURL: `${cluster.server.replace(/\/+$/, "")}/api/v1/namespaces/${namespace}/services/${name}:${port}/proxy`,
        timeout,
        headers: (opts.headers ?? {}) as Record<string, string>,
        httpsAgent: new https.Agent({
            ca: opts.ca,
            cert: opts.cert,
            key: opts.key,
            rejectUnauthorized: cluster.skipTLSVerify ? false : undefined,
        }),
        proxy: false,
    });
}
