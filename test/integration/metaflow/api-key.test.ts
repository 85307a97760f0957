/**
 * Defect 9: the public API key must never reach a Batch job's environment, a state machine definition, a log or a
 * stack output. Metaflow 2.19.38 turns SERVICE_AUTH_KEY into the `x-api-key` header (metaflow_config.py:290-293) and
 * hands its headers to every task as METAFLOW_SERVICE_HEADERS (plugins/aws/batch/batch.py:328-330), so the only safe
 * profile is one without the key. Checked with Metaflow's own config loader and `step-functions create --only-json`.
 */
import { expect } from "chai";

import { runStack } from "../../harness";
import { MotoServer, startMoto } from "../support/moto";
import { flowSource, metaflowSource, MetaflowWorkspace, PYTHON } from "../support/metaflow";

describe("the public API key (servicePublicApi) with the real Metaflow", function () {
    this.timeout(120000);
    let moto: MotoServer | undefined;
    let ws: MetaflowWorkspace;

    before(async function () {
        const source = metaflowSource(this);
        moto = await startMoto(PYTHON);
        ws = new MetaflowWorkspace(source, moto.url);
    });
    after(() => {
        moto?.stop();
        ws?.cleanup();
    });

    it("is in no output, no header Metaflow sends to tasks, no state machine definition and no log line", async () => {
        const run = await runStack("dev", { set: { servicePublicApi: true } });
        const key = run.one("random:index/randomPassword:RandomPassword").state.result as string;
        expect(key).to.have.length.greaterThan(20);
        expect(JSON.stringify(run.outputs), "stack outputs").to.not.include(key);

        const profile = run.outputs.metaflowConfig as Record<string, string>;
        ws.writeProfile("public", profile);
        const loaded = ws.loadedConfig("public");
        expect(JSON.stringify(loaded.SERVICE_HEADERS), "METAFLOW_SERVICE_HEADERS of every task").to.not.include(key);

        const queues = Object.values((run.outputs.batch as { queueNames: Record<string, string> }).queueNames);
        ws.seedAws({ buckets: [new URL(profile.METAFLOW_DATASTORE_SYSROOT_S3).host], queues: queues.map((name) => ({ name, platform: "EC2" })) });
        ws.writeFile("probe_flow.py", flowSource("ProbeFlow"));
        const r = ws.run(["probe_flow.py", "--no-pylint", "step-functions", "create", "--only-json"], ws.env("public", { METAFLOW_SERVICE_VERSION_CHECK: "0" }));
        expect(r.status, r.stderr).to.equal(0);
        const definition = JSON.parse(r.stdout);
        const env = JSON.stringify(definition.States.start.Parameters.ContainerOverrides.Environment);
        expect(env).to.include("METAFLOW_SERVICE_HEADERS");
        expect(r.stdout, "state machine definition").to.not.include(key);
        expect(r.stderr, "Metaflow's log").to.not.include(key);
    });
});
