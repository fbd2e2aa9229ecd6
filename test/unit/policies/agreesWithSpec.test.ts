// The mandatory policies that read a CanaryRollout agree with the program's own check of it
// (checkRollout: checkSpec, the scrape interval and the Prometheus URL), and images-pinned with
// the config's OCI grammar: on generated inputs, the pack stops exactly what the program refuses.
// In one direction that makes the pack a superset of the program (nothing the config or the
// provider refuses gets past it); in the other it never stops what the program accepts, except
// where it is stricter by design (STRICTER). The pack ships alone and cannot import the program's
// rules, so these properties, not hand-kept parity, keep the two homes of each rule equal: a rule
// added to the program on a field of the inputs fails the field-by-field test below until the
// pack has it too.
import * as assert from "assert";
import { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { validateConfig } from "../../../components/config";
import { imageProblem as configImageProblem } from "../../../components/config/image";
import { RolloutInputs } from "../../../components/rollout/core/state";
import { checkRollout } from "../../../components/rollout/provider/impl";
import { imageProblem } from "../../../policies/imagesPinned";
import { policies } from "../../../policies/pack";
import { rollout } from "../../support/policyFixtures";

type Props = Record<string, any>;

const MANDATORY = policies.filter(
    (p) => p.enforcementLevel === "mandatory" && "validateResource" in p,
) as ResourceValidationPolicy[];
const ROLLOUT = rollout();

/** Mandatory violations on a CanaryRollout with these inputs (policies called directly, no proxy). */
function stopped(props: Props): string[] {
    const found: string[] = [];
    for (const p of MANDATORY) {
        const args = {
            type: ROLLOUT.type,
            name: ROLLOUT.name,
            props,
            notApplicable: () => {
                throw new Error("not applicable");
            },
        } as unknown as ResourceValidationArgs;
        try {
            void (p.validateResource as (a: unknown, r: (m: string) => void) => void)(args, (m) =>
                found.push(`${p.name}: ${m}`),
            );
        } catch (e) {
            if ((e as Error).message !== "not applicable") {
                throw e;
            }
        }
    }
    return found;
}

/** What the CanaryRollout provider's check refuses. */
const refused = (props: Props) =>
    checkRollout(props as RolloutInputs).map((f) => `${f.property}: ${f.reason}`);

/**
 * Where the pack is stricter than the program, on purpose: a metric without minRequests (the
 * engine would take 1; analysis-min-requests asks that the minimum be stated).
 */
const STRICTER = (path: string, value: unknown) =>
    /^metrics\.\d+\.minRequests$/.test(path) && (value === undefined || value === null);

/** One generated input: what it is, the props, and whether the pack may be stricter on it. */
interface Case {
    what: string;
    props: Props;
    stricter?: boolean;
}

/** Checks both directions on each case; returns how many the program refused. */
function agree(cases: Iterable<Case>): number {
    const wrong: string[] = [];
    let refusedCount = 0;
    for (const { what, props, stricter } of cases) {
        const program = refused(props);
        const pack = stopped(props);
        refusedCount += program.length > 0 ? 1 : 0;
        if (program.length > 0 && pack.length === 0) {
            wrong.push(
                `${what}: the program refuses (${program.join("; ")}), the pack lets it pass`,
            );
        } else if (program.length === 0 && pack.length > 0 && !stricter) {
            wrong.push(`${what}: the program accepts, the pack stops it (${pack.join("; ")})`);
        }
    }
    assert.deepStrictEqual(wrong.slice(0, 10), [], `${wrong.length} disagreements`);
    return refusedCount;
}

/** A seeded generator, so every run checks the same cases. */
function random(seed: number) {
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
    return { next, pick };
}

/** A CanaryRollout that uses every part of the spec: two metrics, a range, the judge, a webhook. */
function richInputs(): Props {
    const { config, errors } = validateConfig({
        monitoring: { install: false, prometheus: { url: "http://prometheus.example.com:9090" } },
        rollout: {
            steps: [
                { setWeight: 20 },
                { pause: { duration: "1m" } },
                { analysis: {} },
                { setWeight: 50 },
                { analysis: { count: 2 } },
            ],
            abortScaleDownDelay: "30s",
            analysis: {
                metrics: [
                    {},
                    {
                        name: "latency",
                        query: 'histogram_quantile(0.99, sum by (le) (rate(x_bucket{ingress="{{args.ingress}}"}[{{args.window}}])))',
                        requestsQuery:
                            'sum(increase(x_count{ingress="{{args.ingress}}"}[{{args.window}}]))',
                        successCondition: "result[0] < 0.5",
                        failureCondition: "result[0] > 2 || isNaN(result)",
                        range: [0, 60],
                    },
                ],
                judge: { enabled: true },
            },
            notifications: [{ name: "ops", format: "slack", events: ["Promoted", "RolledBack"] }],
        },
        notificationUrls: { ops: "https://hooks.example.com/ops" },
        router: { kind: "gateway-api", header: { name: "X-Canary", value: "always" } },
    });
    assert.deepStrictEqual(errors, []);
    return structuredClone(rollout(config).props);
}

/** Every path below the inputs the rules read, e.g. "metrics.1.range.0", in order. */
function paths(v: unknown, prefix: string): string[] {
    if (v === null || typeof v !== "object") {
        return [prefix];
    }
    return [prefix, ...Object.entries(v).flatMap(([k, x]) => paths(x, `${prefix}.${k}`))];
}

/** A copy of `props` with `value` at `path` (undefined deletes the key); only that input is copied. */
function withValue(props: Props, path: string, value: unknown): Props {
    const [input, ...keys] = path.split(".");
    const copy = { ...props, [input]: structuredClone(props[input]) };
    let target: any = copy;
    for (const k of [input, ...keys].slice(0, -1)) {
        target = target[k];
    }
    const last = [input, ...keys][keys.length];
    if (value === undefined) {
        delete target[last];
    } else {
        target[last] = structuredClone(value);
    }
    return copy;
}

const SPEC_INPUTS = [
    "steps",
    "deadlineSeconds",
    "abortScaleDownDelaySeconds",
    "metrics",
    "judge",
    "notifications",
    "scrapeIntervalSeconds",
    "prometheus",
    "router",
];

/** Values of every kind and at every bound of the spec, whatever the field. */
const POOL: unknown[] = [
    undefined,
    null,
    true,
    false,
    0,
    -1,
    0.25,
    0.5,
    1,
    2.5,
    4,
    100,
    101,
    600,
    601,
    1000,
    1001,
    3600,
    3601,
    86400,
    86401,
    1e9,
    1e10,
    NaN,
    Infinity,
    "",
    " ",
    "x",
    "5..",
    "4..",
    "json",
    "guard",
    "Paused",
    "result[0] >= 0.95",
    "true",
    "vector(1)",
    'sum(rate(x{service="{{args.service}"}[5m]))',
    "http://user:secret@prometheus:9090",
    "http://prometheus:9090/?token=x",
    [],
    {},
    [0, 1],
    [1, 0],
    [5, 5],
    ["Started"],
    { durationSeconds: 60 },
    { count: 1 },
    { setWeight: 50 },
    { analysis: {} },
];

describe("mandatory CanaryRollout policies agree with the program's check", function () {
    this.timeout(120_000);

    it("the inputs the tests start from pass both", () => {
        for (const props of [ROLLOUT.props, richInputs()]) {
            assert.deepStrictEqual(refused(props), []);
            assert.deepStrictEqual(stopped(props), []);
        }
    });

    it("field by field: every spec input, and each value of every kind and bound there", () => {
        const base = richInputs();
        const texts = (v: unknown): unknown[] =>
            typeof v === "string"
                ? [v]
                : v && typeof v === "object"
                  ? Object.values(v).flatMap(texts)
                  : [];
        // The base's own texts go where a text is (a metric's name copied to the other metric,
        // a query to a condition, ...).
        const own = [...new Set(texts(base))];
        const at = (path: string) => path.split(".").reduce((o: any, k) => o?.[k], base);
        const cases = function* (): Generator<Case> {
            for (const input of SPEC_INPUTS) {
                for (const path of paths(base[input], input)) {
                    for (const value of typeof at(path) === "string" ? [...POOL, ...own] : POOL) {
                        yield {
                            what: `${path} = ${String(JSON.stringify(value))}`,
                            props: withValue(base, path, value),
                            stricter: STRICTER(path, value),
                        };
                    }
                }
            }
        };
        const refusedCount = agree(cases());
        assert.ok(refusedCount > 1000, `not vacuous: ${refusedCount} refused`);
    });

    it("on 600 generated plans: steps, deadline, minRequests and queries", () => {
        const { next, pick } = random(7);
        const metric = ROLLOUT.props.metrics[0];
        const cases = function* (): Generator<Case> {
            for (let n = 0; n < 600; n++) {
                let steps: object[] = Array.from({ length: 1 + Math.floor(next() * 6) }, () =>
                    pick<() => object>([
                        () => ({ setWeight: pick([0, 10, 20, 20, 50, 80, 100, 120]) }),
                        () => ({ pause: { durationSeconds: pick([10, 60, 600]) } }),
                        () => ({ analysis: { count: pick([1, 2]) } }),
                    ])(),
                );
                if (next() < 0.6) {
                    // Mostly well-formed plans too: weights in order, then an analysis step.
                    const w = steps.flatMap((s) => ("setWeight" in s ? [s.setWeight] : []));
                    const sorted = [...new Set(w)].sort((a, b) => (a as number) - (b as number));
                    steps = steps
                        .map((s) => ("setWeight" in s ? sorted.shift() : -1) ?? null)
                        .flatMap((x, i) =>
                            x === null ? [] : x === -1 ? [steps[i]] : [{ setWeight: x }],
                        );
                    steps.push({ analysis: { count: 1 } });
                }
                const props = {
                    ...ROLLOUT.props,
                    steps,
                    deadlineSeconds: pick([60, 1800, 1800]),
                    scrapeIntervalSeconds: pick([10, 30]),
                    metrics: [
                        {
                            ...metric,
                            minRequests: pick([0, 1, 10, 10]),
                            query: pick([
                                metric.query,
                                metric.query,
                                "sum(irate(nginx_ingress_controller_requests[1m]))",
                            ]),
                        },
                    ],
                };
                yield { what: JSON.stringify(props.steps), props };
            }
        };
        const refusedCount = agree(cases());
        assert.ok(refusedCount > 50 && refusedCount < 550, `${refusedCount} of 600 refused`);
    });

    it("on 1200 generated conditions, over success rates and declared ranges", () => {
        const { next, pick } = random(11);
        // Mostly conditions the allow-list takes (so that "depends on the result" is what is
        // tested), with a few names, calls and syntax it refuses.
        const number = () => pick(["0", "1", "0.5", "0.95", "95", "60", "-1", "1e-9", "2"]);
        const arith = (depth: number): string =>
            depth <= 0 || next() < 0.4
                ? pick(["result", "result[0]", "result[0]", "result[0]", number(), number()])
                : pick<() => string>([
                      () => `${arith(depth - 1)} ${pick(["+", "-", "*", "/"])} ${arith(depth - 1)}`,
                      () => `-${arith(depth - 1)}`,
                      () => `(${arith(depth - 1)})`,
                      () => `${pick(["abs", "min", "max", "len", "abs"])}(${arith(depth - 1)})`,
                  ])();
        const comparison = () =>
            `${arith(2)} ${pick(["<", "<=", ">", ">=", "==", "!="])} ${arith(2)}`;
        const condition = (depth: number): string =>
            depth <= 0 || next() < 0.4
                ? next() < 0.9
                    ? comparison()
                    : pick([
                          "true",
                          "isNaN(result)",
                          "result[1] > 0",
                          "foo(result) > 1",
                          "constructor(result)",
                          "result[0] >=",
                          "'0.95' < result",
                          "result.length > 0",
                          "result",
                      ])
                : pick<() => string>([
                      () => `${condition(depth - 1)} ${pick(["&&", "||"])} ${condition(depth - 1)}`,
                      () => `!(${condition(depth - 1)})`,
                      () => `(${condition(depth - 1)})`,
                  ])();
        const metric = ROLLOUT.props.metrics[0];
        const cases = function* (): Generator<Case> {
            for (let n = 0; n < 1200; n++) {
                const range = pick([
                    undefined,
                    undefined,
                    [0, 1],
                    [0, 60],
                    [-5, 5],
                    [0.9, 1],
                    [1, 0],
                ]);
                const field = pick(["successCondition", "failureCondition"]);
                const m = { ...metric, [field]: condition(3), ...(range ? { range } : {}) };
                yield {
                    what: `${field} ${m[field]} over ${JSON.stringify(range)}`,
                    props: { ...ROLLOUT.props, metrics: [m] },
                };
            }
        };
        const refusedCount = agree(cases());
        assert.ok(refusedCount > 240 && refusedCount < 960, `${refusedCount} of 1200 refused`);
    });

    it("on 1500 generated query templates", () => {
        const { next, pick } = random(13);
        const pieces = [
            "sum(rate(x{",
            'service="{{args.service}}"',
            'ingress="{{args.ingress}}"',
            'namespace="{{args.namespace}}"',
            "[{{args.window}}]",
            "{{args.stableService}}",
            "{{ args.failureStatus }}",
            "{{args.service}",
            "{args.service}}",
            "{{window}}",
            "args.namespace",
            "{{args.foo}}",
            "}[5m]))",
            "irate(",
            "rate (",
            "vector(1)",
            " / ",
            "}",
            "{",
            "{{",
            "}}",
            " ",
        ];
        const metric = ROLLOUT.props.metrics[0];
        const cases = function* (): Generator<Case> {
            for (let n = 0; n < 1500; n++) {
                const q = Array.from({ length: 1 + Math.floor(next() * 5) }, () =>
                    pick(pieces),
                ).join("");
                const field = pick(["query", "requestsQuery"]);
                yield {
                    what: `${field} ${q}`,
                    props: { ...ROLLOUT.props, metrics: [{ ...metric, [field]: q }] },
                };
            }
        };
        const refusedCount = agree(cases());
        assert.ok(refusedCount > 300 && refusedCount < 1400, `${refusedCount} of 1500 refused`);
    });
});

describe("images-pinned agrees with the config's OCI grammar", () => {
    it("on every combination of registries, names, tags and digests", () => {
        const h = (n: number) => "0123456789abcdef".repeat(8).slice(0, n);
        const registries = [
            "",
            "localhost/",
            "localhost:5000/",
            "registry.example.com/",
            "registry.example.com:5000/",
            "Registry.Example.com/",
            "[::1]:5000/",
            "192.168.1.10:5000/",
            "registry_x.example.com/",
            "a..b/",
            "host:/",
            "https://",
            "-registry.io/",
        ];
        const names = [
            "nginx",
            "a",
            "team/app",
            "Nginx",
            "a__b",
            "a___b",
            "-app",
            "app-",
            "a.b",
            "",
            "a b",
            "$REPO",
        ];
        const tags = [
            "",
            ":",
            ":1",
            ":latest",
            ":v1.2",
            ":.1",
            ":-1",
            ":v1+b",
            `:${"1".repeat(128)}`,
            `:${"1".repeat(129)}`,
            "::1",
            ":${TAG}",
        ];
        const digests = [
            "",
            `@sha256:${h(64)}`,
            "@sha256:",
            `@sha256:${h(64).toUpperCase()}`,
            `@sha256:${h(63)}`,
            `@sha384:${h(96)}`,
            `@sha512:${h(128)}`,
            `@md5:${h(64)}`,
            `@${h(64)}`,
            "@constructor:abc",
            `@a@sha256:${h(64)}`,
        ];
        const wrong: string[] = [];
        let invalid = 0;
        for (const r of registries) {
            for (const n of names) {
                for (const t of tags) {
                    for (const d of digests) {
                        const ref = `${r}${n}${t}${d}`;
                        const config = configImageProblem(ref);
                        const pack = imageProblem(ref);
                        invalid += config ? 1 : 0;
                        if ((config === undefined) !== (pack === undefined)) {
                            wrong.push(
                                `${ref}: config ${config ?? "accepts"}; pack ${pack ?? "accepts"}`,
                            );
                        }
                    }
                }
            }
        }
        assert.deepStrictEqual(wrong.slice(0, 10), [], `${wrong.length} disagreements`);
        const total = registries.length * names.length * tags.length * digests.length;
        assert.ok(invalid > total / 2 && invalid < total, `${invalid} of ${total} refused`);
    });
});
