/**
 * moto answers every SageMaker call the deploy flow (templates/deploy_model.py, design §2.6) makes, in the flow's
 * order: boto3 from the pyenv python3 against a moto server on 127.0.0.1 of this file's own (InvokeEndpoint's queue of
 * answers is one per server), started through the suite's launcher support/moto_sagemaker.py; each answer asserted.
 * A first version is registered pending approval, approved by a person (support/sagemaker_review.py), deployed to a
 * serverless endpoint and checked on a queued good answer; a second is deployed by UpdateEndpoint, reads the next
 * queued answer (bad), and is rolled back to v1's configuration, rejected and its configuration deleted.
 *
 * - Emulated by moto 5.2.1 itself: Create/Describe/List/UpdateModelPackage, CreateModelPackageGroup, Create/DeleteModel,
 *   Create/Describe/DeleteEndpointConfig, Create/Describe/DeleteEndpoint (and so boto3's `endpoint_in_service` waiter),
 *   sagemaker-runtime InvokeEndpoint (its answers queued through moto's results route, else fixed data).
 * - Added by the launcher: UpdateEndpoint (moto 5.2.1 has none): switches an existing endpoint to an existing
 *   configuration, `InService` at once; a missing endpoint or configuration is a ValidationException.
 * - Not checked by moto, so the flow must check them itself and this test cannot catch their omission: approval
 *   before CreateModel (a model is created from a pending or rejected package); whether an endpoint exists before
 *   InvokeEndpoint, or which configuration it runs (the answers come from the queue, whatever the endpoint); a
 *   configuration in use on DeleteEndpointConfig (AWS's documentation says it must not be done, without an error
 *   listed); endpoints are `InService` at once (AWS passes through Creating/Updating). And one difference: an
 *   UpdateModelPackage without CustomerMetadataProperties drops them in moto, where AWS's API removes them only
 *   through CustomerMetadataPropertiesToRemove (read from the API, not tried on AWS); the approver helper sends them
 *   back.
 */
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as path from "path";

import { Answer, BotoCalls, startBotoCalls } from "../support/boto-calls";
import { hasPythonModules, unavailable } from "../support/env";
import { MOTO_WITH_SAGEMAKER, MotoServer, startMoto } from "../support/moto";

/** The pyenv interpreter: moto 5.2.1 and a boto3 that knows serverless endpoints. */
const PYTHON = "python3";
const REVIEW = path.join(__dirname, "..", "support", "sagemaker_review.py");
const ACCOUNT = "123456789012";
const ARN = `arn:aws:sagemaker:us-east-1:${ACCOUNT}`;
const GROUP = "mf-it-churn";
const ENDPOINT = "mf-it-churn";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/mf-it-sagemaker`;
const SERVERLESS = { MemorySizeInMB: 2048, MaxConcurrency: 5 };

/** The answer of a call that must succeed. */
function ok(a: Answer): Record<string, any> {
    expect(a.error, JSON.stringify(a.error)).to.equal(undefined);
    return a.answer!;
}

/** The error of a call that must fail with a ValidationException naming `resource`. */
function invalid(a: Answer, resource: string): void {
    expect(a.error?.Code, JSON.stringify(a)).to.equal("ValidationException");
    expect(a.error!.Message).to.contain(resource);
}

/** What each version's steps create. */
const V: Record<1 | 2, { package: string; model: string; config: string }> = {
    1: { package: `${ARN}:model-package/${GROUP}/1`, model: `${GROUP}-v1`, config: `${GROUP}-v1` },
    2: { package: `${ARN}:model-package/${GROUP}/2`, model: `${GROUP}-v2`, config: `${GROUP}-v2` },
};

/**
 * The deploy flow's calls, step by step, in the order the flow makes them; each step asserts every answer. The steps
 * build on each other (the tests below run them in order, on one server).
 */
class DeployFlowCalls {
    constructor(
        private readonly aws: BotoCalls,
        private readonly env: NodeJS.ProcessEnv,
    ) {}

    private sm(operation: string, params: Record<string, unknown> = {}): Promise<Answer> {
        return this.aws.call("sagemaker", operation, params);
    }

    /** The support helper, as the deploy flow's test will call it: `sagemaker_review.py <command> ...`. */
    private review(...args: string[]): string {
        return execFileSync(PYTHON, [REVIEW, ...args], { env: this.env, encoding: "utf8" });
    }

    /** InvokeEndpoint as the flow's check calls it: held-out rows, a fresh probe id in CustomAttributes. */
    private invoke(probe: string, endpoint = ENDPOINT): Promise<Answer> {
        return this.aws.call("sagemaker-runtime", "invoke_endpoint", { EndpointName: endpoint, ContentType: "text/csv", Accept: "text/csv", CustomAttributes: `probe=${probe}`, Body: "0.1,0.2,0.3,0.4\n0.5,0.6,0.7,0.8\n" });
    }

    async registerAndApprove(n: 1 | 2, run: string): Promise<void> {
        if (n === 1) expect(ok(await this.sm("create_model_package_group", { ModelPackageGroupName: GROUP, ModelPackageGroupDescription: "churn" })).ModelPackageGroupArn).to.equal(`${ARN}:model-package-group/${GROUP}`);
        const created = ok(await this.sm("create_model_package", {
            ModelPackageGroupName: GROUP,
            ModelApprovalStatus: "PendingManualApproval",
            CustomerMetadataProperties: { "metaflow-run": run },
            InferenceSpecification: {
                Containers: [{ Image: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/mf-it-serve:1`, ModelDataUrl: `s3://mf-it-bucket/data/models/churn/${run}/model.tar.gz` }],
                SupportedContentTypes: ["text/csv"],
                SupportedResponseMIMETypes: ["text/csv"],
            },
        }));
        expect(created.ModelPackageArn).to.equal(V[n].package);
        const pending = ok(await this.sm("describe_model_package", { ModelPackageName: V[n].package }));
        expect(pending).to.deep.include({ ModelPackageGroupName: GROUP, ModelPackageVersion: n, ModelApprovalStatus: "PendingManualApproval", CustomerMetadataProperties: { "metaflow-run": run } });
        const approved = JSON.parse(this.review("approve", V[n].package, `v${n} reviewed`));
        expect(approved).to.deep.equal({ ModelPackageArn: V[n].package, ModelApprovalStatus: "Approved", ApprovalDescription: `v${n} reviewed`, CustomerMetadataProperties: { "metaflow-run": run } });
        const latest = ok(await this.sm("list_model_packages", { ModelPackageGroupName: GROUP, ModelApprovalStatus: "Approved", SortBy: "CreationTime", SortOrder: "Descending" }));
        expect(latest.ModelPackageSummaryList.map((p: any) => p.ModelPackageArn)).to.deep.equal(n === 1 ? [V[1].package] : [V[2].package, V[1].package]);
    }

    async createModelAndConfig(n: 1 | 2): Promise<void> {
        const model = ok(await this.sm("create_model", { ModelName: V[n].model, ExecutionRoleArn: ROLE, PrimaryContainer: { ModelPackageName: V[n].package } }));
        expect(model.ModelArn).to.equal(`${ARN}:model/${V[n].model}`);
        const config = ok(await this.sm("create_endpoint_config", { EndpointConfigName: V[n].config, ProductionVariants: [{ VariantName: "AllTraffic", ModelName: V[n].model, ServerlessConfig: SERVERLESS }] }));
        expect(config.EndpointConfigArn).to.equal(`${ARN}:endpoint-config/${V[n].config}`);
    }

    /** DescribeEndpoint after the waiter: in service on the configuration of version `n`, serverless. */
    async expectServing(n: 1 | 2): Promise<void> {
        expect(ok(await this.sm("wait_endpoint_in_service", { EndpointName: ENDPOINT, WaiterConfig: { Delay: 1, MaxAttempts: 5 } }))).to.deep.equal({});
        const endpoint = ok(await this.sm("describe_endpoint", { EndpointName: ENDPOINT }));
        expect(endpoint).to.deep.include({ EndpointName: ENDPOINT, EndpointArn: `${ARN}:endpoint/${ENDPOINT}`, EndpointStatus: "InService", EndpointConfigName: V[n].config });
        expect(endpoint.ProductionVariants).to.deep.equal([{ VariantName: "AllTraffic", CurrentServerlessConfig: SERVERLESS, DesiredServerlessConfig: SERVERLESS }]);
    }

    async firstDeploy(): Promise<void> {
        await this.createModelAndConfig(1);
        // The flow asks for the previous configuration: none, so it creates the endpoint.
        invalid(await this.sm("describe_endpoint", { EndpointName: ENDPOINT }), `endpoint/${ENDPOINT}`);
        expect(ok(await this.sm("create_endpoint", { EndpointName: ENDPOINT, EndpointConfigName: V[1].config })).EndpointArn).to.equal(`${ARN}:endpoint/${ENDPOINT}`);
        await this.expectServing(1);
        // What the two checks will read, queued once as the deploy flow's test will: good predictions, then bad ones.
        this.review("results", JSON.stringify([
            { Body: "1\n0\n", ContentType: "text/csv", InvokedProductionVariant: "AllTraffic" },
            { Body: "0\n1\n", ContentType: "text/csv", InvokedProductionVariant: "AllTraffic" },
        ]));
        expect(ok(await this.invoke("v1"))).to.deep.include({ Body: "1\n0\n", ContentType: "text/csv", InvokedProductionVariant: "AllTraffic" });
        // The same request again gets the same answer (a retried check reads what it read), without taking from the queue.
        expect(ok(await this.invoke("v1")).Body).to.equal("1\n0\n");
    }

    async secondDeploy(): Promise<void> {
        await this.registerAndApprove(2, "TrainFlow/9");
        await this.createModelAndConfig(2);
        const described = ok(await this.sm("describe_endpoint_config", { EndpointConfigName: V[2].config }));
        expect(described.ProductionVariants).to.deep.equal([{ VariantName: "AllTraffic", ModelName: V[2].model, ServerlessConfig: SERVERLESS }]);
        // The previous configuration, kept for the rollback.
        expect(ok(await this.sm("describe_endpoint", { EndpointName: ENDPOINT })).EndpointConfigName).to.equal(V[1].config);
        expect(ok(await this.sm("update_endpoint", { EndpointName: ENDPOINT, EndpointConfigName: V[2].config })).EndpointArn).to.equal(`${ARN}:endpoint/${ENDPOINT}`);
        await this.expectServing(2);
    }

    async checkAndRollBack(): Promise<void> {
        // A fresh probe id takes the next queued result: the bad predictions.
        expect(ok(await this.invoke("v2"))).to.deep.include({ Body: "0\n1\n", ContentType: "text/csv" });
        // Accuracy below the setting: back to v1's configuration, v2 rejected with the reason, its configuration and model deleted.
        ok(await this.sm("update_endpoint", { EndpointName: ENDPOINT, EndpointConfigName: V[1].config }));
        await this.expectServing(1);
        expect(ok(await this.sm("update_model_package", { ModelPackageArn: V[2].package, ModelApprovalStatus: "Rejected", ApprovalDescription: "accuracy 0.50 < 0.70" })).ModelPackageArn).to.equal(V[2].package);
        const rejected = ok(await this.sm("describe_model_package", { ModelPackageName: V[2].package }));
        expect(rejected).to.deep.include({ ModelApprovalStatus: "Rejected", ApprovalDescription: "accuracy 0.50 < 0.70" });
        // moto drops the metadata the request left out (AWS's API removes them only through CustomerMetadataPropertiesToRemove).
        expect(rejected.CustomerMetadataProperties).to.equal(undefined);
        expect(ok(await this.sm("delete_endpoint_config", { EndpointConfigName: V[2].config }))).to.deep.equal({});
        expect(ok(await this.sm("delete_model", { ModelName: V[2].model }))).to.deep.equal({});
        invalid(await this.sm("describe_endpoint_config", { EndpointConfigName: V[2].config }), `endpoint-config/${V[2].config}`);
        expect(ok(await this.sm("describe_endpoint", { EndpointName: ENDPOINT })).EndpointConfigName).to.equal(V[1].config);
    }

    async updateErrors(): Promise<void> {
        invalid(await this.sm("update_endpoint", { EndpointName: "mf-it-missing", EndpointConfigName: V[1].config }), "endpoint/mf-it-missing");
        invalid(await this.sm("update_endpoint", { EndpointName: ENDPOINT, EndpointConfigName: "mf-it-missing" }), "endpoint-config/mf-it-missing");
        expect(ok(await this.sm("describe_endpoint", { EndpointName: ENDPOINT })).EndpointConfigName).to.equal(V[1].config);
    }

    async notChecked(): Promise<void> {
        // A model from the rejected package: created (the flow's wait_approval step is the only guard).
        expect(ok(await this.sm("create_model", { ModelName: `${GROUP}-rejected`, ExecutionRoleArn: ROLE, PrimaryContainer: { ModelPackageName: V[2].package } })).ModelArn).to.equal(`${ARN}:model/${GROUP}-rejected`);
        // The queue is empty: fixed data, for an endpoint that does not exist.
        expect(ok(await this.invoke("nobody", "mf-it-missing"))).to.deep.include({ Body: "body", ContentType: "content_type" });
        // The configuration the endpoint runs: deleted without an error, on AWS too (documented "must not").
        expect(ok(await this.sm("delete_endpoint_config", { EndpointConfigName: V[1].config }))).to.deep.equal({});
        expect(ok(await this.sm("describe_endpoint", { EndpointName: ENDPOINT })).EndpointStatus).to.equal("InService");
        // A first deploy that fails its check deletes the endpoint.
        expect(ok(await this.sm("delete_endpoint", { EndpointName: ENDPOINT }))).to.deep.equal({});
        invalid(await this.sm("describe_endpoint", { EndpointName: ENDPOINT }), `endpoint/${ENDPOINT}`);
    }
}

describe("SageMaker in moto: the deploy flow's calls (register, approve, deploy, update, check, roll back)", function () {
    this.timeout(60_000);
    let moto: MotoServer | undefined;
    let aws: BotoCalls | undefined;
    let flow: DeployFlowCalls;
    let env: NodeJS.ProcessEnv;

    before(async function () {
        if (!hasPythonModules(PYTHON, ["moto.server", "boto3"])) unavailable(this, "moto 5 (server mode) and boto3 in the pyenv python3");
        moto = await startMoto(PYTHON, 20_000, MOTO_WITH_SAGEMAKER);
        env = {
            PATH: process.env.PATH,
            AWS_ENDPOINT_URL: moto.url,
            AWS_ACCESS_KEY_ID: "testing",
            AWS_SECRET_ACCESS_KEY: "testing",
            AWS_DEFAULT_REGION: "us-east-1",
            AWS_CONFIG_FILE: "/dev/null",
            AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
            AWS_EC2_METADATA_DISABLED: "true",
        };
        aws = startBotoCalls(PYTHON, env);
        flow = new DeployFlowCalls(aws, env);
    });

    after(() => {
        aws?.stop();
        moto?.stop();
    });

    it("moto 5.2.1 itself still has no UpdateEndpoint (else the launcher's extension can go)", () => {
        const has = execFileSync(PYTHON, ["-c", "from moto.sagemaker.responses import SageMakerResponse as R; print(hasattr(R, 'update_endpoint'))"], { env, encoding: "utf8" });
        expect(has.trim()).to.equal("False");
    });
    it("registers a version pending approval, which a person approves", () => flow.registerAndApprove(1, "TrainFlow/7"));
    it("first deploy: model, serverless configuration, endpoint (none before), in service, its check reading the first queued result", () => flow.firstDeploy());
    it("second version: approved, deployed by UpdateEndpoint (the launcher's extension)", () => flow.secondDeploy());
    it("v2's check reads the next queued result (bad): the flow rolls back to v1's configuration, rejects v2 and deletes its configuration", () => flow.checkAndRollBack());
    it("UpdateEndpoint refuses a missing endpoint or configuration with a ValidationException", () => flow.updateErrors());
    it("what moto does not check: approval before CreateModel, the endpoint behind InvokeEndpoint, a configuration in use", () => flow.notChecked());
});
