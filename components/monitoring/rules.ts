/**
 * Rules of the Monitoring component that the stack configuration needs too: what an alarm e-mail address looks like,
 * and the thresholds derived from the database's size. Pure module: no Pulumi import.
 */

/** An e-mail address SNS accepts for an `email` subscription: one `@`, a dotted domain, at most 254 characters. */
export const EMAIL = { regex: /^(?=.{3,254}$)[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/, describe: "an e-mail address such as ml-platform@example.com (at most 254 characters)" };

export function emailProblem(email: string): string | undefined {
    return EMAIL.regex.test(email) ? undefined : `expected ${EMAIL.describe}`;
}

/** Step Functions execution states the platform reports: every way an execution ends without success. */
export const FAILED_EXECUTION_STATES = ["FAILED", "TIMED_OUT", "ABORTED"] as const;

/** Alarm thresholds; each is a decision documented in docs/operations.md ("Alarms and the budget"). */
export const THRESHOLDS = {
    /** ECS service CPU and memory utilisation, percent (average over 3 x 5 minutes). */
    serviceUtilisationPercent: 85,
    /** RDS CPU utilisation, percent (average over 3 x 5 minutes). */
    databaseCpuPercent: 80,
    /** Free storage below this share of the allocated storage (15 minutes, so storage autoscaling acts first). */
    databaseFreeStorageShare: 0.1,
    /** Connections above this share of the instance class's default `max_connections`. */
    databaseConnectionsShare: 0.8,
    /** Load balancer or target 5XX responses per 5 minutes, for two periods in a row. */
    http5xxPer5Minutes: 10,
    /** Budget notifications: forecast above this percent of the limit, and actual above 100 percent. */
    budgetForecastPercent: 80,
    budgetActualPercent: 100,
} as const;

/** Memory of the RDS instance classes the platform uses, GiB (AWS instance class tables). */
const CLASS_MEMORY_GIB: Record<string, number> = {
    "db.t3.micro": 1,
    "db.t3.small": 2,
    "db.t3.medium": 4,
    "db.t4g.micro": 1,
    "db.t4g.small": 2,
    "db.t4g.medium": 4,
    "db.t4g.large": 8,
    "db.m6g.large": 8,
    "db.m7g.large": 8,
    "db.r6g.large": 16,
    "db.r7g.large": 16,
};

/**
 * The connections alarm threshold for an instance class: 80% of PostgreSQL's default on RDS,
 * `max_connections = LEAST(DBInstanceClassMemory / 9531392, 5000)`. RDS reserves part of the memory for the
 * operating system, so the real ceiling is a little lower: the threshold is an approximation. Undefined for a class
 * whose memory the table does not know (the alarm is then left out rather than guessed).
 */
export function connectionsThreshold(instanceClass: string): number | undefined {
    const gib = CLASS_MEMORY_GIB[instanceClass];
    if (gib === undefined) return undefined;
    const maxConnections = Math.min(Math.floor((gib * 1024 ** 3) / 9531392), 5000);
    return Math.floor(maxConnections * THRESHOLDS.databaseConnectionsShare);
}

/** Bytes of free storage under which the storage alarm fires. */
export function freeStorageThresholdBytes(allocatedGb: number): number {
    return Math.round(allocatedGb * 1024 ** 3 * THRESHOLDS.databaseFreeStorageShare);
}

/** The budget's cost filter: costs tagged `<key>=<value>` (a cost allocation tag, activated in Billing). */
export function tagCostFilterValue(key: string, value: string): string {
    return `user:${key}$${value}`;
}
