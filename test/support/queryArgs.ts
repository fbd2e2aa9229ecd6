// The query args of the demo app, as the provider fills them for a run (window aside).
import type { BaseArgs } from "../../components/rollout/core/queries";

export const DEMO_ARGS: BaseArgs = {
    namespace: "demo",
    service: "demo-canary",
    stableService: "demo-stable",
    ingress: "demo-canary",
    failureStatus: "5..",
};
