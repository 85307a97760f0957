/**
 * The AWS calls Metaflow 2.19.38 really makes, read from its own source (`../shared/vendor/metaflow-2.19.38.tar.gz`,
 * paths inside `metaflow-2.19.38/`), with the principal that makes each one on this platform and the resource it
 * names. test/iam/simulate.test.ts simulates every call against the plan's policies; the integration test
 * test/integration/iam/metaflow-calls.test.ts re-reads each line from the vendored source.
 *
 * What the source does NOT call, and the platform therefore does not grant: any S3 DeleteObject (Metaflow never
 * deletes datastore objects), any CloudWatch Logs API (task logs are read from the datastore, where mflog saves them;
 * the awslogs driver writes container output with the instance's role), and `logs:GetLogEvents` (the GUIDE lists it,
 * 2.19.38 has no `logs` client at all).
 */

/** Who makes the call on this platform. */
export type Caller =
    | "engineer" // the Metaflow client on an engineer's machine (the engineer policy)
    | "job" // a Metaflow task on Batch (METAFLOW_ECS_S3_ACCESS_IAM_ROLE)
    | "sfn" // a deployed state machine (METAFLOW_SFN_IAM_ROLE)
    | "events"; // EventBridge starting a scheduled flow (METAFLOW_EVENTS_SFN_ACCESS_IAM_ROLE)

/** The resource a call names, resolved against a planned stack by the simulation. */
export type Target =
    | "*"
    | "queue"
    | "computeEnvironment"
    | "jobDefinition"
    | "job"
    | "stateMachine"
    | "execution"
    | "scheduleRule"
    | "batchEventsRule"
    | "jobRole"
    | "sfnRole"
    | "eventsRole"
    | "datastoreObject"
    | "datastoreBucket"
    | "mapOutputObject"
    | "table"
    | "secret";

export interface MetaflowCall {
    caller: Caller;
    action: string;
    target: Target;
    /** Path inside the source distribution, 1-based line, and text that line contains. */
    file: string;
    line: number;
    text: string;
    why: string;
}

const BATCH = "metaflow/plugins/aws/batch/batch_client.py";
const SFN_CLIENT = "metaflow/plugins/aws/step_functions/step_functions_client.py";
const EVENTS = "metaflow/plugins/aws/step_functions/event_bridge_client.py";
const DYNAMO = "metaflow/plugins/aws/step_functions/dynamo_db_client.py";
const SFN = "metaflow/plugins/aws/step_functions/step_functions.py";
const S3OP = "metaflow/plugins/datatools/s3/s3op.py";
const SECRETS = "metaflow/plugins/aws/secrets_manager/aws_secrets_manager_secrets_provider.py";

const s3Calls = (caller: Caller): MetaflowCall[] => [
    { caller, action: "s3:GetObject", target: "datastoreObject", file: S3OP, line: 186, text: "s3.head_object(Bucket=url.bucket, Key=url.path)", why: "HeadObject (authorized as GetObject) before a download" },
    { caller, action: "s3:GetObject", target: "datastoreObject", file: S3OP, line: 253, text: "s3.get_object(Bucket=url.bucket, Key=url.path)", why: "reads an artifact, a code package, a log" },
    { caller, action: "s3:PutObject", target: "datastoreObject", file: S3OP, line: 355, text: "s3.upload_file(", why: "writes an artifact (multipart for large ones: CreateMultipartUpload/UploadPart are PutObject)" },
    { caller, action: "s3:AbortMultipartUpload", target: "datastoreObject", file: S3OP, line: 355, text: "s3.upload_file(", why: "boto3's transfer manager aborts a failed multipart upload" },
    { caller, action: "s3:ListBucket", target: "datastoreBucket", file: S3OP, line: 605, text: 'get_paginator("list_objects_v2")', why: "lists a prefix (and tells a missing key from a forbidden one)" },
];

export const METAFLOW_CALLS: MetaflowCall[] = [
    // The client on an engineer's machine: `run --with batch`, `batch list/kill`, `step-functions create/trigger/...`.
    { caller: "engineer", action: "batch:DescribeJobQueues", target: "*", file: BATCH, line: 175, text: "self._client.describe_job_queues(jobQueues=[job_queue])", why: "checks the queue and finds its compute environments" },
    { caller: "engineer", action: "batch:DescribeComputeEnvironments", target: "*", file: BATCH, line: 181, text: "self._client.describe_compute_environments(", why: "detects EC2 or Fargate from the first environment" },
    { caller: "engineer", action: "batch:DescribeJobDefinitions", target: "*", file: BATCH, line: 444, text: "self._client.describe_job_definitions(**payload)", why: "looks for an existing metaflow_<sha224> definition" },
    { caller: "engineer", action: "batch:RegisterJobDefinition", target: "jobDefinition", file: BATCH, line: 451, text: "self._client.register_job_definition(**job_definition)", why: "registers metaflow_<sha224> when none exists" },
    { caller: "engineer", action: "iam:PassRole", target: "jobRole", file: BATCH, line: 191, text: '"jobRoleArn": job_role,', why: "the job definition names the job role" },
    { caller: "engineer", action: "batch:SubmitJob", target: "queue", file: BATCH, line: 139, text: "self._client.submit_job(**self.payload)", why: "submits a task to the queue" },
    { caller: "engineer", action: "batch:SubmitJob", target: "jobDefinition", file: BATCH, line: 139, text: "self._client.submit_job(**self.payload)", why: "with Metaflow's job definition" },
    { caller: "engineer", action: "batch:TagResource", target: "job", file: BATCH, line: 632, text: 'self.payload["tags"][key] = str(value)', why: "tags on SubmitJob (METAFLOW_BATCH_EMIT_TAGS, @batch(aws_batch_tags=...)) need TagResource on the job" },
    { caller: "engineer", action: "batch:DescribeJobs", target: "*", file: BATCH, line: 696, text: "self._client.describe_jobs(jobs=[self._id])", why: "follows the task's status" },
    { caller: "engineer", action: "batch:ListJobs", target: "*", file: BATCH, line: 39, text: 'get_paginator("list_jobs")', why: "`batch list` and `batch kill` find the flow's jobs" },
    { caller: "engineer", action: "batch:TerminateJob", target: "job", file: BATCH, line: 794, text: "self._client.terminate_job(", why: "kills a task" },
    { caller: "engineer", action: "states:ListStateMachines", target: "*", file: SFN_CLIENT, line: 15, text: 'get_paginator("list_state_machines")', why: "finds a deployed flow's state machine" },
    { caller: "engineer", action: "states:CreateStateMachine", target: "stateMachine", file: SFN_CLIENT, line: 28, text: "self._client.create_state_machine(", why: "`step-functions create`" },
    { caller: "engineer", action: "iam:PassRole", target: "sfnRole", file: SFN_CLIENT, line: 31, text: "roleArn=role_arn,", why: "the state machine runs as METAFLOW_SFN_IAM_ROLE" },
    { caller: "engineer", action: "states:UpdateStateMachine", target: "stateMachine", file: SFN_CLIENT, line: 40, text: "self._client.update_state_machine(", why: "re-deploys an existing flow" },
    { caller: "engineer", action: "states:DescribeStateMachine", target: "stateMachine", file: SFN_CLIENT, line: 55, text: "self._client.describe_state_machine(", why: "reads the deployed definition" },
    { caller: "engineer", action: "states:StartExecution", target: "stateMachine", file: SFN_CLIENT, line: 62, text: "self._client.start_execution(", why: "`step-functions trigger`" },
    { caller: "engineer", action: "states:ListExecutions", target: "stateMachine", file: SFN_CLIENT, line: 71, text: 'get_paginator("list_executions")', why: "lists runs of a deployed flow" },
    { caller: "engineer", action: "states:StopExecution", target: "execution", file: SFN_CLIENT, line: 86, text: "self._client.stop_execution(executionArn=execution_arn)", why: "`step-functions terminate`" },
    { caller: "engineer", action: "states:DeleteStateMachine", target: "stateMachine", file: SFN_CLIENT, line: 130, text: "self._client.delete_state_machine(", why: "`step-functions delete`" },
    { caller: "engineer", action: "events:DisableRule", target: "scheduleRule", file: EVENTS, line: 37, text: "self._client.disable_rule(Name=self.name)", why: "a flow without @schedule disables its rule" },
    { caller: "engineer", action: "events:PutRule", target: "scheduleRule", file: EVENTS, line: 43, text: "self._client.put_rule(", why: "@schedule creates the rule named like the state machine" },
    { caller: "engineer", action: "events:PutTargets", target: "scheduleRule", file: EVENTS, line: 50, text: "self._client.put_targets(", why: "targets the state machine" },
    { caller: "engineer", action: "iam:PassRole", target: "eventsRole", file: EVENTS, line: 58, text: '"RoleArn": self.role_arn,', why: "the target runs as METAFLOW_EVENTS_SFN_ACCESS_IAM_ROLE" },
    { caller: "engineer", action: "events:RemoveTargets", target: "scheduleRule", file: EVENTS, line: 65, text: "self._client.remove_targets(", why: "`step-functions delete`" },
    { caller: "engineer", action: "events:DeleteRule", target: "scheduleRule", file: EVENTS, line: 71, text: "self._client.delete_rule(Name=self.name)", why: "`step-functions delete`" },
    { caller: "engineer", action: "secretsmanager:GetSecretValue", target: "secret", file: SECRETS, line: 134, text: "secrets_manager_client.get_secret_value(SecretId=secret_id)", why: "@secrets in a local run" },
    ...s3Calls("engineer"),

    // A task on Batch.
    ...s3Calls("job"),
    { caller: "job", action: "dynamodb:PutItem", target: "table", file: DYNAMO, line: 14, text: "self._client.put_item(", why: "a foreach split records its cardinality" },
    { caller: "job", action: "dynamodb:UpdateItem", target: "table", file: DYNAMO, line: 31, text: "self._client.update_item(", why: "a join records a finished parallel branch" },
    { caller: "job", action: "dynamodb:GetItem", target: "table", file: DYNAMO, line: 55, text: "self._client.get_item(", why: "reads the parent's task ids" },
    { caller: "job", action: "secretsmanager:GetSecretValue", target: "secret", file: SECRETS, line: 134, text: "secrets_manager_client.get_secret_value(SecretId=secret_id)", why: "@secrets(sources=[...]) with the AWS Secrets Manager provider" },

    // A deployed state machine (the definition Metaflow writes).
    { caller: "sfn", action: "batch:SubmitJob", target: "queue", file: SFN, line: 1118, text: "states:::batch:submitJob.sync", why: "each step is a Batch job" },
    { caller: "sfn", action: "batch:SubmitJob", target: "jobDefinition", file: SFN, line: 1118, text: "states:::batch:submitJob.sync", why: "with the metaflow_* definition registered at deploy time" },
    { caller: "sfn", action: "batch:TagResource", target: "job", file: SFN, line: 900, text: "aws_batch_tags=batch_tags,", why: "the state machine submits the same tags" },
    { caller: "sfn", action: "batch:DescribeJobs", target: "*", file: SFN, line: 1118, text: "states:::batch:submitJob.sync", why: ".sync follows the job" },
    { caller: "sfn", action: "batch:TerminateJob", target: "job", file: SFN, line: 1118, text: "states:::batch:submitJob.sync", why: ".sync stops the job when the execution stops" },
    { caller: "sfn", action: "events:PutRule", target: "batchEventsRule", file: SFN, line: 1118, text: "states:::batch:submitJob.sync", why: ".sync's managed rule StepFunctionsGetEventsForBatchJobsRule" },
    { caller: "sfn", action: "events:PutTargets", target: "batchEventsRule", file: SFN, line: 1118, text: "states:::batch:submitJob.sync", why: ".sync's managed rule" },
    { caller: "sfn", action: "dynamodb:GetItem", target: "table", file: SFN, line: 1151, text: "states:::dynamodb:getItem", why: "a foreach reads its cardinality" },
    { caller: "sfn", action: "states:StartExecution", target: "stateMachine", file: SFN, line: 418, text: '"DISTRIBUTED" if self.use_distributed_map else "INLINE"', why: "a distributed map starts child executions" },
    { caller: "sfn", action: "s3:PutObject", target: "mapOutputObject", file: SFN, line: 1250, text: '"Resource": "arn:aws:states:::s3:putObject",', why: "the ResultWriter writes the map's results" },
    { caller: "sfn", action: "s3:AbortMultipartUpload", target: "mapOutputObject", file: SFN, line: 1250, text: '"Resource": "arn:aws:states:::s3:putObject",', why: "ResultWriter writes in parts (Step Functions' ResultWriter IAM policy)" },
    { caller: "sfn", action: "s3:ListMultipartUploadParts", target: "mapOutputObject", file: SFN, line: 1250, text: '"Resource": "arn:aws:states:::s3:putObject",', why: "ResultWriter writes in parts (Step Functions' ResultWriter IAM policy)" },
    { caller: "sfn", action: "s3:GetObject", target: "mapOutputObject", file: SFN, line: 451, text: '.resource("arn:aws:states:::aws-sdk:s3:getObject")', why: "*GetManifest reads the results manifest" },
    { caller: "sfn", action: "s3:GetObject", target: "mapOutputObject", file: SFN, line: 474, text: '.resource("arn:aws:states:::s3:getObject")', why: "the ItemReader reads the results file" },

    // EventBridge, for @schedule (the target PutTargets configures).
    { caller: "events", action: "states:StartExecution", target: "stateMachine", file: EVENTS, line: 50, text: "self._client.put_targets(", why: "the schedule starts the state machine" },
];
