// Webhook notifications against a local receiver: both formats, the events chosen, and a failing
// or hanging receiver that is named (never by its secret URL) and never holds the run.
import * as assert from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import { webhookBody, webhooks } from "../../../../../components/rollout/adapters/webhooks";
import { RolloutEvent } from "../../../../../components/rollout/core/types";

interface Received {
    path: string;
    body: unknown;
}

async function receiver(
    status = 200,
    hang = false,
): Promise<{ url: string; got: Received[]; close(): Promise<void> }> {
    const got: Received[] = [];
    const server = http.createServer((req, res) => {
        let data = "";
        req.on("data", (d) => (data += d));
        req.on("end", () => {
            got.push({ path: req.url ?? "", body: JSON.parse(data) });
            if (!hang) {
                res.writeHead(status).end();
            }
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}/hook/s3cr3t-token`,
        got,
        close: () =>
            new Promise((r) => {
                server.closeAllConnections();
                server.close(() => r());
            }),
    };
}

const STARTED: RolloutEvent = {
    type: "Started",
    app: "demo",
    at: 0,
    steps: 9,
    deadlineSeconds: 1800,
};
const ROLLED_BACK: RolloutEvent = {
    type: "RolledBack",
    app: "demo",
    at: 62,
    step: 3,
    reason: 'canary "demo" rolled back at step 4/9: success-rate 2 measurements failed',
};

describe("webhook notifications", function () {
    this.timeout(30_000);

    it("the JSON format is the event as data, with its reason code and message", () => {
        assert.deepStrictEqual(webhookBody("json", ROLLED_BACK), {
            event: "RolledBack",
            reason: "RolloutRolledBack",
            severity: "Warning",
            message: 'canary "demo" rolled back at step 4/9: success-rate 2 measurements failed',
            app: "demo",
            at: 62,
            step: 3,
        });
    });

    it("the Slack format is one text line", () => {
        assert.deepStrictEqual(webhookBody("slack", STARTED), {
            text: ":white_check_mark: *demo* RolloutStarted: canary run of demo started: 9 steps, deadline 1800s",
        });
    });

    it("posts the chosen events to each webhook, in order", async () => {
        const json = await receiver();
        const slack = await receiver();
        try {
            const lines: string[] = [];
            const hooks = webhooks(
                [
                    { name: "ops", format: "json", events: ["Started", "RolledBack"] },
                    { name: "chat", format: "slack", events: ["RolledBack"] },
                ],
                { ops: json.url, chat: slack.url },
                (l) => lines.push(l),
                "demo",
            );
            hooks.sink(STARTED);
            hooks.sink({
                ...STARTED,
                type: "StepStarted",
                step: 0,
                of: 9,
                description: "x",
                weight: 20,
            } as RolloutEvent);
            hooks.sink(ROLLED_BACK);
            await Promise.all(hooks.queues.map((q) => q.flush(10_000)));
            assert.deepStrictEqual(
                json.got.map((g) => (g.body as { event: string }).event),
                ["Started", "RolledBack"],
            );
            assert.strictEqual(slack.got.length, 1);
            assert.match(
                (slack.got[0].body as { text: string }).text,
                /^:x: \*demo\* RolloutRolledBack/,
            );
            assert.deepStrictEqual(lines, []);
        } finally {
            await json.close();
            await slack.close();
        }
    });

    it("a failing webhook is reported by name, never by its secret URL", async () => {
        const bad = await receiver(500);
        try {
            const lines: string[] = [];
            const hooks = webhooks(
                [{ name: "ops", format: "json", events: ["RolledBack"] }],
                { ops: bad.url },
                (l) => lines.push(l),
                "demo",
            );
            hooks.sink(ROLLED_BACK);
            await Promise.all(hooks.queues.map((q) => q.flush(20_000)));
            assert.strictEqual(bad.got.length, 2, "two tries");
            assert.deepStrictEqual(lines, [
                '[canary demo] notification "ops" (RolledBack) not delivered after 2 tries: HTTP 500; the run goes on',
            ]);
            assert.ok(!lines.join("").includes("s3cr3t"));
        } finally {
            await bad.close();
        }
    });

    it("a hanging webhook never holds the run: the end-of-run flush is bounded", async () => {
        const hung = await receiver(200, true);
        try {
            const hooks = webhooks(
                [{ name: "ops", format: "json", events: ["RolledBack"] }],
                { ops: hung.url },
                () => undefined,
                "demo",
            );
            hooks.sink(ROLLED_BACK);
            // flush(50) gives up long before the 5 s POST timeout.
            const outcome = await Promise.race([
                Promise.all(hooks.queues.map((q) => q.flush(50))).then(() => "flushed"),
                new Promise((r) => setTimeout(() => r("stuck"), 3000)),
            ]);
            assert.strictEqual(outcome, "flushed");
        } finally {
            await hung.close();
        }
    });
});
