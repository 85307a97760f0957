/**
 * The `metaflow-aws-constraints` pack: what AWS itself refuses, checked against constraint data extracted from AWS's
 * own models (aws-facts/constraints.json, written by scripts/aws-constraints.ts from botocore and cfn-lint's
 * CloudFormation schemas). A violation here is a `pulumi up` that would fail at the AWS API, or a resource AWS
 * creates but that cannot work. Cross-field rules AWS documents but its models do not encode cite the documentation.
 *
 * Pure module: no Pulumi import.
 */
import { fargateSizeProblem, storageCeilingProblem } from "../../components/metaflow-service/rules";
import { eventPatternProblems } from "../../components/sfn/rules";
import { ResourceRule, Rule, StackRule } from "../lib/rule";
import { rdsConnections } from "./connections";
import { LISTENERS, LOAD_BALANCERS, T } from "../lib/types";
import { getPath, isUnknown, ofType, parseJsonish, referenced, referrers, ResourceView, SECRET_TEXT } from "../lib/view";
import { AWS_DATA, BATCH_INSTANCE_KEYWORDS, FieldConstraint, fieldProblems, instanceTypeExists, sampleAutoName } from "../../aws-facts/data";

const decided = (v: unknown) => v !== undefined && v !== null && v !== SECRET_TEXT && !isUnknown(v);

/** A number from an input that sources may hold as text (stack exports keep some numbers as strings). */
function num(v: unknown): number | undefined {
    if (typeof v === "number") return v;
    if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
    return undefined;
}

const fieldTypes = Object.keys(AWS_DATA.fields);

/** A value as a violation shows it: long text (a base64 lifecycle script, an event input) cut to its start. */
const shown = (v: unknown) => (typeof v === "string" && v.length > 100 ? `${JSON.stringify(v.slice(0, 60)).slice(0, -1)}..."` : JSON.stringify(v));

/** The values at a path whose `[]` steps run over a list's items, each with the concrete path it was found at. */
export function valuesAt(obj: unknown, path: string): Array<{ at: string; value: unknown }> {
    let found: Array<{ at: string; value: unknown }> = [{ at: "", value: obj }];
    for (const step of path.split(".")) {
        const list = step.endsWith("[]");
        const key = list ? step.slice(0, -2) : step;
        found = found.flatMap(({ at, value }) => {
            const next = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
            const here = at ? `${at}.${key}` : key;
            if (!list) return next === undefined ? [] : [{ at: here, value: next }];
            return Array.isArray(next) ? next.map((item, i) => ({ at: `${here}[${i}]`, value: item })) : [];
        });
    }
    return found;
}

/** An AWS constraints rule: mandatory, resource-scoped, no settings (AWS's limits do not vary by environment). */
const awsRule = (name: string, description: string, types: string[], check: (r: ResourceView) => string[]): ResourceRule => ({ name, pack: "aws", kind: "resource", description, uses: [], types, check });

const inputConstraints = awsRule(
    "aws-input-constraints",
    "Every input the platform sets is within AWS's constraints for it: length, characters, pattern, allowed values and numeric range, from botocore's service models and the CloudFormation resource schemas.",
    fieldTypes,
    (r) => {
        const out: string[] = [];
        for (const [path, c] of Object.entries(AWS_DATA.fields[r.type] ?? {})) {
            if (path.includes("[]")) {
                for (const { at, value } of valuesAt(r.props, path)) {
                    if (!decided(value)) continue;
                    const v = typeof c.enum?.[0] === "number" || c.minimum !== undefined || c.maximum !== undefined ? num(value) ?? value : value;
                    for (const p of fieldProblems(v, c)) out.push(`${at} ${shown(v)} ${p} (${c.source})`);
                }
                continue;
            }
            let value = getPath(r.props, path);
            if (!decided(value)) continue;
            if (path === "namePrefix") {
                if (typeof value !== "string") continue;
                const sample = sampleAutoName(value, c.autoNameSuffix ?? 0);
                for (const p of fieldProblems(sample, c)) out.push(`namePrefix "${value}": with the provider's ${c.autoNameSuffix}-character unique suffix the name ("${sample}") ${p} (${c.source})`);
                continue;
            }
            if (typeof c.enum?.[0] === "number" || c.minimum !== undefined || c.maximum !== undefined) value = num(value) ?? value;
            for (const p of fieldProblems(value, c)) out.push(`${path} ${shown(value)} ${p} (${c.source})`);
        }
        return out;
    },
);

const autoNames = awsRule(
    "aws-auto-names",
    "Names Pulumi generates (the logical name, a hyphen and 7 random characters) fit AWS's length, character and pattern rules for the resource's name, including the internal- rule of load balancers.",
    fieldTypes.filter((t) => Object.entries(AWS_DATA.fields[t]).some(([p, c]) => c.autoNameSuffix === 8 && p !== "namePrefix")),
    (r) => {
        const out: string[] = [];
        for (const [path, c] of Object.entries(AWS_DATA.fields[r.type] ?? {})) {
            if (c.autoNameSuffix !== 8 || path === "namePrefix") continue;
            if (r.props[path] !== undefined || r.props.namePrefix !== undefined) continue;
            const sample = sampleAutoName(r.name, 8);
            for (const p of fieldProblems(sample, c)) out.push(`${path} is unset, so Pulumi names it "${r.name}-" and 7 random characters ("${sample}"), which ${p} (${c.source}); set ${path} or shorten the logical name`);
        }
        return out;
    },
);

const SG_RULES = [T.sgIngressRule, T.sgEgressRule, T.sgRule];

/** The description of a security group rule and whether it references another security group. */
function ruleDescriptions(r: ResourceView): Array<{ where: string; description: unknown; group: boolean }> {
    const p = r.props;
    if (r.type === T.securityGroup) {
        return (["ingress", "egress"] as const).flatMap((dir) =>
            (Array.isArray(p[dir]) ? p[dir] : []).map((x: any, i: number) => ({ where: `${dir}[${i}].description`, description: x?.description, group: Array.isArray(x?.securityGroups) && x.securityGroups.length > 0 })),
        );
    }
    return [{ where: "description", description: p.description, group: p.referencedSecurityGroupId !== undefined || p.sourceSecurityGroupId !== undefined }];
}

const sgRuleDescription = awsRule(
    "aws-sg-rule-description",
    "Security group rule descriptions use only the characters EC2 accepts (a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*, without & for rules that reference a security group) and at most 255 characters.",
    [...SG_RULES, T.securityGroup],
    (r) => {
        const out: string[] = [];
        for (const d of ruleDescriptions(r)) {
            if (typeof d.description !== "string" || !decided(d.description)) continue;
            const c: FieldConstraint = d.group ? AWS_DATA.securityGroupRuleDescription.group : AWS_DATA.securityGroupRuleDescription.cidr;
            const one = new RegExp(c.pattern!.replace(/\]\*\$$/, "]$"), "u");
            const bad = [...new Set([...d.description].filter((ch) => !one.test(ch)))];
            for (const p of fieldProblems(d.description, c)) {
                out.push(`${d.where} ${JSON.stringify(d.description)} ${p}${bad.length ? ` (refused: ${bad.map((b) => JSON.stringify(b)).join(" ")})` : ""}; EC2 fails with "Invalid rule description" (${c.source})`);
            }
        }
        return out;
    },
);

const sgRulePorts = awsRule(
    "aws-sg-rule-ports",
    "Security group rules for tcp, udp and icmp give a port range (the EC2 model: \"For tcp, udp, and icmp, you must specify a port range\"), from not above to.",
    [T.sgIngressRule, T.sgEgressRule],
    (r) => {
        const protocol = String(r.props.ipProtocol ?? "");
        if (!["tcp", "udp", "icmp", "6", "17", "1"].includes(protocol)) return [];
        if ([r.props.fromPort, r.props.toPort].some((v) => isUnknown(v))) return []; // decided during `pulumi up`
        const from = num(r.props.fromPort);
        const to = num(r.props.toPort);
        if (from === undefined || to === undefined) return [`ipProtocol ${protocol} needs fromPort and toPort (given ${JSON.stringify(r.props.fromPort)} and ${JSON.stringify(r.props.toPort)}): EC2 refuses a ${protocol} rule without a port range`];
        if (protocol !== "icmp" && protocol !== "1" && from > to) return [`fromPort ${from} is above toPort ${to}`];
        return [];
    },
);

const storageCeiling = awsRule(
    "aws-rds-storage-ceiling",
    "An RDS storage autoscaling ceiling (maxAllocatedStorage) is at least 10% above the allocated storage (Amazon RDS User Guide, storage autoscaling).",
    [T.rdsInstance],
    (r) => {
        const allocated = num(r.props.allocatedStorage);
        const max = num(r.props.maxAllocatedStorage);
        if (allocated === undefined || max === undefined || max === 0) return [];
        const p = storageCeilingProblem(allocated, max);
        return p ? [`maxAllocatedStorage ${max} ${p}`] : [];
    },
);

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const WEEK = 7 * 1440;
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * RDS's rules between the daily backup window (`hh24:mi-hh24:mi`) and the weekly maintenance window
 * (`ddd:hh24:mi-ddd:hh24:mi`): each at least 30 minutes, and they must not overlap. Windows in another format are left
 * to aws-input-constraints.
 */
export function rdsWindowProblems(backup: string | undefined, maintenance: string | undefined, minMinutes: number): string[] {
    const b = backup !== undefined ? /^(\d\d:\d\d)-(\d\d:\d\d)$/.exec(backup) : null;
    const m = maintenance !== undefined ? /^([a-z]{3}):(\d\d:\d\d)-([a-z]{3}):(\d\d:\d\d)$/.exec(maintenance) : null;
    const out: string[] = [];
    let daily: [number, number] | undefined;
    let weekly: [number, number] | undefined;
    if (b) {
        const start = minutesOf(b[1]);
        const length = (minutesOf(b[2]) - start + 1440) % 1440;
        if (length < minMinutes) out.push(`backupWindow ${backup} lasts ${length} minutes; RDS requires at least ${minMinutes}`);
        daily = [start, start + length];
    }
    if (m && DAYS.includes(m[1]) && DAYS.includes(m[3])) {
        const start = DAYS.indexOf(m[1]) * 1440 + minutesOf(m[2]);
        const length = (DAYS.indexOf(m[3]) * 1440 + minutesOf(m[4]) - start + WEEK) % WEEK;
        if (length < minMinutes) out.push(`maintenanceWindow ${maintenance} lasts ${length} minutes; RDS requires at least ${minMinutes}`);
        weekly = [start, start + length];
    }
    if (daily && weekly) {
        // The backup window recurs every day; compare each day's occurrence (and the week's wrap) with the maintenance window.
        const overlaps = Array.from({ length: 8 }, (_, d) => d).some((d) =>
            [0, WEEK].some((shift) => d * 1440 + daily![0] < weekly![1] + shift && weekly![0] + shift < d * 1440 + daily![1]),
        );
        if (overlaps) out.push(`backupWindow ${backup} overlaps maintenanceWindow ${maintenance}; RDS requires that they do not conflict`);
    }
    return out;
}

const rdsWindows = awsRule(
    "aws-rds-windows",
    "An RDS instance's backup and maintenance windows each last at least 30 minutes and do not overlap (the RDS model's documentation of PreferredBackupWindow and PreferredMaintenanceWindow).",
    [T.rdsInstance],
    (r) => {
        const backup = decided(r.props.backupWindow) ? String(r.props.backupWindow) : undefined;
        const maintenance = decided(r.props.maintenanceWindow) ? String(r.props.maintenanceWindow).toLowerCase() : undefined;
        return rdsWindowProblems(backup, maintenance, AWS_DATA.rdsWindows.minMinutes).map((p) => `${p} (${AWS_DATA.rdsWindows.source})`);
    },
);

const userDataSize = awsRule(
    "aws-user-data-size",
    "Launch template user data is base64 text of at most 16 KB (the EC2 model's documentation of launch template UserData).",
    [T.launchTemplate],
    (r) => {
        const text = r.props.userData;
        if (typeof text !== "string" || !decided(text)) return [];
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return [`userData is not base64 text (${AWS_DATA.userData.source})`];
        const bytes = Buffer.from(text, "base64").length;
        return bytes > AWS_DATA.userData.maxBytes ? [`userData decodes to ${bytes} bytes; EC2 allows at most ${AWS_DATA.userData.maxBytes} (${AWS_DATA.userData.source})`] : [];
    },
);

const healthCheckTimeout = awsRule(
    "aws-health-check-timeout",
    "A target group's health check timeout is shorter than its interval (Elastic Load Balancing refuses a timeout that is not smaller than the interval).",
    ["aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup"],
    (r) => {
        const timeout = num(getPath(r.props, "healthCheck.timeout"));
        const interval = num(getPath(r.props, "healthCheck.interval"));
        if (timeout === undefined || interval === undefined || timeout < interval) return [];
        return [`healthCheck.timeout ${timeout} must be smaller than healthCheck.interval ${interval}`];
    },
);

const fargateSize = awsRule(
    "aws-fargate-task-size",
    "Fargate task definitions use a CPU and memory pair Fargate accepts (the ECS model's table of task sizes).",
    [T.ecsTaskDefinition],
    (r) => {
        const compat = r.props.requiresCompatibilities;
        if (!Array.isArray(compat) || !compat.includes("FARGATE")) return [];
        if ([r.props.cpu, r.props.memory].some((v) => isUnknown(v))) return []; // decided during `pulumi up`
        const cpu = num(r.props.cpu);
        const memory = num(r.props.memory);
        if (cpu === undefined || memory === undefined) return [`a Fargate task needs task-level cpu and memory (given cpu ${JSON.stringify(r.props.cpu)}, memory ${JSON.stringify(r.props.memory)})`];
        const p = fargateSizeProblem(cpu, memory);
        return p ? [`${p} (${AWS_DATA.fargate.source})`] : [];
    },
);

const lifecycleDays = awsRule(
    "aws-s3-lifecycle-days",
    "S3 lifecycle transitions respect S3's day minimums per storage class (30 days before Standard-IA or One Zone-IA).",
    [T.bucketLifecycle],
    (r) => {
        const out: string[] = [];
        const mins = AWS_DATA.s3Lifecycle.minimumDays;
        const rules: any[] = Array.isArray(r.props.rules) ? r.props.rules : [];
        rules.forEach((rule, i) => {
            const check = (list: unknown, field: string, kind: string) =>
                (Array.isArray(list) ? list : []).forEach((t: any, j: number) => {
                    const days = num(t?.[field]);
                    const min = mins[t?.storageClass];
                    if (days !== undefined && min !== undefined && days < min) {
                        out.push(`rules[${i}] (${rule?.id ?? "unnamed"}).${kind}[${j}]: ${field} ${days} before ${t.storageClass} is below S3's minimum of ${min} (${AWS_DATA.s3Lifecycle.source})`);
                    }
                });
            check(rule?.transitions, "days", "transitions");
            check(rule?.noncurrentVersionTransitions, "noncurrentDays", "noncurrentVersionTransitions");
        });
        return out;
    },
);

const eventPattern = awsRule(
    "aws-event-pattern",
    "EventBridge rule patterns are JSON objects whose fields match lists of values at every depth (a bare value anywhere is rejected), within the model's length limit.",
    ["aws:cloudwatch/eventRule:EventRule"],
    (r) => {
        const raw = r.props.eventPattern;
        if (!decided(raw)) return [];
        const text = typeof raw === "string" ? raw : JSON.stringify(raw);
        const pattern = parseJsonish(text);
        if (pattern === undefined) return [`eventPattern is not a JSON object: ${text.slice(0, 80)}`];
        const out = eventPatternProblems(pattern).map((p) => `eventPattern ${p}`);
        if (text.length > AWS_DATA.eventPattern.maxLength) out.push(`eventPattern has ${text.length} characters; EventBridge allows at most ${AWS_DATA.eventPattern.maxLength} (${AWS_DATA.eventPattern.source})`);
        return out;
    },
);

const instanceTypes = awsRule(
    "aws-instance-types",
    "Every EC2 instance type or family a compute environment, launch template or instance names exists in the EC2 model's InstanceType enum.",
    [T.computeEnvironment, T.launchTemplate, T.ec2Instance],
    (r) => {
        const named: unknown[] = r.type === T.computeEnvironment ? getPath(r.props, "computeResources.instanceTypes") ?? [] : [r.props.instanceType];
        return (Array.isArray(named) ? named : [])
            .filter((t): t is string => typeof t === "string" && decided(t))
            .filter((t) => !BATCH_INSTANCE_KEYWORDS.includes(t) && !instanceTypeExists(t))
            .map((t) => `instance type ${JSON.stringify(t)} does not exist (${AWS_DATA.instanceTypes.source}); Batch and EC2 reject it`);
    },
);

const LISTENER_RULES = ["aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule"];

/** True when an egress rule (any of the three ways to write one) lets the group reach any address on tcp/443. */
function allowsHttpsOut(rule: ResourceView | Record<string, any>, kind: "vpc" | "sgRule" | "inline"): boolean {
    const p: Record<string, any> = "props" in rule && kind !== "inline" ? (rule as ResourceView).props : rule;
    if (kind === "sgRule" && p.type !== "egress") return false;
    const protocol = String(p.ipProtocol ?? p.protocol ?? "");
    const to = kind === "vpc" ? [p.cidrIpv4, p.cidrIpv6, p.prefixListId] : [...(p.cidrBlocks ?? []), ...(p.ipv6CidrBlocks ?? []), ...(p.prefixListIds ?? [])];
    if (!to.some((x) => typeof x === "string" && x !== "")) return false;
    if (protocol === "-1" || protocol === "all") return true;
    return (protocol === "tcp" || protocol === "6") && Number(p.fromPort) <= 443 && 443 <= Number(p.toPort);
}

const oidcEgress: StackRule = {
    name: "aws-lb-oidc-egress",
    pack: "aws",
    kind: "stack",
    description: "A load balancer that authenticates users with OIDC (authenticate-oidc) may reach the identity provider on 443: its security groups allow HTTPS egress, or every login fails with HTTP 500.",
    uses: [],
    check(all) {
        const lbs = ofType(all, ...LOAD_BALANCERS);
        const listeners = ofType(all, ...LISTENERS);
        const groups = ofType(all, T.securityGroup);
        const oidc = (actions: unknown) => Array.isArray(actions) && actions.some((a) => a?.type === "authenticate-oidc");
        const authenticating = new Set<ResourceView>();
        for (const l of listeners) if (oidc(l.props.defaultActions)) referenced(l, "loadBalancerArn", lbs).forEach((lb) => authenticating.add(lb));
        for (const r of ofType(all, ...LISTENER_RULES)) {
            if (!oidc(r.props.actions)) continue;
            for (const l of referenced(r, "listenerArn", listeners)) referenced(l, "loadBalancerArn", lbs).forEach((lb) => authenticating.add(lb));
        }
        const out: Array<{ urn?: string; message: string }> = [];
        for (const lb of authenticating) {
            const sgs = referenced(lb, "securityGroups", groups);
            if (!sgs.length) continue; // groups not in the list (or unknown in a preview): nothing to judge
            const open = sgs.some(
                (sg) =>
                    referrers(all, T.sgEgressRule, "securityGroupId", sg).some((e) => allowsHttpsOut(e, "vpc")) ||
                    referrers(all, T.sgRule, "securityGroupId", sg).some((e) => allowsHttpsOut(e, "sgRule")) ||
                    (Array.isArray(sg.props.egress) && sg.props.egress.some((e: any) => allowsHttpsOut(e, "inline"))),
            );
            if (!open) {
                out.push({
                    urn: lb.urn,
                    message: `load balancer ${lb.name} authenticates with OIDC but its security groups (${sgs.map((g) => g.name).join(", ")}) allow no HTTPS (443) egress: the load balancer cannot reach the identity provider's token and user info endpoints and every login fails with HTTP 500 (https://repost.aws/knowledge-center/elb-configure-authentication-alb)`,
                });
            }
        }
        return out;
    },
};

const tags: StackRule = {
    name: "aws-tags",
    pack: "aws",
    kind: "stack",
    description: "Tag keys and values (a resource's own and its provider's default tags) use the characters and lengths AWS accepts, and a resource carries at most the number of tags AWS allows.",
    uses: [],
    check(all) {
        const out: Array<{ urn?: string; message: string }> = [];
        const { key, value, maxTags, source } = AWS_DATA.tags;
        for (const r of all) {
            const own = parseJsonish<Record<string, unknown>>(r.props?.tags);
            const defaults = r.type.startsWith("pulumi:providers:") ? parseJsonish<{ tags?: Record<string, unknown> }>(r.props?.defaultTags)?.tags : undefined;
            for (const [where, map] of [["tags", own], ["defaultTags.tags", defaults]] as const) {
                if (!map || typeof map !== "object") continue;
                for (const [k, v] of Object.entries(map)) {
                    for (const p of fieldProblems(k, key)) out.push({ urn: r.urn, message: `${where} key ${JSON.stringify(k)} ${p} (${source})` });
                    if (!decided(v)) continue;
                    if (typeof v !== "string") out.push({ urn: r.urn, message: `${where}.${k} is ${JSON.stringify(v)}; a tag value is a string` });
                    else for (const p of fieldProblems(v, value)) out.push({ urn: r.urn, message: `${where}.${k} ${JSON.stringify(v)} ${p} (${source})` });
                }
            }
            const count = Object.keys({ ...(r.provider ? parseJsonish<{ tags?: object }>(r.provider.props?.defaultTags)?.tags ?? {} : {}), ...(own ?? {}) }).length;
            if (count > maxTags) out.push({ urn: r.urn, message: `${count} tags (own and the provider's default tags); AWS allows at most ${maxTags} per resource (${source})` });
        }
        return out;
    },
};

export const AWS_RULES: Rule[] = [inputConstraints, autoNames, sgRuleDescription, sgRulePorts, storageCeiling, rdsWindows, healthCheckTimeout, fargateSize, lifecycleDays, eventPattern, instanceTypes, userDataSize, oidcEgress, tags, rdsConnections];
