/**
 * What the pipeline event log records and derives, as pure data shared by the component and its tests: the
 * EventBridge patterns, the metric filters, the Contributor Insights rules and the saved Logs Insights queries.
 *
 * Sources: Step Functions "Execution Status Change" events carry `detail.stateMachineArn`, `detail.name`,
 * `detail.status`, `detail.startDate` and `detail.stopDate` (epoch milliseconds); AWS Batch "Job State Change" events
 * carry the DescribeJobs job detail: `jobQueue`, `status`, `statusReason`, `createdAt`, `startedAt`, `stoppedAt` and
 * the job's `tags`. Metaflow 2.19.38 tags the Batch jobs it submits when METAFLOW_BATCH_EMIT_TAGS is true
 * (plugins/aws/batch/batch.py:381-407): `app=metaflow`, `metaflow.flow_name`, `metaflow.step_name`, `metaflow.run_id`,
 * `metaflow.user` (the engineer for `run --with batch`, batch_cli.py:295; `SFN` for deployed flows,
 * step_functions.py:565-572) and `metaflow.owner` (the engineer who deployed the flow, on deployed flows only).
 *
 * Tag keys contain periods, which metric filter and Contributor Insights selectors would read as nested objects, and
 * Batch events hold more fields than Logs Insights extracts from one event: per-engineer figures therefore come from
 * the saved queries, which parse the raw event text for the tags, not from metric filters.
 */

/** Step Functions execution statuses that end a run. */
export const RUN_END_STATES = ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"] as const;
/** Batch job states recorded: the backlog (RUNNABLE), starts and ends. */
export const JOB_STATES = ["RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED"] as const;

/** EventBridge patterns of the two rules: this stack's state machines and queues only. */
export function pipelineEventPatterns(stateMachineArnPrefix: string, jobQueueArns: string[]) {
    return {
        executions: { source: ["aws.states"], "detail-type": ["Step Functions Execution Status Change"], detail: { stateMachineArn: [{ prefix: stateMachineArnPrefix }] } },
        jobs: { source: ["aws.batch"], "detail-type": ["Batch Job State Change"], detail: { jobQueue: jobQueueArns, status: [...JOB_STATES] } },
    };
}

export interface MetricFilterSpec {
    role: string;
    description: string;
    pattern: string;
    metricName: string;
    dimensions: Record<string, string>;
}

/** Metric filters, in the namespace `Metaflow/Pipelines/<namePrefix>`: each distinct dimension set is one metric. */
export const PIPELINE_METRIC_FILTERS: MetricFilterSpec[] = [
    {
        role: "runs",
        description: "Pipeline runs by flow (state machine) and status: RUNNING counts starts, the others ends",
        pattern: '{ $.source = "aws.states" }',
        metricName: "Runs",
        dimensions: { StateMachine: "$.detail.stateMachineArn", Status: "$.detail.status" },
    },
    {
        role: "jobs",
        description: "Batch jobs by queue and state they entered (RUNNABLE without STARTING is the backlog)",
        pattern: '{ $.source = "aws.batch" }',
        metricName: "Jobs",
        dimensions: { JobQueue: "$.detail.jobQueue", Status: "$.detail.status" },
    },
];

/** The namespace of the metric filters' metrics. */
export function pipelineNamespace(namePrefix: string): string {
    return `Metaflow/Pipelines/${namePrefix}`;
}

/** Contributor Insights rules (CloudWatchLogRule schema, version 1) over the event log. */
export function contributorRules(logGroupName: string): Array<{ role: string; definition: object }> {
    const rule = (statuses: readonly string[]) => ({
        Schema: { Name: "CloudWatchLogRule", Version: 1 },
        LogGroupNames: [logGroupName],
        LogFormat: "JSON",
        Contribution: { Keys: ["$.detail.stateMachineArn"], Filters: [{ Match: "$.source", In: ["aws.states"] }, { Match: "$.detail.status", In: [...statuses] }] },
        AggregateOn: "Count",
    });
    return [
        { role: "most-active-flows", definition: rule(["RUNNING"]) },
        { role: "most-failing-flows", definition: rule(["FAILED", "TIMED_OUT", "ABORTED"]) },
    ];
}

/** Logs Insights regular expression extracting a Metaflow tag from the raw event text (keys contain periods). */
function tag(key: string, field: string): string {
    return `parse @message /"metaflow\\.${key}"\\s*:\\s*"(?<${field}>[^"]*)"/`;
}
const BATCH_JOB_END = `filter source = "aws.batch" and (detail.status = "SUCCEEDED" or detail.status = "FAILED")`;

/** Saved Logs Insights queries (folder `<namePrefix>/` in the console), by name. */
export const PIPELINE_QUERIES: Record<string, string> = {
    "runs-per-flow-weekly": [
        `filter source = "aws.states" and detail.status in ${JSON.stringify([...RUN_END_STATES])}`,
        "fields detail.stateMachineArn as flow, detail.status as status",
        "stats count(*) as runs by bin(1w), flow, status",
        "sort runs desc",
    ].join("\n| "),
    "run-duration-per-flow": [
        `filter source = "aws.states" and detail.status = "SUCCEEDED"`,
        "fields detail.stateMachineArn as flow, (detail.stopDate - detail.startDate) / 60000 as minutes",
        "stats count(*) as runs, avg(minutes) as avg_minutes, pct(minutes, 90) as p90_minutes, max(minutes) as max_minutes by flow",
        "sort runs desc",
    ].join("\n| "),
    "active-engineers-weekly": [
        BATCH_JOB_END,
        tag("user", "user"),
        tag("owner", "owner"),
        `fields coalesce(owner, user) as engineer`,
        "stats count_distinct(engineer) as engineers, count(*) as jobs by bin(1w)",
    ].join("\n| "),
    "jobs-per-engineer-and-flow-weekly": [
        BATCH_JOB_END,
        tag("user", "user"),
        tag("owner", "owner"),
        tag("flow_name", "flow"),
        `fields coalesce(owner, user) as engineer, detail.status as status`,
        "stats count(*) as jobs by bin(1w), engineer, flow, status",
        "sort jobs desc",
    ].join("\n| "),
    "failing-steps": [
        `filter source = "aws.batch" and detail.status = "FAILED"`,
        tag("flow_name", "flow"),
        tag("step_name", "step"),
        "fields detail.statusReason as reason",
        "stats count(*) as failures by flow, step, reason",
        "sort failures desc",
        "limit 50",
    ].join("\n| "),
};
