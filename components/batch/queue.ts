import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { NAME_LIMITS, physicalName } from "../naming";
import {
    CAPACITY_REASONS,
    EnvironmentPlan,
    MISCONFIGURATION_REASONS,
    mixedPlatformProblem,
    planEnvironments,
    platformOf,
    QueueSpec,
    ROOT_VOLUME_GIB,
    RUNNABLE_TIME_LIMIT_MINUTES,
    validateQueueSpec,
} from "./queue-rules";

/** Arguments of {@link BatchQueue}. */
export interface BatchQueueArgs {
    /** Short prefix of physical names: the queue is named `<namePrefix>-<queue.name>`. */
    namePrefix: string;
    /** The queue as the stack configuration describes it (validated with `validateQueueSpec`). */
    queue: QueueSpec;
    /**
     * The compute environments in order. Default: `planEnvironments(queue)` (spot first, on-demand as fallback, per
     * `queue.capacity`). All must be of the queue's platform: EC2 and Fargate are never mixed.
     */
    environments?: EnvironmentPlan[];
    /** Private subnets the instances or tasks run in. */
    subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** The shared compute security group ({@link BatchCompute}). */
    securityGroupId: pulumi.Input<string>;
    /** EC2 queues: the ECS instance profile ({@link BatchCompute}). */
    instanceProfileArn?: pulumi.Input<string>;
    /** EC2 queues: root volume size in GiB when the queue does not set one. Default 100. */
    rootVolumeGiB?: number;
    /** EC2 queues: KMS key of the root volumes. Unset: the account's default EBS key (aws/ebs). */
    rootVolumeKmsKeyArn?: pulumi.Input<string>;
    /** Minutes a job may wait RUNNABLE for capacity before it is cancelled, when the queue does not set it. Default 60. */
    runnableTimeLimitMinutes?: number;
    /** Minutes before a job that no environment can ever run (misconfiguration) is cancelled. Default 10 (Batch's minimum). */
    misconfigurationTimeLimitMinutes?: number;
    /** Job queue priority (higher runs first when queues share environments). Default 1. */
    priority?: number;
}

/** Every problem with the arguments, as messages naming the argument. */
export function validateBatchQueueArgs(args: BatchQueueArgs): string[] {
    const problems = validateQueueSpec(args.queue).map((p) => `queue.${p.field}: ${p.message}`);
    const envs = args.environments ?? planEnvironments(args.queue);
    if (!envs.length) problems.push("environments: a queue needs at least one compute environment");
    const mixed = mixedPlatformProblem(envs.map((e) => e.type));
    if (mixed) problems.push(`environments: ${mixed}`);
    const platform = args.queue.platform ?? "ec2";
    const foreign = envs.filter((e) => platformOf(e.type) !== platform);
    if (!mixed && foreign.length) problems.push(`environments: ${foreign.map((e) => e.type).join(", ")} cannot serve a ${platform} queue`);
    if (new Set(envs.map((e) => e.role)).size !== envs.length) problems.push("environments: each role (spot, ondemand) may appear once");
    if (platform === "ec2" && args.instanceProfileArn === undefined) problems.push("instanceProfileArn: required for EC2 queues");
    const minutes = (label: string, v: number | undefined) => {
        if (v !== undefined && (!Number.isInteger(v) || v < RUNNABLE_TIME_LIMIT_MINUTES.min || v > RUNNABLE_TIME_LIMIT_MINUTES.max)) {
            problems.push(`${label}: ${v} must be an integer from ${RUNNABLE_TIME_LIMIT_MINUTES.min} to ${RUNNABLE_TIME_LIMIT_MINUTES.max}`);
        }
    };
    minutes("runnableTimeLimitMinutes", args.runnableTimeLimitMinutes);
    minutes("misconfigurationTimeLimitMinutes", args.misconfigurationTimeLimitMinutes);
    const v = args.rootVolumeGiB;
    if (v !== undefined && (!Number.isInteger(v) || v < ROOT_VOLUME_GIB.min || v > ROOT_VOLUME_GIB.max)) {
        problems.push(`rootVolumeGiB: ${v} must be an integer from ${ROOT_VOLUME_GIB.min} to ${ROOT_VOLUME_GIB.max}`);
    }
    if (args.priority !== undefined && (!Number.isInteger(args.priority) || args.priority < 0 || args.priority > 1000)) {
        problems.push(`priority: ${args.priority} must be an integer from 0 to 1000`);
    }
    return problems;
}

/**
 * Instance user data. Batch requires MIME multipart in a launch template; the script tells the ECS agent to drain a
 * spot instance when its interruption notice arrives, so no new job lands on it and running ones get their 2 minutes.
 */
export function ecsUserData(): string {
    const boundary = "==METAFLOW-BATCH==";
    return [
        "MIME-Version: 1.0",
        `Content-Type: multipart/mixed; boundary="${boundary}"`,
        "",
        `--${boundary}`,
        'Content-Type: text/x-shellscript; charset="us-ascii"',
        "",
        "#!/bin/bash",
        "set -euo pipefail",
        "echo ECS_ENABLE_SPOT_INSTANCE_DRAINING=true >> /etc/ecs/ecs.config",
        "",
        `--${boundary}--`,
        "",
    ].join("\n");
}

/** What every step of the queue shares: its name and arguments, the parent, the platform and the base of physical names. */
interface QueueContext {
    name: string;
    args: BatchQueueArgs;
    parent: pulumi.Resource;
    /** The queue runs on Fargate (else on EC2 instances). */
    fargate: boolean;
    /** `<namePrefix>-<queue.name>`. */
    base: string;
}

/** EC2 queues' launch template: IMDSv2 only, an encrypted gp3 root volume of the queue's size, spot draining. */
function instanceLaunchTemplate(ctx: QueueContext): aws.ec2.LaunchTemplate {
    const { args } = ctx;
    const q = args.queue;
    return new aws.ec2.LaunchTemplate(
        `${ctx.name}-lt`,
        {
            description: `Metaflow Batch ${q.name} instances: IMDSv2, encrypted gp3 root, spot draining`,
            // Hop limit 1: only the instance (the ECS agent) reaches IMDS; jobs get their job role's credentials from the
            // ECS agent's credential endpoint and their region from AWS_DEFAULT_REGION (set by Metaflow).
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
            blockDeviceMappings: [
                {
                    // The root device of the ECS-optimized AL2023 AMIs.
                    deviceName: "/dev/xvda",
                    ebs: {
                        volumeSize: q.rootVolumeGiB ?? args.rootVolumeGiB ?? 100,
                        volumeType: "gp3",
                        encrypted: "true",
                        kmsKeyId: args.rootVolumeKmsKeyArn,
                        deleteOnTermination: "true",
                    },
                },
            ],
            userData: Buffer.from(ecsUserData()).toString("base64"),
        },
        { parent: ctx.parent },
    );
}

/** One managed compute environment of the plan (spot or on-demand), scaling to zero in the private subnets. */
function computeEnvironment(ctx: QueueContext, env: EnvironmentPlan, launchTemplate: aws.ec2.LaunchTemplate | undefined): aws.batch.ComputeEnvironment {
    const { args, fargate, base } = ctx;
    const q = args.queue;
    return new aws.batch.ComputeEnvironment(
        `${ctx.name}-${env.role}`,
        {
            // A name prefix, so that a replacement can be created before the old environment is deleted.
            namePrefix: `${physicalName(base, env.role, NAME_LIMITS.batchName - 27)}-`,
            type: "MANAGED",
            state: "ENABLED",
            // No serviceRole: Batch uses its service-linked role AWSServiceRoleForBatch.
            computeResources: fargate
                ? { type: env.type, maxVcpus: q.maxVcpus, subnets: args.subnetIds, securityGroupIds: [args.securityGroupId] }
                : {
                      type: env.type,
                      allocationStrategy: env.allocationStrategy,
                      minVcpus: 0,
                      maxVcpus: q.maxVcpus,
                      instanceTypes: q.instanceTypes,
                      subnets: args.subnetIds,
                      securityGroupIds: [args.securityGroupId],
                      instanceRole: args.instanceProfileArn,
                      launchTemplate: { launchTemplateId: launchTemplate!.id, version: launchTemplate!.latestVersion.apply((v) => `${v}`) },
                      ec2Configurations: [{ imageType: q.kind === "gpu" ? "ECS_AL2023_NVIDIA" : "ECS_AL2023" }],
                      tags: { Name: `${base}-${env.role}` },
                  },
            // Infrastructure updates replace instances gradually and let running jobs finish (up to 30 min).
            ...(fargate ? {} : { updatePolicy: { terminateJobsOnUpdate: false, jobExecutionTimeoutMinutes: 30 } }),
        },
        { parent: ctx.parent },
    );
}

/** The job queue over the environments in order, cancelling RUNNABLE jobs that can never run or wait too long for capacity. */
function jobQueue(ctx: QueueContext, environments: aws.batch.ComputeEnvironment[]): aws.batch.JobQueue {
    const { args } = ctx;
    const q = args.queue;
    const capacitySeconds = (q.runnableTimeLimitMinutes ?? args.runnableTimeLimitMinutes ?? 60) * 60;
    const misconfigurationSeconds = (args.misconfigurationTimeLimitMinutes ?? RUNNABLE_TIME_LIMIT_MINUTES.min) * 60;
    return new aws.batch.JobQueue(
        `${ctx.name}-queue`,
        {
            name: physicalName(args.namePrefix, q.name, NAME_LIMITS.batchName),
            state: "ENABLED",
            priority: args.priority ?? 1,
            computeEnvironmentOrders: environments.map((ce, order) => ({ order, computeEnvironment: ce.arn })),
            jobStateTimeLimitActions: [
                ...MISCONFIGURATION_REASONS.map((reason) => ({ reason, state: "RUNNABLE", action: "CANCEL", maxTimeSeconds: misconfigurationSeconds })),
                ...CAPACITY_REASONS.map((reason) => ({ reason, state: "RUNNABLE", action: "CANCEL", maxTimeSeconds: capacitySeconds })),
            ],
        },
        { parent: ctx.parent },
    );
}

/**
 * One Metaflow job queue (`@batch(queue=...)`) and its compute environments, in order: spot first
 * (SPOT_PRICE_CAPACITY_OPTIMIZED) and on-demand second (BEST_FIT_PROGRESSIVE) as the fallback, or only one of them.
 * Every environment scales to zero (minvCpus 0) and runs in private subnets behind the shared compute security
 * group; EC2 environments use a launch template with IMDSv2 required (hop limit 1: containers take credentials from
 * the ECS agent, not IMDS), an encrypted gp3 root volume and spot draining, on the ECS AL2023 AMI (its NVIDIA variant
 * for GPU queues). Jobs stuck RUNNABLE because no environment can run them are cancelled after 10 minutes, those
 * waiting for capacity after the configured limit.
 */
export class BatchQueue extends pulumi.ComponentResource {
    public readonly queueArn: pulumi.Output<string>;
    public readonly queueName: pulumi.Output<string>;
    /** Compute environment ARNs in the queue's order. */
    public readonly computeEnvironmentArns: pulumi.Output<string[]>;
    public readonly launchTemplateId?: pulumi.Output<string>;

    constructor(name: string, args: BatchQueueArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:compute:BatchQueue", name, {}, opts);
        const problems = validateBatchQueueArgs(args);
        if (problems.length) throw new Error(`BatchQueue ${name}: ${problems.join("; ")}`);
        const q = args.queue;
        const envs = args.environments ?? planEnvironments(q);
        const fargate = (q.platform ?? "ec2") === "fargate";
        const base = `${args.namePrefix}-${q.name}`;
        const ctx: QueueContext = { name, args, parent: this, fargate, base };

        const launchTemplate = fargate ? undefined : instanceLaunchTemplate(ctx);
        const environments = envs.map((env) => computeEnvironment(ctx, env, launchTemplate));
        const queue = jobQueue(ctx, environments);

        this.queueArn = queue.arn;
        this.queueName = queue.name;
        this.computeEnvironmentArns = pulumi.all(environments.map((e) => e.arn));
        this.launchTemplateId = launchTemplate?.id;
        this.registerOutputs({ queueArn: this.queueArn, queueName: this.queueName, computeEnvironmentArns: this.computeEnvironmentArns, launchTemplateId: this.launchTemplateId });
    }
}
