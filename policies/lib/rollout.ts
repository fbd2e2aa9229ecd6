// Reading a CanaryRollout's inputs: the normalized steps and the analysis metrics that
// CanaryApp passes (components/rollout/providerImpl.ts RolloutInputs).
import { asArray, asObject, at, Json } from "./resources";

export interface MetricRef {
    /** Position in rollout.analysis.metrics, for the config key in messages. */
    index: number;
    name: string;
    props: Json;
}

/** The rollout's threshold metrics; unknown entries are left out. */
export function metricsOf(rolloutProps: unknown): MetricRef[] {
    const list = asArray(at(rolloutProps, "metrics")) ?? [];
    const out: MetricRef[] = [];
    list.forEach((_m, index) => {
        const m = asObject(at(list, index));
        if (m) {
            const name = at(m, "name");
            out.push({ index, name: typeof name === "string" ? name : `#${index}`, props: m });
        }
    });
    return out;
}

/** `CanaryRollout "NAME" metric "METRIC"`, the subject of every analysis message. */
export function subject(rolloutName: string, m: MetricRef): string {
    return `CanaryRollout "${rolloutName}" metric "${m.name}"`;
}

/** The config key of a metric's field, e.g. rollout.analysis.metrics[0].window. */
export function key(m: MetricRef, field: string): string {
    return `progressive-delivery:rollout.analysis.metrics[${m.index}].${field}`;
}
