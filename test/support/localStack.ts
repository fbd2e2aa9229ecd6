// What the e2e suite may expect of the local stack's rollout (Pulumi.local.yaml), built from the
// program's own texts: the config as validateConfig resolves it, and the exact shapes of the
// reasons and messages the engine can give for it. test/unit/localStack.test.ts runs the real
// engine on these settings (simulated traffic) and checks every reason against them, so an e2e
// expectation is what the code can say, and nothing looser.
import { validateConfig } from "../../components/config";
import type { ProgramConfig } from "../../components/config/types";
import { fmt } from "../../components/rollout/core/analysis";
import { KEYS } from "../../components/rollout/core/judge/counts";
import {
    judgeCondition,
    judgeQueries as routerJudgeQueries,
} from "../../components/rollout/core/judge/metric";
import { bounds } from "../../components/rollout/core/judge/sequential";
import { trackName } from "../../components/rollout/core/names";
import { describeStep } from "../../components/rollout/core/plan";
import { BaseArgs, renderQuery } from "../../components/rollout/core/queries";
import { stackFile } from "./stackConfig";

/**
 * Pulumi.local.yaml's config as the program validates it. `edit` changes the raw values first,
 * as `pulumi config set --path` would (e.g. `raw.rollout.analysis.judge = {role: "gate"}`).
 */
export function localConfig(edit: (raw: Record<string, any>) => void = () => {}): ProgramConfig {
    const local = stackFile("local");
    const raw: Record<string, any> = {};
    for (const k of ["monitoring", "ingressNginx", "app", "rollout", "tls"]) {
        raw[k] = structuredClone(local[`progressive-delivery:${k}`]);
    }
    edit(raw);
    const { config, errors } = validateConfig(raw);
    if (errors.length > 0) {
        throw new Error(`Pulumi.local.yaml, edited, is not valid:\n${errors.join("\n")}`);
    }
    return config;
}

/** The query args of the app's runs, as CanaryApp passes them (window aside). */
export function queryArgs(config: ProgramConfig): BaseArgs {
    const { name, namespace } = config.app;
    return {
        namespace,
        service: trackName(name, "canary"),
        stableService: trackName(name, "stable"),
        ingress: trackName(name, "canary"),
        failureStatus: config.rollout.metrics[0]?.failureStatus ?? "5..",
    };
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** A number as fmt writes it: 0.7321, 36, -30. */
const NUM = "-?\\d+(?:\\.\\d+)?";
/** A share as the judge writes it: 36%, 0.42%. */
const PCT = "\\d+(?:\\.\\d+)?%";
/** Request counts: exact, or estimated by increase(). */
const REQUESTS = "(?:\\d+ requests|~\\d+(?:\\.\\d+)? requests \\(estimated by increase\\(\\)\\))";
const RESET = "; traffic is back on the stable version and the canary is scaled to 0";

/** Where a measurement can stand: each pause or analysis step, at the weight set before it. */
function measuringSteps(config: ProgramConfig): string {
    const { steps } = config.rollout;
    let weight = 0;
    const where: string[] = [];
    steps.forEach((step, i) => {
        if ("setWeight" in step) {
            weight = step.setWeight;
        } else if (weight > 0) {
            where.push(`step ${i + 1}/${steps.length} (${describeStep(step)}, weight ${weight}%)`);
        }
    });
    return `(?:${where.map(esc).join("|")})`;
}

/** The judge's counts: `canary 8/22 failed (36%) vs stable 0/141 (0%)`. */
const COUNTS = `canary ${NUM}/${NUM} failed \\((?:${PCT}|-)\\) vs stable ${NUM}/${NUM} \\((?:${PCT}|-)\\)`;
/** An interval that spanned a weight change, at the end of a judge's message. */
const STRADDLE =
    `(?:; the weight went \\d+%(?: -> \\d+%)+ within the last interval, counted at the ` +
    `canary's share of its requests, ${PCT})?`;

function judgeQueries(config: ProgramConfig): string {
    const args = { ...queryArgs(config), window: "" };
    const queries = routerJudgeQueries(config.router.kind);
    return KEYS.map((k) => renderQuery(queries[k], args)).join(" ; ");
}

/**
 * Every reason the local stack can give for rolling back a canary that fails a share of its
 * requests (the tutorial's step 3), anchored: its first threshold metric's failureLimit + 1-th
 * failed measurement, or the judge (when on) rejecting it, at any step that measures.
 */
export function failingCanaryReason(config: ProgramConfig): RegExp {
    const { app, rollout } = config;
    const head = `^canary "${esc(app.name)}" rolled back at ${measuringSteps(config)}: `;
    const m = rollout.metrics[0];
    const cond = esc(m.successCondition!);
    const args = { ...queryArgs(config), window: "WINDOW" };
    const query = esc(renderQuery(m.query, args)).replace(/WINDOW/g, "\\d+s");
    const limit = m.failureLimit;
    const byMetric =
        `${esc(m.name)} ${limit + 1} measurements failed "${cond}" \\(failureLimit ${limit}\\); ` +
        `last value ${NUM} over ${REQUESTS}: successCondition "${cond}" is false; query: ${query}`;
    const deciders = [byMetric];
    const j = rollout.judge;
    if (j.enabled) {
        const rejectAbove = esc(fmt(Number(bounds(j).rejectAbove.toFixed(2))));
        deciders.push(
            `judge 1 measurements failed "${esc(judgeCondition(j))}" \\(failureLimit 0\\); ` +
                `last value \\[${NUM}(?:, ${NUM}){5}\\] over \\d+ requests: ${COUNTS}: ` +
                `ln e ${NUM} >= ${rejectAbove}` +
                `(?: \\(the last interval's evidence divided by the errors' dispersion, ${NUM}\\))?` +
                `: the canary's error rate is more than ${esc(String(j.tolerance))} above ` +
                `stable's \\(the evidence points to \\+${NUM}\\), \\d+s after the canary first ` +
                `got traffic${STRADDLE}; query: ${esc(judgeQueries(config))}`,
        );
    }
    return new RegExp(`${head}(?:${deciders.join("|")})${esc(RESET)}$`);
}

/** A gate's acceptance, as its Successful measurement's message says it. */
export function judgeAcceptance(config: ProgramConfig): RegExp {
    const j = config.rollout.judge;
    const acceptAbove = esc(fmt(Number(bounds(j).acceptAbove.toFixed(2))));
    return new RegExp(
        `^${COUNTS}: accept ln e ${NUM} >= ${acceptAbove}: the canary's error rate is within ` +
            `${esc(String(j.tolerance))} of stable's${STRADDLE}$`,
    );
}
