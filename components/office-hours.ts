/**
 * Office hours for a stack nobody uses at night (dev, optionally staging): outside the configured hours the metadata
 * service scales to zero tasks and its database stops, with no code to run.
 *
 * - The service: two Application Auto Scaling scheduled actions set the scalable target's minimum and maximum to 0 at
 *   the end of the day and back at the start (autoscaling would otherwise start a task again).
 * - The database: EventBridge Scheduler schedules with universal targets (`arn:aws:scheduler:::aws-sdk:rds:...`) stop
 *   it at the end and start it 30 minutes before the start, so it is up when the first task migrates and connects.
 * - EC2 instances that serve only with the service (the NAT instance and the access instance of a stack without a
 *   foundation): the same kind of schedules stop them at the end and start them with the database, so the NAT
 *   instance forwards before the first task pulls its image.
 * - The alarms on the service and the database would fire every night: the same kind of schedules disable their
 *   actions at the end and enable them 15 minutes after the start, once a task is healthy.
 *
 * RDS starts a stopped instance by itself after seven days; a daily schedule never gets there.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { serviceTrustPolicy } from "./iam";
import { NAME_LIMITS, physicalName } from "./naming";
import { ALARM_GRACE_MINUTES, cronAt, DB_LEAD_MINUTES, OfficeHoursSettings, officeHoursProblems, wakeCommand, weeklyOfficeHours } from "./office-hours-rules";

export * from "./office-hours-rules";

/** Arguments of {@link OfficeHours}. */
export interface OfficeHoursArgs {
    namePrefix: string;
    region: string;
    hours: OfficeHoursSettings;
    /** The metadata service's scalable target, and the task counts of the day. */
    service: { scalableResourceId: pulumi.Input<string>; minTasks: number; maxTasks: number };
    /** The dedicated database's identifier (none: the foundation's database is not ours to stop). */
    databaseIdentifier?: pulumi.Input<string>;
    /** Names of the alarms that would fire while the service and database are down. */
    alarmNames?: pulumi.Input<string[]>;
    /** EC2 instances to stop and start with the service (none: no schedule). */
    instanceIds?: pulumi.Input<string>[];
    /**
     * Waking the stack outside the hours: the service's cluster, name and scalable target, and the roles (engineers',
     * the CI deploy role) that get the policy to run {@link OfficeHours.wakeCommand}.
     */
    wake: { clusterName: pulumi.Input<string>; serviceName: pulumi.Input<string>; scalableTargetArn: pulumi.Input<string>; roleNames: pulumi.Input<string>[] };
}

export function validateOfficeHoursArgs(args: OfficeHoursArgs): string[] {
    const problems = officeHoursProblems(args.hours).map((p) => `hours${p.field ? `.${p.field}` : ""}: ${p.message}`);
    if (!(args.service.minTasks >= 1 && args.service.maxTasks >= args.service.minTasks)) problems.push(`service tasks ${args.service.minTasks}-${args.service.maxTasks}: need at least one task in office hours`);
    return problems;
}

/** Scales the metadata service to zero and stops its database outside office hours. */
export class OfficeHours extends pulumi.ComponentResource {
    /** Names of the EventBridge Scheduler schedules. */
    public readonly scheduleNames: pulumi.Output<string[]>;
    /** Hours a week the service and database run. */
    public readonly weeklyHours: number;
    /** One shell line that wakes the stack outside the hours (components/office-hours-rules.ts `wakeCommands`). */
    public readonly wakeCommand: pulumi.Output<string>;
    /** The policy that allows exactly that command, attached to `wake.roleNames`. */
    public readonly wakePolicyArn: pulumi.Output<string>;

    constructor(name: string, args: OfficeHoursArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:cost:OfficeHours", name, {}, opts);
        const problems = validateOfficeHoursArgs(args);
        if (problems.length) throw new Error(`OfficeHours ${name}: ${problems.join("; ")}`);
        const parent = { parent: this };
        const p = args.namePrefix;
        const h = args.hours;
        const account = aws.getCallerIdentityOutput({}, parent).accountId;

        for (const [role, time, tasks] of [
            ["service-stop", h.end, { minCapacity: 0, maxCapacity: 0 }],
            ["service-start", h.start, { minCapacity: args.service.minTasks, maxCapacity: args.service.maxTasks }],
        ] as const) {
            new aws.appautoscaling.ScheduledAction(
                `${name}-${role}`,
                {
                    name: physicalName(p, role, 256),
                    serviceNamespace: "ecs",
                    scalableDimension: "ecs:service:DesiredCount",
                    resourceId: args.service.scalableResourceId,
                    schedule: cronAt(time, h.days),
                    timezone: h.timezone,
                    scalableTargetAction: tasks,
                },
                parent,
            );
        }

        // Scheduler's universal targets call the AWS API with this role: only these instances and alarms. The input is
        // the API request (botocore: StopDBInstance/StartDBInstance require DBInstanceIdentifier; Disable/EnableAlarmActions
        // take AlarmNames, at most 100).
        const schedules: Array<{ role: string; cron: string; target: string; input: pulumi.Input<object> }> = [];
        const statements: object[] = [];
        if (args.databaseIdentifier !== undefined) {
            const db = args.databaseIdentifier;
            schedules.push(
                { role: "db-stop", cron: cronAt(h.end, h.days), target: "rds:stopDBInstance", input: { DBInstanceIdentifier: db } },
                { role: "db-start", cron: cronAt(h.start, h.days, -DB_LEAD_MINUTES), target: "rds:startDBInstance", input: { DBInstanceIdentifier: db } },
            );
            statements.push({ Sid: "StopAndStartTheDatabase", Effect: "Allow", Action: ["rds:StopDBInstance", "rds:StartDBInstance"], Resource: pulumi.interpolate`arn:aws:rds:${args.region}:${account}:db:${db}` });
        }
        if (args.instanceIds?.length) {
            // EC2's StopInstances/StartInstances take InstanceIds (botocore ec2 model). The root volumes use the account's
            // aws/ebs key, whose AWS-managed key policy admits the account's principals through EC2 (not yet tried on AWS):
            // if a start fails on the volume's key, the role needs kms:CreateGrant on it.
            const ids = args.instanceIds;
            schedules.push(
                { role: "instances-stop", cron: cronAt(h.end, h.days), target: "ec2:stopInstances", input: { InstanceIds: ids } },
                { role: "instances-start", cron: cronAt(h.start, h.days, -DB_LEAD_MINUTES), target: "ec2:startInstances", input: { InstanceIds: ids } },
            );
            statements.push({
                Sid: "StopAndStartTheInstances",
                Effect: "Allow",
                Action: ["ec2:StopInstances", "ec2:StartInstances"],
                Resource: pulumi.all([pulumi.all(ids), account]).apply(([is, acct]) => is.map((i) => `arn:aws:ec2:${args.region}:${acct}:instance/${i}`)),
            });
        }
        if (args.alarmNames !== undefined) {
            const names = args.alarmNames;
            schedules.push(
                { role: "alarms-off", cron: cronAt(h.end, h.days), target: "cloudwatch:disableAlarmActions", input: { AlarmNames: names } },
                { role: "alarms-on", cron: cronAt(h.start, h.days, ALARM_GRACE_MINUTES), target: "cloudwatch:enableAlarmActions", input: { AlarmNames: names } },
            );
            statements.push({
                Sid: "MuteTheServiceAlarmsAtNight",
                Effect: "Allow",
                Action: ["cloudwatch:DisableAlarmActions", "cloudwatch:EnableAlarmActions"],
                Resource: pulumi.all([names, account]).apply(([ns, acct]) => ns.map((n) => `arn:aws:cloudwatch:${args.region}:${acct}:alarm:${n}`)),
            });
        }
        const role = new aws.iam.Role(`${name}-scheduler`, { name: physicalName(p, "office-hours", NAME_LIMITS.iamRole), assumeRolePolicy: serviceTrustPolicy("scheduler.amazonaws.com", account) }, parent);
        if (statements.length) new aws.iam.RolePolicy(`${name}-scheduler`, { role: role.id, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements }) }, parent);

        const scheduleNames = schedules.map((s) => {
            const schedule = new aws.scheduler.Schedule(
                `${name}-${s.role}`,
                {
                    name: physicalName(p, s.role, 64),
                    description: `Office hours of ${p}: ${s.target}`,
                    scheduleExpression: s.cron,
                    scheduleExpressionTimezone: h.timezone,
                    flexibleTimeWindow: { mode: "OFF" },
                    target: { arn: `arn:aws:scheduler:::aws-sdk:${s.target}`, roleArn: role.arn, input: pulumi.jsonStringify(s.input), retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 } },
                },
                parent,
            );
            return schedule.name;
        });

        // Waking early: exactly the calls of the wake command (and of the AWS CLI waiters it runs: DescribeDBInstances,
        // DescribeServices), on this stack's instances, database and service only. Stopping stays the schedules' job.
        const w = args.wake;
        const instances = pulumi.all([pulumi.all(args.instanceIds ?? []), account]).apply(([is, acct]) => is.map((i) => `arn:aws:ec2:${args.region}:${acct}:instance/${i}`));
        const wakeStatements = pulumi.all([instances, account, w.clusterName, w.serviceName, pulumi.output(args.databaseIdentifier), w.scalableTargetArn]).apply(([is, acct, cluster, service, db, target]) => [
            ...(is.length ? [{ Sid: "StartTheInstances", Effect: "Allow", Action: ["ec2:StartInstances"], Resource: is }] : []),
            ...(db !== undefined ? [{ Sid: "StartTheDatabase", Effect: "Allow", Action: ["rds:StartDBInstance", "rds:DescribeDBInstances"], Resource: `arn:aws:rds:${args.region}:${acct}:db:${db}` }] : []),
            { Sid: "RestoreTheServiceRange", Effect: "Allow", Action: ["application-autoscaling:RegisterScalableTarget"], Resource: target },
            { Sid: "WaitForTheService", Effect: "Allow", Action: ["ecs:DescribeServices"], Resource: `arn:aws:ecs:${args.region}:${acct}:service/${cluster}/${service}` },
        ]);
        const wakePolicy = new aws.iam.Policy(
            `${name}-wake`,
            { name: physicalName(p, "wake", NAME_LIMITS.iamRole), description: `Wake ${p} outside its office hours (the officeHours.wakeCommand stack output)`, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: wakeStatements }) },
            parent,
        );
        w.roleNames.forEach((roleName, i) => new aws.iam.RolePolicyAttachment(`${name}-wake-${i}`, { role: roleName, policyArn: wakePolicy.arn }, parent));
        this.wakeCommand = pulumi
            .all([pulumi.all(args.instanceIds ?? []), pulumi.output(args.databaseIdentifier), w.clusterName, w.serviceName])
            .apply(([instanceIds, db, cluster, service]) => wakeCommand({ region: args.region, instanceIds, ...(db !== undefined ? { databaseIdentifier: db } : {}), cluster, service, minTasks: args.service.minTasks, maxTasks: args.service.maxTasks }));
        this.wakePolicyArn = wakePolicy.arn;

        this.scheduleNames = pulumi.all(scheduleNames);
        this.weeklyHours = weeklyOfficeHours(h);
        this.registerOutputs({ scheduleNames: this.scheduleNames, weeklyHours: this.weeklyHours, wakeCommand: this.wakeCommand, wakePolicyArn: this.wakePolicyArn });
    }
}
