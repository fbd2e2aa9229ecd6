// Runs CrossGuard policies the way the analyzer does (@pulumi/policy's server.js), without the
// gRPC server: props wrapped in the same unknown-checking proxy, `notApplicable` throwing, the
// pack-level catch of unknown values turned into a "can't run during preview" note, and every
// reportViolation call collected.
import * as assert from "assert";
import {
    Policies,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
    unknownCheckingProxy,
    UnknownValueError,
} from "@pulumi/policy";

/** The analyzer's sentinels for values unknown during preview (@pulumi/policy proxy.js). */
export const UNKNOWN_VALUE = {
    string: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    number: "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    array: "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    object: "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
};

/** The signature key and value of a secret in Pulumi's wire format (as mocks record it). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

export interface FakeResource {
    type: string;
    name: string;
    /** What resource policies see: the resource's inputs. */
    props: Record<string, any>;
    /** What stack policies see: the resource's outputs. Defaults to props. */
    outputs?: Record<string, any>;
    /** Parent URN, if any. */
    parent?: string;
}

export interface Violation {
    message: string;
    /** The resource reported against (stack policies), or the validated resource. */
    urn?: string;
}

export interface Outcome {
    violations: Violation[];
    /** The reason given to notApplicable, when the policy said so. */
    notApplicable?: string;
    /** The analyzer's note when the policy read an unknown value and threw. */
    unknown?: string;
}

export function urnOf(type: string, name: string, stack = "test"): string {
    return `urn:pulumi:${stack}::progressive-delivery::${type}::${name}`;
}

class NotApplicable extends Error {
    constructor(readonly reason?: string) {
        super(reason ?? "not applicable");
    }
}

/** Plain JSON with Pulumi's secret wrappers unwrapped, as the analyzer hands props to policies. */
export function unwrapSecrets(v: any): any {
    if (Array.isArray(v)) {
        return v.map(unwrapSecrets);
    }
    if (v && typeof v === "object") {
        if (v[SECRET_SIG] === SECRET_VALUE) {
            return unwrapSecrets(v.value);
        }
        return Object.fromEntries(
            Object.entries(v)
                .filter(([, x]) => x !== undefined)
                .map(([k, x]) => [k, unwrapSecrets(x)]),
        );
    }
    return v;
}

const isType = (type: string) => (resourceClass: any) =>
    typeof resourceClass?.__pulumiType === "string"
        ? resourceClass.__pulumiType === type
        : resourceClass?.isInstance?.({ __pulumiType: type }) === true;

const opts = (parent?: string) => ({
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...(parent ? { parent } : {}),
});

function collector(): { report: ReportViolation; violations: Violation[] } {
    const violations: Violation[] = [];
    return {
        violations,
        report: (message: string, urn?: string) =>
            violations.push(urn === undefined ? { message } : { message, urn }),
    };
}

async function settle(outcome: Outcome, run: () => Promise<void> | void): Promise<Outcome> {
    try {
        await run();
    } catch (e) {
        if (e instanceof NotApplicable) {
            outcome.notApplicable = e.reason;
        } else if (e instanceof UnknownValueError) {
            outcome.unknown = `can't run policy during preview: ${(e as Error).message}`;
        } else {
            throw e;
        }
    }
    return outcome;
}

/** Runs a resource policy's validations on one resource's inputs. */
export async function runResourcePolicy(
    policy: ResourceValidationPolicy,
    resource: FakeResource,
    config: Record<string, unknown> = {},
): Promise<Outcome> {
    const { report, violations } = collector();
    const outcome: Outcome = { violations };
    const validations = Array.isArray(policy.validateResource)
        ? policy.validateResource
        : policy.validateResource
          ? [policy.validateResource]
          : [];
    for (const validate of validations) {
        const pulumiType = (validate as { __pulumiType?: string }).__pulumiType;
        if (pulumiType && pulumiType !== resource.type) {
            // The analyzer's fast path: the marked type does not match, the policy is not called.
            outcome.notApplicable = `Policy only applies to resources of type '${pulumiType}'`;
            continue;
        }
        const props = unknownCheckingProxy(unwrapSecrets(resource.props));
        const args: ResourceValidationArgs = {
            type: resource.type,
            props,
            urn: urnOf(resource.type, resource.name),
            name: resource.name,
            opts: opts(resource.parent),
            stackTags: new Map(),
            isType: isType(resource.type),
            asType: ((cls: any) => (isType(resource.type)(cls) ? props : undefined)) as any,
            getConfig: <T extends object>() => config as T,
            notApplicable: (reason?: string): never => {
                throw new NotApplicable(reason);
            },
        };
        await settle(outcome, () => validate(args, report));
    }
    return outcome;
}

/** Runs a stack policy over the resources' outputs. */
export async function runStackPolicy(
    policy: StackValidationPolicy,
    resources: FakeResource[],
    config: Record<string, unknown> = {},
): Promise<Outcome> {
    const { report, violations } = collector();
    const policyResources: PolicyResource[] = resources.map((r) => {
        const props = unknownCheckingProxy(unwrapSecrets(r.outputs ?? r.props));
        return {
            type: r.type,
            props,
            urn: urnOf(r.type, r.name),
            name: r.name,
            opts: opts(r.parent),
            dependencies: [],
            propertyDependencies: {},
            isType: isType(r.type),
            asType: ((cls: any) => (isType(r.type)(cls) ? props : undefined)) as any,
        };
    });
    const byUrn = new Map(policyResources.map((r) => [r.urn, r]));
    resources.forEach((r, i) => {
        if (r.parent && byUrn.has(r.parent)) {
            policyResources[i].parent = byUrn.get(r.parent);
        }
    });
    const args: StackValidationArgs = {
        resources: policyResources,
        stackTags: new Map(),
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
    return settle({ violations }, () => policy.validateStack(args, report));
}

export interface PackViolation {
    policy: string;
    resource?: string;
    message: string;
}

export interface PackRun {
    violations: PackViolation[];
    /** Policy names that applied to at least one resource (or to the stack). */
    applied: Set<string>;
    /** "can't run during preview" notes, by policy. */
    unknown: PackViolation[];
}

/**
 * Runs every policy of a pack as the engine would at the end of an update: each resource
 * policy on each resource's inputs, each stack policy once over all outputs.
 */
export async function runPack(policies: Policies, resources: FakeResource[]): Promise<PackRun> {
    const run: PackRun = { violations: [], applied: new Set(), unknown: [] };
    for (const policy of policies) {
        const outcomes: { resource?: string; outcome: Outcome }[] = [];
        if ("validateStack" in policy) {
            outcomes.push({ outcome: await runStackPolicy(policy, resources) });
        } else {
            for (const r of resources) {
                outcomes.push({ resource: r.name, outcome: await runResourcePolicy(policy, r) });
            }
        }
        for (const { resource, outcome } of outcomes) {
            if (outcome.notApplicable === undefined) {
                run.applied.add(policy.name);
            }
            for (const v of outcome.violations) {
                run.violations.push({ policy: policy.name, resource, message: v.message });
            }
            if (outcome.unknown) {
                run.unknown.push({ policy: policy.name, resource, message: outcome.unknown });
            }
        }
    }
    return run;
}

/** The policy applied, read nothing unknown, and reported exactly `messages`, in order. */
export function assertViolations(outcome: Outcome, messages: string[]): void {
    assert.strictEqual(outcome.notApplicable, undefined, "the policy said it does not apply");
    assert.strictEqual(outcome.unknown, undefined, "the policy read an unknown value");
    assert.deepStrictEqual(
        outcome.violations.map((v) => v.message),
        messages,
    );
}

/** The policy applied and reported nothing. */
export function assertPasses(outcome: Outcome): void {
    assertViolations(outcome, []);
}
