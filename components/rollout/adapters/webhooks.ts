// Notifications: a POST to each configured webhook when a rollout starts, changes step, is
// promoted or rolled back. Two formats: generic JSON (the event as data, plus its reason code and
// message) and Slack's incoming-webhook format ({text}). URLs are secrets: they are never logged;
// a webhook is named by its config name. Each POST is bounded (5 s, two tries) and sent in the
// background, so a failing webhook never delays or blocks a step or a rollback.
import axios from "axios";
import { describeEvent } from "../core/events";
import { rolloutTag } from "../core/names";
import type { NotificationSpec } from "../core/spec";
import { EventSink, Reporter, RolloutEvent } from "../core/types";
import { sendQueue, SendQueue } from "./queue";

export const WEBHOOK_TIMEOUT_MS = 5000;
export const WEBHOOK_ATTEMPTS = 2;

/** The body a webhook receives for an event. */
export function webhookBody(format: NotificationSpec["format"], e: RolloutEvent): unknown {
    const d = describeEvent(e);
    if (format === "slack") {
        const icon = d.type === "Warning" ? ":x:" : ":white_check_mark:";
        return { text: `${icon} *${e.app}* ${d.reason}: ${d.message}` };
    }
    const { type, ...data } = e;
    // The event's own fields first: its `reason` text is the message; `reason` is the code here.
    return { ...data, event: type, reason: d.reason, severity: d.type, message: d.message };
}

export function webhooks(
    notifications: NotificationSpec[],
    urls: Record<string, string>,
    log: Reporter,
    app: string,
): { sink: EventSink; queues: SendQueue<RolloutEvent>[] } {
    const targets = notifications.filter((n) => urls[n.name]);
    const queues = targets.map((n) =>
        sendQueue<RolloutEvent>(async (e) => {
            let last: unknown;
            for (let attempt = 1; attempt <= WEBHOOK_ATTEMPTS; attempt++) {
                try {
                    await axios.post(urls[n.name], webhookBody(n.format, e), {
                        timeout: WEBHOOK_TIMEOUT_MS,
                        maxRedirects: 0,
                        headers: { "content-type": "application/json" },
                    });
                    return;
                } catch (err) {
                    last = err;
                }
            }
            // The URL is a secret, and axios puts it in its messages: name the webhook instead.
            const status = (last as { response?: { status?: number } })?.response?.status;
            log(
                `${rolloutTag(app)} notification "${n.name}" (${e.type}) not delivered after ${WEBHOOK_ATTEMPTS} tries: ${status ? `HTTP ${status}` : safeCode(last)}; the run goes on`,
            );
        }),
    );
    return {
        sink: (e) =>
            targets.forEach((n, i) => {
                if (n.events.includes(e.type)) {
                    queues[i].push(e);
                }
            }),
        queues,
    };
}

/** A network error's code (ECONNREFUSED, ETIMEDOUT...), never its message (it has the URL). */
function safeCode(e: unknown): string {
    const code = (e as { code?: unknown })?.code;
    return typeof code === "string" ? code : "network error";
}
