// npm run demo: the seed tutorial's three steps on the embedded stack, with the real pulumi CLI.
//   1. deploy argoproj/rollouts-demo:blue: stable, 100% of traffic
//   2. update to :yellow: canary steps pass, yellow is promoted
//   3. update to :red, which fails 30% of requests (set on the local edge, like the demo app's
//      error slider): the analysis fails, traffic returns to yellow, the canary is at 0 replicas,
//      and that `pulumi up` exits non-zero with the reason and how many seconds after the canary
//      got traffic it was rolled back (by the judge, on by default as a guard, or the success rate)
// `npm run demo -- --router gateway-api` runs them with router gateway-api (an HTTPRoute on a
// Gateway of class istio) and the header X-Canary: always, the first step a pause: step 2 then
// also shows a request with the header reaching the canary before its first weight (the edge's
// GET /probe), while one without it still reaches stable.
// Exits 0 only if all three behave as expected. Expects `npm run local:up` to have run (demo.sh
// does it) and its environment (pulumi on PATH, KUBECONFIG).
import { rollbackSeconds } from "../components/rollout/core/evidence";
import type { RunEvidence } from "../components/rollout/core/state";
import type { RouterKind } from "../components/rollout/core/spec";
import { DEMO_HEADER, headerProbe, HeaderProbeReport, pauseFirst, setRouter } from "./router";
import { Workspace } from "./workspace";

/** `--router gateway-api` (or `--router=gateway-api`); ingress-nginx by default. */
export function routerArg(argv: string[]): RouterKind {
    const i = argv.findIndex((a) => a === "--router" || a.startsWith("--router="));
    const value =
        i < 0 ? "ingress-nginx" : argv[i].includes("=") ? argv[i].split("=")[1] : argv[i + 1];
    if (value !== "ingress-nginx" && value !== "gateway-api") {
        throw new Error(`--router ${value}: use ingress-nginx (default) or gateway-api`);
    }
    return value;
}

interface StepReport {
    step: string;
    expected: string;
    ok: boolean;
    seconds: number;
    details: string[];
}

async function main(): Promise<void> {
    const router = routerArg(process.argv.slice(2));
    const ws = await Workspace.create("demo");
    const reports: StepReport[] = [];
    const t0 = Date.now();
    try {
        await ws.reset();
        if (router === "gateway-api") {
            await setRouter(ws, router, DEMO_HEADER);
            await pauseFirst(ws);
        }
        // What the teardown of an earlier run answered is scraped before step 1 counts.
        await ws.waitForTraffic();

        // 1. blue
        await ws.setImage("argoproj/rollouts-demo:blue");
        let unready = await ws.unreadyAnswers();
        let r = await ws.up();
        let state = await ws.clusterState();
        await ws.waitForTraffic();
        let traffic = await ws.edgeRoute();
        let unreadyNow = await ws.unreadyAnswers();
        reports.push({
            step: "1. deploy blue",
            expected: "up succeeds; stable runs blue; all traffic on blue",
            ok:
                r.code === 0 &&
                state.stableImage.endsWith(":blue") &&
                state.weight === 0 &&
                traffic.stableVersion === "blue" &&
                unreadyNow === unready,
            seconds: r.seconds,
            details: [
                `pulumi up exit ${r.code}; stable ${state.stableImage} (${state.stableReady} ready); canary weight ${state.weight}%, canary replicas ${state.canaryReplicas}`,
                `edge: ${traffic.summary}`,
                unreadyLine(unreadyNow - unready),
            ],
        });

        // 2. yellow
        await ws.setImage("argoproj/rollouts-demo:yellow");
        unready = await ws.unreadyAnswers();
        const probing = router === "gateway-api" ? headerProbe(DEMO_HEADER, "yellow") : undefined;
        r = await ws.up({ killWhen: probing?.watch });
        probing?.done();
        const probed = probing ? await probing.result : undefined;
        state = await ws.clusterState();
        const run = await ws.lastRun();
        await ws.waitForTraffic();
        unreadyNow = await ws.unreadyAnswers();
        reports.push({
            step: "2. canary yellow",
            expected: "canary steps pass; yellow promoted",
            ok:
                r.code === 0 &&
                run?.verdict === "Promoted" &&
                state.stableImage.endsWith(":yellow") &&
                state.weight === 0 &&
                state.canaryReplicas === 0 &&
                unreadyNow === unready &&
                (probed === undefined || headerReachedCanary(probed)),
            seconds: r.seconds,
            details: [
                `pulumi up exit ${r.code}; verdict ${run?.verdict}: ${run?.reason}`,
                ...(probed ? [probeLine(probed)] : []),
                `weights ${weightsOf(r.output)}; success rates ${ratesOf(r.output)}`,
                `stable ${state.stableImage}; canary weight ${state.weight}%, canary replicas ${state.canaryReplicas}`,
                unreadyLine(unreadyNow - unready),
            ],
        });

        // 3. red, failing 30% of requests
        await ws.setErrorRate("red", 0.3);
        await ws.setImage("argoproj/rollouts-demo:red");
        unready = await ws.unreadyAnswers();
        r = await ws.up();
        state = await ws.clusterState();
        await ws.waitForTraffic();
        traffic = await ws.edgeRoute();
        unreadyNow = await ws.unreadyAnswers();
        const reason =
            r.output.split("\n").find((l) => l.includes("rolled back at step")) ??
            "(no reason found in the output)";
        const failed = await ws.lastRun();
        const verdict = (await ws.mustPulumi(["stack", "output", "lastVerdict"])).trim();
        reports.push({
            step: "3. canary red (30% errors)",
            expected:
                "analysis fails; pulumi up exits non-zero; traffic back on yellow; canary at 0",
            ok:
                r.code !== 0 &&
                reason.includes("rolled back") &&
                failed?.verdict === "Aborted" &&
                state.stableImage.endsWith(":yellow") &&
                state.weight === 0 &&
                state.canaryReplicas === 0 &&
                unreadyNow === unready,
            seconds: r.seconds,
            details: [
                `pulumi up exit ${r.code}`,
                `reason: ${reason.replace(/^.*?(canary ")/, "$1").trim()}`,
                timeToRollback(failed),
                `evidence kept in state: lastRun ${failed?.verdict} with ${failed?.measurements.length} measurements; lastVerdict: ${verdict}`,
                `weights ${weightsOf(r.output)}; success rates ${ratesOf(r.output)}`,
                `stable ${state.stableImage}; canary weight ${state.weight}%, canary replicas ${state.canaryReplicas}; edge: ${traffic.summary}`,
                unreadyLine(unreadyNow - unready),
            ],
        });
    } finally {
        await ws.setErrorRate("red", 0).catch(() => undefined);
    }

    console.log(`\n==== demo summary (router ${router}) ====`);
    for (const s of reports) {
        console.log(
            `${s.ok ? "PASS" : "FAIL"}  ${s.step}  (${s.seconds.toFixed(0)}s)  expected: ${s.expected}`,
        );
        for (const d of s.details) {
            console.log(`      ${d}`);
        }
    }
    const ok = reports.length === 3 && reports.every((s) => s.ok);
    console.log(
        `demo ${ok ? "passed" : "FAILED"} in ${((Date.now() - t0) / 1000).toFixed(0)}s (pulumi stack ${ws.stack} in ${ws.dir})`,
    );
    process.exit(ok ? 0 : 1);
}

/** Before the first weight: the header request reached yellow, the plain one blue. */
function headerReachedCanary(p: HeaderProbeReport): boolean {
    return p.beforeFirstWeight && p.header?.version === "yellow" && p.plain?.version === "blue";
}

function probeLine(p: HeaderProbeReport): string {
    if (p.error) {
        return `header probe: ${p.error}`;
    }
    return (
        `before the first weight: ${DEMO_HEADER.name}: ${DEMO_HEADER.value} -> ${p.header?.version} (${p.header?.service}), ` +
        `no header -> ${p.plain?.version}${p.beforeFirstWeight ? "" : " (too late: a weight was already set)"}`
    );
}

/** A step's requests answered 503 because their Service had no ready pod: must be none. */
function unreadyLine(n: number): string {
    return `requests sent to a Service with no ready pod (503) during the step: ${n}`;
}

/** Step 3's line: when a measurement (the judge's or the success rate's) rolled the canary back. */
function timeToRollback(run: RunEvidence | null): string {
    const seconds = run ? rollbackSeconds(run) : undefined;
    return seconds === undefined
        ? "time to rollback: unknown (no measurement rolled the canary back)"
        : `time to rollback: ${seconds}s after the canary got traffic`;
}

/** The progress lines as they streamed (pulumi repeats them under "Diagnostics" at the end). */
function live(output: string): string {
    return output
        .split("\n")
        .filter((l) => l.includes(" running [canary "))
        .join("\n");
}

/** The weights the rollout set, from its progress lines. */
export function weightsOf(output: string): string {
    const w = [...live(output).matchAll(/setWeight (\d+)%: canary replicas/g)].map(
        (m) => `${m[1]}%`,
    );
    return w.length ? w.join(" -> ") : "none";
}

/** The measured success rates and verdicts, from its progress lines. */
export function ratesOf(output: string): string {
    const r = [...live(output).matchAll(/success-rate = ([^ ]+)(?: over [^:]+)?: (\w+)/g)].map(
        (m) => `${m[1]} ${m[2]}`,
    );
    return r.length ? r.join(", ") : "none";
}

if (require.main === module) {
    main().catch((e) => {
        console.error(`demo: ${(e as Error).message}`);
        process.exit(1);
    });
}
