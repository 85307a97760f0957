/**
 * The capacity benchmark's figures per level (pure: tested in test/tooling/capacity.test.ts): what the load generator
 * saw, the service's CPU, the database connections polled during the level, whether the level saturated the
 * service, and the table the bench prints.
 */
import { percentile } from "./mix";

/** What loadgen.py prints for one level. */
export interface LoadgenOutput {
    wallSeconds: number;
    latenciesMs: number[];
    /** Each request's `METHOD path` (placeholders for ids), in the order of latenciesMs. */
    requestKeys?: string[];
    errors: Record<string, number>;
    errorSamples?: string[];
    statuses: Record<string, number>;
    foreaches: number;
    tasks: number;
    loadgenCpuSeconds: number;
}

export interface LevelResult {
    mode: "paced" | "burst";
    engineers: number;
    /** Foreach tasks the level modelled at once (engineers x width). */
    concurrentTasks: number;
    requests: number;
    seconds: number;
    rps: number;
    p50: number;
    p95: number;
    p99: number;
    errors: number;
    errorKinds: Record<string, number>;
    errorSamples: string[];
    foreachesCompleted: number;
    tasksCompleted: number;
    /** Database connections of the service polled during the level: the most in use (not idle) and in total. */
    dbActiveMax: number;
    dbTotalMax: number;
    serviceCpuSeconds: number;
    serviceCpuMsPerRequest: number;
    /** The service's CPU seconds per wall second (1 = one core busy all the time). */
    serviceCores: number;
    loadgenCpuMsPerRequest: number;
    databaseCpuMsPerRequest: number;
    /** The machine's 1-minute load average at the level's end. */
    load1: number;
    saturated: boolean;
    /** Latency by request (method and path with placeholders): which endpoint slows first. */
    byRequest: Record<string, { count: number; p50: number; p99: number }>;
}

export interface LevelInput {
    mode: "paced" | "burst";
    engineers: number;
    width: number;
    out: LoadgenOutput;
    serviceCpuSeconds: number;
    /** CPU of the database backends serving the service during the level (RDS's on AWS). */
    databaseCpuSeconds?: number;
    /** Polls of pg_stat_activity: connections by state. */
    db: Array<Record<string, number>>;
    load1: number;
    thresholdMs: number;
}

const round = (x: number, digits = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

/** The level's figures; it saturated the service when any request failed or p99 passed the threshold. */
export function summarise(input: LevelInput): LevelResult {
    const { out } = input;
    const sorted = [...out.latenciesMs].sort((a, b) => a - b);
    const requests = sorted.length;
    const errors = Object.values(out.errors).reduce((a, b) => a + b, 0);
    const p99 = percentile(sorted, 99);
    const active = input.db.map((s) => Object.entries(s).filter(([state]) => state !== "idle").reduce((a, [, n]) => a + n, 0));
    const total = input.db.map((s) => Object.values(s).reduce((a, b) => a + b, 0));
    return {
        mode: input.mode,
        engineers: input.engineers,
        concurrentTasks: input.engineers * input.width,
        requests,
        seconds: round(out.wallSeconds, 2),
        rps: round(requests / out.wallSeconds),
        p50: round(percentile(sorted, 50)),
        p95: round(percentile(sorted, 95)),
        p99: round(p99),
        errors,
        errorKinds: out.errors,
        errorSamples: out.errorSamples ?? [],
        foreachesCompleted: out.foreaches,
        tasksCompleted: out.tasks,
        dbActiveMax: Math.max(0, ...active),
        dbTotalMax: Math.max(0, ...total),
        serviceCpuSeconds: round(input.serviceCpuSeconds, 2),
        serviceCpuMsPerRequest: round(requests ? (input.serviceCpuSeconds * 1000) / requests : NaN, 2),
        serviceCores: round(input.serviceCpuSeconds / out.wallSeconds, 2),
        loadgenCpuMsPerRequest: round(requests ? (out.loadgenCpuSeconds * 1000) / requests : NaN, 2),
        databaseCpuMsPerRequest: round(requests && input.databaseCpuSeconds !== undefined ? (input.databaseCpuSeconds * 1000) / requests : NaN, 2),
        load1: input.load1,
        saturated: errors > 0 || !(p99 <= input.thresholdMs),
        byRequest: byRequest(out),
    };
}

/** Count, p50 and p99 of each request kind the load generator sent. */
export function byRequest(out: LoadgenOutput): LevelResult["byRequest"] {
    const groups = new Map<string, number[]>();
    (out.requestKeys ?? []).forEach((k, i) => groups.set(k, [...(groups.get(k) ?? []), out.latenciesMs[i]]));
    const result: LevelResult["byRequest"] = {};
    for (const [k, xs] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
        const sorted = xs.sort((a, b) => a - b);
        result[k] = { count: sorted.length, p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) };
    }
    return result;
}

/** The levels as a table, one row each, with the saturation point under it. */
export function renderTable(levels: LevelResult[], thresholdMs: number): string {
    const header = ["mode", "engineers", "tasks", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "db conn (active/total)", "svc CPU ms/req", "svc cores", "db CPU ms/req", "gen CPU ms/req", "load1"];
    const rows = levels.map((l) => [
        l.mode,
        String(l.engineers),
        String(l.concurrentTasks),
        String(l.requests),
        l.rps.toFixed(1),
        l.p50.toFixed(1),
        l.p95.toFixed(1),
        l.p99.toFixed(1),
        l.errors ? `${l.errors} (${Object.entries(l.errorKinds).map(([k, n]) => `${k}: ${n}`).join(", ")})` : "0",
        `${l.dbActiveMax}/${l.dbTotalMax}`,
        l.serviceCpuMsPerRequest.toFixed(2),
        l.serviceCores.toFixed(2),
        Number.isNaN(l.databaseCpuMsPerRequest) ? "n/a" : l.databaseCpuMsPerRequest.toFixed(2),
        l.loadgenCpuMsPerRequest.toFixed(2),
        l.load1.toFixed(2),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i])).join(" | ")} |`;
    const verdicts = (["paced", "burst"] as const).flatMap((mode) => {
        const ofMode = levels.filter((l) => l.mode === mode);
        if (!ofMode.length) return [];
        const first = ofMode.find((l) => l.saturated);
        return [`${mode}: ${first ? `saturated at ${first.engineers} engineer(s) (${first.errors ? `${first.errors} errors` : `p99 ${first.p99.toFixed(0)} ms > ${thresholdMs} ms`})` : `not saturated up to ${ofMode[ofMode.length - 1].engineers} engineers (p99 <= ${thresholdMs} ms, no errors)`}`];
    });
    return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line), ...verdicts].join("\n");
}

/** The 1-minute load average from /proc/loadavg's text. */
export function parseLoad1(loadavg: string): number {
    return Number(loadavg.trim().split(/\s+/)[0]);
}
