// Reading a CanaryRollout's inputs: the normalized spec (steps, deadline, metrics, judge,
// notifications) that CanaryApp passes (components/rollout/core/state.ts RolloutInputs), and the
// config keys messages name. Each part is read as a plain copy, or UNKNOWN during preview.
import { asArray, asObject, at, Json, plain, show } from "./resources";

/** The project's config namespace: messages name the key a user sets. */
export const CONFIG = "progressive-delivery:";

export interface MetricRef {
    /** Position in rollout.analysis.metrics, for the config key in messages. */
    index: number;
    name: string;
    /** The metric's fields, a plain copy. */
    props: Json;
}

/** A plain copy of one input of the rollout, or UNKNOWN (see plain). */
export function input(rolloutProps: unknown, field: string): unknown {
    return plain(at(rolloutProps, field));
}

/** The rollout's threshold metrics; entries unknown during preview or not objects are left out. */
export function metricsOf(rolloutProps: unknown): MetricRef[] {
    const list = asArray(at(rolloutProps, "metrics")) ?? [];
    const out: MetricRef[] = [];
    list.forEach((_m, index) => {
        const m = asObject(plain(at(list, index)));
        if (m) {
            const name = m.name;
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
    return `${CONFIG}rollout.analysis.metrics[${m.index}].${field}`;
}

/** A number of seconds as messages show it: 90 -> "90s"; anything else as show() does. */
export function seconds(v: unknown): string {
    return typeof v === "number" && Number.isFinite(v) ? `${v}s` : show(v);
}
