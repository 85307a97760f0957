import { expect } from "chai";

import { LOG_DELIVERY_ACTIONS, PipelineTrigger, relayDefinition, scheduleProblem, s3PrefixProblem, stateMachineName, triggerInput, triggerName, validateTrigger } from "../../components/sfn";
import { TriggerSpec } from "../../components/sfn";
import { loadConfig } from "../../stacks/config";
import * as fs from "fs";
import * as path from "path";

import { plan } from "../../scripts/plan";
import { fixturePolicyConfig, policyOf, ROOT, runComponent, runStack, stackFixture, StackRun, tempDir } from "../harness";

const ACCOUNT = "123456789012";
const TRIGGERS = [
    { flow: "IngestFlow", s3Prefix: "data/incoming/", parameters: { mode: "full", limit: 10 }, keyParameter: "key" } as TriggerSpec,
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
            // The key goes through the relay, which encodes it before the flow's shell sees it.
            const relay = run.one("aws:sfn/stateMachine:StateMachine", "trigger-ingestflow-s3-relay");
            expect(relay.inputs.type).to.equal("EXPRESS");
            expect(relay.inputs.name).to.equal(`mf-${stack}-trigger-ingestflow-s3`);
            expect(relay.inputs.name.startsWith(`mf-${stack}_`), "outside the flows' <prefix>_*").to.equal(false);
            expect(JSON.parse(relay.inputs.definition).States.StartFlow.Arguments.StateMachineArn).to.equal(machine("IngestFlow"));
            expect(relay.inputs.definition).to.equal(relayDefinition(TRIGGERS[0], machine("IngestFlow")));
            // Failed starts (e.g. the flow is not deployed) are logged, without execution data (no keys in logs).
            const logGroup = run.one("aws:cloudwatch/logGroup:LogGroup", "-sfn-executions");
            expect(relay.inputs.loggingConfiguration).to.deep.equal({ level: "ERROR", includeExecutionData: false, logDestination: `${logGroup.state.arn}:*` });
            const target = run.one("aws:cloudwatch/eventTarget:EventTarget", "trigger-ingestflow-s3-target");
            expect(target.inputs.arn).to.equal(relay.state.arn);
            expect(target.inputs.rule).to.equal(rule.state.name);
            expect(target.inputs).to.not.have.property("inputTransformer");
            const relayRole = run.one("aws:iam/role:Role", "trigger-ingestflow-s3-relay-role");
            expect(JSON.parse(relayRole.inputs.assumeRolePolicy).Statement[0].Principal).to.deep.equal({ Service: "states.amazonaws.com" });
            expect(relay.inputs.roleArn).to.equal(relayRole.state.arn);
            expect(policyOf(run.one("aws:iam/rolePolicy:RolePolicy", "trigger-ingestflow-s3-relay-start")).Statement).to.deep.equal([
                { Sid: "StartThisFlow", Effect: "Allow", Action: "states:StartExecution", Resource: machine("IngestFlow") },
                { Sid: "ExecutionLogDelivery", Effect: "Allow", Action: LOG_DELIVERY_ACTIONS, Resource: "*" },
            ]);
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
                const relay = run.ofType("aws:sfn/stateMachine:StateMachine").find((m) => m.name.endsWith(`trigger-${name}-relay`));
                expect(policyOf(run.one("aws:iam/rolePolicy:RolePolicy", `trigger-${name}-start`)).Statement).to.deep.equal([
                    relay
                        ? { Sid: "StartThisRelay", Effect: "Allow", Action: "states:StartExecution", Resource: relay.state.arn }
                        : { Sid: "StartThisFlow", Effect: "Allow", Action: "states:StartExecution", Resource: machine(flow) },
                ]);
                expect(run.one("aws:cloudwatch/eventTarget:EventTarget", `trigger-${name}-target`).inputs.roleArn).to.equal(role.state.arn);
            }
            expect(run.ofType("aws:lambda/function:Function")).to.have.length(0);
            expect(Object.keys((run.outputs.stepFunctions as any).triggers)).to.have.length(3);
        });

        it("passes the policy packs with every kind of trigger (the relay logs its executions)", async () => {
            const file = path.join(tempDir("triggers-"), `Pulumi.${stack}.yaml`);
            fs.writeFileSync(file, fs.readFileSync(stackFixture(stack), "utf8") + `  metaflow-platform:triggers: ${JSON.stringify(TRIGGERS)}\n`);
            const result = await plan({ config: file, references: path.join(ROOT, "fixtures", "references.json"), json: true, showSecrets: false, policyConfig: fixturePolicyConfig(stack) });
            expect((result.document as any).violations.filter((v: any) => v.enforcementLevel === "mandatory")).to.deep.equal([]);
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
        // metaflow.S3(run=self) writes data/<Flow>/<run id>/ (s3.py:533-555): no trigger may watch its own flow's writes.
        expect(s3PrefixProblem("data/")).to.match(/^covers data\/, where metaflow\.S3\(run=self\) writes every flow's data/);
        expect(s3PrefixProblem("data/IngestFlow/in/", "IngestFlow")).to.match(/^overlaps data\/IngestFlow\/, where IngestFlow writes its own data/);
        expect(s3PrefixProblem("data/Ingest", "IngestFlow")).to.match(/^overlaps data\/IngestFlow\//);
        expect(s3PrefixProblem("data/incoming/", "IngestFlow")).to.equal(undefined);
        expect(s3PrefixProblem("incoming/", "IngestFlow")).to.equal(undefined);
    });

    it("wants exactly one source", () => {
        expect(problems({ flow: "F" })).to.deep.equal(["s3Prefix: give exactly one of s3Prefix, schedule, eventPattern (got none)"]);
        expect(problems({ flow: "F", s3Prefix: "incoming/", schedule: "rate(1 day)" })).to.deep.equal(["schedule: give exactly one of s3Prefix, schedule, eventPattern (got s3Prefix and schedule)"]);
    });

    it("keeps <prefix>_<FlowName> within 80 characters and flow names valid", () => {
        expect(problems({ flow: "F".repeat(73), schedule: "rate(1 day)" })).to.deep.equal([]);
        expect(problems({ flow: "F".repeat(74), schedule: "rate(1 day)" })).to.deep.equal([
            `flow: "mf-dev_${"F".repeat(74)}" exceeds the 80-character state machine limit and step-functions create refuses it: with prefix "mf-dev" a flow name may have at most 73 characters`,
        ]);
        expect(problems({ flow: "1Flow", schedule: "rate(1 day)" })[0]).to.match(/^flow: expected the deployed flow name/);
    });

    it("names state machines as Metaflow's step-functions create does (step_functions_cli.py:282-328)", () => {
        expect(stateMachineName("mf-dev", "IngestFlow")).to.equal("mf-dev_IngestFlow");
        expect(stateMachineName("mf-dev", "ranking.prod.ScoreFlow")).to.equal("mf-dev_ranking.prod.ScoreFlow");
        // Over 60 characters under @project: cut to 60, then "-" and 16 characters of the base32 SHA-1 (computed with Python's hashlib).
        expect(stateMachineName("mf-prod", "recommendations_platform.test.feature_branch_x.TrainRankingModelFlow")).to.equal("mf-prod_recommendations_platform.test.feature_branch_x.Train-2u6swbuiul4rdgra");
        // A name that starts with the prefix is deployed without it.
        expect(stateMachineName("ml", "mlops.prod.TrainFlow")).to.equal("mlops.prod.TrainFlow");
    });

    it("rejects a trigger whose state machine Metaflow would deploy outside <prefix>_*, naming it", () => {
        const found = validateTrigger({ flow: "mlops.prod.TrainFlow", schedule: "rate(1 day)" }, "ml");
        expect(found).to.have.length(1);
        expect(found[0].message).to.match(/^Metaflow deploys this flow as "mlops\.prod\.TrainFlow", without the prefix/);
        // @project names are cut, never refused; plain flow names over 80 characters are refused by Metaflow.
        expect(problems({ flow: `p.prod.${"F".repeat(80)}`, schedule: "rate(1 day)" })).to.deep.equal([]);
        expect(problems({ flow: "ranking.staging.ScoreFlow", schedule: "rate(1 day)" })[0]).to.match(/^flow: expected the deployed flow name/);
    });

    it("relays the key percent-encoded next to the static parameters, whatever their text (JSONata, as Step Functions evaluates it)", async () => {
        const jsonata = require("jsonata");
        const t: TriggerSpec = { flow: "F", s3Prefix: "incoming/", keyParameter: "key", parameters: { note: '100%} "done" \\ %{', n: 2, ok: true } };
        const args = JSON.parse(relayDefinition(t, "arn:aws:states:us-east-1:1:stateMachine:mf-dev_F")).States.StartFlow.Arguments;
        expect(args.StateMachineArn).to.equal("arn:aws:states:us-east-1:1:stateMachine:mf-dev_F");
        const expr = /^\{%([\s\S]*)%\}$/.exec(args.Input.Parameters)![1];
        const parameters = await jsonata(expr).evaluate({}, { states: { input: { detail: { object: { key: "incoming/a b$`c`.csv" } } } } });
        expect(JSON.parse(parameters)).to.deep.equal({ ...t.parameters, key: "incoming%2Fa%20b%24%60c%60.csv" });
    });

    it("refuses static parameters the start step's shell would expand", () => {
        expect(problems({ flow: "F", schedule: "rate(1 day)", parameters: { a: "cost$5", b: "`id`", c: 'quote" and \\ are fine' } })).to.deep.equal([
            'parameters: "a": "cost$5" has $ or a backtick, which the start step\'s shell would expand: Metaflow hands parameters over as export METAFLOW_INIT_<NAME>="<JSON>" lines that it sources (set_batch_environment.py:8-20)',
            'parameters: "b": "`id`" has $ or a backtick, which the start step\'s shell would expand: Metaflow hands parameters over as export METAFLOW_INIT_<NAME>="<JSON>" lines that it sources (set_batch_environment.py:8-20)',
        ]);
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
        // `$or` combines patterns: each alternative is checked as a pattern, and it must be a list of them.
        expect(problems({ flow: "F", eventPattern: { source: ["x"], detail: { $or: [{ a: ["1"] }, { b: { c: "2" } }] } } })).to.deep.equal(['eventPattern: detail.$or[1].b.c: "2" is a bare value; EventBridge matches lists of values at every depth, e.g. ["2"]']);
        expect(problems({ flow: "F", eventPattern: { source: ["x"], $or: ["a"] } })).to.deep.equal(['eventPattern: $or: expected a list of patterns, e.g. [{"a": ["x"]}, {"b": ["y"]}]']);
        expect(problems({ flow: "F", eventPattern: { source: ["x"], $or: [{ a: ["1"] }, { b: [{ prefix: "p" }] }] } })).to.deep.equal([]);
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
        const prefix = `p-${"p".repeat(37)}`;
        expect(problems({ sfnStateMachinePrefix: prefix, triggers: [{ flow: "F".repeat(41), schedule: "rate(1 day)" }] })).to.deep.equal([
            `metaflow-platform:triggers[0].flow: "${prefix}_${"F".repeat(41)}" exceeds the 80-character state machine limit and step-functions create refuses it: with prefix "${prefix}" a flow name may have at most 40 characters`,
        ]);
        expect(problems({ sfnStateMachinePrefix: "p".repeat(40) })[0]).to.match(/^metaflow-platform:sfnStateMachinePrefix: expected 1-39 letters/);
        // Metaflow omits a prefix that a flow or project name starts with: a prefix needs a hyphen, whichever key sets it.
        expect(problems({ sfnStateMachinePrefix: "ml" })[0]).to.match(/^metaflow-platform:sfnStateMachinePrefix: "ml" has no hyphen: Metaflow omits the prefix/);
        expect(problems({ namePrefix: "mlplat" })[0]).to.match(/^metaflow-platform:namePrefix: the default state machine prefix .*"mlplat" has no hyphen/);
    });

    it("needs monitoring on: it alarms when a trigger cannot start its flow", () => {
        expect(problems({ monitoring: "false", triggers: [{ flow: "F", schedule: "rate(1 day)" }] })).to.deep.equal([
            "metaflow-platform:triggers: need metaflow-platform:monitoring on: it alarms when a trigger cannot start its flow (security pack: eventbridge-target-dlq-and-alarm)",
        ]);
        expect(problems({ monitoring: "false" })).to.deep.equal([]);
    });

    it("needs the bucket's EventBridge notifications for S3 triggers, and distinct trigger names", () => {
        expect(problems({ artifactEventBridge: "false", triggers: [{ flow: "F", s3Prefix: "incoming/" }] })).to.deep.equal([
            "metaflow-platform:artifactEventBridge: must be true while a trigger watches an s3Prefix: S3 sends object events to EventBridge only when enabled",
        ]);
        expect(problems({ triggers: [{ flow: "F", schedule: "rate(1 day)" }, { flow: "F", schedule: "rate(2 days)" }] })).to.deep.equal([
            'metaflow-platform:triggers: two triggers have this name; give each a distinct name',
        ]);
    });
});
