/**
 * The dead-letter queue and failure alarm every EventBridge target of the platform gets (security pack:
 * `eventbridge-target-dlq-and-alarm`). Without them an event EventBridge cannot deliver (a trigger whose state machine
 * `step-functions create` has not made yet, a refused role or key) is dropped after the retries, and nobody hears of it.
 *
 * - The queue keeps undeliverable events for 14 days (SQS's maximum), encrypted with SQS-managed keys (SSE-SQS):
 *   EventBridge can write to it without a key policy grant, which a foundation-owned KMS key would not give it.
 * - Its policy lets only EventBridge, for this rule of this account, send to it.
 * - An alarm on the rule's `AWS/Events` `FailedInvocations` (invocations that failed for good, sent to the DLQ or
 *   not) notifies the platform's alarm topic.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { physicalName } from "./naming";

export interface EventDeadLetterArgs {
    namePrefix: string;
    /** What the target does, in the queue's and alarm's names (`trigger-nightly`, `sfn-failures`). */
    role: string;
    ruleArn: pulumi.Input<string>;
    ruleName: pulumi.Input<string>;
    /** Where the failure alarm goes. */
    alarmTopicArn: pulumi.Input<string>;
    account: pulumi.Input<string>;
}

/** SQS's longest message retention (14 days), in seconds. */
const FOURTEEN_DAYS = 14 * 24 * 3600;
/** SQS queue names stop at 80 characters (SQS CreateQueue: "up to 80 characters"). */
const QUEUE_NAME_MAX = 80;

/** Creates the queue, its policy and the alarm; returns the `deadLetterConfig` for the target. */
export function eventDeadLetter(name: string, args: EventDeadLetterArgs, opts: pulumi.CustomResourceOptions): { deadLetterConfig: { arn: pulumi.Output<string> }; queue: aws.sqs.Queue } {
    const dead = deadLetterQueue(name, args, opts);
    failedInvocationsAlarm(name, args, opts);
    return dead;
}

/**
 * The queue and its policy alone, for a target whose alarm another component makes (pipeline triggers: the alarm
 * topic may be created after them, by Monitoring, which alarms on their rules).
 */
export function deadLetterQueue(name: string, args: Omit<EventDeadLetterArgs, "alarmTopicArn" | "ruleName">, opts: pulumi.CustomResourceOptions): { deadLetterConfig: { arn: pulumi.Output<string> }; queue: aws.sqs.Queue } {
    const queue = new aws.sqs.Queue(
        `${name}-dlq`,
        { name: physicalName(args.namePrefix, `${args.role}-dlq`, QUEUE_NAME_MAX), messageRetentionSeconds: FOURTEEN_DAYS, sqsManagedSseEnabled: true },
        opts,
    );
    new aws.sqs.QueuePolicy(
        `${name}-dlq-policy`,
        {
            queueUrl: queue.url,
            policy: pulumi.jsonStringify({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "EventBridgeDeadLetters",
                        Effect: "Allow",
                        Principal: { Service: "events.amazonaws.com" },
                        Action: "sqs:SendMessage",
                        Resource: queue.arn,
                        Condition: { StringEquals: { "aws:SourceAccount": args.account }, ArnEquals: { "aws:SourceArn": args.ruleArn } },
                    },
                ],
            }),
        },
        opts,
    );
    return { deadLetterConfig: { arn: queue.arn }, queue };
}

/** The alarm on a rule's FailedInvocations, to the alarm topic. */
export function failedInvocationsAlarm(name: string, args: Pick<EventDeadLetterArgs, "namePrefix" | "role" | "ruleName" | "alarmTopicArn">, opts: pulumi.CustomResourceOptions): aws.cloudwatch.MetricAlarm {
    return new aws.cloudwatch.MetricAlarm(
        `${name}-failed-invocations`,
        {
            name: physicalName(args.namePrefix, `${args.role}-failed-invocations`, 255),
            alarmDescription: `EventBridge could not deliver events of rule ${args.role} to its target (they are in the dead-letter queue)`,
            namespace: "AWS/Events",
            metricName: "FailedInvocations",
            dimensions: { RuleName: args.ruleName },
            statistic: "Sum",
            comparisonOperator: "GreaterThanThreshold",
            threshold: 0,
            period: 300,
            evaluationPeriods: 1,
            // EventBridge publishes the metric only when there are invocations: no data is no failure.
            treatMissingData: "notBreaching",
            actionsEnabled: true,
            alarmActions: [args.alarmTopicArn],
        },
        opts,
    );
}
