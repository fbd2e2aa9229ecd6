// Sets the error rate of one demo version on the running local edge, like the demo app's
// "500 Error Rate" slider:  npm run local:errors -- --version red --rate 0.3
function arg(name: string): string | undefined {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
    const version = arg("version");
    const rate = arg("rate");
    const port = Number(arg("control-port") ?? process.env.EDGE_CONTROL_PORT ?? 10255);
    if (!version || rate === undefined) {
        throw new Error(
            "usage: npm run local:errors -- --version TAG --rate R   (R from 0 to 1, e.g. 0.3 fails 30% of requests)",
        );
    }
    const res = await fetch(
        `http://127.0.0.1:${port}/errors?version=${encodeURIComponent(version)}&rate=${encodeURIComponent(rate)}`,
        { method: "POST" },
    );
    const body = await res.text();
    if (!res.ok) {
        throw new Error(`the edge refused: ${body}`);
    }
    console.log(body);
}

main().catch((e) => {
    const cause =
        (e as { cause?: { code?: string } }).cause?.code === "ECONNREFUSED"
            ? " (is the local stack up? npm run local:up)"
            : "";
    console.error(`local:errors: ${(e as Error).message}${cause}`);
    process.exit(1);
});
