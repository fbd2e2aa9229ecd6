// withRetry's Retry-After and deadline, with a fake clock: the waits it takes and when it stops.
import * as assert from "assert";
import {
    parseRetryAfter,
    retryAfterOf,
    withRetry,
} from "../../../../../components/rollout/adapters/retry";

const NOW = Date.parse("2026-11-27T12:00:00Z");

class Busy extends Error {
    constructor(readonly retryAfterMs?: number) {
        super("busy");
    }
}

/** Runs withRetry on a function that fails `failures` times, on a clock that jumps on sleep. */
async function retry(
    failures: Busy[],
    opts: { deadlineInMs?: number; attempts?: number; maxMs?: number } = {},
) {
    let t = NOW;
    const waits: number[] = [];
    let calls = 0;
    const outcome = await withRetry(
        "call",
        async () => {
            calls++;
            if (calls <= failures.length) {
                throw failures[calls - 1];
            }
            return "ok";
        },
        {
            attempts: opts.attempts ?? 5,
            baseMs: 200,
            maxMs: opts.maxMs,
            isTransient: (e) => e instanceof Busy,
            retryAfterMs: (e) => (e as Busy).retryAfterMs,
            sleep: async (ms) => {
                waits.push(ms);
                t += ms;
            },
            now: () => t,
            deadline:
                opts.deadlineInMs === undefined
                    ? undefined
                    : { at: NOW + opts.deadlineInMs, what: "the rollout's deadline" },
        },
    ).catch((e: Error) => e.message);
    return { outcome, waits, calls };
}

describe("adapters/retry: Retry-After and the deadline", () => {
    it("backs off 200, 400, 800 ms without Retry-After", async () => {
        assert.deepStrictEqual(await retry([new Busy(), new Busy(), new Busy()]), {
            outcome: "ok",
            waits: [200, 400, 800],
            calls: 4,
        });
    });

    it("waits what Retry-After asks when it is longer than the backoff", async () => {
        assert.deepStrictEqual(await retry([new Busy(3000), new Busy(100)], { maxMs: 5000 }), {
            outcome: "ok",
            waits: [3000, 400],
            calls: 3,
        });
    });

    it("stops, without retrying early, when Retry-After ends past the deadline", async () => {
        assert.deepStrictEqual(await retry([new Busy(30_000)], { deadlineInMs: 10_000 }), {
            outcome:
                "call failed: busy; not retried: the server asked to wait 30s (Retry-After), beyond the rollout's deadline",
            waits: [],
            calls: 1,
        });
    });

    it("honours Retry-After up to the deadline, past maxMs", async () => {
        assert.deepStrictEqual(
            await retry([new Busy(9000)], { deadlineInMs: 10_000, maxMs: 5000 }),
            { outcome: "ok", waits: [9000], calls: 2 },
        );
    });

    it("stops when the next backoff would end past the deadline", async () => {
        assert.deepStrictEqual(
            await retry([new Busy(), new Busy(), new Busy()], { deadlineInMs: 500 }),
            {
                outcome:
                    "call failed (after 2 attempts): busy; not retried: no time left within the rollout's deadline",
                waits: [200],
                calls: 2,
            },
        );
    });

    it("without a deadline, a Retry-After longer than maxMs ends the retries", async () => {
        assert.deepStrictEqual(await retry([new Busy(60_000)], { maxMs: 5000 }), {
            outcome:
                "call failed: busy; not retried: the server asked to wait 60s (Retry-After), beyond the longest wait, 5s",
            waits: [],
            calls: 1,
        });
    });

    it("the last attempt's error is reported as before", async () => {
        assert.deepStrictEqual(await retry([new Busy(), new Busy()], { attempts: 2 }), {
            outcome: "call failed (after 2 attempts): busy",
            waits: [200],
            calls: 2,
        });
    });
});

describe("adapters/retry: parseRetryAfter and retryAfterOf", () => {
    const cases: [unknown, number | undefined][] = [
        ["2", 2000],
        [" 120 ", 120_000],
        ["0", 0],
        ["Fri, 27 Nov 2026 12:00:30 GMT", 30_000],
        ["Fri, 27 Nov 2026 11:59:00 GMT", 0], // in the past: no wait
        ["-1", undefined],
        ["1.5", undefined],
        ["soon", undefined],
        ["Someday", undefined],
        ["", undefined],
        [undefined, undefined],
        [30, undefined],
    ];
    for (const [value, ms] of cases) {
        it(`${JSON.stringify(value)} -> ${ms}`, () =>
            assert.strictEqual(parseRetryAfter(value, NOW), ms));
    }

    it("reads the header from an axios error and from a client-node ApiException", () => {
        assert.strictEqual(
            retryAfterOf({ response: { status: 429, headers: { "retry-after": "7" } } }, NOW),
            7000,
        );
        assert.strictEqual(retryAfterOf({ code: 429, headers: { "Retry-After": "3" } }, NOW), 3000);
        assert.strictEqual(retryAfterOf({ code: 429, headers: {} }, NOW), undefined);
        assert.strictEqual(retryAfterOf(new Error("x"), NOW), undefined);
    });
});
