/**
 * Physical names under AWS length limits. Pulumi's auto-naming appends a random suffix to the logical name, which
 * breaks limits such as 32 characters for load balancers; resources with tight limits get a deterministic name from
 * here instead: a readable prefix, truncated, plus a short hash of the full name so truncated names stay unique.
 */
import { createHash } from "crypto";

import { AWS_DATA } from "../aws-facts/data";

/** The longest name AWS accepts for a resource type's name input, from AWS's models (aws-facts/constraints.json). */
function awsMax(type: string, input = "name"): number {
    const max = AWS_DATA.fields[type]?.[input]?.maxLength;
    if (max === undefined) throw new Error(`aws-facts/constraints.json has no length limit for ${type} ${input}: regenerate it (npm run -s aws-constraints -- --write)`);
    return max;
}

/** AWS name length limits the platform relies on, read from AWS's models rather than written here. */
export const NAME_LIMITS = {
    loadBalancer: awsMax("aws:lb/loadBalancer:LoadBalancer"),
    targetGroup: awsMax("aws:lb/targetGroup:TargetGroup"),
    iamRole: awsMax("aws:iam/role:Role"),
    iamPolicy: awsMax("aws:iam/policy:Policy"),
    stateMachine: awsMax("aws:sfn/stateMachine:StateMachine"),
    eventRule: awsMax("aws:cloudwatch/eventRule:EventRule"),
    logGroup: awsMax("aws:cloudwatch/logGroup:LogGroup"),
    dynamoTable: awsMax("aws:dynamodb/table:Table"),
    batchName: awsMax("aws:batch/jobQueue:JobQueue"),
    ecsCluster: awsMax("aws:ecs/cluster:Cluster"),
    rdsIdentifier: awsMax("aws:rds/instance:Instance", "identifier"),
    s3Bucket: awsMax("aws:s3/bucket:Bucket", "bucket"),
    secret: awsMax("aws:secretsmanager/secret:Secret"),
    kmsAlias: awsMax("aws:kms/alias:Alias"),
    sagemakerDomain: awsMax("aws:sagemaker/domain:Domain", "domainName"),
    sagemakerUserProfile: awsMax("aws:sagemaker/userProfile:UserProfile", "userProfileName"),
    sagemakerStudioLifecycleConfig: awsMax("aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig", "studioLifecycleConfigName"),
    sagemakerModelPackageGroup: awsMax("aws:sagemaker/modelPackageGroup:ModelPackageGroup", "modelPackageGroupName"),
    sagemakerModel: awsMax("aws:sagemaker/model:Model"),
    sagemakerEndpointConfig: awsMax("aws:sagemaker/endpointConfiguration:EndpointConfiguration"),
    sagemakerEndpoint: awsMax("aws:sagemaker/endpoint:Endpoint"),
};

/** IAM role names: 1-64 characters of letters, digits and +=,.@_- . */
export const IAM_ROLE_NAME = /^[A-Za-z0-9+=,.@_-]{1,64}$/;

/**
 * `<prefix>-<suffix>`, at most `max` characters. When it does not fit, the end is cut and a 6-character hash of the
 * whole name keeps it unique and stable across runs.
 */
export function physicalName(prefix: string, suffix: string, max: number): string {
    const full = suffix ? `${prefix}-${suffix}` : prefix;
    if (full.length <= max) return full;
    const hash = createHash("sha256").update(full).digest("hex").slice(0, 6);
    return `${full.slice(0, max - 7).replace(/-+$/, "")}-${hash}`;
}

/** Longest Metaflow flow name that still fits `<prefix>_<FlowName>` in a state machine name. */
export function maxFlowNameLength(stateMachinePrefix: string): number {
    return NAME_LIMITS.stateMachine - stateMachinePrefix.length - 1;
}
