import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { regionalArns, serviceRole } from "../iam";
import { StepContext } from "../step-context";
import { NAME_LIMITS, physicalName } from "../naming";

/** The log group the awslogs driver of Batch jobs writes to (Batch's default, which Metaflow keeps). */
export const BATCH_JOB_LOG_GROUP = "/aws/batch/job";

/** An extra egress rule of the compute security group, e.g. to the metadata service's load balancer. */
export interface ComputeEgress {
    description: string;
    port: number;
    /** The destination security group (preferred) ... */
    securityGroupId?: pulumi.Input<string>;
    /** ... or an IPv4 CIDR. */
    cidr?: string;
}

/** Arguments of {@link BatchCompute}. */
export interface BatchComputeArgs {
    /** Short prefix of physical names (roles, instance profile). */
    namePrefix: string;
    region: string;
    vpcId: pulumi.Input<string>;
    /**
     * The security group admitted by the EFS mount targets (the foundation's `efsSecurityGroupId`): when given, the
     * compute security group may reach it on NFS (2049), for `@batch(efs_volumes=...)`.
     */
    efsSecurityGroupId?: pulumi.Input<string>;
    /** Further egress, e.g. the metadata service's load balancer (HTTP inside the VPC). */
    egress?: ComputeEgress[];
    /** Create the ECS task execution role Fargate queues need (METAFLOW_ECS_FARGATE_EXECUTION_ROLE). Default false. */
    fargate?: boolean;
    /**
     * ECR repositories (ARNs or patterns) instances may pull from besides this account's repositories in this region,
     * e.g. a shared registry account. Public registries (Docker Hub, ECR Public) need no IAM permission.
     */
    extraImageRepositoryArns?: pulumi.Input<string>[];
    /**
     * Repositories of an ECR pull-through cache (e.g. BatchImages' `cacheRepositoryArns`): the first pull of an image
     * creates its repository and imports it from upstream, which needs `ecr:CreateRepository` and
     * `ecr:BatchImportUpstreamImage` there.
     */
    pullThroughCacheRepositoryArns?: pulumi.Input<string>[];
}

export function validateBatchComputeArgs(args: BatchComputeArgs): string[] {
    const problems: string[] = [];
    (args.egress ?? []).forEach((e, i) => {
        if (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535) problems.push(`egress[${i}].port ${e.port} must be a TCP port`);
        if ((e.securityGroupId === undefined) === (e.cidr === undefined)) problems.push(`egress[${i}] needs exactly one of securityGroupId, cidr`);
        if (e.cidr === "0.0.0.0/0" && e.port !== 443) problems.push(`egress[${i}]: only HTTPS may leave for 0.0.0.0/0`);
        if (!e.description) problems.push(`egress[${i}] needs a description`);
    });
    return problems;
}

/** What every step of the compute shares: its name and arguments, the parent, the account and its ARNs. */
type ComputeContext = StepContext<BatchComputeArgs>;

/** What instances and Fargate tasks pull and write: the image repositories, the pull-through cache, the job log group. */
interface JobGrants {
    imageRepositories: pulumi.Input<string>[];
    jobLogs: pulumi.Output<string>;
    /** The pull-through cache statement, or none. */
    pullThrough: object[];
}

/** The compute security group: nothing in but itself (multi-node jobs), out only to itself, HTTPS and, with EFS, NFS. */
function computeSecurityGroup(ctx: ComputeContext): aws.ec2.SecurityGroup {
    const { name, args } = ctx;
    const opts = { parent: ctx.parent };
    const sg = new aws.ec2.SecurityGroup(
        `${name}-sg`,
        {
            vpcId: args.vpcId,
            description: `Metaflow Batch compute (${args.namePrefix}): no inbound except from itself`,
            revokeRulesOnDelete: true,
            tags: { Name: `${args.namePrefix}-batch-compute` },
        },
        opts,
    );
    new aws.vpc.SecurityGroupIngressRule(
        `${name}-from-self`,
        { securityGroupId: sg.id, referencedSecurityGroupId: sg.id, ipProtocol: "-1", description: "Multi-node (@parallel) jobs talk to each other" },
        opts,
    );
    new aws.vpc.SecurityGroupEgressRule(
        `${name}-to-self`,
        { securityGroupId: sg.id, referencedSecurityGroupId: sg.id, ipProtocol: "-1", description: "Multi-node (@parallel) jobs talk to each other" },
        opts,
    );
    // DNS needs no rule: security groups do not filter traffic to the VPC's Amazon-provided DNS resolver.
    new aws.vpc.SecurityGroupEgressRule(
        `${name}-https`,
        { securityGroupId: sg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443, description: "HTTPS: S3, ECR, ECS/Batch/AWS APIs and package indexes" },
        opts,
    );
    if (args.efsSecurityGroupId !== undefined) {
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-nfs`,
            { securityGroupId: sg.id, referencedSecurityGroupId: args.efsSecurityGroupId, ipProtocol: "tcp", fromPort: 2049, toPort: 2049, description: "NFS to the EFS mount targets of the foundation (@batch efs_volumes)" },
            opts,
        );
    }
    return sg;
}

/** The repositories jobs pull from (this account's in this region, the extra ones, the pull-through cache) and their log group. */
function jobGrants(ctx: ComputeContext): JobGrants {
    const { args, arn } = ctx;
    return {
        imageRepositories: [arn("ecr", "repository/*"), ...(args.extraImageRepositoryArns ?? [])],
        jobLogs: arn("logs", `log-group:${BATCH_JOB_LOG_GROUP}:*`),
        pullThrough: args.pullThroughCacheRepositoryArns?.length
            ? [{ Sid: "PullThroughCache", Effect: "Allow", Action: ["ecr:CreateRepository", "ecr:BatchImportUpstreamImage"], Resource: args.pullThroughCacheRepositoryArns }]
            : [],
    };
}

/** What the ECS agent on a container instance needs: AmazonEC2ContainerServiceforEC2Role, narrowed to this account and region. */
function instancePolicy(ctx: ComputeContext, grants: JobGrants): pulumi.Output<string> {
    const { arn } = ctx;
    return pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "EcsAgentClusters",
                Effect: "Allow",
                Action: ["ecs:RegisterContainerInstance", "ecs:DeregisterContainerInstance", "ecs:SubmitAttachmentStateChanges", "ecs:SubmitContainerStateChange", "ecs:SubmitTaskStateChange"],
                Resource: arn("ecs", "cluster/*"),
            },
            {
                Sid: "EcsAgentContainerInstances",
                Effect: "Allow",
                Action: ["ecs:Poll", "ecs:StartTelemetrySession", "ecs:UpdateContainerInstancesState", "ecs:TagResource"],
                Resource: arn("ecs", "container-instance/*"),
            },
            {
                // DiscoverPollEndpoint, DescribeTags and GetAuthorizationToken have no resource-level permissions.
                Sid: "NoResourceLevelPermissions",
                Effect: "Allow",
                Action: ["ecs:DiscoverPollEndpoint", "ec2:DescribeTags", "ecr:GetAuthorizationToken"],
                Resource: "*",
            },
            {
                Sid: "PullImages",
                Effect: "Allow",
                Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                Resource: grants.imageRepositories,
            },
            ...grants.pullThrough,
            { Sid: "JobLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: grants.jobLogs },
        ],
    });
}

/** The ECS instance role with {@link instancePolicy}, and the instance profile the compute environments launch with. */
function instanceRoleAndProfile(ctx: ComputeContext, grants: JobGrants): { role: aws.iam.Role; profile: aws.iam.InstanceProfile } {
    const { name, args } = ctx;
    const opts = { parent: ctx.parent };
    const role = serviceRole(
        `${name}-instance-role`,
        { namePrefix: args.namePrefix, nameSuffix: "batch-instance", description: "ECS container instances of the Metaflow Batch compute environments", service: "ec2.amazonaws.com", account: ctx.account },
        opts,
    );
    // The permissions of AmazonEC2ContainerServiceforEC2Role, narrowed to this account and region. Batch names
    // its ECS clusters itself, so clusters and container instances are matched by account and region.
    new aws.iam.RolePolicy(`${name}-instance-policy`, { role: role.id, policy: instancePolicy(ctx, grants) }, opts);
    const profile = new aws.iam.InstanceProfile(`${name}-instance-profile`, { name: physicalName(args.namePrefix, "batch-instance", NAME_LIMITS.iamRole), role: role.name }, opts);
    return { role, profile };
}

/** The ECS task execution role of Fargate jobs (METAFLOW_ECS_FARGATE_EXECUTION_ROLE): image pulls and job logs only. */
function fargateExecutionRole(ctx: ComputeContext, grants: JobGrants): aws.iam.Role {
    const { name } = ctx;
    const opts = { parent: ctx.parent };
    const execution = serviceRole(
        `${name}-fargate-execution`,
        { namePrefix: ctx.args.namePrefix, nameSuffix: "batch-fargate-exec", description: "ECS task execution role of Metaflow's Fargate Batch jobs (image pulls, logs)", service: "ecs-tasks.amazonaws.com", account: ctx.account },
        opts,
    );
    new aws.iam.RolePolicy(
        `${name}-fargate-execution`,
        {
            role: execution.id,
            policy: pulumi.jsonStringify({
                Version: "2012-10-17",
                Statement: [
                    // GetAuthorizationToken has no resource-level permissions.
                    { Sid: "RegistryToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
                    { Sid: "PullImages", Effect: "Allow", Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"], Resource: grants.imageRepositories },
                    ...grants.pullThrough,
                    { Sid: "JobLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: grants.jobLogs },
                ],
            }),
        },
        opts,
    );
    return execution;
}

/**
 * What every Batch queue of a stack shares: the compute security group (no inbound rule except from itself, egress
 * only for HTTPS, NFS to EFS and what the caller adds), the ECS instance role and instance profile (what the ECS
 * agent needs, scoped to this account and region), and, for Fargate queues, the task execution role. Batch itself
 * works through its service-linked role (AWSServiceRoleForBatch), so no service role is made here.
 */
export class BatchCompute extends pulumi.ComponentResource {
    /** The compute security group: admit it on the metadata service's load balancer. */
    public readonly securityGroupId: pulumi.Output<string>;
    public readonly instanceRoleArn: pulumi.Output<string>;
    public readonly instanceProfileArn: pulumi.Output<string>;
    /** The Fargate task execution role, when `fargate`. */
    public readonly fargateExecutionRoleArn?: pulumi.Output<string>;
    private readonly componentName: string;

    constructor(name: string, args: BatchComputeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:compute:BatchCompute", name, {}, opts);
        const problems = validateBatchComputeArgs(args);
        if (problems.length) throw new Error(`BatchCompute ${name}: ${problems.join("; ")}`);
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const ctx: ComputeContext = { name, args, parent: this, account, arn: regionalArns(args.region, account) };

        const sg = computeSecurityGroup(ctx);
        this.componentName = name;
        this.securityGroupId = sg.id;
        (args.egress ?? []).forEach((e, i) => this.allowEgress(`egress-${i}`, e));

        const grants = jobGrants(ctx);
        const instance = instanceRoleAndProfile(ctx, grants);
        if (args.fargate) this.fargateExecutionRoleArn = fargateExecutionRole(ctx, grants).arn;

        this.instanceRoleArn = instance.role.arn;
        this.instanceProfileArn = instance.profile.arn;
        this.registerOutputs({
            securityGroupId: this.securityGroupId,
            instanceRoleArn: this.instanceRoleArn,
            instanceProfileArn: this.instanceProfileArn,
            fargateExecutionRoleArn: this.fargateExecutionRoleArn,
        });
    }

    /**
     * Lets the compute security group reach one more destination, e.g. the metadata service's load balancer once it
     * exists (it admits `securityGroupId` in turn, so neither needs the other at construction). `role` names the rule
     * `<name>-<role>`.
     */
    public allowEgress(role: string, e: ComputeEgress): aws.vpc.SecurityGroupEgressRule {
        const problems = validateBatchComputeArgs({ namePrefix: "", region: "", vpcId: "", egress: [e] });
        if (problems.length) throw new Error(`BatchCompute ${this.componentName}: ${problems.map((p) => p.replace("egress[0]", role)).join("; ")}`);
        return new aws.vpc.SecurityGroupEgressRule(
            `${this.componentName}-${role}`,
            {
                securityGroupId: this.securityGroupId,
                ipProtocol: "tcp",
                fromPort: e.port,
                toPort: e.port,
                description: e.description,
                ...(e.securityGroupId !== undefined ? { referencedSecurityGroupId: e.securityGroupId } : { cidrIpv4: e.cidr }),
            },
            { parent: this },
        );
    }
}
