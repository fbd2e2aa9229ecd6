// Starts the real Prometheus (Debian's package) on a free loopback port with a short scrape
// interval, scraping the given targets; stops it after. Fails loudly when it is not installed.
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const port = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(port));
        });
    });
}

export function prometheusBinary(): string {
    const bin = process.env.PROMETHEUS_BIN ?? "prometheus";
    const probe = spawnSync(bin, ["--version"], { encoding: "utf8" });
    if (probe.status !== 0) {
        throw new Error(
            `Prometheus is not installed (${bin} --version failed). Install it: apt-get install -y prometheus (.ci/run does)`,
        );
    }
    return bin;
}

export class PrometheusProcess {
    private child?: ChildProcess;
    private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "pd-prometheus-"));
    readonly url: string;

    constructor(
        readonly port: number,
        targets: string[],
        readonly scrapeIntervalSeconds = 1,
    ) {
        this.url = `http://127.0.0.1:${port}`;
        fs.writeFileSync(
            path.join(this.dir, "prometheus.yml"),
            [
                "global:",
                `  scrape_interval: ${scrapeIntervalSeconds}s`,
                `  evaluation_interval: ${scrapeIntervalSeconds}s`,
                "scrape_configs:",
                "  - job_name: ingress-nginx",
                "    static_configs:",
                `      - targets: [${targets.map((t) => `"${t}"`).join(", ")}]`,
                "",
            ].join("\n"),
        );
    }

    async start(): Promise<void> {
        this.child = spawn(
            prometheusBinary(),
            [
                `--config.file=${path.join(this.dir, "prometheus.yml")}`,
                `--storage.tsdb.path=${path.join(this.dir, "data")}`,
                `--web.listen-address=127.0.0.1:${this.port}`,
                "--log.level=warn",
            ],
            { stdio: ["ignore", "ignore", "pipe"] },
        );
        let stderr = "";
        this.child.stderr!.on("data", (d) => (stderr += d));
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline) {
            if (this.child.exitCode !== null) {
                throw new Error(`Prometheus exited with ${this.child.exitCode}: ${stderr}`);
            }
            try {
                const res = await fetch(`${this.url}/-/ready`);
                if (res.ok) {
                    return;
                }
            } catch {
                // not listening yet
            }
            await new Promise((r) => setTimeout(r, 200));
        }
        throw new Error(`Prometheus did not become ready on ${this.url} within 30s: ${stderr}`);
    }

    async stop(): Promise<void> {
        const child = this.child;
        if (!child || child.exitCode !== null) {
            return;
        }
        await new Promise<void>((resolve) => {
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
        });
        this.child = undefined;
    }

    async cleanup(): Promise<void> {
        await this.stop();
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
