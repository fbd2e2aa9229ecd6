import * as assert from "assert";
import { Cancellation, CancelPorts, pulumiChildren } from "../../../../deployments/release/cancel";

/** Records every side effect; timers fire when the test says. */
class FakePorts implements CancelPorts {
    calls: string[] = [];
    pids = [4242];
    t = 0;
    timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
    writeCancelFile = (reason: string) => this.calls.push(`file ${reason}`);
    interrupt = () => this.calls.push("SIGINT to pulumi");
    pulumiPids = () => this.pids;
    kill = (pid: number, signal: string) => this.calls.push(`${signal} ${pid}`);
    note = (m: string) => this.calls.push(`note ${m}`);
    now = () => this.t;
    after(ms: number, fn: () => void) {
        const timer = { at: this.t + ms, fn, cancelled: false };
        this.timers.push(timer);
        return () => (timer.cancelled = true);
    }
    advance(ms: number) {
        this.t += ms;
        for (const timer of this.timers.filter((x) => !x.cancelled && x.at <= this.t)) {
            timer.cancelled = true;
            timer.fn();
        }
    }
}

const FIRST_NOTE = (s: string) =>
    `note ${s} received: cancelling; the canary puts traffic back on stable and the update ends (pulumi is stopped after 8s otherwise)`;

describe("release/cancel", () => {
    it("first signal: cancel file, one SIGINT to pulumi; it ends by itself, nothing forced", () => {
        const p = new FakePorts();
        const c = new Cancellation(p, 8000);
        assert.strictEqual(c.requested, false);
        c.onSignal("SIGTERM", false);
        p.advance(2500);
        assert.strictEqual(c.since(), 2.5);
        c.done();
        p.advance(60_000);
        assert.deepStrictEqual(p.calls, [
            "file SIGTERM to the release runner",
            "SIGINT to pulumi",
            FIRST_NOTE("SIGTERM"),
        ]);
        assert.strictEqual(c.requested, true);
        assert.strictEqual(c.forced, false);
    });

    it("a terminal's Ctrl-C already reached pulumi: no second SIGINT (it would terminate)", () => {
        const p = new FakePorts();
        new Cancellation(p, 8000).onSignal("SIGINT", true);
        assert.deepStrictEqual(p.calls, [
            "file SIGINT to the release runner",
            FIRST_NOTE("SIGINT"),
        ]);
    });

    it("still running at the timeout: SIGTERM to pulumi, SIGKILL 3 s later", () => {
        const p = new FakePorts();
        const c = new Cancellation(p, 8000);
        c.onSignal("SIGINT", false);
        p.calls = [];
        p.advance(7999);
        assert.deepStrictEqual(p.calls, []);
        p.advance(1);
        assert.deepStrictEqual(p.calls, [
            "note the update is still running: stopping pulumi (pid 4242)",
            "SIGTERM 4242",
        ]);
        assert.strictEqual(c.forced, true);
        p.advance(3000);
        assert.deepStrictEqual(p.calls.slice(2), ["SIGKILL 4242"]);
    });

    it("a second signal (CI's SIGTERM after its SIGINT) escalates at once, a third does nothing", () => {
        const p = new FakePorts();
        const c = new Cancellation(p, 8000);
        c.onSignal("SIGINT", false);
        p.advance(1000);
        p.calls = [];
        c.onSignal("SIGTERM", false);
        c.onSignal("SIGTERM", false);
        assert.deepStrictEqual(p.calls, [
            "note SIGTERM received again: stopping pulumi (pid 4242)",
            "SIGTERM 4242",
        ]);
        p.pids = [];
        p.advance(3000);
        assert.deepStrictEqual(p.calls.length, 2, "pulumi gone: nothing to kill");
        assert.strictEqual(c.signal, "SIGINT");
    });

    it("finds the runner's pulumi children in `ps -A -o pid=,ppid=,comm=`", () => {
        const ps = [
            "    1     0 systemd",
            "  500     1 node",
            "  501   500 pulumi",
            "  502   501 pulumi-language-nodejs",
            "  503   500 /usr/local/bin/pulumi",
            "  504   999 pulumi",
            "",
        ].join("\n");
        assert.deepStrictEqual(pulumiChildren(ps, 500), [501, 503]);
    });
});
