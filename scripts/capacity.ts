/**
 * The capacity benchmark of the metadata service (issue 21), a bench step (`npm run bench -- --only capacity`), never
 * a timed test:
 *
 * 1. starts metaflow-service v2.5.1 with the planned prod task's containers on 127.0.0.1 against a TLS-only
 *    PostgreSQL, migrated by the planned `migrate` container (scripts/capacity/service.ts);
 * 2. records what real Metaflow 2.19.38 clients send through a recording proxy: a flow with a foreach, a retried
 *    task, join and end at two widths, then a Client API read of the run (scripts/capacity/record.ts), and derives the
 *    mix: counts per path template, what one foreach task sends (scripts/capacity/mix.ts);
 * 3. replays it with an async load generator (scripts/capacity/loadgen.py) for E engineers each running a 100-way
 *    foreach, E rising, each level bounded, polling pg_stat_activity and reading the service's CPU from /proc; a mode
 *    stops at the first level that saturates the service (an error, or p99 over the threshold);
 * 4. prints the table and writes the recording, the mix and the levels as JSON (`--out`).
 *
 *   node -r ./scripts/register-ts.js scripts/capacity.ts [--out f.json] [--levels 1,5,10,20] [--seconds 15]
 *        [--threshold-ms 1000] [--width 100] [--modes paced,burst] [--pin]
 *
 * Offline: nothing beyond 127.0.0.1. Every process it starts is stopped and every folder removed at the end.
 * Exit 0 with the table; 2 for bad arguments; 1 when the service cannot run here or a step fails.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { cpuSecondsOf, stopAll } from "../test/processes";
import { buildMix, Mix } from "./capacity/mix";
import { record, runPython } from "./capacity/record";
import { LevelResult, LoadgenOutput, parseLoad1, renderTable, summarise } from "./capacity/report";
import { PlannedService, serviceUnavailable, startPlannedService } from "./capacity/service";

export interface Options {
    out?: string;
    levels: number[];
    seconds: number;
    thresholdMs: number;
    width: number;
    modes: Array<"paced" | "burst">;
    /** Foreach widths of the recorded runs. */
    recordWidths: number[];
    /** The service alone on CPU 0, PostgreSQL and the load generator on the others (`--pin`). */
    pin: boolean;
}

/** Paced replay: the tasks of one foreach start at random moments over this many seconds (an assumption, stated in docs). */
export const START_SPREAD_SECONDS = 5;

const positive = (s: string) => Number.isInteger(Number(s)) && Number(s) > 0;

/** The options, or a list of what is wrong with the arguments. */
export function parseOptions(argv: string[]): Options | string[] {
    const o: Options = { levels: [1, 5, 10, 20], seconds: 15, thresholdMs: 1000, width: 100, modes: ["paced", "burst"], recordWidths: [2, 4], pin: false };
    const problems: string[] = [];
    for (let i = 0; i < argv.length; i += 2) {
        const [flag, value] = [argv[i], argv[i + 1]];
        if (flag === "--pin") {
            o.pin = true;
            i -= 1;
            continue;
        }
        const list = (value ?? "").split(",");
        if (value === undefined) problems.push(`${flag} needs a value`);
        else if (flag === "--out") o.out = value;
        else if (flag === "--levels" && list.every(positive)) o.levels = list.map(Number);
        else if (flag === "--record-widths" && list.length === 2 && list.every(positive) && list[0] !== list[1]) o.recordWidths = list.map(Number);
        else if (flag === "--seconds" && positive(value)) o.seconds = Number(value);
        else if (flag === "--threshold-ms" && positive(value)) o.thresholdMs = Number(value);
        else if (flag === "--width" && positive(value)) o.width = Number(value);
        else if (flag === "--modes" && list.every((m) => m === "paced" || m === "burst")) o.modes = list as Options["modes"];
        else problems.push(`${flag} ${value}: unknown option or invalid value`);
    }
    return problems.length ? problems : o;
}

/** One level: the load generator for `seconds`, the database polled every second, the service's CPU before and after. */
async function runLevel(svc: PlannedService, mix: Mix, o: Options, mode: "paced" | "burst", engineers: number, dir: string): Promise<LevelResult> {
    const spec = { port: svc.port, engineers, width: o.width, seconds: o.seconds, timeoutSeconds: 10, flow: `Capacity${mode}`, paced: mode === "paced", startSpreadSeconds: START_SPREAD_SECONDS, taskSequence: mix.taskSequence, runBefore: mix.runBefore, runAfter: mix.runAfter };
    const file = path.join(dir, `level-${mode}-${engineers}.json`);
    fs.writeFileSync(file, JSON.stringify(spec));
    const db: Array<Record<string, number>> = [];
    const backends = new BackendCpu(svc);
    const poll = setInterval(() => {
        try {
            db.push(svc.dbConnections());
            backends.sample();
        } catch {
            /* a poll that fails is left out */
        }
    }, 1000);
    const others = o.pin ? pinService(svc) : undefined;
    const cpu0 = cpuSecondsOf(svc.pid) ?? NaN;
    try {
        const out = JSON.parse(await runPython([path.join(__dirname, "capacity", "loadgen.py"), file], { PATH: process.env.PATH, LANG: "C.UTF-8" }, dir, (o.seconds + 60) * 1000, others)) as LoadgenOutput;
        const serviceCpuSeconds = (cpuSecondsOf(svc.pid) ?? NaN) - cpu0;
        const load1 = parseLoad1(fs.readFileSync("/proc/loadavg", "utf8"));
        return summarise({ mode, engineers, width: o.width, out, serviceCpuSeconds, databaseCpuSeconds: backends.total(), db, load1, thresholdMs: o.thresholdMs });
    } finally {
        clearInterval(poll);
    }
}

/**
 * `--pin`: the service process on CPU 0 alone, as a 1-vCPU task has its vCPU; PostgreSQL (its postmaster, so new
 * backends too, and the backends open now) on the other CPUs, where the load generator runs as well. Returns them.
 */
function pinService(svc: PlannedService): string {
    const others = os.cpus().length > 2 ? `1-${os.cpus().length - 1}` : "1";
    const taskset = (cpus: string, pid: number) => execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
    taskset("0", svc.pid);
    const postmaster = Number(fs.readFileSync(path.join(svc.pg.dir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
    for (const pid of [postmaster, ...svc.dbBackendPids()]) taskset(others, pid);
    return others;
}

/**
 * CPU of the PostgreSQL backends serving the service during a level (on AWS it is RDS's, not the task's): each
 * backend's CPU when first seen and when last seen, from /proc. A backend that lived between two polls is missed.
 */
class BackendCpu {
    private readonly first = new Map<number, number>();
    private readonly last = new Map<number, number>();
    constructor(private readonly svc: PlannedService) {
        this.sample();
    }
    sample(): void {
        for (const pid of this.svc.dbBackendPids()) {
            const cpu = cpuSecondsOf(pid);
            if (cpu === undefined) continue;
            if (!this.first.has(pid)) this.first.set(pid, cpu);
            this.last.set(pid, cpu);
        }
    }
    total(): number {
        this.sample();
        return Math.round([...this.last].reduce((a, [pid, cpu]) => a + cpu - (this.first.get(pid) ?? cpu), 0) * 100) / 100;
    }
}

async function measure(o: Options, dir: string): Promise<Record<string, unknown>> {
    const started = Date.now();
    const svc = await startPlannedService();
    try {
        const recording = await record(svc.port, dir, o.recordWidths);
        const mix = buildMix("CapacityFlow", "work", recording.runs, recording.read.records);
        console.log(`recorded: ${recording.runs.map((r) => `width ${r.width}: ${r.records.length} requests in ${r.seconds.toFixed(1)} s`).join("; ")}; Client API read: ${recording.read.records.length} requests (${JSON.stringify(recording.read.seen)})`);
        console.log(`one foreach task sends ${mix.taskSequence.length} requests: ${JSON.stringify(mix.perForeachTask)}`);
        const levels: LevelResult[] = [];
        for (const mode of o.modes) {
            for (const engineers of o.levels) {
                const level = await runLevel(svc, mix, o, mode, engineers, dir);
                levels.push(level);
                const slowest = Object.entries(level.byRequest).sort(([, a], [, b]) => b.p99 - a.p99)[0];
                console.log(`${mode} ${engineers} engineer(s): ${level.requests} requests, ${level.rps} req/s, p99 ${level.p99} ms, ${level.errors} errors; slowest: ${slowest ? `${slowest[0]} p99 ${slowest[1].p99} ms` : "none"}`);
                if (level.saturated) break;
            }
        }
        const idle = svc.dbConnections();
        return { machine: machine(), service: { taskSize: svc.taskSize, processes: 1, dbConnectionsAfter: idle }, options: o, seconds: (Date.now() - started) / 1000, mix, recording, levels };
    } finally {
        await svc.stop();
    }
}

function machine(): Record<string, unknown> {
    return { cores: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100), node: process.version, at: new Date().toISOString() };
}

async function main(): Promise<number> {
    const o = parseOptions(process.argv.slice(2));
    if (Array.isArray(o)) {
        process.stderr.write(`${o.join("\n")}\n`);
        return 2;
    }
    if (o.pin && os.cpus().length < 2) {
        process.stderr.write("--pin needs two CPUs or more (the service alone on one)\n");
        return 2;
    }
    const missing = serviceUnavailable();
    if (missing) {
        process.stderr.write(`capacity: the metadata service cannot run here: needs ${missing}\n`);
        return 1;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mf-capacity-"));
    try {
        const result = await measure(o, dir);
        const levels = result.levels as LevelResult[];
        console.log(`\ncapacity of one metadata-service process (${os.cpus().length} cores, load ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}; threshold p99 ${o.thresholdMs} ms; ${o.seconds} s a level${o.pin ? "; the service alone on CPU 0" : ""}):`);
        console.log(renderTable(levels, o.thresholdMs));
        if (o.out) fs.writeFileSync(o.out, `${JSON.stringify(result, null, 1)}\n`);
        return 0;
    } finally {
        stopAll();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

if (require.main === module) {
    main().then(
        (code) => process.exit(code),
        (err) => {
            process.stderr.write(`${(err as Error).stack}\n`);
            stopAll();
            process.exit(1);
        },
    );
}
