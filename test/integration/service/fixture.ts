/**
 * Shared set-up of the metadata-service integration tests: one TLS-only PostgreSQL for the file, the planned prod
 * task definitions, and helpers to start tasks from them.
 */
import { runStack } from "../../harness";
import { unavailable } from "../support/env";
import { ContainerDefinition, LocalTask, LocalTarget, request, serviceSources, taskContainers, waitFor } from "../support/planned-task";
import { freePort, Postgres, serviceMissing, startPostgres } from "../support/postgres";
import { FakeSecretsManager, startSecretsManager } from "../support/secrets-manager";

export const DB_USER = "metaflow";

export interface ServiceFixture {
    pg: Postgres;
    /** The prod plan's metadata-service task definition. */
    containers: ContainerDefinition[];
    resources: Array<{ type: string; inputs: any }>;
    /** The password the database role has now (ECS would read it from the secret at task start). */
    password: string;
    /** Secrets Manager as the task role sees it: the database secret's current value. */
    secrets: FakeSecretsManager;
    /** The secret the plan names (DB_SECRET_ARN of the db-credentials container). */
    secretArn: string;
    /** Drops and recreates the `metaflow` database (empty) as the `metaflow` role's. */
    resetDatabase(): void;
    target(extra?: Partial<LocalTarget>): LocalTarget;
    task(label: string, containers?: ContainerDefinition[], extra?: Partial<LocalTarget>): LocalTask;
    setPassword(password: string): void;
    tasks: LocalTask[];
}

/** Registers before/after hooks and returns the fixture (filled in by `before`). */
export function serviceFixture(stack = "prod", set?: Record<string, unknown>): ServiceFixture {
    const f = { tasks: [] as LocalTask[] } as unknown as ServiceFixture;
    before(async function () {
        this.timeout(60_000);
        const missing = serviceMissing() ?? (serviceSources() ? undefined : "../shared/vendor/metaflow-service-2.5.1.tar.gz and ../shared/tools/goose");
        if (missing) unavailable(this, missing);
        const run = await runStack(stack, { set });
        f.resources = run.resources;
        f.containers = taskContainers(run.resources, "-metadata-service");
        f.pg = await startPostgres();
        f.password = "initial:Pa55word\\with'quotes";
        const credentials = f.containers.find((c) => c.name === "db-credentials");
        const envOf = (k: string) => credentials?.environment?.find((e) => e.name === k)?.value;
        f.secretArn = envOf("DB_SECRET_ARN") ?? "arn:aws:secretsmanager:us-east-1:123456789012:secret:none";
        f.secrets = await startSecretsManager(f.secretArn, { username: DB_USER, password: f.password });
        const caUrl = envOf("DB_CA_BUNDLE_URL");
        f.pg.sql(`CREATE ROLE ${DB_USER} LOGIN CREATEDB PASSWORD '${f.password.replace(/'/g, "''")}'`);
        f.resetDatabase = () => {
            f.pg.sql(`DROP DATABASE IF EXISTS metaflow WITH (FORCE)`);
            f.pg.sql(`CREATE DATABASE metaflow OWNER ${DB_USER}`);
        };
        f.setPassword = (pw: string) => {
            f.pg.sql(`ALTER ROLE ${DB_USER} PASSWORD '${pw.replace(/'/g, "''")}'`);
            f.password = pw;
        };
        f.target = (extra = {}) => ({
            db: { host: f.pg.host, port: f.pg.port },
            secrets: { MF_METADATA_DB_USER: DB_USER, MF_METADATA_DB_PSWD: f.password },
            // The RDS CA bundle's URL -> the test CA (a file path); Secrets Manager -> the stand-in on 127.0.0.1.
            valueSwaps: caUrl ? { [caUrl]: `file://${f.pg.caFile}` } : {},
            ...extra,
            extraEnv: { AWS_ENDPOINT_URL_SECRETS_MANAGER: f.secrets.endpoint, AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing", ...extra.extraEnv },
        });
        f.task = (label, containers = f.containers, extra = {}) => {
            const t = new LocalTask(label, containers, f.target(extra));
            f.tasks.push(t);
            return t;
        };
    });
    afterEach(function () {
        if (this.currentTest?.state === "failed") {
            // eslint-disable-next-line no-console
            for (const t of f.tasks) console.log(t.output());
        }
        for (const t of f.tasks) t.stop();
        f.tasks.length = 0;
    });
    after(async () => {
        f.pg?.stop();
        await f.secrets?.close();
    });
    return f;
}

/**
 * Starts the task's `db-credentials` container when the plan has one and waits (bounded) until its planned health
 * check passes, as ECS does before starting the containers that depend on it being HEALTHY.
 */
export async function startCredentials(task: LocalTask, ms = 15_000): Promise<void> {
    let has = true;
    try {
        task.container("db-credentials");
    } catch {
        has = false;
    }
    if (!has) return;
    task.start("db-credentials");
    if (!(await waitFor(async () => (await task.healthCheck("db-credentials")) === 0, ms, 250))) {
        throw new Error(`${task.label}: db-credentials not healthy within ${ms} ms\n${task.output()}`);
    }
}

/** Starts the credentials (if planned), runs the migrate container to completion (bounded); resolves its exit code. */
export async function migrate(task: LocalTask, ms = 30_000): Promise<number | "timeout"> {
    await startCredentials(task);
    return task.runToCompletion("migrate", ms);
}

/** Starts the planned metadata container on a free port and waits (bounded) for `/ping`; returns the port. */
export async function startService(task: LocalTask, ms = 20_000): Promise<number> {
    const port = await freePort();
    if (task.logs["db-credentials"] === undefined) await startCredentials(task);
    task.start("metadata", { port });
    const up = await waitFor(async () => (await request(port, "GET", "/ping", undefined, 2000)).status === 200, ms);
    if (!up) throw new Error(`${task.label}: /ping did not answer within ${ms} ms\n${task.output()}`);
    return port;
}

const USER = { user_name: "integration", tags: [], system_tags: ["metaflow_version:2.19.38"] };

/** Records a flow, run, step, task and one metadata entry as Metaflow's client does; returns the run number. */
export async function recordRun(port: number, flow: string): Promise<string> {
    const ok = async (method: string, p: string, body?: unknown, accept: number[] = []) => {
        const r = await request(port, method, p, body);
        if ((r.status < 200 || r.status > 299) && !accept.includes(r.status)) throw new Error(`${method} ${p}: ${r.status} ${r.body}`);
        return JSON.parse(r.body || "{}");
    };
    await ok("POST", `/flows/${flow}`, USER, [409]); // 409: the flow exists
    const run = await ok("POST", `/flows/${flow}/run`, USER);
    const runNumber = String(run.run_number);
    await ok("POST", `/flows/${flow}/runs/${runNumber}/steps/start/step`, USER);
    const task = await ok("POST", `/flows/${flow}/runs/${runNumber}/steps/start/task`, USER);
    await ok("POST", `/flows/${flow}/runs/${runNumber}/steps/start/tasks/${task.task_id}/metadata`, [
        { ...USER, field_name: "attempt", value: "0", type: "attempt" },
    ]);
    return runNumber;
}

/** Reads back what {@link recordRun} recorded; throws unless everything is there. */
export async function readRun(port: number, flow: string, runNumber: string): Promise<void> {
    const get = async (p: string) => {
        const r = await request(port, "GET", p);
        if (r.status !== 200) throw new Error(`GET ${p}: ${r.status} ${r.body}`);
        return JSON.parse(r.body);
    };
    const run = await get(`/flows/${flow}/runs/${runNumber}`);
    if (run.flow_id !== flow) throw new Error(`run ${runNumber} of ${flow} reads back as ${JSON.stringify(run)}`);
    const tasks = await get(`/flows/${flow}/runs/${runNumber}/steps/start/tasks`);
    if (tasks.length !== 1) throw new Error(`expected one task, got ${JSON.stringify(tasks)}`);
    const metadata = await get(`/flows/${flow}/runs/${runNumber}/steps/start/tasks/${tasks[0].task_id}/metadata`);
    if (!metadata.some((m: any) => m.field_name === "attempt" && m.value === "0")) throw new Error(`metadata missing: ${JSON.stringify(metadata)}`);
}

/** An empty database, then one planned task that migrated it and serves: the start of most tests. */
export async function freshServingTask(f: ServiceFixture, label = "task"): Promise<{ task: LocalTask; port: number }> {
    f.resetDatabase();
    const task = f.task(label);
    const code = await migrate(task);
    if (code !== 0) throw new Error(`${label}: migrate exited ${code}\n${task.output()}`);
    return { task, port: await startService(task) };
}
