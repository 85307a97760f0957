import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { DATATOOLS_PREFIX } from "./artifact-bucket";
import { BATCH_JOB_LOG_GROUP } from "./batch/compute";
import { secretsNamespaceArn } from "./batch/job-role";
import { regionalArns, UNPRIVILEGED_JOB_DEFINITIONS } from "./iam";
import { parameterResources } from "./parameter-store";
import { IAM_ROLE_NAME, NAME_LIMITS, physicalName } from "./naming";
import { modelDeployStatements } from "./serving/grants";
import type { ServerlessCaps } from "./serving/rules";

/** Arguments of {@link EngineerAccess}. */
export interface EngineerAccessArgs {
    namePrefix: string;
    region: string;
    /** The datastore bucket and its key. */
    bucketArn: pulumi.Input<string>;
    kmsKeyArn: pulumi.Input<string>;
    /** The platform's job queues: the only queues engineers may submit to. */
    jobQueueArns: pulumi.Input<string>[];
    /** Roles Metaflow passes on engineers' behalf: the task role, the Step Functions role, the `@schedule` role. */
    passRoleArns: pulumi.Input<string>[];
    /** State machines engineers may deploy and run: `<stateMachinePrefix>_*`. */
    stateMachinePrefix: string;
    /** Existing IAM roles (e.g. the federated FreeIPA/SSO roles of ML engineers) that get the policy. */
    attachToRoles?: string[];
    /** The model-metrics namespace engineers' local monitoring runs publish to; none when absent. */
    metricNamespace?: string;
    /**
     * Engineers may register and deploy models as the job role does (`serving.engineersMayDeploy`): the same statements
     * (components/serving/grants.ts) within these caps, and the served models' endpoint roles to pass to SageMaker, in
     * a second policy on the same roles.
     * None when absent (prod's default: only flows running as the job role deploy).
     */
    modelDeploy?: { caps: ServerlessCaps; endpointRoleArns: pulumi.Input<string>[] };
}

export { IAM_ROLE_NAME };

export function validateEngineerAccessArgs(args: EngineerAccessArgs): string[] {
    const problems: string[] = [];
    for (const role of args.attachToRoles ?? []) {
        if (!IAM_ROLE_NAME.test(role)) problems.push(`attachToRoles: "${role}" is not an IAM role name (1-64 of letters, digits and +=,.@_-)`);
    }
    if (new Set(args.attachToRoles ?? []).size !== (args.attachToRoles ?? []).length) problems.push("attachToRoles lists a role twice");
    if (!args.jobQueueArns.length) problems.push("jobQueueArns is empty: engineers would have no queue to submit to");
    return problems;
}

/** The engineers' statements: what the Metaflow client calls, scoped to the stack. */
function engineerStatements(args: EngineerAccessArgs, arn: (service: string, resource: string) => pulumi.Output<string>): unknown[] {
    const p = args.namePrefix;
    const sfn = args.stateMachinePrefix;
    const jobDefinitions = arn("batch", "job-definition/metaflow_*");
    return [
        { Sid: "DatastoreList", Effect: "Allow", Action: "s3:ListBucket", Resource: args.bucketArn },
        // Large uploads are multipart: an engineer whose upload fails can abort it (and its parts stop costing).
        { Sid: "DatastoreObjects", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"], Resource: pulumi.interpolate`${args.bucketArn}/*` },
        { Sid: "OwnDataCleanup", Effect: "Allow", Action: "s3:DeleteObject", Resource: pulumi.interpolate`${args.bucketArn}/${DATATOOLS_PREFIX}/*` },
        { Sid: "DatastoreKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"], Resource: args.kmsKeyArn },
        {
            // Batch offers no resource-level permissions for its Describe/List calls.
            Sid: "BatchRead",
            Effect: "Allow",
            Action: ["batch:DescribeJobQueues", "batch:DescribeComputeEnvironments", "batch:DescribeJobDefinitions", "batch:DescribeJobs", "batch:ListJobs"],
            Resource: "*",
        },
        { Sid: "RegisterMetaflowJobDefinitions", Effect: "Allow", Action: "batch:RegisterJobDefinition", Resource: jobDefinitions, Condition: UNPRIVILEGED_JOB_DEFINITIONS },
        { Sid: "SubmitToPlatformQueues", Effect: "Allow", Action: "batch:SubmitJob", Resource: pulumi.all([args.jobQueueArns, jobDefinitions]).apply(([queues, defs]) => [...queues, defs]) },
        { Sid: "ManageJobs", Effect: "Allow", Action: ["batch:TerminateJob", "batch:CancelJob", "batch:TagResource"], Resource: arn("batch", "job/*") },
        { Sid: "JobLogs", Effect: "Allow", Action: "logs:GetLogEvents", Resource: arn("logs", `log-group:${BATCH_JOB_LOG_GROUP}:log-stream:*`) },
        {
            Sid: "PrefixedStateMachines",
            Effect: "Allow",
            Action: ["states:CreateStateMachine", "states:UpdateStateMachine", "states:DescribeStateMachine", "states:DeleteStateMachine", "states:StartExecution", "states:ListExecutions", "states:TagResource"],
            Resource: arn("states", `stateMachine:${sfn}_*`),
        },
        { Sid: "PrefixedExecutions", Effect: "Allow", Action: ["states:DescribeExecution", "states:StopExecution", "states:GetExecutionHistory"], Resource: arn("states", `execution:${sfn}_*:*`) },
        // ListStateMachines has no resource-level permission.
        { Sid: "ListStateMachines", Effect: "Allow", Action: "states:ListStateMachines", Resource: "*" },
        {
            Sid: "ScheduleRules",
            Effect: "Allow",
            Action: ["events:PutRule", "events:PutTargets", "events:DisableRule", "events:RemoveTargets", "events:DeleteRule", "events:DescribeRule"],
            Resource: arn("events", `rule/${sfn}_*`),
        },
        { Sid: "PassMetaflowRoles", Effect: "Allow", Action: "iam:PassRole", Resource: args.passRoleArns },
        { Sid: "PlatformParameters", Effect: "Allow", Action: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"], Resource: [arn("ssm", `parameter/${p}`), arn("ssm", `parameter/${p}/*`)] },
        // Hyperparameters are the engineers' own: `params/<Flow>/<name>` (plain Strings; secrets go to `@secrets`).
        { Sid: "WriteHyperparameters", Effect: "Allow", Action: ["ssm:PutParameter", "ssm:DeleteParameter", "ssm:DeleteParameters", "ssm:GetParameterHistory"], Resource: arn("ssm", parameterResources(p).params) },
        ...(args.metricNamespace
            ? [{ Sid: "ModelMetrics", Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*", Condition: { StringEquals: { "cloudwatch:namespace": args.metricNamespace } } }]
            : []),
        // `@secrets` in a local run (`python flow.py run`) reads with the engineer's credentials.
        { Sid: "PlatformSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secretsNamespaceArn(arn, p) },
    ];
}

/**
 * With `modelDeploy`: the job role's model deployment statements in a second policy `<namePrefix>-metaflow-engineer-deploy`
 * on the same roles (one policy with both would pass IAM's 6,144-character limit of a managed policy under a long prefix).
 */
function deployPolicy(name: string, args: EngineerAccessArgs, arn: (service: string, resource: string) => pulumi.Output<string>, parent: pulumi.Resource): aws.iam.Policy | undefined {
    if (!args.modelDeploy) return undefined;
    const p = args.namePrefix;
    const statements = modelDeployStatements({ arn, namePrefix: p, caps: args.modelDeploy.caps, endpointRoleArns: args.modelDeploy.endpointRoleArns });
    const policy = new aws.iam.Policy(
        `${name}-deploy-policy`,
        {
            name: physicalName(p, "metaflow-engineer-deploy", NAME_LIMITS.iamPolicy),
            description: `ML engineers on the Metaflow platform ${p}: register and deploy models as flows do (serving.engineersMayDeploy)`,
            policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements }),
        },
        { parent },
    );
    for (const role of args.attachToRoles ?? []) new aws.iam.RolePolicyAttachment(`${name}-deploy-${role}`, { role, policyArn: policy.arn }, { parent });
    return policy;
}

/**
 * The IAM policy an ML engineer needs to use the platform, and nothing more: what the Metaflow client calls (GUIDE
 * section 3) scoped to this stack's resources. Run and inspect jobs on the platform's queues with Metaflow's job
 * definitions (`metaflow_<hash>`), read their logs, deploy and run state machines named with the stack's prefix and
 * their `@schedule` rules, pass exactly the three roles Metaflow hands to Batch, Step Functions and EventBridge, read
 * and write the datastore through its key (abort their multipart uploads; delete only under the datatools root),
 * read the platform's parameters and its `@secrets` namespace (`<namePrefix>/*`). Attached to the given roles. With
 * `modelDeploy`, a second policy lets them register and deploy models exactly as the job role does.
 */
export class EngineerAccess extends pulumi.ComponentResource {
    public readonly policyArn: pulumi.Output<string>;
    public readonly policyName: pulumi.Output<string>;
    /** The model deployment policy, with `modelDeploy`. */
    public readonly deployPolicyArn?: pulumi.Output<string>;

    constructor(name: string, args: EngineerAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:security:EngineerAccess", name, {}, opts);
        const problems = validateEngineerAccessArgs(args);
        if (problems.length) throw new Error(`EngineerAccess ${name}: ${problems.join("; ")}`);

        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const arn = regionalArns(args.region, account);
        const p = args.namePrefix;

        const policy = new aws.iam.Policy(
            `${name}-policy`,
            {
                name: physicalName(p, "metaflow-engineer", NAME_LIMITS.iamPolicy),
                description: `ML engineers on the Metaflow platform ${p}: run, schedule and inspect flows`,
                policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: engineerStatements(args, arn) }),
            },
            { parent: this },
        );
        for (const role of args.attachToRoles ?? []) {
            new aws.iam.RolePolicyAttachment(`${name}-${role}`, { role, policyArn: policy.arn }, { parent: this });
        }

        this.deployPolicyArn = deployPolicy(name, args, arn, this)?.arn;

        this.policyArn = policy.arn;
        this.policyName = policy.name;
        this.registerOutputs({ policyArn: this.policyArn, policyName: this.policyName, deployPolicyArn: this.deployPolicyArn });
    }
}
