/**
 * The job role's model registry and serving grants, simulated with AWS's policy evaluation logic
 * (@cloud-copilot/iam-simulate, offline) on the planned dev and prod stacks: a flow may register a model version only
 * pending manual approval, mark one rejected (its rollback), and deploy only serverless endpoints within the
 * environment's memory and concurrency caps, all named with the stack's prefix. It may never approve a version.
 */
import { expect } from "chai";

import { MOCK_ACCOUNT } from "../../offline/mocks";
import { policyOf, runStack } from "../harness";
import { simulateRequest } from "./simulation";

const REGION = "us-east-1";
const SM = `arn:aws:sagemaker:${REGION}:${MOCK_ACCOUNT}`;


/** The caps of each environment's profile (stacks/compute.ts): serverless memory (MB) and concurrency. */
const CAPS = { dev: { memory: 2048, concurrency: 5 }, prod: { memory: 6144, concurrency: 50 } } as const;

for (const stack of ["dev", "prod"] as const) {
    describe(`IAM simulation of the job role's model registry and serving grants (${stack})`, () => {
        const prefix = `mf-${stack}`;
        const foreign = stack === "dev" ? "mf-prod" : "mf-dev";
        const cap = CAPS[stack];
        let principal: string;
        let policy: unknown;
        before(async () => {
            const run = await runStack(stack);
            principal = (run.outputs as any).metaflowConfig.METAFLOW_ECS_S3_ACCESS_IAM_ROLE;
            policy = policyOf(run.one("aws:iam/rolePolicy:RolePolicy", "-job-policy"));
        });

        /** Simulates one request of the job role; `context` values are strings, or lists for multi-valued keys. */
        const job = (action: string, resource: string, context: Record<string, string | string[]> = {}) => simulateRequest(principal, [policy], action, resource, context);

        /** The context SageMaker sends for CreateEndpointConfig of one serverless variant. */
        const serverless = (memory: number, concurrency: number, model = `${SM}:model/${prefix}-churn-v3`) => ({
            "sagemaker:ModelArn": model,
            "sagemaker:ServerlessMemorySize": String(memory),
            "sagemaker:ServerlessMaxConcurrency": String(concurrency),
        });

        it("registers a model version only pending manual approval, in a group named with the prefix", async () => {
            expect(await job("sagemaker:CreateModelPackageGroup", `${SM}:model-package-group/${prefix}-churn`)).to.equal("Allowed");
            expect(await job("sagemaker:DescribeModelPackageGroup", `${SM}:model-package-group/${prefix}-churn`)).to.equal("Allowed");
            for (const version of [`${SM}:model-package/${prefix}-churn/1`, `${SM}:model-package/${prefix}-churn`]) {
                expect(await job("sagemaker:CreateModelPackage", version, { "sagemaker:ModelApprovalStatus": "PendingManualApproval" }), version).to.equal("Allowed");
                expect(await job("sagemaker:CreateModelPackage", version, { "sagemaker:ModelApprovalStatus": "Approved" }), version).to.not.equal("Allowed");
                expect(await job("sagemaker:CreateModelPackage", version), `${version} without a status`).to.not.equal("Allowed");
            }
            expect(await job("sagemaker:DescribeModelPackage", `${SM}:model-package/${prefix}-churn/1`)).to.equal("Allowed");
            expect(await job("sagemaker:ListModelPackages", `${SM}:model-package/${prefix}-churn`)).to.equal("Allowed");
            expect(await job("sagemaker:CreateModelPackageGroup", `${SM}:model-package-group/${foreign}-churn`)).to.not.equal("Allowed");
            expect(await job("sagemaker:CreateModelPackage", `${SM}:model-package/${foreign}-churn/1`, { "sagemaker:ModelApprovalStatus": "PendingManualApproval" })).to.not.equal("Allowed");
        });

        it("may mark a version rejected (the rollback), never approve one", async () => {
            const version = `${SM}:model-package/${prefix}-churn/2`;
            expect(await job("sagemaker:UpdateModelPackage", version, { "sagemaker:ModelApprovalStatus": "Rejected" })).to.equal("Allowed");
            expect(await job("sagemaker:UpdateModelPackage", version, { "sagemaker:ModelApprovalStatus": "Approved" })).to.not.equal("Allowed");
            expect(await job("sagemaker:UpdateModelPackage", version, { "sagemaker:ModelApprovalStatus": "PendingManualApproval" })).to.not.equal("Allowed");
            expect(await job("sagemaker:UpdateModelPackage", `${SM}:model-package/${foreign}-churn/2`, { "sagemaker:ModelApprovalStatus": "Rejected" })).to.not.equal("Allowed");
        });

        it(`creates serverless endpoint configs of a prefixed model up to the caps (${cap.memory} MB, ${cap.concurrency} concurrent), nothing else`, async () => {
            const config = `${SM}:endpoint-config/${prefix}-churn-v3`;
            expect(await job("sagemaker:CreateEndpointConfig", config, serverless(cap.memory, cap.concurrency))).to.equal("Allowed");
            expect(await job("sagemaker:CreateEndpointConfig", config, serverless(1024, 1))).to.equal("Allowed");
            expect(await job("sagemaker:CreateEndpointConfig", config, serverless(cap.memory + 1024, cap.concurrency)), "memory above the cap").to.not.equal("Allowed");
            expect(await job("sagemaker:CreateEndpointConfig", config, serverless(cap.memory, cap.concurrency + 1)), "concurrency above the cap").to.not.equal("Allowed");
            // An instance-backed config has no serverless keys: the numeric conditions fail, with or without its instance types.
            const model = { "sagemaker:ModelArn": `${SM}:model/${prefix}-churn-v3` };
            expect(await job("sagemaker:CreateEndpointConfig", config, model), "no serverless keys").to.equal("ImplicitlyDenied");
            expect(await job("sagemaker:CreateEndpointConfig", config, { ...model, "sagemaker:InstanceTypes": ["ml.m5.xlarge"] }), "instance-backed").to.equal("ExplicitlyDenied");
            // A config mixing a serverless and an instance variant sends both: the explicit Deny on instance types refuses it.
            expect(await job("sagemaker:CreateEndpointConfig", config, { ...serverless(cap.memory, cap.concurrency), "sagemaker:InstanceTypes": ["ml.g5.xlarge"] }), "serverless and instance variants").to.equal("ExplicitlyDenied");
            expect(await job("sagemaker:CreateEndpointConfig", config, serverless(cap.memory, cap.concurrency, `${SM}:model/${foreign}-churn-v3`)), "a model outside the prefix").to.not.equal("Allowed");
            expect(await job("sagemaker:CreateEndpointConfig", config, serverless(cap.memory, cap.concurrency, `${SM}:model/shared-churn`)), "a model outside the prefix").to.not.equal("Allowed");
            expect(await job("sagemaker:CreateEndpointConfig", config, { "sagemaker:ServerlessMemorySize": String(cap.memory), "sagemaker:ServerlessMaxConcurrency": String(cap.concurrency) }), "no model").to.not.equal("Allowed");
            expect(await job("sagemaker:CreateEndpointConfig", `${SM}:endpoint-config/${foreign}-churn-v3`, serverless(cap.memory, cap.concurrency)), "a config outside the prefix").to.not.equal("Allowed");
        });

        it("creates, updates and invokes endpoints under the prefix only, from configs under the prefix", async () => {
            const endpoint = `${SM}:endpoint/${prefix}-churn`;
            const config = `${SM}:endpoint-config/${prefix}-churn-v3`;
            for (const action of ["sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint"]) {
                expect(await job(action, endpoint), action).to.equal("Allowed");
                expect(await job(action, config), action).to.equal("Allowed");
                expect(await job(action, `${SM}:endpoint/${foreign}-churn`), `${action} outside the prefix`).to.not.equal("Allowed");
                expect(await job(action, `${SM}:endpoint-config/${foreign}-churn-v3`), `${action} from a foreign config`).to.not.equal("Allowed");
            }
            for (const action of ["sagemaker:InvokeEndpoint", "sagemaker:DescribeEndpoint", "sagemaker:DeleteEndpoint"]) {
                expect(await job(action, endpoint), action).to.equal("Allowed");
                expect(await job(action, `${SM}:endpoint/${foreign}-churn`), action).to.not.equal("Allowed");
            }
            for (const action of ["sagemaker:DescribeEndpointConfig", "sagemaker:DeleteEndpointConfig"]) expect(await job(action, config), action).to.equal("Allowed");
            expect(await job("sagemaker:CreateModel", `${SM}:model/${prefix}-churn-v3`)).to.equal("Allowed");
            expect(await job("sagemaker:CreateTrainingJob", `${SM}:training-job/${prefix}-churn-42`)).to.equal("Allowed");
        });
    });
}

/** Simulates one request of `principal` under the given identity policies. */
const simulateWith = (principal: string, policies: Array<{ name: string; policy: unknown }>, action: string, resource: string, context: Record<string, string | string[]> = {}) =>
    simulateRequest(principal, policies.map((p) => p.policy), action, resource, context);

const ENGINEERS = "ml-engineers";
const REVIEWERS = "ml-model-reviewers";
/** Serving with a reviewers' role that approves (prod needs one, and it must not be an engineer role). */
const SERVED = { engineerRoleNames: [ENGINEERS], serving: { models: ["churn"], approverRoleNames: [REVIEWERS] } };
const role = (name: string) => `arn:aws:iam::${MOCK_ACCOUNT}:role/${name}`;
const serverlessConfig = (prefix: string, memory: number, concurrency: number) => ({
    "sagemaker:ModelArn": `${SM}:model/${prefix}-churn-v3`,
    "sagemaker:ServerlessMemorySize": String(memory),
    "sagemaker:ServerlessMaxConcurrency": String(concurrency),
});

describe("IAM simulation of model approval: the approver roles approve, flows never", () => {
    let approver: unknown;
    let job: unknown;
    let jobRole: string;
    before(async () => {
        const run = await runStack("prod", { set: SERVED });
        approver = policyOf(run.one("aws:iam/policy:Policy", "-serving-approver"));
        job = policyOf(run.one("aws:iam/rolePolicy:RolePolicy", "-job-policy"));
        jobRole = (run.outputs as any).metaflowConfig.METAFLOW_ECS_S3_ACCESS_IAM_ROLE;
    });
    const reviewer = (action: string, resource: string, context: Record<string, string> = {}) => simulateWith(role(REVIEWERS), [{ name: "approver", policy: approver }], action, resource, context);

    it("lets an approver approve or reject a version of the stack's groups, and read them, nothing else", async () => {
        const version = `${SM}:model-package/mf-prod-churn/3`;
        expect(await reviewer("sagemaker:UpdateModelPackage", version, { "sagemaker:ModelApprovalStatus": "Approved" })).to.equal("Allowed");
        expect(await reviewer("sagemaker:UpdateModelPackage", version, { "sagemaker:ModelApprovalStatus": "Rejected" })).to.equal("Allowed");
        expect(await reviewer("sagemaker:UpdateModelPackage", version, { "sagemaker:ModelApprovalStatus": "PendingManualApproval" }), "back to pending").to.not.equal("Allowed");
        expect(await reviewer("sagemaker:UpdateModelPackage", version), "without a status (metadata only)").to.not.equal("Allowed");
        expect(await reviewer("sagemaker:UpdateModelPackage", `${SM}:model-package/mf-dev-churn/3`, { "sagemaker:ModelApprovalStatus": "Approved" }), "another stack's version").to.not.equal("Allowed");
        expect(await reviewer("sagemaker:DescribeModelPackage", version)).to.equal("Allowed");
        expect(await reviewer("sagemaker:ListModelPackages", `${SM}:model-package/mf-prod-churn`)).to.equal("Allowed");
        expect(await reviewer("sagemaker:DescribeModelPackageGroup", `${SM}:model-package-group/mf-prod-churn`)).to.equal("Allowed");
        expect(await reviewer("sagemaker:DescribeModelPackage", `${SM}:model-package/mf-prod-fraud/1`), "a group the stack does not serve").to.not.equal("Allowed");
        for (const [action, resource] of [
            ["sagemaker:CreateModelPackage", version],
            ["sagemaker:CreateEndpoint", `${SM}:endpoint/mf-prod-churn`],
            ["sagemaker:CreateModel", `${SM}:model/mf-prod-churn-v3`],
            ["sagemaker:DeleteModelPackage", version],
        ]) {
            expect(await reviewer(action, resource, { "sagemaker:ModelApprovalStatus": "PendingManualApproval" }), action).to.not.equal("Allowed");
        }
    });

    it("never lets the job role approve, even were the approver policy attached to it (explicit Deny)", async () => {
        const version = `${SM}:model-package/mf-prod-churn/3`;
        const approve = { "sagemaker:ModelApprovalStatus": "Approved" };
        expect(await simulateWith(jobRole, [{ name: "job", policy: job }], "sagemaker:UpdateModelPackage", version, approve)).to.equal("ExplicitlyDenied");
        const both = [
            { name: "job", policy: job },
            { name: "approver", policy: approver },
        ];
        expect(await simulateWith(jobRole, both, "sagemaker:UpdateModelPackage", version, approve)).to.equal("ExplicitlyDenied");
        expect(await simulateWith(jobRole, both, "sagemaker:UpdateModelPackage", version, { "sagemaker:ModelApprovalStatus": "Rejected" }), "the rollback still rejects").to.equal("Allowed");
    });
});

describe("IAM simulation of engineers deploying models (serving.engineersMayDeploy)", () => {
    /** The engineers' policy of a stack planned with `set`. */
    /** Every policy the stack attaches to the engineers' role (the engineer policy, and the deploy policy when they may deploy). */
    async function engineerPolicy(stack: string, set: Record<string, unknown>): Promise<{ policy: Array<{ name: string; policy: unknown }>; endpointRole: string }> {
        const run = await runStack(stack, { set });
        const arns = run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.role === ENGINEERS).map((a) => a.inputs.policyArn);
        const policies = run.ofType("aws:iam/policy:Policy").filter((p) => arns.includes(p.state.arn));
        expect(policies.map((p) => p.name)).to.include(`mf-${stack}-engineers-policy`);
        return { policy: policies.map((p) => ({ name: p.name, policy: policyOf(p) })), endpointRole: (run.outputs as any).serving.churn.endpointRoleArn };
    }
    const engineer = (policies: Array<{ name: string; policy: unknown }>, action: string, resource: string, context: Record<string, string | string[]> = {}) => simulateWith(role(ENGINEERS), policies, action, resource, context);

    it("prod (default false): an engineer may not register, create endpoint configs or endpoints, or pass an endpoint role", async () => {
        const { policy, endpointRole } = await engineerPolicy("prod", SERVED);
        expect(await engineer(policy, "sagemaker:CreateEndpointConfig", `${SM}:endpoint-config/mf-prod-churn-v3`, serverlessConfig("mf-prod", 1024, 1))).to.equal("ImplicitlyDenied");
        expect(await engineer(policy, "sagemaker:CreateEndpoint", `${SM}:endpoint/mf-prod-churn`)).to.equal("ImplicitlyDenied");
        expect(await engineer(policy, "sagemaker:UpdateEndpoint", `${SM}:endpoint/mf-prod-churn`)).to.equal("ImplicitlyDenied");
        expect(await engineer(policy, "sagemaker:CreateModel", `${SM}:model/mf-prod-churn-v3`)).to.equal("ImplicitlyDenied");
        expect(await engineer(policy, "sagemaker:CreateModelPackage", `${SM}:model-package/mf-prod-churn/3`, { "sagemaker:ModelApprovalStatus": "PendingManualApproval" })).to.equal("ImplicitlyDenied");
        expect(await engineer(policy, "iam:PassRole", endpointRole, { "iam:PassedToService": "sagemaker.amazonaws.com" })).to.equal("ImplicitlyDenied");
    });

    it("dev (default true): an engineer creates a serverless endpoint config within the caps (2048 MB, 5), not above them, never instance-backed", async () => {
        const { policy, endpointRole } = await engineerPolicy("dev", SERVED);
        const config = `${SM}:endpoint-config/mf-dev-churn-v3`;
        expect(await engineer(policy, "sagemaker:CreateEndpointConfig", config, serverlessConfig("mf-dev", 2048, 5))).to.equal("Allowed");
        expect(await engineer(policy, "sagemaker:CreateEndpointConfig", config, serverlessConfig("mf-dev", 1024, 1))).to.equal("Allowed");
        expect(await engineer(policy, "sagemaker:CreateEndpointConfig", config, serverlessConfig("mf-dev", 3072, 5)), "memory above the cap").to.not.equal("Allowed");
        expect(await engineer(policy, "sagemaker:CreateEndpointConfig", config, serverlessConfig("mf-dev", 2048, 6)), "concurrency above the cap").to.not.equal("Allowed");
        const model = { "sagemaker:ModelArn": `${SM}:model/mf-dev-churn-v3` };
        expect(await engineer(policy, "sagemaker:CreateEndpointConfig", config, model), "no serverless keys").to.equal("ImplicitlyDenied");
        expect(await engineer(policy, "sagemaker:CreateEndpointConfig", config, { ...model, "sagemaker:InstanceTypes": ["ml.m5.xlarge"] }), "instance-backed").to.equal("ExplicitlyDenied");
        expect(await engineer(policy, "sagemaker:CreateEndpointConfig", `${SM}:endpoint-config/mf-prod-churn-v3`, serverlessConfig("mf-dev", 2048, 5)), "outside the prefix").to.not.equal("Allowed");
        expect(await engineer(policy, "sagemaker:CreateEndpoint", `${SM}:endpoint/mf-dev-churn`)).to.equal("Allowed");
        expect(await engineer(policy, "sagemaker:CreateModel", `${SM}:model/mf-dev-churn-v3`)).to.equal("Allowed");
        expect(await engineer(policy, "sagemaker:CreateModelPackage", `${SM}:model-package/mf-dev-churn/3`, { "sagemaker:ModelApprovalStatus": "PendingManualApproval" })).to.equal("Allowed");
        expect(await engineer(policy, "sagemaker:UpdateModelPackage", `${SM}:model-package/mf-dev-churn/3`, { "sagemaker:ModelApprovalStatus": "Approved" }), "the engineers' policy approves nothing").to.not.equal("Allowed");
        expect(await engineer(policy, "iam:PassRole", endpointRole, { "iam:PassedToService": "sagemaker.amazonaws.com" })).to.equal("Allowed");
        expect(await engineer(policy, "iam:PassRole", endpointRole, { "iam:PassedToService": "lambda.amazonaws.com" })).to.not.equal("Allowed");
    });

    it("follows the configured caps and the switch: dev with 4096 MB / 20 allows them; dev with engineersMayDeploy false allows nothing; prod may opt in", async () => {
        const larger = await engineerPolicy("dev", { ...SERVED, serving: { ...SERVED.serving, serverlessMemoryMb: 4096, maxConcurrency: 20 } });
        const config = `${SM}:endpoint-config/mf-dev-churn-v3`;
        expect(await engineer(larger.policy, "sagemaker:CreateEndpointConfig", config, serverlessConfig("mf-dev", 4096, 20))).to.equal("Allowed");
        expect(await engineer(larger.policy, "sagemaker:CreateEndpointConfig", config, serverlessConfig("mf-dev", 5120, 20))).to.not.equal("Allowed");
        const off = await engineerPolicy("dev", { ...SERVED, serving: { ...SERVED.serving, engineersMayDeploy: false } });
        expect(await engineer(off.policy, "sagemaker:CreateEndpointConfig", config, serverlessConfig("mf-dev", 1024, 1))).to.equal("ImplicitlyDenied");
        const prod = await engineerPolicy("prod", { ...SERVED, serving: { ...SERVED.serving, engineersMayDeploy: true } });
        expect(await engineer(prod.policy, "sagemaker:CreateEndpointConfig", `${SM}:endpoint-config/mf-prod-churn-v3`, serverlessConfig("mf-prod", 6144, 50))).to.equal("Allowed");
    });
});
