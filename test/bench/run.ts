// `npm run bench [-- --json FILE] [--svg FILE] [--trials N] [--seed N] [--only TEXT] [--workers N]`
// (--only: the scenarios whose name contains TEXT, or any of several separated by commas)
//
// Decision time and decision quality of four policies on the same simulated trials: the
// tutorial's Argo-style threshold, a Flagger-style threshold, and the tutorial's metric with the
// judge as a guard (what a new stack gets) or as a gate. Each trial runs the engine's real
// runRollout with a fake clock, the policy's real metrics, and a simulated Prometheus (world.ts,
// promql.ts). The dimensions (scenarios.ts): scrape interval, error model, traffic, canary and
// stable error rates. Prints a table, the targets with PASS/FAIL at each scrape interval,
// the operating characteristic, and writes a chart (default test/bench/out/verdicts.svg) and,
// with --json, the results. Every number depends only on --seed and --trials (scenarios run whole
// on worker threads, each trial seeded by its index), so runs repeat exactly.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isMainThread, parentPort, Worker } from "worker_threads";
import { assess } from "../../components/rollout/core/analysis";
import { runRollout } from "../../components/rollout/core/engine";
import { FakeClock } from "../support/fakes";
import { checks, ocTable } from "./checks";
import { DEADLINE_SECONDS, policies, Policy, PolicyName } from "./policies";
import { hash32 } from "./prng";
import { Plan, plans, STABLE_ERROR_RATE } from "./scenarios";
import { chart } from "./svg";
import { expectedDecision } from "./theory";
import { Scenario, SimPrometheus, World } from "./world";

/** "Caught within 5 minutes" for the 1% -> 5% target. */
export const CATCH_SECONDS = 300;

interface Options {
    json?: string;
    svg: string;
    trials: number;
    seed: number;
    only?: string;
    workers: number;
}

function options(argv: string[]): Options {
    const o: Options = {
        svg: path.join(__dirname, "out", "verdicts.svg"),
        trials: 200,
        seed: 20240607,
        workers: Math.min(2, os.availableParallelism()),
    };
    for (let i = 0; i < argv.length; i++) {
        const next = () => {
            const v = argv[++i];
            if (v === undefined) {
                throw new Error(`${argv[i - 1]} needs a value`);
            }
            return v;
        };
        switch (argv[i]) {
            case "--json":
                o.json = next();
                break;
            case "--svg":
                o.svg = next();
                break;
            case "--trials":
                o.trials = Number(next());
                break;
            case "--seed":
                o.seed = Number(next());
                break;
            case "--only":
                o.only = next();
                break;
            case "--workers":
                o.workers = Math.max(1, Number(next()));
                break;
            default:
                throw new Error(
                    `unknown option ${argv[i]}; use --json FILE, --svg FILE, --trials N, --seed N, ` +
                        `--only TEXT, --workers N`,
                );
        }
    }
    return o;
}

type Kind = "promoted" | "rolledBack" | "inconclusive";
type Outcome = { kind: Kind; byJudge: boolean; seconds: number };

async function trial(sc: Scenario, policy: Policy, seed: number): Promise<Outcome> {
    const clock = new FakeClock();
    const world = new World(sc, seed, clock.now(), DEADLINE_SECONDS + 60);
    const source = new SimPrometheus(world, () => clock.now());
    const metrics = policy.metrics(source);
    const noop = async () => {};
    const r = await runRollout(
        {
            app: "rollouts-demo",
            steps: policy.steps,
            totalReplicas: 4,
            deadlineSeconds: DEADLINE_SECONDS,
            metrics,
        },
        {
            router: {
                setWeight: async (w) => world.setWeight(clock.now(), w),
                setHeaderRoute: async () => {},
            },
            workloads: { scaleCanary: noop, waitCanaryReady: noop },
            clock,
            report: () => {},
        },
    );
    if (r.verdict === "Promoted") {
        return { kind: "promoted", byJudge: false, seconds: r.durationSeconds };
    }
    const failed = metrics.filter(
        (m) =>
            assess(
                r.measurements.filter((x) => x.metric === m.name),
                m.limits,
            ).status === "Failed",
    );
    return {
        kind: failed.length > 0 ? "rolledBack" : "inconclusive",
        byJudge: failed.some((m) => m.name === "judge"),
        seconds: r.durationSeconds,
    };
}

function median(xs: number[]): number | null {
    return percentile(xs, 0.5);
}

/** Nearest-rank percentile. */
function percentile(xs: number[], p: number): number | null {
    if (xs.length === 0) {
        return null;
    }
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.max(0, Math.ceil(p * s.length) - 1)];
}

export interface Row {
    name: string;
    group: Plan["group"];
    rps: number;
    stableErrorRate: number;
    canaryErrorRate: number;
    scrapeSeconds: number;
    errorModel: Scenario["errorModel"];
    traffic: Scenario["traffic"];
    policy: PolicyName;
    /** The judge's role in this policy; null without a judge. */
    role: "guard" | "gate" | null;
    trials: number;
    /** Canary worse than stable by more than the default tolerance (0.01). */
    bad: boolean;
    rollbackSeconds: { median: number | null; p95: number | null };
    promoteSeconds: { median: number | null; p95: number | null };
    promotedRate: number;
    rolledBackRate: number;
    /** Rolled back by the judge's rejection (a subset of rolledBackRate). */
    judgeRollbackRate: number;
    inconclusiveRate: number;
    inconclusive: number;
    /** Healthy canary (within tolerance) rolled back, by anything; 0 for bad ones. */
    falseRollbackRate: number;
    /** Healthy canary rolled back by the judge; 0 for bad ones. */
    judgeFalseRollbackRate: number;
    /** Bad canary promoted, over all trials; 0 for healthy ones. */
    missedRate: number;
    /** Bad canaries rolled back within 300s of their first traffic. */
    caughtWithin5mRate: number;
    inconclusiveSeconds: { median: number | null };
    /** Expected decision of the judge by its e-values' drift (independent errors, steady). */
    theory?: { decision: string; seconds: number | null; canaryRequests: number };
}

const TOLERANCE = 0.01;

function summarize(plan: Plan, policy: Policy, outcomes: Outcome[], seed: number): Row {
    const sc = plan.scenario;
    const n = outcomes.length;
    const bad = sc.canaryErrorRate - sc.stableErrorRate > TOLERANCE + 1e-9;
    const of = (k: Kind) => outcomes.filter((o) => o.kind === k);
    const rolled = of("rolledBack");
    const rolledS = rolled.map((o) => o.seconds);
    const promoted = of("promoted").map((o) => o.seconds);
    const inconclusive = of("inconclusive").map((o) => o.seconds);
    const byJudge = rolled.filter((o) => o.byJudge).length / n;
    const round = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);
    const role = policy.name === "guard" || policy.name === "gate" ? policy.name : null;
    const theory =
        role && sc.errorModel === "independent" && sc.traffic === "steady"
            ? expectedDecision(
                  policy.steps,
                  sc.rps,
                  sc.stableErrorRate,
                  sc.canaryErrorRate,
                  plan.judge,
                  sc.scrapeSeconds,
                  DEADLINE_SECONDS,
                  role === "gate",
              )
            : undefined;
    void seed;
    return {
        name: sc.name,
        group: plan.group,
        rps: sc.rps,
        stableErrorRate: sc.stableErrorRate,
        canaryErrorRate: sc.canaryErrorRate,
        scrapeSeconds: sc.scrapeSeconds,
        errorModel: sc.errorModel,
        traffic: sc.traffic,
        policy: policy.name,
        role,
        trials: n,
        bad,
        rollbackSeconds: { median: round(median(rolledS)), p95: round(percentile(rolledS, 0.95)) },
        promoteSeconds: {
            median: round(median(promoted)),
            p95: round(percentile(promoted, 0.95)),
        },
        promotedRate: promoted.length / n,
        rolledBackRate: rolled.length / n,
        judgeRollbackRate: byJudge,
        inconclusiveRate: inconclusive.length / n,
        inconclusive: inconclusive.length,
        falseRollbackRate: bad ? 0 : rolled.length / n,
        judgeFalseRollbackRate: bad ? 0 : byJudge,
        missedRate: bad ? promoted.length / n : 0,
        caughtWithin5mRate: bad ? rolledS.filter((s) => s <= CATCH_SECONDS).length / n : 0,
        inconclusiveSeconds: { median: round(median(inconclusive)) },
        theory: theory && {
            decision: theory.decision,
            seconds: Number.isFinite(theory.seconds) ? theory.seconds : null,
            canaryRequests: Math.round(theory.canaryRequests),
        },
    };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const sec = (x: number | null) => (x === null ? "-" : `${Math.round(x)}s`);

function table(rows: Row[]): string {
    const head = [
        "scenario",
        "policy",
        "promoted",
        "rolled back (judge)",
        "inconcl.",
        "rollback med/p95",
        "promote med/p95",
        "caught<=5m",
        "theory (judge)",
    ];
    const lines = rows.map((r) => [
        r.name,
        r.policy,
        pct(r.promotedRate),
        `${pct(r.rolledBackRate)} (${pct(r.judgeRollbackRate)})`,
        pct(r.inconclusiveRate),
        `${sec(r.rollbackSeconds.median)}/${sec(r.rollbackSeconds.p95)}`,
        `${sec(r.promoteSeconds.median)}/${sec(r.promoteSeconds.p95)}`,
        r.bad ? pct(r.caughtWithin5mRate) : "",
        r.theory ? `${r.theory.decision} ${sec(r.theory.seconds)}` : "",
    ]);
    const all = [head, ...lines];
    const widths = head.map((_, i) => Math.max(...all.map((l) => l[i].length)));
    return all
        .map((l) =>
            l
                .map((c, i) => c.padEnd(widths[i]))
                .join("  ")
                .trimEnd(),
        )
        .join("\n");
}

interface Task {
    index: number;
    trials: number;
    seed: number;
}

/** All trials of one plan, every policy on the same seeds; returns one row per policy. */
async function runPlan(plan: Plan, seed: number): Promise<Row[]> {
    const all = policies(plan.scenario.scrapeSeconds).filter((p) => plan.policies.includes(p.name));
    const outcomes = all.map(() => [] as Outcome[]);
    for (let t = 0; t < plan.trials; t++) {
        const trialSeed = hash32(seed, t);
        for (let i = 0; i < all.length; i++) {
            outcomes[i].push(await trial(plan.scenario, all[i], trialSeed));
        }
    }
    return all.map((p, i) => summarize(plan, p, outcomes[i], seed));
}

/** Runs the plans on `workers` threads (each a whole plan); results in plan order. */
async function runAll(o: Options, todo: number[], done: (i: number) => void): Promise<Row[]> {
    const list = plans(o.trials);
    const results = new Map<number, Row[]>();
    if (o.workers <= 1) {
        for (const i of todo) {
            results.set(i, await runPlan(list[i], o.seed));
            done(i);
        }
    } else {
        // Longest first, so that no worker finishes alone at the end.
        const queue = [...todo].sort((a, b) => list[b].cost - list[a].cost);
        const worker = async () => {
            const w = new Worker(__filename, {
                execArgv: ["--require", "ts-node/register/transpile-only"],
            });
            try {
                for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
                    const task: Task = { index: i, trials: o.trials, seed: o.seed };
                    const rows = await new Promise<Row[]>((resolve, reject) => {
                        const fail = (e: Error) => reject(e);
                        w.once("error", fail);
                        w.once("message", (r: Row[]) => {
                            w.off("error", fail);
                            resolve(r);
                        });
                        w.postMessage(task);
                    });
                    results.set(i, rows);
                    done(i);
                }
            } finally {
                await w.terminate();
            }
        };
        await Promise.all(Array.from({ length: Math.min(o.workers, queue.length) }, worker));
    }
    return todo.flatMap((i) => results.get(i)!);
}

async function main() {
    const o = options(process.argv.slice(2));
    const started = Date.now();
    const list = plans(o.trials);
    console.log(
        `bench: ${o.trials} trials per scenario and policy (more for healthy canaries, see ` +
            `scenarios.ts), seed ${o.seed}, deadline ${DEADLINE_SECONDS}s, ${o.workers} ` +
            `worker${o.workers === 1 ? "" : "s"}, ${list.length} scenarios`,
    );
    for (const p of policies(10)) {
        console.log(`  ${p.name}: ${p.describe}`);
    }
    const todo = list
        .map((_, i) => i)
        .filter((i) => !o.only || o.only.split(",").some((t) => list[i].scenario.name.includes(t)));
    const rows = await runAll(o, todo, (i) =>
        process.stderr.write(
            `  ${list[i].scenario.name} done at ${((Date.now() - started) / 1000).toFixed(1)}s\n`,
        ),
    );
    console.log("");
    console.log(table(rows));
    console.log("");
    console.log(
        "theory: when the judge's e-values reach their bound by their expected drift alone (independent",
    );
    console.log(
        "errors, stable's rate known, caps and the scrape's delay included): a lower bound on the time.",
    );
    console.log("");
    console.log(ocTable(rows));
    console.log("");
    const cs = checks(rows);
    for (const c of cs) {
        console.log(`${c.pass ? "PASS" : "FAIL"}  ${c.target}: ${c.detail}`);
    }
    fs.mkdirSync(path.dirname(o.svg), { recursive: true });
    fs.writeFileSync(
        o.svg,
        chart(
            rows,
            `Canary verdicts on simulated traffic (stable at ${STABLE_ERROR_RATE * 100}% errors, ` +
                `seed ${o.seed})`,
        ),
    );
    console.log(`chart: ${o.svg}`);
    const seconds = (Date.now() - started) / 1000;
    if (o.json) {
        fs.mkdirSync(path.dirname(path.resolve(o.json)), { recursive: true });
        fs.writeFileSync(
            o.json,
            JSON.stringify(
                { seed: o.seed, trials: o.trials, seconds, checks: cs, scenarios: rows },
                null,
                2,
            ) + "\n",
        );
        console.log(`json: ${o.json}`);
    }
    console.log(`took ${seconds.toFixed(1)}s`);
}

if (isMainThread) {
    main().catch((e) => {
        console.error(e);
        process.exit(1);
    });
} else {
    parentPort!.on("message", (task: Task) => {
        const list = plans(task.trials);
        void runPlan(list[task.index], task.seed).then((rows) => parentPort!.postMessage(rows));
    });
}
