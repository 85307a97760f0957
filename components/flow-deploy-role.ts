/**
 * The role a flow repository's CI assumes to deploy flows with `step-functions create`, through GitHub's OIDC
 * provider only, for the repositories and branches (and the GitHub environment) named in configuration. It may do
 * exactly what `step-functions create` calls in Metaflow 2.19.38 (test/iam/metaflow-calls.ts) on this stack's
 * resources, and read the profile, settings and hyperparameters it deploys with, and record its delivery metrics
 * (lead time, deployments) in the stack's delivery namespace only; nothing else: it cannot run jobs, start
 * executions, delete state machines or read secrets.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { regionalArns, UNPRIVILEGED_JOB_DEFINITIONS } from "./iam";
import { deliveryNamespace } from "./monitoring/pipeline-events-rules";
import { NAME_LIMITS, physicalName } from "./naming";
import { parameterResources } from "./parameter-store";

/** GitHub Actions' OIDC issuer, and the audience its AWS credentials action requests. */
export const GITHUB_OIDC = { host: "token.actions.githubusercontent.com", audience: "sts.amazonaws.com" } as const;

/** `owner/name` of a GitHub repository. */
export const GITHUB_REPOSITORY = /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/;
/** A branch name as it appears in `refs/heads/<branch>`: no wildcards (the trust matches exact subjects). */
export const GIT_BRANCH = /^(?!.*\.\.)(?!\/)(?!.*\/$)[A-Za-z0-9._\/-]{1,200}$/;
/** A GitHub environment name. */
export const GITHUB_ENVIRONMENT = /^[A-Za-z0-9._-]{1,255}$/;
/** The IAM ARN of an existing GitHub OIDC provider. */
export const OIDC_PROVIDER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/;

/** Who may deploy: the subject claims GitHub puts in its tokens for these repositories, branches and environment. */
export interface FlowDeploySources {
    /** `owner/name` of each flow repository. */
    repositories: string[];
    /** Branches whose workflow runs may deploy (`refs/heads/<branch>`), e.g. `main`. */
    branches: string[];
    /**
     * A GitHub environment whose jobs may deploy (their token's subject names the environment, not the branch):
     * protect it with required reviewers and a deployment-branch rule in the repository's settings.
     */
    environment?: string;
    /** An existing GitHub OIDC provider of the account (one per account); absent, the component creates it. */
    oidcProviderArn?: string;
}

/** Arguments of {@link FlowDeployRole}. */
export interface FlowDeployRoleArgs extends FlowDeploySources {
    namePrefix: string;
    region: string;
    bucketArn: pulumi.Input<string>;
    kmsKeyArn: pulumi.Input<string>;
    /** `<stateMachinePrefix>_*`: the state machines it may create and update. */
    stateMachinePrefix: string;
    /** The roles a deployed flow names: the task role, the Step Functions role and the `@schedule` role. */
    passRoleArns: pulumi.Input<string>[];
}

/** Problems of the sources, by field, for the component and the stack configuration alike. */
export function flowDeploySourceProblems(v: Partial<FlowDeploySources>): Array<{ field: string; message: string }> {
    const problems: Array<{ field: string; message: string }> = [];
    const list = (field: "repositories" | "branches", value: unknown, re: RegExp, describe: string, mayBeEmpty: boolean) => {
        if (!Array.isArray(value) || (value.length === 0 && !mayBeEmpty) || value.some((x) => typeof x !== "string" || !re.test(x))) problems.push({ field, message: `expected a ${mayBeEmpty ? "" : "non-empty "}list of ${describe}` });
        else if (new Set(value).size !== value.length) problems.push({ field, message: "lists a value twice" });
    };
    list("repositories", v.repositories, GITHUB_REPOSITORY, "GitHub repositories as owner/name", false);
    // With an environment, deployments may come from its jobs only (branches: []); otherwise a branch is needed.
    list("branches", v.branches, GIT_BRANCH, `branch names without wildcards (e.g. main)${v.environment === undefined ? "; empty only with an environment" : ""}`, v.environment !== undefined);
    if (v.environment !== undefined && (typeof v.environment !== "string" || !GITHUB_ENVIRONMENT.test(v.environment))) problems.push({ field: "environment", message: "expected a GitHub environment name (letters, digits, . _ -)" });
    if (v.oidcProviderArn !== undefined && (typeof v.oidcProviderArn !== "string" || !OIDC_PROVIDER_ARN.test(v.oidcProviderArn))) problems.push({ field: "oidcProviderArn", message: `expected arn:aws:iam::<account>:oidc-provider/${GITHUB_OIDC.host}` });
    return problems;
}

/** The exact subject claims the trust policy admits. */
export function githubSubjects(s: FlowDeploySources): string[] {
    return s.repositories.flatMap((repo) => [...s.branches.map((b) => `repo:${repo}:ref:refs/heads/${b}`), ...(s.environment ? [`repo:${repo}:environment:${s.environment}`] : [])]);
}

/** What `step-functions create` calls, by the statement that grants it (Metaflow 2.19.38, test/iam/metaflow-calls.ts). */
export const DEPLOY_ACTIONS = {
    /** The code package: saved to the datastore (content-addressed: looked up first, written when new). */
    codePackage: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
    datastoreList: ["s3:ListBucket"],
    key: ["kms:Decrypt", "kms:GenerateDataKey"],
    /** Each step's Batch job definition: the queue's compute environment decides the platform. */
    batchRead: ["batch:DescribeJobQueues", "batch:DescribeComputeEnvironments", "batch:DescribeJobDefinitions"],
    registerJobDefinitions: ["batch:RegisterJobDefinition"],
    listStateMachines: ["states:ListStateMachines"],
    stateMachines: ["states:CreateStateMachine", "states:UpdateStateMachine", "states:DescribeStateMachine"],
    /** `@schedule`: the rule named after the state machine (disabled when a flow loses its schedule). */
    scheduleRules: ["events:PutRule", "events:PutTargets", "events:DisableRule"],
    passRoles: ["iam:PassRole"],
    /** The profile, settings and hyperparameters the deployment reads (Config values are fixed at deploy time). */
    parameters: ["ssm:GetParameter", "ssm:GetParametersByPath"],
    /** After each deployment, CI records the lead time and the deployment (templates/ci/flows.yml), in `deliveryNamespace` only. */
    deliveryMetrics: ["cloudwatch:PutMetricData"],
} as const;

/** The CI deploy role of one stack; see the module comment. */
export class FlowDeployRole extends pulumi.ComponentResource {
    public readonly roleArn: pulumi.Output<string>;
    public readonly roleName: pulumi.Output<string>;
    public readonly oidcProviderArn: pulumi.Output<string>;
    /** The subject claims admitted, for the documentation and the stack output. */
    public readonly subjects: string[];

    constructor(name: string, args: FlowDeployRoleArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validated before registering: an invalid role leaves nothing behind.
        const problems = flowDeploySourceProblems(args).map((p) => `${p.field}: ${p.message}`);
        if (!args.stateMachinePrefix) problems.push("stateMachinePrefix must not be empty");
        if (problems.length) throw new Error(`FlowDeployRole ${name}: ${problems.join("; ")}`);
        super("metaflow:delivery:FlowDeployRole", name, {}, opts);
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const arn = regionalArns(args.region, account);
        const p = args.namePrefix;

        const providerArn: pulumi.Output<string> = args.oidcProviderArn
            ? pulumi.output(args.oidcProviderArn)
            : new aws.iam.OpenIdConnectProvider(`${name}-github`, { url: `https://${GITHUB_OIDC.host}`, clientIdLists: [GITHUB_OIDC.audience] }, { parent: this }).arn;
        this.subjects = githubSubjects(args);

        const role = new aws.iam.Role(
            `${name}-role`,
            {
                name: physicalName(p, "flow-deploy", NAME_LIMITS.iamRole),
                description: `CI deployments of Metaflow flows to ${p} (step-functions create), from ${args.repositories.join(", ")}`,
                maxSessionDuration: 3600,
                assumeRolePolicy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Principal: { Federated: providerArn },
                            Action: "sts:AssumeRoleWithWebIdentity",
                            // Exact subjects (no wildcards): these repositories, on these branches or in this environment.
                            Condition: { StringEquals: { [`${GITHUB_OIDC.host}:aud`]: GITHUB_OIDC.audience, [`${GITHUB_OIDC.host}:sub`]: this.subjects } },
                        },
                    ],
                }),
            },
            { parent: this },
        );
        new aws.iam.RolePolicy(`${name}-policy`, { role: role.id, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: deployStatements(args, arn) }) }, { parent: this });

        this.roleArn = role.arn;
        this.roleName = role.name;
        this.oidcProviderArn = providerArn;
        this.registerOutputs({ roleArn: this.roleArn, roleName: this.roleName, oidcProviderArn: this.oidcProviderArn, subjects: this.subjects });
    }
}

/** The deploy role's statements: what `step-functions create` calls on this stack's resources, and the delivery metrics. */
function deployStatements(args: FlowDeployRoleArgs, arn: ReturnType<typeof regionalArns>): object[] {
    const a = DEPLOY_ACTIONS;
    const sfn = args.stateMachinePrefix;
    const params = parameterResources(args.namePrefix);
    return [
        { Sid: "CodePackage", Effect: "Allow", Action: a.codePackage, Resource: pulumi.interpolate`${args.bucketArn}/metaflow/*` },
        { Sid: "DatastoreList", Effect: "Allow", Action: a.datastoreList, Resource: args.bucketArn },
        { Sid: "PlatformKey", Effect: "Allow", Action: a.key, Resource: args.kmsKeyArn },
        // Batch offers no resource-level permissions for its Describe calls.
        { Sid: "BatchRead", Effect: "Allow", Action: a.batchRead, Resource: "*" },
        { Sid: "RegisterMetaflowJobDefinitions", Effect: "Allow", Action: a.registerJobDefinitions, Resource: arn("batch", "job-definition/metaflow_*"), Condition: UNPRIVILEGED_JOB_DEFINITIONS },
        // ListStateMachines has no resource-level permission.
        { Sid: "ListStateMachines", Effect: "Allow", Action: a.listStateMachines, Resource: "*" },
        { Sid: "PrefixedStateMachines", Effect: "Allow", Action: a.stateMachines, Resource: arn("states", `stateMachine:${sfn}_*`) },
        { Sid: "ScheduleRules", Effect: "Allow", Action: a.scheduleRules, Resource: arn("events", `rule/${sfn}_*`) },
        { Sid: "PassMetaflowRoles", Effect: "Allow", Action: a.passRoles, Resource: args.passRoleArns },
        {
            Sid: "DeployParameters",
            Effect: "Allow",
            Action: a.parameters,
            Resource: [arn("ssm", params.profile), ...(["settings", "params"] as const).flatMap((part) => [arn("ssm", params[part]), arn("ssm", params[part].slice(0, -2))])],
        },
        // PutMetricData has no resource-level permission; its `cloudwatch:namespace` condition key holds the writes
        // to this stack's delivery namespace (Service Authorization Reference, Amazon CloudWatch).
        { Sid: "DeliveryMetrics", Effect: "Allow", Action: a.deliveryMetrics, Resource: "*", Condition: { StringEquals: { "cloudwatch:namespace": deliveryNamespace(args.namePrefix) } } },
    ];
}
