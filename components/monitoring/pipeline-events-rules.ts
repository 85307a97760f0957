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
 * Per-engineer and per-flow metrics. Metaflow's tag keys contain periods, and nothing AWS documents addresses such a key:
 * metric filter and Contributor Insights selectors are plain `$.a.b` paths (a period separates keys), and EventBridge's
 * InputPathsMap "must use JSON dot notation, not bracket notation"
 * (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_InputTransformer.html; supported syntax:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html). What AWS does document is a
 * CloudWatch Logs log transformer (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CloudWatch-Logs-Transformation.html):
 * at ingestion, `parseJSON` keeps the event and `grok` splits a field with predefined patterns into new keys
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CloudWatch-Logs-Transformation-Configurable.html), and a
 * metric filter with `applyOnTransformedLogs` reads the transformed event
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_MetricFilter.html). The field split is the
 * Batch job name, which Metaflow 2.19.38 always sets to `<user>-<flow>-<run_id>-<step>-<task_id>-<attempt>`
 * (plugins/aws/batch/batch.py:179-187; deployed flows: user `SFN` and empty run, task and attempt,
 * step_functions.py:565-586), so the engineer, flow and step need neither the tags nor METAFLOW_BATCH_EMIT_TAGS.
 * The Batch events go to a log group of their own, so that the transformer never meets the Step Functions events.
 *
 * Not possible as metrics: durations (a metric filter's value is a number or one field, and no processor computes
 * `stoppedAt - startedAt`), and a Contributor Insights rule over the transformed fields (PutInsightRule documents
 * ApplyOnTransformedLogs, but @pulumi/aws 7.48.0's ContributorInsightRule has no such argument): those remain Logs
 * Insights queries, and the dashboard graphs the per-engineer metric instead.
 */

/** Step Functions execution statuses that end a run. */
export const RUN_END_STATES = ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"] as const;
/** Batch job states recorded: the backlog (RUNNABLE), starts and ends. */
export const JOB_STATES = ["RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED"] as const;

/** The Step Functions calls `step-functions create` makes to deploy a flow (Metaflow 2.19.38, step_functions_client.py:26-45). */
export const DEPLOY_CALLS = ["CreateStateMachine", "UpdateStateMachine"] as const;

/**
 * EventBridge patterns of the three rules: this stack's state machines and queues only.
 *
 * Deployments are CloudTrail management events ("AWS API Call via CloudTrail", source `aws.states`, eventSource
 * `states.amazonaws.com`: https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-states.html), which EventBridge
 * receives only while a trail with logging is enabled in the account and region ("To record events with one of the
 * CloudTrail detail-type values, you must enable a CloudTrail trail with logging":
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html; docs/contracts.md asks A01
 * for it). `step-functions create` first calls CreateStateMachine and, when the state machine exists, catches
 * StateMachineAlreadyExists and calls UpdateStateMachine (step_functions_client.py:26-45): CloudTrail records the failed
 * call too, with an `errorCode`, so the pattern takes only calls without one (`exists: false`). The two calls name the
 * state machine differently (Create by `requestParameters.name`, Update by `requestParameters.stateMachineArn`), so the
 * pattern is an `$or` of the two shapes (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html,
 * "Or": `$or` is the one operator that combines fields rather than values).
 */
export function pipelineEventPatterns(stateMachineArnPrefix: string, jobQueueArns: string[], stateMachinePrefix: string) {
    return {
        executions: { source: ["aws.states"], "detail-type": ["Step Functions Execution Status Change"], detail: { stateMachineArn: [{ prefix: stateMachineArnPrefix }] } },
        jobs: { source: ["aws.batch"], "detail-type": ["Batch Job State Change"], detail: { jobQueue: jobQueueArns, status: [...JOB_STATES] } },
        deployments: {
            source: ["aws.states"],
            "detail-type": ["AWS API Call via CloudTrail"],
            detail: {
                eventSource: ["states.amazonaws.com"],
                errorCode: [{ exists: false }],
                $or: [
                    { eventName: ["CreateStateMachine"], requestParameters: { name: [{ prefix: `${stateMachinePrefix}_` }] } },
                    { eventName: ["UpdateStateMachine"], requestParameters: { stateMachineArn: [{ prefix: stateMachineArnPrefix }] } },
                ],
            },
        },
    };
}

/** The log groups of the pipeline event log: Step Functions executions, Batch jobs (with the transformer), deployments. */
export type PipelineLog = "executions" | "jobs" | "deployments";

export interface MetricFilterSpec {
    role: string;
    description: string;
    /** The log group it reads. */
    log: PipelineLog;
    pattern: string;
    metricName: string;
    dimensions: Record<string, string>;
    /** Reads the transformed event (the `mf.*` keys of {@link JOB_RECORD_TRANSFORMER}) rather than the original. */
    applyOnTransformedLogs: boolean;
}

/**
 * The grok pattern that splits Metaflow's Batch job name `<user>-<flow>-<run_id>-<step>-<task_id>-<attempt>` into
 * `mf.*` keys (a dotted field name is a JSON path: `mf.user` becomes `{"mf": {"user": ...}}`). Flow and step names
 * are Python identifiers (WORD: letters, digits, underscores); run, task and attempt are digits locally and empty
 * for deployed flows (DATA, zero or more characters); the user is everything before the last five hyphens
 * (GREEDYDATA), so a user name that contains hyphens stays whole. A grok pattern may use DATA and GREEDYDATA five
 * times together, WORD twenty (CloudWatch Logs, "Supported grok patterns"); this one uses four and two.
 */
export const JOB_NAME_GROK = "%{GREEDYDATA:mf.user}-%{WORD:mf.flow}-%{DATA:mf.run}-%{WORD:mf.step}-%{DATA:mf.task}-%{DATA:mf.attempt}";

/**
 * The job log's transformer: `parseJSON` of the whole event first (required of a first parseJSON; it keeps the event's
 * keys and leaves `@message` unchanged), then `grok` on `detail.jobName` (one grok per transformer). Limits that
 * matter (CloudWatch Logs, "Create and manage log transformers"): at most 200 fields extracted per event, events under
 * 512 KB; an event that fails carries `@transformationError` and is missing from the transformed metrics (the
 * `untransformed-job-events` query counts them).
 */
export const JOB_RECORD_TRANSFORMER = [{ parseJSON: { source: "@message" } }, { grok: { source: "detail.jobName", match: JOB_NAME_GROK } }] as const;

/** Batch job states that count for engineers and flows: started, and ended so. */
export const JOB_OUTCOME_STATES = ["RUNNING", "SUCCEEDED", "FAILED"] as const;
const JOB_OUTCOME_PATTERN = `{ ${JOB_OUTCOME_STATES.map((s) => `$.detail.status = "${s}"`).join(" || ")} }`;

/**
 * Metric filters, in the namespace `Metaflow/Pipelines/<namePrefix>`: each distinct dimension set is one custom
 * metric (at most 3 dimensions per filter). `JobsByEngineer` and `JobsByFlow` have as many series as engineers (plus
 * `SFN`, the deployed flows) or flows, times three states: with 20 engineers, 60 series.
 */
export const PIPELINE_METRIC_FILTERS: MetricFilterSpec[] = [
    {
        role: "runs",
        description: "Pipeline runs by flow (state machine) and status: RUNNING counts starts, the others ends",
        log: "executions",
        pattern: '{ $.source = "aws.states" }',
        metricName: "Runs",
        dimensions: { StateMachine: "$.detail.stateMachineArn", Status: "$.detail.status" },
        applyOnTransformedLogs: false,
    },
    {
        role: "jobs",
        description: "Batch jobs by queue and state they entered (RUNNABLE without STARTING is the backlog)",
        log: "jobs",
        pattern: '{ $.source = "aws.batch" }',
        metricName: "Jobs",
        dimensions: { JobQueue: "$.detail.jobQueue", Status: "$.detail.status" },
        applyOnTransformedLogs: false,
    },
    {
        role: "jobs-by-engineer",
        description: "Batch jobs started (RUNNING) and ended (SUCCEEDED, FAILED) per engineer (SFN: deployed flows), from the job name",
        log: "jobs",
        pattern: JOB_OUTCOME_PATTERN,
        metricName: "JobsByEngineer",
        dimensions: { Engineer: "$.mf.user", Status: "$.detail.status" },
        applyOnTransformedLogs: true,
    },
    {
        role: "jobs-by-flow",
        description: "Batch jobs started (RUNNING) and ended (SUCCEEDED, FAILED) per flow, local runs and deployed alike, from the job name",
        log: "jobs",
        pattern: JOB_OUTCOME_PATTERN,
        metricName: "JobsByFlow",
        dimensions: { Flow: "$.mf.flow", Status: "$.detail.status" },
        applyOnTransformedLogs: true,
    },
    // Deployments per flow. One metric from two filters: a metric filter's dimension is one selector, and the two calls
    // carry the ARN at different paths. CreateStateMachine's ARN is in its response (CloudTrail records
    // `responseElements` for calls that create, update or delete), UpdateStateMachine's in its request. Both give
    // `StateMachine` = the ARN, the dimension value `Runs` uses, so a flow's deployments and runs line up.
    {
        role: "deployments-created",
        description: "Flows deployed for the first time (CreateStateMachine), by state machine",
        log: "deployments",
        pattern: '{ $.detail.eventName = "CreateStateMachine" }',
        metricName: "Deployments",
        dimensions: { StateMachine: "$.detail.responseElements.stateMachineArn" },
        applyOnTransformedLogs: false,
    },
    {
        role: "deployments-updated",
        description: "Flows deployed again (UpdateStateMachine), by state machine",
        log: "deployments",
        pattern: '{ $.detail.eventName = "UpdateStateMachine" }',
        metricName: "Deployments",
        dimensions: { StateMachine: "$.detail.requestParameters.stateMachineArn" },
        applyOnTransformedLogs: false,
    },
];

/** The namespace of the metric filters' metrics. */
export function pipelineNamespace(namePrefix: string): string {
    return `Metaflow/Pipelines/${namePrefix}`;
}

/**
 * The namespace the flow repositories' CI writes its delivery metrics to (`LeadTimeSeconds`, `Deployments`, dimension
 * `Flow`), the only one the deploy role may write (components/flow-deploy-role.ts).
 */
export function deliveryNamespace(namePrefix: string): string {
    return `Metaflow/Delivery/${namePrefix}`;
}

/** What CI records after each successful `step-functions create` (templates/ci/flows.yml). */
export const DELIVERY_METRICS = { leadTime: "LeadTimeSeconds", deployments: "Deployments" } as const;

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

/** Hours a job ran: its last attempt's `startedAt` to `stoppedAt` (epoch milliseconds, Batch JobDetail). */
const JOB_HOURS = "(detail.stoppedAt - detail.startedAt) / 3600000";

/**
 * A job's vCPUs and GPUs. Metaflow 2.19.38 asks for them as `resourceRequirements` entries (`{"value": "4", "type":
 * "VCPU"}`, `GPU` likewise; batch_client.py:569-606), which the job state event's `detail.container` carries; `vcpus`
 * is the older field (botocore batch ContainerDetail: not both). An array's entries have no fixed position, so the
 * values are read from the event text, in either key order; parsed numbers aggregate as numbers (the Logs Insights
 * `parse` example averages a parsed field). A job without a GPU entry has 0 GPUs.
 */
const JOB_RESOURCES = [
    'parse @message /"value"\\s*:\\s*"(?<vcpuA>[0-9.]+)"\\s*,\\s*"type"\\s*:\\s*"VCPU"/',
    'parse @message /"type"\\s*:\\s*"VCPU"\\s*,\\s*"value"\\s*:\\s*"(?<vcpuB>[0-9.]+)"/',
    'parse @message /"value"\\s*:\\s*"(?<gpuA>[0-9]+)"\\s*,\\s*"type"\\s*:\\s*"GPU"/',
    'parse @message /"type"\\s*:\\s*"GPU"\\s*,\\s*"value"\\s*:\\s*"(?<gpuB>[0-9]+)"/',
    `fields ${JOB_HOURS} as hours, coalesce(vcpuA, vcpuB, detail.container.vcpus) as vcpus, coalesce(gpuA, gpuB, 0) as gpus`,
    "fields vcpus * hours as vcpu_hours_of_job, gpus * hours as gpu_hours_of_job",
];

/**
 * Vendor-neutral resource hours per week and `by` key: vCPU-hours and GPU-hours of finished jobs (that started),
 * split by the job's GPU count so the report prices GPU jobs by GPU-hour and the others by vCPU-hour
 * (docs/operations.md, "Cost per flow and per engineer").
 */
function costQuery(by: "flow" | "engineer"): string {
    return [
        `${BATCH_JOB_END} and ispresent(detail.startedAt)`,
        // An engineer is who deployed the flow (`metaflow.owner`), else who ran it (`metaflow.user`), else the job name's user.
        ...(by === "engineer" ? [tag("user", "user"), tag("owner", "owner")] : []),
        ...JOB_RESOURCES,
        by === "engineer" ? "fields coalesce(owner, user, mf.user) as engineer" : "fields mf.flow as flow",
        `stats sum(vcpu_hours_of_job) as vcpu_hours, sum(gpu_hours_of_job) as gpu_hours, count(*) as jobs by bin(1w), ${by}, gpus`,
        "sort vcpu_hours desc",
    ].join("\n| ");
}

/**
 * One row per deployment and per ended run of the stack's flows, over the deployment and execution logs:
 * `flow` (the state machine ARN), `kind` (CreateStateMachine, UpdateStateMachine, or the run's status) and `ended`
 * (epoch milliseconds: the run's stopDate, or the deployment's event time, which EventBridge gives the log event).
 */
const DELIVERY_EVENTS = [
    `filter ispresent(detail.eventName) or detail.status in ${JSON.stringify([...RUN_END_STATES])}`,
    "fields coalesce(detail.stateMachineArn, detail.responseElements.stateMachineArn, detail.requestParameters.stateMachineArn) as flow",
    "fields coalesce(detail.status, detail.eventName) as kind, coalesce(detail.stopDate, toMillis(@timestamp)) as ended",
];

/** The delivery queries (docs/operations.md, "Delivery, productivity and cost figures", defines each figure). */
export const DELIVERY_QUERIES: Record<string, string> = {
    "deployments-per-flow-weekly": [
        `filter detail.eventSource = "states.amazonaws.com"`,
        "fields coalesce(detail.responseElements.stateMachineArn, detail.requestParameters.stateMachineArn) as flow, detail.eventName as call",
        "stats count(*) as deployments by bin(1w), flow, call",
        "sort deployments desc",
    ].join("\n| "),
    // Logs Insights has no ordering between events (no window function): per flow and week, the deployments and the
    // runs by how they ended; the report orders the raw rows (delivery-events) for the exact figure.
    "change-failure-rate-per-flow": [...DELIVERY_EVENTS, "stats count(*) as events by bin(1w), flow, kind", "sort flow asc"].join("\n| "),
    // Per flow, week and outcome, the runs and their earliest and latest end: the latest success minus the earliest
    // failure, when positive, bounds from above the restore time of the week's failures restored that week.
    "time-to-restore-per-flow": [
        ...DELIVERY_EVENTS,
        "stats count(*) as runs, min(ended) as earliest_end_ms, max(ended) as latest_end_ms by bin(1w), flow, kind",
        "sort flow asc",
    ].join("\n| "),
    "delivery-events": [...DELIVERY_EVENTS, "display ended, flow, kind", "sort ended asc", "limit 10000"].join("\n| "),
    "cost-per-flow-weekly": costQuery("flow"),
    "cost-per-engineer-weekly": costQuery("engineer"),
};

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
    "job-duration-per-flow": [
        `filter detail.status = "SUCCEEDED"`,
        "fields mf.flow as flow, mf.step as step, (detail.stoppedAt - detail.startedAt) / 60000 as minutes",
        "stats count(*) as jobs, avg(minutes) as avg_minutes, pct(minutes, 90) as p90_minutes, max(minutes) as max_minutes by flow, step",
        "sort jobs desc",
    ].join("\n| "),
    "untransformed-job-events": ["filter ispresent(@transformationError)", "fields detail.jobName as job, @transformationError as error", "stats count(*) as events by bin(1d), error"].join("\n| "),
    "failing-steps": [
        `filter source = "aws.batch" and detail.status = "FAILED"`,
        tag("flow_name", "flow"),
        tag("step_name", "step"),
        "fields detail.statusReason as reason",
        "stats count(*) as failures by flow, step, reason",
        "sort failures desc",
        "limit 50",
    ].join("\n| "),
    ...DELIVERY_QUERIES,
};

/**
 * The log groups each saved query reads: the runs and the time to restore from the executions, the deployments from
 * the deployment log, the figures that relate the two (change failures, the delivery rows) from both, everything
 * about jobs from the job log.
 */
export const QUERY_LOGS: Record<string, PipelineLog[]> = Object.fromEntries(
    Object.keys(PIPELINE_QUERIES).map((q): [string, PipelineLog[]] => {
        if (q.startsWith("run")) return [q, ["executions"]];
        if (q.startsWith("deployments")) return [q, ["deployments"]];
        if (["change-failure-rate-per-flow", "delivery-events"].includes(q)) return [q, ["deployments", "executions"]];
        if (q === "time-to-restore-per-flow") return [q, ["executions"]];
        return [q, ["jobs"]];
    }),
);

/** The three log groups of a stack's pipeline event log. */
export function pipelineLogGroupNames(namePrefix: string): Record<PipelineLog, string> {
    return { executions: `/aws/events/${namePrefix}-pipelines`, jobs: `/aws/events/${namePrefix}-pipeline-jobs`, deployments: `/aws/events/${namePrefix}-deployments` };
}
