import { expect } from "chai";

import { SfnScheduler, validateSfnSchedulerArgs } from "../../components/sfn";
import { policyOf, runComponent, runStack, StackRun } from "../harness";

const ACCOUNT = "123456789012";
const trustOf = (run: StackRun, suffix: string) => JSON.parse(run.one("aws:iam/role:Role", suffix).inputs.assumeRolePolicy).Statement;
const statements = (run: StackRun, suffix: string) => policyOf(run.one("aws:iam/rolePolicy:RolePolicy", suffix)).Statement;
const bySid = (list: any[]) => Object.fromEntries(list.map((s) => [s.Sid, s]));
const service = (name: string) => [{ Effect: "Allow", Principal: { Service: name }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } } }];

for (const stack of ["dev", "prod"]) {
    describe(`Step Functions scheduling and the job role (${stack})`, () => {
        let run: StackRun;
        let bucketArn: string;
        let keyArn: string;
        before(async () => {
            run = await runStack(stack);
            bucketArn = run.outputs.artifactBucketArn as string;
            keyArn = run.outputs.kmsKeyArn as string;
        });

        it("keeps foreach state in an on-demand, encrypted table keyed by pathspec, with TTL and point-in-time recovery", () => {
            const table = run.one("aws:dynamodb/table:Table", "sfn-state");
            expect(table.inputs).to.deep.include({ name: `mf-${stack}-sfn-state`, billingMode: "PAY_PER_REQUEST", hashKey: "pathspec" });
            expect(table.inputs.attributes).to.deep.equal([{ name: "pathspec", type: "S" }]);
            expect(table.inputs).to.not.have.property("rangeKey");
            expect(table.inputs.ttl).to.deep.equal({ attributeName: "ttl", enabled: true });
            expect(table.inputs.pointInTimeRecovery).to.deep.equal({ enabled: true });
            expect(table.inputs.serverSideEncryption).to.deep.equal({ enabled: true, kmsKeyArn: keyArn });
            const prod = stack === "prod";
            expect([table.protect, table.retainOnDelete, table.inputs.deletionProtectionEnabled]).to.deep.equal([prod, prod, prod]);
        });

        it("keeps execution history in an encrypted log group with retention, published as <arn>:*", () => {
            const group = run.one("aws:cloudwatch/logGroup:LogGroup", "sfn-executions");
            expect(group.inputs).to.deep.include({ retentionInDays: stack === "prod" ? 365 : 14, kmsKeyId: keyArn, name: `/aws/vendedlogs/states/mf-${stack}-metaflow` });
            expect((run.outputs.stepFunctions as any).executionLogGroupArn).to.equal(`arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/vendedlogs/states/mf-${stack}-metaflow:*`);
        });

        it("lets only Step Functions of this account assume the execution role, for exactly what the state machines call", () => {
            expect(trustOf(run, "sfn-execution")).to.deep.equal(service("states.amazonaws.com"));
            const s = bySid(statements(run, "sfn-execution"));
            const queues = Object.values((run.outputs.batch as any).queueArns);
            // Only Metaflow's job definitions (metaflow_<hash>): any other names another image and job role.
            expect(s.SubmitToPlatformQueues).to.deep.include({ Action: "batch:SubmitJob", Resource: [...queues, `arn:aws:batch:us-east-1:${ACCOUNT}:job-definition/metaflow_*`] });
            expect(s.ManageSubmittedJobs.Resource).to.equal(`arn:aws:batch:us-east-1:${ACCOUNT}:job/*`);
            expect(s.DescribeJobs).to.deep.include({ Action: "batch:DescribeJobs", Resource: "*" });
            expect(s.BatchSyncIntegrationRule).to.deep.include({
                Action: ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                Resource: `arn:aws:events:us-east-1:${ACCOUNT}:rule/StepFunctionsGetEventsForBatchJobsRule`,
            });
            // S3 only for distributed-map results, which the ResultWriter writes in parts.
            expect(s.DistributedMapResults).to.deep.include({
                Action: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                Resource: `${bucketArn}/metaflow/sfn_distributed_map_output/*`,
            });
            expect(s).to.not.have.property("DatastoreObjects");
            expect(s.PlatformKey.Resource).to.equal(keyArn);
            expect(s.ForeachState.Resource).to.equal(`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/mf-${stack}-sfn-state`);
            expect(s.DistributedMapChildren.Resource).to.equal(`arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:mf-${stack}_*`);
            expect(Object.keys(s)).to.have.length(10);
        });

        it("lets EventBridge start only this stack's state machines for @schedule", () => {
            expect(trustOf(run, "sfn-events")).to.deep.equal(service("events.amazonaws.com"));
            expect(statements(run, "sfn-events")).to.deep.equal([
                { Sid: "StartPrefixedStateMachines", Effect: "Allow", Action: "states:StartExecution", Resource: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:mf-${stack}_*` },
            ]);
        });

        it("lets only ECS tasks of this account assume the job role, scoped to the platform's resources", () => {
            expect(trustOf(run, "job-role")).to.deep.equal(service("ecs-tasks.amazonaws.com"));
            const s = bySid(statements(run, "job-policy"));
            // Metaflow never deletes: artifacts are content-addressed blobs shared by every run that stored the value.
            expect(s.DatastoreObjects).to.deep.include({ Action: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"], Resource: `${bucketArn}/*` });
            expect(s.DatatoolsCleanup).to.deep.include({ Action: "s3:DeleteObject", Resource: `${bucketArn}/data/*` });
            expect(s.DatastoreList).to.deep.include({ Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: bucketArn });
            expect(s.PlatformKey.Resource).to.equal(keyArn);
            expect(s.StepFunctionsState).to.deep.include({ Action: ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/mf-${stack}-sfn-state` });
            // No CloudWatch Logs writes: task output reaches the log group through the awslogs driver (the instance's
            // role). The platform report reads the pipeline, job and deployment logs, and nothing else.
            expect(Object.values(s).flatMap((st: any) => [].concat(st.Action)).filter((a: string) => a.startsWith("logs:"))).to.deep.equal(["logs:FilterLogEvents"]);
            const logs = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/events/mf-${stack}`;
            expect(s.ReportLogs.Resource).to.deep.equal(["pipelines", "pipeline-jobs", "deployments"].flatMap((g) => [`${logs}-${g}`, `${logs}-${g}:*`]));
            expect(s.ReportBudget).to.deep.include({ Action: "budgets:ViewBudget", Resource: `arn:aws:budgets::${ACCOUNT}:budget/mf-${stack}-monthly` });
            expect(s.ReportCosts).to.deep.include({ Action: "ce:GetCostAndUsage", Resource: "*", Condition: { StringEqualsIfExists: { "aws:ResourceTag/stack": stack } } });
            expect(s.PlatformSecrets).to.deep.include({ Action: "secretsmanager:GetSecretValue", Resource: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:mf-${stack}/*` });
            // Settings, hyperparameters and the Dask address (each path and what is under it), never the profile.
            const ssm = `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/mf-${stack}`;
            expect(s.PlatformParameters.Resource).to.have.members(["settings", "params", "dask"].flatMap((part) => [`${ssm}/${part}`, `${ssm}/${part}/*`]));
            expect(s.ModelMetrics).to.deep.include({ Action: "cloudwatch:PutMetricData", Resource: "*", Condition: { StringEquals: { "cloudwatch:namespace": "Metaflow/Models" } } });
            // SageMaker: every resource named with the prefix; versions registered pending approval, serverless configs within the caps.
            const sm = `arn:aws:sagemaker:us-east-1:${ACCOUNT}`;
            for (const st of Object.values(s) as any[]) {
                if ([].concat(st.Action).some((a: string) => a.startsWith("sagemaker:"))) for (const r of [].concat(st.Resource)) expect(r, st.Sid).to.match(new RegExp(`^${sm}:[a-z-]+/mf-${stack}-\\*$`));
            }
            expect(s.RegisterPendingModelPackage.Condition).to.deep.equal({ StringEquals: { "sagemaker:ModelApprovalStatus": "PendingManualApproval" } });
            expect(s.RejectModelPackage.Condition).to.deep.equal({ StringEquals: { "sagemaker:ModelApprovalStatus": "Rejected" } });
            expect(s.ServerlessEndpointConfigs.Condition).to.deep.equal({
                ArnLike: { "sagemaker:ModelArn": `${sm}:model/mf-${stack}-*` },
                NumericLessThanEquals: stack === "prod" ? { "sagemaker:ServerlessMemorySize": "6144", "sagemaker:ServerlessMaxConcurrency": "50" } : { "sagemaker:ServerlessMemorySize": "2048", "sagemaker:ServerlessMaxConcurrency": "5" },
            });
            expect(s.PassSageMakerRole).to.deep.include({
                Action: "iam:PassRole",
                Resource: `arn:aws:iam::${ACCOUNT}:role/mf-${stack}-sagemaker-exec`,
                Condition: { StringEquals: { "iam:PassedToService": "sagemaker.amazonaws.com" } },
            });
            if (stack === "prod") expect(s.DecryptOnly).to.deep.include({ Action: ["kms:Decrypt", "kms:DescribeKey"], Resource: ["arn:aws:kms:us-east-1:123456789012:key/2c3d4e5f-6071-8293-a4b5-c6d7e8f90a12"] });
            else expect(s).to.not.have.property("DecryptOnly");
            // PutMetricData, GetMetricData and GetCostAndUsage have optional resource types only: their conditions are the scope.
            for (const st of Object.values(s) as any[]) if (!["ModelMetrics", "ReportMetrics", "ReportCosts"].includes(st.Sid)) expect(st.Resource, st.Sid).to.not.equal("*");
        });

        it("passes SageMaker a role SageMaker itself can assume", () => {
            expect(trustOf(run, "job-sagemaker")).to.deep.equal(service("sagemaker.amazonaws.com"));
        });

        it("names no * action anywhere, and a * resource only where AWS has no resource-level permissions", () => {
            const allowedWildcards = new Set(["NoResourceLevelPermissions", "DescribeJobs", "ExecutionHistoryDelivery", "RegistryToken", "TrainingMetrics", "ModelMetrics", "BatchRead", "ListStateMachines", "DeliveryMetrics", "ReportMetrics", "ReportCosts"]);
            for (const policy of run.ofType("aws:iam/rolePolicy:RolePolicy")) {
                for (const st of policyOf(policy).Statement) {
                    for (const a of [].concat(st.Action)) expect(a, `${policy.name} ${st.Sid}`).to.not.match(/^\*$|:\*$/);
                    if ([].concat(st.Resource).includes("*" as never)) expect(allowedWildcards.has(st.Sid), `${policy.name} ${st.Sid}`).to.equal(true);
                }
            }
        });

        it("hands the roles, table, prefix and log group to Metaflow", () => {
            const mf = run.outputs.metaflowConfig as Record<string, string>;
            const sfn = run.outputs.stepFunctions as any;
            expect(mf.METAFLOW_ECS_S3_ACCESS_IAM_ROLE).to.equal(`arn:aws:iam::${ACCOUNT}:role/mf-${stack}-batch-job`);
            expect(mf.METAFLOW_SFN_IAM_ROLE).to.equal(sfn.executionRoleArn);
            expect(mf.METAFLOW_EVENTS_SFN_ACCESS_IAM_ROLE).to.equal(sfn.eventsRoleArn);
            expect(mf.METAFLOW_SFN_DYNAMO_DB_TABLE).to.equal(`mf-${stack}-sfn-state`);
            expect(mf.METAFLOW_SFN_STATE_MACHINE_PREFIX).to.equal(`mf-${stack}`);
            expect(mf.METAFLOW_SFN_EXECUTION_LOG_GROUP_ARN).to.equal(sfn.executionLogGroupArn);
            expect(mf).to.not.have.property("METAFLOW_ECS_FARGATE_EXECUTION_ROLE");
            expect(mf.METAFLOW_SFN_S3_DISTRIBUTED_MAP_OUTPUT_PATH).to.equal(`s3://${run.outputs.artifactBucket}/metaflow/sfn_distributed_map_output`);
            expect([mf.METAFLOW_DEFAULT_SECRETS_BACKEND_TYPE, mf.METAFLOW_AWS_SECRETS_MANAGER_DEFAULT_REGION]).to.deep.equal(["aws-secrets-manager", "us-east-1"]);
        });
    });
}

describe("SfnScheduler (component)", () => {
    const args = {
        namePrefix: "t",
        region: "us-east-1",
        stateMachinePrefix: "team-a",
        kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/k",
        bucketArn: "arn:aws:s3:::b",
        bucketName: "b",
        jobQueueArns: ["arn:aws:batch:us-east-1:123456789012:job-queue/q"],
        logRetentionDays: 7,
    };

    it("scopes the events role to its own prefix", async () => {
        const run = await runComponent(() => new SfnScheduler("s", args));
        expect(policyOf(run.one("aws:iam/rolePolicy:RolePolicy", "s-events")).Statement[0].Resource).to.equal(`arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:team-a_*`);
        expect(run.one("aws:dynamodb/table:Table").protect).to.equal(false);
    });

    it("refuses a prefix that leaves no room for a 40-character flow name", () => {
        const prefix = `p-${"p".repeat(38)}`;
        expect(validateSfnSchedulerArgs({ ...args, stateMachinePrefix: prefix })).to.deep.equal([
            `stateMachinePrefix: "${prefix}" has 40 characters; at most 39 keep "<prefix>_<FlowName>" within AWS's 80-character limit for flow names up to 40 characters`,
        ]);
        expect(() => new SfnScheduler("bad", { ...args, stateMachinePrefix: "has space" })).to.throw(/SfnScheduler bad: stateMachinePrefix: "has space" must be letters/);
        // Metaflow omits a prefix that a flow or project name starts with (step_functions_cli.py:283-288).
        expect(() => new SfnScheduler("ml", { ...args, stateMachinePrefix: "ml" })).to.throw(/SfnScheduler ml: stateMachinePrefix: "ml" has no hyphen: Metaflow omits the prefix/);
    });
});
