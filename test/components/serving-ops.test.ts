/**
 * Served models in operations (issue 19): per model, alarms on its endpoint's 5XX errors and model latency, a "Model
 * serving" panel on the dashboard, and serverless serving in the cost estimate (idle $0, usage in the typical month).
 */
import { expect } from "chai";

import { endpointName, SERVING_VARIANT } from "../../components/serving/rules";
import { SERVING_USAGE, estimateCost } from "../../policies/cost/estimate";
import { PRICES } from "../../policies/cost/prices";
import { defaultSettings, Environment } from "../../policies/lib/settings";
import { fromPlan } from "../../policies/lib/view";
import { runStack, StackRun } from "../harness";

const SERVING = { serving: { models: ["churn"], approverRoleNames: ["ml-model-reviewers"] } };
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup";

const sageMakerAlarms = (run: StackRun) => run.ofType(ALARM).filter((a) => a.inputs.namespace === "AWS/SageMaker");
const topicOf = (run: StackRun) => run.ofType(ALARM).find((a) => a.inputs.namespace === "AWS/ApplicationELB")!.inputs.alarmActions;

describe("Serving in operations", () => {
    it("names endpoints <namePrefix>-<model> with the variant AllTraffic", () => {
        expect(endpointName("mf-dev", "churn")).to.equal("mf-dev-churn");
        expect(SERVING_VARIANT).to.equal("AllTraffic");
    });

    for (const stack of ["dev", "prod"]) {
        it(`${stack}: two alarms per served model on its endpoint, to the alarm topic; none without serving`, async () => {
            const run = await runStack(stack, { set: SERVING });
            const group = run.one(GROUP).inputs.modelPackageGroupName as string;
            const alarms = sageMakerAlarms(run);
            expect(alarms.map((a) => a.inputs.metricName).sort()).to.deep.equal(["Invocation5XXErrors", "ModelLatency"]);
            for (const a of alarms) {
                expect(a.inputs.dimensions, String(a.inputs.metricName)).to.deep.equal({ EndpointName: group, VariantName: "AllTraffic" });
                expect(a.inputs.treatMissingData).to.equal("notBreaching");
                expect(a.inputs.alarmActions).to.deep.equal(topicOf(run));
                expect(a.inputs.okActions).to.deep.equal(topicOf(run));
            }
            const errors = alarms.find((a) => a.inputs.metricName === "Invocation5XXErrors")!.inputs;
            expect([errors.statistic, errors.comparisonOperator, errors.threshold, errors.period]).to.deep.equal(["Sum", "GreaterThanThreshold", 0, 300]);
            const latency = alarms.find((a) => a.inputs.metricName === "ModelLatency")!.inputs;
            expect(latency.extendedStatistic).to.equal("p90");
            expect(latency.statistic).to.equal(undefined);
            expect(latency.threshold, "microseconds: 1 s").to.equal(1_000_000);
            expect(sageMakerAlarms(await runStack(stack))).to.have.length(0);
        });

        it(`${stack}: the dashboard's Model serving panel graphs the endpoint the alarms watch; no panel without serving`, async () => {
            const run = await runStack(stack, { set: SERVING });
            const body = JSON.parse(run.one("aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody as string);
            const panel = body.widgets.find((w: any) => /^Model serving/.test(String(w.properties.title)));
            expect(panel, "Model serving panel").to.not.equal(undefined);
            const watched = sageMakerAlarms(run)[0].inputs.dimensions as Record<string, string>;
            const rows = panel.properties.metrics as any[][];
            expect(rows.map((r) => r[1]).sort()).to.deep.equal(["Invocation4XXErrors", "Invocation5XXErrors", "Invocations", "ModelLatency"]);
            for (const r of rows) expect(r.slice(0, 6), String(r[1])).to.deep.equal(["AWS/SageMaker", r[1], "EndpointName", watched.EndpointName, "VariantName", watched.VariantName]);
            const plain = JSON.parse((await runStack(stack)).one("aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody as string);
            expect(plain.widgets.some((w: any) => /^Model serving/.test(String(w.properties.title)))).to.equal(false);
        });

        it(`${stack}: the estimate's serving is $0 idle, and the typical month adds exactly the priced usage assumption`, async () => {
            const env = stack as Environment;
            const s = defaultSettings(env);
            const withServing = await runStack(stack, { set: SERVING });
            const plain = await runStack(stack);
            const a = estimateCost(fromPlan(withServing.resources, withServing.outputs, stack), s);
            const b = estimateCost(fromPlan(plain.resources, plain.outputs, stack), s);
            const endpointLines = a.items.filter((i) => i.category === "serving" && i.kind === "fixed");
            expect(endpointLines).to.have.length(1);
            expect(endpointLines[0].monthlyUsd).to.equal(0);
            expect(endpointLines[0].basis).to.match(/\$0 while idle/);
            // Idle: only the two new alarms' standard price.
            const alarmsAdded = sageMakerAlarms(withServing).length;
            expect(a.exact.idleMonthlyUsd - b.exact.idleMonthlyUsd).to.be.closeTo(alarmsAdded * PRICES.alarm.usd, 1e-9);
            // Typical: plus the usage assumption, requests x seconds x GB at the GB-second price.
            const u = SERVING_USAGE[env];
            const priced = u.requests * u.seconds * u.memoryGb * PRICES.serverlessInferenceGbSecond.usd;
            expect(priced).to.be.greaterThan(0);
            const usageLine = a.items.find((i) => i.category === "serving" && i.kind === "usage")!;
            expect(usageLine.basis).to.include(String(u.requests));
            expect(usageLine.uncertain).to.equal(true);
            expect(a.exact.monthlyUsd - b.exact.monthlyUsd - (a.exact.idleMonthlyUsd - b.exact.idleMonthlyUsd)).to.be.closeTo(priced, 1e-9);
        });
    }
});
