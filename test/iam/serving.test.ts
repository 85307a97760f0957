/**
 * The job role's model registry and serving grants, simulated with AWS's policy evaluation logic
 * (@cloud-copilot/iam-simulate, offline) on the planned dev and prod stacks: a flow may register a model version only
 * pending manual approval, mark one rejected (its rollback), and deploy only serverless endpoints within the
 * environment's memory and concurrency caps, all named with the stack's prefix. It may never approve a version.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { expect } from "chai";

import { MOCK_ACCOUNT } from "../../offline/mocks";
import { policyOf, runStack } from "../harness";

const REGION = "us-east-1";
const SM = `arn:aws:sagemaker:${REGION}:${MOCK_ACCOUNT}`;

type Result = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

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
        async function job(action: string, resource: string, context: Record<string, string | string[]> = {}): Promise<Result> {
            const result = await runSimulation(
                {
                    request: { principal, action, resource: { resource, accountId: MOCK_ACCOUNT }, contextVariables: { "aws:SecureTransport": "true", ...context } },
                    identityPolicies: [{ name: "job", policy }],
                    serviceControlPolicies: [],
                    resourceControlPolicies: [],
                },
                {},
            );
            if (result.resultType === "error") throw new Error(`${action} on ${resource}: ${JSON.stringify(result.errors)}`);
            return result.overallResult;
        }

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
