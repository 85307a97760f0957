/**
 * The capacity benchmark's metadata service: metaflow-service v2.5.1 from ../shared/vendor, run as the integration
 * suite runs it (test/integration/service/fixture.ts): the containers of the offline prod plan's metadata-service task
 * definition, the TLS-only PostgreSQL on 127.0.0.1, the Secrets Manager stand-in for the credentials container, and
 * the planned `migrate` container (the image's run_goose.py) before the service starts. Only the database host and
 * port, the credentials, file paths and the Secrets Manager endpoint differ from the plan, as in that suite.
 */
import { ChildProcess } from "child_process";

import { runStack } from "../../test/harness";
import { migrate } from "../../test/integration/service/fixture";
import { LocalTask, request, serviceSources, taskContainers, waitFor } from "../../test/integration/support/planned-task";
import { freePort, Postgres, serviceMissing, startPostgres } from "../../test/integration/support/postgres";
import { FakeSecretsManager, startSecretsManager } from "../../test/integration/support/secrets-manager";

const DB_USER = "metaflow";

export interface PlannedService {
    port: number;
    /** The service process (one per task, as the image runs it). */
    pid: number;
    pg: Postgres;
    /** The planned task's cpu and memory (what Fargate gives it). */
    taskSize: { cpu: string; memory: string };
    /** Connections to the metadata database now, by state (active, idle, idle in transaction, ...). */
    dbConnections(): Record<string, number>;
    /** Process ids of the PostgreSQL backends serving the metadata database now (for their CPU, from /proc). */
    dbBackendPids(): number[];
    stop(): Promise<void>;
}

/** Why the service cannot run on this machine, or undefined. */
export function serviceUnavailable(): string | undefined {
    return serviceMissing() ?? (serviceSources() ? undefined : "../shared/vendor/metaflow-service-2.5.1.tar.gz and ../shared/tools/goose");
}

function plannedTask(resources: Array<{ type: string; inputs: any }>): { cpu: string; memory: string } {
    const td = resources.find((r) => r.type === "aws:ecs/taskDefinition:TaskDefinition" && String(r.inputs.family).endsWith("-metadata-service"));
    return { cpu: String(td?.inputs.cpu), memory: String(td?.inputs.memory) };
}

/** Starts the database, migrates it with the planned container and starts one planned service task. */
export async function startPlannedService(): Promise<PlannedService> {
    const run = await runStack("prod");
    const containers = taskContainers(run.resources, "-metadata-service");
    const pg = await startPostgres();
    let secrets: FakeSecretsManager | undefined;
    let task: LocalTask | undefined;
    const stop = async () => {
        task?.stop();
        await secrets?.close();
        pg.stop();
    };
    try {
        const password = `capacity-${Math.random().toString(36).slice(2)}`;
        const envOf = (k: string) => containers.find((c) => c.name === "db-credentials")?.environment?.find((e) => e.name === k)?.value;
        const secretArn = envOf("DB_SECRET_ARN") ?? "arn:aws:secretsmanager:us-east-1:123456789012:secret:none";
        secrets = await startSecretsManager(secretArn, { username: DB_USER, password });
        pg.sql(`CREATE ROLE ${DB_USER} LOGIN CREATEDB PASSWORD '${password}'`);
        pg.sql(`CREATE DATABASE metaflow OWNER ${DB_USER}`);
        const caUrl = envOf("DB_CA_BUNDLE_URL");
        task = new LocalTask("capacity", containers, {
            db: { host: pg.host, port: pg.port },
            secrets: { MF_METADATA_DB_USER: DB_USER, MF_METADATA_DB_PSWD: password },
            valueSwaps: caUrl ? { [caUrl]: `file://${pg.caFile}` } : {},
            extraEnv: { AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint, AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing" },
        });
        const code = await migrate(task, 60_000);
        if (code !== 0) throw new Error(`migrate exited ${code}\n${task.output()}`);
        const { port, child } = await serve(task);
        return { port, pid: child.pid!, pg, taskSize: plannedTask(run.resources), dbConnections: () => connections(pg), dbBackendPids: () => backendPids(pg), stop };
    } catch (err) {
        await stop();
        throw err;
    }
}

async function serve(task: LocalTask): Promise<{ port: number; child: ChildProcess }> {
    const port = await freePort();
    const child = task.start("metadata", { port });
    const up = await waitFor(async () => (await request(port, "GET", "/ping", undefined, 2000)).status === 200, 30_000);
    if (!up) throw new Error(`the service did not answer /ping within 30 s\n${task.output()}`);
    return { port, child };
}

function connections(pg: Postgres): Record<string, number> {
    const out = pg.sql(`SELECT coalesce(state, 'none') || '|' || count(*) FROM pg_stat_activity WHERE datname = 'metaflow' AND pid <> pg_backend_pid() GROUP BY coalesce(state, 'none')`);
    const counts: Record<string, number> = {};
    for (const line of out.split("\n").filter(Boolean)) {
        const [state, n] = line.split("|");
        counts[state] = Number(n);
    }
    return counts;
}

function backendPids(pg: Postgres): number[] {
    return pg.sql(`SELECT pid FROM pg_stat_activity WHERE datname = 'metaflow' AND pid <> pg_backend_pid()`).split("\n").filter(Boolean).map(Number);
}
