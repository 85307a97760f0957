/**
 * Defect 8: an object key reaches the flow exactly and is never executed. Metaflow 2.19.38 hands the execution's
 * `Parameters` to the start step as `export METAFLOW_INIT_<NAME>="<JSON>"` lines that bash sources
 * (step_functions/set_batch_environment.py:8-20, step_functions.py:971-980; batch.py:110 runs `bash -c`). Here the
 * planned trigger's delivery is reproduced (the relay's JSONata evaluated with the jsonata package, or EventBridge's
 * raw insertion into an input template), then Metaflow's own `set_batch_environment` writes the file, bash sources
 * it, and the flow reads its parameter the documented way (`urllib.parse.unquote`).
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

import { RecordedResource } from "../../../offline/mocks";
import { runStack, StackRun } from "../../harness";
import { hasCommand, unavailable } from "../support/env";
import { flowSource, installProfile, MetaflowWorkspace, PYTHON, stepFunctionsJson, withMetaflow } from "../support/metaflow";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const jsonata = require("jsonata");

const TRIGGER = { name: "ingest", flow: "IngestFlow", s3Prefix: "incoming/", keyParameter: "key", parameters: { mode: "full", limit: 10 } };
/** Static parameters only: EventBridge's input transformer, no relay. Quotes and backslashes are allowed values. */
const SCHEDULED = { name: "nightly", flow: "IngestFlow", schedule: "rate(1 day)", parameters: { mode: 'say "hi" \\ then go', limit: 3, key: "fixed/key.csv" } };

/** Keys an uploader can create (S3 allows any UTF-8): shell syntax, JSON syntax, percent signs, spaces, non-ASCII. */
const KEYS = [
    "incoming/report$2024.csv",
    "incoming/a`touch pwned-backtick`.csv",
    "incoming/$(touch pwned-subshell).csv",
    'incoming/quote"and\\backslash.csv',
    "incoming/100%25 done+more & so on.csv",
    "incoming/dïacrïtics/日本語 $HOME.csv",
];

/** What the flow's state machine receives as `$.Parameters` for an object created at `key`, or why nothing arrives. */
async function delivered(run: StackRun, bucket: string, key: string, trigger: { name: string } = TRIGGER): Promise<string> {
    const event = { version: "0", source: "aws.s3", "detail-type": "Object Created", detail: { bucket: { name: bucket }, object: { key, size: 5 } } };
    const relay = run.ofType("aws:sfn/stateMachine:StateMachine").find((m: RecordedResource) => m.name.endsWith(`-trigger-${trigger.name}-relay`));
    if (relay) {
        const args = JSON.parse(relay.inputs.definition).States.StartFlow.Arguments;
        const expr = /^\{%([\s\S]*)%\}$/.exec(args.Input.Parameters)![1];
        return jsonata(expr).evaluate({}, { states: { input: event } });
    }
    // EventBridge's input transformer inserts the value as is; an input that is not JSON fails the invocation.
    const target = run.one("aws:cloudwatch/eventTarget:EventTarget", `-trigger-${trigger.name}-target`);
    const t = target.inputs.inputTransformer;
    let template: string = t.inputTemplate;
    for (const [name, p] of Object.entries(t.inputPaths ?? {})) if (p === "$.detail.object.key") template = template.split(`<${name}>`).join(key);
    try {
        return JSON.parse(template).Parameters;
    } catch {
        throw new Error(`EventBridge would fail the invocation for ${JSON.stringify(key)}: the input is not JSON`);
    }
}

describe("trigger parameters through Metaflow's own parameter handling", function () {
    this.timeout(120000);
    const workspace = withMetaflow();
    let ws: MetaflowWorkspace;
    let run: StackRun;
    let defaults: string;
    let bucket: string;

    before(async function () {
        if (!hasCommand("bash")) unavailable(this, "bash");
        ws = workspace();
        run = await runStack("dev", { set: { triggers: [TRIGGER, SCHEDULED] } });
        bucket = new URL(installProfile(ws, "dev", run).METAFLOW_DATASTORE_SYSROOT_S3).host;
        const { definition } = stepFunctionsJson(ws, "dev", ws.writeFile("ingest.py", flowSource("IngestFlow", { parameters: ["key", "mode", "limit"] })));
        const env: Array<{ Name: string; Value?: string; "Value.$"?: string }> = definition.States.start.Parameters.ContainerOverrides.Environment;
        expect(env.find((e) => e.Name === "METAFLOW_PARAMETERS")!["Value.$"]).to.equal("$.Parameters");
        defaults = env.find((e) => e.Name === "METAFLOW_DEFAULT_PARAMETERS")!.Value!;
    });

    /** Metaflow's set_batch_environment writes the export lines, bash sources them: the METAFLOW_INIT_* the step sees. */
    function startStepEnvironment(parameters: string): { init: Record<string, string>; dir: string } {
        const dir = fs.mkdtempSync(path.join(ws.dir, "task-"));
        const env = ws.env("dev", { METAFLOW_PARAMETERS: parameters, METAFLOW_DEFAULT_PARAMETERS: defaults });
        const write = ws.run(["-m", "metaflow.plugins.aws.step_functions.set_batch_environment", "parameters", path.join(dir, "params")], env);
        expect(write.status, write.stderr).to.equal(0);
        const read = "import json, os; print(json.dumps({k: os.environ[k] for k in os.environ if k.startswith('METAFLOW_INIT_')}))";
        // As the start step does: `... && . `pwd`/<file>` inside bash -c, in the task's working directory.
        const sourced = spawnSync("bash", ["-c", `. ./params && ${PYTHON} -c "${read}"`], { cwd: dir, env, encoding: "utf8", timeout: 20000 });
        expect(sourced.status, sourced.stderr).to.equal(0);
        return { init: JSON.parse(sourced.stdout), dir };
    }

    it("static parameters (quotes, backslashes) arrive exactly through the input transformer", async () => {
        const { init } = startStepEnvironment(await delivered(run, bucket, "", SCHEDULED));
        expect(init).to.deep.equal({ METAFLOW_INIT_MODE: SCHEDULED.parameters.mode, METAFLOW_INIT_LIMIT: "3", METAFLOW_INIT_KEY: "fixed/key.csv" });
    });

    for (const key of KEYS) {
        it(`${JSON.stringify(key)} arrives exactly and runs nothing`, async () => {
            const { init, dir } = startStepEnvironment(await delivered(run, bucket, key));
            const env = ws.env("dev");
            expect(fs.readdirSync(dir).filter((f) => f.startsWith("pwned")), "commands run by the key").to.deep.equal([]);
            expect(init.METAFLOW_INIT_MODE).to.equal("full");
            expect(init.METAFLOW_INIT_LIMIT).to.equal("10");
            const unquote = ws.run(["-c", "import sys, urllib.parse; sys.stdout.write(urllib.parse.unquote(sys.argv[1]))", init.METAFLOW_INIT_KEY], env);
            expect(unquote.stdout, "the key as the flow reads it").to.equal(key);
        });
    }
});
