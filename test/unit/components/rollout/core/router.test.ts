// The `router` key (core/spec/router.ts), each router's default queries and the judge's counters.
import * as assert from "assert";
import { validateConfig } from "../../../../../components/config";
import {
    judgeAgeQuery,
    judgeMetric,
    judgeQueries,
} from "../../../../../components/rollout/core/judge/metric";
import { ROUTER_QUERIES } from "../../../../../components/rollout/core/queries";
import {
    resolveRouter,
    ROUTER_KINDS,
    type RouterKind,
    SPEC_DEFAULTS,
} from "../../../../../components/rollout/core/spec";
import { resolveSpec } from "../../../../../components/rollout/core/spec";
import { DEMO_ARGS } from "../../../../support/queryArgs";

const APP = { name: "shop", namespace: "web" };
const messages = (raw: unknown) =>
    resolveRouter(raw, APP).problems.map((p) => `${p.path}: ${p.message}`);

describe("router: config", () => {
    it("defaults to ingress-nginx without a header; gateway-api gets <app>-gateway in the app's namespace, created, class istio", () => {
        assert.deepStrictEqual(resolveRouter(undefined, APP), {
            router: { kind: "ingress-nginx" },
            problems: [],
        });
        assert.deepStrictEqual(
            resolveRouter(
                { kind: "gateway-api", header: { name: "X-Canary", value: "always" } },
                APP,
            ),
            {
                router: {
                    kind: "gateway-api",
                    header: { name: "X-Canary", value: "always" },
                    gateway: {
                        name: "shop-gateway",
                        namespace: "web",
                        create: true,
                        className: "istio",
                    },
                },
                problems: [],
            },
        );
    });

    const cases: [string, unknown, string[]][] = [
        [
            "an unknown kind",
            { kind: "nginx" },
            [
                'router.kind: "nginx" is not a router; use "ingress-nginx" (default: the canary Ingress\' weight annotation) or "gateway-api" (an HTTPRoute\'s backendRef weights)',
            ],
        ],
        [
            "a header name with a space",
            { header: { name: "X Canary", value: "always" } },
            [
                'router.header.name: "X Canary" is not valid: use an HTTP header name: letters, digits and !#$%&\'*+-.^_`|~ (an RFC 7230 token, at most 256 characters), e.g. "X-Canary"',
            ],
        ],
        [
            "a header without a value",
            { header: { name: "X-Canary" } },
            [
                'router.header.value: must not be empty; use 1 to 256 visible ASCII characters (spaces only between them), e.g. "always"; requests with exactly this value reach the canary',
            ],
        ],
        [
            "a header value with a trailing space",
            { header: { name: "X-Canary", value: "always " } },
            [
                'router.header.value: "always " is not valid: use 1 to 256 visible ASCII characters (spaces only between them), e.g. "always"; requests with exactly this value reach the canary',
            ],
        ],
        [
            "a gateway with ingress-nginx",
            { gateway: { name: "edge" } },
            [
                'router.gateway: is set, but router.kind is "ingress-nginx"; set router.kind to "gateway-api" to route with an HTTPRoute, or remove router.gateway',
            ],
        ],
        [
            "a className for a Gateway the program does not create",
            { kind: "gateway-api", gateway: { name: "edge", create: false, className: "istio" } },
            [
                "router.gateway.className: is set, but router.gateway.create is false: the existing Gateway has its own class; remove className, or set create to true to have the program create the Gateway",
            ],
        ],
        [
            "a Gateway name that is not a Kubernetes name",
            { kind: "gateway-api", gateway: { name: "Edge_1" } },
            [
                "router.gateway.name: \"Edge_1\" is not valid: use a Kubernetes name: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
            ],
        ],
        [
            "create that is not a boolean",
            { kind: "gateway-api", gateway: { create: "yes" } },
            ['router.gateway.create: must be true or false, got "yes"'],
        ],
        [
            "an unknown key",
            { kind: "gateway-api", weight: 5 },
            ["router.weight: is not a known key; known keys are kind, gateway, header"],
        ],
    ];
    for (const [name, raw, want] of cases) {
        it(`${name}: the key, the value and the fix`, () => {
            assert.deepStrictEqual(messages(raw), want);
        });
    }

    it("the config layer prefixes the key, and refuses TLS with gateway-api", () => {
        assert.deepStrictEqual(
            validateConfig({ router: { kind: "gateway-api" }, tls: { enabled: true } }).errors,
            [
                'progressive-delivery:tls.enabled: is true, but router.kind is "gateway-api", whose Gateway listens on HTTP only here; terminate TLS at a Gateway you manage (router.gateway.create: false), or set tls.enabled to false',
            ],
        );
        assert.deepStrictEqual(validateConfig({ router: { kind: 1 } }).errors, [
            'progressive-delivery:router.kind: 1 is not a router; use "ingress-nginx" (default: the canary Ingress\' weight annotation) or "gateway-api" (an HTTPRoute\'s backendRef weights)',
        ]);
    });
});

describe("router: default queries and the judge's counters", () => {
    it("ingress-nginx: nginx_ingress_controller_requests by namespace, service and status", () => {
        assert.deepStrictEqual(ROUTER_QUERIES["ingress-nginx"], {
            successRate:
                'sum(rate(nginx_ingress_controller_requests{namespace="{{args.namespace}}",service="{{args.service}}",status!~"{{args.failureStatus}}"}[{{args.window}}])) / sum(rate(nginx_ingress_controller_requests{namespace="{{args.namespace}}",service="{{args.service}}"}[{{args.window}}]))',
            requests:
                'sum(increase(nginx_ingress_controller_requests{namespace="{{args.namespace}}",service="{{args.service}}"}[{{args.window}}]))',
            canarySeries:
                'nginx_ingress_controller_requests{namespace="{{args.namespace}}",service="{{args.service}}"}',
        });
    });

    it("gateway-api: Istio's istio_requests_total from the gateway (reporter=source), by destination Service and response_code", () => {
        assert.deepStrictEqual(ROUTER_QUERIES["gateway-api"], {
            successRate:
                'sum(rate(istio_requests_total{reporter="source",destination_service_namespace="{{args.namespace}}",destination_service_name="{{args.service}}",response_code!~"{{args.failureStatus}}"}[{{args.window}}])) / sum(rate(istio_requests_total{reporter="source",destination_service_namespace="{{args.namespace}}",destination_service_name="{{args.service}}"}[{{args.window}}]))',
            requests:
                'sum(increase(istio_requests_total{reporter="source",destination_service_namespace="{{args.namespace}}",destination_service_name="{{args.service}}"}[{{args.window}}]))',
            canarySeries:
                'istio_requests_total{reporter="source",destination_service_namespace="{{args.namespace}}",destination_service_name="{{args.service}}"}',
        });
    });

    it("a metric left to its default gets its router's queries", () => {
        const spec = (router?: "gateway-api") =>
            resolveSpec(undefined, { scrapeIntervalSeconds: 15, router }).spec.metrics[0];
        assert.strictEqual(spec().query, ROUTER_QUERIES["ingress-nginx"].successRate);
        assert.strictEqual(spec("gateway-api").query, ROUTER_QUERIES["gateway-api"].successRate);
        assert.strictEqual(
            spec("gateway-api").requestsQuery,
            ROUTER_QUERIES["gateway-api"].requests,
        );
    });

    it("a query that does not select the canary is refused with the router's own example", () => {
        const { problems } = resolveSpec(
            { analysis: { metrics: [{ query: "vector(1)" }] } },
            { scrapeIntervalSeconds: 15, router: "gateway-api" },
        );
        assert.deepStrictEqual(
            problems.map((p) => `${p.path}: ${p.message}`),
            [
                'rollout.analysis.metrics[0].query: "vector(1)" uses neither {{args.service}} nor {{args.ingress}}, so it does not measure the canary (vector(1) would pass every canary); select the canary\'s series, e.g. istio_requests_total{reporter="source",destination_service_namespace="{{args.namespace}}",destination_service_name="{{args.service}}"}',
            ],
        );
    });

    it("the judge's four counters for Istio", () => {
        assert.deepStrictEqual(judgeQueries("gateway-api"), {
            canaryRequests:
                'sum(istio_requests_total{reporter="source",destination_service_namespace="{{args.namespace}}",destination_service_name="{{args.service}}"})',
            canaryFailures:
                'sum(istio_requests_total{reporter="source",destination_service_namespace="{{args.namespace}}",destination_service_name="{{args.service}}",response_code=~"{{args.failureStatus}}"})',
            stableRequests:
                'sum(istio_requests_total{reporter="source",destination_service_namespace="{{args.namespace}}",destination_service_name="{{args.stableService}}"})',
            stableFailures:
                'sum(istio_requests_total{reporter="source",destination_service_namespace="{{args.namespace}}",destination_service_name="{{args.stableService}}",response_code=~"{{args.failureStatus}}"})',
        });
    });

    it("the age of the judge's latest sample: the stable Service's series of each router", () => {
        assert.strictEqual(
            judgeAgeQuery("ingress-nginx"),
            'time() - max(timestamp(nginx_ingress_controller_requests{namespace="{{args.namespace}}",service="{{args.stableService}}"}))',
        );
        assert.strictEqual(
            judgeAgeQuery("gateway-api"),
            'time() - max(timestamp(istio_requests_total{reporter="source",destination_service_namespace="{{args.namespace}}",destination_service_name="{{args.stableService}}"}))',
        );
    });

    /** The queries the judge sends, rendered for the demo app: the four counters, then their age. */
    const SENT: Record<RouterKind, string[]> = {
        "ingress-nginx": [
            'sum(nginx_ingress_controller_requests{namespace="demo",service="demo-canary"})',
            'sum(nginx_ingress_controller_requests{namespace="demo",service="demo-canary",status=~"5.."})',
            'sum(nginx_ingress_controller_requests{namespace="demo",service="demo-stable"})',
            'sum(nginx_ingress_controller_requests{namespace="demo",service="demo-stable",status=~"5.."})',
            'time() - max(timestamp(nginx_ingress_controller_requests{namespace="demo",service="demo-stable"}))',
        ],
        "gateway-api": [
            'sum(istio_requests_total{reporter="source",destination_service_namespace="demo",destination_service_name="demo-canary"})',
            'sum(istio_requests_total{reporter="source",destination_service_namespace="demo",destination_service_name="demo-canary",response_code=~"5.."})',
            'sum(istio_requests_total{reporter="source",destination_service_namespace="demo",destination_service_name="demo-stable"})',
            'sum(istio_requests_total{reporter="source",destination_service_namespace="demo",destination_service_name="demo-stable",response_code=~"5.."})',
            'time() - max(timestamp(istio_requests_total{reporter="source",destination_service_namespace="demo",destination_service_name="demo-stable"}))',
        ],
    };
    for (const router of ROUTER_KINDS) {
        it(`the judge sends its router's queries, rendered: ${router}`, async () => {
            const sent: string[] = [];
            const judge = judgeMetric(
                { ...SPEC_DEFAULTS.judge, intervalSeconds: 15 },
                { ...DEMO_ARGS, scrapeIntervalSeconds: 15, deadlineSeconds: 600, router },
                {
                    query: async (q) => {
                        sent.push(q);
                        return { values: [1] };
                    },
                },
            );
            const ctx = { stepIndex: 0, weight: 20, canaryTrafficSeconds: 0, weights: [] };
            await judge.measure(ctx);
            assert.deepStrictEqual(sent, SENT[router]);
        });
    }
});
