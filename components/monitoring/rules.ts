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
    /** Cost anomalies: notify when an anomaly's total impact reaches this share of the monthly budget... */
    anomalyImpactShareOfBudget: 0.05,
    /** ...but never below this many USD, so a small dev budget does not page on cents. */
    anomalyImpactMinimumUsd: 5,
} as const;

/**
 * Served models' alarm thresholds (docs/operations.md, "Model serving alarms"). p90 rather than Average: an average
 * hides the slow tail a caller waits on, and p99 pages on a handful of slow requests at low traffic. One second: a
 * tabular model (the platform's typical churn or fraud scorer) answers in tens of milliseconds; a p90 above 1 s for
 * 15 minutes means the model or its container degraded, not noise.
 */
export const SERVING_THRESHOLDS = {
    /** ModelLatency p90, milliseconds (the alarm compares microseconds: x 1000). */
    modelLatencyP90Ms: 1000,
} as const;

/** The absolute total impact (USD) from which a cost anomaly of the stack is reported. */
export function anomalyImpactThresholdUsd(monthlyBudgetUsd: number): number {
    return Math.max(THRESHOLDS.anomalyImpactMinimumUsd, Math.round(monthlyBudgetUsd * THRESHOLDS.anomalyImpactShareOfBudget));
}

/** Memory of the RDS instance classes the platform uses, GiB (AWS instance class tables). */
export const CLASS_MEMORY_GIB: Record<string, number> = {
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

/**
 * Model monitoring: the CloudWatch metrics the model-monitoring template publishes (templates/model_monitoring.py),
 * each once with the dimension `Model` and once without; the platform's alarms watch the dimensionless ones.
 */
export const MODEL_METRICS = { psi: "DriftPSI", ks: "DriftKS", accuracy: "Accuracy" } as const;

/** Namespace and thresholds shared by the alarms and, through Parameter Store settings, by the flows. */
export interface ModelMonitoringSettings {
    /** CloudWatch namespace of the model metrics; the job role may publish to it and nowhere else. */
    namespace: string;
    /** Largest population stability index over the features, above which the model has drifted. */
    psiThreshold: number;
    /** Largest two-sample Kolmogorov-Smirnov statistic over the features, above which the model has drifted. */
    ksThreshold: number;
    /** Accuracy on recent labelled data below which the model is failing. */
    minAccuracy: number;
}

export const MODEL_MONITORING_DEFAULTS: ModelMonitoringSettings = { namespace: "Metaflow/Models", psiThreshold: 0.2, ksThreshold: 0.2, minAccuracy: 0.7 };

/** A custom CloudWatch namespace: 1-255 of letters, digits and . - _ / # : , not starting with `AWS/` (reserved). */
export const METRIC_NAMESPACE = { regex: /^(?!AWS\/)[A-Za-z0-9._/#:-]{1,255}$/, describe: "1-255 letters, digits or . - _ / # :, not starting with AWS/ (reserved for AWS)" };

/** Each field's allowed range, as [min exclusive, max inclusive] and its description. */
const MODEL_RANGES: Record<Exclude<keyof ModelMonitoringSettings, "namespace">, { min: number; max: number; describe: string }> = {
    psiThreshold: { min: 0, max: 10, describe: "a number above 0 and at most 10 (0.1-0.25 is usual)" },
    ksThreshold: { min: 0, max: 1, describe: "a number above 0 and at most 1" },
    minAccuracy: { min: 0, max: 1, describe: "a number above 0 and at most 1" },
};

/** Problems of a model-monitoring setting, by field: `[{field, message}]`. */
export function modelMonitoringProblems(value: unknown): Array<{ field?: string; message: string }> {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return [{ message: "expected an object {namespace, psiThreshold, ksThreshold, minAccuracy} (each optional)" }];
    const v = value as Record<string, unknown>;
    const problems: Array<{ field?: string; message: string }> = [];
    for (const field of Object.keys(v)) {
        if (!(field in MODEL_MONITORING_DEFAULTS)) problems.push({ field, message: `unknown field; allowed: ${Object.keys(MODEL_MONITORING_DEFAULTS).join(", ")}` });
    }
    if (v.namespace !== undefined && (typeof v.namespace !== "string" || !METRIC_NAMESPACE.regex.test(v.namespace))) problems.push({ field: "namespace", message: `expected ${METRIC_NAMESPACE.describe}` });
    for (const [field, range] of Object.entries(MODEL_RANGES)) {
        const x = v[field];
        if (x !== undefined && (typeof x !== "number" || !Number.isFinite(x) || x <= range.min || x > range.max)) problems.push({ field, message: `expected ${range.describe}` });
    }
    return problems;
}
