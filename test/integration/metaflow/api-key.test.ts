/**
 * Defect 9: the public API key must never reach a Batch job's environment, a state machine definition, a log or a
 * stack output. Metaflow 2.19.38 turns SERVICE_AUTH_KEY into the `x-api-key` header (metaflow_config.py:290-293) and
 * hands its headers to every task as METAFLOW_SERVICE_HEADERS (plugins/aws/batch/batch.py:328-330), so the only safe
 * profile is one without the key. Checked with Metaflow's own config loader and `step-functions create --only-json`.
 */
import { expect } from "chai";

import { runStack } from "../../harness";
import { flowSource, installProfile, stepFunctionsJson, withMetaflow } from "../support/metaflow";

describe("the public API key (servicePublicApi) with the real Metaflow", function () {
    this.timeout(120000);
    const workspace = withMetaflow();

    it("is in no output, no header Metaflow sends to tasks, no state machine definition and no log line", async () => {
        const run = await runStack("dev", { set: { servicePublicApi: true } });
        const key = run.one("random:index/randomPassword:RandomPassword").state.result as string;
        expect(key).to.have.length.greaterThan(20);
        expect(JSON.stringify(run.outputs), "stack outputs").to.not.include(key);

        const ws = workspace();
        installProfile(ws, "public", run);
        const loaded = ws.loadedConfig("public");
        expect(JSON.stringify(loaded.SERVICE_HEADERS), "METAFLOW_SERVICE_HEADERS of every task").to.not.include(key);

        const { definition, stderr } = stepFunctionsJson(ws, "public", ws.writeFile("probe_flow.py", flowSource("ProbeFlow")));
        const env = JSON.stringify(definition.States.start.Parameters.ContainerOverrides.Environment);
        expect(env).to.include("METAFLOW_SERVICE_HEADERS");
        expect(JSON.stringify(definition), "state machine definition").to.not.include(key);
        expect(stderr, "Metaflow's log").to.not.include(key);
    });
});
