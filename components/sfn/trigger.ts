import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { deadLetterQueue } from "../event-dead-letter";
import { serviceTrustPolicy } from "../iam";
import { NAME_LIMITS, physicalName } from "../naming";
import { passesObjectKey, relayDefinition, s3EventPattern, stateMachineName, TriggerSpec, triggerInput, triggerName, validateTrigger } from "./rules";

/** What Step Functions needs to deliver execution logs to CloudWatch Logs (no resource-level permissions exist). */
export const LOG_DELIVERY_ACTIONS = [
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
];

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
    /**
     * `<log group ARN>:*` where the relay (triggers with `keyParameter`) logs failed executions, e.g. a start of a flow
     * that is not deployed. Express executions send no status events, so this log is where such failures show.
     */
    executionLogGroupArn?: pulumi.Input<string>;
}

export function validatePipelineTriggerArgs(args: PipelineTriggerArgs): string[] {
    return validateTrigger(args.trigger, args.stateMachinePrefix).map((p) => `trigger.${p.field}: ${p.message}`);
}

/** What every step of the trigger shares: its name and arguments, the parent, the account and the flow's state machine. */
interface TriggerContext {
    name: string;
    args: PipelineTriggerArgs;
    parent: pulumi.Resource;
    account: pulumi.Output<string>;
    /** The ARN of the flow's state machine (`<stateMachinePrefix>_<flow>`), deployed by `step-functions create`. */
    target: pulumi.Output<string>;
}

/** The EventBridge rule: new objects under the prefix, the schedule, or the given event pattern. */
function triggerRule(ctx: TriggerContext): aws.cloudwatch.EventRule {
    const { args } = ctx;
    const t = args.trigger;
    const source = t.s3Prefix !== undefined ? `new objects under ${t.s3Prefix}` : t.schedule !== undefined ? t.schedule : "an event pattern";
    return new aws.cloudwatch.EventRule(
        `${ctx.name}-rule`,
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
        { parent: ctx.parent },
    );
}

/** The role EventBridge starts the target with, trusted for this rule only (its start-only policy comes after the relay). */
function eventsRole(ctx: TriggerContext, rule: aws.cloudwatch.EventRule): aws.iam.Role {
    const { args } = ctx;
    const t = args.trigger;
    return new aws.iam.Role(
        `${ctx.name}-role`,
        {
            name: physicalName(args.namePrefix, `trigger-${triggerName(t)}`, NAME_LIMITS.iamRole),
            description: `EventBridge starts ${stateMachineName(args.stateMachinePrefix, t.flow)}`.slice(0, 1000),
            assumeRolePolicy: serviceTrustPolicy("events.amazonaws.com", ctx.account, { ArnEquals: { "aws:SourceArn": rule.arn } }),
        },
        { parent: ctx.parent },
    );
}

/** The relay for triggers that pass the object key: an Express state machine, with a role that may start only the flow. */
function relayStateMachine(ctx: TriggerContext): aws.sfn.StateMachine {
    const { name, args, target } = ctx;
    const t = args.trigger;
    const relayRole = new aws.iam.Role(
        `${name}-relay-role`,
        {
            name: physicalName(args.namePrefix, `relay-${triggerName(t)}`, NAME_LIMITS.iamRole),
            description: `Step Functions relay starts ${stateMachineName(args.stateMachinePrefix, t.flow)} with the object key encoded`.slice(0, 1000),
            assumeRolePolicy: serviceTrustPolicy("states.amazonaws.com", ctx.account),
        },
        { parent: ctx.parent },
    );
    const relayPolicy = new aws.iam.RolePolicy(
        `${name}-relay-start`,
        {
            role: relayRole.id,
            policy: pulumi.jsonStringify({
                Version: "2012-10-17",
                Statement: [
                    { Sid: "StartThisFlow", Effect: "Allow", Action: "states:StartExecution", Resource: target },
                    // CloudWatch Logs vended delivery has no resource-level permissions.
                    ...(args.executionLogGroupArn ? [{ Sid: "ExecutionLogDelivery", Effect: "Allow", Action: LOG_DELIVERY_ACTIONS, Resource: "*" }] : []),
                ],
            }),
        },
        { parent: ctx.parent },
    );
    return new aws.sfn.StateMachine(
        `${name}-relay`,
        {
            // Outside `<stateMachinePrefix>_*` (a hyphen follows the name prefix): not a Metaflow flow.
            name: physicalName(args.namePrefix, `trigger-${triggerName(t)}`, NAME_LIMITS.stateMachine),
            type: "EXPRESS",
            roleArn: relayRole.arn,
            definition: target.apply((arn) => relayDefinition(t, arn)),
            // Errors only, without execution data: a failed start is visible, object keys are not logged.
            loggingConfiguration: args.executionLogGroupArn ? { level: "ERROR", includeExecutionData: false, logDestination: args.executionLogGroupArn } : undefined,
        },
        { parent: ctx.parent, dependsOn: [relayPolicy] },
    );
}

/**
 * The rule's delivery: the role's permission to start the relay (or the flow) and nothing else, the dead-letter queue,
 * and the target, retried for an hour. Returns the dead-letter queue.
 */
function deliverEvents(ctx: TriggerContext, rule: aws.cloudwatch.EventRule, role: aws.iam.Role, relay: aws.sfn.StateMachine | undefined): { deadLetterConfig: { arn: pulumi.Output<string> } } {
    const { name, args, target } = ctx;
    const t = args.trigger;
    const startOnly = (arn: pulumi.Input<string>, sid: string) =>
        pulumi.jsonStringify({ Version: "2012-10-17", Statement: [{ Sid: sid, Effect: "Allow", Action: "states:StartExecution", Resource: arn }] });
    const policy = new aws.iam.RolePolicy(`${name}-start`, { role: role.id, policy: startOnly(relay ? relay.arn : target, relay ? "StartThisRelay" : "StartThisFlow") }, { parent: ctx.parent });

    const dead = deadLetterQueue(`${name}`, { namePrefix: args.namePrefix, role: `trigger-${triggerName(t)}`, ruleArn: rule.arn, account: ctx.account }, { parent: ctx.parent });
    const input = triggerInput(t);
    new aws.cloudwatch.EventTarget(
        `${name}-target`,
        {
            rule: rule.name,
            arn: relay ? relay.arn : target,
            roleArn: role.arn,
            // The relay takes the whole event; flows without the key get their static parameters directly.
            inputTransformer: relay ? undefined : { inputTemplate: input.template },
            retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
            deadLetterConfig: dead.deadLetterConfig,
        },
        { parent: ctx.parent, dependsOn: [policy] },
    );
    return dead;
}

/**
 * Starts a deployed flow's state machine from EventBridge, with no code in between: a rule (new objects under a
 * prefix of the datastore bucket, a schedule, or a given pattern), a target on the state machine Metaflow deploys
 * (see stateMachineName) whose input transformer hands Metaflow its parameters (`{"Parameters": "<JSON>"}`), and a
 * role that may start only that state machine. A trigger that passes the object key (`keyParameter`) targets a relay
 * instead: an Express state machine that percent-encodes the key before starting the flow (see relayDefinition), so
 * no key is ever expanded or run by the start step's shell. The flow's state machine comes from
 * `step-functions create`; until it exists, invocations fail: the events land in the trigger's dead-letter queue and
 * Monitoring's alarm on the rule's FailedInvocations fires (a relay's failures show in its ExecutionsFailed metric
 * and log group).
 */
export class PipelineTrigger extends pulumi.ComponentResource {
    public readonly ruleArn: pulumi.Output<string>;
    /** The rule's name: Monitoring alarms on its FailedInvocations. */
    public readonly ruleName: pulumi.Output<string>;
    /** Events EventBridge could not deliver (e.g. before `step-functions create` made the state machine). */
    public readonly deadLetterQueueArn: pulumi.Output<string>;
    public readonly roleArn: pulumi.Output<string>;
    /** The flow's state machine the trigger starts. */
    public readonly stateMachineArn: pulumi.Output<string>;
    /** The relay state machine, for triggers that pass the object key. */
    public readonly relayArn?: pulumi.Output<string>;

    constructor(name: string, args: PipelineTriggerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:orchestration:PipelineTrigger", name, {}, opts);
        const problems = validatePipelineTriggerArgs(args);
        if (problems.length) throw new Error(`PipelineTrigger ${name}: ${problems.join("; ")}`);
        const t = args.trigger;
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const target = pulumi.interpolate`arn:aws:states:${args.region}:${account}:stateMachine:${stateMachineName(args.stateMachinePrefix, t.flow)}`;
        const ctx: TriggerContext = { name, args, parent: this, account, target };

        const rule = triggerRule(ctx);
        const role = eventsRole(ctx, rule);
        const relay = passesObjectKey(t) ? relayStateMachine(ctx) : undefined;
        const dead = deliverEvents(ctx, rule, role, relay);

        this.relayArn = relay?.arn;
        this.ruleArn = rule.arn;
        this.ruleName = rule.name;
        this.deadLetterQueueArn = dead.deadLetterConfig.arn;
        this.roleArn = role.arn;
        this.stateMachineArn = target;
        this.registerOutputs({ ruleArn: this.ruleArn, roleArn: this.roleArn, stateMachineArn: this.stateMachineArn });
    }
}
