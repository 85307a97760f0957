/**
 * ModelServing (components/serving) on planned stacks with `serving: {models: [churn]}`: a model package group and an
 * endpoint role per model, the endpoint role reading only its model's artifacts (simulated with AWS's policy evaluation
 * logic, offline), and the job role passing only these roles (besides its SageMaker execution role) to SageMaker.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { MOCK_ACCOUNT, RecordedResource } from "../../offline/mocks";
import { NAME_LIMITS } from "../../components/naming";
import { ModelServing, resolveServing, SERVING_DEFAULTS, servingNameProblems, servingProblems, validateModelServingArgs } from "../../components/serving";
import { MANAGED_POLICY_MAX_CHARS, policySize } from "../../policies/lib/deployer";
import { plan } from "../../scripts/plan";
import { fixturePolicyConfig, policyOf, ROOT, runComponent, runStack, StackRun, stackFixture, tempDir } from "../harness";
import { LONGEST_PREFIX, MAXIMAL } from "../policies/maximal";

const REGION = "us-east-1";
/** Serving one model, with the reviewers' role that approves its versions (prod needs one). */
const SERVING = { serving: { models: ["churn"], approverRoleNames: ["ml-model-reviewers"] } };
const GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup";
const ROLE = "aws:iam/role:Role";
const POLICY = "aws:iam/rolePolicy:RolePolicy";

type Result = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

/** The planned stack's resource policies: S3 requests go through the bucket policy, KMS requests through the key policy. */
let resourcePolicies: { s3?: unknown; kms?: unknown } = {};

/** Simulates one request of `principal` under its inline policy (and the bucket's or key's policy). */
async function simulate(principal: string, policy: unknown, action: string, resource: string, context: Record<string, string | string[]> = {}): Promise<Result> {
    const resourcePolicy = resourcePolicies[action.split(":")[0] as "s3" | "kms"];
    const result = await runSimulation(
        {
            request: { principal, action, resource: { resource, accountId: MOCK_ACCOUNT }, contextVariables: { "aws:SecureTransport": "true", ...context } },
            identityPolicies: [{ name: "inline", policy }],
            serviceControlPolicies: [],
            resourceControlPolicies: [],
            ...(resourcePolicy ? { resourcePolicy } : {}),
        },
        {},
    );
    if (result.resultType === "error") throw new Error(`${action} on ${resource}: ${JSON.stringify(result.errors)}`);
    return result.overallResult;
}

const physicalNameOf = (r: RecordedResource) => r.inputs.name as string;

describe("ModelServing", () => {
    describe("rules", () => {
        it("accepts 1-21 character model names, unique, at most 20; refuses the rest with the field", () => {
            expect(servingProblems({ models: ["churn", "fraud-2"] }, "mf-dev")).to.deep.equal([]);
            expect(servingProblems({ models: ["Churn"] }, "mf-dev").map((p) => p.field)).to.deep.equal(["models[0]"]);
            expect(servingProblems({ models: ["churn", "churn"] }, "mf-dev").map((p) => p.field)).to.deep.equal(["models[1]"]);
            expect(servingProblems({ models: Array.from({ length: 21 }, (_, i) => `m${i}`) }, "mf-dev").map((p) => p.field)).to.deep.equal(["models"]);
            expect(servingProblems({ models: ["churn"], memory: 1 }, "mf-dev").map((p) => p.field)).to.deep.equal(["memory"]);
        });

        it(`refuses a group name over SageMaker's ${NAME_LIMITS.sagemakerModelPackageGroup} characters; the longest model under the longest prefix fits`, () => {
            expect(NAME_LIMITS.sagemakerModelPackageGroup).to.equal(63);
            expect(servingNameProblems({ models: ["a".repeat(21)] }, LONGEST_PREFIX)).to.deep.equal([]);
            const long = "p".repeat(42);
            expect(servingNameProblems({ models: ["a".repeat(21)] }, long)[0].message).to.contain("64 characters; SageMaker allows 63");
            expect(validateModelServingArgs({ namePrefix: "mf-dev", region: REGION, models: [], bucketArn: "b", kmsKeyArn: "k", imageRepositoryArn: "r", environment: "dev" })).to.have.length(1);
            expect(() => new ModelServing("bad", { namePrefix: "mf-dev", region: REGION, models: ["Bad"], bucketArn: "b", kmsKeyArn: "k", imageRepositoryArn: "r", environment: "dev" })).to.throw(/models\[0\]: "Bad"/);
        });

        it("fills each environment's defaults: caps 2048/5, 3072/10, 6144/50; engineers deploy outside prod; no approvers", () => {
            expect(resolveServing({ models: ["churn"] }, "dev")).to.deep.equal({ models: ["churn"], serverlessMemoryMb: 2048, maxConcurrency: 5, approverRoleNames: [], engineersMayDeploy: true });
            expect(resolveServing({ models: ["churn"] }, "staging")).to.deep.include({ serverlessMemoryMb: 3072, maxConcurrency: 10, engineersMayDeploy: true });
            expect(resolveServing({ models: ["churn"] }, "prod")).to.deep.include({ serverlessMemoryMb: 6144, maxConcurrency: 50, engineersMayDeploy: false });
            expect(resolveServing({ models: ["churn"], maxConcurrency: 7, engineersMayDeploy: false }, "dev")).to.deep.include({ serverlessMemoryMb: 2048, maxConcurrency: 7, engineersMayDeploy: false });
            for (const env of ["dev", "staging", "prod"] as const) expect(servingProblems({ models: ["churn"], ...SERVING_DEFAULTS[env], approverRoleNames: ["r"] }, "mf-dev", env), env).to.deep.equal([]);
        });

        it("refuses caps SageMaker does not offer, and in prod a missing approver or an approver that is an engineer role", () => {
            const fields = (v: unknown, env: "dev" | "prod" = "dev", engineers: string[] = []) => servingProblems(v, "mf-dev", env, engineers).map((p) => p.field);
            expect(fields({ models: ["churn"], serverlessMemoryMb: 1500, maxConcurrency: 0 })).to.deep.equal(["serverlessMemoryMb", "maxConcurrency"]);
            expect(fields({ models: ["churn"], maxConcurrency: 201, engineersMayDeploy: "yes" })).to.deep.equal(["maxConcurrency", "engineersMayDeploy"]);
            expect(fields({ models: ["churn"] }, "prod")).to.deep.equal(["approverRoleNames"]);
            expect(fields({ models: ["churn"], approverRoleNames: ["reviewers", "engineers"] }, "prod", ["engineers"])).to.deep.equal(["approverRoleNames[1]"]);
            expect(fields({ models: ["churn"], approverRoleNames: ["engineers"] }, "dev", ["engineers"]), "dev may self-approve").to.deep.equal([]);
            const args = { namePrefix: "mf-prod", region: REGION, models: ["churn"], bucketArn: "b", kmsKeyArn: "k", imageRepositoryArn: "r", environment: "prod" as const };
            expect(() => new ModelServing("bad", args)).to.throw(/approverRoleNames: \[\]: at least one IAM role in prod/);
            expect(() => new ModelServing("bad", { ...args, approverRoleNames: ["ml-engineers"], engineerRoleNames: ["ml-engineers"] })).to.throw(/approverRoleNames\[0\]: "ml-engineers": is also in engineerRoleNames/);
            expect(() => new ModelServing("bad", { ...args, approverRoleNames: ["r"], serverlessCaps: { memorySizeMb: 7168, maxConcurrency: 50 } })).to.throw(/serverlessMemoryMb: 7168/);
        });

        it("builds its children under its own name, as one component", async () => {
            const run = await runComponent(() => new ModelServing("svc", { namePrefix: "mf-dev", region: REGION, models: ["churn", "fraud"], bucketArn: "arn:aws:s3:::b", kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/k", imageRepositoryArn: "arn:aws:ecr:us-east-1:123456789012:repository/mf-dev/flows", environment: "dev" }));
            const children = run.resources.filter((r) => r.type !== "metaflow:serving:ModelServing");
            expect(run.resources.filter((r) => r.type === "metaflow:serving:ModelServing")).to.have.length(1);
            for (const r of children) expect(r.name, r.type).to.match(/^svc-/);
            expect(children.filter((r) => r.type === GROUP).map((r) => r.inputs.modelPackageGroupName)).to.deep.equal(["mf-dev-churn", "mf-dev-fraud"]);
        });
    });

    describe("in the dev stack with serving: {models: [churn]}", () => {
        let run: StackRun;
        let endpointRoleArn: string;
        let endpointPolicy: unknown;
        let jobPolicy: { Statement: any[] };
        let jobRoleArn: string;
        const BUCKET = () => (run.outputs as any).artifactBucketArn as string;
        before(async () => {
            run = await runStack("dev", { set: SERVING });
            endpointRoleArn = (run.outputs as any).serving.churn.endpointRoleArn;
            endpointPolicy = policyOf(run.one(POLICY, "-churn-endpoint"));
            jobPolicy = policyOf(run.one(POLICY, "-job-policy"));
            jobRoleArn = (run.outputs as any).metaflowConfig.METAFLOW_ECS_S3_ACCESS_IAM_ROLE;
            resourcePolicies = { s3: policyOf(run.one("aws:s3/bucketPolicy:BucketPolicy", "-artifacts-policy")), kms: policyOf(run.one("aws:kms/key:Key")) };
        });
        after(() => (resourcePolicies = {}));

        it("creates the model package group <namePrefix>-<model>, described and tagged", () => {
            const group = run.one(GROUP, "-churn-group");
            expect(group.inputs.modelPackageGroupName).to.equal("mf-dev-churn");
            expect(group.inputs.modelPackageGroupDescription).to.contain("churn");
            expect(group.inputs.tags).to.deep.equal({ model: "churn" });
            expect((run.outputs as any).serving.churn.group).to.equal("mf-dev-churn");
        });

        it("gives the endpoint role a trust of SageMaker on behalf of this account only, like the other service roles", () => {
            const role = run.one(ROLE, "-churn-endpoint");
            expect(physicalNameOf(role)).to.equal("mf-dev-serve-churn");
            const trust = policyOf(role, "assumeRolePolicy").Statement;
            expect(trust).to.deep.equal([{ Effect: "Allow", Principal: { Service: "sagemaker.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT } } }]);
        });

        it("lets the endpoint role read only its model's artifacts, decrypt only through S3, pull only the platform's images, log only to its endpoints", async () => {
            const get = (key: string) => simulate(endpointRoleArn, endpointPolicy, "s3:GetObject", `${BUCKET()}/${key}`);
            expect(await get("data/models/churn/x")).to.equal("Allowed");
            expect(await get("data/models/churn/run-42/model.tar.gz")).to.equal("Allowed");
            expect(await get("data/models/other/x")).to.not.equal("Allowed");
            expect(await get("data/models/churn")).to.not.equal("Allowed");
            expect(await get("data/x")).to.not.equal("Allowed");
            expect(await get("metaflow/ChurnFlow/data/ab/abcdef")).to.not.equal("Allowed");
            expect(await simulate(endpointRoleArn, endpointPolicy, "s3:PutObject", `${BUCKET()}/data/models/churn/x`)).to.not.equal("Allowed");
            expect(await simulate(endpointRoleArn, endpointPolicy, "s3:ListBucket", BUCKET())).to.not.equal("Allowed");

            const key = (run.outputs as any).kmsKeyArn as string;
            expect(await simulate(endpointRoleArn, endpointPolicy, "kms:Decrypt", key, { "kms:ViaService": `s3.${REGION}.amazonaws.com` })).to.equal("Allowed");
            expect(await simulate(endpointRoleArn, endpointPolicy, "kms:Decrypt", key, { "kms:ViaService": `ssm.${REGION}.amazonaws.com` })).to.not.equal("Allowed");
            expect(await simulate(endpointRoleArn, endpointPolicy, "kms:Decrypt", key)).to.not.equal("Allowed");

            const repo = `arn:aws:ecr:${REGION}:${MOCK_ACCOUNT}:repository/mf-dev/flows`;
            const repoArn = (policyOf(run.one(POLICY, "-churn-endpoint")).Statement.find((s: any) => s.Sid === "PullPlatformImages") as any).Resource;
            expect(repoArn).to.be.a("string").and.not.contain("*");
            expect(await simulate(endpointRoleArn, endpointPolicy, "ecr:BatchGetImage", repoArn)).to.equal("Allowed");
            expect(await simulate(endpointRoleArn, endpointPolicy, "ecr:BatchGetImage", repo.replace("mf-dev/flows", "other/images"))).to.not.equal("Allowed");

            const logs = `arn:aws:logs:${REGION}:${MOCK_ACCOUNT}:log-group`;
            expect(await simulate(endpointRoleArn, endpointPolicy, "logs:PutLogEvents", `${logs}:/aws/sagemaker/Endpoints/mf-dev-churn:log-stream:AllTraffic/i-1`)).to.equal("Allowed");
            expect(await simulate(endpointRoleArn, endpointPolicy, "logs:PutLogEvents", `${logs}:/aws/sagemaker/Endpoints/mf-dev-other:log-stream:x`)).to.not.equal("Allowed");
            expect(await simulate(endpointRoleArn, endpointPolicy, "logs:PutLogEvents", `${logs}:/aws/sagemaker/TrainingJobs:log-stream:x`)).to.not.equal("Allowed");
        });

        it("lets the job role pass the endpoint role to SageMaker only, and no role other than it and the SageMaker execution role", async () => {
            const pass = (role: string, service: string) => simulate(jobRoleArn, jobPolicy, "iam:PassRole", role, { "iam:PassedToService": service });
            expect(await pass(endpointRoleArn, "sagemaker.amazonaws.com")).to.equal("Allowed");
            expect(await pass(endpointRoleArn, "ecs-tasks.amazonaws.com")).to.not.equal("Allowed");
            expect(await pass(endpointRoleArn, "lambda.amazonaws.com")).to.not.equal("Allowed");
            expect(await simulate(jobRoleArn, jobPolicy, "iam:PassRole", endpointRoleArn)).to.not.equal("Allowed");
            const others = run.ofType(ROLE).map((r) => r.state.arn as string).filter((arn) => arn !== endpointRoleArn && arn !== (run.outputs as any).batch.sagemakerRoleArn);
            expect(others.length).to.be.greaterThan(3);
            for (const arn of [...others, `arn:aws:iam::${MOCK_ACCOUNT}:role/mf-dev-serve-other`, `arn:aws:iam::${MOCK_ACCOUNT}:role/admin`]) {
                expect(await pass(arn, "sagemaker.amazonaws.com"), arn).to.not.equal("Allowed");
            }
            const statement = jobPolicy.Statement.find((s) => s.Sid === "PassEndpointRoles");
            expect(statement).to.deep.include({ Action: "iam:PassRole", Resource: [endpointRoleArn], Condition: { StringEquals: { "iam:PassedToService": "sagemaker.amazonaws.com" } } });
        });

        it("tells flows the group, the endpoint role and the environment's serverless caps in Parameter Store settings", () => {
            const setting = (name: string) => run.ofType("aws:ssm/parameter:Parameter").find((p) => p.inputs.name === `/mf-dev/settings/${name}`)?.inputs.insecureValue;
            expect(setting("serving-churn-group")).to.equal("mf-dev-churn");
            expect(setting("serving-churn-endpoint-role")).to.equal(endpointRoleArn);
            expect(setting("serving-churn-memory-mb")).to.equal("2048");
            expect(setting("serving-churn-max-concurrency")).to.equal("5");
        });

        it("attaches the approver policy <namePrefix>-model-approver to each approver role, and to no one else", () => {
            const policy = run.one("aws:iam/policy:Policy", "-serving-approver");
            expect(physicalNameOf(policy)).to.equal("mf-dev-model-approver");
            const attached = run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.policyArn === policy.state.arn);
            expect(attached.map((a) => a.inputs.role)).to.deep.equal(["ml-model-reviewers"]);
            const sids = policyOf(policy).Statement.map((s: any) => s.Sid);
            expect(sids).to.deep.equal(["ApproveOrRejectModelVersions", "ReadModelVersions", "ReadModelGroups"]);
        });
    });

    it("configured caps reach the job role's conditions and the flows' settings; without approver roles, no approver policy", async () => {
        const run = await runStack("staging", { set: { serving: { models: ["churn"], serverlessMemoryMb: 4096, maxConcurrency: 20 } } });
        const setting = (name: string) => run.ofType("aws:ssm/parameter:Parameter").find((p) => p.inputs.name === `/mf-staging/settings/${name}`)?.inputs.insecureValue;
        expect([setting("serving-churn-memory-mb"), setting("serving-churn-max-concurrency")]).to.deep.equal(["4096", "20"]);
        const configs = policyOf(run.one(POLICY, "-job-policy")).Statement.find((s: any) => s.Sid === "ServerlessEndpointConfigs");
        expect(configs.Condition.NumericLessThanEquals).to.deep.equal({ "sagemaker:ServerlessMemorySize": "4096", "sagemaker:ServerlessMaxConcurrency": "20" });
        expect(run.ofType("aws:iam/policy:Policy").filter((p) => p.name.endsWith("-serving-approver"))).to.have.length(0);
        // Without serving, the job role keeps the environment's default caps (staging: 3072 MB, 10).
        const plain = policyOf((await runStack("staging")).one(POLICY, "-job-policy")).Statement.find((s: any) => s.Sid === "ServerlessEndpointConfigs");
        expect(plain.Condition.NumericLessThanEquals).to.deep.equal({ "sagemaker:ServerlessMemorySize": "3072", "sagemaker:ServerlessMaxConcurrency": "10" });
    });

    it("the engineers' policies fit IAM's managed-policy size with model deployment, under the longest prefix and two models", async () => {
        const run = await runStack("prod", { set: MAXIMAL });
        const deploy = run.one("aws:iam/policy:Policy", "-engineers-deploy-policy");
        expect(physicalNameOf(deploy)).to.equal(`${LONGEST_PREFIX}-metaflow-engineer-deploy`);
        expect(policyOf(deploy).Statement.map((s: any) => s.Sid)).to.include.members(["ServerlessEndpointConfigs", "PassEndpointRoles"]);
        const attached = run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.policyArn === deploy.state.arn).map((a) => a.inputs.role);
        // The engineers' roles, and each engineer's Studio workspace role (a workspace may do what its engineer may).
        const workspaceRoles = run.ofType("aws:iam/role:Role").filter((r) => r.name.includes("-workspaces-role-")).map((r) => r.state.name);
        expect(workspaceRoles).to.have.length(2);
        expect(attached).to.have.members([...(MAXIMAL.engineerRoleNames as string[]), ...workspaceRoles]);
        for (const p of [deploy, run.one("aws:iam/policy:Policy", "-engineers-policy")]) expect(policySize(policyOf(p)), p.name).to.be.at.most(MANAGED_POLICY_MAX_CHARS);
        expect(policySize(policyOf(run.one("aws:iam/policy:Policy", "-serving-approver")))).to.be.at.most(MANAGED_POLICY_MAX_CHARS);
    });

    it("without serving: no group, no endpoint role, no PassEndpointRoles, no serving output", async () => {
        const run = await runStack("dev");
        expect(run.ofType(GROUP)).to.have.length(0);
        expect(run.ofType(ROLE).filter((r) => /serve-/.test(physicalNameOf(r)))).to.have.length(0);
        expect(policyOf(run.one(POLICY, "-job-policy")).Statement.map((s: any) => s.Sid)).to.not.include("PassEndpointRoles");
        expect(run.outputs).to.not.have.property("serving");
    });

    for (const stack of ["dev", "prod"] as const) {
        it(`${stack} with serving: the three packs report no mandatory violation (the gate's plan)`, async () => {
            const file = path.join(tempDir("serving-"), `Pulumi.${stack}.yaml`);
            fs.writeFileSync(file, fs.readFileSync(stackFixture(stack), "utf8") + `  metaflow-platform:serving: ${JSON.stringify(SERVING.serving)}\n`);
            const result = await plan({ config: file, references: path.join(ROOT, "fixtures", "references.json"), json: true, showSecrets: false, policyConfig: fixturePolicyConfig(stack) });
            const violations = (result.document as any).violations as any[];
            expect(violations.filter((v) => v.enforcementLevel === "mandatory")).to.deep.equal([]);
            expect(result.mandatoryViolations).to.equal(false);
        });
    }

    it("keeps every name within AWS's limits under the longest prefix and the longest model name", async () => {
        const run = await runStack("prod", { set: MAXIMAL });
        const groups = run.ofType(GROUP).map((r) => r.inputs.modelPackageGroupName as string);
        expect(groups).to.include(`${LONGEST_PREFIX}-a-twenty-one-char-mdl`);
        for (const g of groups) expect(g.length, g).to.be.at.most(63);
        const roles = run.ofType(ROLE).map(physicalNameOf).filter((n) => n.includes("-serve-"));
        expect(roles).to.have.length(2);
        for (const n of roles) expect(n.length, n).to.be.at.most(NAME_LIMITS.iamRole);
    });
});
