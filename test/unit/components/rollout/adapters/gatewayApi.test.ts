// The gateway-api router's rules (pure): the weighted rule's two weights, and the header rule.
import * as assert from "assert";
import {
    RouteRule,
    rulesWithHeader,
    rulesWithWeight,
} from "../../../../../components/rollout/adapters/routers/gatewayApi";

const SVC = { stableService: "demo-stable", canaryService: "demo-canary" };
const ROUTE = "HTTPRoute demo/demo";
const PATH = [{ path: { type: "PathPrefix", value: "/shop" } }];
/** The route as CanaryApp creates it (the API server adds group and kind to backendRefs). */
const weighted = (stable: number, canary: number): RouteRule => ({
    matches: PATH,
    backendRefs: [
        { group: "", kind: "Service", name: "demo-stable", port: 80, weight: stable },
        { group: "", kind: "Service", name: "demo-canary", port: 80, weight: canary },
    ],
});
const HEADER = { name: "X-Canary", value: "always" };
const headerRule: RouteRule = {
    matches: [
        {
            path: { type: "PathPrefix", value: "/shop" },
            headers: [{ type: "Exact", name: "X-Canary", value: "always" }],
        },
    ],
    backendRefs: [{ group: "", kind: "Service", name: "demo-canary", port: 80, weight: 1 }],
};

describe("gateway-api router: rules", () => {
    it("sets the canary's weight and stable's to the rest", () => {
        assert.deepStrictEqual(rulesWithWeight([weighted(100, 0)], SVC, 40, ROUTE), [
            weighted(60, 40),
        ]);
        assert.deepStrictEqual(rulesWithWeight([headerRule, weighted(60, 40)], SVC, 0, ROUTE), [
            headerRule,
            weighted(100, 0),
        ]);
    });

    it("writes nothing when the weights are already so", () => {
        assert.strictEqual(rulesWithWeight([weighted(80, 20)], SVC, 20, ROUTE), undefined);
    });

    it("the header rule goes first, with the weighted rule's match plus the header, to the canary alone", () => {
        assert.deepStrictEqual(rulesWithHeader([weighted(100, 0)], SVC, HEADER, ROUTE), [
            headerRule,
            weighted(100, 0),
        ]);
        assert.strictEqual(
            rulesWithHeader([headerRule, weighted(100, 0)], SVC, HEADER, ROUTE),
            undefined,
        );
    });

    it("off removes any header rule, even one of an older header; nothing to remove is no write", () => {
        const old = {
            ...headerRule,
            matches: [{ ...PATH[0], headers: [{ name: "X-Old", value: "1" }] }],
        };
        assert.deepStrictEqual(rulesWithHeader([old, weighted(70, 30)], SVC, undefined, ROUTE), [
            weighted(70, 30),
        ]);
        assert.strictEqual(rulesWithHeader([weighted(100, 0)], SVC, undefined, ROUTE), undefined);
    });

    it("a new header replaces the old header rule", () => {
        const other = { name: "X-Beta", value: "yes" };
        const next = rulesWithHeader([headerRule, weighted(100, 0)], SVC, other, ROUTE)!;
        assert.deepStrictEqual(next.length, 2);
        assert.deepStrictEqual(next[0].matches![0].headers, [
            { type: "Exact", name: "X-Beta", value: "yes" },
        ]);
    });

    it("a route without the weighted rule (changed outside Pulumi) is refused, naming both Services and the fix", () => {
        const message =
            "HTTPRoute demo/demo has no rule with backendRefs to both demo-stable and demo-canary, so the rollout cannot weigh them; it was changed outside Pulumi: run `pulumi refresh`, then `pulumi up` to restore it";
        assert.throws(() => rulesWithWeight([headerRule], SVC, 20, ROUTE), { message });
        assert.throws(() => rulesWithHeader([], SVC, HEADER, ROUTE), { message });
    });
});
