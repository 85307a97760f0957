/**
 * The pipeline event log: EventBridge rules of this stack's state machines and queues into an encrypted log group,
 * the metric filters, Contributor Insights rules and saved queries over it. Sample events follow the documented
 * shapes (Step Functions "Execution Status Change", Batch "Job State Change" with the tags Metaflow 2.19.38 sets).
 */
import { expect } from "chai";

import { PipelineEvents, validatePipelineEventsArgs } from "../../components/monitoring/pipeline-events";
import { contributorRules, JOB_STATES, PIPELINE_METRIC_FILTERS, PIPELINE_QUERIES, pipelineNamespace, RUN_END_STATES } from "../../components/monitoring/pipeline-events-rules";
import { MOCK_ACCOUNT } from "../../offline/mocks";
import { policyOf, runComponent, runStack, StackRun } from "../harness";

const PREFIX = "mf-dev";

/** A Step Functions execution status change of a deployed flow. */
const SFN_EVENT = {
    version: "0",
    source: "aws.states",
    "detail-type": "Step Functions Execution Status Change",
    detail: {
        executionArn: `arn:aws:states:us-east-1:${MOCK_ACCOUNT}:execution:mfdev_TrainFlow:abc`,
        stateMachineArn: `arn:aws:states:us-east-1:${MOCK_ACCOUNT}:stateMachine:mfdev_TrainFlow`,
        name: "abc",
        status: "SUCCEEDED",
        startDate: 1_700_000_000_000,
        stopDate: 1_700_000_600_000,
    },
};
/** A Batch job state change of a `run --with batch` job, tagged as Metaflow tags it with METAFLOW_BATCH_EMIT_TAGS. */
const BATCH_EVENT = {
    version: "0",
    source: "aws.batch",
    "detail-type": "Batch Job State Change",
    detail: {
        jobName: "alice-TrainFlow-12-train-3-0",
        jobQueue: "arn:aws:batch:us-east-1:1:job-queue/mf-dev-cpu",
        status: "FAILED",
        statusReason: "Essential container in task exited",
        tags: { app: "metaflow", "metaflow.flow_name": "TrainFlow", "metaflow.run_id": "12", "metaflow.step_name": "train", "metaflow.user": "alice", "metaflow.version": "2.19.38" },
    },
};

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
    return { rules, targets, log: run.one("aws:cloudwatch/logGroup:LogGroup", "-pipeline-events-log") };
}

describe("PipelineEvents", () => {
    it("records this stack's state machines and queues, and only them, into its encrypted log group", async () => {
        const run = await runStack("dev");
        const { rules, targets, log } = events(run);
        expect(log.inputs.name).to.equal(`/aws/events/${PREFIX}-pipelines`);
        expect(log.inputs.kmsKeyId).to.equal(run.one("aws:kms/key:Key").state.arn);
        expect(log.inputs.retentionInDays).to.equal(run.one("aws:cloudwatch/logGroup:LogGroup", "-sfn-executions").inputs.retentionInDays);

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

        expect(targets).to.have.length(2);
        for (const t of targets) {
            expect(t.inputs.arn).to.equal(log.state.arn);
            expect(t.inputs.roleArn, "CloudWatch Logs targets must not name a role").to.equal(undefined);
            expect((t.inputs.deadLetterConfig as { arn: string }).arn).to.be.a("string");
        }
        // EventBridge may write to this log group only.
        const policy = policyOf(run.one("aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "-pipeline-events-delivery"), "policyDocument");
        expect(policy.Statement).to.have.length(1);
        expect(policy.Statement[0]).to.deep.include({ Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${log.state.arn}:*` });
        expect(policy.Statement[0].Principal.Service).to.include("events.amazonaws.com");
    });

    it("counts runs per flow and jobs per queue with metric filters whose dimensions the events carry", async () => {
        const run = await runStack("dev");
        const filters = run.ofType("aws:cloudwatch/logMetricFilter:LogMetricFilter");
        expect(filters.map((f) => f.name.split("-pipeline-events-")[1])).to.have.members(PIPELINE_METRIC_FILTERS.map((f) => f.role));
        const samples: Record<string, object> = { "aws.states": SFN_EVENT, "aws.batch": BATCH_EVENT };
        for (const f of filters) {
            expect(f.inputs.logGroupName).to.equal(`/aws/events/${PREFIX}-pipelines`);
            const t = f.inputs.metricTransformation as { namespace: string; name: string; value: string; dimensions: Record<string, string> };
            expect(t.namespace).to.equal(pipelineNamespace(PREFIX));
            expect(t.value).to.equal("1");
            const source = /\$\.source = "([^"]+)"/.exec(f.inputs.pattern as string)![1];
            expect(Object.keys(samples), f.name).to.include(source);
            expect(Object.keys(t.dimensions).length, "metric filters take at most 3 dimensions").to.be.within(1, 3);
            for (const [dim, selector] of Object.entries(t.dimensions)) expect(select(samples[source], selector), `${f.name} ${dim}`).to.be.a("string").and.not.be.empty;
        }
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

    it("saves the weekly adoption queries on the log group; per-engineer figures read Metaflow's tags from the raw event", async () => {
        const run = await runStack("dev");
        const queries = run.ofType("aws:cloudwatch/queryDefinition:QueryDefinition");
        expect(queries.map((q) => q.inputs.name)).to.have.members(Object.keys(PIPELINE_QUERIES).map((q) => `${PREFIX}/${q}`));
        for (const q of queries) expect(q.inputs.logGroupNames).to.deep.equal([`/aws/events/${PREFIX}-pipelines`]);
        expect((run.outputs.monitoring as { pipelineQueries: string[] }).pipelineQueries).to.have.length(queries.length);

        expect(parsed(PIPELINE_QUERIES["active-engineers-weekly"], BATCH_EVENT)).to.deep.equal({ user: "alice" });
        // A deployed flow's jobs carry user SFN and the deployer as owner: coalesce(owner, user) counts the deployer.
        const deployed = { ...BATCH_EVENT, detail: { ...BATCH_EVENT.detail, tags: { ...BATCH_EVENT.detail.tags, "metaflow.user": "SFN", "metaflow.owner": "bob" } } };
        expect(parsed(PIPELINE_QUERIES["jobs-per-engineer-and-flow-weekly"], deployed)).to.deep.equal({ user: "SFN", owner: "bob", flow: "TrainFlow" });
        expect(PIPELINE_QUERIES["jobs-per-engineer-and-flow-weekly"]).to.contain("coalesce(owner, user)");
        expect(parsed(PIPELINE_QUERIES["failing-steps"], BATCH_EVENT)).to.deep.equal({ flow: "TrainFlow", step: "train" });
        // Durations come from the execution's own start and stop dates.
        expect(PIPELINE_QUERIES["run-duration-per-flow"]).to.contain("(detail.stopDate - detail.startDate) / 60000");
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
