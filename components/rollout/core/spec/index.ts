// The rollout specification, the one home of each rule: its types, defaults and bounds
// (types.ts); the reading of the user's `rollout` key (resolve.ts: resolveSpec, for the config
// layer); every rule on a normalized spec (rules.ts: checkSpec, also run by the CanaryRollout
// provider's check; a metric's queries, range and conditions in metricRules.ts; the `router`
// key in router.ts). The policy pack ships alone, mirrors the mandatory rules, and is tested
// against checkSpec (test/unit/policies/agreesWithSpec.test.ts).
export * from "./types";
export { resolveSpec } from "./resolve";
export { checkJudge, checkSpec } from "./rules";
export { checkHeader, checkRouter, checkRouterKind, resolveRouter, ROUTER } from "./router";
