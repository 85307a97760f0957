/**
 * Execution, delivery and productivity figures with no code to run: EventBridge rules copy this stack's Step Functions
 * execution status changes, Batch job state changes and flow deployments (CreateStateMachine and UpdateStateMachine
 * calls, from CloudTrail) into three CloudWatch Logs groups, where metric filters count runs per flow, jobs per queue,
 * jobs per engineer and per flow (a log transformer splits Metaflow's job name, see pipeline-events-rules.ts) and
 * deployments per flow, Contributor Insights ranks the most active and the most failing flows, and saved Logs Insights
 * queries give weekly adoption, delivery and cost figures. docs/operations.md explains each figure.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { eventDeadLetter } from "../event-dead-letter";
import { regionalArns } from "../iam";
import { NAME_LIMITS, physicalName } from "../naming";
import { contributorRules, JOB_RECORD_TRANSFORMER, PIPELINE_METRIC_FILTERS, PIPELINE_QUERIES, pipelineEventPatterns, PipelineLog, pipelineLogGroupNames, pipelineNamespace, QUERY_LOGS } from "./pipeline-events-rules";

/** Arguments of {@link PipelineEvents}. */
export interface PipelineEventsArgs {
    /** Short prefix of physical names: the log groups are `/aws/events/<namePrefix>-pipelines`, `-pipeline-jobs` and `-deployments`. */
    namePrefix: string;
    region: string;
    /** Encrypts the log group (the platform key, whose policy admits CloudWatch Logs of this account). */
    kmsKeyArn: pulumi.Input<string>;
    /** Retention of the event log, days: the weekly figures reach back this far. */
    logRetentionDays: number;
    /** Step Functions state machines named `<stateMachinePrefix>_*` are this stack's flows. */
    stateMachinePrefix: string;
    /** The platform's Batch job queues. */
    jobQueueArns: pulumi.Input<string>[];
    /** Where the rules' failed-delivery alarms go. */
    alarmTopicArn: pulumi.Input<string>;
}

export function validatePipelineEventsArgs(args: PipelineEventsArgs): string[] {
    const problems: string[] = [];
    if (!args.stateMachinePrefix) problems.push("stateMachinePrefix must not be empty: the rule would record every state machine of the account");
    if (!args.jobQueueArns.length) problems.push("jobQueueArns must name at least one queue");
    if (!(Number.isInteger(args.logRetentionDays) && args.logRetentionDays > 0)) problems.push(`logRetentionDays ${args.logRetentionDays} must be a positive number of days`);
    return problems;
}

/** The event log of one stack and what is derived from it. */
export class PipelineEvents extends pulumi.ComponentResource {
    /** The Step Functions execution log. */
    public readonly logGroupName: pulumi.Output<string>;
    /** The Batch job log (with the transformer). */
    public readonly jobLogGroupName: pulumi.Output<string>;
    /** The deployment log (CreateStateMachine and UpdateStateMachine calls of this stack's flows). */
    public readonly deploymentLogGroupName: pulumi.Output<string>;
    /** Namespace of the metric filters' metrics. */
    public readonly metricNamespace: string;
    /** Saved query names, as the console lists them. */
    public readonly queryNames: string[];

    constructor(name: string, args: PipelineEventsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:observability:PipelineEvents", name, {}, opts);
        const problems = validatePipelineEventsArgs(args);
        if (problems.length) throw new Error(`PipelineEvents ${name}: ${problems.join("; ")}`);
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const ctx: EventsContext = { name, args, namePrefix: args.namePrefix, parent: this, account };

        const names = pipelineLogGroupNames(ctx.namePrefix);
        const logs = pipelineLogGroups(ctx, names);
        const transformer = jobRecordTransformer(ctx, logs.jobs);
        letEventBridgeWrite(ctx, logs);
        routeEventsToLogs(ctx, logs);
        const namespace = pipelineNamespace(ctx.namePrefix);
        countEvents(ctx, logs, namespace, transformer);
        rankContributors(ctx, names.executions, logs.executions);
        const queryNames = saveQueries(ctx, logs);

        this.logGroupName = logs.executions.name;
        this.jobLogGroupName = logs.jobs.name;
        this.deploymentLogGroupName = logs.deployments.name;
        this.metricNamespace = namespace;
        this.queryNames = queryNames;
        this.registerOutputs({ logGroupName: this.logGroupName, jobLogGroupName: this.jobLogGroupName, deploymentLogGroupName: this.deploymentLogGroupName, metricNamespace: namespace, queryNames });
    }
}

/** What every step of the constructor needs: the component's name and arguments, the component as parent, the account. */
interface EventsContext {
    name: string;
    args: PipelineEventsArgs;
    /** Short prefix of physical names (`args.namePrefix`). */
    namePrefix: string;
    parent: pulumi.Resource;
    account: pulumi.Output<string>;
}

/** The three log groups of the event log, by the events they receive. */
type PipelineLogGroups = Record<PipelineLog, aws.cloudwatch.LogGroup>;

/** The execution, job and deployment logs, encrypted with the platform key and kept `logRetentionDays`. */
function pipelineLogGroups(ctx: EventsContext, names: Record<PipelineLog, string>): PipelineLogGroups {
    const { name, args } = ctx;
    const parent = { parent: ctx.parent };
    // EventBridge lists only /aws/events/ log groups as targets in its console; the names keep that convention.
    // Executions and jobs have a log group each: the jobs' transformer (jobRecordTransformer) must not meet execution
    // events. Deployments too: their CloudTrail records are another shape, read by their own filters and queries.
    return {
        executions: new aws.cloudwatch.LogGroup(`${name}-log`, { name: names.executions, retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn }, parent),
        jobs: new aws.cloudwatch.LogGroup(`${name}-job-log`, { name: names.jobs, retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn }, parent),
        deployments: new aws.cloudwatch.LogGroup(`${name}-deployment-log`, { name: names.deployments, retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn }, parent),
    };
}

/** The job log's transformer, which splits Metaflow's job name into the fields the per-engineer and per-flow figures count. */
function jobRecordTransformer(ctx: EventsContext, jobLog: aws.cloudwatch.LogGroup): aws.cloudwatch.LogTransformer {
    // At ingestion, the job log keeps each event and adds `mf.user`, `mf.flow`, `mf.step` split from the job name
    // (pipeline-events-rules.ts). Transformers need the Standard log class, the default.
    return new aws.cloudwatch.LogTransformer(
        `${ctx.name}-job-record`,
        { logGroupArn: jobLog.arn, transformerConfigs: JOB_RECORD_TRANSFORMER.map((proc) => ("parseJSON" in proc ? { parseJsons: [{ ...proc.parseJSON }] } : { grok: { ...proc.grok } })) },
        { parent: ctx.parent },
    );
}

/** The log resource policy that lets EventBridge write to the three log groups. */
function letEventBridgeWrite(ctx: EventsContext, logs: PipelineLogGroups): void {
    // EventBridge writes to CloudWatch Logs under a resource policy of the log group's account, not a role
    // (EventBridge user guide, "Using resource-based policies": CloudWatch Logs permissions). One policy for all three
    // groups: an account has few resource policies per region.
    new aws.cloudwatch.LogResourcePolicy(
        `${ctx.name}-delivery`,
        {
            policyName: physicalName(ctx.namePrefix, "pipeline-events", 255),
            policyDocument: pulumi.jsonStringify({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "EventBridgeWritesPipelineEvents",
                        Effect: "Allow",
                        Principal: { Service: ["events.amazonaws.com", "delivery.logs.amazonaws.com"] },
                        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                        Resource: [logs.executions, logs.jobs, logs.deployments].map((l) => pulumi.interpolate`${l.arn}:*`),
                    },
                ],
            }),
        },
        { parent: ctx.parent },
    );
}

/** One EventRule per log (this stack's executions, its queues' jobs, its flows' deployments), each target with a dead-letter queue and alarm. */
function routeEventsToLogs(ctx: EventsContext, logs: PipelineLogGroups): void {
    const { name, args, namePrefix: p, account } = ctx;
    const parent = { parent: ctx.parent };
    const arn = regionalArns(args.region, account);
    const stateMachineArnPrefix = arn("states", `stateMachine:${args.stateMachinePrefix}_`);
    const rules = {
        executions: { description: `Step Functions execution status changes of ${args.stateMachinePrefix}_* state machines, to the pipeline event log` },
        jobs: { description: "Batch job state changes of the platform's job queues, to the pipeline event log" },
        deployments: { description: `Deployments (CreateStateMachine, UpdateStateMachine via CloudTrail) of ${args.stateMachinePrefix}_* state machines, to the deployment log` },
    } as const;
    for (const [role, r] of Object.entries(rules) as Array<[keyof typeof rules, (typeof rules)[keyof typeof rules]]>) {
        const pattern = pulumi.all([stateMachineArnPrefix, args.jobQueueArns]).apply(([prefix, queues]) => JSON.stringify(pipelineEventPatterns(prefix, queues, args.stateMachinePrefix)[role]));
        const ruleRole = `events-${role}`;
        const rule = new aws.cloudwatch.EventRule(`${name}-${role}`, { name: physicalName(p, ruleRole, NAME_LIMITS.eventRule), description: r.description, eventPattern: pattern }, parent);
        const dead = eventDeadLetter(`${name}-${role}`, { namePrefix: p, role: ruleRole, ruleArn: rule.arn, ruleName: rule.name, alarmTopicArn: args.alarmTopicArn, account }, parent);
        new aws.cloudwatch.EventTarget(`${name}-${role}`, { rule: rule.name, arn: logs[role].arn, deadLetterConfig: dead.deadLetterConfig }, parent);
    }
}

/** The metric filters that count runs per flow, jobs per queue, and jobs per engineer and per flow, in `namespace`. */
function countEvents(ctx: EventsContext, logs: PipelineLogGroups, namespace: string, transformer: aws.cloudwatch.LogTransformer): void {
    const { name, namePrefix: p } = ctx;
    for (const f of PIPELINE_METRIC_FILTERS) {
        new aws.cloudwatch.LogMetricFilter(
            `${name}-${f.role}`,
            {
                name: physicalName(p, `pipeline-${f.role}`, 512),
                logGroupName: logs[f.log].name,
                pattern: f.pattern,
                applyOnTransformedLogs: f.applyOnTransformedLogs,
                metricTransformation: { namespace, name: f.metricName, value: "1", unit: "Count", dimensions: f.dimensions },
            },
            // A filter on transformed events is created once the transformer exists (the API accepts the flag
            // only for a log group with an active transformer).
            f.applyOnTransformedLogs ? { parent: ctx.parent, dependsOn: [transformer] } : { parent: ctx.parent },
        );
    }
}

/** Contributor Insights rules on the execution log: the most active and the most failing flows. */
function rankContributors(ctx: EventsContext, executionLogName: string, executionLog: aws.cloudwatch.LogGroup): void {
    for (const c of contributorRules(executionLogName)) {
        new aws.cloudwatch.ContributorInsightRule(`${ctx.name}-${c.role}`, { ruleName: physicalName(ctx.namePrefix, c.role, 128), ruleState: "ENABLED", ruleDefinition: JSON.stringify(c.definition) }, { parent: ctx.parent, dependsOn: [executionLog] });
    }
}

/** The saved Logs Insights queries (adoption, delivery and cost figures, durations), named `<namePrefix>/<query>`, each on the log groups it reads; returns their names. */
function saveQueries(ctx: EventsContext, logs: PipelineLogGroups): string[] {
    const queryNames: string[] = [];
    for (const [query, text] of Object.entries(PIPELINE_QUERIES)) {
        const queryName = `${ctx.namePrefix}/${query}`;
        queryNames.push(queryName);
        new aws.cloudwatch.QueryDefinition(`${ctx.name}-${query}`, { name: queryName, logGroupNames: QUERY_LOGS[query].map((log) => logs[log].name), queryString: text }, { parent: ctx.parent });
    }
    return queryNames;
}
