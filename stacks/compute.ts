/**
 * The compute and scheduling section of the platform: the shared Batch pieces, one BatchQueue per configured queue,
 * the Step Functions scheduler (with the event-driven triggers), and the role Metaflow tasks run as.
 */
import * as pulumi from "@pulumi/pulumi";

import { SFN_MAP_OUTPUT_PREFIX } from "../components/artifact-bucket";
import { BatchCompute, BatchImages, BatchQueue, MetaflowJobRole } from "../components/batch";
import { budgetName } from "../components/monitoring";
import { pipelineLogGroupNames } from "../components/monitoring/pipeline-events-rules";
import { ModelServing, SERVING_DEFAULTS, servingCaps } from "../components/serving";
import { SfnScheduler } from "../components/sfn";
import { MetaflowConfigParts } from "./metaflow-config";
import type { PlatformContext } from "./platform";

export interface ComputeSection {
    compute: BatchCompute;
    /** The image path without Docker Hub: ECR pull-through cache of ECR Public and the platform's own repository. */
    images: BatchImages;
    queues: Record<string, BatchQueue>;
    /** ARNs of every platform queue: what the scheduler, engineers and monitoring are scoped to. */
    queueArns: pulumi.Output<string>[];
    scheduler: SfnScheduler;
    jobRole: MetaflowJobRole;
    /** Model package groups and endpoint roles of the served models, when `serving` is set. */
    serving?: ModelServing;
    /** The Metaflow configuration keys this section provides. */
    metaflow: Partial<MetaflowConfigParts>;
    /** Stack outputs of this section. */
    outputs: Record<string, unknown>;
}

/** The section's resources, which its Metaflow configuration and stack outputs name. */
type ComputeParts = Omit<ComputeSection, "metaflow" | "outputs">;

/** The shared Batch pieces, the queues, the scheduler on them and the role tasks run as; then what they provide. */
export function buildCompute(ctx: PlatformContext): ComputeSection {
    const images = buildImages(ctx);
    const compute = buildBatchCompute(ctx, images);
    const queues = buildQueues(ctx, compute);
    const queueArns = Object.values(queues).map((q) => q.queueArn);
    const scheduler = buildScheduler(ctx, queueArns);
    const serving = buildServing(ctx, images);
    const jobRole = buildJobRole(ctx, scheduler, serving);
    const parts: ComputeParts = { compute, images, queues, queueArns, scheduler, jobRole, ...(serving ? { serving } : {}) };
    const defaultQueue = queues[ctx.config.batch.defaultQueue] ?? Object.values(queues)[0];
    return { ...parts, metaflow: computeMetaflowConfig(ctx, parts, defaultQueue), outputs: computeOutputs(ctx, parts, defaultQueue) };
}

/** The image path without Docker Hub: the ECR pull-through cache of ECR Public and the platform's own repository. */
function buildImages(ctx: PlatformContext): BatchImages {
    const { config, key, opts } = ctx;
    const p = config.namePrefix;
    return new BatchImages(`${p}-images`, { namePrefix: p, region: config.region, kmsKeyArn: key.keyArn, protect: config.protect }, opts);
}

/** What every queue shares: the compute security group, the ECS instance profile, and the Fargate execution role. */
function buildBatchCompute(ctx: PlatformContext, images: BatchImages): BatchCompute {
    const { config, network, opts } = ctx;
    const p = config.namePrefix;
    const fargate = config.batch.queues.some((q) => q.platform === "fargate");
    return new BatchCompute(
        `${p}-batch`,
        {
            namePrefix: p,
            region: config.region,
            vpcId: network.vpcId,
            efsSecurityGroupId: ctx.references.foundation?.efsSecurityGroupId,
            fargate,
            pullThroughCacheRepositoryArns: [images.cacheRepositoryArns],
        },
        opts,
    );
}

/** One BatchQueue per configured queue, in the configuration's order, by queue name. */
function buildQueues(ctx: PlatformContext, compute: BatchCompute): Record<string, BatchQueue> {
    const { config, network, key, opts } = ctx;
    const p = config.namePrefix;
    const queues: Record<string, BatchQueue> = {};
    for (const q of config.batch.queues) {
        queues[q.name] = new BatchQueue(
            `${p}-queue-${q.name}`,
            {
                namePrefix: p,
                queue: q,
                subnetIds: network.privateSubnetIds,
                securityGroupId: compute.securityGroupId,
                instanceProfileArn: compute.instanceProfileArn,
                rootVolumeGiB: config.batch.rootVolumeGiB,
                rootVolumeKmsKeyArn: config.batch.rootVolumePlatformKey ? key.keyArn : undefined,
                runnableTimeLimitMinutes: config.batch.runnableTimeLimitMinutes,
            },
            opts,
        );
    }
    return queues;
}

/** The Step Functions scheduler on the platform's queues, with the event-driven triggers. */
function buildScheduler(ctx: PlatformContext, queueArns: pulumi.Output<string>[]): SfnScheduler {
    const { config, key, bucket, opts } = ctx;
    const p = config.namePrefix;
    return new SfnScheduler(
        `${p}-sfn`,
        {
            namePrefix: p,
            region: config.region,
            stateMachinePrefix: config.sfn.stateMachinePrefix,
            kmsKeyArn: key.keyArn,
            bucketArn: bucket.bucketArn,
            bucketName: bucket.bucketName,
            jobQueueArns: queueArns,
            logRetentionDays: config.logRetentionDays,
            triggers: config.sfn.triggers,
            protect: config.protect,
        },
        opts,
    );
}

/**
 * With `serving`: per model a model package group and an endpoint role reading only that model's artifacts, pulling
 * images only from the platform's repository; the approver policy on the approver roles.
 */
function buildServing(ctx: PlatformContext, images: BatchImages): ModelServing | undefined {
    const { config, key, bucket, opts } = ctx;
    if (!config.serving) return undefined;
    const p = config.namePrefix;
    return new ModelServing(
        `${p}-serving`,
        {
            namePrefix: p,
            region: config.region,
            models: config.serving.models,
            bucketArn: bucket.bucketArn,
            kmsKeyArn: key.keyArn,
            imageRepositoryArn: images.repositoryArn,
            environment: config.environment,
            approverRoleNames: config.serving.approverRoleNames,
            engineerRoleNames: config.engineerRoleNames,
            serverlessCaps: servingCaps(config.serving),
        },
        opts,
    );
}

/**
 * The role Metaflow tasks run as: the datastore, the scheduler's table, model metrics, the foundation's key, and the
 * served models' endpoint roles it may pass to SageMaker.
 */
function buildJobRole(ctx: PlatformContext, scheduler: SfnScheduler, serving: ModelServing | undefined): MetaflowJobRole {
    const { config, key, bucket, opts } = ctx;
    const p = config.namePrefix;
    const foundationKey = ctx.references.foundation?.kmsKeyArn;
    return new MetaflowJobRole(
        `${p}-job`,
        {
            namePrefix: p,
            region: config.region,
            bucketArn: bucket.bucketArn,
            kmsKeyArn: key.keyArn,
            decryptKeyArns: foundationKey ? [foundationKey] : undefined,
            dynamoTableArn: scheduler.tableArn,
            metricNamespace: config.monitoring.models.namespace,
            // The stack's serving caps, or the environment's defaults when nothing is served (flows may still deploy).
            serverlessCaps: servingCaps(config.serving ?? SERVING_DEFAULTS[config.environment]),
            ...(serving ? { endpointRoleArns: serving.endpointRoleArns } : {}),
            ...(config.monitoring.enabled ? { report: { logGroupNames: reportLogGroupNames(p), budgetName: budgetName(p), costTag: { key: "stack", value: config.tags.stack } } } : {}),
        },
        opts,
    );
}

/**
 * The log groups the weekly platform report reads (with monitoring): the pipeline event log's two, and the deployment
 * log of CloudTrail's CreateStateMachine / UpdateStateMachine events, `/aws/events/<namePrefix>-deployments` (the
 * name agreed with the delivery figures, issue 20).
 */
export function reportLogGroupNames(namePrefix: string): string[] {
    const pipelines = pipelineLogGroupNames(namePrefix);
    return [pipelines.executions, pipelines.jobs, `/aws/events/${namePrefix}-deployments`];
}

/** The Metaflow configuration keys of Batch, Step Functions and secrets that this section provides. */
function computeMetaflowConfig(ctx: PlatformContext, parts: ComputeParts, defaultQueue: BatchQueue): Partial<MetaflowConfigParts> {
    const { images, jobRole, compute, scheduler } = parts;
    return {
        BATCH_JOB_QUEUE: defaultQueue.queueArn,
        // Every image without a registry (Metaflow's default python:<version> included) comes from the ECR
        // pull-through cache of ECR Public, never from Docker Hub (batch_decorator.py:148-173).
        BATCH_CONTAINER_REGISTRY: images.defaultRegistry,
        ECS_S3_ACCESS_IAM_ROLE: jobRole.roleArn,
        ...(compute.fargateExecutionRoleArn ? { ECS_FARGATE_EXECUTION_ROLE: compute.fargateExecutionRoleArn } : {}),
        SFN_IAM_ROLE: scheduler.executionRoleArn,
        EVENTS_SFN_ACCESS_IAM_ROLE: scheduler.eventsRoleArn,
        SFN_DYNAMO_DB_TABLE: scheduler.tableName,
        SFN_STATE_MACHINE_PREFIX: scheduler.stateMachinePrefix,
        SFN_EXECUTION_LOG_GROUP_ARN: scheduler.executionLogGroupArn,
        SFN_S3_DISTRIBUTED_MAP_OUTPUT_PATH: pulumi.interpolate`s3://${ctx.bucket.bucketName}/${SFN_MAP_OUTPUT_PREFIX}`,
        DEFAULT_SECRETS_BACKEND_TYPE: "aws-secrets-manager",
        AWS_SECRETS_MANAGER_DEFAULT_REGION: ctx.config.region,
    };
}

/** The section's stack outputs: queues and roles of Batch, the scheduler's settings, the compute security group. */
function computeOutputs(ctx: PlatformContext, parts: ComputeParts, defaultQueue: BatchQueue): Record<string, unknown> {
    const { compute, images, queues, scheduler, jobRole } = parts;
    return {
        batch: {
            queueArns: pulumi.all(Object.fromEntries(Object.entries(queues).map(([n, q]) => [n, q.queueArn]))),
            queueNames: pulumi.all(Object.fromEntries(Object.entries(queues).map(([n, q]) => [n, q.queueName]))),
            computeEnvironmentArns: pulumi.all(Object.fromEntries(Object.entries(queues).map(([n, q]) => [n, q.computeEnvironmentArns]))),
            defaultQueue: ctx.config.batch.defaultQueue,
            defaultQueueArn: defaultQueue.queueArn,
            jobRoleArn: jobRole.roleArn,
            sagemakerRoleArn: jobRole.sagemakerRoleArn,
            fargateExecutionRoleArn: compute.fargateExecutionRoleArn,
            imageRegistry: images.defaultRegistry,
            imageRepositoryUrl: images.repositoryUrl,
        },
        stepFunctions: {
            executionRoleArn: scheduler.executionRoleArn,
            eventsRoleArn: scheduler.eventsRoleArn,
            dynamoDbTable: scheduler.tableName,
            executionLogGroupArn: scheduler.executionLogGroupArn,
            stateMachinePrefix: scheduler.stateMachinePrefix,
            triggers: pulumi.all(Object.fromEntries(Object.entries(scheduler.triggers).map(([n, t]) => [n, t.stateMachineArn]))),
        },
        computeSecurityGroupId: compute.securityGroupId,
        ...(parts.serving ? { serving: servingOutputs(parts.serving) } : {}),
    };
}

/** Per served model: its model package group and the endpoint role its models run as. */
function servingOutputs(serving: ModelServing): pulumi.Output<Record<string, Record<string, string>>> {
    return pulumi.all(Object.fromEntries(Object.entries(serving.models).map(([model, m]) => [model, pulumi.all({ group: m.groupName, groupArn: m.groupArn, endpointRoleArn: m.endpointRoleArn })])));
}
