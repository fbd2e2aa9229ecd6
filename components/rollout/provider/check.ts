// The CanaryRollout provider's check: pure, run by preview; every input validated with the
// same rules (core/spec) and messages as the config layer, and failures that name the field.
import type * as pulumi from "@pulumi/pulumi";
import { Checker, show } from "../core/check";
import { checkHeader, checkRouterKind, checkSpec, RolloutSpec } from "../core/spec";
import { RolloutInputs, routerOf } from "../core/state";
import { PROMETHEUS_TIMEOUT, prometheusUrlProblem } from "../core/urls";

/** What the engine passes for an input that is not known yet (preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function checkRollout(
    news: RolloutInputs,
    olds?: Partial<RolloutInputs>,
): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const known = (v: unknown) => v !== undefined && v !== UNKNOWN;
    const switched = olds?.templateHash !== undefined && routerSwitch(olds, news);
    if (switched && known(news.templateHash) && news.templateHash !== olds!.templateHash) {
        failures.push({ property: "router", reason: switched });
    }
    for (const k of [
        "app",
        "namespace",
        "canaryDeployment",
        "stableDeployment",
        "canaryIngress",
        "canaryService",
        "stableService",
        "templateHash",
    ] as const) {
        if (known(news[k]) && !(typeof news[k] === "string" && news[k] !== "")) {
            failures.push({
                property: k,
                reason: `${k} must be a non-empty string; CanaryApp sets it, so this is a bug if you did not set it yourself`,
            });
        }
    }
    if (
        known(news.totalReplicas) &&
        !(Number.isInteger(news.totalReplicas) && news.totalReplicas >= 1)
    ) {
        failures.push({
            property: "totalReplicas",
            reason: `totalReplicas must be a whole number >= 1, got ${JSON.stringify(news.totalReplicas)}; set app.replicas`,
        });
    }
    if (known(news.prometheus) && !(news.prometheus?.url || news.prometheus?.service)) {
        failures.push({
            property: "prometheus",
            reason: "prometheus needs a url or a service; set monitoring.prometheus",
        });
    }
    const url = known(news.prometheus) ? news.prometheus?.url : undefined;
    const urlProblem =
        known(url) && typeof url === "string" ? prometheusUrlProblem(url) : undefined;
    if (urlProblem) {
        failures.push({
            property: "prometheus",
            reason: `monitoring.prometheus.url: ${urlProblem}`,
        });
    }
    const timeout = known(news.prometheus) ? news.prometheus?.timeoutSeconds : undefined;
    if (known(timeout)) {
        const c = new Checker();
        const { min, max, whyMax } = PROMETHEUS_TIMEOUT;
        c.seconds("monitoring.prometheus.timeout", timeout, min, min, max, whyMax);
        for (const p of c.problems) {
            failures.push({ property: "prometheus", reason: `${p.path}: ${p.message}` });
        }
    }
    // The spec's rules: the same checkSpec the config layer runs, so a program that builds
    // CanaryRollout by hand meets the same rules with the same messages.
    const spec: RolloutSpec = {
        steps: news.steps,
        deadlineSeconds: news.deadlineSeconds,
        abortScaleDownDelaySeconds: news.abortScaleDownDelaySeconds as number,
        metrics: news.metrics,
        judge: news.judge,
        notifications: news.notifications,
    };
    const router = news.router;
    if (known(router) && router !== undefined) {
        const c = new Checker();
        if (typeof router !== "object" || router === null || Array.isArray(router)) {
            c.fail("router", `must be an object {kind, header}, got ${show(router)}`);
        } else {
            checkRouterKind(c, "router.kind", router.kind);
            checkHeader(c, "router.header", router.header);
        }
        for (const p of c.problems) {
            failures.push({ property: "router", reason: `${p.path}: ${p.message}` });
        }
    }
    const scrape = news.scrapeIntervalSeconds;
    if ([...Object.values(spec), scrape].every((v) => v !== UNKNOWN)) {
        if (!(typeof scrape === "number" && scrape > 0)) {
            failures.push({
                property: "scrapeIntervalSeconds",
                reason: `scrapeIntervalSeconds must be a positive number of seconds, got ${JSON.stringify(scrape)}; set monitoring.scrapeInterval`,
            });
        } else {
            for (const p of checkSpec(spec, {
                scrapeIntervalSeconds: scrape,
                router: routerOf(news).kind,
            })) {
                failures.push({ property: inputOf(p.path), reason: `${p.path}: ${p.message}` });
            }
        }
    }
    return failures;
}

/** The input a spec path lives in: rollout.deadline -> deadlineSeconds, rollout.steps[2] -> steps. */
function inputOf(path: string): string {
    if (path.startsWith("rollout.steps")) {
        return "steps";
    }
    if (path.startsWith("rollout.deadline")) {
        return "deadlineSeconds";
    }
    return path.startsWith("rollout.analysis.judge") ? "judge" : "metrics";
}

/**
 * A change of router kind, said as the reason to make it alone; undefined when there is none. The
 * new router's object is created after the release (it follows the stable Deployment), so a
 * canary in the same update would have no route to take its traffic.
 */
function routerSwitch(olds: Partial<RolloutInputs>, news: RolloutInputs): string | undefined {
    const [from, to] = [routerOf(olds).kind, routerOf(news).kind];
    if (from === to || [from, to].includes(UNKNOWN as never)) {
        return undefined;
    }
    return (
        `router.kind changes from "${from}" to "${to}" in the same update as the pod template; ` +
        "the new route is created only after the release, so the canary would get no traffic. " +
        "Nothing was changed: change router.kind alone first (that `pulumi up` runs no canary), " +
        "then the image or pod template"
    );
}
