import * as assert from "assert";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import type { RunEvidence } from "../../../../components/rollout/core/state";
import { EventLog, RolloutLine } from "../../../../deployments/release/events";

let seq = 0;
const ev = (e: Partial<EngineEvent>): EngineEvent => ({ sequence: seq++, timestamp: 0, ...e });
const diag = (message: string, severity: "info" | "info#err" | "warning" | "error" = "info#err") =>
    ev({ diagnosticEvent: { message, color: "never", severity } });
const pre = (type: string, op: string, diffs?: string[], app: unknown = "shop") =>
    ev({
        resourcePreEvent: {
            metadata: {
                op,
                urn: `urn:pulumi:dev::progressive-delivery::${type}::shop-rollout`,
                type,
                diffs,
                new: { inputs: { app } },
                provider: "",
            } as never,
        },
    });
const ROLLOUT = "pulumi-nodejs:dynamic/progressive-delivery:CanaryRollout";

const run = (startedAt: string, verdict: RunEvidence["verdict"] = "Promoted"): RunEvidence => ({
    verdict,
    reason: `canary "shop" ${verdict === "Promoted" ? "promoted after 2 steps in 60s" : "rolled back at step 2/2 (analysis): ..."}`,
    headline: "after 2 steps in 60s",
    steps: [],
    measurements: [],
    durationSeconds: 60,
    startedAt,
    templateHash: "5104a0c0ff3a",
});
/** A resource's outputs once its step is done, as the engine reports them. */
const outputs = (
    op: string,
    old: Record<string, unknown> | undefined,
    now: Record<string, unknown>,
    opts: { type?: string; planning?: boolean } = {},
) =>
    ev({
        resOutputsEvent: {
            planning: opts.planning,
            metadata: {
                op,
                urn: "urn:pulumi:dev::progressive-delivery::x::shop-rollout",
                type: opts.type ?? ROLLOUT,
                old: old && { outputs: old },
                new: { outputs: now },
                provider: "",
            } as never,
        },
    });

describe("release/events", () => {
    it("one rollout line per tagged stderr line, timed from the update's start", () => {
        let t = 1000;
        const seen: RolloutLine[] = [];
        const log = new EventLog(
            (l) => seen.push(l),
            0,
            () => t,
        );
        log.restartClock(500);
        log.onEvent(diag("[canary shop] step 1/9 setWeight 20%: canary replicas 1/4\n"));
        t = 2250;
        log.onEvent(diag("[canary shop] step 2/9 pause 1m at weight 20%\n[canary other] x\n"));
        log.onEvent(diag("not a rollout line"));
        log.onEvent(diag("[canary shop] from stdout", "info"));
        assert.deepStrictEqual(
            seen.map((l) => [l.seconds, l.app, l.message]),
            [
                [0.5, "shop", "step 1/9 setWeight 20%: canary replicas 1/4"],
                [1.8, "shop", "step 2/9 pause 1m at weight 20%"],
                [1.8, "other", "x"],
                [1.8, "shop", "from stdout"],
            ],
        );
        assert.strictEqual(seen[0].time, new Date(1000).toISOString());
        assert.deepStrictEqual(log.lines, seen);
        assert.strictEqual(log.canaryRan(), true);
    });

    it("no step line (first deployment, or the template did not change): no canary ran", () => {
        const log = new EventLog(() => undefined);
        log.onEvent(diag("[canary shop] first deployment: promoted without a canary run"));
        assert.strictEqual(log.canaryRan(), false);
    });

    it("errors are kept whole; a tagged error is not a progress line", () => {
        const log = new EventLog(() => assert.fail("no line expected"));
        log.onEvent(diag('canary "shop" rolled back at step 3/9: ...\nevidence:\n  t=1s', "error"));
        log.onEvent(diag("[canary shop] not progress", "error"));
        assert.deepStrictEqual(log.errors, [
            'canary "shop" rolled back at step 3/9: ...\nevidence:\n  t=1s',
            "[canary shop] not progress",
        ]);
    });

    it("mandatory policy violations only", () => {
        const log = new EventLog(() => undefined);
        const policy = (enforcementLevel: "mandatory" | "warning") =>
            ev({
                policyEvent: {
                    message: "shop:latest is not pinned\n",
                    color: "never",
                    policyName: "images-pinned",
                    policyPackName: "progressive-delivery-guardrails",
                    policyPackVersion: "0.1.0",
                    policyPackVersionTag: "0.1.0",
                    enforcementLevel,
                },
            });
        log.onEvent(policy("warning"));
        log.onEvent(policy("mandatory"));
        assert.deepStrictEqual(log.violations, ["images-pinned: shop:latest is not pinned"]);
    });

    it("the preview's plan, by app: a canary where the template hash changes or the rollout is new", () => {
        const log = new EventLog(() => undefined);
        log.onEvent(pre(ROLLOUT, "update", ["steps"]));
        log.onEvent(pre(ROLLOUT, "update", ["templateHash", "template"]));
        log.onEvent(pre(ROLLOUT, "create"));
        log.onEvent(pre(ROLLOUT, "same"));
        log.onEvent(pre("kubernetes:apps/v1:Deployment", "update", ["spec"]));
        // An app not known yet at preview: the resource's name stands in.
        log.onEvent(pre(ROLLOUT, "create", [], "04da6b54-80e4-46f7-96ec-b56ff0331ba9"));
        assert.deepStrictEqual(log.planned, [
            { app: "shop", op: "update", canary: false },
            { app: "shop", op: "update", canary: true },
            { app: "shop", op: "create", canary: true },
            { app: "shop-rollout", op: "create", canary: true },
        ]);
    });

    it("the provider's own preview line decides whether a canary runs, over the engine's diff", () => {
        const log = new EventLog(() => undefined);
        // The engine's event may carry no diffs; the provider printed its plan.
        log.onEvent(pre(ROLLOUT, "update", []));
        log.onEvent(
            diag(
                "[canary shop] preview: a canary will run for template 5104a0c0ff3a: setWeight 20% -> analysis (1 successful measurement)\n",
            ),
        );
        // A template that changed back to the promoted one: the diff says templateHash, the
        // provider says no canary.
        log.onEvent(pre(ROLLOUT, "update", ["templateHash"], "cart"));
        log.onEvent(
            diag(
                "[canary cart] preview: no canary will run: the pod template is unchanged (5104a0c0ff3a)\n",
            ),
        );
        assert.deepStrictEqual(log.planned, [
            { app: "shop", op: "update", canary: true },
            { app: "cart", op: "update", canary: false },
        ]);
    });

    it("a run's evidence from its CanaryRollout's outputs, only when this update made it", () => {
        const log = new EventLog(() => undefined);
        const before = run("2026-01-01T00:00:00Z");
        const promoted = run("2026-01-02T00:00:00Z");
        const rolledBack = run("2026-01-03T00:00:00Z", "Aborted");
        // No change, or only steps changed: the last run is history.
        log.onEvent(
            outputs("same", { app: "shop", lastRun: before }, { app: "shop", lastRun: before }),
        );
        log.onEvent(
            outputs("update", { app: "shop", lastRun: before }, { app: "shop", lastRun: before }),
        );
        // The preview's outputs, another type, a first deployment (no run): nothing.
        log.onEvent(
            outputs("update", undefined, { app: "shop", lastRun: promoted }, { planning: true }),
        );
        log.onEvent(
            outputs(
                "update",
                undefined,
                { app: "shop", lastRun: promoted },
                { type: "x:Deployment" },
            ),
        );
        log.onEvent(outputs("create", undefined, { app: "shop", lastRun: null }));
        // A secret or a shape that is not a run: nothing.
        log.onEvent(outputs("update", undefined, { app: "shop", lastRun: { ciphertext: "x" } }));
        assert.deepStrictEqual(log.runs, []);
        log.onEvent(
            outputs("update", { app: "shop", lastRun: before }, { app: "shop", lastRun: promoted }),
        );
        log.onEvent(outputs("create", undefined, { app: "cart", lastRun: rolledBack }));
        assert.deepStrictEqual(log.runs, [
            { app: "shop", run: promoted },
            { app: "cart", run: rolledBack },
        ]);
    });
});
