/**
 * Child processes that a test starts and must stop, whatever happens: the test passes, fails, times out, or its
 * worker is told to terminate.
 *
 * - Each child leads a process group of its own, and stopping it signals the whole group, so whatever it started
 *   goes too.
 * - Children are tracked from the moment they are spawned, not from the moment they are ready: a hook that fails
 *   while a child is still starting leaves nothing behind (mocha runs `after` hooks after a failed `before`).
 * - The worker stops them on `exit` and on SIGTERM/SIGINT/SIGHUP (mocha's parallel workers are terminated by a
 *   signal, and a process killed that way runs no `exit` handler of its own).
 * - Waiting for a child to become ready is bounded by the CPU time the child has used, not by the wall clock: on a
 *   machine whose cores are busy with other work a child takes longer but uses the same CPU, so a test does not
 *   depend on an idle machine; a child that spins without becoming ready still fails, with what it printed. A wall
 *   clock bound remains as a last resort against a child that waits forever without using CPU.
 */
import { ChildProcess, spawn, SpawnOptions } from "child_process";
import * as fs from "fs";

const running = new Set<ChildProcess>();

/** Signals a child's process group (it leads one); a group that is gone already is not an error. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
        process.kill(-child.pid, signal);
    } catch {
        // ESRCH: the group has exited meanwhile.
    }
}

/** Stops every child this worker started and has not stopped yet, with their process groups. */
export function stopAll(): void {
    for (const child of running) signalGroup(child, "SIGKILL");
    running.clear();
}

/** Stops one child and its group. */
export function stop(child: ChildProcess): void {
    signalGroup(child, "SIGKILL");
    running.delete(child);
}

let handlersInstalled = false;

function installHandlers(): void {
    if (handlersInstalled) return;
    handlersInstalled = true;
    process.on("exit", stopAll);
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
        process.once(signal, () => {
            stopAll();
            // Then die of the same signal, as the process would have without this handler.
            process.kill(process.pid, signal);
        });
    }
}

/**
 * Spawns a child in a process group of its own and tracks it until `stop`/`stopAll`; its stdout and stderr are pipes,
 * and its stdin too when `stdin` is "pipe" (a child that reads requests).
 */
export function startTracked(command: string, args: string[], opts: SpawnOptions, stdin: "ignore" | "pipe" = "ignore"): ChildProcess {
    installHandlers();
    const child = spawn(command, args, { ...opts, detached: true, stdio: [stdin, "pipe", "pipe"] });
    running.add(child);
    child.once("exit", () => running.delete(child));
    return child;
}

/** CPU seconds (user + system) a process has used so far, from /proc; undefined where /proc is not there. */
export function cpuSecondsOf(pid: number): number | undefined {
    let stat: string;
    try {
        stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
        return undefined;
    }
    // Fields after the command name (which may hold spaces, so split after its closing parenthesis): utime is the
    // 14th field of the line and stime the 15th, in clock ticks (USER_HZ, 100 on Linux).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
}

export interface ReadyBounds {
    /** CPU seconds the child may use before it is ready. */
    cpuSeconds: number;
    /** Wall seconds before giving up on a child that uses no CPU and never becomes ready. */
    wallSeconds: number;
}

/**
 * Resolves with the first match of `ready` in the child's stdout. Rejects, with what the child printed on stderr,
 * when it exits first, uses more than `bounds.cpuSeconds` of CPU, or `bounds.wallSeconds` pass.
 */
export function waitForOutput(child: ChildProcess, ready: RegExp, bounds: ReadyBounds, name: string): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
        let stdout = "";
        let stderr = "";
        const started = Date.now();
        const finish = (err: Error | undefined, match?: RegExpExecArray) => {
            clearInterval(watchdog);
            child.stdout!.removeListener("data", onStdout);
            child.removeListener("close", onExit);
            if (err) reject(err);
            else resolve(match!);
        };
        const onStdout = (d: Buffer) => {
            stdout += d;
            const match = ready.exec(stdout);
            if (match) finish(undefined, match);
        };
        const onExit = (code: number | null, signal: string | null) => finish(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${stderr}`));
        child.stderr!.on("data", (d: Buffer) => (stderr += d));
        child.stdout!.on("data", onStdout);
        child.once("close", onExit);
        const watchdog = setInterval(() => {
            const cpu = child.pid === undefined ? undefined : cpuSecondsOf(child.pid);
            const wall = (Date.now() - started) / 1000;
            if (cpu !== undefined && cpu > bounds.cpuSeconds) finish(new Error(`${name} used ${cpu.toFixed(1)} s of CPU without becoming ready (bound ${bounds.cpuSeconds} s):\n${stderr}`));
            else if (wall > bounds.wallSeconds) finish(new Error(`${name} was not ready after ${wall.toFixed(0)} s (${cpu?.toFixed(1) ?? "unknown"} s of CPU):\n${stderr}`));
        }, 250);
    });
}
