/**
 * The pipeline event log: EventBridge rules of this stack's state machines and queues into an encrypted log group,
 * the metric filters, Contributor Insights rules and saved queries over it. Sample events follow the documented
 * shapes (Step Functions "Execution Status Change", Batch "Job State Change" with the tags Metaflow 2.19.38 sets).
 */
import { expect } from "chai";

import { PipelineEvents, validatePipelineEventsArgs } from "../../components/monitoring/pipeline-events";
import { contributorRules, DELIVERY_QUERIES, JOB_NAME_GROK, JOB_OUTCOME_STATES, JOB_RECORD_TRANSFORMER, JOB_STATES, PIPELINE_METRIC_FILTERS, PIPELINE_QUERIES, pipelineEventPatterns, pipelineLogGroupNames, pipelineNamespace, QUERY_LOGS, RUN_END_STATES } from "../../components/monitoring/pipeline-events-rules";
import { MOCK_ACCOUNT } from "../../offline/mocks";
import { policyOf, runComponent, runStack, StackRun } from "../harness";

const PREFIX = "mf-dev";

/** A Step Functions execution status change of a deployed flow. */
const SFN_EVENT = {
    version: "0",
    source: "aws.states",
    "detail-type": "Step Functions Execution Status Change",
    detail: {
        executionArn: `arn:aws:states:us-east-1:${MOCK_ACCOUNT}:execution:mf-dev_TrainFlow:abc`,
        stateMachineArn: `arn:aws:states:us-east-1:${MOCK_ACCOUNT}:stateMachine:mf-dev_TrainFlow`,
        name: "abc",
        status: "SUCCEEDED",
        startDate: 1_700_000_000_000,
        stopDate: 1_700_000_600_000,
    },
};
/**
 * A Batch job state change of a `run --with batch` job, in the shape of AWS's example "Job State Change" event
 * (https://docs.aws.amazon.com/batch/latest/userguide/batch_job_events.html: `detail` is the DescribeJobs JobDetail,
 * with `tags`), as Metaflow 2.19.38 submits it: job name `<user>-<flow>-<run_id>-<step>-<task_id>-<attempt>`
 * (batch.py:179-187), the attributes as job parameters, the tags with METAFLOW_BATCH_EMIT_TAGS (batch.py:381-407).
 */
const BATCH_EVENT = {
    version: "0",
    id: "c8f9c4b5-76e5-d76a-f980-7011e206042b",
    "detail-type": "Batch Job State Change",
    source: "aws.batch",
    account: MOCK_ACCOUNT,
    time: "2026-11-03T10:36:40Z",
    region: "us-east-1",
    resources: [`arn:aws:batch:us-east-1:${MOCK_ACCOUNT}:job/4c7599ae-0a82-49aa-ba5a-4727fcce14a8`],
    detail: {
        jobArn: `arn:aws:batch:us-east-1:${MOCK_ACCOUNT}:job/4c7599ae-0a82-49aa-ba5a-4727fcce14a8`,
        jobName: "alice-TrainFlow-12-train-3-0",
        jobId: "4c7599ae-0a82-49aa-ba5a-4727fcce14a8",
        jobQueue: "arn:aws:batch:us-east-1:1:job-queue/mf-dev-cpu",
        status: "FAILED",
        statusReason: "Essential container in task exited",
        attempts: [],
        createdAt: 1_762_165_000_058,
        startedAt: 1_762_165_100_058,
        stoppedAt: 1_762_165_400_058,
        retryStrategy: { attempts: 2, evaluateOnExit: [] },
        dependsOn: [],
        jobDefinition: `arn:aws:batch:us-east-1:${MOCK_ACCOUNT}:job-definition/metaflow_0123abcd:1`,
        parameters: { "metaflow.flow_name": "TrainFlow", "metaflow.run_id": "12", "metaflow.step_name": "train", "metaflow.user": "alice" },
        container: { image: "python:3.12", command: ["bash", "-c", "true"], environment: [{ name: "METAFLOW_USER", value: "alice" }], resourceRequirements: [{ value: "1", type: "VCPU" }], secrets: [] },
        tags: { resourceArn: `arn:aws:batch:us-east-1:${MOCK_ACCOUNT}:job/4c7599ae-0a82-49aa-ba5a-4727fcce14a8`, app: "metaflow", "metaflow.flow_name": "TrainFlow", "metaflow.run_id": "12", "metaflow.step_name": "train", "metaflow.user": "alice", "metaflow.version": "2.19.38" },
        propagateTags: false,
        platformCapabilities: [],
    },
};
/**
 * `step-functions create` as CloudTrail hands it to EventBridge ("AWS API Call via CloudTrail": `detail` is the
 * CloudTrail record, with `eventSource`, `eventName`, `requestParameters`, `responseElements` and, for a failed call,
 * `errorCode`). A first deployment is a CreateStateMachine; a later one a CreateStateMachine that fails with
 * StateMachineAlreadyExists, then an UpdateStateMachine (Metaflow 2.19.38, step_functions_client.py:26-45).
 */
const SM_ARN = `arn:aws:states:us-east-1:${MOCK_ACCOUNT}:stateMachine:mf-dev_TrainFlow`;
function cloudTrail(eventName: string, requestParameters: object, extra: object = {}) {
    return {
        version: "0",
        source: "aws.states",
        "detail-type": "AWS API Call via CloudTrail",
        account: MOCK_ACCOUNT,
        region: "us-east-1",
        time: "2026-11-03T10:30:00Z",
        detail: { eventVersion: "1.09", eventSource: "states.amazonaws.com", eventName, awsRegion: "us-east-1", requestParameters, ...extra },
    };
}
const CREATE_EVENT = cloudTrail("CreateStateMachine", { name: "mf-dev_TrainFlow", roleArn: "r", type: "STANDARD" }, { responseElements: { stateMachineArn: SM_ARN, creationDate: "Nov 3, 2026, 10:30:00 AM" } });
const UPDATE_EVENT = cloudTrail("UpdateStateMachine", { stateMachineArn: SM_ARN, roleArn: "r" }, { responseElements: { updateDate: "Nov 3, 2026, 10:30:01 AM" } });
const ALREADY_EXISTS = cloudTrail("CreateStateMachine", { name: "mf-dev_TrainFlow", roleArn: "r" }, { errorCode: "StateMachineAlreadyExists", errorMessage: `State Machine Already Exists: '${SM_ARN}'`, responseElements: null });

/**
 * EventBridge's matching for the operators the platform's patterns use (Event pattern syntax; Comparison operators:
 * lists of values, `prefix`, `exists`, `$or`): every field of the pattern must match, a list matches when one entry
 * does, `$or` when one alternative does.
 */
function eventMatches(pattern: Record<string, any>, event: any): boolean {
    return Object.entries(pattern).every(([k, v]) => {
        if (k === "$or") return (v as object[]).some((alt) => eventMatches(alt as Record<string, any>, event));
        const value = event?.[k];
        if (!Array.isArray(v)) return value !== null && typeof value === "object" && eventMatches(v, value);
        return v.some((m: any) => {
            if (m !== null && typeof m === "object" && "prefix" in m) return typeof value === "string" && value.startsWith(m.prefix);
            if (m !== null && typeof m === "object" && "exists" in m) return (value !== undefined) === m.exists;
            return value === m;
        });
    });
}

/** The same job with another name. */
function named(jobName: string, status = "FAILED") {
    return { ...BATCH_EVENT, detail: { ...BATCH_EVENT.detail, jobName, status } };
}

/**
 * The documented grok patterns this project uses, as regular expressions (CloudWatch Logs, "Supported grok patterns":
 * WORD one or more word characters; DATA any character but newline, zero or more, non-greedy; GREEDYDATA the same,
 * greedy). A pattern matches the whole field: the documented `%{DATA:x} %{DATA:y}` on `abc def ghi` gives
 * `y = "def ghi"`. Any other pattern name fails the test, so the evaluator cannot silently drift from the pattern.
 */
const GROK: Record<string, string> = { WORD: "\\w+", DATA: ".*?", GREEDYDATA: ".*" };
function grok(match: string, value: string): Record<string, string> | undefined {
    const names: string[] = [];
    let regex = "";
    let rest = match;
    for (let m = /%\{(\w+)(?::([\w.]+))?\}/.exec(rest); m; m = /%\{(\w+)(?::([\w.]+))?\}/.exec(rest)) {
        expect(GROK, `grok pattern ${m[1]}`).to.have.property(m[1]);
        regex += rest.slice(0, m.index).replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + `(${GROK[m[1]]})`;
        names.push(m[2] ?? "");
        rest = rest.slice(m.index + m[0].length);
    }
    const found = new RegExp(`^${regex}${rest.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`).exec(value);
    return found ? Object.fromEntries(names.map((n, i) => [n, found[i + 1]]).filter(([n]) => n)) : undefined;
}
/** Applies the job log's transformer to an event as CloudWatch Logs ingests it (the message is the event's JSON text). */
function transformed(event: object): any {
    let record: any = {};
    const message = JSON.stringify(event);
    for (const p of JOB_RECORD_TRANSFORMER) {
        if ("parseJSON" in p) {
            expect(p.parseJSON.source).to.equal("@message");
            record = { ...record, ...JSON.parse(message) };
        } else {
            const fields = grok(p.grok.match, String(select(record, `$.${p.grok.source}`)));
            // Dotted field names are JSON paths (grok Example 3).
            for (const [path, v] of Object.entries(fields ?? {})) {
                const keys = path.split(".");
                keys.slice(0, -1).reduce((o, k) => (o[k] ??= {}), record)[keys[keys.length - 1]] = v;
            }
        }
    }
    return record;
}

/** A metric filter's JSON pattern of `$.path = "value"` terms joined by `||` (the only form used here). */
function matches(pattern: string, event: object): boolean {
    const body = /^\{ (.*) \}$/.exec(pattern)?.[1];
    expect(body, pattern).to.be.a("string");
    return body!.split(" || ").some((term) => {
        const t = /^(\$[\w.]+) = "([^"]*)"$/.exec(term);
        expect(t, `term ${term}`).to.not.equal(null);
        return select(event, t![1]) === t![2];
    });
}

/** `$.a.b` against an object (the selectors used here name plain keys only). */
function select(event: object, selector: string): unknown {
    expect(selector).to.match(/^\$(\.[A-Za-z][A-Za-z0-9]*)+$/, "a selector of plain keys (no periods inside a key)");
    return selector.slice(2).split(".").reduce<any>((o, k) => (o == null ? undefined : o[k]), event);
}

/** Runs a saved query's `parse @message /regex/` lines on an event's JSON text, as Logs Insights would. */
function parsed(query: string, event: object): Record<string, string> {
    const out: Record<string, string> = {};
    for (const m of query.matchAll(/parse @message \/(.*)\//g)) {
        const found = new RegExp(m[1]).exec(JSON.stringify(event));
        Object.assign(out, found?.groups ?? {});
    }
    return out;
}

function events(run: StackRun) {
    const rules = run.ofType("aws:cloudwatch/eventRule:EventRule").filter((r) => r.name.includes("-pipeline-events-"));
    const targets = run.ofType("aws:cloudwatch/eventTarget:EventTarget").filter((r) => r.name.includes("-pipeline-events-"));
    return {
        rules,
        targets,
        log: run.one("aws:cloudwatch/logGroup:LogGroup", "-pipeline-events-log"),
        jobLog: run.one("aws:cloudwatch/logGroup:LogGroup", "-pipeline-events-job-log"),
        deploymentLog: run.one("aws:cloudwatch/logGroup:LogGroup", "-pipeline-events-deployment-log"),
    };
}

describe("PipelineEvents", () => {
    it("records this stack's state machines, queues and deployments, and only them, into three encrypted log groups", async () => {
        const run = await runStack("dev");
        const { rules, targets, log, jobLog, deploymentLog } = events(run);
        expect(log.inputs.name).to.equal(`/aws/events/${PREFIX}-pipelines`);
        expect(jobLog.inputs.name).to.equal(`/aws/events/${PREFIX}-pipeline-jobs`);
        expect(deploymentLog.inputs.name).to.equal(`/aws/events/${PREFIX}-deployments`);
        expect(pipelineLogGroupNames(PREFIX)).to.deep.equal({ executions: log.inputs.name, jobs: jobLog.inputs.name, deployments: deploymentLog.inputs.name });
        for (const l of [log, jobLog, deploymentLog]) {
            expect(l.inputs.kmsKeyId).to.equal(run.one("aws:kms/key:Key").state.arn);
            expect(l.inputs.retentionInDays).to.equal(run.one("aws:cloudwatch/logGroup:LogGroup", "-sfn-executions").inputs.retentionInDays);
            // Transformers need the Standard class (the default when none is given).
            expect(l.inputs.logGroupClass ?? "STANDARD").to.equal("STANDARD");
        }

        const prefix = (run.outputs.metaflowConfig as Record<string, string>).METAFLOW_SFN_STATE_MACHINE_PREFIX;
        const patterns = Object.fromEntries(rules.map((r) => [r.name.split("-pipeline-events-")[1], JSON.parse(r.inputs.eventPattern as string)]));
        expect(patterns.executions).to.deep.equal({
            source: ["aws.states"],
            "detail-type": ["Step Functions Execution Status Change"],
            detail: { stateMachineArn: [{ prefix: `arn:aws:states:us-east-1:${MOCK_ACCOUNT}:stateMachine:${prefix}_` }] },
        });
        const queues = run.ofType("aws:batch/jobQueue:JobQueue").map((q) => q.state.arn);
        expect(patterns.jobs.source).to.deep.equal(["aws.batch"]);
        expect(patterns.jobs["detail-type"]).to.deep.equal(["Batch Job State Change"]);
        expect(patterns.jobs.detail.jobQueue).to.have.members(queues).and.have.length(queues.length);
        expect(patterns.jobs.detail.status).to.deep.equal([...JOB_STATES]);

        // Executions to the execution log, jobs to the job log, deployments to the deployment log; each target keeps its dead-letter queue.
        expect(Object.fromEntries(targets.map((t) => [t.name.split("-pipeline-events-")[1], t.inputs.arn]))).to.deep.equal({ executions: log.state.arn, jobs: jobLog.state.arn, deployments: deploymentLog.state.arn });
        for (const t of targets) {
            expect(t.inputs.roleArn, "CloudWatch Logs targets must not name a role").to.equal(undefined);
            expect(t.inputs.inputTransformer, "the raw event is kept").to.equal(undefined);
            expect((t.inputs.deadLetterConfig as { arn: string }).arn).to.be.a("string");
        }
        // EventBridge may write to these three log groups only, under one resource policy.
        const policy = policyOf(run.one("aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "-pipeline-events-delivery"), "policyDocument");
        expect(policy.Statement).to.have.length(1);
        expect(policy.Statement[0]).to.deep.include({ Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${log.state.arn}:*`, `${jobLog.state.arn}:*`, `${deploymentLog.state.arn}:*`] });
        expect(policy.Statement[0].Principal.Service).to.include("events.amazonaws.com");
    });

    it("records deployments from CloudTrail: successful CreateStateMachine and UpdateStateMachine calls on this stack's prefix only, with a dead-letter queue and alarm", async () => {
        const run = await runStack("dev");
        const { rules } = events(run);
        const prefix = (run.outputs.metaflowConfig as Record<string, string>).METAFLOW_SFN_STATE_MACHINE_PREFIX;
        expect(prefix).to.equal("mf-dev");
        const rule = rules.find((r) => r.name.endsWith("-pipeline-events-deployments"))!;
        const pattern = JSON.parse(rule.inputs.eventPattern as string);
        expect(pattern).to.deep.equal(pipelineEventPatterns(`arn:aws:states:us-east-1:${MOCK_ACCOUNT}:stateMachine:${prefix}_`, [], prefix).deployments);
        expect(pattern.source).to.deep.equal(["aws.states"]);
        expect(pattern["detail-type"]).to.deep.equal(["AWS API Call via CloudTrail"]);
        expect(pattern.detail.eventSource).to.deep.equal(["states.amazonaws.com"]);
        // What it takes: a first deployment, a redeployment's update; not the redeployment's failed create.
        expect(eventMatches(pattern, CREATE_EVENT), "CreateStateMachine").to.equal(true);
        expect(eventMatches(pattern, UPDATE_EVENT), "UpdateStateMachine").to.equal(true);
        expect(eventMatches(pattern, ALREADY_EXISTS), "the failed CreateStateMachine of a redeployment").to.equal(false);
        // Not other stacks' state machines (a prefix that extends ours included), not other calls.
        const other = `arn:aws:states:us-east-1:${MOCK_ACCOUNT}:stateMachine:mf-prod_TrainFlow`;
        expect(eventMatches(pattern, cloudTrail("CreateStateMachine", { name: "mf-prod_TrainFlow" }, { responseElements: { stateMachineArn: other } }))).to.equal(false);
        expect(eventMatches(pattern, cloudTrail("CreateStateMachine", { name: "mf-devx_TrainFlow" }))).to.equal(false);
        expect(eventMatches(pattern, cloudTrail("UpdateStateMachine", { stateMachineArn: other }))).to.equal(false);
        expect(eventMatches(pattern, cloudTrail("DeleteStateMachine", { stateMachineArn: SM_ARN }))).to.equal(false);
        expect(eventMatches(pattern, cloudTrail("UpdateStateMachine", { name: "mf-dev_TrainFlow" })), "an update names the ARN, not the name").to.equal(false);
        // Every rule's target has a dead-letter queue and a failed-delivery alarm to the alarm topic (event-dead-letter.ts).
        const alarm = run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").find((a) => (a.inputs.dimensions as Record<string, string>)?.RuleName === rule.state.name);
        expect(alarm, "FailedInvocations alarm").to.not.equal(undefined);
        expect(alarm!.inputs).to.deep.include({ namespace: "AWS/Events", metricName: "FailedInvocations" });
        expect(alarm!.inputs.alarmActions).to.deep.equal([(run.outputs.monitoring as { alarmTopicArn: string }).alarmTopicArn]);
        const queue = run.one("aws:sqs/queue:Queue", "-pipeline-events-deployments-dlq");
        expect(queue.inputs.messageRetentionSeconds).to.equal(14 * 24 * 3600);
        const target = run.one("aws:cloudwatch/eventTarget:EventTarget", "-pipeline-events-deployments");
        expect((target.inputs.deadLetterConfig as { arn: string }).arn).to.equal(queue.state.arn);
    });

    it("splits Metaflow's job name into engineer, flow and step with a log transformer on the job log only", async () => {
        const run = await runStack("dev");
        const { jobLog } = events(run);
        const transformers = run.ofType("aws:cloudwatch/logTransformer:LogTransformer");
        expect(transformers).to.have.length(1);
        expect(transformers[0].inputs.logGroupArn).to.equal(jobLog.state.arn);
        expect(transformers[0].inputs.transformerConfigs).to.deep.equal([{ parseJsons: [{ source: "@message" }] }, { grok: { source: "detail.jobName", match: JOB_NAME_GROK } }]);
        // Documented limits: one grok per transformer, DATA and GREEDYDATA at most five times in a grok pattern.
        expect(JOB_RECORD_TRANSFORMER.filter((p) => "grok" in p)).to.have.length(1);
        expect(JOB_NAME_GROK.match(/%\{(DATA|GREEDYDATA)\b/g)!.length).to.be.at.most(5);

        const mf = (jobName: string) => transformed(named(jobName)).mf;
        // A local run (`run --with batch`), a user name with hyphens, a deployed flow (user SFN, empty run, task, attempt).
        expect(mf("alice-TrainFlow-12-train-3-0")).to.deep.equal({ user: "alice", flow: "TrainFlow", run: "12", step: "train", task: "3", attempt: "0" });
        expect(mf("jane-doe-Train_Flow2-1762165000123456-fit_model-41-2")).to.include({ user: "jane-doe", flow: "Train_Flow2", step: "fit_model" });
        expect(mf("SFN-TrainFlow--train--")).to.deep.equal({ user: "SFN", flow: "TrainFlow", run: "", step: "train", task: "", attempt: "" });
        // A job not named by Metaflow (AWS's sample) gets no keys: the grok does not match.
        expect(transformed(named("event-test")).mf).to.equal(undefined);
        // The event itself is kept, tags and all.
        expect(transformed(BATCH_EVENT).detail).to.deep.equal(BATCH_EVENT.detail);
    });

    it("counts runs per flow, jobs per queue, and jobs per engineer and per flow with metric filters whose dimensions the events carry", async () => {
        const run = await runStack("dev");
        const filters = run.ofType("aws:cloudwatch/logMetricFilter:LogMetricFilter");
        const transformer = run.one("aws:cloudwatch/logTransformer:LogTransformer");
        expect(filters.map((f) => f.name.split("-pipeline-events-")[1])).to.have.members(PIPELINE_METRIC_FILTERS.map((f) => f.role));
        const samples: Record<string, object> = { executions: SFN_EVENT, jobs: BATCH_EVENT, "deployments-created": CREATE_EVENT, "deployments-updated": UPDATE_EVENT };
        for (const f of filters) {
            const spec = PIPELINE_METRIC_FILTERS.find((x) => f.name.endsWith(`-pipeline-events-${x.role}`))!;
            samples[spec.role] ??= samples[spec.log];
            expect(f.inputs.logGroupName).to.equal(pipelineLogGroupNames(PREFIX)[spec.log]);
            expect(Boolean(f.inputs.applyOnTransformedLogs), f.name).to.equal(spec.applyOnTransformedLogs);
            if (spec.applyOnTransformedLogs) expect(f.dependencies, "created after the transformer").to.include(transformer.urn);
            const t = f.inputs.metricTransformation as { namespace: string; name: string; value: string; dimensions: Record<string, string> };
            expect(t.namespace).to.equal(pipelineNamespace(PREFIX));
            expect(t.value).to.equal("1");
            expect(Object.keys(t.dimensions).length, "metric filters take at most 3 dimensions").to.be.within(1, 3);
            const event = spec.applyOnTransformedLogs ? transformed(samples[spec.role]) : samples[spec.role];
            expect(matches(f.inputs.pattern as string, event), `${f.name} matches its sample`).to.equal(true);
            for (const [dim, selector] of Object.entries(t.dimensions)) expect(select(event, selector), `${f.name} ${dim}`).to.be.a("string").and.not.be.empty;
        }
        const byEngineer = PIPELINE_METRIC_FILTERS.find((f) => f.role === "jobs-by-engineer")!;
        const byFlow = PIPELINE_METRIC_FILTERS.find((f) => f.role === "jobs-by-flow")!;
        // The figures the dimensions give for the sample: alice's failed TrainFlow job.
        expect(select(transformed(BATCH_EVENT), byEngineer.dimensions.Engineer)).to.equal("alice");
        expect(select(transformed(BATCH_EVENT), byFlow.dimensions.Flow)).to.equal("TrainFlow");
        // Without the transformer the engineer is not in the event at a path a selector can name.
        expect(select(BATCH_EVENT, byEngineer.dimensions.Engineer)).to.equal(undefined);
        // Deployments: one metric from two filters, the state machine ARN from either call, the same value `Runs` uses.
        const deployments = PIPELINE_METRIC_FILTERS.filter((f) => f.metricName === "Deployments");
        expect(deployments.map((f) => f.role)).to.deep.equal(["deployments-created", "deployments-updated"]);
        expect(select(CREATE_EVENT, deployments[0].dimensions.StateMachine)).to.equal(SM_ARN);
        expect(select(UPDATE_EVENT, deployments[1].dimensions.StateMachine)).to.equal(SM_ARN);
        expect(select(SFN_EVENT, PIPELINE_METRIC_FILTERS.find((f) => f.role === "runs")!.dimensions.StateMachine)).to.equal(SM_ARN);
        expect(matches(deployments[0].pattern, UPDATE_EVENT)).to.equal(false);
        expect(matches(deployments[1].pattern, CREATE_EVENT)).to.equal(false);
        // Starts and ends count; the backlog states do not.
        for (const status of JOB_STATES) expect(matches(byEngineer.pattern, transformed(named("alice-TrainFlow-12-train-3-0", status))), status).to.equal((JOB_OUTCOME_STATES as readonly string[]).includes(status));
    });

    it("ranks the most active and most failing flows with Contributor Insights over the log group", async () => {
        const run = await runStack("dev");
        const rules = run.ofType("aws:cloudwatch/contributorInsightRule:ContributorInsightRule");
        expect(rules.map((r) => r.inputs.ruleName)).to.have.members([`${PREFIX}-most-active-flows`, `${PREFIX}-most-failing-flows`]);
        for (const r of rules) {
            const d = JSON.parse(r.inputs.ruleDefinition as string);
            expect(r.inputs.ruleState).to.equal("ENABLED");
            expect(d.Schema).to.deep.equal({ Name: "CloudWatchLogRule", Version: 1 });
            expect(d.LogGroupNames).to.deep.equal([`/aws/events/${PREFIX}-pipelines`]);
            expect(d.LogFormat).to.equal("JSON");
            for (const k of d.Contribution.Keys) expect(select(SFN_EVENT, k)).to.equal(SFN_EVENT.detail.stateMachineArn);
            for (const f of d.Contribution.Filters) expect(select(SFN_EVENT, f.Match), f.Match).to.be.a("string");
        }
        const failing = contributorRules("x").find((r) => r.role === "most-failing-flows")!.definition as any;
        expect(failing.Contribution.Filters[1].In).to.have.members(RUN_END_STATES.filter((s) => s !== "SUCCEEDED"));
    });

    it("saves the weekly adoption and duration queries on the log group they read", async () => {
        const run = await runStack("dev");
        const queries = run.ofType("aws:cloudwatch/queryDefinition:QueryDefinition");
        expect(queries.map((q) => q.inputs.name)).to.have.members(Object.keys(PIPELINE_QUERIES).map((q) => `${PREFIX}/${q}`));
        for (const q of queries) expect(q.inputs.logGroupNames, q.inputs.name).to.deep.equal(QUERY_LOGS[q.inputs.name.split("/")[1]].map((l) => pipelineLogGroupNames(PREFIX)[l]));
        expect(QUERY_LOGS["run-duration-per-flow"]).to.deep.equal(["executions"]);
        expect(QUERY_LOGS["jobs-per-engineer-and-flow-weekly"]).to.deep.equal(["jobs"]);
        expect((run.outputs.monitoring as { pipelineQueries: string[] }).pipelineQueries).to.have.length(queries.length);
        expect((run.outputs.monitoring as { pipelineJobLog: string }).pipelineJobLog).to.equal(`/aws/events/${PREFIX}-pipeline-jobs`);

        expect(parsed(PIPELINE_QUERIES["active-engineers-weekly"], BATCH_EVENT)).to.deep.equal({ user: "alice" });
        // A deployed flow's jobs carry user SFN and the deployer as owner: coalesce(owner, user) counts the deployer.
        const owner = { "metaflow.user": "SFN", "metaflow.owner": "bob" };
        const deployed = { ...BATCH_EVENT, detail: { ...BATCH_EVENT.detail, jobName: "SFN-TrainFlow--train--", parameters: { ...BATCH_EVENT.detail.parameters, ...owner }, tags: { ...BATCH_EVENT.detail.tags, ...owner } } };
        expect(parsed(PIPELINE_QUERIES["jobs-per-engineer-and-flow-weekly"], deployed)).to.deep.include({ user: "SFN", owner: "bob", flow: "TrainFlow" });
        expect(PIPELINE_QUERIES["jobs-per-engineer-and-flow-weekly"]).to.contain("coalesce(owner, user)");
        expect(parsed(PIPELINE_QUERIES["failing-steps"], BATCH_EVENT)).to.deep.include({ flow: "TrainFlow", step: "train" });
        // Durations: the execution's start and stop dates; a job's startedAt and stoppedAt with the transformer's flow and step.
        expect(PIPELINE_QUERIES["run-duration-per-flow"]).to.contain("(detail.stopDate - detail.startDate) / 60000");
        expect(PIPELINE_QUERIES["job-duration-per-flow"]).to.contain("(detail.stoppedAt - detail.startedAt) / 60000").and.contain("mf.flow").and.contain("mf.step");
        const job = transformed({ ...BATCH_EVENT, detail: { ...BATCH_EVENT.detail, status: "SUCCEEDED" } });
        expect((job.detail.stoppedAt - job.detail.startedAt) / 60000).to.equal(5);
        // Events the transformer failed on (documented marker field).
        expect(PIPELINE_QUERIES["untransformed-job-events"]).to.contain("ispresent(@transformationError)");
    });

    it("saves the delivery and cost queries, each on the log groups it reads", () => {
        for (const q of Object.keys(DELIVERY_QUERIES)) expect(PIPELINE_QUERIES[q], q).to.equal(DELIVERY_QUERIES[q]);
        expect(QUERY_LOGS["deployments-per-flow-weekly"]).to.deep.equal(["deployments"]);
        for (const q of ["change-failure-rate-per-flow", "delivery-events"]) expect(QUERY_LOGS[q], q).to.deep.equal(["deployments", "executions"]);
        expect(QUERY_LOGS["time-to-restore-per-flow"]).to.deep.equal(["executions"]);
        for (const q of ["cost-per-flow-weekly", "cost-per-engineer-weekly"]) expect(QUERY_LOGS[q], q).to.deep.equal(["jobs"]);
        // Deployments per flow: the ARN of either call, by week.
        expect(DELIVERY_QUERIES["deployments-per-flow-weekly"]).to.contain("coalesce(detail.responseElements.stateMachineArn, detail.requestParameters.stateMachineArn) as flow").and.contain("by bin(1w), flow");
        // The delivery rows: one flow key (the state machine ARN) for runs and both calls; run ends only (RUNNING is no outcome).
        const rows = DELIVERY_QUERIES["delivery-events"];
        expect(rows).to.contain("coalesce(detail.stateMachineArn, detail.responseElements.stateMachineArn, detail.requestParameters.stateMachineArn) as flow");
        expect(rows).to.contain(`detail.status in ${JSON.stringify([...RUN_END_STATES])}`).and.not.contain('"RUNNING"');
        for (const [event, path] of [[SFN_EVENT, "detail.stateMachineArn"], [CREATE_EVENT, "detail.responseElements.stateMachineArn"], [UPDATE_EVENT, "detail.requestParameters.stateMachineArn"]] as const) {
            expect(select(event, `$.${path}`), path).to.equal(SM_ARN);
        }
        expect(DELIVERY_QUERIES["change-failure-rate-per-flow"]).to.contain("stats count(*) as events by bin(1w), flow, kind");
        expect(DELIVERY_QUERIES["time-to-restore-per-flow"]).to.contain("min(ended) as earliest_end_ms, max(ended) as latest_end_ms by bin(1w), flow, kind");
    });

    it("prices nothing itself: the cost queries give vCPU-hours and GPU-hours per flow and per engineer from the job events", () => {
        // A 4-vCPU, 1-GPU job of bob's deployed flow, 30 minutes; the sample's key order, and the other.
        const resources = [{ value: "4", type: "VCPU" }, { value: "16384", type: "MEMORY" }, { value: "1", type: "GPU" }];
        const owner = { "metaflow.user": "SFN", "metaflow.owner": "bob" };
        const gpuJob = { ...BATCH_EVENT, detail: { ...BATCH_EVENT.detail, status: "SUCCEEDED", jobName: "SFN-TrainFlow--train--", startedAt: 1_762_165_000_000, stoppedAt: 1_762_166_800_000, container: { ...BATCH_EVENT.detail.container, resourceRequirements: resources }, parameters: { ...BATCH_EVENT.detail.parameters, ...owner }, tags: { ...BATCH_EVENT.detail.tags, ...owner } } };
        const flipped = { ...gpuJob, detail: { ...gpuJob.detail, container: { ...gpuJob.detail.container, resourceRequirements: resources.map((r) => ({ type: r.type, value: r.value })) } } };
        const perFlow = DELIVERY_QUERIES["cost-per-flow-weekly"];
        const perEngineer = DELIVERY_QUERIES["cost-per-engineer-weekly"];
        expect(parsed(perFlow, gpuJob)).to.deep.equal({ vcpuA: "4", gpuA: "1" });
        expect(parsed(perFlow, flipped)).to.deep.equal({ vcpuB: "4", gpuB: "1" });
        // The sample job (1 vCPU, no GPU): coalesce(gpuA, gpuB, 0) gives 0 GPUs.
        expect(parsed(perFlow, BATCH_EVENT)).to.deep.equal({ vcpuA: "1" });
        expect(perFlow).to.contain("coalesce(vcpuA, vcpuB, detail.container.vcpus) as vcpus, coalesce(gpuA, gpuB, 0) as gpus");
        expect(perFlow).to.contain("(detail.stoppedAt - detail.startedAt) / 3600000 as hours").and.contain("vcpus * hours").and.contain("gpus * hours");
        const job = transformed(gpuJob);
        expect((job.detail.stoppedAt - job.detail.startedAt) / 3600000).to.equal(0.5);
        // Per flow from the job name (every job has one); per engineer: the deployer, else the user tag, else the job name's user.
        expect(perFlow).to.contain("fields mf.flow as flow").and.contain("by bin(1w), flow, gpus");
        expect(job.mf.flow).to.equal("TrainFlow");
        expect(perEngineer).to.contain("coalesce(owner, user, mf.user) as engineer").and.contain("by bin(1w), engineer, gpus");
        expect(parsed(perEngineer, gpuJob)).to.deep.include({ owner: "bob", user: "SFN" });
        // Finished jobs that started only (a job that failed before it started has no startedAt).
        for (const q of [perFlow, perEngineer]) expect(q).to.contain('(detail.status = "SUCCEEDED" or detail.status = "FAILED") and ispresent(detail.startedAt)');
    });

    it("turns Metaflow's job tags on in the profile, and the roles that submit jobs may tag them", async () => {
        const run = await runStack("dev");
        expect((run.outputs.metaflowConfig as Record<string, string>).METAFLOW_BATCH_EMIT_TAGS).to.equal("true");
        const engineer = policyOf(run.one("aws:iam/policy:Policy", "-engineers-policy"));
        expect(engineer.Statement.some((s: any) => [s.Action].flat().includes("batch:TagResource"))).to.equal(true);
    });

    it("refuses arguments that would record other stacks' executions or nothing", async () => {
        const args = { namePrefix: "p", region: "us-east-1", kmsKeyArn: "k", logRetentionDays: 0, stateMachinePrefix: "", jobQueueArns: [], alarmTopicArn: "t" };
        expect(validatePipelineEventsArgs(args).join("\n")).to.contain("stateMachinePrefix").and.contain("jobQueueArns").and.contain("logRetentionDays");
        const err = await runComponent(() => new PipelineEvents("bad", args)).then(
            () => undefined,
            (e: Error) => e,
        );
        expect(err?.message).to.contain("PipelineEvents bad:");
    });
});
