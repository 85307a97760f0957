import { expect } from "chai";

import { anomalyImpactThresholdUsd, connectionsThreshold, emailProblem, MODEL_MONITORING_DEFAULTS, Monitoring, MonitoringArgs, validateMonitoringArgs } from "../../components/monitoring";
import { PlatformKey } from "../../components/platform-key";
import { RecordedResource } from "../../offline/mocks";
import { MOCK_ACCOUNT } from "../../offline/mocks";
import { loadConfig, PROJECT } from "../../stacks/config";
import { FIXTURES, policyOf, runComponent, runStack, StackRun } from "../harness";

const A = MOCK_ACCOUNT;
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const RULE = "aws:cloudwatch/eventRule:EventRule";
const TARGET = "aws:cloudwatch/eventTarget:EventTarget";
const TOPIC = "aws:sns/topic:Topic";
const GiB = 1024 ** 3;

/** The stack's alarms by role (the logical name after `-monitoring-`). */
function alarmsOf(run: StackRun, models = false): Record<string, RecordedResource> {
    return Object.fromEntries(
        run
            .ofType(ALARM)
            .filter((a) => a.inputs.namespace !== "AWS/Events")
            .map((a): [string, RecordedResource] => [a.name.split("-monitoring-")[1], a])
            .filter(([role]) => role.startsWith("model-") === models),
    );
}

/** What each alarm watches, in the real resources of the run. */
function expectedAlarms(run: StackRun, db: { storageGb: number; connections: number }) {
    const lb = run.one("aws:lb/loadBalancer:LoadBalancer", "-metadata-alb").state.arnSuffix;
    const tg = run.one("aws:lb/targetGroup:TargetGroup", "-metadata-tg").state.arnSuffix;
    const cluster = run.one("aws:ecs/cluster:Cluster", "-metadata-cluster").state.name;
    const service = run.one("aws:ecs/service:Service", "-metadata-service").state.name;
    const identifier = run.one("aws:rds/instance:Instance", "-metadata-db").state.identifier;
    const elb = "AWS/ApplicationELB";
    return {
        "service-unhealthy-hosts": [elb, "UnHealthyHostCount", { LoadBalancer: lb, TargetGroup: tg }, "Maximum", "GreaterThanThreshold", 0, "notBreaching"],
        "service-no-healthy-host": [elb, "HealthyHostCount", { LoadBalancer: lb, TargetGroup: tg }, "Minimum", "LessThanThreshold", 1, "breaching"],
        "alb-5xx": [elb, "HTTPCode_ELB_5XX_Count", { LoadBalancer: lb }, "Sum", "GreaterThanThreshold", 10, "notBreaching"],
        "service-5xx": [elb, "HTTPCode_Target_5XX_Count", { LoadBalancer: lb, TargetGroup: tg }, "Sum", "GreaterThanThreshold", 10, "notBreaching"],
        "service-cpu": ["AWS/ECS", "CPUUtilization", { ClusterName: cluster, ServiceName: service }, "Average", "GreaterThanThreshold", 85, "notBreaching"],
        "service-memory": ["AWS/ECS", "MemoryUtilization", { ClusterName: cluster, ServiceName: service }, "Average", "GreaterThanThreshold", 85, "notBreaching"],
        "db-cpu": ["AWS/RDS", "CPUUtilization", { DBInstanceIdentifier: identifier }, "Average", "GreaterThanThreshold", 80, "notBreaching"],
        "db-free-storage": ["AWS/RDS", "FreeStorageSpace", { DBInstanceIdentifier: identifier }, "Minimum", "LessThanThreshold", Math.round(db.storageGb * GiB * 0.1), "notBreaching"],
        "db-connections": ["AWS/RDS", "DatabaseConnections", { DBInstanceIdentifier: identifier }, "Maximum", "GreaterThanThreshold", db.connections, "notBreaching"],
    };
}

function checkAlarms(run: StackRun, topicArn: string, db: { storageGb: number; connections: number }) {
    const alarms = alarmsOf(run);
    const expected = expectedAlarms(run, db);
    expect(Object.keys(alarms)).to.have.members(Object.keys(expected));
    for (const [role, [namespace, metricName, dimensions, statistic, comparisonOperator, threshold, treatMissingData]] of Object.entries(expected)) {
        const a = alarms[role].inputs;
        expect(a, role).to.deep.include({ namespace, metricName, dimensions, statistic, comparisonOperator, threshold, treatMissingData });
        expect(a.actionsEnabled, role).to.equal(true);
        expect(a.alarmActions, role).to.deep.equal([topicArn]);
        expect(a.okActions, role).to.deep.equal([topicArn]);
        expect(a.alarmDescription, role).to.be.a("string").with.length.above(20);
        expect(a.evaluationPeriods, role).to.be.at.least(2);
        expect(a.datapointsToAlarm, role).to.equal(a.evaluationPeriods);
    }
}

function checkEventRules(run: StackRun, topicArn: string, prefix: string) {
    const sfn = run.one(RULE, "-monitoring-sfn-failures");
    expect(JSON.parse(sfn.inputs.eventPattern)).to.deep.equal({
        source: ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        detail: { status: ["FAILED", "TIMED_OUT", "ABORTED"], stateMachineArn: [{ prefix: `arn:aws:states:us-east-1:${A}:stateMachine:${prefix}_` }] },
    });
    const batch = run.one(RULE, "-monitoring-batch-failures");
    const queues = run.ofType("aws:batch/jobQueue:JobQueue").map((q) => q.state.arn);
    expect(queues).to.have.length.above(1);
    const batchPattern = JSON.parse(batch.inputs.eventPattern);
    expect(batchPattern.detail.jobQueue).to.have.members(queues);
    expect({ ...batchPattern, detail: { ...batchPattern.detail, jobQueue: [] } }).to.deep.equal({ source: ["aws.batch"], "detail-type": ["Batch Job State Change"], detail: { status: ["FAILED"], jobQueue: [] } });
    // The rules' names are outside what engineers may manage (`<prefix>_*`).
    for (const r of [sfn, batch]) expect(r.inputs.name).to.not.match(new RegExp(`^${prefix}_`));
    const targets = run.ofType(TARGET).filter((t) => t.name.includes("-monitoring-"));
    expect(targets.map((t) => [t.inputs.rule, t.inputs.arn])).to.have.deep.members([
        [sfn.state.name, topicArn],
        [batch.state.name, topicArn],
    ]);
    for (const t of targets) expect(t.inputs.inputTransformer.inputTemplate).to.match(/^"Metaflow: .*"$/);
    // Undeliverable notifications land in a dead-letter queue, and an alarm on the rule's failed invocations says so.
    const dlqs = run.ofType("aws:sqs/queue:Queue");
    for (const rule of [sfn, batch]) {
        const target = targets.find((x) => x.inputs.rule === rule.state.name)!;
        const queue = dlqs.find((q) => q.state.arn === target.inputs.deadLetterConfig?.arn);
        expect(queue, `${rule.state.name}: dead-letter queue`).to.not.equal(undefined);
        expect(queue!.inputs).to.deep.include({ messageRetentionSeconds: 14 * 24 * 3600, sqsManagedSseEnabled: true });
        const alarm = run.ofType(ALARM).find((a) => a.inputs.namespace === "AWS/Events" && a.inputs.dimensions?.RuleName === rule.state.name);
        expect(alarm?.inputs).to.deep.include({ metricName: "FailedInvocations", alarmActions: [topicArn] });
    }
}

function checkBudget(run: StackRun, topicArn: string, stack: string, usd: number) {
    const budget = run.one("aws:budgets/budget:Budget").inputs;
    expect(budget).to.deep.include({ budgetType: "COST", timeUnit: "MONTHLY", limitAmount: String(usd), limitUnit: "USD" });
    expect(budget.costFilters).to.deep.equal([{ name: "TagKeyValue", values: [`user:stack$${stack}`] }]);
    expect(budget.notifications).to.have.deep.members([
        { notificationType: "FORECASTED", comparisonOperator: "GREATER_THAN", threshold: 80, thresholdType: "PERCENTAGE", subscriberSnsTopicArns: [topicArn] },
        { notificationType: "ACTUAL", comparisonOperator: "GREATER_THAN", threshold: 100, thresholdType: "PERCENTAGE", subscriberSnsTopicArns: [topicArn] },
    ]);
    // The filter only works on the tag the provider writes on every resource.
    const provider = run.one("pulumi:providers:aws");
    expect(JSON.parse(provider.inputs.defaultTags).tags.stack).to.equal(stack);

    // Cost Anomaly Detection on the same tag, straight to the topic, from 5% of the budget (at least $5).
    const monitor = run.one("aws:costexplorer/anomalyMonitor:AnomalyMonitor");
    expect(monitor.inputs.monitorType).to.equal("CUSTOM");
    expect(JSON.parse(monitor.inputs.monitorSpecification as string)).to.deep.equal({ Tags: { Key: "stack", Values: [stack], MatchOptions: ["EQUALS"] } });
    const sub = run.one("aws:costexplorer/anomalySubscription:AnomalySubscription").inputs;
    expect(sub.frequency, "SNS subscribers take IMMEDIATE only").to.equal("IMMEDIATE");
    expect(sub.monitorArnLists).to.deep.equal([monitor.state.arn]);
    expect(sub.subscribers).to.deep.equal([{ type: "SNS", address: topicArn }]);
    expect(sub.thresholdExpression).to.deep.equal({ dimension: { key: "ANOMALY_TOTAL_IMPACT_ABSOLUTE", matchOptions: ["GREATER_THAN_OR_EQUAL"], values: [String(Math.max(5, Math.round(usd * 0.05)))] } });
}

describe("Monitoring", () => {
    let dev: StackRun;
    let prod: StackRun;
    before(async () => {
        // One run at a time: the mock runtime is process-wide. Both runs are shared with the other test files.
        dev = await runStack("dev");
        prod = await runStack("prod");
    });

    describe("dev (no foundation): its own topic", () => {
        it("creates a topic encrypted with the platform key, and exports it", () => {
            const topic = dev.one(TOPIC);
            expect(topic.inputs.kmsMasterKeyId).to.equal(dev.one("aws:kms/key:Key").state.arn);
            expect(topic.parent).to.match(/Monitoring::mf-dev-monitoring$/);
            expect((dev.outputs.monitoring as any).alarmTopicArn).to.equal(topic.state.arn);
        });

        it("lets CloudWatch, Budgets and EventBridge of this account use the key, and only with the switch on", async () => {
            const grant = policyOf(dev.one("aws:kms/key:Key")).Statement.find((s: any) => s.Sid === "AlarmPublishersToEncryptedTopic");
            expect(grant.Principal.Service).to.have.members(["cloudwatch.amazonaws.com", "budgets.amazonaws.com", "events.amazonaws.com", "costalerts.amazonaws.com"]);
            expect(grant.Action).to.have.members(["kms:GenerateDataKey*", "kms:Decrypt"]);
            expect(grant.Condition).to.deep.equal({ StringEquals: { "aws:SourceAccount": A } });
            const off = await runComponent(() => new PlatformKey("kms", { namePrefix: "mf-test", region: "us-east-1" }));
            expect(policyOf(off.one("aws:kms/key:Key")).Statement.map((s: any) => s.Sid)).to.not.include("AlarmPublishersToEncryptedTopic");
        });

        it("lets CloudWatch and Budgets of this account, and only the stack's two rules, publish to the topic", () => {
            const topic = dev.one(TOPIC);
            const policy = dev.one("aws:sns/topicPolicy:TopicPolicy");
            expect(policy.inputs.arn).to.equal(topic.state.arn);
            const st = Object.fromEntries(policyOf(policy).Statement.map((s: any) => [s.Sid, s]));
            expect(st.AlarmsAndBudgetsOfThisAccount).to.deep.include({ Action: "sns:Publish", Resource: topic.state.arn, Condition: { StringEquals: { "aws:SourceAccount": A } } });
            expect(st.AlarmsAndBudgetsOfThisAccount.Principal.Service).to.have.members(["cloudwatch.amazonaws.com", "budgets.amazonaws.com", "costalerts.amazonaws.com"]);
            const rules = dev.ofType(RULE).filter((r) => r.name.includes("-monitoring-")).map((r) => r.state.arn);
            expect(st.PlatformEventRules.Principal).to.deep.equal({ Service: "events.amazonaws.com" });
            expect(st.PlatformEventRules.Condition.ArnEquals["aws:SourceArn"]).to.have.members(rules);
            expect(st.AccountManagesThroughIam.Principal).to.deep.equal({ AWS: `arn:aws:iam::${A}:root` });
            for (const s of Object.values(st) as any[]) {
                expect(s.Principal, s.Sid).to.not.equal("*");
                expect([s.Action].flat(), s.Sid).to.not.include("sns:*");
            }
        });

        it("alarms on the service, its load balancer and its database, notifying the topic", () => {
            checkAlarms(dev, dev.one(TOPIC).state.arn, { storageGb: 20, connections: connectionsThreshold("db.t4g.micro")! });
            expect(connectionsThreshold("db.t4g.micro")).to.equal(89); // 80% of 1 GiB / 9531392 = 112
        });

        it("reports failed executions of the stack's state machines and failed jobs of its queues", () => {
            checkEventRules(dev, dev.one(TOPIC).state.arn, "mf-dev");
        });

        it("budgets the stack's tagged costs at monthlyBudgetUsd, forecast at 80% and actual at 100%", () => {
            checkBudget(dev, dev.one(TOPIC).state.arn, "dev", 300);
        });
    });

    describe("prod (foundation): the foundation's topic", () => {
        const topicArn = FIXTURES["acme/a01-foundation/prod"].alarmTopicArn as string;

        it("creates no topic, topic policy or key grant of its own", () => {
            expect(prod.ofType(TOPIC)).to.have.length(0);
            expect(prod.ofType("aws:sns/topicPolicy:TopicPolicy")).to.have.length(0);
            expect(policyOf(prod.one("aws:kms/key:Key")).Statement.map((s: any) => s.Sid)).to.not.include("AlarmPublishersToEncryptedTopic");
            expect((prod.outputs.monitoring as any).alarmTopicArn).to.equal(topicArn);
        });

        it("alarms on the service, its load balancer and its database, notifying the foundation's topic", () => {
            checkAlarms(prod, topicArn, { storageGb: 50, connections: 360 }); // db.t4g.medium: 80% of 450
        });

        it("reports failures to the foundation's topic", () => {
            checkEventRules(prod, topicArn, "mf-prod");
        });

        it("budgets $3000 on the prod tag", () => {
            checkBudget(prod, topicArn, "prod", 3000);
        });
    });

    describe("the component alone", () => {
        const args: MonitoringArgs = {
            namePrefix: "mf-test",
            region: "us-east-1",
            alarmTopicArn: "arn:aws:sns:us-east-1:123456789012:alarms",
            service: { loadBalancerArnSuffix: "app/lb/1", targetGroupArnSuffix: "targetgroup/tg/1", clusterName: "c", serviceName: "s" },
            stateMachinePrefix: "mf-test",
            jobQueueArns: ["arn:aws:batch:us-east-1:123456789012:job-queue/q"],
        };

        it("leaves the database alarms out without a dedicated database, and the budget without one asked", async () => {
            const run = await runComponent(() => new Monitoring("mon", args));
            expect(run.ofType(ALARM).map((a) => a.inputs.namespace)).to.not.include("AWS/RDS");
            expect(run.ofType(ALARM).filter((a) => a.inputs.namespace !== "AWS/Events")).to.have.length(6);
            expect(run.ofType("aws:budgets/budget:Budget")).to.have.length(0);
            expect(run.ofType("aws:costexplorer/anomalyMonitor:AnomalyMonitor")).to.have.length(0);
        });

        it("reports cost anomalies from 5% of the budget, never under $5", () => {
            expect([40, 100, 300, 3000].map(anomalyImpactThresholdUsd)).to.deep.equal([5, 5, 15, 150]);
        });

        it("leaves the connections alarm out for an instance class whose memory it does not know", async () => {
            const run = await runComponent(() => new Monitoring("mon", { ...args, database: { identifier: "db", allocatedStorageGb: 20, instanceClass: "db.x2g.16xlarge" } }));
            expect(run.ofType(ALARM).map((a) => a.inputs.metricName)).to.include("FreeStorageSpace").and.not.include("DatabaseConnections");
        });

        it("subscribes the alarm e-mail to the topic in use", async () => {
            const run = await runComponent(() => new Monitoring("mon", { ...args, alarmEmail: "ml-platform@example.com" }));
            expect(run.one("aws:sns/topicSubscription:TopicSubscription").inputs).to.deep.include({ topic: args.alarmTopicArn, protocol: "email", endpoint: "ml-platform@example.com" });
        });

        it("rejects a bad e-mail, a missing key for its own topic and an empty state machine prefix", () => {
            for (const bad of ["ml-platform", "a@b", "two@@example.com", "x y@example.com", `${"a".repeat(250)}@example.com`]) expect(emailProblem(bad), bad).to.be.a("string");
            expect(emailProblem("first.last+alerts@ml.example.co.uk")).to.equal(undefined);
            const problems = validateMonitoringArgs({ ...args, alarmTopicArn: undefined, alarmEmail: "nope", stateMachinePrefix: "" });
            expect(problems).to.have.length(3);
            expect(problems.join("\n")).to.contain("kmsKeyArn").and.contain('alarmEmail "nope"').and.contain("stateMachinePrefix");
            expect(() => new Monitoring("mon", { ...args, alarmEmail: "nope" })).to.throw(/Monitoring mon: alarmEmail/);
        });
    });

    describe("configuration", () => {
        const base = { "aws:region": "us-east-1", [`${PROJECT}:environment`]: "dev", [`${PROJECT}:owner`]: "o", [`${PROJECT}:costCenter`]: "c" };

        it("is on by default in every environment, with no e-mail", () => {
            for (const environment of ["dev", "staging", "prod"]) {
                const r = loadConfig({ ...base, [`${PROJECT}:environment`]: environment, [`${PROJECT}:foundationStack`]: "a/b/c" }, { stack: environment });
                expect(r.ok && r.config.monitoring, environment).to.deep.equal({ enabled: true, alarmEmail: undefined, models: MODEL_MONITORING_DEFAULTS });
            }
        });

        it("rejects a malformed alarmEmail, and one given while monitoring is off, naming the key", () => {
            const bad = loadConfig({ ...base, [`${PROJECT}:alarmEmail`]: "ml-platform" }, { stack: "dev" });
            expect(bad.ok).to.equal(false);
            if (!bad.ok) expect(bad.problems).to.deep.equal([{ key: `${PROJECT}:alarmEmail`, given: '"ml-platform"', allowed: "expected an e-mail address such as ml-platform@example.com (at most 254 characters)" }]);
            const off = loadConfig({ ...base, [`${PROJECT}:alarmEmail`]: "a@example.com", [`${PROJECT}:monitoring`]: "false" }, { stack: "dev" });
            expect(off.ok).to.equal(false);
            if (!off.ok) expect(off.problems.map((p) => p.key)).to.deep.equal([`${PROJECT}:alarmEmail`]);
        });

        it("alarms on the templates' drift and accuracy metrics with the configured namespace and thresholds, to the topic", async () => {
            const models = { namespace: "Acme/Churn", psiThreshold: 0.25, ksThreshold: 0.15, minAccuracy: 0.8 };
            const run = await runStack("prod", { set: { modelMonitoring: models } });
            const alarms = alarmsOf(run, true);
            const expected: Record<string, [string, string, string, number]> = {
                "model-drift-psi": ["DriftPSI", "Maximum", "GreaterThanThreshold", 0.25],
                "model-drift-ks": ["DriftKS", "Maximum", "GreaterThanThreshold", 0.15],
                "model-accuracy": ["Accuracy", "Minimum", "LessThanThreshold", 0.8],
            };
            expect(Object.keys(alarms)).to.have.members(Object.keys(expected));
            for (const [role, [metricName, statistic, comparisonOperator, threshold]] of Object.entries(expected)) {
                const a = alarms[role].inputs;
                // Without dimensions: the flow publishes every model's metric once without them, so one alarm covers all models.
                expect(a, role).to.deep.include({ namespace: "Acme/Churn", metricName, statistic, comparisonOperator, threshold, treatMissingData: "notBreaching", actionsEnabled: true });
                expect(a.dimensions, role).to.equal(undefined);
                expect(a.alarmActions, role).to.deep.equal(["arn:aws:sns:us-east-1:123456789012:a01-prod-alarms"]);
            }
            // The flows read the same thresholds from Parameter Store, and tasks may publish to that namespace only.
            const setting = (name: string) => run.one("aws:ssm/parameter:Parameter", `-setting-${name}`).inputs.insecureValue;
            expect([setting("metric-namespace"), setting("drift-psi-threshold"), setting("drift-ks-threshold"), setting("min-accuracy")]).to.deep.equal(["Acme/Churn", "0.25", "0.15", "0.8"]);
            const job = policyOf(run.one("aws:iam/rolePolicy:RolePolicy", "-job-policy")).Statement.find((st: any) => st.Sid === "ModelMetrics");
            expect(job.Condition).to.deep.equal({ StringEquals: { "cloudwatch:namespace": "Acme/Churn" } });
        });

        it("rejects a bad modelMonitoring field, naming the key, the value and what is allowed", () => {
            const cases: Array<[unknown, string, string]> = [
                [{ psiThreshold: 0 }, "modelMonitoring.psiThreshold", "0"],
                [{ ksThreshold: 1.5 }, "modelMonitoring.ksThreshold", "1.5"],
                [{ minAccuracy: "high" }, "modelMonitoring.minAccuracy", '"high"'],
                [{ namespace: "AWS/Models" }, "modelMonitoring.namespace", '"AWS/Models"'],
                [{ treshold: 1 }, "modelMonitoring.treshold", "1"],
                [[0.2], "modelMonitoring", "[0.2]"],
            ];
            for (const [value, key, given] of cases) {
                const r = loadConfig({ ...base, [`${PROJECT}:modelMonitoring`]: JSON.stringify(value) }, { stack: "dev" });
                expect(r.ok, key).to.equal(false);
                if (!r.ok) {
                    expect(r.problems, key).to.have.length(1);
                    expect(r.problems[0], key).to.deep.include({ key: `${PROJECT}:${key}`, given });
                    expect(r.problems[0].allowed, key).to.match(/expected|allowed/);
                }
            }
            const partial = loadConfig({ ...base, [`${PROJECT}:modelMonitoring`]: JSON.stringify({ psiThreshold: 0.3 }) }, { stack: "dev" });
            expect(partial.ok && partial.config.monitoring.models).to.deep.equal({ ...MODEL_MONITORING_DEFAULTS, psiThreshold: 0.3 });
        });

        it("builds nothing of it, and grants the key nothing, when monitoring is off", async () => {
            const run = await runStack("dev", { set: { monitoring: false } });
            expect(run.ofType("metaflow:observability:Monitoring")).to.have.length(0);
            expect(run.ofType(ALARM).length + run.ofType(TOPIC).length + run.ofType("aws:budgets/budget:Budget").length).to.equal(0);
            expect(policyOf(run.one("aws:kms/key:Key")).Statement.map((s: any) => s.Sid)).to.not.include("AlarmPublishersToEncryptedTopic");
            expect(run.outputs).to.not.have.property("monitoring");
        });
    });
});
