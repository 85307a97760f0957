/**
 * The pure parts of the capacity benchmark (tested in test/tooling/capacity.test.ts): path templates, the request mix
 * of a recording, the per-task and per-run sequences the replay sends, percentiles and the report table.
 */

/** One line of the recording proxy's log (proxy.py). */
export interface RawRecord {
    t: number;
    method: string;
    path: string;
    query?: string;
    bytes: number;
    status: number;
    ms: number;
    body?: unknown;
    response?: unknown;
}

/** Collections of metaflow-service v2.5.1's routes whose next path segment is an id (services/metadata_service/api). */
const ID_AFTER: Record<string, string> = { flows: "{flow_id}", runs: "{run_number}", steps: "{step_name}", tasks: "{task_id}", artifacts: "{artifact_name}" };

/** A request path with every id replaced by its placeholder: `/flows/F/runs/3/steps/a/task` -> `/flows/{flow_id}/runs/{run_number}/steps/{step_name}/task`. */
export function templatePath(p: string): string {
    const parts = p.split("/");
    return parts.map((seg, i) => (i > 0 && ID_AFTER[parts[i - 1]] && seg !== "" ? ID_AFTER[parts[i - 1]] : seg)).join("/");
}

/** Like templatePath, but keeps step and artifact names (the flow's code, the same in every run): what the replay fills in. */
export function replayPath(p: string): string {
    const parts = p.split("/");
    const keep = new Set(["steps", "artifacts"]);
    return parts.map((seg, i) => (i > 0 && ID_AFTER[parts[i - 1]] && !keep.has(parts[i - 1]) && seg !== "" ? ID_AFTER[parts[i - 1]] : seg)).join("/");
}

export const key = (r: { method: string; path: string }): string => `${r.method} ${templatePath(r.path)}`;

/** Requests by `METHOD template`, sorted by key. */
export function countByTemplate(records: Array<{ method: string; path: string }>): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of records) counts[key(r)] = (counts[key(r)] ?? 0) + 1;
    return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

export interface ReplayRequest {
    method: string;
    /** Path with {flow_id}, {run_number}, {task_id} to fill in. */
    path: string;
    body?: unknown;
    /** Status codes that are not errors here (409: the flow exists). */
    ok?: number[];
    /** The recorded pause before it since the previous request of its sequence (capped): what paced replay waits. */
    pauseMs?: number;
}

export interface Mix {
    flow: string;
    /** Each recorded run: its width, duration and requests by template. */
    runs: Array<{ width: number; seconds: number; requests: number; counts: Record<string, number> }>;
    /** What one more task of the foreach adds (difference of the two widths, divided by their difference). */
    perForeachTask: Record<string, number>;
    /** The Client API's read of a run, as the UI and notebooks do. */
    read: { requests: number; counts: Record<string, number> };
    /** One foreach task's requests in order (its creation, then its own): what the replay sends per task. */
    taskSequence: ReplayRequest[];
    /** The run's requests outside the foreach tasks, before and after the fan-out. */
    runBefore: ReplayRequest[];
    runAfter: ReplayRequest[];
}

/**
 * A heartbeat within WAIT_TIME (10 s) of the last one updates no row and is answered 404 (metaflow-service v2.5.1,
 * services/data/postgres_async_db.py:31 and 699-711): the service's rate limit on heartbeats, not a failure.
 */
export const HEARTBEAT_TOO_SOON = 404;

/** Longest pause kept between two requests of a sequence (a task's heartbeat every 10 s is the long one). */
export const MAX_PAUSE_MS = 10_000;

const pathTaskId = (p: string): string | undefined => /\/tasks\/([^/]+)/.exec(p)?.[1];
const createdTaskId = (r: RawRecord): string | undefined =>
    r.method === "POST" && /\/task$/.test(r.path) && r.response && typeof r.response === "object" ? String((r.response as { task_id?: unknown }).task_id) : undefined;
/** A recorded request as the replay sends it; `after` is the record before it in the same sequence (for the pause). */
function toReplay(r: RawRecord, i: number, seq: RawRecord[]): ReplayRequest {
    const pause = i > 0 ? Math.max(0, Math.min(MAX_PAUSE_MS, Math.round((r.t - seq[i - 1].t) * 1000))) : 0;
    return {
        method: r.method,
        path: replayPath(r.path),
        ...(r.body !== undefined && r.body !== null ? { body: r.body } : {}),
        // A 4xx the real client got and went on from (404: `GET .../steps/_parameters` before creating it; 409: the
        // flow exists) is what that request answers, not an error.
        ...(r.status >= 400 && r.status < 500 ? { ok: [r.status] } : /\/heartbeat$/.test(r.path) ? { ok: [HEARTBEAT_TOO_SOON] } : {}),
        pauseMs: pause,
    };
}

/** Splits one run's records into the foreach tasks' (by task id) and the rest, and picks a task that ran once. */
export function splitRun(records: RawRecord[], foreachStep: string): { task: RawRecord[]; before: RawRecord[]; after: RawRecord[]; taskIds: string[] } {
    const inStep = (r: RawRecord) => r.path.includes(`/steps/${foreachStep}/`);
    const taskIds = [...new Set(records.filter(inStep).map((r) => createdTaskId(r) ?? pathTaskId(r.path)).filter((x): x is string => !!x))];
    const ofTask = (id: string) => records.filter((r) => inStep(r) && (createdTaskId(r) === id || pathTaskId(r.path) === id));
    const byTask = taskIds.map((id) => ofTask(id));
    // The task with the fewest requests ran once (the retried one sent two attempts' worth).
    const task = byTask.sort((a, b) => a.length - b.length)[0] ?? [];
    const inForeach = new Set(byTask.flat());
    const first = records.findIndex((r) => inForeach.has(r));
    const last = records.length - 1 - [...records].reverse().findIndex((r) => inForeach.has(r));
    const rest = records.map((r, i) => ({ r, i })).filter(({ r }) => !inForeach.has(r));
    // The run's requests during the fan-out (the foreach step's registration, the run's heartbeats) go before it.
    return { task, before: rest.filter(({ i }) => first < 0 || i < last).map(({ r }) => r), after: rest.filter(({ i }) => first >= 0 && i > last).map(({ r }) => r), taskIds };
}

/** A run's records without the late ones of an earlier run (its tasks' last heartbeats can arrive after it ended). */
export function ownRun(records: RawRecord[]): RawRecord[] {
    const created = records.find((r) => r.method === "POST" && /\/run$/.test(r.path) && r.response && typeof r.response === "object");
    const run = created ? String((created.response as { run_number?: unknown }).run_number) : undefined;
    return run === undefined ? records : records.filter((r) => !/\/runs\/[^/]+/.test(r.path) || r.path.includes(`/runs/${run}/`) || r.path.endsWith(`/runs/${run}`));
}

/**
 * One task's own requests (paths with its id) lack what its process sends about the run and step (the version check
 * `GET /ping`, `GET .../steps/<step>`): every template the width adds more of than the task's own list holds is added
 * at its start, taken from the run's requests (the foreach step's where there is one).
 */
export function completeTask(task: RawRecord[], perTask: Record<string, number>, run: RawRecord[], foreachStep: string): RawRecord[] {
    if (!task.length) return task;
    const added: RawRecord[] = [];
    for (const [k, n] of Object.entries(perTask)) {
        const missing = Math.round(n) - task.filter((r) => key(r) === k).length;
        const samples = run.filter((r) => key(r) === k);
        const sample = samples.find((r) => r.path.includes(`/steps/${foreachStep}`)) ?? samples[0];
        // Sent right after the task is created (no pause of their own in the replay).
        for (let i = 0; sample && i < missing; i++) added.push({ ...sample, t: task[0].t });
    }
    return [task[0], ...added, ...task.slice(1)];
}

/** The mix of a recording: two or more runs of different widths and one read. */
export function buildMix(flow: string, foreachStep: string, runs: Array<{ width: number; seconds: number; records: RawRecord[] }>, read: RawRecord[]): Mix {
    if (runs.length < 2) throw new Error("the mix needs runs of two foreach widths");
    const sorted = [...runs].sort((a, b) => a.width - b.width);
    const [lo, hi] = [sorted[0], sorted[sorted.length - 1]];
    const [cLo, cHi] = [countByTemplate(lo.records), countByTemplate(hi.records)];
    const perForeachTask: Record<string, number> = {};
    for (const k of new Set([...Object.keys(cLo), ...Object.keys(cHi)])) {
        // Only what grows with the width: a flow is registered once (by its first run, not the later), and heartbeats
        // follow the clock, so a few templates can differ by less than nothing between the runs.
        const d = ((cHi[k] ?? 0) - (cLo[k] ?? 0)) / (hi.width - lo.width);
        if (d > 0) perForeachTask[k] = Math.round(d * 100) / 100;
    }
    const own = ownRun(hi.records);
    const split = splitRun(own, foreachStep);
    return {
        flow,
        runs: sorted.map((r) => ({ width: r.width, seconds: Math.round(r.seconds * 10) / 10, requests: r.records.length, counts: countByTemplate(r.records) })),
        perForeachTask: Object.fromEntries(Object.entries(perForeachTask).sort(([a], [b]) => a.localeCompare(b))),
        read: { requests: read.length, counts: countByTemplate(read) },
        taskSequence: completeTask(split.task, perForeachTask, own, foreachStep).map(toReplay),
        runBefore: split.before.map(toReplay),
        runAfter: split.after.map(toReplay),
    };
}

/** The q-th percentile (0-100) by nearest rank of the sorted values; NaN for none. */
export function percentile(sorted: number[], q: number): number {
    if (!sorted.length) return NaN;
    const rank = Math.ceil((q / 100) * sorted.length);
    return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
