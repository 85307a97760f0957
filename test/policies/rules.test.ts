/**
 * Every rule of the three packs, each with a compliant and a violating resource list built as plain fixtures. A final test
 * fails when a rule has no case here, so a new rule cannot ship untested.
 */
import { expect } from "chai";

import { AWS_RULES } from "../../policies/aws/rules";
import { costRules } from "../../policies/cost/rules";
import { evaluate, Rule } from "../../policies/lib/rule";
import { PolicySettings } from "../../policies/lib/settings";
import { T } from "../../policies/lib/types";
import { ResourceView } from "../../policies/lib/view";
import { SECURITY_RULES } from "../../policies/security/rules/index";
import { compliantBucket, doc, eventTarget, PROVIDER, replace, res, withProvider, without } from "./fixtures";
import { profile, studioPlan } from "./studio-fixtures";

interface Case {
    settings?: Partial<PolicySettings>;
    good: ResourceView[];
    bad: ResourceView[];
    /** What the violation must say. */
    expect: RegExp;
}

const KEY = "arn:aws:kms:us-east-1:123456789012:key/k";
const prod: Partial<PolicySettings> = { environment: "prod" };
const dev: Partial<PolicySettings> = { environment: "dev" };

const DB = {
    instanceClass: "db.t4g.small", engine: "postgres", engineVersion: "16.4", storageEncrypted: true, kmsKeyId: KEY, publiclyAccessible: false,
    backupRetentionPeriod: 7, multiAz: true, deletionProtection: true, autoMinorVersionUpgrade: true, enabledCloudwatchLogsExports: ["postgresql"],
    copyTagsToSnapshot: true, allocatedStorage: 20,
};
const db = (props: Record<string, any> = {}) => [res(T.rdsInstance, "db", { ...DB, ...props })];
const role = (policy: object) => [res(T.rolePolicy, "rp", { role: "r", policy: doc(policy) })];
const container = (c: Record<string, any>) => [res(T.ecsTaskDefinition, "td", { family: "svc", containerDefinitions: JSON.stringify([{ name: "app", image: "x", readonlyRootFilesystem: true, ...c }]) })];
const lb = (props: Record<string, any> = {}) => res(T.lb, "alb", { internal: true, loadBalancerType: "application", dropInvalidHeaderFields: true, enableDeletionProtection: true, accessLogs: { enabled: true, bucket: "logs" }, ...props });
const sgIngress = (props: Record<string, any>) => [res(T.sgIngressRule, "in", { securityGroupId: "sg-1", ipProtocol: "tcp", fromPort: 443, toPort: 443, description: "HTTPS from VPN", ...props })];
const ce = (name: string, cr: Record<string, any>) => res(T.computeEnvironment, name, { type: "MANAGED", computeResources: { type: "SPOT", maxVcpus: 64, minVcpus: 0, instanceTypes: ["c5"], subnets: ["s"], ...cr } }, { outputs: { arn: `arn:aws:batch:us-east-1:1:compute-environment/${name}` } });
const queue = (name: string, ...envs: string[]) => res(T.jobQueue, name, { priority: 1, state: "ENABLED", computeEnvironmentOrders: envs.map((e, i) => ({ order: i + 1, computeEnvironment: `arn:aws:batch:us-east-1:1:compute-environment/${e}` })) });
const logGroup = (props: Record<string, any>) => [res(T.logGroup, "lg", { retentionInDays: 365, kmsKeyId: KEY, ...props })];
const TG = "aws:lb/targetGroup:TargetGroup";
const RULE = "aws:cloudwatch/eventRule:EventRule";
const fargateTask = (cpu: string, memory: string) => [res(T.ecsTaskDefinition, "td", { family: "svc", requiresCompatibilities: ["FARGATE"], cpu, memory, containerDefinitions: "[]" })];

export const CASES: Record<string, Case> = {
    // S3
    "s3-bucket-encryption-kms": {
        good: [...compliantBucket("data", { logTo: "logs" }), ...compliantBucket("logs", { sse: "AES256" }), lb({ accessLogs: { enabled: true, bucket: "alb-logs-id" } }), ...compliantBucket("alb-logs", { sse: "AES256" })],
        bad: [...without(compliantBucket("data"), T.bucketSse), ...compliantBucket("plain", { sse: "AES256" })],
        expect: /no BucketServerSideEncryptionConfiguration|AES256 is allowed only on access-log/,
    },
    "s3-bucket-versioning": { good: compliantBucket("data"), bad: replace(compliantBucket("data"), T.bucketVersioning, { versioningConfiguration: { status: "Suspended" } }), expect: /versioning is not Enabled/ },
    "s3-bucket-access-logging-prod": {
        settings: prod,
        good: [...compliantBucket("data", { logTo: "logs" }), ...compliantBucket("logs", { sse: "AES256" })],
        bad: compliantBucket("data"),
        expect: /no BucketLogging in prod/,
    },
    "s3-public-access-block": { good: compliantBucket("data"), bad: replace(compliantBucket("data"), T.bucketPab, { restrictPublicBuckets: false }), expect: /restrictPublicBuckets off/ },
    "s3-acls-disabled": { good: compliantBucket("data"), bad: replace(compliantBucket("data"), T.bucketOwnership, { rule: { objectOwnership: "ObjectWriter" } }), expect: /ACLs are not disabled/ },
    "s3-bucket-policy-tls-only": { good: compliantBucket("data"), bad: without(compliantBucket("data"), T.bucketPolicy), expect: /aws:SecureTransport/ },
    "s3-bucket-policy-no-public-principal": {
        good: compliantBucket("data"),
        bad: [res(T.bucketPolicy, "p", { bucket: "b", policy: doc({ Sid: "Public", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }) })],
        expect: /allows Principal "\*"/,
    },
    "s3-lifecycle-abort-multipart": {
        good: compliantBucket("data"),
        bad: replace(compliantBucket("data"), T.bucketLifecycle, { rules: [{ id: "x", status: "Enabled", expiration: { days: 30 } }] }),
        expect: /aborts incomplete multipart/,
    },
    // RDS
    "rds-storage-encrypted": { good: db(), bad: db({ storageEncrypted: false }), expect: /storageEncrypted/ },
    "rds-not-publicly-accessible": { good: db(), bad: db({ publiclyAccessible: true }), expect: /publiclyAccessible/ },
    "rds-backup-retention": { settings: prod, good: db(), bad: db({ backupRetentionPeriod: 1 }), expect: /below 7/ },
    "rds-multi-az-prod": { settings: prod, good: db(), bad: db({ multiAz: false }), expect: /multiAz/ },
    "rds-deletion-protection-prod": { settings: prod, good: db(), bad: db({ deletionProtection: false }), expect: /deletionProtection/ },
    "rds-auto-minor-version-upgrade": { good: db(), bad: db({ autoMinorVersionUpgrade: false }), expect: /autoMinorVersionUpgrade/ },
    "rds-log-exports": { good: db(), bad: db({ enabledCloudwatchLogsExports: [] }), expect: /enabledCloudwatchLogsExports/ },
    "rds-managed-master-password": { good: db({ manageMasterUserPassword: true, masterUserSecretKmsKeyId: KEY }), bad: db({ password: "hunter2" }), expect: /password is set/ },
    "rds-final-snapshot-prod": { settings: prod, good: db({ skipFinalSnapshot: false, finalSnapshotIdentifier: "db-final" }), bad: db({ skipFinalSnapshot: true }), expect: /skipFinalSnapshot is true/ },
    "rds-copy-tags-to-snapshot": { good: db(), bad: db({ copyTagsToSnapshot: false }), expect: /copyTagsToSnapshot/ },
    "rds-force-ssl": {
        good: [...db({ engineVersion: "14.9", parameterGroupName: "pg-id" }), res(T.rdsParameterGroup, "pg", { family: "postgres14", parameters: [{ name: "rds.force_ssl", value: "1" }] })],
        bad: db({ engineVersion: "16.4", parameterGroupName: "default.postgres16" }),
        expect: /default\.postgres16 is a default parameter group/,
    },
    // IAM
    "iam-no-wildcard-action": { good: role({ Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::b/*" }), bad: role({ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::b/*" }), expect: /allows s3:\*/ },
    "iam-no-wildcard-resource-writes": {
        // AWS's IAM data: logs:CreateLogDelivery has no resource type; ec2:CreateNetworkInterface now has some.
        good: role({ Effect: "Allow", Action: ["ec2:DescribeSubnets", "logs:CreateLogDelivery"], Resource: "*" }),
        bad: role({ Effect: "Allow", Action: ["s3:PutObject"], Resource: "*" }),
        expect: /s3:PutObject on "\*"/,
    },
    "iam-no-privilege-escalation": {
        good: role({ Effect: "Allow", Action: "iam:PassRole", Resource: "arn:aws:iam::123456789012:role/mf-batch-job" }),
        bad: role({ Effect: "Allow", Action: ["iam:PassRole", "iam:AttachRolePolicy"], Resource: "*" }),
        expect: /privilege escalation/,
    },
    "iam-no-exfiltration-on-star": {
        good: role({ Effect: "Allow", Action: ["s3:GetObject", "secretsmanager:GetSecretValue"], Resource: ["arn:aws:s3:::b/*", "arn:aws:secretsmanager:us-east-1:123456789012:secret:mf/*"] }),
        bad: role({ Effect: "Allow", Action: "s3:Get*", Resource: "*" }),
        expect: /s3:Get\* on "\*"/,
    },
    "iam-batch-register-unprivileged": {
        good: role({ Effect: "Allow", Action: "batch:RegisterJobDefinition", Resource: "arn:aws:batch:us-east-1:123456789012:job-definition/metaflow_*", Condition: { BoolIfExists: { "batch:Privileged": "false" } } }),
        bad: role({ Effect: "Allow", Action: "batch:RegisterJobDefinition", Resource: "arn:aws:batch:us-east-1:123456789012:job-definition/metaflow_*" }),
        expect: /without a condition requiring batch:Privileged false/,
    },
    "iam-trust-specific-principals": {
        good: [res(T.role, "r", { assumeRolePolicy: doc({ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }) })],
        bad: [res(T.role, "r", { assumeRolePolicy: doc({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "sts:AssumeRole" }) })],
        expect: /whole account/,
    },
    "iam-real-actions-resources-conditions": {
        good: [
            ...role({ Effect: "Allow", Action: ["batch:SubmitJob"], Resource: ["arn:aws:batch:us-east-1:123456789012:job-queue/q", "arn:aws:batch:us-east-1:123456789012:job-definition/metaflow_*"] }),
            res(T.role, "r", { assumeRolePolicy: doc({ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } }) }),
            res(T.kmsKey, "k", { policy: doc({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*", Resource: "*" }) }),
        ],
        bad: [
            ...role({ Effect: "Allow", Action: ["batch:SubmitJobs"], Resource: "arn:aws:batch:us-east-1:123456789012:job-queue/q" }),
            res(T.bucketPolicy, "bp", { bucket: "b", policy: doc({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::b/*", Condition: { Bool: { "aws:SecureTransprt": "false" } } }) }),
        ],
        expect: /"batch:SubmitJobs" is no batch action[\s\S]*condition key "aws:SecureTransprt"/,
    },
    "iam-trust-satisfiable": {
        good: [
            res(T.role, "ec2", { assumeRolePolicy: doc({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }) }),
            res(T.role, "ecs", { assumeRolePolicy: doc({ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } }) }),
        ],
        bad: [res(T.role, "ec2", { assumeRolePolicy: doc({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } }) })],
        expect: /ec2\.amazonaws\.com does not supply/,
    },
    "iam-no-admin-access": {
        good: [res(T.rolePolicyAttachment, "a", { role: "r", policyArn: "arn:aws:iam::aws:policy/service-role/AWSBatchServiceRole" })],
        bad: [res(T.rolePolicyAttachment, "a", { role: "r", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" })],
        expect: /AdministratorAccess/,
    },
    "iam-no-broad-managed-policies": {
        good: [res(T.rolePolicyAttachment, "a", { role: "r", policyArn: "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role" }), res(T.rolePolicyAttachment, "own", { role: "r", policyArn: "arn:aws:iam::123456789012:policy/S3FullAccess" })],
        bad: [res(T.rolePolicyAttachment, "a", { role: "r", policyArn: "arn:aws:iam::aws:policy/PowerUserAccess" })],
        expect: /broad AWS managed policy arn:aws:iam::aws:policy\/PowerUserAccess/,
    },
    // Network
    "sg-no-public-ingress": { good: sgIngress({ cidrIpv4: "10.1.0.0/16" }), bad: sgIngress({ cidrIpv4: "0.0.0.0/0" }), expect: /0\.0\.0\.0\/0/ },
    "sg-rule-descriptions": {
        good: [res(T.securityGroup, "sg", { description: "svc", ingress: [{ protocol: "tcp", fromPort: 8080, toPort: 8080, securityGroups: ["sg-2"], description: "from ALB" }], egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["10.0.0.0/8"], description: "VPC" }] })],
        bad: [res(T.securityGroup, "sg", { description: "svc", ingress: [{ protocol: "tcp", fromPort: 8080, toPort: 8080, securityGroups: ["sg-2"] }] })],
        expect: /ingress\[0\] has no description/,
    },
    "sg-ingress-known-sources": { good: sgIngress({ referencedSecurityGroupId: "sg-vpn" }), bad: sgIngress({ cidrIpv4: "203.0.113.0/24" }), expect: /outside the allowed ranges/ },
    "lb-internal": { good: [lb(), { ...lb({ internal: false }), name: "ui" }], bad: [lb({ internal: false })], settings: { publicLoadBalancers: ["ui"] }, expect: /internet-facing/ },
    "lb-public-https-tls12": {
        good: [lb({ internal: false }), res(T.lbListener, "l", { loadBalancerArn: lb().outputs!.arn, protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06", defaultActions: [] })],
        bad: [{ ...lb({ internal: false }), outputs: { arn: "arn:lb" } }, res(T.lbListener, "l", { loadBalancerArn: "arn:lb", protocol: "HTTP", defaultActions: [{ type: "forward" }] })],
        expect: /HTTP on an internet-facing/,
    },
    "lb-listener-tls12-policy": {
        good: [res(T.lbListener, "l", { protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" }), res(T.lbListener, "h", { protocol: "HTTP" })],
        bad: [res(T.lbListener, "l", { protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-0-2021-06" })],
        expect: /accepts TLS below 1\.2/,
    },
    "lb-desync-strictest": { good: [lb({ desyncMitigationMode: "strictest" }), res(T.lb, "nlb", { loadBalancerType: "network" })], bad: [lb({ desyncMitigationMode: "monitor" })], expect: /desyncMitigationMode is monitor/ },
    "lb-drop-invalid-headers": { good: [lb()], bad: [lb({ dropInvalidHeaderFields: false })], expect: /dropInvalidHeaderFields/ },
    "lb-access-logs-prod": {
        settings: prod,
        // A TCP-only NLB has nothing to log (AWS writes NLB access logs for TLS listeners only); a TLS one must log.
        good: [lb(), res(T.lb, "nlb", { loadBalancerType: "network", internal: true }, { outputs: { arn: "arn:nlb" } }), res(T.lbListener, "l", { loadBalancerArn: "arn:nlb", protocol: "TCP", port: 443 })],
        bad: [lb({ accessLogs: undefined }), res(T.lb, "nlb", { loadBalancerType: "network", internal: true }, { outputs: { arn: "arn:nlb" } }), res(T.lbListener, "l", { loadBalancerArn: "arn:nlb", protocol: "TLS", port: 443 })],
        expect: /alb: access logs are not enabled in prod[\s\S]*nlb: access logs/,
    },
    "lb-deletion-protection-prod": { settings: prod, good: [lb()], bad: [lb({ enableDeletionProtection: false })], expect: /enableDeletionProtection/ },
    "apigateway-stage-access-logs": {
        good: [res(T.apiStage, "s", { stageName: "v1", accessLogSettings: { destinationArn: "arn:aws:logs:x", format: "{}" } })],
        bad: [res(T.apiStage, "s", { stageName: "v1" })],
        expect: /accessLogSettings/,
    },
    "apigateway-method-auth": {
        good: [res(T.apiMethod, "m", { httpMethod: "ANY", authorization: "NONE", apiKeyRequired: true }), res(T.apiMethod, "o", { httpMethod: "OPTIONS", authorization: "NONE" })],
        bad: [res(T.apiMethod, "m", { httpMethod: "GET", authorization: "NONE" })],
        expect: /no API key/,
    },
    "vpc-flow-logs": {
        good: [res(T.awsxVpc, "vpc", {}, { outputs: { vpcId: "vpc-1" } }), res(T.flowLog, "fl", { vpcId: "vpc-1", trafficType: "ALL" })],
        bad: [res(T.vpc, "vpc", { cidrBlock: "10.0.0.0/16" })],
        expect: /no flow log/,
    },
    // Compute
    "ecs-no-public-ip": {
        good: [res(T.ecsService, "svc", { networkConfiguration: { assignPublicIp: false, subnets: ["s"] } })],
        bad: [res(T.ecsService, "svc", { networkConfiguration: { assignPublicIp: true, subnets: ["s"] } })],
        expect: /assignPublicIp/,
    },
    "ecs-distinct-execution-role": {
        good: [res(T.ecsTaskDefinition, "td", { executionRoleArn: "arn:exec", taskRoleArn: "arn:task", containerDefinitions: "[]" })],
        bad: [res(T.ecsTaskDefinition, "td", { executionRoleArn: "arn:same", taskRoleArn: "arn:same", containerDefinitions: "[]" })],
        expect: /same role/,
    },
    "container-not-privileged": {
        good: container({}),
        bad: [res(T.jobDefinition, "jd", { type: "container", containerProperties: JSON.stringify({ image: "x", privileged: true }) })],
        expect: /privileged/,
    },
    "ecs-read-only-root": { good: container({}), bad: container({ readonlyRootFilesystem: false }), expect: /writable root/ },
    "ecs-container-insights": {
        good: [res(T.ecsCluster, "c", { settings: [{ name: "containerInsights", value: "enhanced" }] })],
        bad: [res(T.ecsCluster, "c", {})],
        expect: /containerInsights/,
    },
    "no-plaintext-secrets-in-env": {
        good: container({ environment: [{ name: "MF_METADATA_DB_HOST", value: "db" }, { name: "TOKENIZERS_PARALLELISM", value: "false" }, { name: "DB_SECRET_ARN", value: "arn:x" }], secrets: [{ name: "MF_METADATA_DB_PSWD", valueFrom: "arn:aws:secretsmanager:x" }] }),
        bad: [...container({ environment: [{ name: "MF_METADATA_DB_PSWD", value: "hunter2" }] }), res(T.lambda, "fn", { role: "r", environment: { variables: { apiKey: "abc" } } })],
        expect: /MF_METADATA_DB_PSWD holds a credential|apiKey holds a credential/,
    },
    "efs-transit-encryption": {
        good: [res(T.jobDefinition, "jd", { type: "container", containerProperties: JSON.stringify({ volumes: [{ name: "v", efsVolumeConfiguration: { fileSystemId: "fs-1", transitEncryption: "ENABLED" } }] }) })],
        bad: [res(T.ecsTaskDefinition, "td", { containerDefinitions: "[]", volumes: [{ name: "v", efsVolumeConfiguration: { fileSystemId: "fs-1" } }] })],
        expect: /without transit encryption/,
    },
    "imdsv2-required": {
        good: [res(T.launchTemplate, "lt", { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 } })],
        bad: [res(T.launchTemplate, "lt", { metadataOptions: { httpTokens: "optional" } })],
        expect: /IMDSv1/,
    },
    "launch-template-encrypted-volumes": {
        good: [res(T.launchTemplate, "lt", { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true", volumeType: "gp3" } }] })],
        bad: [res(T.launchTemplate, "lt", { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeType: "gp3" } }] })],
        expect: /not encrypted/,
    },
    "launch-template-imds-hop-limit": {
        good: [res(T.launchTemplate, "lt", { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 } }), res(T.launchTemplate, "off", { metadataOptions: { httpEndpoint: "disabled" } })],
        bad: [res(T.launchTemplate, "lt", { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 } })],
        expect: /httpPutResponseHopLimit is 2/,
    },
    "launch-template-no-public-ip": {
        good: [res(T.launchTemplate, "lt", { networkInterfaces: [{ associatePublicIpAddress: "false" }] })],
        bad: [res(T.launchTemplate, "lt", { networkInterfaces: [{ associatePublicIpAddress: "true" }] })],
        expect: /associatePublicIpAddress is true/,
    },
    "ecs-exec-disabled": {
        good: [res(T.ecsService, "svc", { enableExecuteCommand: false })],
        bad: [res(T.ecsService, "svc", { enableExecuteCommand: true })],
        expect: /enableExecuteCommand is true/,
    },
    "container-non-root": {
        good: [...container({ user: "1000:1000" }), ...container({ image: "public.ecr.aws/outerbounds/metaflow_metadata_service:v2.5.1" })],
        bad: container({ user: "0" }),
        expect: /runs as user 0/,
    },
    "container-image-digest": {
        good: [res(T.ecrRepository, "repo", { name: "mf/jobs" }), ...container({ image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/mf/jobs@sha256:${"a".repeat(64)}` }), ...container({ image: "python:3.12" })],
        bad: [res(T.ecrRepository, "repo", { name: "mf/jobs" }), ...container({ image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/mf/jobs:latest" })],
        expect: /pin it by digest/,
    },
    "sfn-execution-logging": {
        good: [res(T.stateMachine, "sm", { definition: "{}", roleArn: "r", loggingConfiguration: { level: "ALL", logDestination: "arn:aws:logs:x:*", includeExecutionData: true } })],
        bad: [res(T.stateMachine, "sm", { definition: "{}", roleArn: "r" })],
        expect: /loggingConfiguration/,
    },
    // Data
    "dynamodb-point-in-time-recovery": {
        good: [res(T.dynamoTable, "t", { pointInTimeRecovery: { enabled: true }, serverSideEncryption: { enabled: true, kmsKeyArn: KEY } })],
        bad: [res(T.dynamoTable, "t", { serverSideEncryption: { enabled: true, kmsKeyArn: KEY } })],
        expect: /pointInTimeRecovery/,
    },
    "dynamodb-customer-key": {
        good: [res(T.dynamoTable, "t", { serverSideEncryption: { enabled: true, kmsKeyArn: KEY } })],
        bad: [res(T.dynamoTable, "t", { serverSideEncryption: { enabled: false } })],
        expect: /customer-managed/,
    },
    "kms-key-rotation": { good: [res(T.kmsKey, "k", { enableKeyRotation: true })], bad: [res(T.kmsKey, "k", {})], expect: /enableKeyRotation/ },
    "kms-no-wildcard-principal": {
        good: [res(T.kmsKey, "k", { policy: doc({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*", Resource: "*" }) })],
        bad: [res(T.kmsKey, "k", { policy: doc({ Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:Decrypt", Resource: "*" }) })],
        expect: /Principal "\*"/,
    },
    "log-group-retention": { settings: prod, good: logGroup({}), bad: [...logGroup({ retentionInDays: 30 }), ...logGroup({ retentionInDays: undefined })], expect: /below 365|not set/ },
    "log-group-kms": { good: logGroup({}), bad: logGroup({ kmsKeyId: undefined }), expect: /kmsKeyId/ },
    "alarm-actions-enabled": { good: [res(T.metricAlarm, "a", { actionsEnabled: true, alarmActions: ["arn:aws:sns:us-east-1:1:t"] })], bad: [res(T.metricAlarm, "a", { actionsEnabled: false })], expect: /actionsEnabled/ },
    "sns-topic-encrypted": { good: [res(T.snsTopic, "t", { kmsMasterKeyId: KEY })], bad: [res(T.snsTopic, "t", {})], expect: /kmsMasterKeyId is not set/ },
    "sns-topic-policy-no-public-principal": {
        good: [res(T.snsTopicPolicy, "p", { arn: "t", policy: doc({ Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sns:Publish", Resource: "arn:aws:sns:us-east-1:123456789012:t" }) })],
        bad: [res(T.snsTopicPolicy, "p", { arn: "t", policy: doc({ Effect: "Allow", Principal: "*", Action: "sns:Publish", Resource: "arn:aws:sns:us-east-1:123456789012:t" }) })],
        expect: /allows Principal "\*"/,
    },
    "dynamodb-deletion-protection-prod": { settings: prod, good: [res(T.dynamoTable, "t", { deletionProtectionEnabled: true })], bad: [res(T.dynamoTable, "t", {})], expect: /deletionProtectionEnabled/ },
    "eventbridge-target-dlq-and-alarm": {
        good: eventTarget(),
        bad: eventTarget({ dlq: false, alarm: false }),
        expect: /no deadLetterConfig[\s\S]*no alarm with actions/,
    },
    "ssm-parameter-secure": {
        good: [res(T.ssmParameter, "p", { name: "/mf/service-url", type: "String", value: "http://x" }), res(T.ssmParameter, "k", { name: "/mf/auth-key", type: "SecureString", keyId: KEY, value: "[secret]" })],
        bad: [res(T.ssmParameter, "p", { name: "/mf/db-password", type: "String", value: "hunter2" })],
        expect: /holds a credential/,
    },
    "secrets-manager-customer-key": { good: [res(T.secret, "s", { kmsKeyId: KEY })], bad: [res(T.secret, "s", { kmsKeyId: "alias/aws/secretsmanager" })], expect: /customer-managed/ },
    "stateful-resources-protected-prod": {
        settings: prod,
        good: [res(T.bucket, "data", {}, { protect: true }), res(T.dynamoTable, "t", {}, { protect: false, retainOnDelete: true })],
        bad: [res(T.rdsInstance, "db", DB)],
        expect: /neither protected nor retained/,
    },
    "no-plaintext-secret-outputs": {
        good: [res(T.stack, "dev", { metaflowConfig: "[secret]", serviceUrl: "http://x", dbSecretArn: "arn:x" })],
        bad: [res(T.stack, "dev", { metaflowConfig: { METAFLOW_SERVICE_AUTH_KEY: "abc123" } })],
        expect: /metaflowConfig\.METAFLOW_SERVICE_AUTH_KEY/,
    },
    // SageMaker Studio workspaces (more shapes, and values unknown during a preview, in sagemaker.test.ts)
    "sagemaker-domain-vpc-only": { good: studioPlan(), bad: studioPlan({ domain: { appNetworkAccessType: "PublicInternetOnly" } }), expect: /appNetworkAccessType is PublicInternetOnly: set VpcOnly/ },
    "sagemaker-domain-customer-key": { good: studioPlan(), bad: studioPlan({ domain: { kmsKeyId: undefined } }), expect: /kmsKeyId is not set/ },
    "sagemaker-domain-no-docker": { good: studioPlan(), bad: studioPlan({ domain: { domainSettings: { dockerSettings: { enableDockerAccess: "ENABLED" } } } }), expect: /enableDockerAccess is ENABLED: set DISABLED/ },
    "sagemaker-domain-builtin-lcc": { good: studioPlan(), bad: studioPlan({ lcc: { studioLifecycleConfigAppType: "CodeEditor" } }), expect: /of app type CodeEditor, not JupyterLab/ },
    "sagemaker-profile-owner-tag": {
        good: studioPlan(),
        bad: studioPlan({ profiles: [profile("jane"), profile("omar", { tags: { studiouserid: "jane@example.com" } })] }),
        expect: /studiouserid=jane@example.com also tags user profile workspaces-profile-jane/,
    },
    // Cost
    "cost-instance-families": { settings: dev, good: [ce("cpu", { instanceTypes: ["c5", "m5.2xlarge"] })], bad: [ce("gpu", { instanceTypes: ["p4d.24xlarge"] })], expect: /p4d\.24xlarge are outside/ },
    "cost-compute-environment-max-vcpus": { settings: dev, good: [ce("cpu", { maxVcpus: 128 })], bad: [ce("cpu", { maxVcpus: 256 })], expect: /exceeds the cap of 128/ },
    "cost-total-max-vcpus": { settings: { environment: "dev", maxVcpusTotal: 200 }, good: [ce("a", { maxVcpus: 100 }), ce("b", { maxVcpus: 100 })], bad: [ce("a", { maxVcpus: 128 }), ce("b", { maxVcpus: 128 })], expect: /total 256 maxVcpus/ },
    "cost-min-vcpus-zero": { good: [ce("cpu", { minVcpus: 0 })], bad: [ce("cpu", { minVcpus: 8 })], expect: /minVcpus 8/ },
    "cost-gpu-spot-first": {
        good: [ce("gpu-spot", { instanceTypes: ["g5"] }), ce("gpu-od", { type: "EC2", instanceTypes: ["g5"] }), queue("gpu", "gpu-spot", "gpu-od")],
        bad: [ce("gpu-spot", { instanceTypes: ["g5"] }), ce("gpu-od", { type: "EC2", instanceTypes: ["g5"] }), queue("gpu", "gpu-od", "gpu-spot")],
        expect: /starts on gpu-od/,
    },
    "cost-db-instance-class": { settings: dev, good: db({ instanceClass: "db.t4g.micro" }), bad: db({ instanceClass: "db.r6g.large" }), expect: /db\.r6g\.large is not allowed in dev/ },
    "cost-db-no-multi-az-dev": { settings: dev, good: db({ multiAz: false }), bad: db({ multiAz: true }), expect: /single-AZ/ },
    "cost-nat-gateway-cap": {
        settings: { environment: "dev", maxNatGateways: 1 },
        good: [res(T.awsxVpc, "vpc", { natGateways: { strategy: "Single" }, numberOfAvailabilityZones: 2 })],
        bad: [res(T.awsxVpc, "vpc", { numberOfAvailabilityZones: 2 })],
        expect: /2 NAT gateways/,
    },
    "cost-log-retention-bounded": { settings: dev, good: logGroup({ retentionInDays: 14 }), bad: logGroup({ retentionInDays: 3653 }), expect: /exceeds 90/ },
    "cost-bucket-lifecycle": {
        good: compliantBucket("data"),
        bad: replace(compliantBucket("data"), T.bucketLifecycle, { rules: [{ id: "tier", status: "Enabled", transitions: [{ days: 30, storageClass: "STANDARD_IA" }, { days: 40, storageClass: "GLACIER_IR" }] }] }),
        expect: /noncurrent versions|at least 30 more/,
    },
    "cost-required-tags": {
        good: [PROVIDER, withProvider(res(T.logGroup, "lg", { retentionInDays: 14 })), withProvider(res(T.bucket, "b", { tags: { Name: "b" } }))],
        bad: [res(T.logGroup, "lg", { retentionInDays: 14, tags: { owner: "me" } })],
        expect: /lacks tag\(s\) cost-center, environment, project/,
    },
    "cost-fargate-task-size": { settings: dev, good: fargateTask("512", "1024"), bad: fargateTask("4096", "16384"), expect: /cpu 4096 exceeds 1024/ },
    "cost-studio-instance-types": {
        settings: { environment: "prod" },
        good: studioPlan(),
        bad: studioPlan({ profiles: [profile("jane", { userSettings: { jupyterLabAppSettings: { defaultResourceSpec: { instanceType: "ml.m5.large" } } } })] }),
        expect: /userSettings.jupyterLabAppSettings.defaultResourceSpec.instanceType ml.m5.large is not allowed in prod: ml.t3.medium/,
    },
    "cost-studio-idle-shutdown": {
        settings: dev,
        good: studioPlan(),
        bad: studioPlan({ domain: { defaultUserSettings: { jupyterLabAppSettings: { appLifecycleManagement: { idleSettings: { maxIdleTimeoutInMinutes: 240 } } } } } }),
        expect: /maxIdleTimeoutInMinutes 240 exceeds 120 minutes in dev/,
    },
    "cost-studio-space-storage": {
        settings: dev,
        good: studioPlan(),
        bad: studioPlan({ domain: { defaultUserSettings: { spaceStorageSettings: { defaultEbsStorageSettings: { maximumEbsVolumeSizeInGb: 100 } } } } }),
        expect: /maximumEbsVolumeSizeInGb 100 exceeds 20 GB in dev/,
    },
    "cost-monthly-budget": {
        settings: { environment: "dev", monthlyBudgetUsd: 100 },
        good: [res(T.kmsKey, "k", {})],
        bad: [ce("cpu", { minVcpus: 16, type: "EC2", instanceTypes: ["c5"] })],
        expect: /exceeds the budget of \$100/,
    },
    // metaflow-aws-constraints: one violating input of each kind AWS refuses.
    "aws-input-constraints": {
        good: [res(T.lb, "alb", { name: "mf-prod-metadata", loadBalancerType: "application" }), res(TG, "tg", { name: "mf-prod-metadata", protocol: "HTTP", port: 8080, healthCheck: { interval: 15, timeout: 5 } }), ...logGroup({})],
        bad: [
            res(T.lb, "alb", { name: "internal-metadata", loadBalancerType: "application" }),
            res(TG, "tg", { name: "mf-prod-metadata", protocol: "HTTPX", port: 70000 }),
            ...logGroup({ retentionInDays: 13 }),
            res(T.lbListener, "l", { port: 443, protocol: "HTTPS", defaultActions: [{ type: "forward", order: 1 }, { type: "forwarding", order: 0 }] }),
            ...sgIngress({ cidrIpv4: "10.0.0.0/8", ipProtocol: "TCP" }),
        ],
        expect: /name "internal-metadata" must not begin with "internal-"[\s\S]*port 70000 is above the maximum 65535[\s\S]*protocol "HTTPX" is not one of[\s\S]*retentionInDays 13 is not one of[\s\S]*defaultActions\[1\].type "forwarding" is not one of[\s\S]*defaultActions\[1\].order 0 is below the minimum 1[\s\S]*ipProtocol "TCP" does not match/,
    },
    "aws-auto-names": {
        good: [res(T.lb, "mf-prod-alb", { loadBalancerType: "application" }), res(T.rdsInstance, "mf-prod-db", {})],
        bad: [res(T.lb, "mf-maximal-stack-metadata-alb", { loadBalancerType: "application" }), res(T.rdsInstance, "mf--prod-db", {})],
        expect: /"mf-maximal-stack-metadata-alb-0a1b2c3"\), which has 37 characters; AWS allows at most 32[\s\S]*"mf--prod-db-0a1b2c3"\), which does not match/,
    },
    "aws-rds-connections": {
        // A service whose containers connect to the database, scaled by a target named after it, on db.t4g.micro (about 95).
        good: rdsConnectionsPlan(4),
        bad: rdsConnectionsPlan(5),
        expect: /metadata-service 10 task\(s\) can open 114 connections \(11 a task, a migration and 3 reserved\), but db\.t4g\.micro accepts about 95/,
    },
    "aws-sg-rule-description": {
        good: [...sgIngress({ cidrIpv4: "10.0.0.0/8", description: "HTTPS from VPN & bastion (CIDR)" }), ...sgIngress({ referencedSecurityGroupId: "sg-2", description: "HTTPS from the engineers access path" })],
        bad: [...sgIngress({ cidrIpv4: "10.0.0.0/8", description: "engineers' VPN" }), ...sgIngress({ referencedSecurityGroupId: "sg-2", description: "VPN & bastion" })],
        expect: /"engineers' VPN" does not match[\s\S]*refused: "'"[\s\S]*"VPN & bastion" does not match[\s\S]*refused: "&"/,
    },
    "aws-sg-rule-ports": {
        good: [...sgIngress({ cidrIpv4: "10.0.0.0/8" }), res(T.sgEgressRule, "all", { securityGroupId: "sg-1", ipProtocol: "-1", referencedSecurityGroupId: "sg-1", description: "self" })],
        bad: [...sgIngress({ cidrIpv4: "10.0.0.0/8", fromPort: undefined, toPort: undefined }), ...sgIngress({ cidrIpv4: "10.0.0.0/8", fromPort: 8443, toPort: 443 })],
        expect: /ipProtocol tcp needs fromPort and toPort[\s\S]*fromPort 8443 is above toPort 443/,
    },
    "aws-rds-storage-ceiling": { good: db({ allocatedStorage: 20, maxAllocatedStorage: 22 }), bad: db({ allocatedStorage: 20, maxAllocatedStorage: 21 }), expect: /maxAllocatedStorage 21 must be at least 10% above the allocated storage \(20 GB\): at least 22 GB/ },
    "aws-rds-windows": {
        good: db({ backupWindow: "03:00-04:00", maintenanceWindow: "sun:04:30-sun:05:30" }),
        bad: [...db({ backupWindow: "03:00-03:20", maintenanceWindow: "sun:03:10-sun:04:00" }), ...db({ backupWindow: "23:30-00:30", maintenanceWindow: "Mon:00:00-mon:00:45" })],
        expect: /backupWindow 03:00-03:20 lasts 20 minutes; RDS requires at least 30[\s\S]*backupWindow 03:00-03:20 overlaps maintenanceWindow sun:03:10-sun:04:00[\s\S]*backupWindow 23:30-00:30 overlaps maintenanceWindow mon:00:00-mon:00:45/,
    },
    "aws-user-data-size": {
        good: [res(T.launchTemplate, "lt", { userData: Buffer.from("#!/bin/bash\necho ok\n").toString("base64") })],
        bad: [res(T.launchTemplate, "lt", { userData: Buffer.from("x".repeat(16 * 1024 + 1)).toString("base64") }), res(T.launchTemplate, "lt2", { userData: "#!/bin/bash" })],
        expect: /userData decodes to 16385 bytes; EC2 allows at most 16384[\s\S]*userData is not base64 text/,
    },
    "aws-health-check-timeout": {
        good: [res(TG, "tg", { healthCheck: { interval: 15, timeout: 5 } })],
        bad: [res(TG, "tg", { healthCheck: { interval: 10, timeout: 10 } })],
        expect: /timeout 10 must be smaller than healthCheck.interval 10/,
    },
    "aws-fargate-task-size": { good: fargateTask("256", "512"), bad: fargateTask("256", "4096"), expect: /memory 512, 1024, 2048 MiB with cpu 256, not 4096/ },
    "aws-s3-lifecycle-days": {
        good: [res(T.bucketLifecycle, "lc", { rules: [{ id: "tier", transitions: [{ days: 30, storageClass: "STANDARD_IA" }, { days: 0, storageClass: "GLACIER_IR" }] }] })],
        bad: [res(T.bucketLifecycle, "lc", { rules: [{ id: "tier", noncurrentVersionTransitions: [{ noncurrentDays: 7, storageClass: "ONEZONE_IA" }] }] })],
        expect: /noncurrentDays 7 before ONEZONE_IA is below S3's minimum of 30/,
    },
    "aws-event-pattern": {
        good: [res(RULE, "r", { eventPattern: JSON.stringify({ source: ["aws.s3"], detail: { object: { key: [{ prefix: "in/" }] } } }) })],
        bad: [res(RULE, "r", { eventPattern: JSON.stringify({ source: ["aws.states"], detail: { status: "FAILED" } }) })],
        expect: /detail.status: "FAILED" is a bare value/,
    },
    "aws-lb-oidc-egress": {
        good: [
            res(T.securityGroup, "alb-sg", {}, { id: "sg-alb" }),
            res(T.lb, "alb", { loadBalancerType: "application", securityGroups: ["sg-alb"] }, { outputs: { arn: "arn:alb" } }),
            res(T.lbListener, "ui", { loadBalancerArn: "arn:alb", defaultActions: [{ type: "authenticate-oidc" }, { type: "forward" }] }),
            res(T.sgEgressRule, "out", { securityGroupId: "sg-alb", ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" }),
        ],
        bad: [
            res(T.securityGroup, "alb-sg", {}, { id: "sg-alb" }),
            res(T.lb, "alb", { loadBalancerType: "application", securityGroups: ["sg-alb"] }, { outputs: { arn: "arn:alb" } }),
            res(T.lbListener, "ui", { loadBalancerArn: "arn:alb", defaultActions: [{ type: "forward" }] }, { outputs: { arn: "arn:listener" } }),
            res("aws:lb/listenerRule:ListenerRule", "api", { listenerArn: "arn:listener", actions: [{ type: "authenticate-oidc" }, { type: "forward" }] }),
            res(T.sgEgressRule, "to-tasks", { securityGroupId: "sg-alb", ipProtocol: "tcp", fromPort: 8080, toPort: 8080, referencedSecurityGroupId: "sg-task" }),
        ],
        expect: /load balancer alb authenticates with OIDC but its security groups \(alb-sg\) allow no HTTPS \(443\) egress/,
    },
    "aws-tags": {
        good: [res(T.bucket, "b", { tags: { owner: "ml-platform", "cost-center": "ml research / 42" } }), { ...PROVIDER, props: { defaultTags: JSON.stringify({ tags: { owner: "ml-platform" } }) } }],
        bad: [res(T.bucket, "b", { tags: { owner: "ml platform's", "": "x" } }), res(T.role, "r", { tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"])) })],
        expect: /tags.owner "ml platform's" does not match[\s\S]*tags key "" is shorter than 1 characters[\s\S]*51 tags \(own and the provider's default tags\); AWS allows at most 50/,
    },
    "aws-instance-types": {
        good: [ce("ce", { instanceTypes: ["c7i", "m7i.48xlarge", "optimal", "default_arm64"] }), res(T.launchTemplate, "lt", { instanceType: "g6.xlarge" })],
        bad: [ce("ce", { instanceTypes: ["c7i", "m7i.32xlarge", "c99"] }), res(T.launchTemplate, "lt", { instanceType: "p5.96xlarge" })],
        expect: /"m7i.32xlarge" does not exist[\s\S]*"c99" does not exist[\s\S]*"p5.96xlarge" does not exist/,
    },
};

const ALL: Rule[] = [...SECURITY_RULES, ...costRules, ...AWS_RULES];

describe("policy rules: compliant and violating fixtures", () => {
    for (const rule of ALL) {
        describe(rule.name, () => {
            const c = CASES[rule.name];
            const file = c?.settings ? { [rule.name]: c.settings as Record<string, unknown> } : {};
            it("passes the compliant fixture", function () {
                if (!c) this.skip();
                const found = evaluate([rule], c.good, file);
                expect(found, JSON.stringify(found, null, 1)).to.deep.equal([]);
            });
            it("reports the violating fixture", function () {
                if (!c) this.skip();
                const found = evaluate([rule], c.bad, file);
                expect(found, rule.name).to.not.be.empty;
                expect(found.every((v) => v.policy === rule.name && v.pack === rule.pack)).to.equal(true);
                expect(found.map((v) => v.message).join("\n")).to.match(c.expect);
            });
        });
    }

    it("every rule has a case, and every case names a rule", () => {
        const names = ALL.map((r) => r.name);
        expect(names.filter((n) => !CASES[n]), "rules without a case").to.deep.equal([]);
        expect(Object.keys(CASES).filter((n) => !names.includes(n)), "cases without a rule").to.deep.equal([]);
        expect(new Set(names).size, "rule names are unique").to.equal(names.length);
    });

    it("environment-aware rules stay silent outside prod", () => {
        for (const name of ["rds-multi-az-prod", "rds-deletion-protection-prod", "s3-bucket-access-logging-prod", "lb-access-logs-prod", "stateful-resources-protected-prod", "rds-final-snapshot-prod", "dynamodb-deletion-protection-prod"]) {
            const rule = ALL.find((r) => r.name === name)!;
            expect(evaluate([rule], CASES[name].bad, { [name]: { environment: "dev" } }), name).to.deep.equal([]);
        }
    });

    it("without configuration the strictest profile (prod) applies", () => {
        const rule = ALL.find((r) => r.name === "rds-multi-az-prod")!;
        expect(evaluate([rule], db({ multiAz: false }))).to.have.length(1);
    });
});

/** An RDS instance, a task definition connecting to it, its ECS service and the service's scaling target up to `maxTasks`. */
function rdsConnectionsPlan(maxTasks: number): ResourceView[] {
    const containers = JSON.stringify([{ name: "service", environment: [{ name: "MF_METADATA_DB_HOST", value: "db.internal" }] }]);
    const task = res(T.ecsTaskDefinition, "metadata-task", { containerDefinitions: containers }, { outputs: { arn: "arn:aws:ecs:us-east-1:123456789012:task-definition/metadata-task:1" } });
    return [
        res(T.rdsInstance, "metadata-db", { instanceClass: "db.t4g.micro" }),
        task,
        res(T.ecsService, "metadata-service", { name: "metadata-service", taskDefinition: "arn:aws:ecs:us-east-1:123456789012:task-definition/metadata-task:1", deploymentMaximumPercent: 200, desiredCount: 1 }),
        res("aws:appautoscaling/target:Target", "metadata-scaling", { resourceId: "service/cluster/metadata-service", maxCapacity: maxTasks, minCapacity: 1 }),
    ];
}

