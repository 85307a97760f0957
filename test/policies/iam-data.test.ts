/**
 * The IAM-data checker (aws-facts/iam-data.ts, iamDataProblems in policies/lib/iam.ts) against AWS's IAM data:
 * each kind of mistake it exists to catch, the shapes it must accept, agreement with @cloud-copilot/iam-expand on
 * every action the stacks name, and every policy document of every stack passing it.
 */
import { expandIamActions } from "@cloud-copilot/iam-expand";
import { expect } from "chai";

import { hasNoResourceLevelPermissions, iamDataProblems, statementsOf } from "../../policies/lib/iam";
import { arnMatchesTemplate, conditionKeyExists, expandAction, globsIntersect } from "../../aws-facts/iam-data";
import { evaluate } from "../../policies/lib/rule";
import { fromPlan } from "../../policies/lib/view";
import { iamDataRules, policyDocuments } from "../../policies/security/rules/iam-data";
import { SECURITY_RULES } from "../../policies/security/rules/index";
import { runStack } from "../harness";
import { CERT, OIDC } from "./maximal";

const A = "arn:aws:batch:us-east-1:123456789012";
const problems = (statement: object, kind: "identity" | "resource" | "key" | "trust" = "identity") => iamDataProblems({ Version: "2012-10-17", Statement: [statement] }, "p", kind);

describe("IAM documents against AWS's IAM data", () => {
    it("rejects actions that do not exist, and wildcards that match none", () => {
        expect(problems({ Effect: "Allow", Action: "batch:SubmitJobs", Resource: `${A}:job-queue/q` })).to.deep.equal(['p statement 0: "batch:SubmitJobs" is no batch action in AWS\'s IAM data']);
        expect(problems({ Effect: "Allow", Action: "batch:Descibe*", Resource: "*" })[0]).to.match(/"batch:Descibe\*" matches no batch action/);
        expect(problems({ Effect: "Allow", Action: "batchx:SubmitJob", Resource: "*" })[0]).to.match(/names no AWS service/);
        expect(expandAction("batch:Describe*")).to.include.members(["batch:DescribeJobs", "batch:DescribeJobQueues", "batch:DescribeComputeEnvironments"]);
        expect(expandAction("s3:getobject")).to.deep.equal(["s3:GetObject"]);
    });

    it("rejects a Resource whose format is no resource type of the statement's actions", () => {
        // An object ARN for a bucket-level action, a bucket ARN for an object action, a queue named as a job definition.
        expect(problems({ Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::b/*" })[0]).to.match(/has the format of no resource type of s3:ListBucket/);
        expect(problems({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b" })[0]).to.match(/no resource type of s3:GetObject/);
        expect(problems({ Effect: "Allow", Action: "states:StartExecution", Resource: "arn:aws:states:us-east-1:123456789012:execution:x:*" })[0]).to.match(/no resource type/);
        expect(problems({ Effect: "Allow", Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:12345:key/k" })[0]).to.match(/no resource type/);
        expect(problems({ Effect: "Allow", Action: "iam:PassRole", Resource: "arn:aws:iam:us-east-1:123456789012:role/r" })[0]).to.match(/no resource type/);
        expect(problems({ Effect: "Allow", Action: "s3:GetObject", Resource: "b/*" })[0]).to.match(/is not an ARN/);
    });

    it("accepts the shapes policies really use: wildcards inside names, log streams under a group, ARNs of the data's formats", () => {
        expect(problems({ Effect: "Allow", Action: "batch:SubmitJob", Resource: [`${A}:job-queue/q`, `${A}:job-definition/metaflow_*`] })).to.deep.equal([]);
        expect(problems({ Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: "arn:aws:logs:us-east-1:123456789012:log-group:/aws/batch/job:*" })).to.deep.equal([]);
        expect(problems({ Effect: "Allow", Action: "states:DescribeExecution", Resource: "arn:aws:states:us-east-1:123456789012:execution:mf-dev_*:*" })).to.deep.equal([]);
        expect(problems({ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "arn:aws:secretsmanager:us-east-1:123456789012:secret:mf-dev/*" })).to.deep.equal([]);
        expect(arnMatchesTemplate("arn:aws:s3:::b/metaflow/*", "arn:${Partition}:s3:::${BucketName}/${ObjectName}")).to.equal(true);
        expect(globsIntersect("log-group:/a:*", "log-group:*:log-stream:*")).to.equal(true);
        expect(globsIntersect("job-queue/*", "job-definition/*")).to.equal(false);
    });

    it('allows "*" only for actions without resource-level permissions (and as the key in key policies)', () => {
        expect(problems({ Effect: "Allow", Action: ["batch:DescribeJobs", "batch:SubmitJob"], Resource: "*" })[0]).to.match(/"\*" as the Resource of batch:SubmitJob, which supports resource-level permissions/);
        expect(problems({ Effect: "Allow", Action: "s3:GetObject", Resource: "*" })).to.have.length(1);
        expect(problems({ Effect: "Allow", Action: ["batch:DescribeJobs", "states:ListStateMachines", "ecr:GetAuthorizationToken"], Resource: "*" })).to.deep.equal([]);
        expect(problems({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*", Resource: "*" }, "key")).to.deep.equal([]);
        // PutMetricData's only resource type (dataset) is optional: "*" narrowed by its own namespace key is its scope.
        expect(problems({ Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*", Condition: { StringLike: { "cloudwatch:namespace": "x/*" } } })).to.deep.equal([]);
        expect(problems({ Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*" })).to.have.length(1);
        // GetCostAndUsage's only resource type (billingview) is optional; its key aws:ResourceTag/${TagKey} is named by a tag.
        expect(problems({ Effect: "Allow", Action: "ce:GetCostAndUsage", Resource: "*", Condition: { StringEqualsIfExists: { "aws:ResourceTag/stack": "dev" } } })).to.deep.equal([]);
        expect(problems({ Effect: "Allow", Action: "ce:GetCostAndUsage", Resource: "*" })).to.have.length(1);
        // A named resource for an action that has none grants nothing.
        expect(problems({ Effect: "Allow", Action: "batch:DescribeJobs", Resource: `${A}:job/*` })[0]).to.match(/no resource-level permissions, so Resource .* grants nothing/);
        // The list of actions without resource-level permissions is the data's.
        expect(["batch:DescribeJobs", "states:ListStateMachines", "ecr:GetAuthorizationToken", "logs:CreateLogDelivery"].map(hasNoResourceLevelPermissions)).to.deep.equal([true, true, true, true]);
        expect(["batch:SubmitJob", "s3:PutObject", "ec2:CreateNetworkInterface"].map(hasNoResourceLevelPermissions)).to.deep.equal([false, false, false]);
    });

    it("rejects condition keys and operators that do not exist", () => {
        expect(problems({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAcount": "1" } } }, "trust")[0]).to.match(/condition key "aws:SourceAcount"/);
        expect(problems({ Effect: "Allow", Action: "iam:PassRole", Resource: "arn:aws:iam::123456789012:role/r", Condition: { StringEquals: { "iam:PassedService": "x" } } })[0]).to.match(/condition key "iam:PassedService"/);
        expect(problems({ Effect: "Allow", Action: "iam:PassRole", Resource: "arn:aws:iam::123456789012:role/r", Condition: { StringEqual: { "iam:PassedToService": "x" } } })[0]).to.match(/operator "StringEqual"/);
        for (const key of ["aws:SourceAccount", "aws:RequestTag/team", "aws:SecureTransport", "kms:EncryptionContext:aws:logs:arn", "kms:ViaService", "iam:PassedToService", "cloudwatch:namespace"]) {
            expect(conditionKeyExists(key), key).to.equal(true);
        }
        // OIDC federation: the provider's host with a claim IAM knows; not an invented claim, not a bare word.
        expect(["token.actions.githubusercontent.com:sub", "token.actions.githubusercontent.com:aud"].map(conditionKeyExists)).to.deep.equal([true, true]);
        expect(["token.actions.githubusercontent.com:repo", "github:sub"].map(conditionKeyExists)).to.deep.equal([false, false]);
    });

    it("expands wildcards exactly as @cloud-copilot/iam-expand does, for every action the stacks name", async () => {
        const actions = new Set<string>();
        for (const stack of ["dev", "prod"]) {
            const run = await runStack(stack);
            const types = new Set((iamDataRules[0] as { types: string[] }).types);
            for (const r of fromPlan(run.resources).filter((v) => types.has(v.type))) {
                for (const { doc } of policyDocuments(r)) for (const s of statementsOf(doc) ?? []) for (const a of [].concat((s.Action ?? []) as never)) actions.add(a);
            }
        }
        expect(actions.size).to.be.greaterThan(40);
        for (const a of actions) {
            const theirs = (await expandIamActions(a, { expandAsterisk: false })).map((x) => x.toLowerCase()).sort();
            expect(expandAction(a).map((x) => x.toLowerCase()).sort(), a).to.deep.equal(theirs);
        }
    });

    it("finds nothing in a maximal configuration (public API, UI, triggers, Fargate queue, encrypted root volumes, engineer roles)", async () => {
        const run = await runStack("prod", {
            set: {
                servicePublicApi: true,
                serviceUi: true,
                serviceCertificateArn: CERT,
                serviceDomainName: "metaflow.internal.example.com",
                ...OIDC,
                engineerRoleNames: ["ml-engineers"],
                batchRootVolumePlatformKey: true,
                triggers: [{ name: "new-data", flow: "FeatureFlow", s3Prefix: "data/incoming/" }],
                queues: [{ name: "light", kind: "cpu", platform: "fargate", maxVcpus: 16, capacity: "spot-first" }],
            },
        });
        const views = fromPlan(run.resources);
        expect(views.filter((v) => v.type === "aws:iam/role:Role").length).to.be.at.least(10);
        // Every IAM rule of the security pack, not only the IAM-data ones.
        expect(evaluate(SECURITY_RULES.filter((r) => r.name.startsWith("iam-")), views)).to.deep.equal([]);
    });

    for (const stack of ["dev", "staging", "prod"]) {
        it(`finds nothing in any policy document of ${stack} (inline, managed, trust, bucket, key, topic)`, async () => {
            const run = await runStack(stack);
            const views = fromPlan(run.resources);
            expect(evaluate(iamDataRules, views)).to.deep.equal([]);
            // The rule saw documents of every kind.
            const types = new Set(views.map((v) => v.type));
            for (const t of ["aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy", "aws:s3/bucketPolicy:BucketPolicy", "aws:kms/key:Key"]) expect(types.has(t), t).to.equal(true);
        });
    }
});
