import * as assert from "assert";
import {
    resetFailed,
    RESTORED,
    rolledBackReason,
} from "../../../../../components/rollout/core/restore";

/** An error as adapters/kube.ts throws it: the failure and the fix apart from the message. */
function apiError(what: string, failure: string, fix: string, sep = ": "): Error {
    return Object.assign(new Error(`${what} failed: ${failure}${sep}${fix}`), { failure, fix });
}

const WHERE = "step 3/9 (setWeight 40%, weight 20%)";
const DENIED = 'HTTP 403: patch denied; needs patch on deployments in namespace "demo"';
const GRANT = "grant patch on deployments there";

describe("rollout/restore: the reason of a rolled-back run", () => {
    it("the reset did all its writes: the ordinary reason", () => {
        assert.strictEqual(
            rolledBackReason(
                "demo",
                WHERE,
                { abort: "success-rate 3 measurements failed" },
                { ok: true },
            ),
            `canary "demo" rolled back at ${WHERE}: success-rate 3 measurements failed${RESTORED}`,
        );
    });

    it("the same failure on another request (scale to 2, then to 0) is said once, its fix last", () => {
        const step = apiError("scaling Deployment demo/demo-canary to 2", DENIED, GRANT);
        const reset = apiError("scaling Deployment demo/demo-canary to 0", DENIED, GRANT);
        assert.strictEqual(
            rolledBackReason(
                "demo",
                WHERE,
                { error: step },
                { ok: false, write: "scale", error: reset },
            ),
            `canary "demo" rolled back at ${WHERE}: ${WHERE} failed: scaling Deployment demo/demo-canary to 2 failed: ${DENIED}; ` +
                "resetting traffic to stable failed the same way (scaling the canary to 0), so traffic is back on the stable version, but the canary keeps its pods. " +
                `Fix: ${GRANT}; the next pulumi up resets traffic first`,
        );
    });

    it("a different failure: both said, the reset's fix last (after '; ' too), nothing claimed restored", () => {
        const step = new Error("waiting for the canary failed: 1 of 2 pods ready");
        const reset = apiError(
            "setting the weight",
            "refused",
            "give the app another app.name",
            "; ",
        );
        assert.strictEqual(
            rolledBackReason(
                "demo",
                WHERE,
                { error: step },
                { ok: false, write: "weight", error: reset },
            ),
            `canary "demo" rolled back at ${WHERE}: ${WHERE} failed: waiting for the canary failed: 1 of 2 pods ready; ` +
                "resetting traffic to stable ALSO failed: setting the weight failed: refused, so nothing was reset: the weight and the canary's pods are as the step left them. " +
                "Fix: give the app another app.name; the next pulumi up resets traffic first",
        );
    });

    it("resetFailed reads the outcome back from either wording, never from a restored reason", () => {
        const step = new Error("x");
        const reasons = [
            rolledBackReason("demo", WHERE, { error: step }, { ok: true }),
            rolledBackReason(
                "demo",
                WHERE,
                { error: step },
                { ok: false, write: "weight", error: step },
            ),
            rolledBackReason(
                "demo",
                WHERE,
                { abort: "y" },
                { ok: false, write: "scale", error: step },
            ),
        ];
        assert.deepStrictEqual(reasons.map(resetFailed), [false, true, true]);
    });
});
