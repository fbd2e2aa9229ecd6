import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { validateConfig } from "../../../components/config";
import { ISTIO_SUCCESS_RATE_QUERY } from "../../../components/rollout/core/queries";
import { installMocks, one, Recorded, settle, valueOf } from "../../support/mocks";

describe("CanaryApp", () => {
    let created: Recorded[];
    let mod: typeof import("../../../components/canaryApp");
    let app: import("../../../components/canaryApp").CanaryApp;
    const { config } = validateConfig({
        app: { image: "argoproj/rollouts-demo:yellow", host: "demo.example.com", path: "/shop" },
    });

    before(async () => {
        created = installMocks();
        mod = await import("../../../components/canaryApp");
        app = new mod.CanaryApp("demo", {
            app: config.app,
            rollout: config.rollout,
            prometheus: { url: "http://127.0.0.1:19090", timeoutSeconds: 5 },
            scrapeIntervalSeconds: 2,
            kubeconfig: pulumi.secret("apiVersion: v1\nkind: Config\n"),
        });
        await valueOf(app.url);
        await settle();
    });

    const svc = (name: string) => one(created, "core/v1:Service", `demo-${name}`);
    const dep = (name: string) => one(created, "apps/v1:Deployment", `demo-${name}`);

    it("Services select exactly the pods of their track", () => {
        for (const track of ["stable", "canary"]) {
            const selector = svc(track).inputs.spec.selector;
            assert.deepStrictEqual(selector, { app: "rollouts-demo", track });
            const d = dep(track).inputs.spec;
            assert.deepStrictEqual(d.selector.matchLabels, selector);
            assert.deepStrictEqual(d.template.metadata.labels, selector);
            assert.strictEqual(svc(track).inputs.spec.ports[0].targetPort, "http");
        }
    });

    it("the canary Ingress is an ingress-nginx canary of the stable host and path, weight left to the rollout", () => {
        const stable = one(created, "networking.k8s.io/v1:Ingress", "demo-stable").inputs;
        const canary = one(created, "networking.k8s.io/v1:Ingress", "demo-canary").inputs;
        assert.deepStrictEqual(canary.metadata.annotations, {
            "nginx.ingress.kubernetes.io/canary": "true",
        });
        assert.strictEqual(
            canary.metadata.annotations["nginx.ingress.kubernetes.io/canary-weight"],
            undefined,
        );
        assert.strictEqual(canary.spec.rules[0].host, stable.spec.rules[0].host);
        assert.strictEqual(canary.spec.rules[0].host, "demo.example.com");
        assert.strictEqual(canary.spec.rules[0].http.paths[0].path, "/shop");
        assert.strictEqual(stable.spec.rules[0].http.paths[0].path, "/shop");
        assert.strictEqual(
            canary.spec.rules[0].http.paths[0].backend.service.name,
            "rollouts-demo-canary",
        );
        assert.strictEqual(
            stable.spec.rules[0].http.paths[0].backend.service.name,
            "rollouts-demo-stable",
        );
        assert.strictEqual(canary.spec.ingressClassName, "nginx");
        assert.strictEqual(canary.spec.tls, undefined);
    });

    it("the canary Deployment runs the desired template with no replicas in the manifest", () => {
        const canary = dep("canary").inputs.spec;
        assert.strictEqual(canary.replicas, undefined);
        assert.strictEqual(
            canary.template.spec.containers[0].image,
            "argoproj/rollouts-demo:yellow",
        );
    });

    it("the stable Deployment runs the rollout's promoted template, annotated with its hash", () => {
        const stable = dep("stable").inputs;
        const rollout = one(created, "CanaryRollout", "demo-rollout").inputs;
        assert.strictEqual(stable.spec.replicas, 4);
        assert.deepStrictEqual(stable.spec.template, mod.withTrack(rollout.template, "stable"));
        assert.strictEqual(
            stable.metadata.annotations["progressive-delivery/template-hash"],
            rollout.templateHash,
        );
        assert.strictEqual(rollout.templateHash, mod.templateHash(mod.podTemplate(config.app)));
    });

    it("the rollout gets names, steps, analysis and the Prometheus endpoint; the kubeconfig only as a secret", () => {
        const r = one(created, "CanaryRollout", "demo-rollout").inputs;
        assert.strictEqual(r.canaryDeployment, "rollouts-demo-canary");
        assert.strictEqual(r.stableDeployment, "rollouts-demo-stable");
        assert.strictEqual(r.canaryIngress, "rollouts-demo-canary");
        assert.strictEqual(r.canaryService, "rollouts-demo-canary");
        assert.strictEqual(r.namespace, "rollouts-demo");
        assert.deepStrictEqual(r.steps, config.rollout.steps);
        assert.strictEqual(r.metrics[0].successCondition, "result[0] >= 0.95");
        assert.deepStrictEqual(r.prometheus, { url: "http://127.0.0.1:19090", timeoutSeconds: 5 });
        assert.strictEqual(typeof r.__provider, "string");
        assert.ok(
            !r.__provider.includes("apiVersion: v1"),
            "the serialized provider must not carry the kubeconfig",
        );
    });

    it("the Deployments', Services' and Ingresses' metadata, and no pod template, carry the ownership labels", () => {
        const owned = {
            "app.kubernetes.io/managed-by": "progressive-delivery",
            "app.kubernetes.io/instance": "rollouts-demo",
        };
        const labelsOf = (type: string, name: string) =>
            one(created, type, name).inputs.metadata.labels;
        for (const track of ["stable", "canary"]) {
            const expected = { app: "rollouts-demo", track, ...owned };
            assert.deepStrictEqual(labelsOf("apps/v1:Deployment", `demo-${track}`), expected);
            assert.deepStrictEqual(labelsOf("core/v1:Service", `demo-${track}`), expected);
            assert.deepStrictEqual(labelsOf("networking.k8s.io/v1:Ingress", `demo-${track}`), {
                app: "rollouts-demo",
                ...owned,
            });
            // The template is what the canary's hash covers: it did not change.
            assert.deepStrictEqual(dep(track).inputs.spec.template.metadata, {
                labels: { app: "rollouts-demo", track },
            });
        }
    });

    it("the ownership labels are the only metadata the previous code did not set, and are ignored as changes", () => {
        // What the code before the ownership labels registered (commit 3f95fc5).
        const previous: Record<string, object> = {
            "apps/v1:Deployment demo-canary": { app: "rollouts-demo", track: "canary" },
            "apps/v1:Deployment demo-stable": { app: "rollouts-demo", track: "stable" },
            "core/v1:Service demo-canary": { app: "rollouts-demo", track: "canary" },
            "core/v1:Service demo-stable": { app: "rollouts-demo", track: "stable" },
            "networking.k8s.io/v1:Ingress demo-canary": { app: "rollouts-demo" },
            "networking.k8s.io/v1:Ingress demo-stable": { app: "rollouts-demo" },
            "core/v1:Namespace demo-ns": undefined as unknown as object,
        };
        // Pulumi's ignoreChanges resets each path to the old inputs' value: a key the old
        // inputs lack is deleted from the new ones.
        const ignored = mod
            .ownershipIgnoreChanges("rollouts-demo")
            .map((p) => /^metadata\.labels\["(.+)"\]$/.exec(p)![1]);
        assert.deepStrictEqual(ignored, [
            "app.kubernetes.io/managed-by",
            "app.kubernetes.io/instance",
        ]);
        for (const [key, labels] of Object.entries(previous)) {
            const [type, name] = key.split(" ");
            const now = { ...one(created, type, name).inputs.metadata.labels };
            for (const k of ignored) {
                delete now[k];
            }
            assert.deepStrictEqual(
                Object.keys(now).length === 0 && labels === undefined ? undefined : now,
                labels,
                key,
            );
        }
    });

    it("a system namespace, allowed explicitly, is used but not created (nor deleted)", async () => {
        const sys = validateConfig({
            app: { name: "sys", namespace: "kube-system", allowSystemNamespace: true },
        });
        assert.deepStrictEqual(sys.errors, []);
        new mod.CanaryApp("sys", {
            app: sys.config.app,
            rollout: sys.config.rollout,
            prometheus: { url: "http://p:9090", timeoutSeconds: 5 },
            scrapeIntervalSeconds: 30,
        });
        await settle();
        assert.deepStrictEqual(
            created.filter((r) => r.name === "sys-ns"),
            [],
        );
        assert.strictEqual(
            one(created, "apps/v1:Deployment", "sys-canary").inputs.metadata.namespace,
            "kube-system",
        );
    });

    it("completion runs after stable with the promoted hash", () => {
        const c = one(created, "CanaryCompletion", "demo-completion").inputs;
        assert.strictEqual(
            c.promotedHash,
            one(created, "CanaryRollout", "demo-rollout").inputs.templateHash,
        );
        assert.strictEqual(c.canaryDeployment, "rollouts-demo-canary");
    });

    it("registers its outputs", async () => {
        assert.strictEqual(await valueOf(app.url), "http://demo.example.com/shop");
        assert.strictEqual(await valueOf(app.canaryService), "rollouts-demo-canary");
        assert.strictEqual(await valueOf(app.stableService), "rollouts-demo-stable");
    });

    it("the template hash ignores key order and changes with the image", () => {
        const t = mod.podTemplate(config.app);
        const reordered = JSON.parse(JSON.stringify({ spec: t.spec, metadata: t.metadata }));
        assert.strictEqual(mod.templateHash(reordered), mod.templateHash(t));
        assert.notStrictEqual(
            mod.templateHash(
                mod.podTemplate({ ...config.app, image: "argoproj/rollouts-demo:red" }),
            ),
            mod.templateHash(t),
        );
    });

    it("TLS: an Issuer, the annotation on stable, and the same secret on both Ingresses", async () => {
        const tlsCfg = validateConfig({
            app: { name: "secure", namespace: "secure", host: "secure.example.com" },
            tls: { enabled: true },
        }).config;
        const a = new mod.CanaryApp("secure", {
            app: tlsCfg.app,
            rollout: tlsCfg.rollout,
            tls: tlsCfg.tls,
            prometheus: { url: "http://p:9090", timeoutSeconds: 5 },
            scrapeIntervalSeconds: 30,
        });
        assert.strictEqual(await valueOf(a.url), "https://secure.example.com/");
        await settle();
        const issuer = one(created, "cert-manager.io/v1:Issuer", "secure-issuer").inputs;
        assert.deepStrictEqual(issuer.spec, { selfSigned: {} });
        const stable = one(created, "networking.k8s.io/v1:Ingress", "secure-stable").inputs;
        const canary = one(created, "networking.k8s.io/v1:Ingress", "secure-canary").inputs;
        assert.strictEqual(stable.metadata.annotations["cert-manager.io/issuer"], "secure-issuer");
        assert.deepStrictEqual(stable.spec.tls, [
            { hosts: ["secure.example.com"], secretName: "secure-tls" },
        ]);
        assert.deepStrictEqual(canary.spec.tls, stable.spec.tls);
    });

    it("router gateway-api: a Gateway and an HTTPRoute at weight 0, no Ingress; the rollout gets the route and the header", async () => {
        const gw = validateConfig({
            app: { name: "gw", namespace: "gw", host: "gw.example.com", path: "/shop" },
            router: { kind: "gateway-api", header: { name: "X-Canary", value: "always" } },
        }).config;
        const a = new mod.CanaryApp("gw", {
            app: gw.app,
            rollout: gw.rollout,
            router: gw.router,
            prometheus: { url: "http://p:9090", timeoutSeconds: 5 },
            scrapeIntervalSeconds: 30,
        });
        await valueOf(a.url);
        await settle();
        const owned = { "app.kubernetes.io/managed-by": "progressive-delivery" };
        const labels = { app: "gw", ...owned, "app.kubernetes.io/instance": "gw" };
        const gateway = one(created, "gateway.networking.k8s.io/v1:Gateway", "gw-gateway").inputs;
        assert.deepStrictEqual(gateway.metadata, { name: "gw-gateway", namespace: "gw", labels });
        assert.deepStrictEqual(gateway.spec, {
            gatewayClassName: "istio",
            listeners: [{ name: "http", port: 80, protocol: "HTTP" }],
        });
        const route = one(created, "gateway.networking.k8s.io/v1:HTTPRoute", "gw-route").inputs;
        assert.deepStrictEqual(route.metadata, { name: "gw", namespace: "gw", labels });
        assert.deepStrictEqual(route.spec, {
            parentRefs: [
                {
                    group: "gateway.networking.k8s.io",
                    kind: "Gateway",
                    name: "gw-gateway",
                    namespace: "gw",
                },
            ],
            hostnames: ["gw.example.com"],
            rules: [
                {
                    matches: [{ path: { type: "PathPrefix", value: "/shop" } }],
                    backendRefs: [
                        { name: "gw-stable", port: 80, weight: 100 },
                        { name: "gw-canary", port: 80, weight: 0 },
                    ],
                },
            ],
        });
        assert.deepStrictEqual(
            created.filter((r) => r.type.endsWith(":Ingress") && r.name.startsWith("gw-")),
            [],
        );
        const r = one(created, "CanaryRollout", "gw-rollout").inputs;
        assert.strictEqual(r.canaryIngress, "gw");
        assert.deepStrictEqual(r.router, {
            kind: "gateway-api",
            header: { name: "X-Canary", value: "always" },
        });
        assert.deepStrictEqual(r.metrics[0].query, ISTIO_SUCCESS_RATE_QUERY);
        const c = one(created, "CanaryCompletion", "gw-completion").inputs;
        assert.deepStrictEqual([c.canaryIngress, c.router], ["gw", { kind: "gateway-api" }]);
    });

    it("router ingress-nginx by default: the rollout and completion get no router input (a stack from before routers previews no change)", () => {
        assert.strictEqual("router" in one(created, "CanaryRollout", "demo-rollout").inputs, false);
        assert.strictEqual(
            "router" in one(created, "CanaryCompletion", "demo-completion").inputs,
            false,
        );
    });

    /** The release either way: tls.certManagerChart's defaults, in the cert-manager namespace. */
    const CERT_MANAGER_CHART = {
        name: "cert-manager",
        namespace: "cert-manager",
        createNamespace: true,
        chart: "cert-manager",
        version: "v1.19.1",
        repositoryOpts: { repo: "https://charts.jetstack.io" },
    };
    for (const [via, type, inputs] of [
        [
            "component",
            "kubernetes-cert-manager:index:CertManager",
            {
                installCRDs: true,
                helmOptions: CERT_MANAGER_CHART,
            },
        ],
        [
            "helm",
            "kubernetes:helm.sh/v3:Release",
            { ...CERT_MANAGER_CHART, values: { crds: { enabled: true } } },
        ],
    ] as const) {
        it(`installCertManager via ${via}: the same pinned chart, with its CRDs`, async () => {
            const c = validateConfig({
                app: { name: `cm-${via}`, namespace: `cm-${via}` },
                tls: { enabled: true, installCertManager: true, certManagerVia: via },
            }).config;
            new mod.CanaryApp(`cm-${via}`, {
                app: c.app,
                rollout: c.rollout,
                tls: c.tls,
                prometheus: { url: "http://p:9090", timeoutSeconds: 5 },
                scrapeIntervalSeconds: 30,
            });
            await settle();
            const installed = created.filter((r) => r.name === `cm-${via}-cert-manager`);
            assert.deepStrictEqual(
                installed.map((r) => r.type),
                [type],
            );
            const got = { ...installed[0].inputs };
            delete got.status; // the component's output, undefined on input
            delete got.compat; // set by the Release SDK itself
            assert.deepStrictEqual(JSON.parse(JSON.stringify(got)), inputs);
            one(created, "cert-manager.io/v1:Issuer", `cm-${via}-issuer`);
        });
    }

    it("TLS with ACME: an HTTP-01 issuer on the ingress class", async () => {
        const c = validateConfig({
            app: { name: "acme", namespace: "acme" },
            tls: { enabled: true, issuer: "acme", acme: { email: "ops@example.com" } },
        }).config;
        new mod.CanaryApp("acme", {
            app: c.app,
            rollout: c.rollout,
            tls: c.tls,
            ingressClassName: "nginx",
            prometheus: { url: "http://p:9090", timeoutSeconds: 5 },
            scrapeIntervalSeconds: 30,
        });
        await settle();
        const issuer = one(created, "cert-manager.io/v1:Issuer", "acme-issuer").inputs;
        assert.strictEqual(issuer.spec.acme.email, "ops@example.com");
        assert.deepStrictEqual(issuer.spec.acme.solvers, [
            { http01: { ingress: { ingressClassName: "nginx" } } },
        ]);
    });
});
