// ingress-nginx's request counter, as the controller exports it: a Prometheus counter
// `nginx_ingress_controller_requests` with the labels namespace, ingress, service, status,
// method, host, path and canary. Used by the local edge and by the integration tests' exporter.
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

export class RequestCounters {
    private readonly series = new Map<string, { labels: RequestLabels; value: number }>();

    inc(labels: RequestLabels, n = 1): void {
        const key = LABELS.map((l) => labels[l]).join("\u0000");
        const s = this.series.get(key);
        if (s) {
            s.value += n;
        } else {
            this.series.set(key, { labels: { ...labels }, value: n });
        }
    }

    /** Total of the series matching every given label. */
    total(match: Partial<RequestLabels> = {}): number {
        let sum = 0;
        for (const s of this.series.values()) {
            if (Object.entries(match).every(([k, v]) => s.labels[k as keyof RequestLabels] === v)) {
                sum += s.value;
            }
        }
        return sum;
    }

    /** The Prometheus text exposition format (version 0.0.4). */
    render(): string {
        const lines = [
            "# HELP nginx_ingress_controller_requests The total number of client requests",
            "# TYPE nginx_ingress_controller_requests counter",
        ];
        for (const s of this.series.values()) {
            const labels = LABELS.map((l) => `${l}="${escape(s.labels[l])}"`).join(",");
            lines.push(`nginx_ingress_controller_requests{${labels}} ${s.value}`);
        }
        return lines.join("\n") + "\n";
    }
}

/** Serves `counters` on http://host:port/metrics. */
export function serveMetrics(
    counters: RequestCounters,
    port: number,
    host = "127.0.0.1",
): Promise<http.Server> {
    const server = http.createServer((req, res) => {
        if (req.url?.startsWith("/metrics")) {
            res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" });
            res.end(counters.render());
        } else {
            res.writeHead(404).end();
        }
    });
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve(server));
    });
}
