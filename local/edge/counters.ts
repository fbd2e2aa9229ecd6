// ingress-nginx's request counter, as the controller exports it: a Prometheus counter
// `nginx_ingress_controller_requests` with the labels namespace, ingress, service, status,
// method, host, path and canary; and Istio's `istio_requests_total` for the Gateway API routes.
// Used by the local edge and by the integration tests' exporter.
import * as http from "http";

export interface RequestLabels {
    namespace: string;
    ingress: string;
    service: string;
    status: string;
    method: string;
    host: string;
    path: string;
    /** ingress-nginx puts the canary's service name here for canary traffic, "" otherwise. */
    canary: string;
}

const LABELS: (keyof RequestLabels)[] = [
    "canary",
    "host",
    "ingress",
    "method",
    "namespace",
    "path",
    "service",
    "status",
];

const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** A Prometheus counter with one series per label set. */
export class Counters<L extends { [K in keyof L]: string }> {
    private readonly series = new Map<string, { labels: L; value: number }>();

    constructor(
        private readonly name: string,
        private readonly help: string,
        private readonly labelNames: (keyof L & string)[],
    ) {}

    inc(labels: L, n = 1): void {
        const key = this.labelNames.map((l) => labels[l]).join("\u0000");
        const s = this.series.get(key);
        if (s) {
            s.value += n;
        } else {
            this.series.set(key, { labels: { ...labels }, value: n });
        }
    }

    /** Total of the series matching every given label. */
    total(match: Partial<L> = {}): number {
        let sum = 0;
        for (const s of this.series.values()) {
            if (Object.entries(match).every(([k, v]) => s.labels[k as keyof L] === v)) {
                sum += s.value;
            }
        }
        return sum;
    }

    /** The Prometheus text exposition format (version 0.0.4). */
    render(): string {
        const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
        for (const s of this.series.values()) {
            const labels = this.labelNames.map((l) => `${l}="${escape(s.labels[l])}"`).join(",");
            lines.push(`${this.name}{${labels}} ${s.value}`);
        }
        return lines.join("\n") + "\n";
    }
}

export class RequestCounters extends Counters<RequestLabels> {
    constructor() {
        super("nginx_ingress_controller_requests", "The total number of client requests", LABELS);
    }
}

/** Istio's standard request metric, as an Istio gateway (reporter "source") exports it. */
export interface IstioLabels {
    reporter: string;
    source_workload: string;
    source_workload_namespace: string;
    destination_service: string;
    destination_service_name: string;
    destination_service_namespace: string;
    response_code: string;
    request_protocol: string;
}

export class IstioCounters extends Counters<IstioLabels> {
    constructor() {
        super("istio_requests_total", "Total requests.", [
            "reporter",
            "source_workload",
            "source_workload_namespace",
            "destination_service",
            "destination_service_name",
            "destination_service_namespace",
            "response_code",
            "request_protocol",
        ]);
    }
}

/**
 * Pure: the labels of one request through the gateway `gateway` (its Deployment is
 * "<name>-istio", as Istio deploys it) to the Service `destination`; requests the gateway answers
 * itself (no route, no backend with weight, an invalid backendRef) have destination "unknown".
 */
export function istioLabels(
    gateway: { name: string; namespace: string },
    destination: { service: string; namespace: string } | undefined,
    status: number,
): IstioLabels {
    return {
        reporter: "source",
        source_workload: `${gateway.name}-istio`,
        source_workload_namespace: gateway.namespace,
        destination_service: destination
            ? `${destination.service}.${destination.namespace}.svc.cluster.local`
            : "unknown",
        destination_service_name: destination?.service ?? "unknown",
        destination_service_namespace: destination?.namespace ?? "unknown",
        response_code: String(status),
        request_protocol: "http",
    };
}

/** Serves `counters` (one or several metrics) on http://host:port/metrics. */
export function serveMetrics(
    counters: { render(): string } | { render(): string }[],
    port: number,
    host = "127.0.0.1",
): Promise<http.Server> {
    const server = http.createServer((req, res) => {
        if (req.url?.startsWith("/metrics")) {
            res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" });
            res.end(
                [counters]
                    .flat()
                    .map((c) => c.render())
                    .join(""),
            );
        } else {
            res.writeHead(404).end();
        }
    });
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve(server));
    });
}
