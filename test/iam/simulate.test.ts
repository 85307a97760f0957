/**
 * Each role's grants, simulated with AWS's policy evaluation logic (@cloud-copilot/iam-simulate, offline) on the
 * planned stacks' real ARNs: every call Metaflow 2.19.38 makes (./metaflow-calls.ts, with its source line) is allowed
 * for the principal that makes it, through the datastore's bucket policy and the platform key's policy; and the
 * requests the platform exists to refuse are denied.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { expect } from "chai";

import { deliveryNamespace } from "../../components/monitoring/pipeline-events-rules";
import { MOCK_ACCOUNT } from "../../offline/mocks";
import { policyOf, runStack, StackRun } from "../harness";
import { Caller, METAFLOW_CALLS, MetaflowCall, Target } from "./metaflow-calls";

/**
 * What `step-functions create` calls (step_functions_cli.py create: the code package to the datastore, each step's
 * Batch job definition, the state machine, the @schedule rule, and the roles they name), as the engineer's calls
 * of metaflow-calls.ts.
 */
const DEPLOY_CALLS = new Set([
    "s3:GetObject",
    "s3:PutObject",
    "s3:AbortMultipartUpload",
    "s3:ListBucket",
    "batch:DescribeJobQueues",
    "batch:DescribeComputeEnvironments",
    "batch:DescribeJobDefinitions",
    "batch:RegisterJobDefinition",
    "iam:PassRole",
    "states:ListStateMachines",
    "states:CreateStateMachine",
    "states:UpdateStateMachine",
    "states:DescribeStateMachine",
    "events:PutRule",
    "events:PutTargets",
    "events:DisableRule",
]);

const REGION = "us-east-1";
const ENGINEER = `arn:aws:iam::${MOCK_ACCOUNT}:role/ml-engineer`;

type Result = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

/** A planned stack as the simulation needs it: each principal's policies, the resource policies, and the ARNs. */
interface Platform {
    stack: string;
    principals: Record<Caller | "metadataTask", { arn: string; policies: Array<{ name: string; policy: unknown }> }>;
    bucketPolicy: unknown;
    keyPolicy: unknown;
    arns: Record<Exclude<Target, "*">, string> & { bucket: string; key: string };
}

function platform(run: StackRun): Platform {
    const o = run.outputs as any;
    const mf = o.metaflowConfig as Record<string, string>;
    const rolePolicy = (suffix: string) => ({ name: suffix, policy: policyOf(run.one("aws:iam/rolePolicy:RolePolicy", suffix)) });
    const prefix = mf.METAFLOW_SFN_STATE_MACHINE_PREFIX;
    const states = `arn:aws:states:${REGION}:${MOCK_ACCOUNT}`;
    const batch = `arn:aws:batch:${REGION}:${MOCK_ACCOUNT}`;
    const bucket = o.artifactBucketArn as string;
    const queueName = String(mf.METAFLOW_BATCH_JOB_QUEUE).split("/").pop();
    return {
        stack: run.stack,
        principals: {
            engineer: { arn: ENGINEER, policies: [{ name: "engineer", policy: policyOf(run.one("aws:iam/policy:Policy", "-engineers-policy")) }] },
            job: { arn: mf.METAFLOW_ECS_S3_ACCESS_IAM_ROLE, policies: [rolePolicy("-job-policy")] },
            sfn: { arn: mf.METAFLOW_SFN_IAM_ROLE, policies: [rolePolicy("-sfn-execution")] },
            events: { arn: mf.METAFLOW_EVENTS_SFN_ACCESS_IAM_ROLE, policies: [rolePolicy("-sfn-events")] },
            metadataTask: { arn: `arn:aws:iam::${MOCK_ACCOUNT}:role/${prefix}-metadata-task`, policies: [rolePolicy("-metadata-task")] },
        },
        bucketPolicy: policyOf(run.one("aws:s3/bucketPolicy:BucketPolicy", "-artifacts-policy")),
        keyPolicy: policyOf(run.one("aws:kms/key:Key")),
        arns: {
            bucket,
            key: o.kmsKeyArn,
            queue: mf.METAFLOW_BATCH_JOB_QUEUE,
            computeEnvironment: `${batch}:compute-environment/${queueName}-spot`,
            jobDefinition: `${batch}:job-definition/metaflow_0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5:1`,
            job: `${batch}:job/5f1f1f1f-2e2e-3d3d-4c4c-5b5b5b5b5b5b`,
            stateMachine: `${states}:stateMachine:${prefix}_TrainFlow`,
            execution: `${states}:execution:${prefix}_TrainFlow:sfn-6a7b8c9d`,
            scheduleRule: `arn:aws:events:${REGION}:${MOCK_ACCOUNT}:rule/${prefix}_TrainFlow`,
            batchEventsRule: `arn:aws:events:${REGION}:${MOCK_ACCOUNT}:rule/StepFunctionsGetEventsForBatchJobsRule`,
            jobRole: mf.METAFLOW_ECS_S3_ACCESS_IAM_ROLE,
            sfnRole: mf.METAFLOW_SFN_IAM_ROLE,
            eventsRole: mf.METAFLOW_EVENTS_SFN_ACCESS_IAM_ROLE,
            datastoreObject: `${bucket}/metaflow/TrainFlow/data/3f/3f2a9c0d1e2b3c4d5e6f708192a3b4c5d6e7f809`,
            datastoreBucket: bucket,
            // Metaflow's default when the profile does not set it: <sysroot>/sfn_distributed_map_output (metaflow_config.py).
            mapOutputObject: `${(mf.METAFLOW_SFN_S3_DISTRIBUTED_MAP_OUTPUT_PATH ?? `${mf.METAFLOW_DATASTORE_SYSROOT_S3}/sfn_distributed_map_output`).replace("s3://", "arn:aws:s3:::")}/2f3a/manifest.json`,
            table: `arn:aws:dynamodb:${REGION}:${MOCK_ACCOUNT}:table/${mf.METAFLOW_SFN_DYNAMO_DB_TABLE}`,
            secret: `arn:aws:secretsmanager:${REGION}:${MOCK_ACCOUNT}:secret:${prefix}/warehouse-credentials-AbC123`,
        },
    };
}

/** Simulates one request; S3 requests go through the bucket policy, KMS requests through the key policy. */
async function simulate(p: Platform, who: Caller | "metadataTask", action: string, resource: string, context: Record<string, string> = {}): Promise<Result> {
    const service = action.split(":")[0];
    const resourcePolicy = service === "s3" ? p.bucketPolicy : service === "kms" ? p.keyPolicy : undefined;
    const result = await runSimulation(
        {
            request: {
                principal: p.principals[who].arn,
                action,
                resource: { resource, accountId: MOCK_ACCOUNT },
                contextVariables: { "aws:SecureTransport": "true", ...context },
            },
            identityPolicies: p.principals[who].policies,
            serviceControlPolicies: [],
            resourceControlPolicies: [],
            ...(resourcePolicy ? { resourcePolicy } : {}),
        },
        {},
    );
    if (result.resultType === "error") throw new Error(`${who} ${action} on ${resource}: ${JSON.stringify(result.errors)}`);
    return result.overallResult;
}

const resourceOf = (p: Platform, c: MetaflowCall) => (c.target === "*" ? "*" : p.arns[c.target]);

for (const stack of ["dev", "prod"]) {
    describe(`IAM simulation of Metaflow 2.19.38's calls (${stack})`, () => {
        let p: Platform;
        let other: Platform;
        before(async () => {
            p = platform(await runStack(stack));
            other = platform(await runStack(stack === "dev" ? "prod" : "dev"));
        });

        it("allows every call Metaflow makes, for the principal that makes it, on the plan's ARNs", async () => {
            const refused: string[] = [];
            for (const c of METAFLOW_CALLS) {
                const r = await simulate(p, c.caller, c.action, resourceOf(p, c));
                if (r !== "Allowed") refused.push(`${c.caller} ${c.action} on ${resourceOf(p, c)} (${c.file}:${c.line}, ${c.why}): ${r}`);
            }
            expect(refused).to.deep.equal([]);
        });

        it("lets each datastore reader and writer use the platform key through the key policy (SSE-KMS objects)", async () => {
            for (const who of ["engineer", "job", "sfn"] as const) {
                for (const action of ["kms:Decrypt", "kms:GenerateDataKey"]) expect(await simulate(p, who, action, p.arns.key), `${who} ${action}`).to.equal("Allowed");
            }
            expect(await simulate(p, "metadataTask", "kms:Decrypt", p.arns.key, { "kms:ViaService": `s3.${REGION}.amazonaws.com` })).to.equal("Allowed");
            // The db-credentials container re-reads the rotated database secret: decrypting through Secrets Manager
            // is its job; through any other service, or directly, it is not.
            expect(await simulate(p, "metadataTask", "kms:Decrypt", p.arns.key, { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` })).to.equal("Allowed");
            expect(await simulate(p, "metadataTask", "kms:Decrypt", p.arns.key, { "kms:ViaService": `ssm.${REGION}.amazonaws.com` })).to.not.equal("Allowed");
            expect(await simulate(p, "metadataTask", "kms:Decrypt", p.arns.key)).to.not.equal("Allowed");
        });

        it("refuses reads without TLS, for every principal, in the bucket policy", async () => {
            for (const who of ["engineer", "job", "sfn", "metadataTask"] as const) {
                expect(await simulate(p, who, "s3:GetObject", who === "sfn" ? p.arns.mapOutputObject : p.arns.datastoreObject, { "aws:SecureTransport": "false" }), who).to.equal("ExplicitlyDenied");
            }
        });

        it("lets no one delete datastore objects: artifacts are content-addressed blobs shared across runs", async () => {
            for (const who of ["engineer", "job", "sfn", "metadataTask"] as const) {
                expect(await simulate(p, who, "s3:DeleteObject", p.arns.datastoreObject), who).to.not.equal("Allowed");
                expect(await simulate(p, who, "s3:DeleteObjectVersion", p.arns.datastoreObject), who).to.not.equal("Allowed");
            }
            // Under the datatools root (metaflow.S3 data) engineers and tasks may clean up.
            expect(await simulate(p, "job", "s3:DeleteObject", `${p.arns.bucket}/data/scratch/part-0.parquet`)).to.equal("Allowed");
            expect(await simulate(p, "engineer", "s3:DeleteObject", `${p.arns.bucket}/data/scratch/part-0.parquet`)).to.equal("Allowed");
        });

        it("keeps each stack to its own queues, state machines, rules, table and datastore", async () => {
            const foreign = other.arns;
            expect(await simulate(p, "engineer", "batch:SubmitJob", foreign.queue)).to.not.equal("Allowed");
            expect(await simulate(p, "sfn", "batch:SubmitJob", foreign.queue)).to.not.equal("Allowed");
            expect(await simulate(p, "engineer", "states:CreateStateMachine", foreign.stateMachine)).to.not.equal("Allowed");
            expect(await simulate(p, "engineer", "states:StartExecution", foreign.stateMachine)).to.not.equal("Allowed");
            expect(await simulate(p, "events", "states:StartExecution", foreign.stateMachine)).to.not.equal("Allowed");
            expect(await simulate(p, "engineer", "events:PutRule", foreign.scheduleRule)).to.not.equal("Allowed");
            expect(await simulate(p, "job", "dynamodb:PutItem", foreign.table)).to.not.equal("Allowed");
            expect(await simulate(p, "job", "s3:GetObject", foreign.datastoreObject)).to.not.equal("Allowed");
            expect(await simulate(p, "job", "secretsmanager:GetSecretValue", foreign.secret)).to.not.equal("Allowed");
        });

        it("passes only the platform's own roles: not another stack's, not a role outside the platform", async () => {
            for (const role of [other.arns.jobRole, other.arns.sfnRole, `arn:aws:iam::${MOCK_ACCOUNT}:role/OrganizationAccountAccessRole`, `arn:aws:iam::${MOCK_ACCOUNT}:role/${stack === "dev" ? "mf-dev" : "mf-prod"}-metadata-task`]) {
                expect(await simulate(p, "engineer", "iam:PassRole", role), role).to.not.equal("Allowed");
            }
            for (const who of ["job", "sfn", "events"] as const) expect(await simulate(p, who, "iam:PassRole", p.arns.jobRole), who).to.not.equal("Allowed");
        });

        it("lets state machines submit only Metaflow's job definitions", async () => {
            expect(await simulate(p, "sfn", "batch:SubmitJob", `arn:aws:batch:${REGION}:${MOCK_ACCOUNT}:job-definition/admin-tools:3`)).to.not.equal("Allowed");
            expect(await simulate(p, "engineer", "batch:SubmitJob", `arn:aws:batch:${REGION}:${MOCK_ACCOUNT}:job-definition/admin-tools:3`)).to.not.equal("Allowed");
            expect(await simulate(p, "engineer", "batch:RegisterJobDefinition", `arn:aws:batch:${REGION}:${MOCK_ACCOUNT}:job-definition/admin-tools`)).to.not.equal("Allowed");
        });

        it("gives state machines S3 only under the distributed-map output prefix", async () => {
            expect(await simulate(p, "sfn", "s3:GetObject", p.arns.datastoreObject)).to.not.equal("Allowed");
            expect(await simulate(p, "sfn", "s3:PutObject", p.arns.datastoreObject)).to.not.equal("Allowed");
        });

        it("gives the job role no CloudWatch Logs permission, and secrets only of the stack's namespace", async () => {
            const group = `arn:aws:logs:${REGION}:${MOCK_ACCOUNT}:log-group:/aws/batch/job`;
            for (const action of ["logs:CreateLogStream", "logs:PutLogEvents", "logs:GetLogEvents", "logs:DescribeLogStreams"]) {
                expect(await simulate(p, "job", action, action === "logs:DescribeLogStreams" ? group : `${group}:log-stream:mf/default/abc`), action).to.not.equal("Allowed");
            }
            expect(await simulate(p, "job", "secretsmanager:GetSecretValue", `arn:aws:secretsmanager:${REGION}:${MOCK_ACCOUNT}:secret:prod-db-master-Zy9X8w`)).to.not.equal("Allowed");
            expect(await simulate(p, "job", "secretsmanager:PutSecretValue", p.arns.secret)).to.not.equal("Allowed");
        });

        it("lets engineers read the profile and write hyperparameters; tasks read settings, hyperparameters and Dask, never the profile", async () => {
            const ssm = `arn:aws:ssm:${REGION}:${MOCK_ACCOUNT}:parameter/${p.stack === "dev" ? "mf-dev" : "mf-prod"}`;
            const profile = `${ssm}/metaflow/profile`;
            const param = `${ssm}/params/GpuTrainingFlow/learning_rate`;
            // The bootstrap: aws ssm get-parameter --with-decryption (SSM decrypts with the caller's kms:Decrypt).
            expect(await simulate(p, "engineer", "ssm:GetParameter", profile)).to.equal("Allowed");
            expect(await simulate(p, "engineer", "kms:Decrypt", p.arns.key, { "kms:ViaService": `ssm.${REGION}.amazonaws.com` })).to.equal("Allowed");
            expect(await simulate(p, "engineer", "ssm:PutParameter", param)).to.equal("Allowed");
            expect(await simulate(p, "engineer", "ssm:DeleteParameter", param)).to.equal("Allowed");
            for (const target of [profile, `${ssm}/settings/data-root`, `${ssm}/dask/scheduler-address`]) expect(await simulate(p, "engineer", "ssm:PutParameter", target), target).to.not.equal("Allowed");
            // Tasks: Config values and the Dask address, by name and by path.
            for (const [action, target] of [["ssm:GetParametersByPath", `${ssm}/params/GpuTrainingFlow`], ["ssm:GetParametersByPath", `${ssm}/settings`], ["ssm:GetParameter", `${ssm}/settings/data-root`], ["ssm:GetParameter", `${ssm}/dask/scheduler-address`], ["ssm:GetParameter", param]]) {
                expect(await simulate(p, "job", action, target), `${action} ${target}`).to.equal("Allowed");
            }
            expect(await simulate(p, "job", "ssm:GetParameter", profile)).to.not.equal("Allowed");
            expect(await simulate(p, "job", "ssm:GetParametersByPath", `${ssm}/metaflow`)).to.not.equal("Allowed");
            expect(await simulate(p, "job", "ssm:PutParameter", param)).to.not.equal("Allowed");
            // Another stack's hierarchy is out of reach.
            const foreign = `arn:aws:ssm:${REGION}:${MOCK_ACCOUNT}:parameter/${p.stack === "dev" ? "mf-prod" : "mf-dev"}`;
            expect(await simulate(p, "engineer", "ssm:PutParameter", `${foreign}/params/GpuTrainingFlow/learning_rate`)).to.not.equal("Allowed");
            expect(await simulate(p, "job", "ssm:GetParameter", `${foreign}/settings/data-root`)).to.not.equal("Allowed");
        });

        it("lets tasks and engineers publish model metrics to the platform's namespace only", async () => {
            for (const who of ["job", "engineer"] as const) {
                expect(await simulate(p, who, "cloudwatch:PutMetricData", "*", { "cloudwatch:namespace": "Metaflow/Models" }), who).to.equal("Allowed");
                expect(await simulate(p, who, "cloudwatch:PutMetricData", "*", { "cloudwatch:namespace": "AWS/EC2" }), who).to.not.equal("Allowed");
            }
        });

        it("lets the metadata service read the datastore and nothing more", async () => {
            expect(await simulate(p, "metadataTask", "s3:GetObject", p.arns.datastoreObject)).to.equal("Allowed");
            expect(await simulate(p, "metadataTask", "s3:ListBucket", p.arns.bucket)).to.equal("Allowed");
            expect(await simulate(p, "metadataTask", "s3:PutObject", p.arns.datastoreObject)).to.not.equal("Allowed");
            expect(await simulate(p, "metadataTask", "batch:SubmitJob", p.arns.queue)).to.not.equal("Allowed");
        });
    });
}

describe("IAM simulation of the service roles' trust, as each service really assumes them", () => {
    /** Whether `service` may assume the role, sending the context keys it really sends (none from EC2 or API Gateway). */
    async function assume(run: StackRun, roleSuffix: string, service: string, context: Record<string, string>): Promise<Result> {
        const role = run.one("aws:iam/role:Role", roleSuffix);
        const result = await runSimulation(
            {
                request: { principal: service, action: "sts:AssumeRole", resource: { resource: role.state.arn, accountId: MOCK_ACCOUNT }, contextVariables: context },
                identityPolicies: [],
                serviceControlPolicies: [],
                resourceControlPolicies: [],
                resourcePolicy: JSON.parse(role.inputs.assumeRolePolicy),
            },
            {},
        );
        if (result.resultType === "error") throw new Error(JSON.stringify(result.errors));
        return result.overallResult;
    }

    it("EC2 can assume the Batch instance role and API Gateway its CloudWatch role, though neither sends aws:SourceAccount", async () => {
        const run = await runStack("dev", { set: { servicePublicApi: true } });
        expect(await assume(run, "batch-instance-role", "ec2.amazonaws.com", {})).to.equal("Allowed");
        expect(await assume(run, "-api-cloudwatch", "apigateway.amazonaws.com", {})).to.equal("Allowed");
    });

    it("services that send aws:SourceAccount may assume their roles for this account only (no confused deputy)", async () => {
        const run = await runStack("dev");
        for (const [suffix, service] of [["job-role", "ecs-tasks.amazonaws.com"], ["sfn-execution", "states.amazonaws.com"], ["sfn-events", "events.amazonaws.com"], ["job-sagemaker", "sagemaker.amazonaws.com"], ["metadata-task", "ecs-tasks.amazonaws.com"]]) {
            expect(await assume(run, suffix, service, { "aws:SourceAccount": MOCK_ACCOUNT }), suffix).to.equal("Allowed");
            expect(await assume(run, suffix, service, { "aws:SourceAccount": "999999999999" }), suffix).to.not.equal("Allowed");
            expect(await assume(run, suffix, "ec2.amazonaws.com", {}), suffix).to.not.equal("Allowed");
        }
    });
});

describe("IAM simulation of the CI deploy role (step-functions create from GitHub Actions)", () => {
    /**
     * Whether GitHub's token (subject `sub`, audience `aud`) may assume the stack's deploy role. The simulator matches
     * the Federated principal but ignores the claims' condition keys (it knows only aws: and service keys), so the
     * claims are evaluated here as IAM does for StringEquals: every key's value is one of the listed values.
     */
    async function assumeFromGitHub(run: StackRun, sub: string, aud = "sts.amazonaws.com", principal?: string): Promise<Result> {
        const role = run.one("aws:iam/role:Role", "-flow-deploy-role");
        const trust = JSON.parse(role.inputs.assumeRolePolicy);
        const claims: Record<string, string> = { "token.actions.githubusercontent.com:sub": sub, "token.actions.githubusercontent.com:aud": aud };
        const [statement] = trust.Statement;
        expect(Object.keys(statement.Condition)).to.deep.equal(["StringEquals"]);
        const claimsMatch = Object.entries(statement.Condition.StringEquals as Record<string, string | string[]>).every(([key, values]) => [].concat(values as never).includes(claims[key] as never));
        const result = await runSimulation(
            {
                request: { principal: principal ?? (run.outputs as any).flowDeploy.oidcProviderArn, action: "sts:AssumeRoleWithWebIdentity", resource: { resource: role.state.arn, accountId: MOCK_ACCOUNT }, contextVariables: {} },
                identityPolicies: [],
                serviceControlPolicies: [],
                resourceControlPolicies: [],
                resourcePolicy: { ...trust, Statement: [{ Effect: statement.Effect, Principal: statement.Principal, Action: statement.Action }] },
            },
            {},
        );
        if (result.resultType === "error") throw new Error(JSON.stringify(result.errors));
        return claimsMatch ? result.overallResult : "ImplicitlyDenied";
    }

    it("is assumable only through GitHub's provider, by the configured repositories and branches (staging) or environment (prod)", async () => {
        const staging = await runStack("staging");
        expect(await assumeFromGitHub(staging, "repo:acme/ml-flows:ref:refs/heads/main")).to.equal("Allowed");
        for (const sub of ["repo:acme/ml-flows:ref:refs/heads/feature-x", "repo:acme/ml-flows:pull_request", "repo:acme/other:ref:refs/heads/main", "repo:acme/ml-flows:environment:prod", "repo:acme/ml-flows-fork:ref:refs/heads/main"]) {
            expect(await assumeFromGitHub(staging, sub), sub).to.not.equal("Allowed");
        }
        expect(await assumeFromGitHub(staging, "repo:acme/ml-flows:ref:refs/heads/main", "sts.example.com")).to.not.equal("Allowed");
        for (const other of [`arn:aws:iam::${MOCK_ACCOUNT}:oidc-provider/gitlab.com`, `arn:aws:iam::${MOCK_ACCOUNT}:user/ci`, "arn:aws:iam::999999999999:oidc-provider/token.actions.githubusercontent.com"]) {
            expect(await assumeFromGitHub(staging, "repo:acme/ml-flows:ref:refs/heads/main", "sts.amazonaws.com", other), other).to.not.equal("Allowed");
        }
        const prod = await runStack("prod");
        expect(await assumeFromGitHub(prod, "repo:acme/ml-flows:environment:prod")).to.equal("Allowed");
        expect(await assumeFromGitHub(prod, "repo:acme/ml-flows:ref:refs/heads/main")).to.not.equal("Allowed");
        expect(await assumeFromGitHub(prod, "repo:acme/ml-flows:environment:staging")).to.not.equal("Allowed");
    });

    for (const stack of ["staging", "prod"]) {
        it(`may make exactly the calls step-functions create makes (${stack}) and record delivery metrics in its own namespace, and nothing that runs, deletes or reads secrets`, async () => {
            const run = await runStack(stack);
            const p = platform(run);
            const deployer = { arn: (run.outputs as any).flowDeploy.roleArn as string, policies: [{ name: "deploy", policy: policyOf(run.one("aws:iam/rolePolicy:RolePolicy", "-flow-deploy-policy")) }] };
            const q: Platform = { ...p, principals: { ...p.principals, engineer: deployer } };
            const refused: string[] = [];
            for (const c of METAFLOW_CALLS.filter((c) => c.caller === "engineer" && DEPLOY_CALLS.has(c.action))) {
                const r = await simulate(q, "engineer", c.action, resourceOf(q, c));
                if (r !== "Allowed") refused.push(`${c.action} on ${resourceOf(q, c)} (${c.file}:${c.line}): ${r}`);
            }
            expect(refused).to.deep.equal([]);
            const ssm = `arn:aws:ssm:${REGION}:${MOCK_ACCOUNT}:parameter/mf-${stack}`;
            for (const [action, target] of [["ssm:GetParameter", `${ssm}/metaflow/profile`], ["ssm:GetParametersByPath", `${ssm}/params/GpuTrainingFlow`], ["ssm:GetParametersByPath", `${ssm}/settings`], ["kms:Decrypt", p.arns.key], ["kms:GenerateDataKey", p.arns.key]]) {
                expect(await simulate(q, "engineer", action, target), `${action} ${target}`).to.equal("Allowed");
            }
            const denied: Array<[string, string]> = [
                ["batch:SubmitJob", p.arns.queue],
                ["states:StartExecution", p.arns.stateMachine],
                ["states:DeleteStateMachine", p.arns.stateMachine],
                ["events:DeleteRule", p.arns.scheduleRule],
                ["secretsmanager:GetSecretValue", p.arns.secret],
                ["s3:DeleteObject", p.arns.datastoreObject],
                ["s3:PutObject", `${p.arns.bucket}/data/incoming/x.csv`],
                ["ssm:PutParameter", `${ssm}/params/GpuTrainingFlow/epochs`],
                ["iam:PassRole", `arn:aws:iam::${MOCK_ACCOUNT}:role/OrganizationAccountAccessRole`],
                ["states:CreateStateMachine", `arn:aws:states:${REGION}:${MOCK_ACCOUNT}:stateMachine:other_TrainFlow`],
            ];
            for (const [action, target] of denied) expect(await simulate(q, "engineer", action, target), `${action} ${target}`).to.not.equal("Allowed");
            // The delivery metrics CI records after each deployment: in this stack's delivery namespace, nowhere else.
            const own = deliveryNamespace(`mf-${stack}`);
            expect(own).to.equal(`Metaflow/Delivery/mf-${stack}`);
            expect(await simulate(q, "engineer", "cloudwatch:PutMetricData", "*", { "cloudwatch:namespace": own }), own).to.equal("Allowed");
            for (const ns of [deliveryNamespace(stack === "prod" ? "mf-staging" : "mf-prod"), `Metaflow/Pipelines/mf-${stack}`, "Metaflow/Models", "AWS/States", `${own}/x`]) {
                expect(await simulate(q, "engineer", "cloudwatch:PutMetricData", "*", { "cloudwatch:namespace": ns }), ns).to.not.equal("Allowed");
            }
            expect(await simulate(q, "engineer", "cloudwatch:PutMetricAlarm", `arn:aws:cloudwatch:${REGION}:${MOCK_ACCOUNT}:alarm:x`)).to.not.equal("Allowed");
            // Exactly: every action the role holds is one step-functions create needs (or the parameters, key and delivery metrics).
            const granted = new Set(policyOf(run.one("aws:iam/rolePolicy:RolePolicy", "-flow-deploy-policy")).Statement.flatMap((st: any) => [].concat(st.Action)));
            expect([...granted].sort()).to.deep.equal([...DEPLOY_CALLS, "ssm:GetParameter", "ssm:GetParametersByPath", "kms:Decrypt", "kms:GenerateDataKey", "cloudwatch:PutMetricData"].sort());
        });
    }
});

describe("the Metaflow call list", () => {
    it("covers every principal and names a source line for each call", () => {
        expect(new Set(METAFLOW_CALLS.map((c) => c.caller))).to.deep.equal(new Set(["engineer", "job", "sfn", "events"]));
        for (const c of METAFLOW_CALLS) expect(c.file, c.action).to.match(/^metaflow\/.+\.py$/) && expect(c.line).to.be.greaterThan(0);
    });
});
