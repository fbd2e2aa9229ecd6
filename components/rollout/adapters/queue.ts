// A background queue for evidence that leaves the process (Kubernetes events, webhooks): the
// engine hands events over without waiting, each is sent in order with a bounded time, and the
// run waits for the rest at most `flush`'s bound at its end. A failing receiver never delays or
// blocks a step or a rollback.

export interface SendQueue<T> {
    push(item: T): void;
    /** Resolves when everything pushed is sent or dropped, or after `timeoutMs`. */
    flush(timeoutMs: number): Promise<void>;
}

export function sendQueue<T>(send: (item: T) => Promise<void>): SendQueue<T> {
    let tail: Promise<void> = Promise.resolve();
    return {
        push(item) {
            // send() reports its own failures; the chain never rejects.
            tail = tail.then(() => send(item).catch(() => undefined));
        },
        async flush(timeoutMs) {
            let timer: NodeJS.Timeout | undefined;
            await Promise.race([
                tail,
                new Promise<void>((r) => {
                    timer = setTimeout(r, timeoutMs);
                }),
            ]);
            clearTimeout(timer);
        },
    };
}
