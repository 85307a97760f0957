/**
 * Runs containers of a planned ECS task definition as local processes: the command and environment come from the
 * offline plan unchanged, except what cannot be the same on this machine, each swap named here:
 * - the image's interpreter `/opt/latest/bin/python3` -> Debian's `/usr/bin/python3` (which has aiohttp, aiopg,
 *   psycopg2 from apt); `/root/...` (the image's WORKDIR, Dockerfile.metadata_service) -> the extracted v2.5.1 sources;
 * - the database host and port -> the local PostgreSQL; ECS `secrets` -> the values given for them;
 * - files under `/tmp` (the task's `tmp` volume) -> one temporary folder per task, shared by its containers;
 * - any environment variable listed in `extraEnv` (e.g. an AWS endpoint on 127.0.0.1), said at the call site.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";

import { atExit, SHARED, vendored } from "./env";
import { SYSTEM_PYTHON } from "./postgres";

export interface ContainerDefinition {
    name: string;
    image: string;
    essential?: boolean;
    command?: string[];
    environment?: Array<{ name: string; value: string }>;
    secrets?: Array<{ name: string; valueFrom: string }>;
    dependsOn?: Array<{ containerName: string; condition: string }>;
    healthCheck?: { command: string[]; interval?: number; timeout?: number; retries?: number; startPeriod?: number };
    portMappings?: Array<{ containerPort: number }>;
}

export const IMAGE_PYTHON = "/opt/latest/bin/python3";
const IMAGE_ROOT = "/root/";

/** The extracted metaflow-service v2.5.1, with a bin folder holding `goose` (the stand-in), or undefined. */
export function serviceSources(): { root: string; bin: string } | undefined {
    const dir = vendored("metaflow-service-2.5.1.tar.gz");
    const goose = path.join(SHARED, "tools", "goose");
    if (!dir || !fs.existsSync(goose)) return undefined;
    const root = path.join(dir, "metaflow-service-2.5.1");
    const bin = path.join(dir, "bin");
    if (!fs.existsSync(bin)) {
        fs.mkdirSync(bin);
        fs.symlinkSync(goose, path.join(bin, "goose"));
        // run_goose.py hard-codes the image's migration folder (run_goose.py line 97): the one path swapped in the copy.
        const script = path.join(root, "run_goose.py");
        fs.writeFileSync(script, fs.readFileSync(script, "utf8").split(IMAGE_ROOT).join(`${root}/`));
        // The image pip-installs the sources (Dockerfile.metadata_service), and services/utils reads the version from
        // the installed distribution (services/utils/__init__.py line 23): the same metadata, from setup.py line 24-25.
        const dist = path.join(root, "metadata_service-2.5.1.dist-info");
        fs.mkdirSync(dist);
        fs.writeFileSync(path.join(dist, "METADATA"), "Metadata-Version: 2.1\nName: metadata_service\nVersion: 2.5.1\n");
    }
    return { root, bin };
}

/** The container definitions of the task definition whose family ends with `familySuffix`. */
export function taskContainers(resources: Array<{ type: string; inputs: any }>, familySuffix: string): ContainerDefinition[] {
    const found = resources.filter((r) => r.type === "aws:ecs/taskDefinition:TaskDefinition" && String(r.inputs.family).endsWith(familySuffix));
    if (found.length !== 1) throw new Error(`expected one task definition *${familySuffix}, found ${found.length}`);
    return JSON.parse(found[0].inputs.containerDefinitions);
}

export interface LocalTarget {
    db: { host: string; port: number };
    /** Value of each ECS secret, by the environment variable it sets. */
    secrets: Record<string, string>;
    /** Environment added (or replaced) for this machine. */
    extraEnv?: Record<string, string>;
    /** Replaces these environment values (exact match), e.g. a CA bundle path. */
    valueSwaps?: Record<string, string>;
}

/** A task: its containers share `tmp` (the task volume mounted at /tmp). */
export class LocalTask {
    readonly tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mf-task-"));
    private readonly children: ChildProcess[] = [];
    readonly logs: Record<string, string> = {};

    constructor(
        readonly label: string,
        private readonly containers: ContainerDefinition[],
        private readonly target: LocalTarget,
    ) {
        live.add(this);
    }

    container(name: string): ContainerDefinition {
        const c = this.containers.find((x) => x.name === name);
        if (!c) throw new Error(`no container ${name} in ${this.containers.map((x) => x.name).join(", ")}`);
        return c;
    }

    /** Replaces the image's paths and the task volume in one string. */
    localPath(value: string): string {
        const src = serviceSources()!;
        const volume = value.replace(/(^|[^\w/.-])\/tmp\//g, `$1${this.tmp}/`);
        return volume.split(IMAGE_PYTHON).join(SYSTEM_PYTHON).split(IMAGE_ROOT).join(`${src.root}/`);
    }

    env(name: string, port?: number): NodeJS.ProcessEnv {
        const c = this.container(name);
        const src = serviceSources()!;
        const env: NodeJS.ProcessEnv = { PATH: `${src.bin}:${process.env.PATH}`, HOME: this.tmp, PYTHONUNBUFFERED: "1", LANG: "C.UTF-8" };
        for (const { name: k, value } of c.environment ?? []) {
            let v = this.target.valueSwaps?.[value] ?? value;
            if (k === "MF_METADATA_DB_HOST") v = this.target.db.host;
            else if (k === "MF_METADATA_DB_PORT") v = String(this.target.db.port);
            else if (v.startsWith("/tmp/")) v = this.localPath(v);
            env[k] = v;
        }
        for (const s of c.secrets ?? []) {
            const v = this.target.secrets[s.name];
            if (v === undefined) throw new Error(`${this.label}/${name}: no local value for secret ${s.name}`);
            env[s.name] = v;
        }
        // The container port -> a free port on 127.0.0.1 (tasks of one test run side by side).
        if (port !== undefined) for (const k of ["MF_METADATA_PORT", "MF_UI_METADATA_PORT"]) if (env[k]) env[k] = String(port);
        return { ...env, ...this.target.extraEnv };
    }

    /** Starts a container's command (from the plan) as a process in the extracted sources. */
    start(name: string, opts: { port?: number } = {}): ChildProcess {
        const c = this.container(name);
        if (!c.command?.length) throw new Error(`${name} has no command in the plan`);
        const [cmd, ...args] = c.command.map((a) => this.localPath(a));
        const env = this.env(name, opts.port);
        const child = spawn(cmd, args, { cwd: serviceSources()!.root, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
        const key = `${name}${opts.port ? `:${opts.port}` : ""}`;
        this.logs[key] = "";
        const append = (d: Buffer) => {
            this.logs[key] = (this.logs[key] + d.toString()).slice(-20_000);
        };
        child.stdout!.on("data", append);
        child.stderr!.on("data", append);
        this.children.push(child);
        return child;
    }

    /** Runs a one-shot container to completion; resolves with its exit code, or "timeout" after `ms` (then killed). */
    runToCompletion(name: string, ms: number): Promise<number | "timeout"> {
        const child = this.start(name);
        return new Promise((resolve) => {
            const timer = setTimeout(() => {
                kill(child);
                resolve("timeout");
            }, ms);
            child.once("exit", (code, signal) => {
                clearTimeout(timer);
                resolve(code ?? (signal ? 128 : 1));
            });
        });
    }

    /** Runs the container's planned health-check command (CMD form) once; resolves with its exit code. */
    healthCheck(name: string, port?: number): Promise<number> {
        const hc = this.container(name).healthCheck;
        if (!hc) throw new Error(`${name} has no health check in the plan`);
        const [kind, ...rest] = hc.command;
        const argv = kind === "CMD-SHELL" ? ["sh", "-c", this.localPath(rest.join(" "))] : rest.map((a) => this.localPath(a));
        const child = spawn(argv[0], argv.slice(1), { cwd: serviceSources()!.root, env: this.env(name, port), stdio: "ignore" });
        return new Promise((resolve) => {
            const timer = setTimeout(() => kill(child), (hc.timeout ?? 5) * 1000);
            child.once("exit", (code) => {
                clearTimeout(timer);
                resolve(code ?? 1);
            });
        });
    }

    output(): string {
        return Object.entries(this.logs)
            .map(([k, v]) => `--- ${this.label}/${k}\n${v}`)
            .join("\n");
    }

    stop(): void {
        for (const c of this.children) kill(c);
        this.children.length = 0;
        fs.rmSync(this.tmp, { recursive: true, force: true });
        live.delete(this);
    }
}

/** Tasks still running when the process exits (a failed or interrupted test) are stopped then. */
const live = new Set<LocalTask>();
atExit(() => [...live].forEach((t) => t.stop()));

function kill(child: ChildProcess): void {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    try {
        process.kill(-child.pid, "SIGKILL");
    } catch {
        /* gone */
    }
}

export interface HttpResult {
    status: number;
    body: string;
}

/** One HTTP request to 127.0.0.1 with a timeout; a connection error resolves as status 0. */
export function request(port: number, method: string, urlPath: string, body?: unknown, timeoutMs = 10_000): Promise<HttpResult> {
    return new Promise((resolve) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const req = http.request(
            { host: "127.0.0.1", port, method, path: urlPath, timeout: timeoutMs, headers: data ? { "content-type": "application/json", "content-length": Buffer.byteLength(data) } : {} },
            (res) => {
                let text = "";
                res.on("data", (d) => (text += d));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
            },
        );
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", (err) => resolve({ status: 0, body: String(err) }));
        if (data) req.write(data);
        req.end();
    });
}

/** Polls `check` every `everyMs` until it returns true or `ms` passed; resolves with whether it succeeded. */
export async function waitFor(check: () => Promise<boolean> | boolean, ms: number, everyMs = 200): Promise<boolean> {
    const end = Date.now() + ms;
    for (;;) {
        if (await check()) return true;
        if (Date.now() > end) return false;
        await new Promise((r) => setTimeout(r, everyMs));
    }
}
