/**
 * moto 5 in server mode on 127.0.0.1 and a free port: answers the AWS calls the real software makes, offline. Each
 * server is started by a test file and stopped by it, or when the test process exits or is told to terminate
 * (test/processes.ts tracks it from the moment it is spawned).
 */
import * as http from "http";
import * as net from "net";
import * as path from "path";

import { startTracked, stop } from "../../processes";

/**
 * moto's server with UpdateEndpoint added (support/moto_sagemaker.py), which moto 5.2.1 lacks and the deploy flow
 * calls; it takes moto.server's own options.
 */
export const MOTO_WITH_SAGEMAKER = path.join(__dirname, "moto_sagemaker.py");

export interface MotoServer {
    url: string;
    stop(): void;
}

/** A port the kernel reports free on 127.0.0.1. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

function ping(url: string): Promise<boolean> {
    return new Promise((resolve) => {
        const req = http.get(`${url}/moto-api/`, (res) => {
            res.resume();
            resolve((res.statusCode ?? 500) < 500);
        });
        req.on("error", () => resolve(false));
        req.setTimeout(1000, () => req.destroy());
    });
}

/**
 * Starts `python -m moto.server`, or `python <launcher>` with the same options (MOTO_WITH_SAGEMAKER); rejects after
 * `timeoutMs` without an answer.
 */
export async function startMoto(python: string, timeoutMs = 20000, launcher?: string): Promise<MotoServer> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = launcher ? [launcher] : ["-m", "moto.server"];
    const child = startTracked(python, [...server, "-H", "127.0.0.1", "-p", String(port)], {});
    let stderr = "";
    child.stdout!.resume();
    child.stderr!.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
    const kill = () => stop(child);
    // The server must not keep the test process alive: mocha exits when its work is done, and "exit" stops the server.
    child.unref();
    for (const stream of [child.stdout, child.stderr]) (stream as unknown as { unref(): void }).unref();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`moto exited (${child.exitCode}): ${stderr}`);
        if (await ping(url)) return { url, stop: kill };
        await new Promise((r) => setTimeout(r, 200));
    }
    kill();
    throw new Error(`moto did not answer on ${url} within ${timeoutMs} ms: ${stderr}`);
}

let shared: Promise<MotoServer> | undefined;

/**
 * One moto server for the whole test process: test files share it (their profiles' resources have distinct names,
 * and seeding leaves existing ones alone); it stops when the process exits.
 */
export function sharedMoto(python: string): Promise<MotoServer> {
    shared ??= startMoto(python);
    shared.catch(() => (shared = undefined));
    return shared;
}
