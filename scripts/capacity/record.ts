/**
 * Step 2 of the capacity benchmark: records what real Metaflow 2.19.38 clients send. A recording reverse proxy
 * (proxy.py) sits in front of the service; flow.py runs with `--metadata service` through it (local datastore and
 * local runtime: no AWS), once per foreach width, then read_run.py reads the latest run through the Client API as the
 * UI and notebooks do. Each phase's requests are the log lines it added.
 */
import { ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";

import { vendored } from "../../test/integration/support/env";
import { freePort, SYSTEM_PYTHON } from "../../test/integration/support/postgres";
import { ReadyBounds, startTracked, stop, waitForOutput } from "../../test/processes";
import { RawRecord } from "./mix";

const HERE = __dirname;

export interface Recording {
    /** Each flow run's requests, by its foreach width. */
    runs: Array<{ width: number; seconds: number; records: RawRecord[] }>;
    /** The Client API's read of the last run. */
    read: { seconds: number; records: RawRecord[]; seen: unknown };
}

function readLog(file: string): RawRecord[] {
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as RawRecord);
}

/** Runs a Python program to completion (tracked, bounded); resolves its stdout or rejects with its output. */
export function runPython(args: string[], env: NodeJS.ProcessEnv, cwd: string, ms: number, cpus?: string): Promise<string> {
    // `cpus`: run it on those CPUs only (taskset), e.g. the load generator away from the service's core.
    const child = cpus === undefined ? startTracked(SYSTEM_PYTHON, args, { cwd, env }) : startTracked("taskset", ["-c", cpus, SYSTEM_PYTHON, ...args], { cwd, env });
    let out = "";
    let err = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (err = (err + d).slice(-8000)));
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => stop(child), ms);
        child.once("close", (code) => {
            clearTimeout(timer);
            if (code === 0) resolve(out);
            else reject(new Error(`${path.basename(args[0])} ${args.slice(1).join(" ")} exited ${code ?? "on a signal (timeout?)"}:\n${err}${out.slice(-4000)}`));
        });
    });
}

function metaflowEnv(dir: string, proxyPort: number): NodeJS.ProcessEnv {
    const source = vendored("metaflow-2.19.38.tar.gz");
    if (!source) throw new Error("../shared/vendor/metaflow-2.19.38.tar.gz is missing");
    return {
        PATH: process.env.PATH,
        HOME: dir,
        LANG: "C.UTF-8",
        PYTHONPATH: path.join(source, "metaflow-2.19.38"),
        PYTHONDONTWRITEBYTECODE: "1",
        USERNAME: "capacity",
        METAFLOW_HOME: path.join(dir, "home"),
        METAFLOW_DEFAULT_METADATA: "service",
        METAFLOW_SERVICE_URL: `http://127.0.0.1:${proxyPort}`,
        METAFLOW_DEFAULT_DATASTORE: "local",
        METAFLOW_DATASTORE_SYSROOT_LOCAL: path.join(dir, "datastore"),
        // Offline: any call beyond 127.0.0.1 goes to a closed port and fails at once.
        HTTP_PROXY: "http://127.0.0.1:9",
        HTTPS_PROXY: "http://127.0.0.1:9",
        NO_PROXY: "127.0.0.1,localhost",
        AWS_EC2_METADATA_DISABLED: "true",
    };
}

export async function startProxy(servicePort: number, log: string): Promise<{ port: number; child: ChildProcess }> {
    const port = await freePort();
    const child = startTracked(SYSTEM_PYTHON, [path.join(HERE, "proxy.py"), String(port), String(servicePort), log], { env: { PATH: process.env.PATH, LANG: "C.UTF-8" } });
    const bounds: ReadyBounds = { cpuSeconds: 10, wallSeconds: 60 };
    await waitForOutput(child, /recording proxy on \d+/, bounds, "recording proxy");
    return { port, child };
}

/** Records one run per width and the Client API's read of the last; `dir` is a temporary folder (the caller's). */
export async function record(servicePort: number, dir: string, widths: number[]): Promise<Recording> {
    const log = path.join(dir, "requests.jsonl");
    fs.mkdirSync(path.join(dir, "home"), { recursive: true });
    const flow = path.join(dir, "capacity_flow.py");
    fs.copyFileSync(path.join(HERE, "flow.py"), flow);
    const proxy = await startProxy(servicePort, log);
    const env = metaflowEnv(dir, proxy.port);
    try {
        const runs: Recording["runs"] = [];
        for (const width of widths) {
            const before = readLog(log).length;
            const started = Date.now();
            await runPython([flow, "--no-pylint", "run", "--width", String(width), "--max-workers", "4"], env, dir, 300_000);
            runs.push({ width, seconds: (Date.now() - started) / 1000, records: readLog(log).slice(before) });
        }
        const before = readLog(log).length;
        const started = Date.now();
        const seen = JSON.parse((await runPython([path.join(HERE, "read_run.py"), "CapacityFlow"], env, dir, 120_000)).trim().split("\n").pop()!);
        return { runs, read: { seconds: (Date.now() - started) / 1000, records: readLog(log).slice(before), seen } };
    } finally {
        stop(proxy.child);
    }
}
