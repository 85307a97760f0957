import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { SFN_MAP_OUTPUT_PREFIX } from "../artifact-bucket";
import { regionalArns, serviceRole } from "../iam";
import { StepContext } from "../step-context";
import { NAME_LIMITS, physicalName } from "../naming";
import { duplicateTriggerNames, TriggerSpec, triggerName, validateStateMachinePrefix } from "./rules";
import { LOG_DELIVERY_ACTIONS, PipelineTrigger, validatePipelineTriggerArgs } from "./trigger";

export * from "./rules";
export * from "./trigger";

/**
 * The job definitions Metaflow registers: `metaflow_<sha224 of the definition>` (batch_client.py,
 * `BatchJob._register_job_definition`); state machines submit jobs with these and no other.
 */
export const METAFLOW_JOB_DEFINITIONS = "job-definition/metaflow_*";

/** The EventBridge rule Step Functions manages for its `batch:submitJob.sync` integration. */
export const SFN_BATCH_EVENTS_RULE = "StepFunctionsGetEventsForBatchJobsRule";

/** Arguments of {@link SfnScheduler}. */
export interface SfnSchedulerArgs {
    /** Short prefix of physical names (roles, table, log group). */
    namePrefix: string;
    region: string;
    /** State machines are named `<stateMachinePrefix>_<FlowName>` (METAFLOW_SFN_STATE_MACHINE_PREFIX). */
    stateMachinePrefix: string;
    /** The platform KMS key: table, log group, datastore objects. */
    kmsKeyArn: pulumi.Input<string>;
    /** The datastore bucket. */
    bucketArn: pulumi.Input<string>;
    bucketName: pulumi.Input<string>;
    /** Every platform job queue: the state machines submit Batch jobs to these only. */
    jobQueueArns: pulumi.Input<pulumi.Input<string>[]>;
    /** Retention of the execution-history log group, in days. */
    logRetentionDays: number;
    /** Event-driven starts of deployed flows. */
    triggers?: TriggerSpec[];
    /** `protect`/`retainOnDelete` and deletion protection on the table. */
    protect?: boolean;
}

export function validateSfnSchedulerArgs(args: SfnSchedulerArgs): string[] {
    const problems = validateStateMachinePrefix(args.stateMachinePrefix).map((p) => `stateMachinePrefix: ${p}`);
    if (!Number.isInteger(args.logRetentionDays) || args.logRetentionDays < 1) problems.push(`logRetentionDays: ${args.logRetentionDays} must be a positive integer`);
    (args.triggers ?? []).forEach((t, i) => {
        for (const p of validatePipelineTriggerArgs({ namePrefix: args.namePrefix, region: args.region, stateMachinePrefix: args.stateMachinePrefix, trigger: t, bucketName: "" })) {
            problems.push(`triggers[${i}].${p}`);
        }
    });
    for (const d of duplicateTriggerNames(args.triggers ?? [])) problems.push(`triggers: two triggers are named "${d}"`);
    return problems;
}

const document = (...statements: unknown[]) => pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements });

/** What every step of the scheduler shares: its name and arguments, the parent, the account and this stack's state machines. */
interface SfnContext extends StepContext<SfnSchedulerArgs> {
    /** `<stateMachinePrefix>_*`: the state machines of this stack. */
    machines: pulumi.Output<string>;
}

/** The foreach-cardinality table (METAFLOW_SFN_DYNAMO_DB_TABLE), encrypted with the platform key and protected with the stack. */
function stateTable(ctx: SfnContext): aws.dynamodb.Table {
    const { args } = ctx;
    const stateful = { parent: ctx.parent, protect: args.protect, retainOnDelete: args.protect };
    return new aws.dynamodb.Table(
        `${ctx.name}-state`,
        {
            name: physicalName(args.namePrefix, "sfn-state", NAME_LIMITS.dynamoTable),
            billingMode: "PAY_PER_REQUEST",
            hashKey: "pathspec",
            attributes: [{ name: "pathspec", type: "S" }],
            ttl: { attributeName: "ttl", enabled: true },
            pointInTimeRecovery: { enabled: true },
            serverSideEncryption: { enabled: true, kmsKeyArn: args.kmsKeyArn },
            deletionProtectionEnabled: args.protect ?? false,
        },
        stateful,
    );
}

/** The execution-history log group (`--log-execution-history`), with retention and the platform key. */
function executionLogGroup(ctx: SfnContext): aws.cloudwatch.LogGroup {
    const { args } = ctx;
    return new aws.cloudwatch.LogGroup(
        `${ctx.name}-executions`,
        {
            // The /aws/vendedlogs/ prefix keeps CloudWatch Logs' resource policy small as state machines multiply.
            name: `/aws/vendedlogs/states/${args.namePrefix}-metaflow`,
            retentionInDays: args.logRetentionDays,
            kmsKeyId: args.kmsKeyArn,
        },
        { parent: ctx.parent },
    );
}

/** What the state machines may do: submit Metaflow jobs to the platform's queues, distributed maps, foreach state, logging. */
function executionPolicy(ctx: SfnContext, table: aws.dynamodb.Table): pulumi.Output<string> {
    const { args, arn } = ctx;
    return document(
        {
            // Only the platform's queues, and only Metaflow's job definitions: a job definition names the
            // image and the job role, so `job-definition/*` would let a state machine run any of them.
            Sid: "SubmitToPlatformQueues",
            Effect: "Allow",
            Action: "batch:SubmitJob",
            Resource: pulumi.all([args.jobQueueArns, arn("batch", METAFLOW_JOB_DEFINITIONS)]).apply(([queues, definitions]) => [...queues, definitions]),
        },
        { Sid: "ManageSubmittedJobs", Effect: "Allow", Action: ["batch:TerminateJob", "batch:TagResource"], Resource: arn("batch", "job/*") },
        // DescribeJobs has no resource-level permissions.
        { Sid: "DescribeJobs", Effect: "Allow", Action: "batch:DescribeJobs", Resource: "*" },
        {
            Sid: "BatchSyncIntegrationRule",
            Effect: "Allow",
            Action: ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            Resource: arn("events", `rule/${SFN_BATCH_EVENTS_RULE}`),
        },
        {
            // The state machine itself touches S3 only for distributed maps (`foreach` with
            // --use-distributed-map): the ResultWriter writes the results (multipart, so it also lists and
            // aborts parts), a state reads the manifest, an ItemReader reads the results file. Everything
            // else in S3 is the job role's (step_functions.py, result_writer, *GetManifest, JSONItemReader).
            Sid: "DistributedMapResults",
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
            Resource: pulumi.interpolate`${args.bucketArn}/${SFN_MAP_OUTPUT_PREFIX}/*`,
        },
        { Sid: "PlatformKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"], Resource: args.kmsKeyArn },
        { Sid: "ForeachState", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], Resource: table.arn },
        {
            // Distributed maps start child executions of the same state machine.
            Sid: "DistributedMapChildren",
            Effect: "Allow",
            Action: "states:StartExecution",
            Resource: ctx.machines,
        },
        {
            Sid: "DistributedMapExecutions",
            Effect: "Allow",
            Action: ["states:DescribeExecution", "states:StopExecution"],
            Resource: arn("states", `execution:${args.stateMachinePrefix}_*:*`),
        },
        {
            // Execution-history logging (CloudWatch Logs vended delivery) has no resource-level permissions.
            Sid: "ExecutionHistoryDelivery",
            Effect: "Allow",
            Action: LOG_DELIVERY_ACTIONS,
            Resource: "*",
        },
    );
}

/** The role the state machines run as (METAFLOW_SFN_IAM_ROLE), with {@link executionPolicy}. */
function executionRole(ctx: SfnContext, table: aws.dynamodb.Table): aws.iam.Role {
    const { name } = ctx;
    const role = serviceRole(
        `${name}-execution`,
        { namePrefix: ctx.args.namePrefix, nameSuffix: "sfn-execution", description: "Metaflow state machines (METAFLOW_SFN_IAM_ROLE)", service: "states.amazonaws.com", account: ctx.account },
        { parent: ctx.parent },
    );
    new aws.iam.RolePolicy(`${name}-execution`, { role: role.id, policy: executionPolicy(ctx, table) }, { parent: ctx.parent });
    return role;
}

/** The role EventBridge starts `@schedule` runs with (METAFLOW_EVENTS_SFN_ACCESS_IAM_ROLE): this stack's state machines only. */
function eventsRole(ctx: SfnContext): aws.iam.Role {
    const { name } = ctx;
    const role = serviceRole(
        `${name}-events`,
        { namePrefix: ctx.args.namePrefix, nameSuffix: "sfn-events", description: "EventBridge starts this stack's Metaflow state machines on @schedule (METAFLOW_EVENTS_SFN_ACCESS_IAM_ROLE)", service: "events.amazonaws.com", account: ctx.account },
        { parent: ctx.parent },
    );
    new aws.iam.RolePolicy(
        `${name}-events`,
        { role: role.id, policy: document({ Sid: "StartPrefixedStateMachines", Effect: "Allow", Action: "states:StartExecution", Resource: ctx.machines }) },
        { parent: ctx.parent },
    );
    return role;
}

/** One {@link PipelineTrigger} per configured trigger, by trigger name, logging to the execution-history group. */
function pipelineTriggers(ctx: SfnContext, logGroup: aws.cloudwatch.LogGroup): Record<string, PipelineTrigger> {
    const { args } = ctx;
    const triggers: Record<string, PipelineTrigger> = {};
    for (const t of args.triggers ?? []) {
        const id = triggerName(t);
        triggers[id] = new PipelineTrigger(
            `${ctx.name}-trigger-${id}`,
            {
                namePrefix: args.namePrefix,
                region: args.region,
                stateMachinePrefix: args.stateMachinePrefix,
                trigger: t,
                bucketName: args.bucketName,
                executionLogGroupArn: pulumi.interpolate`${logGroup.arn}:*`,
            },
            { parent: ctx.parent },
        );
    }
    return triggers;
}

/**
 * Production scheduling with Step Functions (`step-functions create`): the execution role the state machines run as
 * (METAFLOW_SFN_IAM_ROLE), the DynamoDB table for foreach cardinalities (METAFLOW_SFN_DYNAMO_DB_TABLE), the role
 * EventBridge uses for `@schedule` (METAFLOW_EVENTS_SFN_ACCESS_IAM_ROLE), the execution-history log group
 * (`--log-execution-history`), and the configured event-driven triggers.
 */
export class SfnScheduler extends pulumi.ComponentResource {
    public readonly stateMachinePrefix: string;
    public readonly executionRoleArn: pulumi.Output<string>;
    public readonly eventsRoleArn: pulumi.Output<string>;
    public readonly tableName: pulumi.Output<string>;
    public readonly tableArn: pulumi.Output<string>;
    /** `<log group ARN>:*`, the form Step Functions' logging configuration takes (METAFLOW_SFN_EXECUTION_LOG_GROUP_ARN). */
    public readonly executionLogGroupArn: pulumi.Output<string>;
    public readonly triggers: Record<string, PipelineTrigger>;

    constructor(name: string, args: SfnSchedulerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:orchestration:SfnScheduler", name, {}, opts);
        const problems = validateSfnSchedulerArgs(args);
        if (problems.length) throw new Error(`SfnScheduler ${name}: ${problems.join("; ")}`);
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const arn = regionalArns(args.region, account);
        const ctx: SfnContext = { name, args, parent: this, account, arn, machines: arn("states", `stateMachine:${args.stateMachinePrefix}_*`) };

        const table = stateTable(ctx);
        const logGroup = executionLogGroup(ctx);
        const execution = executionRole(ctx, table);
        const events = eventsRole(ctx);
        this.triggers = pipelineTriggers(ctx, logGroup);

        this.stateMachinePrefix = args.stateMachinePrefix;
        this.executionRoleArn = execution.arn;
        this.eventsRoleArn = events.arn;
        this.tableName = table.name;
        this.tableArn = table.arn;
        this.executionLogGroupArn = pulumi.interpolate`${logGroup.arn}:*`;
        this.registerOutputs({
            stateMachinePrefix: this.stateMachinePrefix,
            executionRoleArn: this.executionRoleArn,
            eventsRoleArn: this.eventsRoleArn,
            tableName: this.tableName,
            tableArn: this.tableArn,
            executionLogGroupArn: this.executionLogGroupArn,
        });
    }
}
