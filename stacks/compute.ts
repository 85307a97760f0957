/**
 * The compute and scheduling section of the platform: the shared Batch pieces, one BatchQueue per configured queue,
 * the Step Functions scheduler (with the event-driven triggers), and the role Metaflow tasks run as.
 */
import * as pulumi from "@pulumi/pulumi";

import { SFN_MAP_OUTPUT_PREFIX } from "../components/artifact-bucket";
import { BatchCompute, BatchImages, BatchQueue, MetaflowJobRole } from "../components/batch";
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
    /** The Metaflow configuration keys this section provides. */
    metaflow: Partial<MetaflowConfigParts>;
    /** Stack outputs of this section. */
    outputs: Record<string, unknown>;
}

export function buildCompute(ctx: PlatformContext): ComputeSection {
    const { config, network, key, bucket, opts } = ctx;
    const p = config.namePrefix;
    const fargate = config.batch.queues.some((q) => q.platform === "fargate");

    const images = new BatchImages(`${p}-images`, { namePrefix: p, region: config.region, kmsKeyArn: key.keyArn, protect: config.protect }, opts);
    const compute = new BatchCompute(
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

    const queueArns = Object.values(queues).map((q) => q.queueArn);
    const scheduler = new SfnScheduler(
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

    const foundationKey = ctx.references.foundation?.kmsKeyArn;
    const jobRole = new MetaflowJobRole(
        `${p}-job`,
        {
            namePrefix: p,
            region: config.region,
            bucketArn: bucket.bucketArn,
            kmsKeyArn: key.keyArn,
            decryptKeyArns: foundationKey ? [foundationKey] : undefined,
            dynamoTableArn: scheduler.tableArn,
            metricNamespace: config.monitoring.models.namespace,
        },
        opts,
    );

    const defaultQueue = queues[config.batch.defaultQueue] ?? Object.values(queues)[0];
    return {
        compute,
        images,
        queues,
        queueArns,
        scheduler,
        jobRole,
        metaflow: {
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
            SFN_S3_DISTRIBUTED_MAP_OUTPUT_PATH: pulumi.interpolate`s3://${bucket.bucketName}/${SFN_MAP_OUTPUT_PREFIX}`,
            DEFAULT_SECRETS_BACKEND_TYPE: "aws-secrets-manager",
            AWS_SECRETS_MANAGER_DEFAULT_REGION: config.region,
        },
        outputs: {
            batch: {
                queueArns: pulumi.all(Object.fromEntries(Object.entries(queues).map(([n, q]) => [n, q.queueArn]))),
                queueNames: pulumi.all(Object.fromEntries(Object.entries(queues).map(([n, q]) => [n, q.queueName]))),
                computeEnvironmentArns: pulumi.all(Object.fromEntries(Object.entries(queues).map(([n, q]) => [n, q.computeEnvironmentArns]))),
                defaultQueue: config.batch.defaultQueue,
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
        },
    };
}
