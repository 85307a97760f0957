import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { deadLetterQueue } from "../event-dead-letter";
import { serviceTrustPolicy } from "../iam";
import { NAME_LIMITS, physicalName } from "../naming";
import { s3EventPattern, stateMachineName, TriggerSpec, triggerInput, triggerName, validateTrigger } from "./rules";

/** Arguments of {@link PipelineTrigger}. */
export interface PipelineTriggerArgs {
    /** Short prefix of the role's physical name. */
    namePrefix: string;
    region: string;
    /** The stack's state machine prefix: the target is `<stateMachinePrefix>_<flow>`. */
    stateMachinePrefix: string;
    trigger: TriggerSpec;
    /** The datastore bucket (S3 triggers watch its object events; EventBridge notifications must be on). */
    bucketName: pulumi.Input<string>;
}

export function validatePipelineTriggerArgs(args: PipelineTriggerArgs): string[] {
    return validateTrigger(args.trigger, args.stateMachinePrefix).map((p) => `trigger.${p.field}: ${p.message}`);
}

/**
 * Starts a deployed flow's state machine from EventBridge, with no code in between: a rule (new objects under a
 * prefix of the datastore bucket, a schedule, or a given pattern), a target on `<prefix>_<Flow>` whose input
 * transformer hands Metaflow its parameters (`{"Parameters": "<JSON>"}`), and a role that may start only that state
 * machine. The state machine itself comes from `step-functions create`; until it exists, EventBridge's invocations
 * fail: the events land in the trigger's dead-letter queue and Monitoring's alarm on the rule's FailedInvocations fires.
 */
export class PipelineTrigger extends pulumi.ComponentResource {
    public readonly ruleArn: pulumi.Output<string>;
    /** The rule's name: Monitoring alarms on its FailedInvocations. */
    public readonly ruleName: pulumi.Output<string>;
    /** Events EventBridge could not deliver (e.g. before `step-functions create` made the state machine). */
    public readonly deadLetterQueueArn: pulumi.Output<string>;
    public readonly roleArn: pulumi.Output<string>;
    /** The state machine the trigger starts. */
    public readonly stateMachineArn: pulumi.Output<string>;

    constructor(name: string, args: PipelineTriggerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:orchestration:PipelineTrigger", name, {}, opts);
        const problems = validatePipelineTriggerArgs(args);
        if (problems.length) throw new Error(`PipelineTrigger ${name}: ${problems.join("; ")}`);
        const t = args.trigger;
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const target = pulumi.interpolate`arn:aws:states:${args.region}:${account}:stateMachine:${stateMachineName(args.stateMachinePrefix, t.flow)}`;

        const source = t.s3Prefix !== undefined ? `new objects under ${t.s3Prefix}` : t.schedule !== undefined ? t.schedule : "an event pattern";
        const rule = new aws.cloudwatch.EventRule(
            `${name}-rule`,
            {
                // Named, not auto-named: EventBridge rule names stop at 64 characters.
                name: physicalName(args.namePrefix, `trigger-${triggerName(t)}`, NAME_LIMITS.eventRule),
                description: `Starts Metaflow flow ${t.flow} on ${source}`.slice(0, 512),
                state: "ENABLED",
                ...(t.schedule !== undefined
                    ? { scheduleExpression: t.schedule }
                    : {
                          eventPattern:
                              t.s3Prefix !== undefined
                                  ? pulumi.output(args.bucketName).apply((bucket) => JSON.stringify(s3EventPattern(bucket, t.s3Prefix!)))
                                  : JSON.stringify(t.eventPattern),
                      }),
            },
            { parent: this },
        );

        const role = new aws.iam.Role(
            `${name}-role`,
            {
                name: physicalName(args.namePrefix, `trigger-${triggerName(t)}`, NAME_LIMITS.iamRole),
                description: `EventBridge starts ${stateMachineName(args.stateMachinePrefix, t.flow)}`.slice(0, 1000),
                assumeRolePolicy: serviceTrustPolicy("events.amazonaws.com", account, { ArnEquals: { "aws:SourceArn": rule.arn } }),
            },
            { parent: this },
        );
        const policy = new aws.iam.RolePolicy(
            `${name}-start`,
            { role: role.id, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: [{ Sid: "StartThisFlow", Effect: "Allow", Action: "states:StartExecution", Resource: target }] }) },
            { parent: this },
        );

        const dead = deadLetterQueue(`${name}`, { namePrefix: args.namePrefix, role: `trigger-${triggerName(t)}`, ruleArn: rule.arn, account }, { parent: this });
        const input = triggerInput(t);
        new aws.cloudwatch.EventTarget(
            `${name}-target`,
            {
                rule: rule.name,
                arn: target,
                roleArn: role.arn,
                inputTransformer: { inputPaths: Object.keys(input.inputPaths).length ? input.inputPaths : undefined, inputTemplate: input.template },
                retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
                deadLetterConfig: dead.deadLetterConfig,
            },
            { parent: this, dependsOn: [policy] },
        );

        this.ruleArn = rule.arn;
        this.ruleName = rule.name;
        this.deadLetterQueueArn = dead.deadLetterConfig.arn;
        this.roleArn = role.arn;
        this.stateMachineArn = target;
        this.registerOutputs({ ruleArn: this.ruleArn, roleArn: this.roleArn, stateMachineArn: this.stateMachineArn });
    }
}
