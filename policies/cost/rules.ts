/** The cost pack's rules. */
import { lifecycleProblems } from "../../components/artifact-bucket/rules";
import { Rule, StackRule } from "../lib/rule";
import { T } from "../lib/types";
import { effectiveTags, getPath, isUnknown, ofType, referenced, ResourceView } from "../lib/view";
import { estimateCost, isGpuComputeEnvironment, isSpotComputeEnvironment, natGateways } from "./estimate";
import { configuring } from "../security/rules/s3";

const family = (t: string) => t.split(".")[0];

/** Resource types that accept tags, among those the platform creates (aws v7). */
export const TAGGABLE_TYPES: string[] = [
    T.bucket, T.rdsInstance, T.rdsCluster, T.rdsParameterGroup, T.role, T.policy, T.securityGroup, T.sgIngressRule, T.sgEgressRule,
    T.ecsCluster, T.ecsTaskDefinition, T.ecsService, T.launchTemplate, T.ec2Instance, T.computeEnvironment, T.jobQueue, T.jobDefinition,
    T.stateMachine, T.dynamoTable, T.kmsKey, T.logGroup, T.metricAlarm, T.ssmParameter, T.secret, T.lb, T.alb, T.lbListener, T.albListener,
    "aws:lb/targetGroup:TargetGroup", "aws:apigateway/restApi:RestApi", T.apiStage, T.efsFileSystem, T.natGateway, T.vpc, T.flowLog, T.vpcEndpoint,
    T.lambda, "aws:cloudwatch/eventRule:EventRule", "aws:iam/instanceProfile:InstanceProfile", "aws:rds/subnetGroup:SubnetGroup", "aws:ec2/eip:Eip",
    "aws:ec2/subnet:Subnet", "aws:sns/topic:Topic", "aws:efs/accessPoint:AccessPoint", "aws:apigateway/apiKey:ApiKey", "aws:apigateway/usagePlan:UsagePlan",
    // Studio workspaces: a user profile's tags are also added to every app it launches, which is what attributes
    // JupyterLab hours to the platform (CreateUserProfile, botocore).
    T.sagemakerDomain, T.sagemakerUserProfile, T.sagemakerLcc,
];

const STUDIO_TYPES: string[] = [T.sagemakerDomain, T.sagemakerUserProfile];
/** A domain's settings for every profile, or a profile's own (absent or partial: the domain's then apply). */
const settingsOf = (r: ResourceView) => (r.type === T.sagemakerDomain ? "defaultUserSettings" : "userSettings");
const IDLE = "jupyterLabAppSettings.appLifecycleManagement.idleSettings";
const EBS = "spaceStorageSettings.defaultEbsStorageSettings";

/** JupyterLab instance types a domain (its default, and its shared spaces' default) or a profile names, with where. */
function studioInstanceTypes(r: ResourceView): Array<[string, unknown]> {
    const at = [`${settingsOf(r)}.jupyterLabAppSettings.defaultResourceSpec.instanceType`];
    if (r.type === T.sagemakerDomain) at.push("defaultSpaceSettings.jupyterLabAppSettings.defaultResourceSpec.instanceType");
    return at.map((p) => [p, getPath(r.props, p)] as [string, unknown]).filter(([, v]) => v !== undefined && v !== null && !isUnknown(v));
}

/**
 * Problems of JupyterLab idle shutdown: a domain enables it with both timeouts set within the limit (without a maximum
 * an engineer may raise their own timeout to AWS's 525600 minutes); a profile may not disable it nor exceed the limit.
 */
function idleProblems(r: ResourceView, max: number, env: string): string[] {
    const at = `${settingsOf(r)}.${IDLE}`;
    const idle = getPath(r.props, at);
    const domain = r.type === T.sagemakerDomain;
    if (isUnknown(idle) || (!domain && (idle === undefined || idle === null))) return [];
    const out: string[] = [];
    const mode = idle?.lifecycleManagement;
    if (!isUnknown(mode) && (domain ? mode !== "ENABLED" : mode === "DISABLED")) out.push(`${at}.lifecycleManagement is ${mode ?? "unset"}: JupyterLab must shut down when idle (ENABLED)`);
    for (const field of ["idleTimeoutInMinutes", "maxIdleTimeoutInMinutes"]) {
        const v = idle?.[field];
        if (isUnknown(v)) continue;
        if (v === undefined || v === null) {
            if (domain) out.push(`${at}.${field} is not set: set it to at most ${max} minutes in ${env}`);
        } else if (Number(v) > max) out.push(`${at}.${field} ${v} exceeds ${max} minutes in ${env}`);
    }
    return out;
}

/** Problems of space volumes: a domain sets its default and maximum EBS size within the limit, a profile stays within it. */
function spaceProblems(r: ResourceView, max: number, env: string): string[] {
    const at = `${settingsOf(r)}.${EBS}`;
    const ebs = getPath(r.props, at);
    const domain = r.type === T.sagemakerDomain;
    if (isUnknown(ebs) || (!domain && (ebs === undefined || ebs === null))) return [];
    const out: string[] = [];
    for (const field of ["defaultEbsVolumeSizeInGb", "maximumEbsVolumeSizeInGb"]) {
        const v = ebs?.[field];
        if (isUnknown(v)) continue;
        if (v === undefined || v === null) {
            if (domain) out.push(`${at}.${field} is not set: set it to at most ${max} GB in ${env}`);
        } else if (Number(v) > max) out.push(`${at}.${field} ${v} exceeds ${max} GB in ${env}`);
    }
    return out;
}

export const costRules: Rule[] = [
    { kind: "resource", name: "cost-instance-families", pack: "cost", description: "Compute environments and launch templates use only the environment's allowed instance families.", uses: ["allowedInstanceFamilies"], types: [T.computeEnvironment, T.launchTemplate],
      check: (r, s) => {
          const types: string[] = r.type === T.computeEnvironment ? (r.props.computeResources?.instanceTypes ?? []) : r.props.instanceType ? [r.props.instanceType] : [];
          const bad = types.filter((t) => !s.allowedInstanceFamilies.includes(family(t)));
          return bad.length ? [`instance types ${bad.join(", ")} are outside the families allowed in ${s.environment}: ${s.allowedInstanceFamilies.join(", ")}`] : [];
      } },
    { kind: "resource", name: "cost-compute-environment-max-vcpus", pack: "cost", description: "Each compute environment's maxvCpus stays under the cap.", uses: ["maxVcpusPerComputeEnvironment"], types: [T.computeEnvironment],
      check: (r, s) => {
          const max = Number(r.props.computeResources?.maxVcpus ?? 0);
          return max > s.maxVcpusPerComputeEnvironment ? [`maxVcpus ${max} exceeds the cap of ${s.maxVcpusPerComputeEnvironment} per compute environment`] : [];
      } },
    {
        kind: "stack", name: "cost-total-max-vcpus", pack: "cost", description: "The stack's compute environments together stay under the total maxvCpus cap.", uses: ["maxVcpusTotal"],
        check: (all, s) => {
            const ces = ofType(all, T.computeEnvironment);
            const total = ces.reduce((a, c) => a + Number(c.props.computeResources?.maxVcpus ?? 0), 0);
            return total > s.maxVcpusTotal ? [{ message: `compute environments total ${total} maxVcpus (${ces.map((c) => `${c.name} ${c.props.computeResources?.maxVcpus}`).join(", ")}), above the cap of ${s.maxVcpusTotal}` }] : [];
        },
    } satisfies StackRule,
    { kind: "resource", name: "cost-min-vcpus-zero", pack: "cost", description: "Compute environments scale to zero (minvCpus 0 unless allowed).", uses: ["maxMinVcpus"], types: [T.computeEnvironment],
      check: (r, s) => {
          const min = Number(r.props.computeResources?.minVcpus ?? 0);
          return min > s.maxMinVcpus ? [`minVcpus ${min} keeps instances running while idle (allowed: ${s.maxMinVcpus})`] : [];
      } },
    {
        kind: "stack", name: "cost-gpu-spot-first", pack: "cost", description: "GPU job queues try a spot compute environment first (unless allowOnDemandFirstGpu).", uses: ["allowOnDemandFirstGpu"],
        check: (all, s) => {
            if (s.allowOnDemandFirstGpu) return [];
            const ces = ofType(all, T.computeEnvironment);
            return ofType(all, T.jobQueue).flatMap((q) => {
                const orders = [...((q.props.computeEnvironmentOrders ?? []) as any[])].sort((a, b) => Number(a?.order) - Number(b?.order));
                // Orders are matched by value (ARN or name): a preview of new resources leaves them unknown, and then the
                // rule cannot tell the order and stays silent rather than guess.
                const resolved = orders.map((o) => (o?.computeEnvironment === undefined ? undefined : referenced({ urn: "", type: "", name: "", protect: false, props: { ref: o.computeEnvironment } }, "ref", ces)[0]));
                if (!resolved.some((c) => c && isGpuComputeEnvironment(c))) return [];
                const first = resolved[0];
                if (!first) return [];
                return isSpotComputeEnvironment(first) ? [] : [{ urn: q.urn, message: `GPU job queue ${q.name} starts on ${first.name}, which is not spot: order a spot environment first, on-demand second` }];
            });
        },
    } satisfies StackRule,
    { kind: "resource", name: "cost-db-instance-class", pack: "cost", description: "Database instance classes come from the environment's allowlist.", uses: ["allowedDbInstanceClasses"], types: [T.rdsInstance],
      check: (r, s) => (s.allowedDbInstanceClasses.includes(r.props.instanceClass) ? [] : [`instance class ${r.props.instanceClass} is not allowed in ${s.environment}: ${s.allowedDbInstanceClasses.join(", ")}`]) },
    { kind: "resource", name: "cost-db-no-multi-az-dev", pack: "cost", description: "Dev databases are single-AZ.", uses: ["environment"], types: [T.rdsInstance],
      check: (r, s) => (s.environment === "dev" && r.props.multiAz === true ? ["multiAz doubles the database cost; dev runs single-AZ"] : []) },
    {
        kind: "stack", name: "cost-nat-gateway-cap", pack: "cost", description: "The stack runs at most maxNatGateways NAT gateways.", uses: ["maxNatGateways"],
        check: (all, s) => {
            const nats = natGateways(all);
            const count = nats.reduce((a, n) => a + n.count, 0);
            return count > s.maxNatGateways ? [{ message: `${count} NAT gateways (${nats.map((n) => `${n.resource.name}: ${n.basis}`).join("; ")}), above the cap of ${s.maxNatGateways}` }] : [];
        },
    } satisfies StackRule,
    { kind: "resource", name: "cost-log-retention-bounded", pack: "cost", description: "Log groups expire their logs within the environment's maximum retention.", uses: ["maxLogRetentionDays"], types: [T.logGroup],
      check: (r, s) => {
          const d = r.props.retentionInDays;
          if (d === undefined || d === 0) return ["retentionInDays is not set: logs are stored (and billed) forever"];
          return d > s.maxLogRetentionDays ? [`retentionInDays ${d} exceeds ${s.maxLogRetentionDays} in ${s.environment}`] : [];
      } },
    {
        kind: "stack", name: "cost-bucket-lifecycle", pack: "cost",
        description: "Every bucket has lifecycle rules that expire or tier data (noncurrent versions too when versioned), with valid transition days.",
        uses: [],
        check: (all) => ofType(all, T.bucket).flatMap((b) => {
            const rules = configuring(b, T.bucketLifecycle, all).flatMap((c) => (c.props.rules ?? []) as any[]).filter((r) => r?.status === "Enabled");
            const problems: string[] = [];
            const reduces = rules.some((r) => r.expiration?.days || (r.transitions ?? []).length || r.noncurrentVersionExpiration);
            if (!reduces) problems.push("no enabled lifecycle rule expires or tiers objects");
            const versioned = configuring(b, T.bucketVersioning, all).some((v) => v.props.versioningConfiguration?.status === "Enabled");
            if (versioned && !rules.some((r) => r.noncurrentVersionExpiration?.noncurrentDays)) problems.push("versioned, but no rule expires noncurrent versions");
            for (const r of rules) {
                const t = (r.transitions ?? []) as any[];
                const ia = t.find((x) => x?.storageClass === "STANDARD_IA")?.days;
                const glacier = t.find((x) => x?.storageClass === "GLACIER_IR")?.days;
                if (ia !== undefined && glacier !== undefined) {
                    for (const p of lifecycleProblems({ noncurrentVersionDays: 1, infrequentAccessDays: ia, glacierDays: glacier, expirationDays: r.expiration?.days })) problems.push(`rule ${r.id ?? ""}: ${p.message}`);
                }
            }
            return problems.map((message) => ({ urn: b.urn, message: `bucket ${b.name}: ${message}` }));
        }),
    } satisfies StackRule,
    {
        kind: "stack", name: "cost-required-tags", pack: "cost", description: "Every taggable resource carries the cost-allocation tags (the AWS provider's default tags count).", uses: ["requiredTags"],
        check: (all, s) => {
            const defaultProvider = all.find((r) => r.type === T.awsProvider && r.name.startsWith("default"));
            return all
                .filter((r) => TAGGABLE_TYPES.includes(r.type))
                .flatMap((r) => {
                    const tags = effectiveTags(r, defaultProvider?.props ? { urn: defaultProvider.urn, type: defaultProvider.type, props: defaultProvider.props } : undefined);
                    const missing = s.requiredTags.filter((t) => !tags[t]);
                    return missing.length ? [{ urn: r.urn, message: `${r.name} lacks tag(s) ${missing.join(", ")} (set them as the AWS provider's defaultTags)` }] : [];
                });
        },
    } satisfies StackRule,
    { kind: "resource", name: "cost-fargate-task-size", pack: "cost", description: "Fargate task sizes stay under the environment's caps.", uses: ["maxFargateCpu", "maxFargateMemoryMiB"], types: [T.ecsTaskDefinition],
      check: (r, s) => {
          if (!((r.props.requiresCompatibilities ?? []) as string[]).includes("FARGATE")) return [];
          const out: string[] = [];
          if (Number(r.props.cpu) > s.maxFargateCpu) out.push(`cpu ${r.props.cpu} exceeds ${s.maxFargateCpu} in ${s.environment}`);
          if (Number(r.props.memory) > s.maxFargateMemoryMiB) out.push(`memory ${r.props.memory} MiB exceeds ${s.maxFargateMemoryMiB} in ${s.environment}`);
          return out;
      } },
    { kind: "resource", name: "cost-studio-instance-types", pack: "cost", description: "Studio domains and user profiles name only the environment's allowed JupyterLab instance types as their default.", uses: ["allowedStudioInstanceTypes"], types: STUDIO_TYPES,
      check: (r, s) => studioInstanceTypes(r).filter(([, t]) => !s.allowedStudioInstanceTypes.includes(String(t))).map(([at, t]) => `${at} ${t} is not allowed in ${s.environment}: ${s.allowedStudioInstanceTypes.join(", ")}`) },
    { kind: "resource", name: "cost-studio-idle-shutdown", pack: "cost", description: "Studio domains shut JupyterLab down when idle (lifecycleManagement ENABLED, idle and maximum idle timeouts within maxStudioIdleMinutes); no user profile disables it or raises the timeouts above the limit.", uses: ["maxStudioIdleMinutes"], types: STUDIO_TYPES,
      check: (r, s) => idleProblems(r, s.maxStudioIdleMinutes, s.environment) },
    { kind: "resource", name: "cost-studio-space-storage", pack: "cost", description: "Studio domains set the default and maximum EBS size of a space within maxStudioSpaceGb; no user profile exceeds it.", uses: ["maxStudioSpaceGb"], types: STUDIO_TYPES,
      check: (r, s) => spaceProblems(r, s.maxStudioSpaceGb, s.environment) },
    {
        kind: "stack", name: "cost-monthly-budget", pack: "cost", description: "The estimated typical month stays within the stack's monthly budget.", uses: ["monthlyBudgetUsd", "usage", "environment"],
        check: (all, s) => {
            const e = estimateCost(all, s);
            if (e.exact.monthlyUsd <= s.monthlyBudgetUsd) return [];
            const top = [...e.items].sort((a, b) => b.monthlyUsd - a.monthlyUsd).slice(0, 3).map((i) => `${i.resource} $${i.monthlyUsd}`);
            return [{ message: `estimated typical month ${e.uncertain ? "about " : ""}$${e.monthlyUsd} (idle $${e.idleMonthlyUsd}) exceeds the budget of $${s.monthlyBudgetUsd}; largest: ${top.join(", ")}${e.unpriced.length ? `; ${e.unpriced.length} item(s) not priced` : ""}` }];
        },
    } satisfies StackRule,
];

