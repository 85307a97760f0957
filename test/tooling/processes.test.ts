/**
 * test/processes.ts: what a test starts, it stops, also when it fails while the child is still starting; and a child
 * is given CPU time to become ready, not wall time.
 */
import { expect } from "chai";
import { execFileSync } from "child_process";

import { cpuSecondsOf, startTracked, stop, stopAll, waitForOutput } from "../processes";

/** True while a process with this pid exists (signal 0 tests for it). */
function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

/** Resolves when `pid` is gone (a killed child becomes a zombie until reaped: ps then says Z). */
async function gone(pid: number): Promise<boolean> {
    for (let i = 0; i < 200 && alive(pid); i++) {
        const state = execFileSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" }).trim();
        if (state === "" || state.startsWith("Z")) return true;
        await new Promise((r) => setImmediate(r));
    }
    return !alive(pid);
}

/** Children are small shell scripts: the behaviour under test is the parent's, and a shell starts in a millisecond. */
const sh = (script: string) => startTracked("sh", ["-c", script], {});

describe("child processes the tests start (test/processes.ts)", () => {
    afterEach(stopAll);

    it("resolves with the child's ready line", async () => {
        const child = sh("echo listening; echo 4242; exec sleep 1000");
        const [, port] = await waitForOutput(child, /^(\d+)$/m, { cpuSeconds: 30, wallSeconds: 60 }, "server");
        expect(port).to.equal("4242");
        stop(child);
        expect(await gone(child.pid!)).to.equal(true);
    });

    it("a child still starting when the test gives up is stopped by stopAll, with the processes it started", async () => {
        // The child starts a grandchild and never becomes ready, as a pack type-checking on a busy machine.
        const child = sh("sleep 1000 & echo grandchild $!; wait");
        const [, grandchild] = await waitForOutput(child, /^grandchild (\d+)$/m, { cpuSeconds: 30, wallSeconds: 60 }, "parent");
        const notReady = await waitForOutput(child, /^never$/m, { cpuSeconds: 30, wallSeconds: 0.2 }, "parent").catch((e: Error) => e);
        expect(notReady).to.be.instanceOf(Error).with.property("message").that.contains("parent was not ready after");
        stopAll(); // what the `after` hook does
        expect(await gone(child.pid!), "the child").to.equal(true);
        expect(await gone(Number(grandchild)), "the process it started").to.equal(true);
    });

    it("bounds readiness by the child's CPU time: a child that spins fails with what it printed", async () => {
        const child = sh("echo type-checking >&2; while :; do :; done");
        const err = await waitForOutput(child, /^(\d+)$/m, { cpuSeconds: 0.1, wallSeconds: 60 }, "spinner").catch((e: Error) => e);
        expect(err).to.be.instanceOf(Error);
        expect((err as Error).message).to.match(/^spinner used \d+\.\d s of CPU without becoming ready \(bound 0\.1 s\):\ntype-checking/);
    });

    it("reads a process's CPU time from /proc, and nothing for a process that is not there", () => {
        const own = cpuSecondsOf(process.pid);
        expect(own).to.be.a("number").and.greaterThan(0);
        expect(cpuSecondsOf(2 ** 22 + 1)).to.equal(undefined);
    });

    it("says so when the child exits before it is ready", async () => {
        const child = sh("echo cannot load index.ts >&2; exit 3");
        const err = await waitForOutput(child, /^(\d+)$/m, { cpuSeconds: 30, wallSeconds: 60 }, "pack").catch((e: Error) => e);
        expect((err as Error).message).to.equal("pack exited (3) before it was ready:\ncannot load index.ts\n");
    });
});
