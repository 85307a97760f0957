/**
 * The deployer policy: the IAM policy the identity that runs `pulumi up` (and `preview`, `refresh`, `destroy`) needs
 * for one stack, generated from the resources its plan contains.
 *
 * Each resource type the platform creates maps to the actions the AWS provider calls to create, read, update, tag
 * and delete it, and to the ARNs of this stack's resources of that type: the exact physical name where the program
 * gives one (`mf-prod-metadata-db`), the auto-name pattern where Pulumi adds a random suffix (`<logical name>-*`), and
 * `<type>/*` only where AWS names a resource by an identifier AWS chooses (security groups, launch templates, KMS keys,
 * scalable targets). Actions that AWS's IAM data lists without resource-level permissions (the Describe and List
 * calls) go into one statement on `"*"`, as IAM requires. A type the table does not know is an error, so a new kind of
 * resource cannot be deployed with a policy that silently lacks it.
 *
 * The action names and ARN formats are checked against AWS's IAM data by `iamDataProblems` (policies/lib/iam.ts) in
 * the tests. Pure module: no Pulumi import.
 */
import { isWildcardOnly } from "../../aws-facts/iam-data";

/** The part of a planned resource the generator reads. */
export interface PlannedResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
}

export interface DeployerContext {
    region: string;
    /** The 12-digit account (from `aws:allowedAccountIds`), or `*`: any account the deploying identity reaches. */
    account: string;
    partition?: string;
}

export interface DeployerStatement {
    Sid: string;
    Effect: "Allow";
    Action: string[];
    Resource: string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

export interface DeployerPolicy {
    Version: "2012-10-17";
    Statement: DeployerStatement[];
}

interface Grant {
    actions: string[];
    /** ARNs of this resource (or of what it configures: a bucket's policy is granted on the bucket). */
    arns: (r: PlannedResource, all: PlannedResource[], c: Required<DeployerContext>) => string[];
    condition?: DeployerStatement["Condition"];
    /** With a condition, the statement's Sid after the type's (default `ServiceLinkedRole`, the first such grants). */
    sid?: string;
}

class UnknownTypeError extends Error {}

/** The physical name: the input the program set, else Pulumi's auto-name (`<logical name>-<7 random characters>`). */
function physical(r: PlannedResource, key = "name"): string {
    const v = r.inputs[key];
    if (typeof v === "string" && v && !v.includes("*")) return v;
    const prefix = r.inputs.namePrefix;
    if (typeof prefix === "string" && prefix) return `${prefix}*`;
    return `${r.name}-*`;
}

const arn = (c: Required<DeployerContext>, service: string, resource: string, opts: { region?: boolean; account?: boolean } = {}) =>
    `arn:${c.partition}:${service}:${opts.region === false ? "" : c.region}:${opts.account === false ? "" : c.account}:${resource}`;
const ofType = (all: PlannedResource[], type: string) => all.filter((r) => r.type === type);
const ec2 = (...kinds: string[]) => (_r: PlannedResource, _all: PlannedResource[], c: Required<DeployerContext>) => kinds.map((k) => arn(c, "ec2", `${k}/*`));

const bucketArns = (_r: PlannedResource, all: PlannedResource[], c: Required<DeployerContext>) => ofType(all, "aws:s3/bucket:Bucket").map((b) => `arn:${c.partition}:s3:::${physical(b, "bucket")}`);
const roleArns = (_r: PlannedResource, all: PlannedResource[], c: Required<DeployerContext>) => [
    ...ofType(all, "aws:iam/role:Role").map((role) => arn(c, "iam", `role/${physical(role)}`, { region: false })),
    // Roles the stack attaches its policies to without creating them (the engineers' roles).
    ...ofType(all, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        .map((a) => a.inputs.role)
        .filter((name): name is string => typeof name === "string" && /^[\w+=,.@-]+$/.test(name))
        .map((name) => arn(c, "iam", `role/${name}`, { region: false })),
];
const logGroupArns = (r: PlannedResource, _all: PlannedResource[], c: Required<DeployerContext>) => {
    const name = physical(r);
    return [arn(c, "logs", `log-group:${name}`), arn(c, "logs", `log-group:${name}:*`)];
};
const lbArns = (kind: "loadbalancer" | "listener" | "listener-rule") => (_r: PlannedResource, all: PlannedResource[], c: Required<DeployerContext>) =>
    ofType(all, "aws:lb/loadBalancer:LoadBalancer").map((lb) => {
        const family = lb.inputs.loadBalancerType === "network" ? "net" : "app";
        const tail = { loadbalancer: "/*", listener: "/*/*", "listener-rule": "/*/*/*" }[kind];
        return arn(c, "elasticloadbalancing", `${kind}/${family}/${physical(lb)}${tail}`);
    });
const named = (service: string, format: (name: string) => string, key = "name", opts: { region?: boolean } = {}) => (r: PlannedResource, _all: PlannedResource[], c: Required<DeployerContext>) => [
    arn(c, service, format(physical(r, key)), opts),
];
const ofAll = (type: string, service: string, format: (name: string) => string, key = "name") => (_r: PlannedResource, all: PlannedResource[], c: Required<DeployerContext>) =>
    ofType(all, type).map((x) => arn(c, service, format(physical(x, key))));

const S3_BUCKET_READ = [
    "s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketTagging", "s3:GetBucketAcl", "s3:GetBucketCORS", "s3:GetBucketWebsite", "s3:GetBucketVersioning",
    "s3:GetAccelerateConfiguration", "s3:GetBucketRequestPayment", "s3:GetBucketLogging", "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration",
    "s3:GetEncryptionConfiguration", "s3:GetBucketObjectLockConfiguration", "s3:GetBucketPolicy", "s3:GetBucketPublicAccessBlock", "s3:GetBucketOwnershipControls",
    "s3:GetBucketNotification",
];
const TAGS_EC2 = ["ec2:CreateTags", "ec2:DeleteTags"];
const SAGEMAKER_TAGS = ["sagemaker:AddTags", "sagemaker:DeleteTags", "sagemaker:ListTags"];
const ECR_READ = ["ecr:DescribeRepositories", "ecr:ListTagsForResource"];

/** The grants of each resource type; components (which AWS never sees) need none. */
export const DEPLOYER_GRANTS: Record<string, Grant[]> = {
    "pulumi:providers:aws": [{ actions: ["sts:GetCallerIdentity", "ec2:DescribeRegions", "ec2:DescribeAvailabilityZones"], arns: () => ["*"] }],
    "aws:s3/bucket:Bucket": [{ actions: ["s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucketTagging", ...S3_BUCKET_READ], arns: bucketArns }],
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": [{ actions: ["s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"], arns: bucketArns }],
    "aws:s3/bucketVersioning:BucketVersioning": [{ actions: ["s3:PutBucketVersioning", "s3:GetBucketVersioning"], arns: bucketArns }],
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": [{ actions: ["s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"], arns: bucketArns }],
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": [{ actions: ["s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"], arns: bucketArns }],
    "aws:s3/bucketPolicy:BucketPolicy": [{ actions: ["s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"], arns: bucketArns }],
    // The workspaces' templates: objects the stack writes under their own key (encrypted with the bucket's default
    // key, which the kms:GenerateDataKey grant on the platform key covers).
    "aws:s3/bucketObjectv2:BucketObjectv2": [
        { actions: ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:GetObjectTagging", "s3:PutObjectTagging"], arns: (r, all, c) => bucketArns(r, all, c).map((b) => `${b}/${physical(r, "key")}`) },
    ],
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": [{ actions: ["s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"], arns: bucketArns }],
    "aws:s3/bucketLogging:BucketLogging": [{ actions: ["s3:PutBucketLogging", "s3:GetBucketLogging"], arns: bucketArns }],
    "aws:s3/bucketNotification:BucketNotification": [{ actions: ["s3:PutBucketNotification", "s3:GetBucketNotification"], arns: bucketArns }],
    "aws:kms/key:Key": [
        { actions: ["kms:CreateKey"], arns: () => ["*"] },
        {
            actions: ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus", "kms:EnableKeyRotation", "kms:ListResourceTags", "kms:TagResource", "kms:UntagResource", "kms:UpdateKeyDescription", "kms:ScheduleKeyDeletion", "kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKey"],
            arns: ec2Like("kms", "key"),
        },
    ],
    "aws:kms/alias:Alias": [
        { actions: ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"], arns: (r, all, c) => [...named("kms", (n) => n)(r, all, c), arn(c, "kms", "key/*")] },
        { actions: ["kms:ListAliases"], arns: () => ["*"] },
    ],
    "aws:iam/role:Role": [
        {
            actions: ["iam:CreateRole", "iam:GetRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole", "iam:PassRole"],
            arns: roleArns,
        },
    ],
    "aws:iam/rolePolicy:RolePolicy": [{ actions: ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"], arns: roleArns }],
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": [{ actions: ["iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies"], arns: roleArns }],
    "aws:iam/policy:Policy": [
        {
            actions: ["iam:CreatePolicy", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:DeletePolicy", "iam:TagPolicy", "iam:UntagPolicy"],
            arns: (r, _all, c) => [arn(c, "iam", `policy/${physical(r)}`, { region: false })],
        },
    ],
    // Observability (components/monitoring): the dashboard, the pipeline-events log group's filters, resource policy,
    // saved queries and Contributor Insights rules, and the cost anomaly monitor.
    "aws:cloudwatch/dashboard:Dashboard": [
        { actions: ["cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"], arns: named("cloudwatch", (n) => `dashboard/${n}`, "dashboardName", { region: false }) },
    ],
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": [
        { actions: ["logs:PutMetricFilter", "logs:DeleteMetricFilter", "logs:DescribeMetricFilters"], arns: (r, _all, c) => [arn(c, "logs", `log-group:${physical(r, "logGroupName")}`)] },
    ],
    // The job log's transformer (CloudWatch Logs PutTransformer/GetTransformer/DeleteTransformer: resource log-group).
    "aws:cloudwatch/logTransformer:LogTransformer": [
        {
            actions: ["logs:PutTransformer", "logs:GetTransformer", "logs:DeleteTransformer"],
            arns: (r, all, c) => {
                const group = /:log-group:([^:*]+)/.exec(String(r.inputs.logGroupArn ?? ""))?.[1];
                return group ? [arn(c, "logs", `log-group:${group}`)] : ofAll("aws:cloudwatch/logGroup:LogGroup", "logs", (n) => `log-group:${n}`)(r, all, c);
            },
        },
    ],
    // Resource policies and saved queries have no resource-level permissions.
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": [{ actions: ["logs:PutResourcePolicy", "logs:DeleteResourcePolicy", "logs:DescribeResourcePolicies"], arns: () => ["*"] }],
    "aws:cloudwatch/queryDefinition:QueryDefinition": [{ actions: ["logs:PutQueryDefinition", "logs:DeleteQueryDefinition", "logs:DescribeQueryDefinitions"], arns: () => ["*"] }],
    "aws:cloudwatch/contributorInsightRule:ContributorInsightRule": [
        {
            actions: ["cloudwatch:PutInsightRule", "cloudwatch:DeleteInsightRules", "cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource"],
            arns: named("cloudwatch", (n) => `insight-rule/${n}`, "ruleName"),
        },
        { actions: ["cloudwatch:DescribeInsightRules"], arns: () => ["*"] },
    ],
    // Cost Explorer creates monitors and subscriptions without resource-level permissions and names them by an id it
    // chooses: the rest is granted on that type's ARNs.
    "aws:costexplorer/anomalyMonitor:AnomalyMonitor": [
        { actions: ["ce:CreateAnomalyMonitor"], arns: () => ["*"] },
        { actions: ["ce:GetAnomalyMonitors", "ce:UpdateAnomalyMonitor", "ce:DeleteAnomalyMonitor", "ce:TagResource", "ce:UntagResource", "ce:ListTagsForResource"], arns: (_r, _all, c) => [arn(c, "ce", "anomalymonitor/*", { region: false })] },
    ],
    "aws:costexplorer/anomalySubscription:AnomalySubscription": [
        { actions: ["ce:CreateAnomalySubscription"], arns: () => ["*"] },
        {
            actions: ["ce:GetAnomalySubscriptions", "ce:UpdateAnomalySubscription", "ce:DeleteAnomalySubscription", "ce:TagResource", "ce:UntagResource", "ce:ListTagsForResource"],
            arns: (_r, _all, c) => [arn(c, "ce", "anomalysubscription/*", { region: false })],
        },
    ],
    // Office hours (components/office-hours.ts): EventBridge Scheduler schedules and the service's scheduled scaling.
    "aws:scheduler/schedule:Schedule": [
        {
            actions: ["scheduler:CreateSchedule", "scheduler:GetSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule"],
            arns: (r, _all, c) => [arn(c, "scheduler", `schedule/${typeof r.inputs.groupName === "string" ? r.inputs.groupName : "default"}/${physical(r)}`)],
        },
    ],
    "aws:appautoscaling/scheduledAction:ScheduledAction": [
        // The scalable target's id is AWS's; Describe has no resource-level permission.
        { actions: ["application-autoscaling:PutScheduledAction", "application-autoscaling:DeleteScheduledAction"], arns: (_r, _all, c) => [arn(c, "application-autoscaling", "scalable-target/*")] },
        { actions: ["application-autoscaling:DescribeScheduledActions"], arns: () => ["*"] },
    ],
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": [
        {
            // The flow deploy role's GitHub provider (components/flow-deploy-role.ts): IAM names it by its URL's host.
            actions: [
                "iam:CreateOpenIDConnectProvider",
                "iam:GetOpenIDConnectProvider",
                "iam:DeleteOpenIDConnectProvider",
                "iam:UpdateOpenIDConnectProviderThumbprint",
                "iam:AddClientIDToOpenIDConnectProvider",
                "iam:RemoveClientIDFromOpenIDConnectProvider",
                "iam:TagOpenIDConnectProvider",
                "iam:UntagOpenIDConnectProvider",
            ],
            arns: (r, _all, c) => [arn(c, "iam", `oidc-provider/${String(r.inputs.url).replace(/^https:\/\//, "")}`, { region: false })],
        },
    ],
    "aws:iam/instanceProfile:InstanceProfile": [
        {
            actions: ["iam:CreateInstanceProfile", "iam:GetInstanceProfile", "iam:DeleteInstanceProfile", "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:TagInstanceProfile", "iam:UntagInstanceProfile"],
            arns: (r, _all, c) => [arn(c, "iam", `instance-profile/${physical(r)}`, { region: false })],
        },
    ],
    "aws:ec2/securityGroup:SecurityGroup": [
        {
            actions: ["ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup", "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", ...TAGS_EC2],
            arns: ec2("security-group", "vpc"),
        },
        { actions: ["ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules", "ec2:DescribeNetworkInterfaces"], arns: () => ["*"] },
    ],
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": [
        { actions: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:ModifySecurityGroupRules", ...TAGS_EC2], arns: ec2("security-group", "security-group-rule") },
        { actions: ["ec2:DescribeSecurityGroupRules"], arns: () => ["*"] },
    ],
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": [
        { actions: ["ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress", "ec2:ModifySecurityGroupRules", ...TAGS_EC2], arns: ec2("security-group", "security-group-rule") },
        { actions: ["ec2:DescribeSecurityGroupRules"], arns: () => ["*"] },
    ],
    "aws:ec2/launchTemplate:LaunchTemplate": [
        { actions: ["ec2:CreateLaunchTemplate", "ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate", "ec2:DeleteLaunchTemplate", ...TAGS_EC2], arns: ec2("launch-template") },
        { actions: ["ec2:DescribeLaunchTemplates", "ec2:DescribeLaunchTemplateVersions"], arns: () => ["*"] },
    ],
    "aws:ec2/vpcEndpoint:VpcEndpoint": [
        { actions: ["ec2:CreateVpcEndpoint", "ec2:ModifyVpcEndpoint", "ec2:DeleteVpcEndpoints", ...TAGS_EC2], arns: ec2("vpc-endpoint", "vpc", "route-table", "subnet", "security-group") },
        { actions: ["ec2:DescribeVpcEndpoints", "ec2:DescribePrefixLists"], arns: () => ["*"] },
    ],
    "aws:ec2/flowLog:FlowLog": [
        { actions: ["ec2:CreateFlowLogs", "ec2:DeleteFlowLogs", ...TAGS_EC2], arns: ec2("vpc-flow-log", "vpc") },
        { actions: ["ec2:DescribeFlowLogs"], arns: () => ["*"] },
    ],
    // The standalone network (components/standalone-network.ts): the VPC and its subnets, gateways and routes.
    "aws:ec2/vpc:Vpc": [
        { actions: ["ec2:CreateVpc", "ec2:DeleteVpc", "ec2:ModifyVpcAttribute", "ec2:DescribeVpcAttribute", ...TAGS_EC2], arns: ec2("vpc") },
        { actions: ["ec2:DescribeVpcs", "ec2:DescribeSecurityGroups", "ec2:DescribeNetworkAcls", "ec2:DescribeRouteTables"], arns: () => ["*"] },
    ],
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": [
        { actions: ["ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress", ...TAGS_EC2], arns: ec2("security-group") },
        { actions: ["ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules"], arns: () => ["*"] },
    ],
    "aws:ec2/subnet:Subnet": [
        { actions: ["ec2:CreateSubnet", "ec2:DeleteSubnet", "ec2:ModifySubnetAttribute", ...TAGS_EC2], arns: ec2("subnet", "vpc") },
        { actions: ["ec2:DescribeSubnets", "ec2:DescribeAvailabilityZones", "ec2:DescribeNetworkInterfaces"], arns: () => ["*"] },
    ],
    "aws:ec2/internetGateway:InternetGateway": [
        { actions: ["ec2:CreateInternetGateway", "ec2:DeleteInternetGateway", "ec2:AttachInternetGateway", "ec2:DetachInternetGateway", ...TAGS_EC2], arns: ec2("internet-gateway", "vpc") },
        { actions: ["ec2:DescribeInternetGateways"], arns: () => ["*"] },
    ],
    "aws:ec2/routeTable:RouteTable": [
        { actions: ["ec2:CreateRouteTable", "ec2:DeleteRouteTable", ...TAGS_EC2], arns: ec2("route-table", "vpc") },
        { actions: ["ec2:DescribeRouteTables"], arns: () => ["*"] },
    ],
    "aws:ec2/route:Route": [
        { actions: ["ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:DeleteRoute"], arns: ec2("route-table") },
        { actions: ["ec2:DescribeRouteTables"], arns: () => ["*"] },
    ],
    "aws:ec2/routeTableAssociation:RouteTableAssociation": [
        { actions: ["ec2:AssociateRouteTable", "ec2:DisassociateRouteTable", "ec2:ReplaceRouteTableAssociation"], arns: ec2("route-table", "subnet") },
        { actions: ["ec2:DescribeRouteTables"], arns: () => ["*"] },
    ],
    "aws:ec2/eip:Eip": [
        { actions: ["ec2:AllocateAddress", "ec2:ReleaseAddress", "ec2:DisassociateAddress", ...TAGS_EC2], arns: ec2("elastic-ip") },
        { actions: ["ec2:DescribeAddresses", "ec2:DescribeAddressesAttribute"], arns: () => ["*"] },
    ],
    "aws:ec2/natGateway:NatGateway": [
        { actions: ["ec2:CreateNatGateway", "ec2:DeleteNatGateway", ...TAGS_EC2], arns: ec2("natgateway", "subnet", "elastic-ip") },
        { actions: ["ec2:DescribeNatGateways"], arns: () => ["*"] },
    ],
    "aws:ec2/instance:Instance": [
        {
            actions: ["ec2:RunInstances"],
            arns: (_r, _a, c) => [...ec2("instance", "subnet", "security-group", "network-interface", "volume")(_r, _a, c), arn(c, "ec2", "image/*", { account: false })],
        },
        {
            actions: ["ec2:TerminateInstances", "ec2:StopInstances", "ec2:StartInstances", "ec2:ModifyInstanceAttribute", "ec2:DescribeInstanceAttribute", "ec2:ModifyInstanceMetadataOptions", "ec2:ModifyInstanceCreditSpecification", ...TAGS_EC2],
            arns: ec2("instance", "volume", "security-group"),
        },
        { actions: ["ec2:DescribeInstances", "ec2:DescribeInstanceTypes", "ec2:DescribeImages", "ec2:DescribeVolumes", "ec2:DescribeInstanceCreditSpecifications", "ec2:DescribeInstanceStatus"], arns: () => ["*"] },
        // `ami: resolve:ssm:<public parameter>`: EC2 reads AWS's public AMI parameter as the caller.
        { actions: ["ssm:GetParameters"], arns: (_r, _a, c) => [`arn:${c.partition}:ssm:${c.region}:*:parameter/aws/service/ami-amazon-linux-latest/*`] },
    ],
    "aws:batch/computeEnvironment:ComputeEnvironment": [
        { actions: ["batch:CreateComputeEnvironment", "batch:UpdateComputeEnvironment", "batch:DeleteComputeEnvironment", "batch:TagResource", "batch:UntagResource", "batch:ListTagsForResource"], arns: named("batch", (n) => `compute-environment/${n}`) },
        { actions: ["batch:DescribeComputeEnvironments"], arns: () => ["*"] },
        // Batch and EC2 Spot act through their service-linked roles, created on first use.
        { actions: ["iam:CreateServiceLinkedRole"], arns: (_r, _a, c) => [arn(c, "iam", "role/aws-service-role/*", { region: false })], condition: { StringEquals: { "iam:AWSServiceName": ["batch.amazonaws.com", "spot.amazonaws.com", "autoscaling.amazonaws.com", "ecs.amazonaws.com"] } } },
    ],
    "aws:batch/jobQueue:JobQueue": [
        {
            actions: ["batch:CreateJobQueue", "batch:UpdateJobQueue", "batch:DeleteJobQueue", "batch:TagResource", "batch:UntagResource", "batch:ListTagsForResource"],
            arns: (r, all, c) => [...named("batch", (n) => `job-queue/${n}`)(r, all, c), ...ofAll("aws:batch/computeEnvironment:ComputeEnvironment", "batch", (n) => `compute-environment/${n}`)(r, all, c)],
        },
        { actions: ["batch:DescribeJobQueues"], arns: () => ["*"] },
    ],
    "aws:ecs/cluster:Cluster": [
        { actions: ["ecs:CreateCluster", "ecs:DescribeClusters", "ecs:UpdateCluster", "ecs:UpdateClusterSettings", "ecs:PutClusterCapacityProviders", "ecs:DeleteCluster", "ecs:TagResource", "ecs:UntagResource", "ecs:ListTagsForResource"], arns: named("ecs", (n) => `cluster/${n}`) },
    ],
    "aws:ecs/taskDefinition:TaskDefinition": [
        { actions: ["ecs:RegisterTaskDefinition", "ecs:DeleteTaskDefinitions", "ecs:TagResource", "ecs:UntagResource", "ecs:ListTagsForResource"], arns: named("ecs", (n) => `task-definition/${n}:*`, "family") },
        { actions: ["ecs:DescribeTaskDefinition", "ecs:DeregisterTaskDefinition"], arns: () => ["*"] },
    ],
    "aws:ecs/service:Service": [
        {
            actions: ["ecs:CreateService", "ecs:UpdateService", "ecs:DeleteService", "ecs:DescribeServices", "ecs:TagResource", "ecs:UntagResource", "ecs:ListTagsForResource"],
            arns: (r, all, c) => ofType(all, "aws:ecs/cluster:Cluster").map((cl) => arn(c, "ecs", `service/${physical(cl)}/${physical(r)}`)),
        },
    ],
    "aws:appautoscaling/target:Target": [
        { actions: ["application-autoscaling:RegisterScalableTarget", "application-autoscaling:DeregisterScalableTarget", "application-autoscaling:TagResource", "application-autoscaling:UntagResource", "application-autoscaling:ListTagsForResource"], arns: ec2Like("application-autoscaling", "scalable-target") },
        { actions: ["application-autoscaling:DescribeScalableTargets"], arns: () => ["*"] },
        { actions: ["iam:CreateServiceLinkedRole"], arns: (_r, _a, c) => [arn(c, "iam", "role/aws-service-role/*", { region: false })], condition: { StringEquals: { "iam:AWSServiceName": "ecs.application-autoscaling.amazonaws.com" } } },
    ],
    "aws:appautoscaling/policy:Policy": [
        { actions: ["application-autoscaling:PutScalingPolicy", "application-autoscaling:DeleteScalingPolicy"], arns: ec2Like("application-autoscaling", "scalable-target") },
        { actions: ["application-autoscaling:DescribeScalingPolicies"], arns: () => ["*"] },
    ],
    "aws:lb/loadBalancer:LoadBalancer": [
        {
            actions: ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets", "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            arns: lbArns("loadbalancer"),
        },
        { actions: ["elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes", "elasticloadbalancing:DescribeTags"], arns: () => ["*"] },
        { actions: ["iam:CreateServiceLinkedRole"], arns: (_r, _a, c) => [arn(c, "iam", "role/aws-service-role/*", { region: false })], condition: { StringEquals: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" } } },
    ],
    "aws:lb/targetGroup:TargetGroup": [
        { actions: ["elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"], arns: named("elasticloadbalancing", (n) => `targetgroup/${n}/*`) },
        { actions: ["elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTags"], arns: () => ["*"] },
    ],
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": [
        { actions: ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"], arns: ofAll("aws:lb/targetGroup:TargetGroup", "elasticloadbalancing", (n) => `targetgroup/${n}/*`) },
        { actions: ["elasticloadbalancing:DescribeTargetHealth"], arns: () => ["*"] },
    ],
    "aws:lb/listener:Listener": [
        { actions: ["elasticloadbalancing:CreateListener", "elasticloadbalancing:AddTags"], arns: lbArns("loadbalancer") },
        { actions: ["elasticloadbalancing:DeleteListener", "elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"], arns: lbArns("listener") },
        { actions: ["elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeListenerAttributes", "elasticloadbalancing:DescribeListenerCertificates", "elasticloadbalancing:DescribeTags"], arns: () => ["*"] },
    ],
    "aws:lb/listenerRule:ListenerRule": [
        { actions: ["elasticloadbalancing:CreateRule", "elasticloadbalancing:AddTags"], arns: lbArns("listener") },
        { actions: ["elasticloadbalancing:DeleteRule", "elasticloadbalancing:ModifyRule", "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"], arns: lbArns("listener-rule") },
        { actions: ["elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTags"], arns: () => ["*"] },
    ],
    "aws:rds/instance:Instance": [
        {
            actions: ["rds:CreateDBInstance", "rds:DescribeDBInstances", "rds:ModifyDBInstance", "rds:DeleteDBInstance", "rds:RebootDBInstance", "rds:AddTagsToResource", "rds:RemoveTagsFromResource", "rds:ListTagsForResource", "rds:CreateDBSnapshot"],
            arns: (r, all, c) => [
                arn(c, "rds", `db:${physical(r, "identifier")}`),
                arn(c, "rds", `snapshot:${physical(r, "identifier")}-*`),
                ...ofAll("aws:rds/parameterGroup:ParameterGroup", "rds", (n) => `pg:${n}`)(r, all, c),
                ...ofAll("aws:rds/subnetGroup:SubnetGroup", "rds", (n) => `subgrp:${n}`)(r, all, c),
            ],
        },
        // manageMasterUserPassword: RDS creates the secret `rds!db-<id>` as the caller.
        { actions: ["secretsmanager:CreateSecret", "secretsmanager:TagResource", "secretsmanager:DescribeSecret"], arns: (_r, _a, c) => [arn(c, "secretsmanager", "secret:rds!db-*")] },
        { actions: ["iam:CreateServiceLinkedRole"], arns: (_r, _a, c) => [arn(c, "iam", "role/aws-service-role/*", { region: false })], condition: { StringEquals: { "iam:AWSServiceName": "rds.amazonaws.com" } } },
    ],
    "aws:rds/parameterGroup:ParameterGroup": [
        { actions: ["rds:CreateDBParameterGroup", "rds:ModifyDBParameterGroup", "rds:DeleteDBParameterGroup", "rds:DescribeDBParameterGroups", "rds:DescribeDBParameters", "rds:AddTagsToResource", "rds:RemoveTagsFromResource", "rds:ListTagsForResource"], arns: named("rds", (n) => `pg:${n}`) },
    ],
    "aws:rds/subnetGroup:SubnetGroup": [
        { actions: ["rds:CreateDBSubnetGroup", "rds:ModifyDBSubnetGroup", "rds:DeleteDBSubnetGroup", "rds:DescribeDBSubnetGroups", "rds:AddTagsToResource", "rds:RemoveTagsFromResource", "rds:ListTagsForResource"], arns: named("rds", (n) => `subgrp:${n}`) },
    ],
    "aws:dynamodb/table:Table": [
        {
            actions: ["dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:UpdateTable", "dynamodb:DeleteTable", "dynamodb:DescribeContinuousBackups", "dynamodb:UpdateContinuousBackups", "dynamodb:DescribeTimeToLive", "dynamodb:UpdateTimeToLive", "dynamodb:TagResource", "dynamodb:UntagResource", "dynamodb:ListTagsOfResource"],
            arns: named("dynamodb", (n) => `table/${n}`),
        },
    ],
    "aws:cloudwatch/logGroup:LogGroup": [
        { actions: ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource"], arns: logGroupArns },
        { actions: ["logs:DescribeLogGroups"], arns: () => ["*"] },
    ],
    "aws:cloudwatch/metricAlarm:MetricAlarm": [
        { actions: ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource"], arns: named("cloudwatch", (n) => `alarm:${n}`) },
    ],
    "aws:cloudwatch/eventRule:EventRule": [
        { actions: ["events:PutRule", "events:DescribeRule", "events:DeleteRule", "events:EnableRule", "events:DisableRule", "events:TagResource", "events:UntagResource", "events:ListTagsForResource"], arns: named("events", (n) => `rule/${n}`) },
    ],
    "aws:cloudwatch/eventTarget:EventTarget": [
        { actions: ["events:PutTargets", "events:RemoveTargets", "events:ListTargetsByRule"], arns: ofAll("aws:cloudwatch/eventRule:EventRule", "events", (n) => `rule/${n}`) },
    ],
    "aws:sns/topic:Topic": [
        { actions: ["sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:TagResource", "sns:UntagResource", "sns:ListTagsForResource"], arns: named("sns", (n) => n) },
    ],
    "aws:sns/topicPolicy:TopicPolicy": [{ actions: ["sns:SetTopicAttributes", "sns:GetTopicAttributes"], arns: ofAll("aws:sns/topic:Topic", "sns", (n) => n) }],
    "aws:sns/topicSubscription:TopicSubscription": [
        {
            actions: ["sns:Subscribe", "sns:Unsubscribe", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes"],
            // The stack's own topic, or the foundation's (`alarmTopicArn`), whose ARN the plan knows.
            arns: (r, all, c) => [...ofAll("aws:sns/topic:Topic", "sns", (n) => n)(r, all, c), ...(typeof r.inputs.topic === "string" && r.inputs.topic.startsWith("arn:") ? [r.inputs.topic] : [])],
        },
    ],
    "aws:sqs/queue:Queue": [
        { actions: ["sqs:CreateQueue", "sqs:DeleteQueue", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes", "sqs:GetQueueUrl", "sqs:TagQueue", "sqs:UntagQueue", "sqs:ListQueueTags"], arns: named("sqs", (n) => n) },
    ],
    "aws:sqs/queuePolicy:QueuePolicy": [{ actions: ["sqs:SetQueueAttributes", "sqs:GetQueueAttributes"], arns: ofAll("aws:sqs/queue:Queue", "sqs", (n) => n) }],
    "aws:ssm/parameter:Parameter": [
        { actions: ["ssm:PutParameter", "ssm:GetParameter", "ssm:GetParameters", "ssm:DeleteParameter", "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource", "ssm:ListTagsForResource"], arns: named("ssm", (n) => `parameter/${n.replace(/^\//, "")}`) },
        { actions: ["ssm:DescribeParameters"], arns: () => ["*"] },
    ],
    "aws:secretsmanager/secret:Secret": [
        { actions: ["secretsmanager:CreateSecret", "secretsmanager:DescribeSecret", "secretsmanager:UpdateSecret", "secretsmanager:DeleteSecret", "secretsmanager:GetResourcePolicy", "secretsmanager:TagResource", "secretsmanager:UntagResource"], arns: named("secretsmanager", (n) => `secret:${n}-*`) },
    ],
    "aws:secretsmanager/secretVersion:SecretVersion": [
        { actions: ["secretsmanager:PutSecretValue", "secretsmanager:GetSecretValue", "secretsmanager:UpdateSecretVersionStage"], arns: ofAll("aws:secretsmanager/secret:Secret", "secretsmanager", (n) => `secret:${n}-*`) },
    ],
    "aws:budgets/budget:Budget": [
        { actions: ["budgets:ModifyBudget", "budgets:ViewBudget", "budgets:TagResource", "budgets:UntagResource", "budgets:ListTagsForResource"], arns: named("budgets", (n) => `budget/${n}`, "name", { region: false }) },
    ],
    // Model serving (components/serving): a model's group, named `<namePrefix>-<model>` by the program.
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": [
        {
            actions: ["sagemaker:CreateModelPackageGroup", "sagemaker:DescribeModelPackageGroup", "sagemaker:DeleteModelPackageGroup", "sagemaker:AddTags", "sagemaker:DeleteTags", "sagemaker:ListTags"],
            arns: named("sagemaker", (n) => `model-package-group/${n}`, "modelPackageGroupName"),
        },
    ],
    // Studio workspaces (components/workspaces): the domain (AWS names it by an id it chooses), each engineer's user
    // profile (`user-profile/<domain id>/<name>`) and the lifecycle configuration (replaced, never updated: SageMaker has
    // no UpdateStudioLifecycleConfig).
    "aws:sagemaker/domain:Domain": [
        { actions: ["sagemaker:CreateDomain", "sagemaker:DescribeDomain", "sagemaker:UpdateDomain", "sagemaker:DeleteDomain", ...SAGEMAKER_TAGS], arns: (_r, _a, c) => [arn(c, "sagemaker", "domain/*")] },
        // A VpcOnly domain's subnets, VPC and security groups are read as the caller.
        { actions: ["sagemaker:ListDomains", "ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces"], arns: () => ["*"] },
        // The domain's key encrypts the home EFS and the spaces' EBS volumes: SageMaker creates grants on it as the caller.
        { actions: ["kms:CreateGrant", "kms:DescribeKey"], arns: (r, _a, c) => (literalArn(r.inputs.kmsKeyId, ":kms:") ? [r.inputs.kmsKeyId] : [arn(c, "kms", "key/*")]) },
        studioPassRole("defaultUserSettings"),
    ],
    "aws:sagemaker/userProfile:UserProfile": [
        {
            actions: ["sagemaker:CreateUserProfile", "sagemaker:DescribeUserProfile", "sagemaker:UpdateUserProfile", "sagemaker:DeleteUserProfile", ...SAGEMAKER_TAGS],
            arns: (r, _a, c) => [arn(c, "sagemaker", `user-profile/*/${physical(r, "userProfileName")}`)],
        },
        { actions: ["sagemaker:ListUserProfiles"], arns: () => ["*"] },
        studioPassRole("userSettings"),
    ],
    "aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig": [
        {
            actions: ["sagemaker:CreateStudioLifecycleConfig", "sagemaker:DescribeStudioLifecycleConfig", "sagemaker:DeleteStudioLifecycleConfig", ...SAGEMAKER_TAGS],
            arns: named("sagemaker", (n) => `studio-lifecycle-config/${n}`, "studioLifecycleConfigName"),
        },
    ],
    "aws:ecr/repository:Repository": [
        {
            actions: ["ecr:CreateRepository", "ecr:DeleteRepository", "ecr:PutImageScanningConfiguration", "ecr:PutImageTagMutability", "ecr:TagResource", "ecr:UntagResource", ...ECR_READ],
            arns: named("ecr", (n) => `repository/${n}`),
        },
    ],
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": [
        { actions: ["ecr:PutLifecyclePolicy", "ecr:GetLifecyclePolicy", "ecr:DeleteLifecyclePolicy"], arns: ofAll("aws:ecr/repository:Repository", "ecr", (n) => `repository/${n}`) },
    ],
    "aws:ecr/pullThroughCacheRule:PullThroughCacheRule": [
        { actions: ["ecr:CreatePullThroughCacheRule", "ecr:DescribePullThroughCacheRules", "ecr:UpdatePullThroughCacheRule", "ecr:DeletePullThroughCacheRule"], arns: () => ["*"] },
    ],
    "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate": [
        { actions: ["ecr:CreateRepositoryCreationTemplate", "ecr:DescribeRepositoryCreationTemplates", "ecr:UpdateRepositoryCreationTemplate", "ecr:DeleteRepositoryCreationTemplate"], arns: () => ["*"] },
    ],
    "aws:sfn/stateMachine:StateMachine": [
        { actions: ["states:CreateStateMachine", "states:DescribeStateMachine", "states:UpdateStateMachine", "states:DeleteStateMachine", "states:TagResource", "states:UntagResource", "states:ListTagsForResource", "states:ListStateMachineVersions"], arns: named("states", (n) => `stateMachine:${n}`) },
        // Execution logging to CloudWatch Logs goes through log deliveries, which have no resource-level permissions.
        { actions: ["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies"], arns: () => ["*"] },
    ],
    "aws:apigateway/restApi:RestApi": [apiGateway(["/restapis", "/restapis/*"])],
    "aws:apigateway/resource:Resource": [apiGateway(["/restapis/*"])],
    "aws:apigateway/method:Method": [apiGateway(["/restapis/*"])],
    "aws:apigateway/methodSettings:MethodSettings": [apiGateway(["/restapis/*"])],
    "aws:apigateway/integration:Integration": [apiGateway(["/restapis/*"])],
    "aws:apigateway/deployment:Deployment": [apiGateway(["/restapis/*"])],
    "aws:apigateway/stage:Stage": [apiGateway(["/restapis/*", "/tags/*"])],
    "aws:apigateway/account:Account": [apiGateway(["/account"])],
    "aws:apigateway/apiKey:ApiKey": [apiGateway(["/apikeys", "/apikeys/*", "/tags/*"])],
    "aws:apigateway/usagePlan:UsagePlan": [apiGateway(["/usageplans", "/usageplans/*", "/tags/*"])],
    "aws:apigateway/usagePlanKey:UsagePlanKey": [apiGateway(["/usageplans/*"])],
    "aws:apigateway/vpcLink:VpcLink": [apiGateway(["/vpclinks", "/vpclinks/*", "/tags/*"])],
};

/** A string that is an ARN of the service (`:kms:`, `:iam:`), not an unknown or a name. */
function literalArn(value: unknown, service: string): value is string {
    return typeof value === "string" && value.startsWith("arn:") && value.includes(service);
}

/**
 * Creating a domain or profile passes its execution role to SageMaker: iam:PassRole on that role when the plan names
 * it, else on the stack's roles, and only to SageMaker.
 */
function studioPassRole(settings: "defaultUserSettings" | "userSettings"): Grant {
    return {
        actions: ["iam:PassRole"],
        arns: (r, all, c) => {
            const role = r.inputs[settings]?.executionRole;
            return literalArn(role, ":iam:") ? [role] : roleArns(r, all, c);
        },
        condition: { StringEquals: { "iam:PassedToService": "sagemaker.amazonaws.com" } },
        sid: "PassRole",
    };
}

/** API Gateway's REST management actions are its HTTP verbs on the API's paths (no account in the ARN). */
function apiGateway(paths: string[]): Grant {
    return { actions: ["apigateway:GET", "apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"], arns: (_r, _a, c) => paths.map((p) => arn(c, "apigateway", p, { account: false })) };
}

/** Resources AWS names by an identifier it chooses: every one of the type in the stack's region and account. */
function ec2Like(service: string, kind: string) {
    return (_r: PlannedResource, _all: PlannedResource[], c: Required<DeployerContext>) => [arn(c, service, `${kind}/*`)];
}

/**
 * Types that call no AWS API: components (their children are planned and granted), the stack, references, and the
 * random provider's resources (generated locally).
 */
export function needsNoGrant(type: string): boolean {
    return /^(metaflow|random):/.test(type) || type === "pulumi:pulumi:Stack" || type === "pulumi:pulumi:StackReference" || (type.startsWith("pulumi:providers:") && type !== "pulumi:providers:aws");
}

/** The grant table's types that cover `type` (for the tests: every planned type is covered). */
export function grantsFor(type: string): Grant[] | undefined {
    return DEPLOYER_GRANTS[type];
}

const sidOf = (type: string) =>
    type
        .split(/[:/]/)
        .filter((p, i) => i > 0 && p)
        .map((p) => p.replace(/[^A-Za-z0-9]/g, ""))
        .map((p) => p[0].toUpperCase() + p.slice(1))
        .filter((p, i, all) => all.indexOf(p) === i)
        .join("");

/**
 * The deployer policy of a planned stack. Statements are per resource type (resource-level actions on that type's
 * ARNs), then one statement of the actions that take only `"*"`; duplicate actions and ARNs are merged.
 */
export function deployerPolicy(resources: PlannedResource[], context: DeployerContext): DeployerPolicy {
    const c: Required<DeployerContext> = { partition: "aws", ...context };
    const types = [...new Set(resources.map((r) => r.type))].sort();
    const unknown = types.filter((t) => !needsNoGrant(t) && !DEPLOYER_GRANTS[t]);
    if (unknown.length) throw new UnknownTypeError(`the deployer policy has no grants for resource type${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}: add ${unknown.length > 1 ? "them" : "it"} to DEPLOYER_GRANTS in policies/lib/deployer.ts`);
    const scoped = new Map<string, { actions: Set<string>; resources: Set<string>; condition?: DeployerStatement["Condition"] }>();
    const star = new Set<string>();
    for (const type of types) {
        const grants = DEPLOYER_GRANTS[type] ?? [];
        const ofThisType = resources.filter((r) => r.type === type);
        grants.forEach((g, i) => {
            const arns = [...new Set(ofThisType.flatMap((r) => g.arns(r, resources, c)))];
            const wildcardOnly = g.actions.filter((a) => isWildcardOnly(a) || arns.includes("*"));
            for (const a of wildcardOnly) star.add(a);
            const rest = g.actions.filter((a) => !wildcardOnly.includes(a));
            if (!rest.length) return;
            const key = g.condition ? `${sidOf(type)}${g.sid ?? "ServiceLinkedRole"}${i}` : sidOf(type);
            const entry = scoped.get(key) ?? { actions: new Set<string>(), resources: new Set<string>(), condition: g.condition };
            rest.forEach((a) => entry.actions.add(a));
            arns.filter((a) => a !== "*").forEach((a) => entry.resources.add(a));
            scoped.set(key, entry);
        });
    }
    const statements: DeployerStatement[] = [...scoped].map(([sid, e]) => ({
        Sid: sid,
        Effect: "Allow" as const,
        Action: [...e.actions].sort(),
        Resource: [...e.resources].sort(),
        ...(e.condition ? { Condition: e.condition } : {}),
    }));
    if (star.size) statements.push({ Sid: "NoResourceLevelPermissions", Effect: "Allow", Action: [...star].sort(), Resource: ["*"] });
    return { Version: "2012-10-17", Statement: statements };
}

export { UnknownTypeError };

/** IAM's limit on a managed policy's size: 6,144 characters, whitespace not counted (IAM and AWS STS quotas). */
export const MANAGED_POLICY_MAX_CHARS = 6144;

const size = (doc: unknown) => JSON.stringify(doc).replace(/\s/g, "").length;

/**
 * The policy cut into managed policies under IAM's size limit, whole statements in each, in order (a role takes up
 * to 10 managed policies by default).
 */
export function splitForManagedPolicies(policy: DeployerPolicy, limit = MANAGED_POLICY_MAX_CHARS): DeployerPolicy[] {
    const parts: DeployerPolicy[] = [];
    for (const statement of policy.Statement) {
        const last = parts[parts.length - 1];
        if (last && size({ ...last, Statement: [...last.Statement, statement] }) <= limit) last.Statement.push(statement);
        else {
            const part: DeployerPolicy = { Version: "2012-10-17", Statement: [statement] };
            if (size(part) > limit) throw new Error(`statement ${statement.Sid} alone exceeds the ${limit}-character limit of a managed policy`);
            parts.push(part);
        }
    }
    return parts;
}

/** The characters IAM counts in a policy document. */
export function policySize(doc: unknown): number {
    return size(doc);
}
