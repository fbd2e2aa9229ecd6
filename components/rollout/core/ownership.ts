// Whose is this object? The rollout writes only what this program created for the same app: it
// reads an object's metadata first and refuses one that another tool, controller or app owns.
// Pure, so each owner shape is unit-tested with its exact message.
import { show } from "./check";
import {
    APP_LABEL,
    FIELD_MANAGER,
    INSTANCE_LABEL,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    PULUMI_FIELD_MANAGER_PREFIX,
} from "./names";

/** The part of a Kubernetes object's metadata that says who owns it. */
export interface OwnedMeta {
    labels?: Record<string, string>;
    ownerReferences?: { kind?: string; name?: string }[];
    managedFields?: { manager?: string }[];
}

/**
 * Why the object is not app `app`'s, in words that name its owner; undefined when it is ours.
 *
 * Ours: labelled `app.kubernetes.io/managed-by: progressive-delivery` and
 * `app.kubernetes.io/instance: <app>`, with no owner references. Objects created by the code
 * before these labels carry only `app: <app>`; they count as ours when Pulumi (or the rollout)
 * wrote them, which their managedFields record (CanaryApp leaves their labels as they are, so
 * an upgrade previews no change).
 */
export function foreignOwner(meta: OwnedMeta, app: string): string | undefined {
    const refs = meta.ownerReferences ?? [];
    if (refs.length > 0) {
        const names = refs.map((r) => `${r.kind ?? "?"}/${r.name ?? "?"}`).join(", ");
        return `it is controlled by ${show(names)} (metadata.ownerReferences)`;
    }
    const labels = meta.labels ?? {};
    const managedBy = labels[MANAGED_BY_LABEL];
    if (managedBy !== undefined && managedBy !== MANAGED_BY) {
        return `it is managed by ${show(managedBy)} (label ${MANAGED_BY_LABEL})`;
    }
    if (managedBy === MANAGED_BY) {
        const instance = labels[INSTANCE_LABEL];
        if (instance === app) {
            return undefined;
        }
        return instance === undefined
            ? `it is labelled ${MANAGED_BY_LABEL}: ${MANAGED_BY} but names no app (no label ${INSTANCE_LABEL})`
            : `it belongs to app ${show(instance)} (label ${INSTANCE_LABEL})`;
    }
    const appLabel = labels[APP_LABEL];
    if (appLabel !== app) {
        return appLabel === undefined
            ? `it has neither the label ${MANAGED_BY_LABEL}: ${MANAGED_BY} nor ${APP_LABEL}: ${show(app)}`
            : `it is labelled ${APP_LABEL}: ${show(appLabel)} and has no label ${MANAGED_BY_LABEL}`;
    }
    const managers = [
        ...new Set((meta.managedFields ?? []).map((f) => f.manager ?? "").filter(Boolean)),
    ];
    if (managers.some((m) => m === FIELD_MANAGER || m.startsWith(PULUMI_FIELD_MANAGER_PREFIX))) {
        return undefined;
    }
    return (
        `it has no label ${MANAGED_BY_LABEL} and was written by ` +
        (managers.length === 0 ? "no field manager" : show(managers.join(", "))) +
        ", not by Pulumi"
    );
}

/** The way out of a refusal (notOursMessage ends with it). */
export const NOT_OURS_FIX =
    "give the app another app.name or app.namespace, or remove the other object";

/** The refusal, naming the object, its owner and the way out. */
export function notOursMessage(object: string, app: string, owner: string): string {
    return (
        `${object} is not CanaryApp ${show(app)}'s: ${owner}. The rollout writes and trusts only ` +
        `objects this program created, so nothing was changed; ${NOT_OURS_FIX}`
    );
}
