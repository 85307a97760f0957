/**
 * The body of a stack's CloudWatch dashboard, as a pure function of the stack's resolved resource names, so the
 * component and its tests build the same JSON. Format: "Dashboard Body Structure and Syntax" (CloudWatch API
 * reference): a `widgets` array of 0 to 500 widgets on a grid 24 units wide; a metric is
 * `[namespace, name, dimension, value, ..., {options}]`, an expression `[{ expression, id, label }]`.
 *
 * Where AWS publishes per-resource metrics, widgets name this stack's resources exactly (load balancer, target group,
 * ECS service, database). State machines are created by engineers (`step-functions create`, named
 * `<stateMachinePrefix>_<Flow>`), and AWS Batch publishes its job metrics under `AWS/Batch` with the `JobQueueName`
 * dimension (AWS Batch user guide, "Using CloudWatch Metrics with AWS Batch"): those widgets use SEARCH expressions
 * restricted to this stack's state machine ARN prefix and queue names, so new flows and every job state appear without
 * a redeploy.
 */

import { SERVING_VARIANT } from "../serving/rules";
import { DELIVERY_METRICS, DELIVERY_QUERIES, PIPELINE_METRIC_FILTERS, PipelineLog, QUERY_LOGS } from "./pipeline-events-rules";

/** Widgets per dashboard (Dashboard Body Structure: "an array of between 0 and 500 widget objects"). */
export const MAX_WIDGETS = 500;
/** Metrics per widget (CloudWatch service quotas, dashboards: up to 500 widgets per dashboard, 500 metrics per widget). */
export const MAX_METRICS_PER_WIDGET = 500;
/** The grid's width. */
const GRID = 24;

/** Step Functions execution metrics (namespace `AWS/States`, dimension `StateMachineArn`). */
export const EXECUTION_METRICS = { started: ["ExecutionsStarted", "ExecutionsSucceeded"], failed: ["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"] } as const;

/** This stack's resources, resolved: what every widget names. */
export interface DashboardSpec {
    /** Heading of the dashboard, e.g. `Metaflow platform: dev (mfdev)`. */
    title: string;
    region: string;
    account: string;
    /** State machines `<stateMachinePrefix>_*` are this stack's. */
    stateMachinePrefix: string;
    /** The platform's Batch job queues: the queue id of the configuration and the queue's name. */
    queues: Array<{ id: string; name: string }>;
    service: { loadBalancer: string; targetGroup: string; cluster: string; service: string };
    /** The dedicated database (absent with the foundation's database, which the foundation monitors). */
    database?: { identifier: string; freeStorageThresholdBytes: number };
    /** The stack's monthly budget, USD: a line on the spend widget. */
    monthlyBudgetUsd?: number;
    /** Namespace of the pipeline event log's metrics (`Metaflow/Pipelines/<namePrefix>`), when the stack has the log. */
    pipelineNamespace?: string;
    /** Served models' endpoints (`<namePrefix>-<model>`, variant `AllTraffic`), when the stack serves models. */
    servingEndpoints?: string[];
    /**
     * The Delivery row, with the pipeline event log: its log groups (for the Logs Insights widgets) and the namespace
     * CI records lead times in (`Metaflow/Delivery/<namePrefix>`).
     */
    delivery?: { deliveryNamespace: string; logs: Record<PipelineLog, string> };
}

type MetricRow = Array<string | Record<string, unknown>>;
export interface Widget {
    type: "metric" | "text" | "log";
    x: number;
    y: number;
    width: number;
    height: number;
    properties: Record<string, unknown> & { metrics?: MetricRow[] };
}

/** A SEARCH expression row. */
function search(id: string, label: string, query: string, stat: string, period: number): MetricRow {
    return [{ expression: `SEARCH('${query}', '${stat}', ${period})`, id, label }];
}

/** Quotes a value for a SEARCH query (inside the expression's single quotes). */
function q(value: string): string {
    if (/['"\\]/.test(value)) throw new Error(`dashboard: ${JSON.stringify(value)} cannot be quoted in a SEARCH expression`);
    return `"${value}"`;
}

/** A metric widget (or, with `log`, a Logs Insights table) before it is placed on the grid. */
interface Panel {
    title: string;
    metrics: MetricRow[];
    /** A Logs Insights widget instead: the query and the log groups it reads. */
    log?: { query: string; logGroups: string[] };
    /** The widget's own time range (`-P84D`), for weekly figures on a dashboard that opens on a day. */
    start?: string;
    stat?: string;
    period?: number;
    stacked?: boolean;
    annotations?: object;
}

/** The dashboard's widgets, laid out two per row under a full-width heading. */
export function dashboardWidgets(spec: DashboardSpec): Widget[] {
    const panels: Panel[] = [
        ...executionPanels(spec),
        batchJobsPanel(spec),
        ...(spec.pipelineNamespace ? jobsByEngineerAndFlowPanels(spec.pipelineNamespace) : []),
        ec2VcpuPanel(),
        ...servicePanels(spec.service),
        ...(spec.database ? databasePanels(spec.database) : []),
        ...(spec.monthlyBudgetUsd !== undefined ? [spendPanel(spec.monthlyBudgetUsd)] : []),
        ...(spec.servingEndpoints?.length ? [servingPanel(spec.servingEndpoints)] : []),
        ...(spec.pipelineNamespace && spec.delivery ? deliveryPanels(spec.pipelineNamespace, spec.delivery) : []),
    ];
    return [headingWidget(spec.title), ...panels.map((p, i) => placedPanel(p, i, spec.region))];
}

/** Executions started and succeeded, then failed, timed out or aborted, of this stack's state machines (by ARN prefix). */
function executionPanels(spec: DashboardSpec): Panel[] {
    const sfnPrefix = `arn:aws:states:${spec.region}:${spec.account}:stateMachine:${spec.stateMachinePrefix}_`;
    return [
        {
            title: `Pipeline executions started and succeeded, by state machine (${spec.stateMachinePrefix}_*)`,
            metrics: EXECUTION_METRICS.started.map((m, i) => search(`s${i}`, m, `{AWS/States,StateMachineArn} MetricName=${q(m)} ${q(sfnPrefix)}`, "Sum", 300)),
        },
        {
            title: `Pipeline executions failed, timed out or aborted, by state machine (${spec.stateMachinePrefix}_*)`,
            metrics: EXECUTION_METRICS.failed.map((m, i) => search(`f${i}`, m, `{AWS/States,StateMachineArn} MetricName=${q(m)} ${q(sfnPrefix)}`, "Sum", 300)),
        },
    ];
}

/** Batch jobs entering each state, per queue of this stack, stacked. */
function batchJobsPanel(spec: DashboardSpec): Panel {
    return {
        title: "Batch jobs by queue and state (jobs entering each state; RUNNABLE without STARTING is the backlog)",
        metrics: spec.queues.map((queue, i) => search(`b${i}`, queue.id, `{AWS/Batch,JobQueueName} JobQueueName=${q(queue.name)}`, "Sum", 300)),
        stacked: true,
    };
}

/** Daily job counts per engineer and per flow, from the pipeline event log's metrics in `namespace`. */
function jobsByEngineerAndFlowPanels(namespace: string): Panel[] {
    return [
        {
            title: "Batch jobs per engineer and day: started (RUNNING), SUCCEEDED, FAILED (SFN: deployed flows; from the job name)",
            metrics: [search("e0", "jobs", `{${namespace},Engineer,Status} MetricName="JobsByEngineer"`, "Sum", 86400)],
        },
        {
            title: "Batch jobs per flow and day: started (RUNNING), SUCCEEDED, FAILED (local runs and deployed flows)",
            metrics: [search("g0", "jobs", `{${namespace},Flow,Status} MetricName="JobsByFlow"`, "Sum", 86400)],
        },
    ];
}

/** Twelve weeks (84 days, ISO 8601 as the dashboard's own `start`): the range of the weekly delivery graphs, whatever range the dashboard opens on. */
const WEEKLY_RANGE = "-P84D";

/**
 * The Delivery row: deployments per flow and week (the deployment log's `Deployments` metric, by state machine), lead
 * time per flow (`LeadTimeSeconds`, which CI records, p50 and maximum), and, as Logs Insights tables of the saved
 * queries, change failures and time to restore per flow and the vCPU- and GPU-hours per flow and per engineer
 * (docs/operations.md defines each figure and what it misses).
 */
function deliveryPanels(pipelineNs: string, d: NonNullable<DashboardSpec["delivery"]>): Panel[] {
    const deployments = PIPELINE_METRIC_FILTERS.find((f) => f.metricName === "Deployments")!;
    const saved = (title: string, query: string): Panel => ({ title, metrics: [], log: { query: DELIVERY_QUERIES[query], logGroups: QUERY_LOGS[query].map((l) => d.logs[l]) } });
    const week = 7 * 86400;
    return [
        {
            title: "Delivery: deployments per flow and week (CreateStateMachine and UpdateStateMachine via CloudTrail, by state machine)",
            metrics: [search("d0", "deployments", `{${pipelineNs},${Object.keys(deployments.dimensions).join(",")}} MetricName="${deployments.metricName}"`, "Sum", week)],
            start: WEEKLY_RANGE,
        },
        {
            title: "Delivery: lead time per flow and week, p50 and maximum (seconds from commit to deployment, recorded by CI)",
            metrics: (["p50", "Maximum"] as const).map((stat, i) => search(`l${i}`, stat, `{${d.deliveryNamespace},Flow} MetricName="${DELIVERY_METRICS.leadTime}"`, stat, week)),
            start: WEEKLY_RANGE,
        },
        saved("Delivery: deployments and run outcomes per flow and week (change failure rate; exact figure in the weekly report)", "change-failure-rate-per-flow"),
        saved("Delivery: earliest failed and latest successful run end per flow and week (time to restore, upper bound)", "time-to-restore-per-flow"),
        saved("Cost: vCPU-hours and GPU-hours per flow and week (x the price table in the weekly report)", "cost-per-flow-weekly"),
        saved("Cost: vCPU-hours and GPU-hours per engineer and week", "cost-per-engineer-weekly"),
    ];
}

/** Running EC2 vCPUs of the account, on-demand and spot, stacked: the Batch instances' footprint. */
function ec2VcpuPanel(): Panel {
    return {
        title: "Running EC2 vCPUs, on-demand and spot by instance class (account-wide: Batch instances of every stack)",
        metrics: [search("u0", "vCPUs", `{AWS/Usage,Class,Resource,Service,Type} Service="EC2" Resource="vCPU" Type="Resource"`, "Maximum", 300)],
        stacked: true,
    };
}

/** The metadata service: requests and 5XX, response time percentiles, tasks' health, CPU and memory. */
function servicePanels(s: DashboardSpec["service"]): Panel[] {
    const lb = ["LoadBalancer", s.loadBalancer];
    const tg = ["LoadBalancer", s.loadBalancer, "TargetGroup", s.targetGroup];
    const ecs = ["ClusterName", s.cluster, "ServiceName", s.service];
    return [
        {
            title: "Metadata service: requests and 5XX responses",
            metrics: [
                ["AWS/ApplicationELB", "RequestCount", ...lb, { label: "requests" }],
                ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", ...tg, { label: "5XX from the tasks" }],
                ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", ...lb, { label: "5XX from the load balancer" }],
            ],
            stat: "Sum",
        },
        {
            title: "Metadata service: response time (seconds)",
            metrics: ["p50", "p90", "p99"].map((p) => ["AWS/ApplicationELB", "TargetResponseTime", ...tg, { stat: p, label: p }]),
        },
        {
            title: "Metadata service: healthy and unhealthy tasks, CPU and memory (%)",
            metrics: [
                ["AWS/ApplicationELB", "HealthyHostCount", ...tg, { stat: "Minimum", label: "healthy tasks" }],
                ["AWS/ApplicationELB", "UnHealthyHostCount", ...tg, { stat: "Maximum", label: "unhealthy tasks" }],
                ["AWS/ECS", "CPUUtilization", ...ecs, { stat: "Average", label: "CPU %", yAxis: "right" }],
                ["AWS/ECS", "MemoryUtilization", ...ecs, { stat: "Average", label: "memory %", yAxis: "right" }],
            ],
        },
    ];
}

/** The dedicated database: CPU and connections, and free storage against the alarm's threshold. */
function databasePanels(d: NonNullable<DashboardSpec["database"]>): Panel[] {
    const db = ["DBInstanceIdentifier", d.identifier];
    return [
        {
            title: "Metadata database: CPU (%) and connections",
            metrics: [
                ["AWS/RDS", "CPUUtilization", ...db, { stat: "Average", label: "CPU %" }],
                ["AWS/RDS", "DatabaseConnections", ...db, { stat: "Maximum", label: "connections", yAxis: "right" }],
            ],
        },
        {
            title: "Metadata database: free storage (bytes)",
            metrics: [["AWS/RDS", "FreeStorageSpace", ...db, { stat: "Minimum", label: "free storage" }]],
            annotations: { horizontal: [{ label: "alarm threshold", value: d.freeStorageThresholdBytes }] },
        },
    ];
}

/** The account's estimated charges this month, with the stack's budget as a line. */
function spendPanel(monthlyBudgetUsd: number): Panel {
    return {
        title: `Spend this month (account-wide estimate, USD) against this stack's budget of $${monthlyBudgetUsd}`,
        // Billing metrics exist in us-east-1 only, whatever the stack's region.
        metrics: [["AWS/Billing", "EstimatedCharges", "Currency", "USD", { stat: "Maximum", label: "estimated charges", region: "us-east-1" }]],
        period: 21600,
        annotations: { horizontal: [{ label: "monthly budget (AWS Budgets tracks the stack's tagged cost)", value: monthlyBudgetUsd }] },
    };
}

/**
 * Served models: per endpoint (variant AllTraffic), invocations, 4XX and 5XX errors (left axis), model latency p90 in
 * microseconds (right axis). AWS/SageMaker, dimensions EndpointName and VariantName ("SageMaker AI endpoint invocation
 * metrics"). A serverless endpoint without traffic publishes nothing: gaps are idle, not failure.
 */
function servingPanel(endpoints: string[]): Panel {
    const variant = SERVING_VARIANT;
    return {
        title: "Model serving: invocations, 4XX/5XX errors, model latency p90 (microseconds, right) per endpoint",
        metrics: endpoints.flatMap((e) => {
            const dims = ["EndpointName", e, "VariantName", variant];
            return [
                ["AWS/SageMaker", "Invocations", ...dims, { stat: "Sum", label: `${e} invocations` }],
                ["AWS/SageMaker", "Invocation4XXErrors", ...dims, { stat: "Sum", label: `${e} 4XX` }],
                ["AWS/SageMaker", "Invocation5XXErrors", ...dims, { stat: "Sum", label: `${e} 5XX` }],
                ["AWS/SageMaker", "ModelLatency", ...dims, { stat: "p90", label: `${e} model latency p90`, yAxis: "right" }],
            ];
        }),
    };
}

/** The full-width heading: the stack's title, and a warning that console edits do not last. */
function headingWidget(title: string): Widget {
    return {
        type: "text",
        x: 0,
        y: 0,
        width: GRID,
        height: 2,
        properties: {
            markdown: `# ${title}\nManaged by Pulumi (components/monitoring/dashboard.ts): edits in the console are overwritten by the next \`pulumi up\`. What each graph means: docs/operations.md.`,
        },
    };
}

/**
 * A Logs Insights widget's `query`: one `SOURCE '<log group>'` per group, then the query, joined by ` | ` (the form
 * aws-cdk-lib's LogQueryWidget writes, aws-cloudwatch/lib/log-query.ts, with `view: "table"`).
 */
export function logWidgetQuery(logGroups: string[], query: string): string {
    for (const g of logGroups) if (g.includes("'")) throw new Error(`dashboard: log group ${JSON.stringify(g)} cannot be quoted in a SOURCE clause`);
    return [...logGroups.map((g) => `SOURCE '${g}'`), query].join(" | ");
}

/** The `i`th panel as a time-series widget (or a Logs Insights table), two per row of height 6 under the heading. */
function placedPanel(p: Panel, i: number, region: string): Widget {
    const cell = { x: (i % 2) * (GRID / 2), y: 2 + Math.floor(i / 2) * 6, width: GRID / 2, height: 6 };
    if (p.log) return { type: "log", ...cell, properties: { title: p.title, region, view: "table", query: logWidgetQuery(p.log.logGroups, p.log.query) } };
    return {
        type: "metric",
        ...cell,
        properties: {
            title: p.title,
            view: "timeSeries",
            region,
            stacked: p.stacked ?? false,
            period: p.period ?? 300,
            ...(p.stat ? { stat: p.stat } : {}),
            metrics: p.metrics,
            ...(p.annotations ? { annotations: p.annotations } : {}),
            ...(p.start ? { start: p.start } : {}),
        },
    };
}

/** The dashboard body, as PutDashboard takes it. */
export function dashboardBody(spec: DashboardSpec): string {
    return JSON.stringify({ start: "-PT24H", periodOverride: "auto", widgets: dashboardWidgets(spec) });
}
