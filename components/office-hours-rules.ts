/**
 * Office hours, as pure rules shared by the configuration, the OfficeHours component and the cost estimate: the
 * settings and their validation, the cron expressions of the schedules, and the hours a week the service runs.
 */

/** Office hours: `HH:MM` start and end on the given days, in an IANA time zone. */
export interface OfficeHoursSettings {
    start: string;
    end: string;
    /** IANA time zone, e.g. `Europe/Berlin` or `UTC`; daylight saving time is followed. */
    timezone: string;
    /** Cron day-of-week field: `MON-FRI`, `MON-SAT`, `MON,WED,FRI`. */
    days: string;
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DAY = "(MON|TUE|WED|THU|FRI|SAT|SUN)";
const DAYS = new RegExp(`^${DAY}(-${DAY})?(,${DAY}(-${DAY})?)*$`);
const DAY_INDEX = { MON: 0, TUE: 1, WED: 2, THU: 3, FRI: 4, SAT: 5, SUN: 6 } as const;
/** Minutes the database starts before the service, and alarm actions wait after it. */
export const DB_LEAD_MINUTES = 30;
export const ALARM_GRACE_MINUTES = 15;

const minutesOf = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));

/** Problems of the settings, by field (none: valid). */
export function officeHoursProblems(v: unknown): Array<{ field?: keyof OfficeHoursSettings; message: string }> {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return [{ message: "expected {start, end, timezone, days}, e.g. {start: \"07:00\", end: \"19:00\", timezone: \"Europe/Berlin\", days: \"MON-FRI\"}" }];
    const o = v as Record<string, unknown>;
    const problems: Array<{ field?: keyof OfficeHoursSettings; message: string }> = [];
    for (const k of Object.keys(o)) if (!["start", "end", "timezone", "days"].includes(k)) problems.push({ message: `unknown field ${JSON.stringify(k)}; fields: start, end, timezone, days` });
    for (const f of ["start", "end"] as const) if (typeof o[f] !== "string" || !TIME.test(o[f] as string)) problems.push({ field: f, message: "a time HH:MM, 24-hour" });
    if (!problems.length) {
        const start = minutesOf(o.start as string);
        const end = minutesOf(o.end as string);
        if (start < DB_LEAD_MINUTES) problems.push({ field: "start", message: `not before 00:${DB_LEAD_MINUTES}: the database starts ${DB_LEAD_MINUTES} minutes earlier, the same day` });
        if (end - start < 60) problems.push({ field: "end", message: "at least an hour after start, the same day" });
    }
    if (typeof o.timezone !== "string" || !validTimeZone(o.timezone)) problems.push({ field: "timezone", message: "an IANA time zone such as UTC or Europe/Berlin" });
    if (typeof o.days !== "string" || !DAYS.test(o.days)) problems.push({ field: "days", message: "days of the week as in cron: MON-FRI, MON-SAT or MON,WED,FRI" });
    return problems;
}

function validTimeZone(tz: string): boolean {
    try {
        new Intl.DateTimeFormat("en", { timeZone: tz });
        return true;
    } catch {
        return false;
    }
}

/** `cron(M H ? * DAYS *)` at `time` plus `offset` minutes (the same day: the settings' rules keep it there). */
export function cronAt(time: string, days: string, offsetMinutes = 0): string {
    const m = minutesOf(time) + offsetMinutes;
    return `cron(${m % 60} ${Math.floor(m / 60)} ? * ${days} *)`;
}

/** Days per week in a cron day-of-week field. */
export function daysPerWeek(days: string): number {
    const set = new Set<number>();
    for (const part of days.split(",")) {
        const [a, b] = part.split("-") as Array<keyof typeof DAY_INDEX>;
        const from = DAY_INDEX[a];
        const to = b === undefined ? from : DAY_INDEX[b];
        for (let d = from; ; d = (d + 1) % 7) {
            set.add(d);
            if (d === to) break;
        }
    }
    return set.size;
}

/** Hours a week the service runs (from start to end on each day). */
export function weeklyOfficeHours(s: OfficeHoursSettings): number {
    return ((minutesOf(s.end) - minutesOf(s.start)) / 60) * daysPerWeek(s.days);
}

/**
 * Hours a week something runs when it is started by `startCron` and stopped by `stopCron` (both `cron(M H ? * DAYS *)`
 * on the same days, as the OfficeHours component writes them); undefined for any other shape. The cost estimate
 * reads the schedules of a plan or a stack export with it.
 */
export function weeklyHoursBetween(startCron: string, stopCron: string): number | undefined {
    const parse = (c: string) => /^cron\((\d{1,2}) (\d{1,2}) \? \* ([A-Z,-]+) \*\)$/.exec(c);
    const a = parse(startCron);
    const b = parse(stopCron);
    if (!a || !b || a[3] !== b[3] || !DAYS.test(a[3])) return undefined;
    const minutes = Number(b[2]) * 60 + Number(b[1]) - (Number(a[2]) * 60 + Number(a[1]));
    return minutes > 0 ? (minutes / 60) * daysPerWeek(a[3]) : undefined;
}

/** Hours in a week, against which office hours are a share (the estimate's month is 730 h). */
export const HOURS_PER_WEEK = 168;

/** What the wake command starts: the stack's names, as the stack outputs them. */
export interface WakeTargets {
    region: string;
    /** EC2 instances that sleep with the service (the NAT and access instances of a stack without a foundation). */
    instanceIds: string[];
    /** The dedicated database (none: the foundation's, which never sleeps). */
    databaseIdentifier?: string;
    cluster: string;
    service: string;
    minTasks: number;
    maxTasks: number;
}

/**
 * The AWS CLI commands that wake a stack outside its office hours, in order: start the instances, start the database
 * (an error when it already runs, hence `;`), wait until it is available, restore the service's day-time task range
 * and wait until the service is stable. Each line is an AWS CLI command whose options the integration suite checks
 * against botocore's models; the evening's schedules put the stack to sleep again at `end`.
 */
export function wakeCommands(t: WakeTargets): string[] {
    const r = `--region ${t.region}`;
    const lines: string[] = [];
    if (t.instanceIds.length) lines.push(`aws ec2 start-instances --instance-ids ${t.instanceIds.join(" ")} ${r} --output text`);
    if (t.databaseIdentifier !== undefined) {
        lines.push(`aws rds start-db-instance --db-instance-identifier ${t.databaseIdentifier} ${r} --output text`);
        lines.push(`aws rds wait db-instance-available --db-instance-identifier ${t.databaseIdentifier} ${r}`);
    }
    lines.push(`aws application-autoscaling register-scalable-target --service-namespace ecs --scalable-dimension ecs:service:DesiredCount --resource-id service/${t.cluster}/${t.service} --min-capacity ${t.minTasks} --max-capacity ${t.maxTasks} ${r}`);
    lines.push(`aws ecs wait services-stable --cluster ${t.cluster} --services ${t.service} ${r}`);
    return lines;
}

/** The wake commands as one shell line: a failed start of a running database does not stop the rest. */
export function wakeCommand(t: WakeTargets): string {
    return wakeCommands(t)
        .map((l, i, all) => (i === all.length - 1 ? l : `${l}${l.includes(" start-db-instance ") || l.includes(" start-instances ") ? " ;" : " &&"}`))
        .join(" ");
}
