// Steps as a user writes them, resolved by the engine's own resolveSpec (and so checked by its
// rules): tests build plans the way the config layer does.
import { resolveSpec, Step, StepInput } from "../../components/rollout/core/spec";

export function stepsOf(input: StepInput[]): Step[] {
    const { spec, problems } = resolveSpec({ steps: input }, { scrapeIntervalSeconds: 2 });
    if (problems.length > 0) {
        throw new Error(`invalid test steps: ${JSON.stringify(problems)}`);
    }
    return spec.steps;
}
