/**
 * The database connection of the planned prod task under the events of a real deployment: RDS rotating the master
 * password while tasks run (ECS injects secrets only at task start), a brief database outage (a Multi-AZ failover),
 * and TLS verification (issue 9, defects 4 and 5).
 */
import { expect } from "chai";

import { DATABASE_HEALTH } from "../../../components/metaflow-service/tasks";
import { freshServingTask, migrate, readRun, recordRun, serviceFixture, startService } from "./fixture";
import { request, waitFor } from "../support/planned-task";

describe("metadata database credentials, outages and TLS (planned prod task)", function () {
    this.timeout(90_000);
    const f = serviceFixture();

    it("a password rotation while the service runs: pooled connections keep working, new ones use the rotated password within seconds", async () => {
        const { task, port } = await freshServingTask(f);
        const before = await recordRun(port, "RotationFlow");
        const oldPassword = f.password;

        // What RDS does every 7 days: a new password on the database and in the secret. ECS does not restart tasks.
        const rotated = `rotated:${Date.now()}\\'pw`;
        f.setPassword(rotated);
        f.secrets.value = { username: "metaflow", password: rotated };
        // Connections the pool holds are not affected by a password change.
        await readRun(port, "RotationFlow", before);
        // Concurrent requests make the service's pool open new connections (aiopg pool, up to 10): within seconds of
        // the rotation (the db-credentials container renews the password file) they all succeed.
        let failures: string[] = [];
        const burst = async () => {
            const results = await Promise.all(Array.from({ length: 12 }, () => request(port, "GET", `/flows/RotationFlow/runs/${before}`)));
            failures = results.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.body.slice(0, 160)}`);
            return failures.length === 0 && (task.logs["db-credentials"] ?? "").includes("password file rewritten");
        };
        expect(await waitFor(burst, 20_000, 1000), `new connections 20 s after the rotation: ${failures.slice(0, 2).join("; ")}`).to.equal(true);
        await readRun(port, "RotationFlow", await recordRun(port, "RotationFlow"));
        expect(f.secrets.calls, "Secrets Manager reads (only on a refused password)").to.be.within(1, 5);
        const logs = task.output();
        expect(logs).to.not.include(rotated);
        expect(logs).to.not.include(oldPassword);
        // A task started after the rotation gets the new password from ECS and serves too.
        const next = f.task("after-rotation");
        expect(await migrate(next)).to.equal(0);
        await readRun(await startService(next), "RotationFlow", before);
    });

    it("a brief database outage is detected by the planned health check, and the running task recovers by itself", async () => {
        const { task, port } = await freshServingTask(f);
        const run = await recordRun(port, "OutageFlow");
        expect(await task.healthCheck("metadata", port), "health check with the database up").to.equal(0);

        f.pg.stopServer();
        try {
            // The load balancer's /ping does not touch the database: no target is taken out of service.
            expect((await request(port, "GET", "/ping")).status).to.equal(200);
            // The container health check does: ECS sees it fail...
            expect(await task.healthCheck("metadata", port), "health check with the database down").to.not.equal(0);
        } finally {
            f.pg.startServer();
        }
        // ...but replaces the task only after DATABASE_HEALTH.tolerated seconds of failures in a row, longer than a
        // Multi-AZ failover (60-120 s); the same process serves again once the database is back.
        const check = task.container("metadata").healthCheck!;
        expect(check.interval! * check.retries!).to.equal(DATABASE_HEALTH.tolerated).and.to.be.at.least(240);
        const tg = f.resources.find((r) => r.type === "aws:lb/targetGroup:TargetGroup" && r.inputs.port === 8080);
        expect(tg?.inputs.healthCheck.path, "the load balancer's check").to.equal("/ping");
        const recovered = await waitFor(async () => (await task.healthCheck("metadata", port)) === 0, 30_000, 500);
        expect(recovered, "health check after the database came back").to.equal(true);
        await readRun(port, "OutageFlow", run);
        expect((task.logs[`metadata:${port}`].match(/serving on/g) ?? []).length, "the service process was not restarted").to.equal(1);
    });

    it("verifies the database's certificate against the RDS CA bundle (verify-full): a server it does not sign is refused", async () => {
        f.resetDatabase();
        const containers = f.containers;
        const caUrl = containers.find((c) => c.name === "db-credentials")?.environment?.find((e) => e.name === "DB_CA_BUNDLE_URL")?.value;
        // The same task, but the bundle does not hold the CA that signed this server's certificate.
        const task = f.task("wrong-ca", containers, { valueSwaps: caUrl ? { [caUrl]: `file://${f.pg.otherCaFile}` } : {} });
        expect(await migrate(task), "migrate exit code with a server the CA bundle does not sign").to.not.equal(0);
        expect(task.logs.migrate).to.match(/certificate verify failed/);
        expect(caUrl, "the plan downloads the RDS CA bundle").to.match(/^https:\/\/truststore\.pki\.rds\.amazonaws\.com\/us-east-1\/us-east-1-bundle\.pem$/);
        for (const c of containers) {
            const env = Object.fromEntries((c.environment ?? []).map((e) => [e.name, e.value]));
            expect(env.MF_METADATA_DB_SSL_MODE, c.name).to.equal("verify-full");
        }
    });
});
