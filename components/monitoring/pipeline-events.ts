/**
 * Execution and productivity figures with no code to run: EventBridge rules copy this stack's Step Functions execution
 * status changes and Batch job state changes into two CloudWatch Logs groups, where metric filters count runs per
 * flow, jobs per queue, and jobs per engineer and per flow (a log transformer splits Metaflow's job name, see
 * pipeline-events-rules.ts), Contributor Insights ranks the most active and the most failing flows, and saved Logs
 * Insights queries give weekly adoption figures and durations. docs/operations.md explains each figure.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { eventDeadLetter } from "../event-dead-letter";
import { regionalArns } from "../iam";
import { NAME_LIMITS, physicalName } from "../naming";
import { contributorRules, JOB_RECORD_TRANSFORMER, PIPELINE_METRIC_FILTERS, PIPELINE_QUERIES, pipelineEventPatterns, pipelineLogGroupNames, pipelineNamespace, QUERY_LOGS } from "./pipeline-events-rules";

/** Arguments of {@link PipelineEvents}. */
export interface PipelineEventsArgs {
    /** Short prefix of physical names: the log groups are `/aws/events/<namePrefix>-pipelines` and `-pipeline-jobs`. */
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
    /** Namespace of the metric filters' metrics. */
    public readonly metricNamespace: string;
    /** Saved query names, as the console lists them. */
    public readonly queryNames: string[];

    constructor(name: string, args: PipelineEventsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:observability:PipelineEvents", name, {}, opts);
        const problems = validatePipelineEventsArgs(args);
        if (problems.length) throw new Error(`PipelineEvents ${name}: ${problems.join("; ")}`);
        const parent = { parent: this };
        const p = args.namePrefix;
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const arn = regionalArns(args.region, account);

        // EventBridge lists only /aws/events/ log groups as targets in its console; the names keep that convention.
        // Executions and jobs have a log group each: the jobs' transformer (below) must not meet execution events.
        const names = pipelineLogGroupNames(p);
        const logs = {
            executions: new aws.cloudwatch.LogGroup(`${name}-log`, { name: names.executions, retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn }, parent),
            jobs: new aws.cloudwatch.LogGroup(`${name}-job-log`, { name: names.jobs, retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn }, parent),
        };

        // At ingestion, the job log keeps each event and adds `mf.user`, `mf.flow`, `mf.step` split from the job name
        // (pipeline-events-rules.ts). Transformers need the Standard log class, the default.
        const transformer = new aws.cloudwatch.LogTransformer(
            `${name}-job-record`,
            { logGroupArn: logs.jobs.arn, transformerConfigs: JOB_RECORD_TRANSFORMER.map((proc) => ("parseJSON" in proc ? { parseJsons: [{ ...proc.parseJSON }] } : { grok: { ...proc.grok } })) },
            parent,
        );

        // EventBridge writes to CloudWatch Logs under a resource policy of the log group's account, not a role
        // (EventBridge user guide, "Using resource-based policies": CloudWatch Logs permissions). One policy for both
        // groups: an account has few resource policies per region.
        new aws.cloudwatch.LogResourcePolicy(
            `${name}-delivery`,
            {
                policyName: physicalName(p, "pipeline-events", 255),
                policyDocument: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Sid: "EventBridgeWritesPipelineEvents",
                            Effect: "Allow",
                            Principal: { Service: ["events.amazonaws.com", "delivery.logs.amazonaws.com"] },
                            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                            Resource: [pulumi.interpolate`${logs.executions.arn}:*`, pulumi.interpolate`${logs.jobs.arn}:*`],
                        },
                    ],
                }),
            },
            parent,
        );

        const stateMachineArnPrefix = arn("states", `stateMachine:${args.stateMachinePrefix}_`);
        const rules = {
            executions: { description: `Step Functions execution status changes of ${args.stateMachinePrefix}_* state machines, to the pipeline event log` },
            jobs: { description: "Batch job state changes of the platform's job queues, to the pipeline event log" },
        } as const;
        for (const [role, r] of Object.entries(rules) as Array<[keyof typeof rules, (typeof rules)[keyof typeof rules]]>) {
            const pattern = pulumi.all([stateMachineArnPrefix, args.jobQueueArns]).apply(([prefix, queues]) => JSON.stringify(pipelineEventPatterns(prefix, queues)[role]));
            const ruleRole = `events-${role}`;
            const rule = new aws.cloudwatch.EventRule(`${name}-${role}`, { name: physicalName(p, ruleRole, NAME_LIMITS.eventRule), description: r.description, eventPattern: pattern }, parent);
            const dead = eventDeadLetter(`${name}-${role}`, { namePrefix: p, role: ruleRole, ruleArn: rule.arn, ruleName: rule.name, alarmTopicArn: args.alarmTopicArn, account }, parent);
            new aws.cloudwatch.EventTarget(`${name}-${role}`, { rule: rule.name, arn: logs[role].arn, deadLetterConfig: dead.deadLetterConfig }, parent);
        }

        const namespace = pipelineNamespace(p);
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
                f.applyOnTransformedLogs ? { parent: this, dependsOn: [transformer] } : parent,
            );
        }

        for (const c of contributorRules(names.executions)) {
            new aws.cloudwatch.ContributorInsightRule(`${name}-${c.role}`, { ruleName: physicalName(p, c.role, 128), ruleState: "ENABLED", ruleDefinition: JSON.stringify(c.definition) }, { parent: this, dependsOn: [logs.executions] });
        }

        const queryNames: string[] = [];
        for (const [query, text] of Object.entries(PIPELINE_QUERIES)) {
            const queryName = `${p}/${query}`;
            queryNames.push(queryName);
            new aws.cloudwatch.QueryDefinition(`${name}-${query}`, { name: queryName, logGroupNames: [logs[QUERY_LOGS[query]].name], queryString: text }, parent);
        }

        this.logGroupName = logs.executions.name;
        this.jobLogGroupName = logs.jobs.name;
        this.metricNamespace = namespace;
        this.queryNames = queryNames;
        this.registerOutputs({ logGroupName: this.logGroupName, jobLogGroupName: this.jobLogGroupName, metricNamespace: namespace, queryNames });
    }
}
