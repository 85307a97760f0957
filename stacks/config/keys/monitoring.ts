import { EMAIL, MODEL_MONITORING_DEFAULTS, ModelMonitoringSettings, modelMonitoringProblems } from "../../../components/monitoring/rules";
import { ConfigProblem, KeySpecs, show } from "../spec";

/** `modelMonitoring`: fields given override the defaults one by one. */
function parseModelMonitoring(value: unknown, key: string, problems: ConfigProblem[]): ModelMonitoringSettings | undefined {
    const found = modelMonitoringProblems(value);
    for (const p of found) problems.push({ key: p.field ? `${key}.${p.field}` : key, given: show(p.field ? (value as Record<string, unknown>)[p.field] : value), allowed: p.message });
    return found.length ? undefined : { ...MODEL_MONITORING_DEFAULTS, ...(value as Partial<ModelMonitoringSettings>) };
}

/** Alarms, failure notifications and the AWS Budget (components/monitoring). */
export const monitoringKeys = {
    monitoring: {
        type: "boolean",
        default: true,
        description: "CloudWatch alarms on the metadata service and its database, failed Step Functions executions and Batch jobs, model drift and accuracy, an AWS Budget of monthlyBudgetUsd and a Cost Anomaly Detection monitor on the stack tag, to the alarm topic; the stack's CloudWatch dashboard; and the pipeline event log (runs per flow, jobs per queue, per-engineer queries).",
    },
    alarmEmail: {
        type: "string",
        pattern: EMAIL,
        description: "E-mail address subscribed to the alarm topic (the foundation's, or the stack's own without a foundation); SNS asks it to confirm first.",
    },
    modelMonitoring: {
        type: "object",
        default: MODEL_MONITORING_DEFAULTS,
        shape: "{namespace, psiThreshold, ksThreshold, minAccuracy} (each optional)",
        description: "CloudWatch namespace of the model metrics (DriftPSI, DriftKS, Accuracy) and the thresholds of their alarms; flows read the same values from Parameter Store (settings/).",
        parse: parseModelMonitoring,
    },
} satisfies KeySpecs;
