/**
 * The pure parts of the capacity benchmark (scripts/capacity.ts): path templates, the mix of a recording, percentiles,
 * the saturation rule, the table and the options. The benchmark itself runs the real service and is a bench step
 * (`npm run bench -- --only capacity`), never a test: its figures depend on the machine.
 */
import { expect } from "chai";

import { parseOptions } from "../../scripts/capacity";
import { buildMix, completeTask, countByTemplate, ownRun, percentile, RawRecord, replayPath, splitRun, templatePath } from "../../scripts/capacity/mix";
import { LevelInput, parseLoad1, renderTable, summarise } from "../../scripts/capacity/report";

const R = (method: string, p: string, t: number, extra: Partial<RawRecord> = {}): RawRecord => ({ t, method, path: p, bytes: 0, status: 200, ms: 1, ...extra });

/** A run of `width` foreach tasks as Metaflow's runtime and tasks send it (simplified): run, start, fan-out, join. */
function run(runNumber: number, width: number, firstTask: number): RawRecord[] {
    const base = `/flows/F/runs/${runNumber}`;
    const out = [
        R("POST", "/flows/F/run", 0, { body: { flow_id: "F" }, response: { run_number: runNumber } }),
        R("GET", `${base}/steps/start`, 0.1, { status: 404 }),
        R("POST", `${base}/steps/start/step`, 0.2),
    ];
    for (let i = 0; i < width; i++) {
        const id = firstTask + i;
        out.push(R("POST", `${base}/steps/work/task`, 1 + i, { response: { task_id: id } }));
        out.push(R("GET", "/ping", 1.5 + i));
        out.push(R("POST", `${base}/steps/work/tasks/${id}/metadata`, 2 + i, { body: [{ task_id: id, run_number: String(runNumber) }] }));
        out.push(R("POST", `${base}/steps/work/tasks/${id}/heartbeat`, 2.5 + i));
    }
    out.push(R("POST", `${base}/steps/join/step`, 50));
    return out;
}

describe("capacity benchmark: the request mix", () => {
    it("templates every id of metaflow-service's routes, and keeps step and artifact names for the replay", () => {
        expect(templatePath("/flows/F/runs/12/steps/work/tasks/7/artifacts/x")).to.equal("/flows/{flow_id}/runs/{run_number}/steps/{step_name}/tasks/{task_id}/artifacts/{artifact_name}");
        expect(templatePath("/flows/F/run")).to.equal("/flows/{flow_id}/run");
        expect(templatePath("/flows/F/runs/3/steps/a/task")).to.equal("/flows/{flow_id}/runs/{run_number}/steps/{step_name}/task");
        expect(templatePath("/flows")).to.equal("/flows");
        expect(templatePath("/ping")).to.equal("/ping");
        expect(replayPath("/flows/F/runs/12/steps/work/tasks/7/artifacts/x")).to.equal("/flows/{flow_id}/runs/{run_number}/steps/work/tasks/{task_id}/artifacts/x");
    });

    it("counts requests by method and template", () => {
        expect(countByTemplate([R("GET", "/ping", 0), R("GET", "/ping", 1), R("POST", "/flows/A", 2), R("POST", "/flows/B", 3)])).to.deep.equal({ "GET /ping": 2, "POST /flows/{flow_id}": 2 });
    });

    it("leaves out an earlier run's late requests, and splits a run into one task's, before and after", () => {
        const records = [R("POST", "/flows/F/runs/1/heartbeat", 0), ...run(2, 2, 10)];
        expect(ownRun(records)).to.have.length(records.length - 1);
        const split = splitRun(ownRun(records), "work");
        expect(split.taskIds).to.deep.equal(["10", "11"]);
        expect(split.task.map((r) => r.path)).to.deep.equal(["/flows/F/runs/2/steps/work/task", "/flows/F/runs/2/steps/work/tasks/10/metadata", "/flows/F/runs/2/steps/work/tasks/10/heartbeat"]);
        // The /ping between the tasks is the run's (no task id): before the fan-out's end.
        expect(split.before.map((r) => r.path)).to.include("/ping");
        expect(split.after.map((r) => r.path)).to.deep.equal(["/flows/F/runs/2/steps/join/step"]);
    });

    it("adds to one task's own requests what each task adds without its id (the version check), right after its creation", () => {
        const own = run(2, 2, 10);
        const { task } = splitRun(own, "work");
        const done = completeTask(task, { "GET /ping": 1, "POST /flows/{flow_id}/runs/{run_number}/steps/{step_name}/task": 1 }, own, "work");
        expect(done.map((r) => `${r.method} ${r.path}`)).to.deep.equal([
            "POST /flows/F/runs/2/steps/work/task",
            "GET /ping",
            "POST /flows/F/runs/2/steps/work/tasks/10/metadata",
            "POST /flows/F/runs/2/steps/work/tasks/10/heartbeat",
        ]);
        expect(done[1].t).to.equal(done[0].t);
    });

    it("derives what one more foreach task sends from two widths, and the sequences the replay sends", () => {
        const mix = buildMix("F", "work", [{ width: 4, seconds: 9, records: run(2, 4, 20) }, { width: 2, seconds: 5, records: run(1, 2, 10) }], [R("GET", "/flows/F", 0)]);
        expect(mix.runs.map((r) => r.width)).to.deep.equal([2, 4]);
        expect(mix.perForeachTask).to.deep.equal({
            "GET /ping": 1,
            "POST /flows/{flow_id}/runs/{run_number}/steps/{step_name}/task": 1,
            "POST /flows/{flow_id}/runs/{run_number}/steps/{step_name}/tasks/{task_id}/heartbeat": 1,
            "POST /flows/{flow_id}/runs/{run_number}/steps/{step_name}/tasks/{task_id}/metadata": 1,
        });
        expect(mix.read).to.deep.equal({ requests: 1, counts: { "GET /flows/{flow_id}": 1 } });
        expect(mix.taskSequence.map((r) => r.path)).to.deep.equal([
            "/flows/{flow_id}/runs/{run_number}/steps/work/task",
            "/ping",
            "/flows/{flow_id}/runs/{run_number}/steps/work/tasks/{task_id}/metadata",
            "/flows/{flow_id}/runs/{run_number}/steps/work/tasks/{task_id}/heartbeat",
        ]);
        // Recorded pauses (ms), the recorded body, and a heartbeat's 404 (sent too soon) not counted as an error.
        expect(mix.taskSequence.map((r) => r.pauseMs)).to.deep.equal([0, 0, 1000, 500]);
        expect(mix.taskSequence[2].body).to.deep.equal([{ task_id: 20, run_number: "2" }]);
        expect(mix.taskSequence[3].ok).to.deep.equal([404]);
        // A 4xx the client got and went on from is that request's answer.
        expect(mix.runBefore.find((r) => r.path.endsWith("/steps/start"))?.ok).to.deep.equal([404]);
        expect(() => buildMix("F", "work", [{ width: 2, seconds: 1, records: [] }], [])).to.throw(/two foreach widths/);
    });
});

describe("capacity benchmark: figures and report", () => {
    const level = (over: Partial<LevelInput> = {}, latencies = Array.from({ length: 100 }, (_, i) => i + 1)): LevelInput => ({
        mode: "paced",
        engineers: 5,
        width: 100,
        out: { wallSeconds: 10, latenciesMs: latencies, errors: {}, statuses: { 200: latencies.length }, foreaches: 2, tasks: 400, loadgenCpuSeconds: 0.05 },
        serviceCpuSeconds: 0.2,
        databaseCpuSeconds: 0.1,
        db: [{ idle: 8, active: 2 }, { idle: 10 }, { active: 3, "idle in transaction": 1, idle: 6 }],
        load1: 1.5,
        thresholdMs: 1000,
        ...over,
    });

    it("takes percentiles by nearest rank", () => {
        const xs = Array.from({ length: 100 }, (_, i) => i + 1);
        expect([percentile(xs, 50), percentile(xs, 95), percentile(xs, 99), percentile(xs, 100), percentile(xs, 0)]).to.deep.equal([50, 95, 99, 100, 1]);
        expect(percentile([7], 99)).to.equal(7);
        expect(percentile([], 50)).to.be.NaN;
    });

    it("summarises a level: rate, latency, connections in use, CPU per request", () => {
        const s = summarise(level());
        expect(s).to.include({ concurrentTasks: 500, requests: 100, rps: 10, p50: 50, p95: 95, p99: 99, errors: 0, dbActiveMax: 4, dbTotalMax: 10, serviceCpuMsPerRequest: 2, serviceCores: 0.02, databaseCpuMsPerRequest: 1, loadgenCpuMsPerRequest: 0.5, saturated: false });
        expect(summarise(level({ databaseCpuSeconds: undefined })).databaseCpuMsPerRequest).to.be.NaN;
    });

    it("gives each request kind's count and latency", () => {
        const s = summarise(level({}, [5, 1, 100, 3]));
        expect(s.byRequest).to.deep.equal({});
        const out = { ...level().out, latenciesMs: [5, 1, 100, 3], requestKeys: ["GET /ping", "POST /t", "POST /t", "GET /ping"] };
        expect(summarise(level({ out })).byRequest).to.deep.equal({ "GET /ping": { count: 2, p50: 3, p99: 5 }, "POST /t": { count: 2, p50: 1, p99: 100 } });
    });

    it("calls a level saturated on any error or a p99 over the threshold, not at it", () => {
        expect(summarise(level({ out: { ...level().out, errors: { timeout: 1 } } })).saturated).to.equal(true);
        expect(summarise(level({ thresholdMs: 99 })).saturated).to.equal(false);
        expect(summarise(level({ thresholdMs: 98 })).saturated).to.equal(true);
        expect(summarise(level({}, [])).saturated).to.equal(true);
    });

    it("prints one row a level and the saturation point of each mode", () => {
        const rows = [summarise(level({ engineers: 1 })), summarise(level({ engineers: 5, thresholdMs: 50, out: { ...level().out, errors: { "5xx": 2 } } })), summarise(level({ mode: "burst", engineers: 1 }))];
        const text = renderTable(rows, 1000);
        const lines = text.split("\n");
        expect(lines[0]).to.match(/^\| mode +\| engineers \| tasks +\| requests \| req\/s \| p50 ms \| p95 ms \| p99 ms \| errors/);
        expect(lines).to.have.length(2 + 3 + 2);
        expect(lines[3]).to.include("| 2 (5xx: 2)").and.include("| 4/10 ");
        expect(lines[5]).to.equal("paced: saturated at 5 engineer(s) (2 errors)");
        expect(lines[6]).to.equal("burst: not saturated up to 1 engineers (p99 <= 1000 ms, no errors)");
    });

    it("reads the load average and the options, and names what is wrong with them", () => {
        expect(parseLoad1("1.52 0.98 0.50 2/300 12345\n")).to.equal(1.52);
        expect(parseOptions([])).to.deep.include({ levels: [1, 5, 10, 20], seconds: 15, thresholdMs: 1000, width: 100, modes: ["paced", "burst"] });
        expect(parseOptions([])).to.deep.include({ pin: false });
        expect(parseOptions(["--levels", "1,2", "--pin", "--seconds", "5", "--modes", "burst", "--out", "x.json"])).to.deep.include({ levels: [1, 2], seconds: 5, modes: ["burst"], out: "x.json", pin: true });
        expect(parseOptions(["--levels", "0", "--modes", "fast", "--seconds"])).to.deep.equal(["--levels 0: unknown option or invalid value", "--modes fast: unknown option or invalid value", "--seconds needs a value"]);
    });
});
