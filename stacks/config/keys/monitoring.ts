import { EMAIL } from "../../../components/monitoring/rules";
import { KeySpecs } from "../spec";

/** Alarms, failure notifications and the AWS Budget (components/monitoring). */
export const monitoringKeys = {
    monitoring: {
        type: "boolean",
        default: true,
        description: "CloudWatch alarms on the metadata service and its database, failed Step Functions executions and Batch jobs, and an AWS Budget of monthlyBudgetUsd, to the alarm topic.",
    },
    alarmEmail: {
        type: "string",
        pattern: EMAIL,
        description: "E-mail address subscribed to the alarm topic (the foundation's, or the stack's own without a foundation); SNS asks it to confirm first.",
    },
} satisfies KeySpecs;
