// The targets, each checked at every scrape interval in SCRAPES, and the operating
// characteristic as a table.
import type { Row } from "./run";
import { OC_EXCESS, SCRAPES, SPEED_SCRAPES, STABLE_ERROR_RATE } from "./scenarios";

export interface Check {
    target: string;
    pass: boolean;
    detail: string;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const sec = (x: number | null) => (x === null ? "-" : `${Math.round(x)}s`);
/** The sum of the default plan's pauses: the schedule a healthy canary is promoted on. */
const SCHEDULE_SECONDS = 240;

export function checks(rows: Row[]): Check[] {
    const out: Check[] = [];
    const judged = rows.filter((r) => r.role !== null);
    const find = (f: (r: Row) => boolean) => rows.filter(f);
    for (const s of SCRAPES) {
        const at = judged.filter((r) => r.scrapeSeconds === s);
        // 1. A 30% canary at >= 20 rps: median <= 2S + 10, p95 <= 3S + 10.
        const fast = at.filter(
            (r) =>
                r.group === "grid" &&
                r.errorModel === "independent" &&
                r.canaryErrorRate === 0.3 &&
                r.rps >= 20,
        );
        out.push({
            target: `${s}s: 30% canary at >= 20 rps rolled back within 2 scrapes + 10s (median) and 3 scrapes + 10s (p95): ${2 * s + 10}s / ${3 * s + 10}s`,
            pass:
                fast.length > 0 &&
                fast.every(
                    (r) =>
                        r.rolledBackRate === 1 &&
                        (r.rollbackSeconds.median ?? Infinity) <= 2 * s + 10 &&
                        (r.rollbackSeconds.p95 ?? Infinity) <= 3 * s + 10,
                ),
            detail: fast
                .map(
                    (r) =>
                        `${r.policy} ${r.rps}rps ${sec(r.rollbackSeconds.median)}/${sec(r.rollbackSeconds.p95)}`,
                )
                .join(", "),
        });
        // 2. The judge's false rollbacks of healthy canaries, every error model and scenario.
        const healthy = at.filter((r) => !r.bad);
        const worst = [...healthy].sort(
            (a, b) => b.judgeFalseRollbackRate - a.judgeFalseRollbackRate,
        );
        out.push({
            target: `${s}s: the judge rolls back at most 0.5% of healthy canaries, in every scenario (${healthy.length} rows)`,
            pass: healthy.length > 0 && healthy.every((r) => r.judgeFalseRollbackRate <= 0.005),
            detail:
                `worst: ` +
                worst
                    .slice(0, 3)
                    .map((r) => `${r.name} ${r.policy} ${pct(r.judgeFalseRollbackRate)}`)
                    .join(", ") +
                `; by error model: ` +
                ["independent", "clumped", "versionBursts", "sharedBursts"]
                    .map(
                        (m) =>
                            `${m} ${pct(Math.max(0, ...healthy.filter((r) => r.errorModel === m).map((r) => r.judgeFalseRollbackRate)))}`,
                    )
                    .join(", "),
        });
        // 3. Guard: a healthy canary promotes on schedule at >= 2 rps.
        const guard = at.filter(
            (r) =>
                r.policy === "guard" &&
                r.group === "grid" &&
                r.canaryErrorRate === STABLE_ERROR_RATE &&
                r.rps >= 2,
        );
        out.push({
            target: `${s}s: guard promotes a healthy canary at >= 2 rps on schedule (median <= ${1.05 * SCHEDULE_SECONDS}s)`,
            pass:
                guard.length > 0 &&
                guard.every(
                    (r) => (r.promoteSeconds.median ?? Infinity) <= 1.05 * SCHEDULE_SECONDS,
                ),
            detail: guard
                .map(
                    (r) =>
                        `${r.errorModel} ${r.rps}rps ${sec(r.promoteSeconds.median)} (${pct(r.promotedRate)})`,
                )
                .join(", "),
        });
        // 4. Gate: a healthy canary at 20 rps with 1% errors promotes at <= 1.25x / 2x.
        const gate = at.find(
            (r) =>
                r.policy === "gate" &&
                r.group === "grid" &&
                r.errorModel === "independent" &&
                r.rps === 20 &&
                r.canaryErrorRate === STABLE_ERROR_RATE,
        );
        out.push({
            target: `${s}s: gate promotes a healthy canary (1% errors, 20 rps) at median <= ${1.25 * SCHEDULE_SECONDS}s, p95 <= ${2 * SCHEDULE_SECONDS}s`,
            pass:
                !!gate &&
                gate.promotedRate >= 0.95 &&
                (gate.promoteSeconds.median ?? Infinity) <= 1.25 * SCHEDULE_SECONDS &&
                (gate.promoteSeconds.p95 ?? Infinity) <= 2 * SCHEDULE_SECONDS,
            detail: gate
                ? `median ${sec(gate.promoteSeconds.median)}, p95 ${sec(gate.promoteSeconds.p95)}, promoted ${pct(gate.promotedRate)}`
                : "no row",
        });
        // 5. Gate: a canary with no errors promotes.
        const zero = at.filter(
            (r) => r.policy === "gate" && r.group === "zero" && r.canaryErrorRate === 0,
        );
        out.push({
            target: `${s}s: gate promotes a canary with 0% errors (stable at 0% and 1%)`,
            pass: zero.length > 0 && zero.every((r) => r.promotedRate >= 0.95),
            detail: zero
                .map(
                    (r) =>
                        `${r.rps}rps stable ${pct(r.stableErrorRate)}: ${pct(r.promotedRate)} at ${sec(r.promoteSeconds.median)}`,
                )
                .join(", "),
        });
        // 6. 1% -> 5% at 20 rps caught >= 95% within 5 minutes.
        const five = at.filter(
            (r) =>
                r.group === "grid" &&
                r.errorModel === "independent" &&
                r.rps === 20 &&
                r.canaryErrorRate === 0.05,
        );
        out.push({
            target: `${s}s: 1% -> 5% at 20 rps caught >= 95% within 5 minutes`,
            pass: five.length > 0 && five.every((r) => r.caughtWithin5mRate >= 0.95),
            detail: five
                .map(
                    (r) =>
                        `${r.policy} ${pct(r.caughtWithin5mRate)} (median ${sec(r.rollbackSeconds.median)})`,
                )
                .join(", "),
        });
    }
    const speed = find((r) => r.group === "speed");
    out.push({
        target: `30% canary at 20 rps at other scrape intervals (${SPEED_SCRAPES.join(", ")}s): median <= 2S + 10, p95 <= 3S + 10`,
        pass: speed.every(
            (r) =>
                (r.rollbackSeconds.median ?? Infinity) <= 2 * r.scrapeSeconds + 10 &&
                (r.rollbackSeconds.p95 ?? Infinity) <= 3 * r.scrapeSeconds + 10,
        ),
        detail: speed
            .map(
                (r) =>
                    `${r.scrapeSeconds}s: ${sec(r.rollbackSeconds.median)}/${sec(r.rollbackSeconds.p95)} (targets ${2 * r.scrapeSeconds + 10}s/${3 * r.scrapeSeconds + 10}s)`,
            )
            .join(", "),
    });
    return out;
}

/** P(rollback by the judge) against the canary's excess over stable, in tolerances, at 20 rps. */
export function ocTable(rows: Row[]): string {
    const lines = [
        "Operating characteristic at 20 rps, independent errors, stable at 1%: share of canaries the",
        "judge rolls back (guard), and the share a gate promotes, by the canary's excess over stable.",
    ];
    const excess = [0, ...OC_EXCESS];
    lines.push(["excess / tolerance", ...excess.map((k) => `${k}`)].join("\t"));
    for (const s of SCRAPES) {
        for (const policy of ["guard", "gate"] as const) {
            const cells = excess.map((k) => {
                const rate = +(STABLE_ERROR_RATE + k * 0.01).toFixed(4);
                const r = rows.find(
                    (x) =>
                        x.scrapeSeconds === s &&
                        x.policy === policy &&
                        x.errorModel === "independent" &&
                        x.traffic === "steady" &&
                        x.rps === 20 &&
                        x.stableErrorRate === STABLE_ERROR_RATE &&
                        Math.abs(x.canaryErrorRate - rate) < 1e-9,
                );
                if (!r) {
                    return "-";
                }
                return policy === "guard" ? pct(r.judgeRollbackRate) : pct(r.promotedRate);
            });
            lines.push(
                [`${s}s ${policy === "guard" ? "rolled back" : "gate promoted"}`, ...cells].join(
                    "\t",
                ),
            );
        }
    }
    return lines.join("\n");
}
