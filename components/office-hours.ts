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

import { serviceRole } from "./iam";
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

/** What every step of the office hours shares: its name and arguments, the parent and the account. */
interface OfficeHoursContext {
    name: string;
    args: OfficeHoursArgs;
    parent: { parent: pulumi.Resource };
    account: pulumi.Output<string>;
}

/** EventBridge Scheduler schedules calling one AWS API each, and the statements that let the scheduler's role make those calls. */
interface ScheduledCalls {
    schedules: Array<{ role: string; cron: string; target: string; input: pulumi.Input<object> }>;
    statements: object[];
}

/** Two scheduled actions on the service's scalable target: no task at the end of the day, the day's range at the start. */
function scaleServiceOnSchedule(ctx: OfficeHoursContext): void {
    const { args } = ctx;
    const h = args.hours;
    for (const [role, time, tasks] of [
        ["service-stop", h.end, { minCapacity: 0, maxCapacity: 0 }],
        ["service-start", h.start, { minCapacity: args.service.minTasks, maxCapacity: args.service.maxTasks }],
    ] as const) {
        new aws.appautoscaling.ScheduledAction(
            `${ctx.name}-${role}`,
            {
                name: physicalName(args.namePrefix, role, 256),
                serviceNamespace: "ecs",
                scalableDimension: "ecs:service:DesiredCount",
                resourceId: args.service.scalableResourceId,
                schedule: cronAt(time, h.days),
                timezone: h.timezone,
                scalableTargetAction: tasks,
            },
            ctx.parent,
        );
    }
}

/** Stopping the dedicated database at the end of the day and starting it ahead of the service. */
function databaseCalls(ctx: OfficeHoursContext, db: pulumi.Input<string>): ScheduledCalls {
    const { args } = ctx;
    const h = args.hours;
    return {
        schedules: [
            { role: "db-stop", cron: cronAt(h.end, h.days), target: "rds:stopDBInstance", input: { DBInstanceIdentifier: db } },
            { role: "db-start", cron: cronAt(h.start, h.days, -DB_LEAD_MINUTES), target: "rds:startDBInstance", input: { DBInstanceIdentifier: db } },
        ],
        statements: [{ Sid: "StopAndStartTheDatabase", Effect: "Allow", Action: ["rds:StopDBInstance", "rds:StartDBInstance"], Resource: pulumi.interpolate`arn:aws:rds:${args.region}:${ctx.account}:db:${db}` }],
    };
}

/** Stopping the instances that serve only with the service, and starting them with the database. */
function instanceCalls(ctx: OfficeHoursContext, ids: pulumi.Input<string>[]): ScheduledCalls {
    const { args } = ctx;
    const h = args.hours;
    // EC2's StopInstances/StartInstances take InstanceIds (botocore ec2 model). The root volumes use the account's
    // aws/ebs key, whose AWS-managed key policy admits the account's principals through EC2 (not yet tried on AWS):
    // if a start fails on the volume's key, the role needs kms:CreateGrant on it.
    return {
        schedules: [
            { role: "instances-stop", cron: cronAt(h.end, h.days), target: "ec2:stopInstances", input: { InstanceIds: ids } },
            { role: "instances-start", cron: cronAt(h.start, h.days, -DB_LEAD_MINUTES), target: "ec2:startInstances", input: { InstanceIds: ids } },
        ],
        statements: [
            {
                Sid: "StopAndStartTheInstances",
                Effect: "Allow",
                Action: ["ec2:StopInstances", "ec2:StartInstances"],
                Resource: pulumi.all([pulumi.all(ids), ctx.account]).apply(([is, acct]) => is.map((i) => `arn:aws:ec2:${args.region}:${acct}:instance/${i}`)),
            },
        ],
    };
}

/** Muting the service and database alarms at night, and unmuting them once a task is healthy. */
function alarmCalls(ctx: OfficeHoursContext, names: pulumi.Input<string[]>): ScheduledCalls {
    const { args } = ctx;
    const h = args.hours;
    return {
        schedules: [
            { role: "alarms-off", cron: cronAt(h.end, h.days), target: "cloudwatch:disableAlarmActions", input: { AlarmNames: names } },
            { role: "alarms-on", cron: cronAt(h.start, h.days, ALARM_GRACE_MINUTES), target: "cloudwatch:enableAlarmActions", input: { AlarmNames: names } },
        ],
        statements: [
            {
                Sid: "MuteTheServiceAlarmsAtNight",
                Effect: "Allow",
                Action: ["cloudwatch:DisableAlarmActions", "cloudwatch:EnableAlarmActions"],
                Resource: pulumi.all([names, ctx.account]).apply(([ns, acct]) => ns.map((n) => `arn:aws:cloudwatch:${args.region}:${acct}:alarm:${n}`)),
            },
        ],
    };
}

/** The calls the schedules make, for the database, the instances and the alarms that exist: database first, alarms last. */
function scheduledCalls(ctx: OfficeHoursContext): ScheduledCalls {
    const { args } = ctx;
    // Scheduler's universal targets call the AWS API with this role: only these instances and alarms. The input is
    // the API request (botocore: StopDBInstance/StartDBInstance require DBInstanceIdentifier; Disable/EnableAlarmActions
    // take AlarmNames, at most 100).
    const parts = [
        ...(args.databaseIdentifier !== undefined ? [databaseCalls(ctx, args.databaseIdentifier)] : []),
        ...(args.instanceIds?.length ? [instanceCalls(ctx, args.instanceIds)] : []),
        ...(args.alarmNames !== undefined ? [alarmCalls(ctx, args.alarmNames)] : []),
    ];
    return { schedules: parts.flatMap((c) => c.schedules), statements: parts.flatMap((c) => c.statements) };
}

/** The role the schedules call the AWS API with, allowed exactly the scheduled calls (no policy when there are none). */
function schedulerRole(ctx: OfficeHoursContext, statements: object[]): aws.iam.Role {
    const { name, parent } = ctx;
    const role = serviceRole(`${name}-scheduler`, { namePrefix: ctx.args.namePrefix, nameSuffix: "office-hours", service: "scheduler.amazonaws.com", account: ctx.account }, parent);
    if (statements.length) new aws.iam.RolePolicy(`${name}-scheduler`, { role: role.id, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements }) }, parent);
    return role;
}

/** One EventBridge Scheduler schedule per call, in the office hours' time zone, retried for an hour; returns their names. */
function createSchedules(ctx: OfficeHoursContext, schedules: ScheduledCalls["schedules"], role: aws.iam.Role): pulumi.Output<string>[] {
    const p = ctx.args.namePrefix;
    return schedules.map((s) => {
        const schedule = new aws.scheduler.Schedule(
            `${ctx.name}-${s.role}`,
            {
                name: physicalName(p, s.role, 64),
                description: `Office hours of ${p}: ${s.target}`,
                scheduleExpression: s.cron,
                scheduleExpressionTimezone: ctx.args.hours.timezone,
                flexibleTimeWindow: { mode: "OFF" },
                target: { arn: `arn:aws:scheduler:::aws-sdk:${s.target}`, roleArn: role.arn, input: pulumi.jsonStringify(s.input), retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 } },
            },
            ctx.parent,
        );
        return schedule.name;
    });
}

/** The policy that allows exactly the wake command, attached to each of `wake.roleNames`. */
function wakePolicy(ctx: OfficeHoursContext): aws.iam.Policy {
    const { name, args, account, parent } = ctx;
    const p = args.namePrefix;
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
    const policy = new aws.iam.Policy(
        `${name}-wake`,
        { name: physicalName(p, "wake", NAME_LIMITS.iamRole), description: `Wake ${p} outside its office hours (the officeHours.wakeCommand stack output)`, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: wakeStatements }) },
        parent,
    );
    w.roleNames.forEach((roleName, i) => new aws.iam.RolePolicyAttachment(`${name}-wake-${i}`, { role: roleName, policyArn: policy.arn }, parent));
    return policy;
}

/** The shell line that wakes this stack: its instances, database and service, back to the day's task range. */
function wakeCommandLine(args: OfficeHoursArgs): pulumi.Output<string> {
    const w = args.wake;
    return pulumi
        .all([pulumi.all(args.instanceIds ?? []), pulumi.output(args.databaseIdentifier), w.clusterName, w.serviceName])
        .apply(([instanceIds, db, cluster, service]) => wakeCommand({ region: args.region, instanceIds, ...(db !== undefined ? { databaseIdentifier: db } : {}), cluster, service, minTasks: args.service.minTasks, maxTasks: args.service.maxTasks }));
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
        const ctx: OfficeHoursContext = { name, args, parent, account: aws.getCallerIdentityOutput({}, parent).accountId };

        scaleServiceOnSchedule(ctx);
        const calls = scheduledCalls(ctx);
        const role = schedulerRole(ctx, calls.statements);
        const scheduleNames = createSchedules(ctx, calls.schedules, role);
        const wake = wakePolicy(ctx);
        this.wakeCommand = wakeCommandLine(args);
        this.wakePolicyArn = wake.arn;

        this.scheduleNames = pulumi.all(scheduleNames);
        this.weeklyHours = weeklyOfficeHours(args.hours);
        this.registerOutputs({ scheduleNames: this.scheduleNames, weeklyHours: this.weeklyHours, wakeCommand: this.wakeCommand, wakePolicyArn: this.wakePolicyArn });
    }
}
