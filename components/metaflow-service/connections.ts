/**
 * Database connections: what the metadata service can open at its peak against what its RDS for PostgreSQL instance
 * accepts. A rule written once: the stack configuration refuses a stack that breaks it (exit 2).
 *
 * Sources:
 * - RDS for PostgreSQL's default `max_connections` is `LEAST({DBInstanceClassMemory/9531392}, 5000)` (AWS, "Quotas
 *   and constraints for Amazon RDS", Maximum number of database connections,
 *   docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.MaxConnections).
 * - `DBInstanceClassMemory` is the class's memory less what RDS keeps for the OS and its own processes. Values read on
 *   instances are 88-97% of the formula on the nominal memory (db.t2.small 198 of 225, db.t2.medium 413 of 450;
 *   third-party reads, gist.github.com/guizmaii). The rule counts 85% of the nominal figure.
 * - Nominal memory per class: AWS's DB instance class table
 *   (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Summary.html).
 * - PostgreSQL keeps `superuser_reserved_connections` (default 3) for superusers.
 * - metaflow-service v2.5.1 opens pools of at most 10 connections (`pool_max=10`,
 *   services/utils/__init__.py:231-233; the plan sets no MF_METADATA_DB_POOL_MAX). The capacity bench measured the pool
 *   (docs/metadata-service.md, "Capacity, measured").
 *
 * Pure module: no Pulumi import.
 */
import { CLASS_MEMORY_GIB } from "../monitoring/rules";

/** Nominal memory (GiB) of the classes the platform uses: the table the database alarms use too. */
export const RDS_CLASS_MEMORY_GIB: Record<string, number> = CLASS_MEMORY_GIB;

/** The service's pool per process, and one more for the credentials probe that checks the secret every few seconds. */
export const SERVICE_TASK_CONNECTIONS = 10 + 1;
/**
 * The UI backend: six pools of the same size and its credentials probe. Five are its own (`ui`, `ui:cache`,
 * `ui:notify`, `ui:heartbeat`, `ui:websocket`: services/ui_backend_service/ui_server.py:79-102) and one is the metadata
 * API it serves under /api/metadata (`global`), all six seen in its start log in the integration suite.
 */
export const UI_TASK_CONNECTIONS = 6 * 10 + 1;
/** The migrate container of a starting task (goose): one connection. */
export const MIGRATION_CONNECTIONS = 1;
/** PostgreSQL's superuser_reserved_connections default. */
export const SUPERUSER_RESERVED = 3;
/** The service's rolling deployments start new tasks next to the old ones: at most twice the count (deploymentMaximumPercent 200). */
export const DEPLOYMENT_MAX_FACTOR = 2;
/** The share of the formula on nominal memory the rule counts on (DBInstanceClassMemory is less than nominal). */
export const CLASS_MEMORY_SHARE = 0.85;

/** The default max_connections of a class, on 85% of its nominal memory; undefined for a class not in the table. */
export function maxConnections(instanceClass: string): number | undefined {
    const gib = RDS_CLASS_MEMORY_GIB[instanceClass];
    if (gib === undefined) return undefined;
    return Math.min(Math.floor((gib * 1024 ** 3 * CLASS_MEMORY_SHARE) / 9531392), 5000);
}

/** What the service can open at its peak: every task of a rolling deployment at the largest count, the UI, a migration. */
export function peakConnections(maxTasks: number, ui: boolean): number {
    const tasks = maxTasks * DEPLOYMENT_MAX_FACTOR;
    const uiTasks = ui ? DEPLOYMENT_MAX_FACTOR : 0;
    return tasks * SERVICE_TASK_CONNECTIONS + uiTasks * UI_TASK_CONNECTIONS + MIGRATION_CONNECTIONS + SUPERUSER_RESERVED;
}

/** The problem with a task count on a class, or undefined when it fits (or the class has no figure to check against). */
export function connectionProblem(instanceClass: string, maxTasks: number, ui: boolean): string | undefined {
    const limit = maxConnections(instanceClass);
    if (limit === undefined) return undefined;
    const peak = peakConnections(maxTasks, ui);
    if (peak <= limit) return undefined;
    const most = Math.floor((limit - MIGRATION_CONNECTIONS - SUPERUSER_RESERVED - (ui ? DEPLOYMENT_MAX_FACTOR * UI_TASK_CONNECTIONS : 0)) / (DEPLOYMENT_MAX_FACTOR * SERVICE_TASK_CONNECTIONS));
    const way = most >= 1 ? `at most ${most} tasks on it, or a larger serviceDbInstanceClass` : "the UI backend alone needs more than it has: a larger serviceDbInstanceClass";
    return (
        `${maxTasks} tasks can open ${peak} connections at their peak (a rolling deployment doubles the tasks; ${SERVICE_TASK_CONNECTIONS} a task${ui ? `, ${UI_TASK_CONNECTIONS} a UI backend task` : ""}, a migration and ${SUPERUSER_RESERVED} reserved), ` +
        `but ${instanceClass} accepts about ${limit} (RDS's LEAST(DBInstanceClassMemory/9531392, 5000) on ${CLASS_MEMORY_SHARE * 100}% of its ${RDS_CLASS_MEMORY_GIB[instanceClass]} GiB): ` +
        way
    );
}
