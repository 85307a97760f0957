/**
 * The platform's alarms and cost guard: CloudWatch alarms on the metadata service (load balancer, target group, ECS
 * service) and its dedicated database, EventBridge rules that report failed Step Functions executions and Batch jobs
 * of this stack, and an AWS Budget on the stack's cost-allocation tag. Everything goes to one SNS topic: the
 * foundation's, or one the component creates, encrypted with the platform key.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { eventDeadLetter, failedInvocationsAlarm } from "../event-dead-letter";
import { regionalArns } from "../iam";
import { NAME_LIMITS, physicalName } from "../naming";
import { ALARM_PUBLISHERS } from "../platform-key";
import { SERVING_VARIANT } from "../serving/rules";
import { anomalyImpactThresholdUsd, connectionsThreshold, emailProblem, FAILED_EXECUTION_STATES, freeStorageThresholdBytes, MODEL_METRICS, ModelMonitoringSettings, modelMonitoringProblems, SERVING_THRESHOLDS, tagCostFilterValue, THRESHOLDS } from "./rules";

export * from "./rules";

/** Arguments of {@link Monitoring}. */
export interface MonitoringArgs {
    /** Short prefix of physical names (topic, rules, alarms, budget). */
    namePrefix: string;
    region: string;
    /**
     * An existing SNS topic for every alarm and notification (the foundation's `alarmTopicArn`). It must let
     * `cloudwatch.amazonaws.com`, `events.amazonaws.com` and `budgets.amazonaws.com` of this account publish (and, if
     * it is KMS-encrypted, its key must let them use it): see docs/contracts.md. Absent: the component creates a topic.
     */
    alarmTopicArn?: pulumi.Input<string>;
    /**
     * The platform key: encrypts the component's own topic. Required without `alarmTopicArn`; its key policy must
     * allow the alarm publishers (`PlatformKey` with `alarmPublishers: true`).
     */
    kmsKeyArn?: pulumi.Input<string>;
    /** Subscribes this address to the topic in use (SNS sends a confirmation mail first). */
    alarmEmail?: string;
    /** The metadata service, as CloudWatch dimensions. */
    service: {
        /** `app/<name>/<id>` of the load balancer (`MetaflowService.loadBalancerArnSuffix`). */
        loadBalancerArnSuffix: pulumi.Input<string>;
        /** `targetgroup/<name>/<id>` of the service's target group. */
        targetGroupArnSuffix: pulumi.Input<string>;
        clusterName: pulumi.Input<string>;
        serviceName: pulumi.Input<string>;
    };
    /** The dedicated RDS instance, when the platform owns one (none for the foundation's database). */
    database?: {
        identifier: pulumi.Input<string>;
        /** Allocated storage, GB: the free-storage threshold is a share of it. */
        allocatedStorageGb: number;
        /** Instance class: the connections alarm exists only for a class whose memory is known. */
        instanceClass: string;
    };
    /** Step Functions state machines named `<stateMachinePrefix>_*` are this stack's. */
    stateMachinePrefix: string;
    /** The platform's Batch job queues: their failed jobs are reported. */
    jobQueueArns: pulumi.Input<string>[];
    /** An AWS Budget on the costs tagged `<tagKey>=<tagValue>` (a cost allocation tag, activated in Billing). */
    budget?: { monthlyUsd: number; tagKey: string; tagValue: string };
    /**
     * EventBridge rules of other components whose targets have a dead-letter queue (pipeline triggers), by name: each
     * gets an alarm on its FailedInvocations.
     */
    eventRules?: Record<string, pulumi.Input<string>>;
    /**
     * Alarms on the model metrics the model-monitoring template publishes (`DriftPSI`, `DriftKS`, `Accuracy` in
     * this namespace, without dimensions), with the thresholds the flows read from Parameter Store.
     */
    models?: ModelMonitoringSettings;
    /**
     * Served models' endpoints, by model: endpoint names (`<namePrefix>-<model>`, components/serving `endpointName`),
     * variant `AllTraffic`. Flows create the endpoints; each gets a 5XX alarm and a model-latency alarm.
     */
    servingEndpoints?: Record<string, string>;
}

export function validateMonitoringArgs(args: MonitoringArgs): string[] {
    const problems: string[] = [];
    if (args.alarmTopicArn === undefined && args.kmsKeyArn === undefined) problems.push("kmsKeyArn is required when no alarmTopicArn is given: the component's own topic is encrypted with it");
    if (args.alarmEmail !== undefined) {
        const p = emailProblem(args.alarmEmail);
        if (p) problems.push(`alarmEmail ${JSON.stringify(args.alarmEmail)}: ${p}`);
    }
    if (args.database && (!Number.isInteger(args.database.allocatedStorageGb) || args.database.allocatedStorageGb < 1)) {
        problems.push(`database.allocatedStorageGb ${args.database.allocatedStorageGb} must be a positive integer`);
    }
    if (args.budget && !(args.budget.monthlyUsd > 0)) problems.push(`budget.monthlyUsd ${args.budget.monthlyUsd} must be more than 0`);
    if (args.models) for (const p of modelMonitoringProblems(args.models)) problems.push(`models${p.field ? `.${p.field}` : ""} ${JSON.stringify(p.field ? (args.models as any)[p.field] : args.models)}: ${p.message}`);
    if (!args.stateMachinePrefix) problems.push("stateMachinePrefix must not be empty: the failure rule would match every state machine of the account");
    return problems;
}

/** One metric alarm, as the component declares it (the shared settings are added when it is created). */
interface AlarmSpec {
    role: string;
    description: string;
    namespace: string;
    metricName: string;
    dimensions: Record<string, pulumi.Input<string>>;
    /** A statistic, or a percentile (`p90`), which the alarm sets as its extended statistic. */
    statistic: "Average" | "Sum" | "Minimum" | "Maximum" | `p${number}`;
    comparisonOperator: "GreaterThanThreshold" | "LessThanThreshold";
    threshold: number;
    period: number;
    evaluationPeriods: number;
    /** Missing data is chosen per alarm: see each alarm's comment. */
    treatMissingData: "notBreaching" | "breaching" | "missing";
}

/** What every step of the component shares: its name, the physical-name prefix, the parent, the account, the topic. */
interface MonitoringContext {
    name: string;
    namePrefix: string;
    parent: { parent: pulumi.Resource };
    account: pulumi.Output<string>;
    /** The topic every alarm and notification goes to. */
    topicArn: pulumi.Output<string>;
}

/** An EventRule that reports failures of this stack, and the transformer that turns its events into a message. */
interface FailureRuleSpec {
    role: string;
    description: string;
    pattern: object;
    transformer: { inputPaths: Record<string, string>; inputTemplate: string };
}

/** The component's own topic, encrypted with the platform key, when the foundation's is not given. */
function ownTopic(name: string, args: MonitoringArgs, parent: { parent: pulumi.Resource }): aws.sns.Topic | undefined {
    // The topic: the foundation's, or an encrypted one of this stack.
    const p = args.namePrefix;
    return args.alarmTopicArn === undefined
        ? new aws.sns.Topic(`${name}-topic`, { name: physicalName(p, "alarms", 256), displayName: `Metaflow ${p} alarms`, kmsMasterKeyId: args.kmsKeyArn }, parent)
        : undefined;
}

/** The failures worth a message: this stack's failed, timed-out or aborted executions, and failed jobs of its queues. */
function failureRuleSpecs(args: MonitoringArgs, account: pulumi.Output<string>): FailureRuleSpec[] {
    const arn = regionalArns(args.region, account);
    return [
        {
            role: "sfn-failures",
            description: `Step Functions executions of ${args.stateMachinePrefix}_* state machines that failed, timed out or were aborted`,
            pattern: {
                source: ["aws.states"],
                "detail-type": ["Step Functions Execution Status Change"],
                detail: {
                    status: [...FAILED_EXECUTION_STATES],
                    stateMachineArn: [{ prefix: arn("states", `stateMachine:${args.stateMachinePrefix}_`) }],
                },
            },
            transformer: {
                inputPaths: { stateMachine: "$.detail.stateMachineArn", execution: "$.detail.name", status: "$.detail.status", executionArn: "$.detail.executionArn" },
                inputTemplate: '"Metaflow: Step Functions execution <execution> of <stateMachine> ended <status> (<executionArn>)."',
            },
        },
        {
            role: "batch-failures",
            description: "Batch jobs of the platform's job queues that failed",
            pattern: {
                source: ["aws.batch"],
                "detail-type": ["Batch Job State Change"],
                detail: { status: ["FAILED"], jobQueue: args.jobQueueArns },
            },
            transformer: {
                inputPaths: { job: "$.detail.jobName", jobId: "$.detail.jobId", queue: "$.detail.jobQueue", reason: "$.detail.statusReason" },
                inputTemplate: '"Metaflow: Batch job <job> (<jobId>) on <queue> failed: <reason>."',
            },
        },
    ];
}

/**
 * Failed executions and jobs: EventBridge rules on the service events, straight to the topic (no Lambda), each with a
 * dead-letter queue and its alarm. Returns the rules, which the component's topic policy admits by ARN.
 */
function reportFailures(ctx: MonitoringContext, specs: FailureRuleSpec[]): aws.cloudwatch.EventRule[] {
    const { name, namePrefix: p, parent, account, topicArn } = ctx;
    return specs.map((r) => {
        // Hyphenated names: engineers may manage only `<stateMachinePrefix>_*` rules (their @schedule rules).
        const rule = new aws.cloudwatch.EventRule(`${name}-${r.role}`, { name: physicalName(p, r.role, NAME_LIMITS.eventRule), description: r.description, eventPattern: pulumi.jsonStringify(r.pattern) }, parent);
        const dead = eventDeadLetter(`${name}-${r.role}`, { namePrefix: p, role: r.role, ruleArn: rule.arn, ruleName: rule.name, alarmTopicArn: topicArn, account }, parent);
        new aws.cloudwatch.EventTarget(`${name}-${r.role}`, { rule: rule.name, arn: topicArn, inputTransformer: r.transformer, deadLetterConfig: dead.deadLetterConfig }, parent);
        return rule;
    });
}

/** An alarm on the FailedInvocations of each other component's rule (pipeline triggers): their events must not vanish. */
function alarmFailedInvocations(ctx: MonitoringContext, eventRules: Record<string, pulumi.Input<string>>): void {
    for (const [role, ruleName] of Object.entries(eventRules)) {
        failedInvocationsAlarm(`${ctx.name}-${role}`, { namePrefix: ctx.namePrefix, role, ruleName, alarmTopicArn: ctx.topicArn }, ctx.parent);
    }
}

/** The own topic's policy: the account manages it through IAM; only this account's alarms, budgets and rules publish. */
function ownTopicPolicy(ctx: MonitoringContext, topic: aws.sns.Topic, eventRules: aws.cloudwatch.EventRule[]): aws.sns.TopicPolicy {
    const { account } = ctx;
    return new aws.sns.TopicPolicy(
        `${ctx.name}-topic-policy`,
        {
            arn: topic.arn,
            policy: pulumi.jsonStringify({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "AccountManagesThroughIam",
                        Effect: "Allow",
                        Principal: { AWS: pulumi.interpolate`arn:aws:iam::${account}:root` },
                        Action: ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:Subscribe", "sns:Publish"],
                        Resource: topic.arn,
                    },
                    {
                        // aws:SourceAccount for Cost Anomaly Detection: https://docs.aws.amazon.com/cost-management/latest/userguide/ad-SNS.html
                        Sid: "AlarmsAndBudgetsOfThisAccount",
                        Effect: "Allow",
                        Principal: { Service: ALARM_PUBLISHERS.filter((s) => s !== "events.amazonaws.com") },
                        Action: "sns:Publish",
                        Resource: topic.arn,
                        Condition: { StringEquals: { "aws:SourceAccount": account } },
                    },
                    {
                        Sid: "PlatformEventRules",
                        Effect: "Allow",
                        Principal: { Service: "events.amazonaws.com" },
                        Action: "sns:Publish",
                        Resource: topic.arn,
                        Condition: { StringEquals: { "aws:SourceAccount": account }, ArnEquals: { "aws:SourceArn": eventRules.map((r) => r.arn) } },
                    },
                ],
            }),
        },
        ctx.parent,
    );
}

/** The metadata service's alarms: unhealthy or missing tasks, 5XX responses, CPU and memory. */
function serviceAlarms(s: MonitoringArgs["service"]): AlarmSpec[] {
    const lb = { LoadBalancer: s.loadBalancerArnSuffix };
    const tg = { LoadBalancer: s.loadBalancerArnSuffix, TargetGroup: s.targetGroupArnSuffix };
    const ecs = { ClusterName: s.clusterName, ServiceName: s.serviceName };
    return [
        // The target group reports its host counts every minute while the load balancer exists: no data means
        // something is wrong with the load balancer itself, hence "breaching" for the healthy count.
        { role: "service-unhealthy-hosts", description: "Metadata service: a task has failed its /ping health check for 5 minutes", namespace: "AWS/ApplicationELB", metricName: "UnHealthyHostCount", dimensions: tg, statistic: "Maximum", comparisonOperator: "GreaterThanThreshold", threshold: 0, period: 60, evaluationPeriods: 5, treatMissingData: "notBreaching" },
        { role: "service-no-healthy-host", description: "Metadata service: no healthy task behind the load balancer for 3 minutes (Metaflow runs cannot record metadata)", namespace: "AWS/ApplicationELB", metricName: "HealthyHostCount", dimensions: tg, statistic: "Minimum", comparisonOperator: "LessThanThreshold", threshold: 1, period: 60, evaluationPeriods: 3, treatMissingData: "breaching" },
        // The load balancer publishes 5XX counts only when there are some: no data is no error.
        { role: "alb-5xx", description: `Metadata service load balancer: more than ${THRESHOLDS.http5xxPer5Minutes} 5XX responses of its own (no target, timeouts) per 5 minutes, twice in a row`, namespace: "AWS/ApplicationELB", metricName: "HTTPCode_ELB_5XX_Count", dimensions: lb, statistic: "Sum", comparisonOperator: "GreaterThanThreshold", threshold: THRESHOLDS.http5xxPer5Minutes, period: 300, evaluationPeriods: 2, treatMissingData: "notBreaching" },
        { role: "service-5xx", description: `Metadata service: more than ${THRESHOLDS.http5xxPer5Minutes} 5XX responses from the tasks (database errors, crashes) per 5 minutes, twice in a row`, namespace: "AWS/ApplicationELB", metricName: "HTTPCode_Target_5XX_Count", dimensions: tg, statistic: "Sum", comparisonOperator: "GreaterThanThreshold", threshold: THRESHOLDS.http5xxPer5Minutes, period: 300, evaluationPeriods: 2, treatMissingData: "notBreaching" },
        // Utilisation: no data means no running task, which the healthy-host alarm reports; not high load.
        { role: "service-cpu", description: `Metadata service: average CPU above ${THRESHOLDS.serviceUtilisationPercent}% for 15 minutes (autoscaling at its maximum, or tasks too small)`, namespace: "AWS/ECS", metricName: "CPUUtilization", dimensions: ecs, statistic: "Average", comparisonOperator: "GreaterThanThreshold", threshold: THRESHOLDS.serviceUtilisationPercent, period: 300, evaluationPeriods: 3, treatMissingData: "notBreaching" },
        { role: "service-memory", description: `Metadata service: average memory above ${THRESHOLDS.serviceUtilisationPercent}% for 15 minutes (tasks close to being killed for memory)`, namespace: "AWS/ECS", metricName: "MemoryUtilization", dimensions: ecs, statistic: "Average", comparisonOperator: "GreaterThanThreshold", threshold: THRESHOLDS.serviceUtilisationPercent, period: 300, evaluationPeriods: 3, treatMissingData: "notBreaching" },
    ];
}

/** The dedicated database's alarms: CPU, free storage, and connections when the class's max_connections is known. */
function databaseAlarms(d: NonNullable<MonitoringArgs["database"]>): AlarmSpec[] {
    const db = { DBInstanceIdentifier: d.identifier };
    // RDS publishes every minute while the instance runs; missing data (a stopped or rebooting instance) is
    // not high CPU or low storage, and the service's 5XX alarm reports an unreachable database.
    const alarms: AlarmSpec[] = [
        { role: "db-cpu", description: `Metadata database: average CPU above ${THRESHOLDS.databaseCpuPercent}% for 15 minutes (instance class too small, or runaway queries)`, namespace: "AWS/RDS", metricName: "CPUUtilization", dimensions: db, statistic: "Average", comparisonOperator: "GreaterThanThreshold", threshold: THRESHOLDS.databaseCpuPercent, period: 300, evaluationPeriods: 3, treatMissingData: "notBreaching" },
        { role: "db-free-storage", description: `Metadata database: free storage under ${THRESHOLDS.databaseFreeStorageShare * 100}% of the ${d.allocatedStorageGb} GB allocated for 15 minutes (storage autoscaling at its ceiling, or not keeping up)`, namespace: "AWS/RDS", metricName: "FreeStorageSpace", dimensions: db, statistic: "Minimum", comparisonOperator: "LessThanThreshold", threshold: freeStorageThresholdBytes(d.allocatedStorageGb), period: 300, evaluationPeriods: 3, treatMissingData: "notBreaching" },
    ];
    const connections = connectionsThreshold(d.instanceClass);
    if (connections !== undefined) {
        alarms.push({ role: "db-connections", description: `Metadata database: more than ${connections} connections (80% of ${d.instanceClass}'s default max_connections) for 10 minutes`, namespace: "AWS/RDS", metricName: "DatabaseConnections", dimensions: db, statistic: "Maximum", comparisonOperator: "GreaterThanThreshold", threshold: connections, period: 300, evaluationPeriods: 2, treatMissingData: "notBreaching" });
    }
    return alarms;
}

/** The model metrics' alarms: drift (PSI, KS) above, and accuracy below, the thresholds the flows also read. */
function modelAlarms(m: ModelMonitoringSettings): AlarmSpec[] {
    // The monitoring flow publishes once per run (daily, or after each batch of labels); an hour without data
    // is the normal state, not a failure: "notBreaching", and the alarm returns to OK an hour after firing.
    return [
        { role: "model-drift-psi", description: `Model drift: a model's largest population stability index over its features above ${m.psiThreshold} (${m.namespace} ${MODEL_METRICS.psi}; the monitoring flow failed too)`, namespace: m.namespace, metricName: MODEL_METRICS.psi, dimensions: {}, statistic: "Maximum", comparisonOperator: "GreaterThanThreshold", threshold: m.psiThreshold, period: 3600, evaluationPeriods: 1, treatMissingData: "notBreaching" },
        { role: "model-drift-ks", description: `Model drift: a model's largest Kolmogorov-Smirnov statistic over its features above ${m.ksThreshold} (${m.namespace} ${MODEL_METRICS.ks})`, namespace: m.namespace, metricName: MODEL_METRICS.ks, dimensions: {}, statistic: "Maximum", comparisonOperator: "GreaterThanThreshold", threshold: m.ksThreshold, period: 3600, evaluationPeriods: 1, treatMissingData: "notBreaching" },
        { role: "model-accuracy", description: `Model accuracy on recent labelled data below ${m.minAccuracy} (${m.namespace} ${MODEL_METRICS.accuracy})`, namespace: m.namespace, metricName: MODEL_METRICS.accuracy, dimensions: {}, statistic: "Minimum", comparisonOperator: "LessThanThreshold", threshold: m.minAccuracy, period: 3600, evaluationPeriods: 1, treatMissingData: "notBreaching" },
    ];
}

/**
 * A served model's alarms (AWS/SageMaker, dimensions EndpointName and VariantName): any 5XX response, and model latency
 * p90 above the threshold for 15 minutes. ModelLatency is in microseconds (AWS, "SageMaker AI endpoint invocation
 * metrics": https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html#cloudwatch-metrics-endpoint-invocation;
 * the unit row itself was not retrievable here, while Inference Recommender's own ModelLatency result is in
 * milliseconds, a different figure: confirm on the page before changing the threshold).
 * A serverless endpoint sends nothing without traffic ("Alarms and logs for tracking metrics from serverless
 * endpoints": https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-monitoring.html lists the metrics
 * it publishes), so missing data is "notBreaching". Cold starts count in OverheadLatency, not ModelLatency (same page),
 * so the latency alarm measures the model itself.
 */
function servingAlarms(endpoints: Record<string, string>): AlarmSpec[] {
    const t = SERVING_THRESHOLDS;
    return Object.entries(endpoints).flatMap(([model, endpoint]) => {
        const dimensions = { EndpointName: endpoint, VariantName: SERVING_VARIANT };
        return [
            { role: `serving-${model}-5xx`, description: `Model ${model}: endpoint ${endpoint} answered with a 5XX error (the model's container failed) within 5 minutes`, namespace: "AWS/SageMaker", metricName: "Invocation5XXErrors", dimensions, statistic: "Sum", comparisonOperator: "GreaterThanThreshold", threshold: 0, period: 300, evaluationPeriods: 1, treatMissingData: "notBreaching" },
            { role: `serving-${model}-latency`, description: `Model ${model}: endpoint ${endpoint}'s model latency p90 above ${t.modelLatencyP90Ms} ms for 15 minutes`, namespace: "AWS/SageMaker", metricName: "ModelLatency", dimensions, statistic: "p90", comparisonOperator: "GreaterThanThreshold", threshold: t.modelLatencyP90Ms * 1000, period: 300, evaluationPeriods: 3, treatMissingData: "notBreaching" },
        ] satisfies AlarmSpec[];
    });
}

/** Creates the metric alarms, each notifying the topic when it fires and when it recovers; returns their names by role. */
function createAlarms(ctx: MonitoringContext, alarms: AlarmSpec[]): Record<string, pulumi.Output<string>> {
    const names: Record<string, pulumi.Output<string>> = {};
    for (const a of alarms) {
        const alarm = new aws.cloudwatch.MetricAlarm(
            `${ctx.name}-${a.role}`,
            {
                name: physicalName(ctx.namePrefix, a.role, 255),
                alarmDescription: a.description,
                namespace: a.namespace,
                metricName: a.metricName,
                dimensions: Object.keys(a.dimensions).length ? a.dimensions : undefined,
                ...(a.statistic.startsWith("p") ? { extendedStatistic: a.statistic } : { statistic: a.statistic }),
                comparisonOperator: a.comparisonOperator,
                threshold: a.threshold,
                period: a.period,
                evaluationPeriods: a.evaluationPeriods,
                datapointsToAlarm: a.evaluationPeriods,
                treatMissingData: a.treatMissingData,
                actionsEnabled: true,
                alarmActions: [ctx.topicArn],
                okActions: [ctx.topicArn],
            },
            ctx.parent,
        );
        names[a.role] = alarm.name;
    }
    return names;
}

/** The budget: the stack's tagged costs, forecast and actual, to the same topic. */
/** The stack's monthly budget's name (the platform report reads it: setting `budget-name`, the job role's ViewBudget). */
export function budgetName(namePrefix: string): string {
    return physicalName(namePrefix, "monthly", 100);
}

function createBudget(ctx: MonitoringContext, b: NonNullable<MonitoringArgs["budget"]>): aws.budgets.Budget {
    return new aws.budgets.Budget(
        `${ctx.name}-budget`,
        {
            name: budgetName(ctx.namePrefix),
            budgetType: "COST",
            timeUnit: "MONTHLY",
            limitAmount: String(b.monthlyUsd),
            limitUnit: "USD",
            costFilters: [{ name: "TagKeyValue", values: [tagCostFilterValue(b.tagKey, b.tagValue)] }],
            notifications: [
                { notificationType: "FORECASTED", comparisonOperator: "GREATER_THAN", threshold: THRESHOLDS.budgetForecastPercent, thresholdType: "PERCENTAGE", subscriberSnsTopicArns: [ctx.topicArn] },
                { notificationType: "ACTUAL", comparisonOperator: "GREATER_THAN", threshold: THRESHOLDS.budgetActualPercent, thresholdType: "PERCENTAGE", subscriberSnsTopicArns: [ctx.topicArn] },
            ],
        },
        ctx.parent,
    );
}

/** Cost Anomaly Detection on the budget's tag, reporting to the topic once the own topic's policy admits it. */
function watchCostAnomalies(ctx: MonitoringContext, b: NonNullable<MonitoringArgs["budget"]>, topicPolicy: aws.sns.TopicPolicy | undefined): void {
    // Cost Anomaly Detection on the same tag: a sudden rise (a runaway queue, instances that do not scale in) is
    // reported within hours, where the budget notices at the end of the forecast. SNS subscribers need IMMEDIATE.
    const monitor = new aws.costexplorer.AnomalyMonitor(
        `${ctx.name}-anomalies`,
        { name: physicalName(ctx.namePrefix, "cost-anomalies", 1024), monitorType: "CUSTOM", monitorSpecification: JSON.stringify({ Tags: { Key: b.tagKey, Values: [b.tagValue], MatchOptions: ["EQUALS"] } }) },
        ctx.parent,
    );
    new aws.costexplorer.AnomalySubscription(
        `${ctx.name}-anomalies`,
        {
            name: physicalName(ctx.namePrefix, "cost-anomalies", 1024),
            frequency: "IMMEDIATE",
            monitorArnLists: [monitor.arn],
            subscribers: [{ type: "SNS", address: ctx.topicArn }],
            thresholdExpression: { dimension: { key: "ANOMALY_TOTAL_IMPACT_ABSOLUTE", matchOptions: ["GREATER_THAN_OR_EQUAL"], values: [String(anomalyImpactThresholdUsd(b.monthlyUsd))] } },
        },
        // The topic policy must admit Cost Anomaly Detection before it checks the subscriber.
        { ...ctx.parent, dependsOn: topicPolicy ? [topicPolicy] : [] },
    );
}

/**
 * Alarms, failure notifications and the budget of one stack. Every alarm has its actions enabled and notifies the
 * topic when it fires and when it recovers.
 */
export class Monitoring extends pulumi.ComponentResource {
    /** The topic every alarm and notification goes to. */
    public readonly topicArn: pulumi.Output<string>;
    /** Names of the metric alarms, by role (`service-unhealthy-hosts`, ...). */
    public readonly alarmNames: pulumi.Output<Record<string, string>>;
    /** The budget's name, when there is one. */
    public readonly budgetName?: pulumi.Output<string>;

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:observability:Monitoring", name, {}, opts);
        const problems = validateMonitoringArgs(args);
        if (problems.length) throw new Error(`Monitoring ${name}: ${problems.join("; ")}`);
        const parent = { parent: this };
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const topic = ownTopic(name, args, parent);
        const topicArn: pulumi.Output<string> = topic ? topic.arn : pulumi.output(args.alarmTopicArn!);
        const ctx: MonitoringContext = { name, namePrefix: args.namePrefix, parent, account, topicArn };

        const eventRules = reportFailures(ctx, failureRuleSpecs(args, account));
        alarmFailedInvocations(ctx, args.eventRules ?? {});
        const topicPolicy = topic ? ownTopicPolicy(ctx, topic, eventRules) : undefined;
        if (args.alarmEmail) {
            new aws.sns.TopicSubscription(`${name}-email`, { topic: topicArn, protocol: "email", endpoint: args.alarmEmail }, parent);
        }
        const alarms = [...serviceAlarms(args.service), ...(args.database ? databaseAlarms(args.database) : []), ...(args.models ? modelAlarms(args.models) : []), ...servingAlarms(args.servingEndpoints ?? {})];
        const names = createAlarms(ctx, alarms);
        const budget = args.budget ? createBudget(ctx, args.budget) : undefined;
        if (args.budget) watchCostAnomalies(ctx, args.budget, topicPolicy);

        this.topicArn = topicArn;
        this.alarmNames = pulumi.output(names);
        this.budgetName = budget?.name as pulumi.Output<string> | undefined;
        this.registerOutputs({ topicArn: this.topicArn, alarmNames: this.alarmNames, budgetName: this.budgetName });
    }
}
