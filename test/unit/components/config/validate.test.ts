import * as assert from "assert";
import { DEFAULTS, validateConfig } from "../../../../components/config";
import { VALUE_CASES } from "../../../support/configCorpus/values";

/** Validates a config that differs from the defaults in one place and returns its problems. */
function problems(raw: Parameters<typeof validateConfig>[0]): string[] {
    return validateConfig(raw).errors;
}

describe("config: defaults", () => {
    it("an empty stack config is valid and gives the tutorial's defaults", () => {
        const { config, errors } = validateConfig({});
        assert.deepStrictEqual(errors, []);
        assert.strictEqual(config.app.image, "argoproj/rollouts-demo:blue");
        assert.strictEqual(config.app.replicas, 4);
        assert.deepStrictEqual(
            config.rollout.steps.filter((s) => "setWeight" in s),
            [{ setWeight: 20 }, { setWeight: 40 }, { setWeight: 60 }, { setWeight: 80 }],
        );
        const [m] = config.rollout.metrics;
        assert.strictEqual(m.successCondition, "result[0] >= 0.95");
        assert.strictEqual(m.intervalSeconds, 60);
        assert.strictEqual(m.failureLimit, 3);
        assert.strictEqual(m.windowSeconds, 300);
        assert.match(m.query, /sum\(rate\(nginx_ingress_controller_requests\{/);
        assert.doesNotMatch(m.query, /irate/);
        assert.strictEqual(config.rollout.deadlineSeconds, 1800);
        assert.strictEqual(config.monitoring.chart.version, DEFAULTS.monitoring.chart.version);
        assert.strictEqual(config.tls.secretName, "rollouts-demo-tls");
        assert.strictEqual(config.tls.certManagerVia, "component");
    });
    it("a real 0 survives (?? not ||)", () => {
        const { config, errors } = validateConfig({
            rollout: { analysis: { metrics: [{ failureLimit: 0, inconclusiveLimit: 0 }] } },
        });
        assert.deepStrictEqual(errors, []);
        assert.strictEqual(config.rollout.metrics[0].failureLimit, 0);
        assert.strictEqual(config.rollout.metrics[0].inconclusiveLimit, 0);
    });
    it("an existing Prometheus by URL", () => {
        const { config, errors } = validateConfig({
            monitoring: { install: false, prometheus: { url: "http://127.0.0.1:9090" } },
        });
        assert.deepStrictEqual(errors, []);
        assert.strictEqual(config.monitoring.prometheus.url, "http://127.0.0.1:9090");
    });
    it("reports every problem at once", () => {
        assert.strictEqual(problems({ app: { replicas: 0, port: 0, image: "nginx" } }).length, 3);
    });
});

describe("config: each invalid value has an exact message", () => {
    for (const [name, raw, message] of VALUE_CASES) {
        it(name, () => assert.deepStrictEqual(problems(raw), [message]));
    }
});
