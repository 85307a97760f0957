/**
 * Office hours (dev by default): the metadata service's scheduled scaling to zero and back, EventBridge Scheduler
 * stopping and starting the database and pausing the alarms that would fire, their IAM, the configuration's rules,
 * and the idle month the cost estimate prices from the schedules.
 */
import { expect } from "chai";

import { cronAt, daysPerWeek, officeHoursProblems, wakeCommand, wakeCommands, weeklyHoursBetween, weeklyOfficeHours } from "../../components/office-hours-rules";
import { MOCK_ACCOUNT } from "../../offline/mocks";
import { estimateCost } from "../../policies/cost/estimate";
import { defaultSettings } from "../../policies/lib/settings";
import { fromPlan } from "../../policies/lib/view";
import { loadConfig, PROJECT } from "../../stacks/config";
import { policyOf, rejection, runStack } from "../harness";

const HOURS = { start: "07:00", end: "19:00", timezone: "UTC", days: "MON-FRI" };

describe("office hours", () => {
    describe("rules", () => {
        it("accepts dev's hours and refuses what the schedules could not express", () => {
            expect(officeHoursProblems(HOURS)).to.deep.equal([]);
            const fields = (v: unknown) => officeHoursProblems(v).map((p) => p.field);
            expect(fields({ ...HOURS, start: "7:00" })).to.deep.equal(["start"]);
            expect(fields({ ...HOURS, start: "00:10" }), "the database starts 30 minutes earlier, the same day").to.deep.equal(["start"]);
            expect(fields({ ...HOURS, end: "07:30" })).to.deep.equal(["end"]);
            expect(fields({ ...HOURS, timezone: "Mars/Olympus" })).to.deep.equal(["timezone"]);
            expect(fields({ ...HOURS, days: "weekdays" })).to.deep.equal(["days"]);
            expect(officeHoursProblems({ ...HOURS, extra: 1 })[0].message).to.contain("unknown field");
        });

        it("writes the schedules' cron expressions and counts the hours a week", () => {
            expect(cronAt("07:00", "MON-FRI")).to.equal("cron(0 7 ? * MON-FRI *)");
            expect(cronAt("07:00", "MON-FRI", -30)).to.equal("cron(30 6 ? * MON-FRI *)");
            expect(cronAt("07:00", "MON-FRI", 15)).to.equal("cron(15 7 ? * MON-FRI *)");
            expect([daysPerWeek("MON-FRI"), daysPerWeek("MON,WED,FRI"), daysPerWeek("SAT-MON")]).to.deep.equal([5, 3, 3]);
            expect(weeklyOfficeHours(HOURS)).to.equal(60);
            expect(weeklyHoursBetween("cron(30 6 ? * MON-FRI *)", "cron(0 19 ? * MON-FRI *)")).to.equal(62.5);
            expect(weeklyHoursBetween("cron(0 7 ? * MON-FRI *)", "cron(0 19 ? * SAT *)"), "different days: not office hours").to.equal(undefined);
        });
    });

    describe("dev", () => {
        it("scales the metadata service's target to zero at the end and back to its task counts at the start", async () => {
            const run = await runStack("dev");
            const target = run.one("aws:appautoscaling/target:Target", "-metadata-scaling");
            const actions = Object.fromEntries(run.ofType("aws:appautoscaling/scheduledAction:ScheduledAction").map((a) => [a.name.split("-office-hours-")[1], a.inputs]));
            expect(actions["service-stop"]).to.deep.include({ resourceId: target.state.resourceId, serviceNamespace: "ecs", scalableDimension: "ecs:service:DesiredCount", schedule: "cron(0 19 ? * MON-FRI *)", timezone: "UTC", scalableTargetAction: { minCapacity: 0, maxCapacity: 0 } });
            expect(actions["service-start"]).to.deep.include({ resourceId: target.state.resourceId, schedule: "cron(0 7 ? * MON-FRI *)", timezone: "UTC" });
            expect(actions["service-start"].scalableTargetAction).to.deep.equal({ minCapacity: target.inputs.minCapacity, maxCapacity: target.inputs.maxCapacity });
        });

        it("stops and starts the database and pauses the night's alarms through Scheduler's universal targets", async () => {
            const run = await runStack("dev");
            const db = run.one("aws:rds/instance:Instance").state.identifier;
            const schedules = Object.fromEntries(run.ofType("aws:scheduler/schedule:Schedule").map((s) => [s.name.split("-office-hours-")[1], s.inputs]));
            const role = run.one("aws:iam/role:Role", "-office-hours-scheduler");
            const expected: Record<string, [string, string]> = {
                "db-stop": ["cron(0 19 ? * MON-FRI *)", "rds:stopDBInstance"],
                "db-start": ["cron(30 6 ? * MON-FRI *)", "rds:startDBInstance"],
                "alarms-off": ["cron(0 19 ? * MON-FRI *)", "cloudwatch:disableAlarmActions"],
                "alarms-on": ["cron(15 7 ? * MON-FRI *)", "cloudwatch:enableAlarmActions"],
                // The NAT instance forwards before the first task pulls its image: it starts with the database.
                "instances-stop": ["cron(0 19 ? * MON-FRI *)", "ec2:stopInstances"],
                "instances-start": ["cron(30 6 ? * MON-FRI *)", "ec2:startInstances"],
            };
            const nat = run.one("aws:ec2/instance:Instance", "-network-nat");
            expect(Object.keys(schedules)).to.have.members(Object.keys(expected));
            const alarms = run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.name.includes("-monitoring-")).map((a) => a.state.name as string);
            for (const [k, [cron, api]] of Object.entries(expected)) {
                const s = schedules[k];
                expect(s, k).to.deep.include({ scheduleExpression: cron, scheduleExpressionTimezone: "UTC", flexibleTimeWindow: { mode: "OFF" } });
                expect(s.target.arn).to.equal(`arn:aws:scheduler:::aws-sdk:${api}`);
                expect(s.target.roleArn).to.equal(role.state.arn);
                const input = JSON.parse(s.target.input);
                if (api.startsWith("rds:")) expect(input).to.deep.equal({ DBInstanceIdentifier: db });
                else if (api.startsWith("ec2:")) expect(input).to.deep.equal({ InstanceIds: [nat.id] });
                else {
                    expect(input.AlarmNames).to.include.members(["service-no-healthy-host", "service-unhealthy-hosts", "db-cpu"].map((r) => `mf-dev-${r}`));
                    expect(input.AlarmNames.every((n: string) => alarms.includes(n)), "only alarms that exist").to.equal(true);
                    expect(input.AlarmNames.some((n: string) => n.includes("model-") || n.includes("failed-invocations")), "model and delivery alarms stay on").to.equal(false);
                }
            }
            // Scheduler assumes the role for this account only; the role may touch this database and these alarms only.
            const trust = JSON.parse(role.inputs.assumeRolePolicy).Statement[0];
            expect(trust).to.deep.include({ Principal: { Service: "scheduler.amazonaws.com" }, Condition: { StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT } } });
            const st = Object.fromEntries(policyOf(run.one("aws:iam/rolePolicy:RolePolicy", "-office-hours-scheduler")).Statement.map((s: any) => [s.Sid, s]));
            expect(st.StopAndStartTheDatabase).to.deep.include({ Action: ["rds:StopDBInstance", "rds:StartDBInstance"], Resource: `arn:aws:rds:us-east-1:${MOCK_ACCOUNT}:db:${db}` });
            expect(st.StopAndStartTheInstances).to.deep.include({ Action: ["ec2:StopInstances", "ec2:StartInstances"], Resource: [`arn:aws:ec2:us-east-1:${MOCK_ACCOUNT}:instance/${nat.id}`] });
            const muted = JSON.parse(schedules["alarms-off"].target.input).AlarmNames as string[];
            expect(st.MuteTheServiceAlarmsAtNight.Resource).to.deep.equal(muted.map((n) => `arn:aws:cloudwatch:us-east-1:${MOCK_ACCOUNT}:alarm:${n}`));
        });

        it("prices the service and the database for the hours they run", async () => {
            const run = await runStack("dev");
            const all = fromPlan(run.resources);
            const e = estimateCost(all, defaultSettings("dev"));
            const item = (name: string) => e.items.find((i) => i.resource === name)!;
            expect(item("mf-dev-metadata-service").basis).to.contain("x 730 h x 60/168 (office hours)");
            expect(item("mf-dev-metadata-db").basis).to.contain("x 730 h x 62.5/168 (office hours)");
            expect(item("mf-dev-network-nat").basis).to.contain("x 730 h x 62.5/168 (office hours)");
            // Without the schedules: the same resources around the clock.
            const always = estimateCost(all.filter((r) => !r.type.startsWith("aws:scheduler/") && !r.type.startsWith("aws:appautoscaling/scheduledAction")), defaultSettings("dev"));
            const svc = always.items.find((i) => i.resource === "mf-dev-metadata-service")!.monthlyUsd;
            expect(item("mf-dev-metadata-service").monthlyUsd, "rounded to two significant figures").to.be.closeTo((svc * 60) / 168, 0.1);
            expect(e.exact.idleMonthlyUsd).to.be.below(always.exact.idleMonthlyUsd - 15);
        });
    });

    it("staging sleeps at night like dev (its foundation's database is not ours to stop), prod runs around the clock and refuses office hours", async () => {
        const staging = await runStack("staging");
        const names = staging.ofType("aws:scheduler/schedule:Schedule").map((s) => s.name.split("-office-hours-")[1]);
        expect(names).to.have.members(["db-stop", "db-start", "alarms-off", "alarms-on"]);
        expect(staging.outputs.officeHours).to.deep.include({ ...HOURS, weeklyHours: 60 });
        expect((await runStack("prod")).ofType("aws:scheduler/schedule:Schedule")).to.have.length(0);
        const base = { [`${PROJECT}:environment`]: "prod", [`${PROJECT}:owner`]: "o", [`${PROJECT}:costCenter`]: "c", [`${PROJECT}:foundationStack`]: "a/b/c", "aws:region": "us-east-1" };
        const r = loadConfig({ ...base, [`${PROJECT}:officeHours`]: JSON.stringify({ start: "08:00" }) }, { stack: "prod" });
        expect(r.ok).to.equal(false);
        if (!r.ok) expect(r.problems.map((p) => p.key)).to.include(`${PROJECT}:officeHours`);
        const err = await rejection(runStack("dev", { set: { officeHours: { start: "7" } } }));
        expect(err.message).to.contain("officeHours.start");
        const off = await runStack("staging", { set: { officeHours: false } });
        expect(off.ofType("aws:scheduler/schedule:Schedule")).to.have.length(0);
        expect(off.outputs.officeHours).to.equal(undefined);
    });

    describe("waking a stack early", () => {
        const targets = { region: "us-east-1", instanceIds: ["i-0abc"], databaseIdentifier: "mf-dev-db", cluster: "c", service: "s", minTasks: 1, maxTasks: 2 };

        it("is one shell line: start the instances and the database, wait for it, restore the task range, wait for the service", () => {
            expect(wakeCommands(targets)).to.deep.equal([
                "aws ec2 start-instances --instance-ids i-0abc --region us-east-1 --output text",
                "aws rds start-db-instance --db-instance-identifier mf-dev-db --region us-east-1 --output text",
                "aws rds wait db-instance-available --db-instance-identifier mf-dev-db --region us-east-1",
                "aws application-autoscaling register-scalable-target --service-namespace ecs --scalable-dimension ecs:service:DesiredCount --resource-id service/c/s --min-capacity 1 --max-capacity 2 --region us-east-1",
                "aws ecs wait services-stable --cluster c --services s --region us-east-1",
            ]);
            // A database that already runs refuses StartDBInstance (InvalidDBInstanceState): the rest still runs.
            expect(wakeCommand(targets)).to.match(/--output text ; aws rds wait db-instance-available .* && aws application-autoscaling register-scalable-target .* && aws ecs wait services-stable/);
            const shared = wakeCommands({ ...targets, instanceIds: [], databaseIdentifier: undefined });
            expect(shared.map((l) => l.split(" ").slice(1, 3).join(" "))).to.deep.equal(["application-autoscaling register-scalable-target", "ecs wait"]);
        });

        it("names the stack's own resources, and engineers and the CI deploy role may run exactly it", async () => {
            const run = await runStack("staging", { set: { engineerRoleNames: ["ml-engineer"] } });
            const svc = run.one("aws:ecs/service:Service", "-metadata-service");
            const cluster = run.one("aws:ecs/cluster:Cluster").state.name;
            const target = run.one("aws:appautoscaling/target:Target", "-metadata-scaling");
            const db = run.one("aws:rds/instance:Instance").state.identifier;
            const command = (run.outputs.officeHours as any).wakeCommand as string;
            expect(command).to.contain(`--db-instance-identifier ${db} `).and.contain(`--resource-id service/${cluster}/${svc.state.name} --min-capacity 1 --max-capacity 3`).and.not.contain("start-instances");
            const policy = run.one("aws:iam/policy:Policy", "-office-hours-wake");
            const st = Object.fromEntries(policyOf(policy).Statement.map((s: any) => [s.Sid, [s.Action, s.Resource]]));
            expect(st).to.deep.equal({
                StartTheDatabase: [["rds:StartDBInstance", "rds:DescribeDBInstances"], `arn:aws:rds:us-east-1:${MOCK_ACCOUNT}:db:${db}`],
                RestoreTheServiceRange: [["application-autoscaling:RegisterScalableTarget"], target.state.arn],
                WaitForTheService: [["ecs:DescribeServices"], `arn:aws:ecs:us-east-1:${MOCK_ACCOUNT}:service/${cluster}/${svc.state.name}`],
            });
            const deployRole = run.one("aws:iam/role:Role", "-flow-deploy-role");
            const attached = run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.policyArn === policy.state.arn).map((a) => a.inputs.role);
            expect(attached).to.have.members(["ml-engineer", deployRole.state.name]);
            expect((run.outputs.officeHours as any).wakePolicyArn).to.equal(policy.state.arn);
        });

        it("in dev also starts the NAT instance, which the policy may start but not stop", async () => {
            const run = await runStack("dev");
            const nat = run.one("aws:ec2/instance:Instance", "-network-nat");
            expect((run.outputs.officeHours as any).wakeCommand).to.match(new RegExp(`^aws ec2 start-instances --instance-ids ${nat.id} `));
            const st = policyOf(run.one("aws:iam/policy:Policy", "-office-hours-wake")).Statement.find((s: any) => s.Sid === "StartTheInstances");
            expect(st).to.deep.include({ Action: ["ec2:StartInstances"], Resource: [`arn:aws:ec2:us-east-1:${MOCK_ACCOUNT}:instance/${nat.id}`] });
        });
    });
});
