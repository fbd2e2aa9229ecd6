// The benchmark's scenarios: the dimensions the issue asks for (scrape interval, error model) over
// the grid of traffic levels and canary error rates, plus the scenarios that probe one thing each:
// zero and near-zero error rates, a degraded stable, ramping and day-night traffic, the operating
// characteristic around the tolerance, and the rollback time at other scrape intervals.
import { DEFAULTS } from "../../components/config";
import { SequentialParams } from "../../components/rollout/core/judge/sequential";
import { PolicyName, POLICY_NAMES } from "./policies";
import { ERROR_MODELS, ErrorModel, Scenario, Traffic } from "./world";

/** The scrape intervals every target is checked at: 10s and the shipped default (30s). */
export const SCRAPES = [10, Number.parseInt(DEFAULTS.monitoring.scrapeInterval, 10)];
/** Scrape intervals the 30%-canary rollback time is also measured at. */
export const SPEED_SCRAPES = [5, 15, 60];
export const RPS = [0.2, 2, 20, 200];
export const STABLE_ERROR_RATE = 0.01;
export const CANARY_ERROR_RATES = [0.01, 0.05, 0.3];
/** Excess of the canary's error rate over stable's, in tolerances, for the OC curve. */
export const OC_EXCESS = [0.5, 1, 1.5, 2, 2.5, 3];
/**
 * Healthy canaries get more trials: a false-rollback rate is a rare event (the target is 0.5%);
 * 600 trials show a true 0.1% as more than 0.5% (4 or more) with probability 0.3%.
 */
export const HEALTHY_TRIAL_FACTOR = 3;

export type Group = "grid" | "zero" | "degraded" | "traffic" | "oc" | "speed";

export interface Plan {
    scenario: Scenario;
    group: Group;
    policies: PolicyName[];
    trials: number;
    /** Rough relative cost, for scheduling only. */
    cost: number;
    judge: SequentialParams;
}

const JUDGE: SequentialParams = DEFAULTS.rollout.judge;
const JUDGED: PolicyName[] = ["guard", "gate"];

function pctName(x: number): string {
    return `${+(x * 100).toFixed(2)}%`;
}

export function plans(trials: number): Plan[] {
    const out: Plan[] = [];
    const add = (group: Group, s: Omit<Scenario, "name">, policies: PolicyName[], label = "") => {
        const healthy = s.canaryErrorRate - s.stableErrorRate <= JUDGE.tolerance + 1e-9;
        // Below 20 rps a healthy run lasts to the gate's acceptance or the deadline (up to 30
        // minutes), and the judge has rolled none back in any measurement: half the extra trials.
        const factor = s.rps < 20 ? (1 + HEALTHY_TRIAL_FACTOR) / 2 : HEALTHY_TRIAL_FACTOR;
        const n = Math.round(healthy ? trials * factor : trials);
        const name =
            `${s.scrapeSeconds}s-${s.errorModel}-${s.rps}rps-stable${pctName(s.stableErrorRate)}-` +
            `canary${pctName(s.canaryErrorRate)}${s.traffic === "steady" ? "" : `-${s.traffic}`}${label}`;
        // Runs that last (healthy, low traffic: the gate waits to the deadline) cost the most.
        const long = healthy ? (s.rps <= 2 ? 6 : 2) : 1;
        out.push({
            scenario: { ...s, name },
            group,
            policies,
            trials: n,
            cost: n * policies.length * long,
            judge: JUDGE,
        });
    };
    const steady = (
        scrapeSeconds: number,
        errorModel: ErrorModel,
        rps: number,
        stableErrorRate: number,
        canaryErrorRate: number,
        traffic: Traffic = "steady",
    ): Omit<Scenario, "name"> => ({
        scrapeSeconds,
        errorModel,
        rps,
        stableErrorRate,
        canaryErrorRate,
        traffic,
    });
    for (const s of SCRAPES) {
        for (const model of ERROR_MODELS) {
            for (const rps of RPS) {
                for (const rate of CANARY_ERROR_RATES) {
                    // Bad canaries below 20 rps: on the independent model only (nothing is
                    // decided fast there, and every run lasts).
                    if (model !== "independent" && rate !== STABLE_ERROR_RATE && rps < 20) {
                        continue;
                    }
                    // Flagger's policy is the comparison on the issue's own model only.
                    const names =
                        model === "independent"
                            ? POLICY_NAMES
                            : POLICY_NAMES.filter((p) => p !== "flagger");
                    add("grid", steady(s, model, rps, STABLE_ERROR_RATE, rate), names);
                }
            }
        }
        // Zero and near-zero error rates; the issue's canary at 0.76% against stable at 0%.
        for (const rps of [2, 20]) {
            add("zero", steady(s, "independent", rps, 0, 0), ["tutorial", ...JUDGED]);
        }
        add("zero", steady(s, "independent", 20, 0.001, 0.001), ["tutorial", ...JUDGED]);
        add("zero", steady(s, "independent", 20, 0, 0.0076), ["tutorial", ...JUDGED]);
        // A degraded stable: both versions at 5%.
        for (const model of ERROR_MODELS) {
            add("degraded", steady(s, model, 20, 0.05, 0.05), ["tutorial", ...JUDGED]);
        }
        add("degraded", steady(s, "independent", 200, 0.05, 0.05), ["tutorial", ...JUDGED]);
        // Traffic that ramps up or swings.
        for (const traffic of ["ramp", "dayNight"] as const) {
            for (const rps of [2, 20]) {
                add(
                    "traffic",
                    steady(s, "independent", rps, STABLE_ERROR_RATE, STABLE_ERROR_RATE, traffic),
                    JUDGED,
                );
            }
        }
        // The operating characteristic at 20 rps: excess 0 is the grid's healthy canary.
        for (const k of OC_EXCESS) {
            const rate = STABLE_ERROR_RATE + k * JUDGE.tolerance;
            add("oc", steady(s, "independent", 20, STABLE_ERROR_RATE, rate), JUDGED, `-oc${k}`);
        }
    }
    for (const s of SPEED_SCRAPES) {
        add("speed", steady(s, "independent", 20, STABLE_ERROR_RATE, 0.3), ["guard"]);
    }
    return out;
}
