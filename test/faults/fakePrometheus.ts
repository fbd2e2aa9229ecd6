// A misbehaving Prometheus: an HTTP server on 127.0.0.1 (a free port) that answers
// /api/v1/query the way the current mode says, from a healthy instant vector to silence.
// The success-rate query and the requests query are told apart by the requests query's
// increase(): value modes spoil only the success rate, transport modes spoil every answer.
import * as http from "http";
import * as net from "net";

/** How one query is answered: a status, headers and a body, or something worse. */
export type Answer =
    | { status: number; body: string; headers?: Record<string, string> }
    | { reset: true }
    | { afterMs: number; then: Answer }
    | { hang: true };

export type Mode = (query: string) => Answer;

const T = 1_700_000_000;

/** An instant vector of the given sample values (strings, as Prometheus writes them). */
export function vector(...values: string[]): string {
    return JSON.stringify({
        status: "success",
        data: {
            resultType: "vector",
            result: values.map((v, i) => ({
                metric: { namespace: "demo", service: "demo-canary", status: String(200 + i) },
                value: [T, v],
            })),
        },
    });
}

/** N series, written without building N objects (200,000 series are ~17 MB). */
export function manySeries(n: number, value = "0.99"): string {
    const one = (i: number) =>
        `{"metric":{"__name__":"nginx_ingress_controller_requests","namespace":"demo","service":"demo-canary","pod":"p-${i}"},"value":[${T},"${value}"]}`;
    const parts: string[] = [];
    for (let i = 0; i < n; i++) {
        parts.push(one(i));
    }
    return `{"status":"success","data":{"resultType":"vector","result":[${parts.join(",")}]}}`;
}

export const isRequestsQuery = (q: string) => q.includes("increase(");

export const ok = (body: string): Answer => ({
    status: 200,
    body,
    headers: { "content-type": "application/json" },
});

/** A healthy canary: a success rate of 0.99 over 120 requests. */
export const healthy: Mode = (q) => ok(isRequestsQuery(q) ? vector("120") : vector("0.99"));

/** The success-rate query answers `body`; the requests query stays healthy. */
export const rate =
    (body: string): Mode =>
    (q) =>
        isRequestsQuery(q) ? healthy(q) : ok(body);

/** The requests query answers `body`; the success rate stays healthy. */
export const requests =
    (body: string): Mode =>
    (q) =>
        isRequestsQuery(q) ? ok(body) : healthy(q);

/** Every query gets the same answer. */
export const always =
    (answer: Answer): Mode =>
    () =>
        answer;

export class FakePrometheus {
    mode: Mode = healthy;
    /** Every query received, with the time it arrived (ms since epoch). */
    readonly received: { query: string; at: number }[] = [];
    private readonly server = http.createServer((req, res) => this.handle(req, res));
    private readonly sockets = new Set<net.Socket>();
    private readonly timers = new Set<NodeJS.Timeout>();
    url = "";

    async start(): Promise<this> {
        this.server.on("connection", (s) => {
            this.sockets.add(s);
            s.on("close", () => this.sockets.delete(s));
        });
        await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
        this.url = `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
        return this;
    }

    async stop(): Promise<void> {
        for (const t of this.timers) {
            clearTimeout(t);
        }
        for (const s of this.sockets) {
            s.destroy();
        }
        await new Promise((r) => this.server.close(r));
    }

    private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
        res.on("error", () => {}); // a client that stops reading (the size cap) is expected
        const url = new URL(req.url ?? "/", "http://x");
        if (url.pathname !== "/api/v1/query") {
            res.writeHead(404).end("404 page not found\n");
            return;
        }
        const query = url.searchParams.get("query") ?? "";
        this.received.push({ query, at: Date.now() });
        this.answer(req, res, this.mode(query));
    }

    private answer(req: http.IncomingMessage, res: http.ServerResponse, a: Answer): void {
        if ("reset" in a) {
            req.socket.destroy();
        } else if ("hang" in a) {
            // Never answers; stop() closes the socket.
        } else if ("afterMs" in a) {
            const t = setTimeout(() => {
                this.timers.delete(t);
                if (!res.destroyed) {
                    this.answer(req, res, a.then);
                }
            }, a.afterMs);
            this.timers.add(t);
        } else {
            res.writeHead(a.status, a.headers ?? { "content-type": "text/plain" }).end(a.body);
        }
    }
}
