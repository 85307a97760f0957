/**
 * Migrations as the planned prod task runs them (the `migrate` container's command, then run_goose.py and goose),
 * against a TLS-only PostgreSQL: tasks starting together and a rolling upgrade must never hang (issue 9, defect 1).
 */
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

import { migrate, readRun, recordRun, serviceFixture, startService, DB_USER } from "./fixture";
import { request, serviceSources } from "../support/planned-task";

const LAST = "20230118020300";
/** The last migration before the first `NO TRANSACTION` / `CREATE INDEX CONCURRENTLY` one (20210260056859). */
const BEFORE_CONCURRENT_INDEXES = "20210202145952";

describe("metadata service migrations (planned prod task, real run_goose.py)", function () {
    this.timeout(90_000);
    const f = serviceFixture();

    it("two tasks starting together on an empty database both migrate and serve (no advisory-lock deadlock)", async () => {
        f.resetDatabase();
        const a = f.task("task-a");
        const b = f.task("task-b");
        const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
        expect([ra, rb], "exit codes of both migrate containers (timeout: they hung)").to.deep.equal([0, 0]);
        expect(f.pg.sql("SELECT max(version_id) FROM goose_db_version WHERE is_applied", "metaflow")).to.equal(LAST);
        const port = await startService(a);
        expect((await request(port, "GET", "/ping")).body).to.equal("pong");
        expect((await request(port, "GET", "/healthcheck")).status).to.equal(200);
        await readRun(port, "HelloFlow", await recordRun(port, "HelloFlow"));
    });

    it("a rolling upgrade (two new tasks next to a serving old one) migrates a populated database without a pause", async () => {
        f.resetDatabase();
        // The previous release's schema: every migration up to the concurrent-index ones, applied by goose.
        const src = serviceSources()!;
        const files = path.join(src.root, "services", "migration_service", "migration_files");
        const old = fs.mkdtempSync(path.join(f.pg.dir, "..", "mf-old-migrations-"));
        try {
            for (const file of fs.readdirSync(files).filter((n) => n.split("_")[0] <= BEFORE_CONCURRENT_INDEXES)) fs.copyFileSync(path.join(files, file), path.join(old, file));
            const dsn = `postgresql://${DB_USER}:${encodeURIComponent(f.password)}@${f.pg.host}:${f.pg.port}/metaflow?sslmode=verify-full&sslrootcert=${f.pg.caFile}`;
            execFileSync(path.join(src.bin, "goose"), ["-dir", old, "postgres", dsn, "up"], { stdio: "pipe" });
        } finally {
            fs.rmSync(old, { recursive: true, force: true });
        }
        expect(f.pg.sql("SELECT max(version_id) FROM goose_db_version WHERE is_applied", "metaflow")).to.equal(BEFORE_CONCURRENT_INDEXES);

        const oldTask = f.task("old");
        const oldPort = await startService(oldTask);
        const runs = [await recordRun(oldPort, "UpgradeFlow"), await recordRun(oldPort, "UpgradeFlow")];

        await request(oldPort, "POST", "/flows/TrafficFlow", { user_name: "integration", tags: [], system_tags: [] });
        // The old task keeps serving (and writing) while the new tasks migrate.
        let serving = true;
        const failures: string[] = [];
        const traffic = (async () => {
            while (serving) {
                const r = await request(oldPort, "POST", "/flows/TrafficFlow/run", { user_name: "integration", tags: [], system_tags: [] }, 5000);
                if (r.status !== 200) failures.push(`${r.status} ${r.body.slice(0, 200)}`);
            }
        })();
        const [a, b] = [f.task("new-a"), f.task("new-b")];
        const codes = await Promise.all([migrate(a), migrate(b)]);
        serving = false;
        await traffic;
        expect(codes, "exit codes of the new tasks' migrate containers (timeout: they hung)").to.deep.equal([0, 0]);
        expect(f.pg.sql("SELECT max(version_id) FROM goose_db_version WHERE is_applied", "metaflow")).to.equal(LAST);
        expect(f.pg.sql("SELECT count(*) FROM pg_index WHERE NOT indisvalid", "metaflow"), "invalid (half-built) indexes").to.equal("0");
        expect(failures, "requests to the old task during the upgrade").to.deep.equal([]);
        const newPort = await startService(a);
        for (const run of runs) await readRun(newPort, "UpgradeFlow", run);
        await readRun(oldPort, "UpgradeFlow", await recordRun(newPort, "UpgradeFlow"));
    });
});
