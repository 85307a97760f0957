/**
 * The planned prod metadata task serving the real v2.5.1 API over a TLS-only PostgreSQL, and the image version it
 * pins (issue 9, defect 2: releases before v2.5.1 build update_row's SQL from request values).
 */
import { expect } from "chai";

import { parseImage, serviceImageProblem } from "../../../components/metaflow-service/rules";
import { readRun, recordRun, serviceFixture, startService } from "./fixture";
import { request } from "../support/planned-task";

describe("metadata service API (planned prod task, v2.5.1)", function () {
    this.timeout(60_000);
    const f = serviceFixture();

    it("plans the release whose sources this suite runs (v2.5.1), and the version rule rejects every older one", () => {
        for (const c of f.containers) expect(parseImage(c.image).version, `${c.name} image ${c.image}`).to.deep.equal([2, 5, 1]);
        expect(serviceImageProblem("netflixoss/metaflow_metadata_service:v2.5.0")).to.match(/SQL injection/);
        expect(serviceImageProblem("public.ecr.aws/outerbounds/metaflow_metadata_service:v2.4.12")).to.match(/predates v2\.5\.1/);
    });

    it("migrates, answers /ping and /healthcheck, records a run and reads it back", async () => {
        f.resetDatabase();
        const task = f.task("task");
        expect(await task.runToCompletion("migrate", 30_000)).to.equal(0);
        const port = await startService(task);
        const ping = await request(port, "GET", "/ping");
        expect([ping.status, ping.body]).to.deep.equal([200, "pong"]);
        // v2.5.1 answers with a JSON string that holds JSON (admin.py healthcheck, json.dumps of a JSON body).
        expect(JSON.parse(JSON.parse((await request(port, "GET", "/healthcheck")).body))).to.deep.equal({ status: "UP" });
        expect((await request(port, "GET", "/version")).body).to.equal("2.5.1");
        const run = await recordRun(port, "ApiFlow");
        await readRun(port, "ApiFlow", run);

        // update_row (run tags) with a value that would break string-built SQL: stored as given, nothing executed.
        const hostile = "it's'); DROP TABLE flows_v3; --";
        const mutate = await request(port, "PATCH", `/flows/ApiFlow/runs/${run}/tag/mutate`, { user_name: "integration", tags_to_add: [hostile], tags_to_remove: [] });
        expect(mutate.status, mutate.body).to.equal(200);
        expect(JSON.parse((await request(port, "GET", `/flows/ApiFlow/runs/${run}`)).body).tags).to.deep.equal([hostile]);
        expect(f.pg.sql("SELECT count(*) FROM flows_v3", "metaflow")).to.equal("1");
    });
});
