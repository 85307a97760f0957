/**
 * The processes the templates' integration tests start: moto (S3, SSM, CloudWatch, Batch, Step Functions, STS,
 * SageMaker) and a Dask scheduler and worker, each on 127.0.0.1 and a free port, stopped by the returned `close`; and
 * Python commands run to completion with a time limit.
 */
import { ChildProcess, spawn } from "child_process";
import * as http from "http";

import { freePort } from "../support/postgres";

export interface Command {
    code: number | null;
    stdout: string;
    stderr: string;
}

/** Runs `command` and collects its output; kills it (and fails) after `timeoutMs`. */
export function run(command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Command> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            reject(new Error(`${command} ${args.join(" ")} did not finish in ${opts.timeoutMs} ms:\n${stdout}\n${stderr}`));
        }, opts.timeoutMs ?? 90_000);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr });
        });
    });
}

function stop(child: ChildProcess): Promise<void> {
    return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 3000).unref();
    });
}

/** Waits until `check` resolves true, polling every 100 ms, for at most `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, child: ChildProcess, log: () => string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}:\n${log()}`);
        if (await check()) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${what} not ready in ${timeoutMs} ms:\n${log()}`);
}

export interface Service {
    endpoint: string;
    close(): Promise<void>;
}

/**
 * moto 5 in server mode (the pyenv `python3`, which has it), on 127.0.0.1; or `python <launcher>` with the same options
 * (support/moto_sagemaker.py: moto with UpdateEndpoint).
 */
export async function startMoto(python: string, launcher?: string): Promise<Service> {
    const port = await freePort();
    let log = "";
    const server = launcher ? [launcher] : ["-m", "moto.server"];
    const child = spawn(python, [...server, "-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (d) => (log += d));
    child.stderr!.on("data", (d) => (log += d));
    const endpoint = `http://127.0.0.1:${port}`;
    const ready = () =>
        new Promise<boolean>((resolve) => {
            http.get(`${endpoint}/moto-api/`, (res) => {
                res.resume();
                resolve(res.statusCode === 200);
            }).on("error", () => resolve(false));
        });
    try {
        await until("moto", ready, child, () => log);
    } catch (err) {
        await stop(child);
        throw err;
    }
    return { endpoint, close: () => stop(child) };
}

/** A Dask scheduler and one worker (Debian's `python3-distributed`), threads only, no dashboards. */
export async function startDask(bin: { scheduler: string; worker: string }): Promise<Service> {
    const port = await freePort();
    const address = `tcp://127.0.0.1:${port}`;
    let log = "";
    const scheduler = spawn(bin.scheduler, ["--host", "127.0.0.1", "--port", String(port), "--no-dashboard"], { stdio: ["ignore", "pipe", "pipe"] });
    scheduler.stderr!.on("data", (d) => (log += d));
    const close = async () => {
        await Promise.all([stop(worker), stop(scheduler)]);
    };
    const worker = spawn(bin.worker, [address, "--host", "127.0.0.1", "--nworkers", "1", "--nthreads", "2", "--no-nanny", "--no-dashboard"], { stdio: ["ignore", "pipe", "pipe"] });
    worker.stderr!.on("data", (d) => (log += d));
    try {
        await until("the Dask worker", async () => /Registered to:/.test(log), worker, () => log);
    } catch (err) {
        await close();
        throw err;
    }
    return { endpoint: address, close };
}
