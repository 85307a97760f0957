import { expect } from "chai";

import { PipelineTrigger, scheduleProblem, s3PrefixProblem, triggerInput, triggerName, validateTrigger } from "../../components/sfn";
import { loadConfig } from "../../stacks/config";
import { policyOf, runComponent, runStack, StackRun } from "../harness";

const ACCOUNT = "123456789012";
const TRIGGERS = [
    { flow: "IngestFlow", s3Prefix: "data/incoming/", parameters: { mode: "full", limit: 10 }, keyParameter: "key" },
    { flow: "NightlyTrainFlow", schedule: "cron(0 3 * * ? *)", parameters: { epochs: 5 } },
    { name: "on-feature-store", flow: "ScoreFlow", eventPattern: { source: ["acme.features"], "detail-type": ["Table Refreshed"] } },
];

for (const stack of ["dev", "prod"]) {
    describe(`pipeline triggers (${stack})`, () => {
        let run: StackRun;
        let bucket: string;
        before(async () => {
            run = await runStack(stack, { set: { triggers: TRIGGERS } });
            bucket = run.outputs.artifactBucket as string;
        });

        const machine = (flow: string) => `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:mf-${stack}_${flow}`;

        it("starts a flow on new objects under a prefix of the datastore bucket", () => {
            const rule = run.one("aws:cloudwatch/eventRule:EventRule", "trigger-ingestflow-s3-rule");
            expect(JSON.parse(rule.inputs.eventPattern)).to.deep.equal({
                source: ["aws.s3"],
                "detail-type": ["Object Created"],
                detail: { bucket: { name: [bucket] }, object: { key: [{ prefix: "data/incoming/" }] } },
            });
            expect(rule.inputs).to.not.have.property("scheduleExpression");
            const target = run.one("aws:cloudwatch/eventTarget:EventTarget", "trigger-ingestflow-s3-target");
            expect(target.inputs.arn).to.equal(machine("IngestFlow"));
            expect(target.inputs.rule).to.equal(rule.state.name);
            expect(target.inputs.inputTransformer.inputPaths).to.deep.equal({ objectKey: "$.detail.object.key" });
            const template = target.inputs.inputTransformer.inputTemplate as string;
            expect(template).to.equal('{"Parameters":"{\\"mode\\":\\"full\\",\\"limit\\":10,\\"key\\":\\"<objectKey>\\"}"}');
            // What Step Functions receives once EventBridge substitutes the key: Metaflow's {"Parameters": "<JSON>"}.
            const received = JSON.parse(template.replace("<objectKey>", "data/incoming/2026-11-26.csv"));
            expect(JSON.parse(received.Parameters)).to.deep.equal({ mode: "full", limit: 10, key: "data/incoming/2026-11-26.csv" });
            // The datastore bucket sends its events to EventBridge.
            expect(run.ofType("aws:s3/bucketNotification:BucketNotification")[0].inputs.eventbridge).to.equal(true);
        });

        it("starts a flow on a schedule with static parameters", () => {
            const rule = run.one("aws:cloudwatch/eventRule:EventRule", "trigger-nightlytrainflow-schedule-rule");
            expect(rule.inputs.scheduleExpression).to.equal("cron(0 3 * * ? *)");
            expect(rule.inputs).to.not.have.property("eventPattern");
            const target = run.one("aws:cloudwatch/eventTarget:EventTarget", "trigger-nightlytrainflow-schedule-target");
            expect(target.inputs.arn).to.equal(machine("NightlyTrainFlow"));
            expect(target.inputs.inputTransformer).to.not.have.property("inputPaths");
            expect(JSON.parse(JSON.parse(target.inputs.inputTransformer.inputTemplate).Parameters)).to.deep.equal({ epochs: 5 });
        });

        it("starts a flow on a given event pattern", () => {
            const rule = run.one("aws:cloudwatch/eventRule:EventRule", "trigger-on-feature-store-rule");
            expect(JSON.parse(rule.inputs.eventPattern)).to.deep.equal(TRIGGERS[2].eventPattern);
            const target = run.one("aws:cloudwatch/eventTarget:EventTarget", "trigger-on-feature-store-target");
            expect(JSON.parse(target.inputs.inputTransformer.inputTemplate)).to.deep.equal({ Parameters: "{}" });
        });

        it("gives each trigger a role that EventBridge assumes for that rule only and that starts only its flow", () => {
            for (const [name, flow] of [["ingestflow-s3", "IngestFlow"], ["nightlytrainflow-schedule", "NightlyTrainFlow"], ["on-feature-store", "ScoreFlow"]]) {
                const role = run.one("aws:iam/role:Role", `trigger-${name}-role`);
                const rule = run.one("aws:cloudwatch/eventRule:EventRule", `trigger-${name}-rule`);
                expect(JSON.parse(role.inputs.assumeRolePolicy).Statement).to.deep.equal([
                    {
                        Effect: "Allow",
                        Principal: { Service: "events.amazonaws.com" },
                        Action: "sts:AssumeRole",
                        Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnEquals: { "aws:SourceArn": rule.state.arn } },
                    },
                ]);
                expect(policyOf(run.one("aws:iam/rolePolicy:RolePolicy", `trigger-${name}-start`)).Statement).to.deep.equal([
                    { Sid: "StartThisFlow", Effect: "Allow", Action: "states:StartExecution", Resource: machine(flow) },
                ]);
                expect(run.one("aws:cloudwatch/eventTarget:EventTarget", `trigger-${name}-target`).inputs.roleArn).to.equal(role.state.arn);
            }
            expect(run.ofType("aws:lambda/function:Function")).to.have.length(0);
            expect(Object.keys((run.outputs.stepFunctions as any).triggers)).to.have.length(3);
        });

        it("keeps what EventBridge cannot deliver in a dead-letter queue only that rule may write to, and alarms on the rule's failed invocations", () => {
            for (const name of ["ingestflow-s3", "nightlytrainflow-schedule", "on-feature-store"]) {
                const rule = run.one("aws:cloudwatch/eventRule:EventRule", `trigger-${name}-rule`);
                const target = run.one("aws:cloudwatch/eventTarget:EventTarget", `trigger-${name}-target`);
                const queue = run.one("aws:sqs/queue:Queue", `trigger-${name}-dlq`);
                expect(target.inputs.deadLetterConfig).to.deep.equal({ arn: queue.state.arn });
                expect(queue.inputs).to.deep.include({ sqsManagedSseEnabled: true, messageRetentionSeconds: 1209600 });
                expect(queue.inputs.name.length).to.be.at.most(80);
                const [statement] = policyOf(run.one("aws:sqs/queuePolicy:QueuePolicy", `trigger-${name}-dlq-policy`)).Statement;
                expect(statement).to.deep.include({ Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Resource: queue.state.arn });
                expect(statement.Condition).to.deep.equal({ StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnEquals: { "aws:SourceArn": rule.state.arn } });
                const alarms = run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.inputs.namespace === "AWS/Events" && a.inputs.dimensions?.RuleName === rule.state.name);
                expect(alarms, name).to.have.length(1);
                expect(alarms[0].inputs).to.deep.include({ metricName: "FailedInvocations", statistic: "Sum", threshold: 0, comparisonOperator: "GreaterThanThreshold", actionsEnabled: true });
                expect(alarms[0].inputs.alarmActions).to.have.length(1);
            }
        });
    });
}

describe("trigger rules", () => {
    const problems = (t: any, prefix = "mf-dev") => validateTrigger(t, prefix).map((p) => `${p.field}: ${p.message}`);

    it("accepts EventBridge schedules and explains the wrong ones", () => {
        for (const ok of ["rate(1 day)", "rate(5 minutes)", "cron(0 6 * * ? *)", "cron(15 10 ? * MON-FRI *)"]) expect(scheduleProblem(ok), ok).to.equal(undefined);
        expect(scheduleProblem("rate(1 days)")).to.match(/singular/);
        expect(scheduleProblem("rate(2 hour)")).to.match(/plural/);
        expect(scheduleProblem("cron(0 6 * * *)")).to.match(/6 fields.*got 5/);
        expect(scheduleProblem("cron(0 6 * * MON *)")).to.match(/exactly one of day-of-month/);
        expect(scheduleProblem("0 6 * * *")).to.match(/expected rate\(/);
    });

    it("keeps S3 prefixes inside the bucket and away from Metaflow's own artifacts", () => {
        expect(s3PrefixProblem("data/incoming/")).to.equal(undefined);
        expect(s3PrefixProblem("s3://bucket/data/")).to.match(/not an s3:\/\/ URL/);
        expect(s3PrefixProblem("metaflow/IngestFlow/")).to.match(/overlaps metaflow\//);
        expect(s3PrefixProblem("meta")).to.match(/overlaps metaflow\//);
        expect(s3PrefixProblem("")).to.match(/must not be empty/);
        expect(s3PrefixProblem("/data")).to.match(/do not start with \//);
    });

    it("wants exactly one source", () => {
        expect(problems({ flow: "F" })).to.deep.equal(["s3Prefix: give exactly one of s3Prefix, schedule, eventPattern (got none)"]);
        expect(problems({ flow: "F", s3Prefix: "data/", schedule: "rate(1 day)" })).to.deep.equal(["schedule: give exactly one of s3Prefix, schedule, eventPattern (got s3Prefix and schedule)"]);
    });

    it("keeps <prefix>_<FlowName> within 80 characters and flow names valid", () => {
        expect(problems({ flow: "F".repeat(73), schedule: "rate(1 day)" })).to.deep.equal([]);
        expect(problems({ flow: "F".repeat(74), schedule: "rate(1 day)" })).to.deep.equal([
            `flow: "mf-dev_${"F".repeat(74)}" exceeds the 80-character state machine limit: with prefix "mf-dev" a flow name may have at most 73 characters`,
        ]);
        expect(problems({ flow: "1Flow", schedule: "rate(1 day)" })[0]).to.match(/^flow: expected the deployed flow name/);
    });

    it("checks parameters and the key parameter", () => {
        expect(problems({ flow: "F", schedule: "rate(1 day)", keyParameter: "k" })).to.deep.equal(["keyParameter: only s3Prefix triggers have an object key to pass"]);
        expect(problems({ flow: "F", s3Prefix: "d/", parameters: { k: 1 }, keyParameter: "k" })).to.deep.equal(['keyParameter: "k" is also a static parameter; choose one']);
        expect(problems({ flow: "F", schedule: "rate(1 day)", parameters: { "bad name": 1, list: [1] } })).to.deep.equal([
            'parameters: "bad name" is not a Metaflow parameter name',
            'parameters: "list" must be a string, number or boolean (JSON parameters: give them as a JSON string)',
        ]);
        expect(problems({ flow: "F", schedule: "rate(1 day)", parameters: { blob: "x".repeat(9000) } })).to.deep.equal(["parameters: the parameters are too large for an EventBridge input template (8 KiB)"]);
        expect(problems({ flow: "F", eventPattern: { source: "x" } })).to.deep.equal(['eventPattern: source: "x" is a bare value; EventBridge matches lists of values at every depth, e.g. ["x"]']);
        // EventBridge rejects a bare value at any depth, not only at the top level.
        expect(problems({ flow: "F", eventPattern: { source: ["x"], detail: { object: { key: "k" } } } })).to.deep.equal(['eventPattern: detail.object.key: "k" is a bare value; EventBridge matches lists of values at every depth, e.g. ["k"]']);
        expect(problems({ flow: "F", eventPattern: { source: ["x"], detail: {} } })).to.deep.equal(["eventPattern: detail: an empty object matches nothing EventBridge accepts"]);
    });

    it("names triggers after their flow and source", () => {
        expect(triggerName({ flow: "My_Flow", s3Prefix: "d/" })).to.equal("my-flow-s3");
        expect(triggerName({ name: "custom", flow: "F", schedule: "rate(1 day)" })).to.equal("custom");
        expect(triggerInput({ flow: "F", schedule: "rate(1 day)" }).template).to.equal('{"Parameters":"{}"}');
    });

    it("refuses an invalid trigger in the component too", () => {
        expect(() => new PipelineTrigger("t", { namePrefix: "t", region: "us-east-1", stateMachinePrefix: "t", trigger: { flow: "F", schedule: "daily" }, bucketName: "b" })).to.throw(/PipelineTrigger t: trigger\.schedule: expected rate\(/);
    });

    it("builds a standalone trigger under mocks", async () => {
        const run = await runComponent(() => new PipelineTrigger("t", { namePrefix: "t", region: "us-east-1", stateMachinePrefix: "team", trigger: { flow: "F", schedule: "rate(1 hour)" }, bucketName: "b" }));
        expect(run.one("aws:cloudwatch/eventTarget:EventTarget").inputs.arn).to.equal(`arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:team_F`);
    });
});

describe("triggers configuration", () => {
    const base = { "aws:region": "us-east-1", "metaflow-platform:environment": "dev", "metaflow-platform:owner": "o", "metaflow-platform:costCenter": "c" };
    const problems = (extra: Record<string, unknown>) => {
        const raw: Record<string, string> = { ...base };
        for (const [k, v] of Object.entries(extra)) raw[`metaflow-platform:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
        const r = loadConfig(raw, { stack: "dev" });
        return r.ok ? [] : r.problems.map((p) => `${p.key}: ${p.allowed}`);
    };

    it("reports each trigger's problems under its index and field", () => {
        expect(problems({ triggers: [{ flow: "F", schedule: "rate(1 day)" }, { flow: "G", s3Prefix: "metaflow/G/" }, { flow: "H", schedule: "every day", colour: "red" }] })).to.deep.equal([
            "metaflow-platform:triggers[2].colour: unknown trigger field; known: name, flow, s3Prefix, schedule, eventPattern, parameters, keyParameter",
        ]);
        expect(problems({ triggers: [{ flow: "F", schedule: "rate(1 day)" }, { flow: "G", s3Prefix: "metaflow/G/" }] })).to.deep.equal([
            "metaflow-platform:triggers[1].s3Prefix: overlaps metaflow/, where Metaflow writes artifacts: every run would start another",
        ]);
        expect(problems({ triggers: { flow: "F" } })[0]).to.match(/^metaflow-platform:triggers: expected a list of trigger objects/);
    });

    it("measures flow names against the configured state machine prefix", () => {
        const prefix = "p".repeat(39);
        expect(problems({ sfnStateMachinePrefix: prefix, triggers: [{ flow: "F".repeat(41), schedule: "rate(1 day)" }] })).to.deep.equal([
            `metaflow-platform:triggers[0].flow: "${prefix}_${"F".repeat(41)}" exceeds the 80-character state machine limit: with prefix "${prefix}" a flow name may have at most 40 characters`,
        ]);
        expect(problems({ sfnStateMachinePrefix: "p".repeat(40) })[0]).to.match(/^metaflow-platform:sfnStateMachinePrefix: expected 1-39 letters/);
    });

    it("needs monitoring on: it alarms when a trigger cannot start its flow", () => {
        expect(problems({ monitoring: "false", triggers: [{ flow: "F", schedule: "rate(1 day)" }] })).to.deep.equal([
            "metaflow-platform:triggers: need metaflow-platform:monitoring on: it alarms when a trigger cannot start its flow (security pack: eventbridge-target-dlq-and-alarm)",
        ]);
        expect(problems({ monitoring: "false" })).to.deep.equal([]);
    });

    it("needs the bucket's EventBridge notifications for S3 triggers, and distinct trigger names", () => {
        expect(problems({ artifactEventBridge: "false", triggers: [{ flow: "F", s3Prefix: "data/" }] })).to.deep.equal([
            "metaflow-platform:artifactEventBridge: must be true while a trigger watches an s3Prefix: S3 sends object events to EventBridge only when enabled",
        ]);
        expect(problems({ triggers: [{ flow: "F", schedule: "rate(1 day)" }, { flow: "F", schedule: "rate(2 days)" }] })).to.deep.equal([
            'metaflow-platform:triggers: two triggers have this name; give each a distinct name',
        ]);
    });
});
