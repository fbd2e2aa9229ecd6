import * as assert from "assert";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { EventLog, RolloutLine } from "../../../../deployments/release/events";

let seq = 0;
const ev = (e: Partial<EngineEvent>): EngineEvent => ({ sequence: seq++, timestamp: 0, ...e });
const diag = (message: string, severity: "info" | "info#err" | "warning" | "error" = "info#err") =>
    ev({ diagnosticEvent: { message, color: "never", severity } });
const pre = (type: string, op: string, diffs?: string[]) =>
    ev({
        resourcePreEvent: {
            metadata: {
                op,
                urn: `urn:pulumi:dev::progressive-delivery::${type}::shop-rollout`,
                type,
                diffs,
                provider: "",
            } as never,
        },
    });
const ROLLOUT = "pulumi-nodejs:dynamic/progressive-delivery:CanaryRollout";

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

    it("the preview's plan: a canary where the template hash changes or the rollout is new", () => {
        const log = new EventLog(() => undefined);
        log.onEvent(pre(ROLLOUT, "update", ["steps"]));
        log.onEvent(pre(ROLLOUT, "update", ["templateHash", "template"]));
        log.onEvent(pre(ROLLOUT, "create"));
        log.onEvent(pre(ROLLOUT, "same"));
        log.onEvent(pre("kubernetes:apps/v1:Deployment", "update", ["spec"]));
        assert.deepStrictEqual(log.planned, [
            { resource: "shop-rollout", op: "update", canary: false },
            { resource: "shop-rollout", op: "update", canary: true },
            { resource: "shop-rollout", op: "create", canary: true },
        ]);
    });
});
