/**
 * Model serving on SageMaker: per model, the model package group its versions are registered in and the role its
 * serverless endpoints run as. The role reads only that model's artifacts (`<bucket>/data/models/<model>/*`), so a
 * served model never sees the datastore, other models or the data flows keep.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { DATATOOLS_PREFIX } from "../artifact-bucket";
import { regionalArns, serviceRole } from "../iam";
import { NAME_LIMITS, physicalName } from "../naming";
import { StepContext } from "../step-context";
import { modelGroupName, ServerlessCaps, SERVING_DEFAULTS, servingCaps, servingProblems } from "./rules";

export * from "./grants";
export * from "./rules";

/** Where a model's artifacts live under the datastore bucket: `data/models/<model>/` (the flow packages `model.tar.gz` there). */
export function modelArtifactsPrefix(model: string): string {
    return `${DATATOOLS_PREFIX}/models/${model}/`;
}

/** Arguments of {@link ModelServing}. */
export interface ModelServingArgs {
    /** Short prefix: names the groups (`<namePrefix>-<model>`), the endpoint roles and the endpoints' log groups. */
    namePrefix: string;
    region: string;
    /** Model names: one model package group and one endpoint role each (see components/serving/rules.ts). */
    models: string[];
    /** The datastore bucket: an endpoint role reads its model's artifacts under `data/models/<model>/`. */
    bucketArn: pulumi.Input<string>;
    /** The platform key, which encrypts the bucket: endpoint roles decrypt with it through S3 only. */
    kmsKeyArn: pulumi.Input<string>;
    /** The platform's own image repository (BatchImages.repositoryArn): the only one endpoints may pull from. */
    imageRepositoryArn: pulumi.Input<string>;
    /** The stack's environment: prod needs approver roles, none of them an engineer role (components/serving/rules.ts). */
    environment: "dev" | "staging" | "prod";
    /** Existing IAM roles that may approve or reject the models' versions: the approver policy is attached to them. None when absent. */
    approverRoleNames?: string[];
    /** The engineers' roles (`engineerRoleNames`): in prod, no approver role may be one of them. */
    engineerRoleNames?: string[];
    /** The largest serverless endpoint config flows may deploy (published to flows as settings); default the environment's. */
    serverlessCaps?: ServerlessCaps;
}

/** Problems with the arguments: the component throws on them; the configuration reports the same rules (servingProblems) for the `serving` key. */
export function validateModelServingArgs(args: ModelServingArgs): string[] {
    const problems: string[] = [];
    if (!/^[a-z][a-z0-9-]{1,30}$/.test(args.namePrefix)) problems.push(`namePrefix "${args.namePrefix}" must be 2-31 lowercase letters, digits or hyphens`);
    const caps = args.serverlessCaps ?? servingCaps(SERVING_DEFAULTS[args.environment]);
    const settings = { models: args.models, approverRoleNames: args.approverRoleNames ?? [], serverlessMemoryMb: caps.memorySizeMb, maxConcurrency: caps.maxConcurrency };
    for (const p of servingProblems(settings, args.namePrefix, args.environment, args.engineerRoleNames ?? [])) problems.push(`${p.field}: ${JSON.stringify(p.given)}: ${p.message}`);
    return problems;
}

/** What one model gets. */
export interface ServedModel {
    /** `<namePrefix>-<model>`. */
    groupName: pulumi.Output<string>;
    groupArn: pulumi.Output<string>;
    /** The role its models and endpoints run as (passed to SageMaker's CreateModel). */
    endpointRoleArn: pulumi.Output<string>;
}

/** What every step of the component shares. */
type ServingContext = StepContext<ModelServingArgs>;

/** The model package group of one model: where its versions are registered (pending manual approval, by the job role). */
function modelGroup(ctx: ServingContext, model: string): aws.sagemaker.ModelPackageGroup {
    return new aws.sagemaker.ModelPackageGroup(
        `${ctx.name}-${model}-group`,
        {
            modelPackageGroupName: modelGroupName(ctx.args.namePrefix, model),
            modelPackageGroupDescription: `Versions of model ${model} (${ctx.args.namePrefix}), registered by Metaflow flows pending manual approval`,
            tags: { model },
        },
        { parent: ctx.parent },
    );
}

/** The inline policy of a model's endpoint role: its artifacts, the key through S3, the platform's images, its endpoint logs. */
function endpointPolicy(ctx: ServingContext, model: string): pulumi.Output<string> {
    const { args, arn } = ctx;
    const endpointLogs = arn("logs", `log-group:/aws/sagemaker/Endpoints/${modelGroupName(args.namePrefix, model)}*`);
    return pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
            { Sid: "ModelArtifacts", Effect: "Allow", Action: "s3:GetObject", Resource: pulumi.interpolate`${args.bucketArn}/${modelArtifactsPrefix(model)}*` },
            { Sid: "PlatformKeyThroughS3", Effect: "Allow", Action: "kms:Decrypt", Resource: args.kmsKeyArn, Condition: { StringEquals: { "kms:ViaService": `s3.${args.region}.amazonaws.com` } } },
            // GetAuthorizationToken has no resource-level permissions.
            { Sid: "RegistryToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
            { Sid: "PullPlatformImages", Effect: "Allow", Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"], Resource: args.imageRepositoryArn },
            { Sid: "EndpointLogs", Effect: "Allow", Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], Resource: endpointLogs },
        ],
    });
}

/** The role one model's SageMaker models and endpoints run as, trusted by SageMaker of this account only. */
function endpointRole(ctx: ServingContext, model: string): aws.iam.Role {
    const role = serviceRole(
        `${ctx.name}-${model}-endpoint`,
        { namePrefix: ctx.args.namePrefix, nameSuffix: `serve-${model}`, description: `SageMaker endpoints of model ${model}: its artifacts only`, service: "sagemaker.amazonaws.com", account: ctx.account },
        { parent: ctx.parent },
    );
    new aws.iam.RolePolicy(`${ctx.name}-${model}-endpoint`, { role: role.id, policy: endpointPolicy(ctx, model) }, { parent: ctx.parent });
    return role;
}

/**
 * What the approver roles may do: approve or reject a version of the stack's groups (`sagemaker:UpdateModelPackage` on
 * the versions `model-package/<namePrefix>-<group>/<n>`, only with `sagemaker:ModelApprovalStatus` Approved or
 * Rejected), and read the groups and their versions (scoped to the stack's groups) to decide.
 */
function approverPolicyDocument(ctx: ServingContext): pulumi.Output<string> {
    const { args, arn } = ctx;
    const names = args.models.map((m) => modelGroupName(args.namePrefix, m));
    return pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ApproveOrRejectModelVersions",
                Effect: "Allow",
                Action: "sagemaker:UpdateModelPackage",
                Resource: arn("sagemaker", `model-package/${args.namePrefix}-*/*`),
                Condition: { StringEquals: { "sagemaker:ModelApprovalStatus": ["Approved", "Rejected"] } },
            },
            // ListModelPackages' resource type is optional and it has no condition key: scoped to the groups, not "*".
            { Sid: "ReadModelVersions", Effect: "Allow", Action: ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"], Resource: names.flatMap((g) => [arn("sagemaker", `model-package/${g}`), arn("sagemaker", `model-package/${g}/*`)]) },
            { Sid: "ReadModelGroups", Effect: "Allow", Action: "sagemaker:DescribeModelPackageGroup", Resource: names.map((g) => arn("sagemaker", `model-package-group/${g}`)) },
        ],
    });
}

/** With approver roles: the approver policy `<namePrefix>-model-approver`, attached to each of them. */
function approverPolicy(ctx: ServingContext): aws.iam.Policy | undefined {
    const roles = ctx.args.approverRoleNames ?? [];
    if (!roles.length) return undefined;
    const policy = new aws.iam.Policy(
        `${ctx.name}-approver`,
        {
            name: physicalName(ctx.args.namePrefix, "model-approver", NAME_LIMITS.iamPolicy),
            description: `Approve or reject versions of the models served by ${ctx.args.namePrefix}`,
            policy: approverPolicyDocument(ctx),
        },
        { parent: ctx.parent },
    );
    for (const role of roles) new aws.iam.RolePolicyAttachment(`${ctx.name}-approver-${role}`, { role, policyArn: policy.arn }, { parent: ctx.parent });
    return policy;
}

/**
 * Per model: a model package group `<namePrefix>-<model>` and an endpoint role `<namePrefix>-serve-<model>` that reads
 * only `s3://<bucket>/data/models/<model>/*` (decrypting with the platform key through S3 only), pulls images only from
 * the platform's repository and writes logs only to its endpoints' log groups
 * (`/aws/sagemaker/Endpoints/<namePrefix>-<model>*`). The job role may pass these roles to SageMaker (stacks/compute.ts).
 * With approver roles, the policy `<namePrefix>-model-approver` lets them, and no one else, approve versions.
 */
export class ModelServing extends pulumi.ComponentResource {
    /** By model name. */
    public readonly models: Record<string, ServedModel>;
    /** Every endpoint role's ARN: what the job role may pass to SageMaker. */
    public readonly endpointRoleArns: pulumi.Output<string>[];
    /** The approver policy, when approverRoleNames are given. */
    public readonly approverPolicyArn?: pulumi.Output<string>;
    /** The largest serverless endpoint config flows may deploy: what the job role enforces and the deploy flow reads. */
    public readonly caps: ServerlessCaps;

    constructor(name: string, args: ModelServingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:serving:ModelServing", name, {}, opts);
        const problems = validateModelServingArgs(args);
        if (problems.length) throw new Error(`ModelServing ${name}: ${problems.join("; ")}`);
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const ctx: ServingContext = { name, args, parent: this, account, arn: regionalArns(args.region, account) };

        this.models = {};
        for (const model of args.models) {
            const group = modelGroup(ctx, model);
            const role = endpointRole(ctx, model);
            this.models[model] = { groupName: group.modelPackageGroupName, groupArn: group.arn, endpointRoleArn: role.arn };
        }
        this.endpointRoleArns = Object.values(this.models).map((m) => m.endpointRoleArn);
        this.approverPolicyArn = approverPolicy(ctx)?.arn;
        this.caps = args.serverlessCaps ?? servingCaps(SERVING_DEFAULTS[args.environment]);
        this.registerOutputs({ models: this.models, approverPolicyArn: this.approverPolicyArn });
    }
}
