/**
 * Every distinct way to violate the rules issue 12 added or strengthened, one at a time: each shape alone must be
 * reported (with its own message), so a rule that only catches the first or the most obvious shape fails here.
 * rules.test.ts holds one compliant and one violating fixture per rule; this file is the depth.
 */
import { expect } from "chai";

import { TLS_POLICY } from "../../components/metaflow-service/rules";
import { evaluate, Rule } from "../../policies/lib/rule";
import { PolicySettings } from "../../policies/lib/settings";
import { T } from "../../policies/lib/types";
import { ResourceView } from "../../policies/lib/view";
import { SECURITY_RULES } from "../../policies/security/rules/index";
import { tlsPolicyProblems } from "../../policies/security/rules/network";
import { compliantBucket, doc, eventTarget, replace, res } from "./fixtures";

const KEY = "arn:aws:kms:us-east-1:123456789012:key/k";
const prod: Partial<PolicySettings> = { environment: "prod" };
const DB = { engine: "postgres", engineVersion: "16.4", storageEncrypted: true, kmsKeyId: KEY, manageMasterUserPassword: true, masterUserSecretKmsKeyId: KEY, skipFinalSnapshot: false, finalSnapshotIdentifier: "db-final" };
const db = (props: Record<string, any> = {}) => [res(T.rdsInstance, "db", { ...DB, ...props })];
const identity = (statement: object) => [res(T.rolePolicy, "rp", { role: "r", policy: doc(statement) })];
const listener = (props: Record<string, any>) => [res(T.lbListener, "l", { port: 443, defaultActions: [{ type: "forward" }], ...props })];
const alb = (props: Record<string, any>) => [res(T.lb, "alb", { loadBalancerType: "application", internal: true, ...props })];
const lt = (props: Record<string, any>) => [res(T.launchTemplate, "lt", props)];
const task = (c: Record<string, any>) => [res(T.ecsTaskDefinition, "td", { family: "svc", containerDefinitions: JSON.stringify([{ name: "app", image: "python:3.12", ...c }]) })];
const job = (c: Record<string, any>) => [res(T.jobDefinition, "jd", { type: "container", containerProperties: JSON.stringify({ image: "python:3.12", ...c }) })];
const ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mf/jobs";
const REPO = res(T.ecrRepository, "repo", { name: "mf/jobs" });
const tlsDeny = (statement: Record<string, any>) =>
    replace(compliantBucket("data"), T.bucketPolicy, {
        policy: doc({ Sid: "TlsOnly", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::data", "arn:aws:s3:::data/*"], Condition: { Bool: { "aws:SecureTransport": "false" } }, ...statement }),
    });
const bucketNamed = (list: ResourceView[]) => list.map((r) => (r.type === T.bucket ? { ...r, props: { bucket: "data" } } : r));

interface Depth {
    settings?: Partial<PolicySettings>;
    /** Compliant variants that a too-eager rule would report. */
    good: ResourceView[][];
    /** Each violating shape alone, with what its message must say. */
    shapes: Array<[string, ResourceView[], RegExp]>;
}

const DEPTH: Record<string, Depth> = {
    "lb-listener-tls12-policy": {
        good: [listener({ protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-3-2021-06" }), listener({ protocol: "TLS", sslPolicy: "ELBSecurityPolicy-TLS-1-2-Ext-2018-06" }), listener({ protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-FS-1-2-Res-2020-10" }), listener({ protocol: "HTTP", port: 80 })],
        shapes: [
            ["TLS 1.3 policy that still accepts TLS 1.0", listener({ protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-0-2021-06" }), /TLS13-1-0-2021-06 accepts TLS below 1\.2/],
            ["TLS 1.3 policy that still accepts TLS 1.1", listener({ protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-1-2021-06" }), /TLS13-1-1-2021-06 accepts TLS below 1\.2/],
            ["the 2016 default named", listener({ protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-2016-08" }), /2016-08 accepts TLS below 1\.2/],
            ["a TLS 1.1 forward-secrecy policy", listener({ protocol: "TLS", sslPolicy: "ELBSecurityPolicy-FS-1-1-2019-08" }), /FS-1-1-2019-08 accepts/],
            ["an HTTPS listener without a policy", listener({ protocol: "HTTPS" }), /sslPolicy is not set/],
            ["an internal TLS listener without a policy", listener({ protocol: "TLS" }), /sslPolicy is not set/],
        ],
    },
    "lb-desync-strictest": {
        good: [alb({ desyncMitigationMode: "strictest" }), [res(T.lb, "nlb", { loadBalancerType: "network" })]],
        shapes: [
            ["monitor", alb({ desyncMitigationMode: "monitor" }), /is monitor/],
            ["defensive", alb({ desyncMitigationMode: "defensive" }), /is defensive/],
            ["unset (defensive)", alb({}), /unset \(defensive\)/],
            ["an aws:alb load balancer", [res(T.alb, "alb", { internal: true })], /unset/],
        ],
    },
    "launch-template-imds-hop-limit": {
        good: [lt({ metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 } }), lt({ metadataOptions: { httpEndpoint: "disabled" } })],
        shapes: [
            ["hop limit 2", lt({ metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 } }), /is 2/],
            ["hop limit unset (the AMI's default)", lt({ metadataOptions: { httpTokens: "required" } }), /is not set/],
            ["no metadata options", lt({}), /is not set/],
            ["an instance with hop limit 3", [res(T.ec2Instance, "i", { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 3 } })], /is 3/],
        ],
    },
    "launch-template-no-public-ip": {
        good: [lt({}), lt({ networkInterfaces: [{ associatePublicIpAddress: "false" }] }), [res(T.ec2Instance, "nat", { associatePublicIpAddress: true, sourceDestCheck: false })]],
        shapes: [
            ["a template interface with a public IP (string)", lt({ networkInterfaces: [{ deviceIndex: 0, associatePublicIpAddress: "true" }] }), /networkInterfaces\[0\]/],
            ["the second interface", lt({ networkInterfaces: [{}, { associatePublicIpAddress: true }] }), /networkInterfaces\[1\]/],
            ["an instance", [res(T.ec2Instance, "i", { associatePublicIpAddress: true })], /associatePublicIpAddress is true/],
            ["a NAT instance with an instance profile", [res(T.ec2Instance, "i", { associatePublicIpAddress: true, sourceDestCheck: false, iamInstanceProfile: "p" })], /NAT instance with an instance profile/],
            ["an instance that checks source and destination (not a NAT)", [res(T.ec2Instance, "i", { associatePublicIpAddress: true, sourceDestCheck: true })], /associatePublicIpAddress is true/],
        ],
    },
    "container-non-root": {
        good: [task({ user: "1000" }), task({ user: "app:app" }), job({ user: "nobody" }), task({ image: "netflixoss/metaflow_metadata_service:v2.5.1" })],
        shapes: [
            ["no user (the image's, root by default)", task({}), /runs as the image's user/],
            ["user root", task({ user: "root" }), /user root/],
            ["uid 0", task({ user: "0" }), /user 0/],
            ["root with a group", task({ user: "0:1000" }), /user 0:1000/],
            ["a Batch job as root", job({ user: "root:root" }), /user root:root/],
        ],
    },
    "container-image-digest": {
        good: [[REPO, ...task({ image: `${ECR}@sha256:${"0".repeat(64)}` })], [REPO, ...task({ image: "public.ecr.aws/outerbounds/metaflow_metadata_service:v2.5.1" })], task({ image: `${ECR}:v1` })],
        shapes: [
            ["a tag", [REPO, ...task({ image: `${ECR}:v1` })], /mf\/jobs:v1/],
            ["no tag", [REPO, ...job({ image: ECR })], /pin it by digest/],
            ["a truncated digest", [REPO, ...task({ image: `${ECR}@sha256:abc` })], /pin it by digest/],
        ],
    },
    "iam-no-exfiltration-on-star": {
        good: [identity({ Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::b/*" }), identity({ Effect: "Allow", Action: ["ssm:GetParameters"], Resource: "arn:aws:ssm:us-east-1:123456789012:parameter/mf-dev/*" }), identity({ Effect: "Allow", Action: ["s3:ListAllMyBuckets", "ec2:DescribeSubnets"], Resource: "*" }), identity({ Effect: "Deny", Action: "s3:GetObject", Resource: "*" })],
        shapes: [
            ["s3:Get*", identity({ Effect: "Allow", Action: "s3:Get*", Resource: "*" }), /s3:Get\* on "\*"/],
            ["s3:GetObject", identity({ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }), /s3:GetObject on/],
            ["secretsmanager:GetSecretValue", identity({ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "*" }), /secretsmanager:GetSecretValue on/],
            ["ssm:GetParameters", identity({ Effect: "Allow", Action: "ssm:GetParameters", Resource: "*" }), /ssm:GetParameters on/],
            ["ssm:GetParam* (wildcard)", identity({ Effect: "Allow", Action: "ssm:GetParam*", Resource: "*" }), /ssm:GetParam\* on/],
            ["dynamodb:Scan", identity({ Effect: "Allow", Action: "dynamodb:Scan", Resource: "*" }), /dynamodb:Scan on/],
            ["kms:Decrypt", identity({ Effect: "Allow", Action: "kms:Decrypt", Resource: "*" }), /kms:Decrypt on/],
            ["among other resources", identity({ Effect: "Allow", Action: "s3:GetObject", Resource: ["arn:aws:s3:::b/*", "*"] }), /s3:GetObject on/],
            ["every bucket's objects", identity({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::*/*" }), /s3:GetObject on "arn:aws:s3:::\*\/\*"/],
            ["every secret", identity({ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "arn:aws:secretsmanager:us-east-1:123456789012:secret:*" }), /GetSecretValue on "arn:aws:secretsmanager/],
            ["every parameter", identity({ Effect: "Allow", Action: "ssm:GetParameter", Resource: "arn:aws:ssm:us-east-1:123456789012:parameter/*" }), /ssm:GetParameter on/],
        ],
    },
    "iam-no-broad-managed-policies": {
        good: [[res(T.rolePolicyAttachment, "a", { role: "r", policyArn: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy" })]],
        shapes: [
            ["PowerUserAccess", [res(T.rolePolicyAttachment, "a", { role: "r", policyArn: "arn:aws:iam::aws:policy/PowerUserAccess" })], /PowerUserAccess/],
            ["AmazonS3FullAccess on a user", [res(T.userPolicyAttachment, "a", { user: "u", policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess" })], /AmazonS3FullAccess/],
            ["ReadOnlyAccess on a group", [res(T.groupPolicyAttachment, "a", { group: "g", policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" })], /ReadOnlyAccess/],
            ["AmazonS3ReadOnlyAccess", [res(T.rolePolicyAttachment, "a", { role: "r", policyArn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" })], /AmazonS3ReadOnlyAccess/],
            ["SecretsManagerReadWrite", [res(T.rolePolicyAttachment, "a", { role: "r", policyArn: "arn:aws:iam::aws:policy/SecretsManagerReadWrite" })], /SecretsManagerReadWrite/],
            ["a role's managedPolicyArns", [res(T.role, "r", { managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"] })], /AmazonDynamoDBFullAccess/],
            ["a PolicyAttachment", [res(T.policyAttachment, "a", { policyArn: "arn:aws:iam::aws:policy/AWSBatchFullAccess" })], /AWSBatchFullAccess/],
        ],
    },
    "iam-batch-register-unprivileged": {
        good: [
            identity({ Effect: "Allow", Action: "batch:RegisterJobDefinition", Resource: "arn:aws:batch:us-east-1:123456789012:job-definition/m_*", Condition: { Bool: { "batch:Privileged": "false" } } }),
            identity({ Effect: "Allow", Action: "batch:SubmitJob", Resource: "arn:aws:batch:us-east-1:123456789012:job-definition/m_*" }),
        ],
        shapes: [
            ["no condition", identity({ Effect: "Allow", Action: "batch:RegisterJobDefinition", Resource: "arn:aws:batch:us-east-1:123456789012:job-definition/m_*" }), /batch:RegisterJobDefinition without/],
            ["a wildcard action", identity({ Effect: "Allow", Action: "batch:Register*", Resource: "arn:aws:batch:us-east-1:123456789012:job-definition/m_*" }), /batch:Register\* without/],
            ["privileged allowed", identity({ Effect: "Allow", Action: "batch:RegisterJobDefinition", Resource: "arn:aws:batch:us-east-1:123456789012:job-definition/m_*", Condition: { Bool: { "batch:Privileged": "true" } } }), /without a condition/],
            ["another key only", identity({ Effect: "Allow", Action: "batch:RegisterJobDefinition", Resource: "arn:aws:batch:us-east-1:123456789012:job-definition/m_*", Condition: { StringEquals: { "batch:User": "nobody" } } }), /without a condition/],
            ["a string operator on the key", identity({ Effect: "Allow", Action: "batch:RegisterJobDefinition", Resource: "arn:aws:batch:us-east-1:123456789012:job-definition/m_*", Condition: { StringLike: { "batch:Privileged": "false" } } }), /without a condition/],
        ],
    },
    "rds-storage-encrypted": {
        good: [db()],
        shapes: [
            ["not encrypted", db({ storageEncrypted: false }), /storageEncrypted is not true/],
            ["the AWS managed key (no kmsKeyId)", db({ kmsKeyId: undefined }), /AWS managed key \(kmsKeyId unset\)/],
            ["the AWS managed key by alias", db({ kmsKeyId: "alias/aws/rds" }), /alias\/aws\/rds is the AWS managed key/],
            ["the AWS managed key by alias ARN", db({ kmsKeyId: "arn:aws:kms:us-east-1:123456789012:alias/aws/rds" }), /is the AWS managed key/],
        ],
    },
    "rds-managed-master-password": {
        good: [db()],
        shapes: [
            ["a password in the program", db({ manageMasterUserPassword: undefined, password: "hunter2" }), /password is set/],
            ["neither", db({ manageMasterUserPassword: undefined }), /manageMasterUserPassword is not true/],
            ["managed under the AWS managed key", db({ masterUserSecretKmsKeyId: undefined }), /masterUserSecretKmsKeyId is not set/],
            ["managed under alias/aws/secretsmanager", db({ masterUserSecretKmsKeyId: "alias/aws/secretsmanager" }), /is an AWS managed key/],
        ],
    },
    "rds-final-snapshot-prod": {
        settings: prod,
        good: [db()],
        shapes: [
            ["skipFinalSnapshot", db({ skipFinalSnapshot: true }), /skipFinalSnapshot is true/],
            ["a final snapshot without a name", db({ finalSnapshotIdentifier: undefined }), /finalSnapshotIdentifier is not set/],
        ],
    },
    "rds-force-ssl": {
        good: [[...db({ parameterGroupName: "pg-id" }), res(T.rdsParameterGroup, "pg", { family: "postgres16", parameters: [{ name: "rds.force_ssl", value: "1" }] })]],
        shapes: [
            ["no parameter group (PostgreSQL 16 default)", db(), /no parameter group/],
            ["a default group named", db({ parameterGroupName: "default.postgres16" }), /default\.postgres16 is a default parameter group/],
            ["a group outside the stack", db({ parameterGroupName: "shared-pg" }), /shared-pg is not part of the stack/],
            ["a stack group with force_ssl 0", [...db({ parameterGroupName: "pg-id" }), res(T.rdsParameterGroup, "pg", { family: "postgres16", parameters: [{ name: "rds.force_ssl", value: "0" }] })], /pg does not set rds\.force_ssl = 1/],
            ["a stack group whose parameters are unknown is judged later, not refused", [...db({ parameterGroupName: "pg-id", engineVersion: "14.9" }), res(T.rdsParameterGroup, "pg", { family: "postgres14", parameters: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }), ...db({ parameterGroupName: "default.postgres14" })], /default\.postgres14/],
            ["a stack group without force_ssl", [...db({ parameterGroupName: "pg-id" }), res(T.rdsParameterGroup, "pg", { family: "postgres16", parameters: [] })], /pg does not set/],
        ],
    },
    "s3-bucket-policy-tls-only": {
        good: [tlsDeny({}), tlsDeny({ Principal: { AWS: "*" }, Resource: "*" }), bucketNamed(tlsDeny({}))],
        shapes: [
            ["no such statement", replace(compliantBucket("data"), T.bucketPolicy, { policy: doc({ Effect: "Deny", Principal: "*", Action: "s3:DeleteBucket", Resource: "arn:aws:s3:::data" }) }), /no bucket policy statement denies/],
            ["an Allow with the condition", tlsDeny({ Effect: "Allow" }), /Effect is Allow, not Deny/],
            ["one principal only", tlsDeny({ Principal: { AWS: "arn:aws:iam::123456789012:role/x" } }), /Principal .* is not "\*"/],
            ["one action only", tlsDeny({ Action: "s3:GetObject" }), /Action "s3:GetObject" is not s3:\*/],
            ["NotAction", tlsDeny({ Action: undefined, NotAction: "s3:GetObject" }), /is not s3:\*/],
            ["the objects only", tlsDeny({ Resource: "arn:aws:s3:::data/*" }), /does not name the bucket itself/],
            ["the bucket only", tlsDeny({ Resource: "arn:aws:s3:::data" }), /does not name the bucket's objects/],
            ["another bucket", bucketNamed(tlsDeny({ Resource: ["arn:aws:s3:::other", "arn:aws:s3:::other/*"] })), /does not name the bucket itself[\s\S]*objects/],
        ],
    },
    "alarm-actions-enabled": {
        good: [[res(T.metricAlarm, "a", { alarmActions: ["arn:aws:sns:us-east-1:1:t"] })]],
        shapes: [
            ["actions disabled", [res(T.metricAlarm, "a", { actionsEnabled: false, alarmActions: ["arn:aws:sns:us-east-1:1:t"] })], /actionsEnabled is false/],
            ["no alarmActions", [res(T.metricAlarm, "a", {})], /alarmActions is empty/],
            ["empty alarmActions", [res(T.metricAlarm, "a", { alarmActions: [] })], /alarmActions is empty/],
            ["a composite alarm without actions", [res(T.compositeAlarm, "c", { alarmRule: "ALARM(a)" })], /alarmActions is empty/],
        ],
    },
    "sns-topic-encrypted": {
        good: [[res(T.snsTopic, "t", { kmsMasterKeyId: KEY })]],
        shapes: [
            ["unencrypted", [res(T.snsTopic, "t", {})], /kmsMasterKeyId is not set/],
            ["the AWS managed key", [res(T.snsTopic, "t", { kmsMasterKeyId: "alias/aws/sns" })], /alias\/aws\/sns is an AWS managed key/],
        ],
    },
    "sns-topic-policy-no-public-principal": {
        good: [[res(T.snsTopicPolicy, "p", { arn: "t", policy: doc({ Effect: "Allow", Principal: "*", Action: "sns:Publish", Resource: "arn:aws:sns:us-east-1:1:t", Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } }) })]],
        shapes: [
            ["Principal *", [res(T.snsTopicPolicy, "p", { arn: "t", policy: doc({ Effect: "Allow", Principal: "*", Action: "sns:Subscribe", Resource: "arn:aws:sns:us-east-1:1:t" }) })], /allows Principal "\*"/],
            ["Principal AWS *", [res(T.snsTopicPolicy, "p", { arn: "t", policy: doc({ Effect: "Allow", Principal: { AWS: "*" }, Action: "sns:Publish", Resource: "arn:aws:sns:us-east-1:1:t" }) })], /allows Principal "\*"/],
            ["a topic's own policy", [res(T.snsTopic, "t", { kmsMasterKeyId: KEY, policy: doc({ Effect: "Allow", Principal: "*", Action: "sns:Publish", Resource: "arn:aws:sns:us-east-1:1:t" }) })], /allows Principal "\*"/],
        ],
    },
    "dynamodb-deletion-protection-prod": {
        settings: prod,
        good: [[res(T.dynamoTable, "t", { deletionProtectionEnabled: true })]],
        shapes: [
            ["unset", [res(T.dynamoTable, "t", {})], /deletionProtectionEnabled is not true/],
            ["false", [res(T.dynamoTable, "t", { deletionProtectionEnabled: false })], /deletionProtectionEnabled is not true/],
        ],
    },
    "ecs-exec-disabled": {
        good: [[res(T.ecsService, "s", {})], [res(T.ecsService, "s", { enableExecuteCommand: false })]],
        shapes: [
            ["on", [res(T.ecsService, "s", { enableExecuteCommand: true })], /enableExecuteCommand is true/],
            ["on (text)", [res(T.ecsService, "s", { enableExecuteCommand: "true" })], /enableExecuteCommand is true/],
        ],
    },
    "eventbridge-target-dlq-and-alarm": {
        good: [eventTarget()],
        shapes: [
            ["no dead-letter queue", eventTarget({ dlq: false }), /no deadLetterConfig/],
            ["no alarm", eventTarget({ alarm: false }), /no alarm with actions on AWS\/Events FailedInvocations of rule mf-trigger/],
            ["an alarm without actions", eventTarget({ alarmActions: [] }), /no alarm with actions/],
            [
                "an alarm on another rule",
                eventTarget({ alarm: false }).concat([res(T.metricAlarm, "other", { namespace: "AWS/Events", metricName: "FailedInvocations", dimensions: { RuleName: "another" }, alarmActions: ["arn:aws:sns:us-east-1:1:a"] })]),
                /no alarm with actions/,
            ],
        ],
    },
};

describe("security rules in depth: every violating shape alone", () => {
    for (const [name, d] of Object.entries(DEPTH)) {
        const rule = SECURITY_RULES.find((r) => r.name === name) as Rule;
        const file = d.settings ? { [name]: d.settings as Record<string, unknown> } : {};
        describe(name, () => {
            it("exists", () => expect(rule, name).to.not.equal(undefined));
            d.good.forEach((good, i) =>
                it(`passes compliant variant ${i + 1}`, () => {
                    const found = evaluate([rule], good, file);
                    expect(found, JSON.stringify(found, null, 1)).to.deep.equal([]);
                }),
            );
            for (const [label, bad, message] of d.shapes) {
                it(`reports ${label}`, () => {
                    const found = evaluate([rule], bad, file);
                    expect(found, label).to.not.be.empty;
                    expect(found.map((v) => v.message).join("\n")).to.match(message);
                });
            }
        });
    }
});

describe("the platform's own choices against the rules", () => {
    it("the listeners' TLS policy passes lb-listener-tls12-policy", () => {
        expect(tlsPolicyProblems(TLS_POLICY)).to.deep.equal([]);
        expect(tlsPolicyProblems("ELBSecurityPolicy-TLS13-1-0-2021-06")).to.have.length(1);
    });
});
