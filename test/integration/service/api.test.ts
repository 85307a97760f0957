/**
 * The planned prod metadata task serving the real v2.5.1 API over a TLS-only PostgreSQL, and the image version it
 * pins (issue 9, defect 2: releases before v2.5.1 build update_row's SQL from request values).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { parseImage, serviceImageProblem } from "../../../components/metaflow-service/rules";
import { freshServingTask, readRun, recordRun, serviceFixture } from "./fixture";
import { request, serviceSources } from "../support/planned-task";
import { ROOT } from "../support/env";

/** Text of every .py file under `dir`. */
function pythonSources(dir: string): string {
    return fs.readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? pythonSources(path.join(dir, e.name)) : e.name.endsWith(".py") ? fs.readFileSync(path.join(dir, e.name), "utf8") : "")).join("\n");
}

describe("metadata service API (planned prod task, v2.5.1)", function () {
    this.timeout(60_000);
    const f = serviceFixture();

    it("plans the release whose sources this suite runs (v2.5.1), and the version rule rejects every older one", () => {
        for (const c of f.containers) expect(parseImage(c.image).version, `${c.name} image ${c.image}`).to.deep.equal([2, 5, 1]);
        expect(serviceImageProblem("netflixoss/metaflow_metadata_service:v2.5.0")).to.match(/SQL injection/);
        expect(serviceImageProblem("public.ecr.aws/outerbounds/metaflow_metadata_service:v2.4.12")).to.match(/predates v2\.5\.1/);
    });

    it("migrates, answers /ping and /healthcheck, records a run and reads it back", async () => {
        const { port } = await freshServingTask(f);
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

    it("sets in each planned container only variables the code it runs reads (MF_MIGRATION_ENDPOINTS_ENABLED only where read)", () => {
        const root = serviceSources()!.root;
        const services = path.join(root, "services");
        // What each container runs: the metadata server (every package but the migration service, which never runs),
        // migrate.py then run_goose.py, credentials.py. libpq reads PG* variables, the AWS SDK AWS_* ones.
        const code: Record<string, string> = {
            metadata: fs.readdirSync(services).filter((d) => d !== "migration_service").map((d) => (fs.statSync(path.join(services, d)).isDirectory() ? pythonSources(path.join(services, d)) : "")).join("\n"),
            migrate: fs.readFileSync(path.join(ROOT, "components/metaflow-service/migrate.py"), "utf8") + fs.readFileSync(path.join(root, "run_goose.py"), "utf8"),
            "db-credentials": fs.readFileSync(path.join(ROOT, "components/metaflow-service/credentials.py"), "utf8"),
        };
        for (const c of f.containers) {
            const names = [...(c.environment ?? []), ...(c.secrets ?? [])].map((e) => e.name).filter((n) => !/^(PG|AWS_)/.test(n));
            // The service reads its variables through a prefix (DBConfiguration(prefix="MF_METADATA_DB_") + "HOST").
            const unread = names.filter((n) => !code[c.name].includes(`"${n}"`) && !(n.startsWith("MF_METADATA_DB_") && code[c.name].includes(`prefix + "${n.slice("MF_METADATA_DB_".length)}"`)));
            expect(unread, `${c.name}: variables nothing in it reads`).to.deep.equal([]);
        }
    });
});
