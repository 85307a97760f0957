/**
 * The cost estimator: prices a resource list with the committed price table (prices.ts). Fixed monthly costs (what the
 * stack costs with no job running: the "idle" month) come from the resources themselves; a usage scenario from the
 * policy settings adds Batch instance-hours, S3 storage, log ingestion and NAT traffic for a "typical" month.
 * Figures are rounded to two significant digits, prices that public sources disagree on are marked uncertain, and
 * resources whose cost the table cannot price are listed as unpriced rather than counted as zero.
 *
 * Pure module: no Pulumi import.
 */
import { largestGpuCount } from "../../components/batch/queue-rules";
import { HOURS_PER_WEEK, weeklyHoursBetween } from "../../components/office-hours-rules";
import { PolicySettings, STUDIO_HOURS_ASSUMPTION } from "../lib/settings";
import { LOAD_BALANCERS, T } from "../lib/types";
import { getPath, ofType, referenced, ResourceView } from "../lib/view";
import { EC2, HOURS_PER_MONTH, perVcpuHour, Price, PRICES, RDS, RESERVATION_PRICES, ReservationPrices, STUDIO_INSTANCES } from "./prices";
import { priceReservations, renderReservations, ReservationCandidate, ReservationReport } from "./reservations";

export type CostCategory = "serving" | "workspaces" | "database" | "containers" | "batch" | "network" | "load balancing" | "security" | "monitoring" | "storage" | "logs";

export interface CostItem {
    /** Logical name of the resource, or the usage line. */
    resource: string;
    urn?: string;
    type?: string;
    category: CostCategory;
    /** `fixed`: paid while idle; `usage`: the typical month's scenario. */
    kind: "fixed" | "usage";
    monthlyUsd: number;
    /** How the figure was computed, with the prices used. */
    basis: string;
    uncertain?: boolean;
}

export interface UnpricedItem {
    resource: string;
    urn?: string;
    type?: string;
    reason: string;
}

export interface CostEstimate {
    /** Typical month: fixed + usage scenario, rounded. */
    monthlyUsd: number;
    /** Idle month: fixed costs only, rounded. */
    idleMonthlyUsd: number;
    /** Unrounded totals, for comparisons (the budget rule). */
    exact: { monthlyUsd: number; idleMonthlyUsd: number };
    /** True when any figure rests on a price marked uncertain. */
    uncertain: boolean;
    items: CostItem[];
    unpriced: UnpricedItem[];
    /**
     * Reserved capacity (policies/cost/reservations.ts): the steady resources under one-year commitments, never part of
     * the totals above. Absent when the stack has no database or Fargate service.
     */
    reservations?: ReservationReport & { environment: string; candidates: ReservationCandidate[] };
}

/** Two significant digits (at least $0.1 resolution): the table's precision does not support more. */
export function roundEstimate(usd: number): number {
    if (usd === 0) return 0;
    if (Math.abs(usd) < 1) return Number((Math.round(usd * 10) / 10).toFixed(1));
    return Number(usd.toPrecision(2));
}

const money = (n: number) => `$${Number(n.toPrecision(4))}`;
const monthly = (price: Price) => price.usd * HOURS_PER_MONTH;

/** NAT gateways of the stack: standalone ones, plus awsx VPCs' gateways when their children are not in the list. */
export function natGateways(all: ResourceView[]): Array<{ resource: ResourceView; count: number; basis: string }> {
    const standalone = ofType(all, T.natGateway).map((n) => ({ resource: n, count: 1, basis: "aws:ec2/natGateway" }));
    const vpcs = ofType(all, T.awsxVpc)
        .filter((v) => !standalone.some((n) => n.resource.parent === v.urn))
        .map((v) => {
            const strategy = v.props.natGateways?.strategy ?? "OnePerAz";
            const azs = Number(v.props.numberOfAvailabilityZones ?? (v.props.availabilityZoneNames ?? []).length) || 3;
            const count = strategy === "None" ? 0 : strategy === "Single" ? 1 : azs;
            return { resource: v, count, basis: `awsx Vpc natGateways.strategy ${strategy}${strategy === "OnePerAz" ? ` x ${azs} AZs` : ""}` };
        });
    return [...standalone, ...vpcs].filter((n) => n.count > 0);
}

/** Assumed image sizes: a cached official image (python:3.x is about 0.4 GB compressed) and a team ML image. */
export const ECR_ASSUMED_GB = { cached: 0.4, own: 2 };

/** The image count an ECR lifecycle policy keeps (its `imageCountMoreThan` rule for any tag), or undefined. */
export function keptImages(policy: unknown): number | undefined {
    let doc: any = policy;
    try {
        if (typeof policy === "string") doc = JSON.parse(policy);
    } catch {
        return undefined;
    }
    const rule = ((doc?.rules ?? []) as any[]).find((r) => r?.selection?.countType === "imageCountMoreThan" && r?.selection?.tagStatus === "any");
    return rule ? Number(rule.selection.countNumber) : undefined;
}

/** GPU compute environments: GPU instance families, or the NVIDIA ECS AMI. */
export function isGpuComputeEnvironment(ce: ResourceView): boolean {
    const types: string[] = ce.props.computeResources?.instanceTypes ?? [];
    const nvidia = ((ce.props.computeResources?.ec2Configurations ?? []) as any[]).some((c) => /NVIDIA|GPU/i.test(String(c?.imageType ?? "")));
    return nvidia || largestGpuCount(types) > 0 || types.some((t) => /^(g\d|p\d)/.test(t));
}

export const isSpotComputeEnvironment = (ce: ResourceView) => ["SPOT", "FARGATE_SPOT"].includes(String(ce.props.computeResources?.type ?? ""));

/** Fargate task size of a service: its task definition's cpu units and memory MiB, and whether it runs on ARM. */
function fargateSize(service: ResourceView, all: ResourceView[]): { cpu: number; memoryMiB: number; arm: boolean } | undefined {
    if (service.type === "awsx:ecs:FargateService") {
        const td = service.props.taskDefinitionArgs ?? {};
        const containers = Object.values(td.containers ?? (td.container ? { c: td.container } : {})) as any[];
        const cpu = Number(td.cpu ?? containers.reduce((s, c) => s + Number(c?.cpu ?? 0), 0));
        const memory = Number(td.memory ?? containers.reduce((s, c) => s + Number(c?.memory ?? 0), 0));
        return cpu && memory ? { cpu, memoryMiB: memory, arm: td.runtimePlatform?.cpuArchitecture === "ARM64" } : undefined;
    }
    const [td] = referenced(service, "taskDefinition", ofType(all, T.ecsTaskDefinition));
    if (!td) return undefined;
    const cpu = Number(td.props.cpu);
    const memory = Number(td.props.memory);
    return cpu && memory ? { cpu, memoryMiB: memory, arm: td.props.runtimePlatform?.cpuArchitecture === "ARM64" } : undefined;
}

/** Tasks an ECS service keeps running while idle: the larger of desiredCount and its autoscaling minimum. */
function idleTasks(service: ResourceView, all: ResourceView[]): number {
    const desired = Number(service.props.desiredCount ?? 0);
    const name = service.props.name ?? service.outputs?.name;
    const targets = ofType(all, "aws:appautoscaling/target:Target").filter(
        (t) =>
            t.props.serviceNamespace === "ecs" &&
            ((t.propertyDependencies?.resourceId ?? []).includes(service.urn) || (typeof name === "string" && String(t.props.resourceId ?? "").endsWith(`/${name}`))),
    );
    return Math.max(desired, ...targets.map((t) => Number(t.props.minCapacity ?? 0)));
}

/**
 * Office hours: the share of the week a service (scheduled scaling of its target to 0 and back) or a database
 * (EventBridge Scheduler stopping and starting it, components/office-hours.ts) runs; 1 without such schedules.
 */
function runningShare(r: ResourceView, all: ResourceView[]): { share: number; hours?: number } {
    let start: string | undefined;
    let stop: string | undefined;
    if (r.type === T.rdsInstance) {
        const id = r.props.identifier ?? r.outputs?.identifier;
        for (const sch of ofType(all, "aws:scheduler/schedule:Schedule")) {
            const target = sch.props.target ?? {};
            let input: Record<string, unknown> = {};
            try {
                input = JSON.parse(String(target.input ?? "{}"));
            } catch {
                continue;
            }
            if (id === undefined || input.DBInstanceIdentifier !== id) continue;
            if (target.arn === "arn:aws:scheduler:::aws-sdk:rds:startDBInstance") start = sch.props.scheduleExpression;
            if (target.arn === "arn:aws:scheduler:::aws-sdk:rds:stopDBInstance") stop = sch.props.scheduleExpression;
        }
    } else if (r.type === T.ec2Instance) {
        // Scheduler's ec2:startInstances / ec2:stopInstances naming the instance (its id when known, or a dependency).
        const id = r.id ?? r.outputs?.id;
        for (const sch of ofType(all, "aws:scheduler/schedule:Schedule")) {
            const target = sch.props.target ?? {};
            let ids: unknown = undefined;
            try {
                ids = JSON.parse(String(target.input ?? "{}")).InstanceIds;
            } catch {
                continue;
            }
            const names = (Array.isArray(ids) && id !== undefined && ids.includes(id)) || (sch.propertyDependencies?.target ?? []).includes(r.urn);
            if (!names) continue;
            if (target.arn === "arn:aws:scheduler:::aws-sdk:ec2:startInstances") start = sch.props.scheduleExpression;
            if (target.arn === "arn:aws:scheduler:::aws-sdk:ec2:stopInstances") stop = sch.props.scheduleExpression;
        }
    } else {
        const name = r.props.name ?? r.outputs?.name;
        const actions = ofType(all, "aws:appautoscaling/scheduledAction:ScheduledAction").filter((a) => a.props.serviceNamespace === "ecs" && typeof name === "string" && String(a.props.resourceId ?? "").endsWith(`/${name}`));
        for (const a of actions) {
            const max = Number(a.props.scalableTargetAction?.maxCapacity);
            if (max === 0) stop = a.props.schedule;
            else if (max > 0) start = a.props.schedule;
        }
    }
    const hours = start && stop ? weeklyHoursBetween(start, stop) : undefined;
    return hours === undefined ? { share: 1 } : { share: hours / HOURS_PER_WEEK, hours };
}

/** Where the estimate's lines accumulate: the priced items, and the resources the table cannot price. */
interface Ledger {
    items: CostItem[];
    unpriced: UnpricedItem[];
    /** Adds a resource's fixed monthly cost (paid while idle). */
    fixed(r: ResourceView, category: CostCategory, usd: number, basis: string, uncertain?: boolean): void;
    /** Lists a resource as unpriced, with the reason, rather than counting it as zero. */
    none(r: ResourceView, reason: string): void;
    /** The database and Fargate services priced on-demand, for the reserved-capacity section. */
    candidates: ReservationCandidate[];
}

/** An empty ledger whose `fixed` and `none` record a resource's name, URN and type with each line. */
function newLedger(): Ledger {
    const items: CostItem[] = [];
    const unpriced: UnpricedItem[] = [];
    return {
        items,
        unpriced,
        candidates: [],
        fixed: (r, category, usd, basis, uncertain) =>
            items.push({ resource: r.name, urn: r.urn, type: r.type, category, kind: "fixed", monthlyUsd: usd, basis, ...(uncertain ? { uncertain } : {}) }),
        none: (r, reason) => unpriced.push({ resource: r.name, urn: r.urn, type: r.type, reason }),
    };
}

/** The hours part of a basis: the full 730 h month, or its office-hours share when schedules stop the resource. */
function hoursBasis(on: { hours?: number }): string {
    return on.hours === undefined ? "730 h" : `730 h x ${on.hours}/${HOURS_PER_WEEK} (office hours)`;
}

/** RDS instances: instance hours (office hours apply) plus allocated storage, at single-AZ or Multi-AZ prices. */
function priceDatabases(l: Ledger, all: ResourceView[]): void {
    for (const db of ofType(all, T.rdsInstance)) {
        const cls = String(db.props.instanceClass ?? "");
        const multi = db.props.multiAz === true;
        const row = RDS[cls];
        if (!row) {
            l.none(db, `no price for instance class ${cls || "(unset)"}`);
            continue;
        }
        const price = multi ? row.multi : row.single;
        const gb = Number(db.props.allocatedStorage ?? 20);
        const storage = multi ? PRICES.rdsStorageMultiAz : PRICES.rdsStorageSingleAz;
        const on = runningShare(db, all);
        l.candidates.push({ kind: "database", resource: db.name, instanceClass: cls, multiAz: multi, onDemandHourly: price, hoursPerMonth: HOURS_PER_MONTH * on.share });
        l.fixed(db, "database", monthly(price) * on.share + gb * storage.usd, `${cls} ${multi ? "Multi-AZ" : "single-AZ"} ${money(price.usd)}/h x ${hoursBasis(on)} + ${gb} GB x ${money(storage.usd)}`, price.uncertain);
    }
}

/** Fargate services: the tasks each keeps running while idle, at its task size (ARM priced apart, office hours apply). */
function priceFargateServices(l: Ledger, all: ResourceView[]): void {
    for (const svc of ofType(all, T.ecsService, "awsx:ecs:FargateService")) {
        const fargate = svc.type === "awsx:ecs:FargateService" || svc.props.launchType === "FARGATE" || ((svc.props.capacityProviderStrategies ?? []) as any[]).some((c) => String(c?.capacityProvider).startsWith("FARGATE"));
        if (!fargate) continue;
        const size = fargateSize(svc, all);
        if (!size) {
            l.none(svc, "task size unknown (no task definition cpu/memory found)");
            continue;
        }
        const tasks = idleTasks(svc, all);
        const [vcpu, gb] = size.arm ? [PRICES.fargateArmVcpu, PRICES.fargateArmGb] : [PRICES.fargateVcpu, PRICES.fargateGb];
        const perTask = (size.cpu / 1024) * monthly(vcpu) + (size.memoryMiB / 1024) * monthly(gb);
        const on = runningShare(svc, all);
        const [cpus, gbs] = [size.cpu / 1024, size.memoryMiB / 1024];
        if (tasks > 0) l.candidates.push({ kind: "fargate", resource: svc.name, tasks, vcpu: cpus, gb: gbs, arm: size.arm, onDemandHourly: tasks * (cpus * vcpu.usd + gbs * gb.usd), hoursPerMonth: HOURS_PER_MONTH * on.share });
        l.fixed(svc, "containers", tasks * perTask * on.share, `${tasks} task(s) x (${size.cpu / 1024} vCPU x ${money(vcpu.usd)} + ${size.memoryMiB / 1024} GB x ${money(gb.usd)}) x ${hoursBasis(on)}${size.arm ? " (ARM)" : ""}`);
    }
}

/** Application and network load balancers: their hourly price; capacity units are usage and stay unpriced. */
function priceLoadBalancers(l: Ledger, all: ResourceView[]): void {
    for (const lb of ofType(all, ...LOAD_BALANCERS)) {
        const kind = lb.props.loadBalancerType ?? "application";
        const price = kind === "network" ? PRICES.nlb : kind === "application" ? PRICES.alb : undefined;
        if (!price) l.none(lb, `no price for ${kind} load balancers`);
        else l.fixed(lb, "load balancing", monthly(price), `${kind} load balancer ${money(price.usd)}/h x 730 h, plus capacity units (usage, unpriced)`);
    }
}

/** NAT gateways, interface endpoints and Elastic IPs: network charges paid by the hour whether traffic flows or not. */
function priceNetwork(l: Ledger, all: ResourceView[], nats: ReturnType<typeof natGateways>): void {
    // A standalone NAT gateway's address is its Elastic IP, priced above; an awsx VPC's gateways hide theirs.
    for (const n of nats) {
        const hidden = n.resource.type === T.awsxVpc;
        const hourly = PRICES.natGateway.usd + (hidden ? PRICES.publicIpv4.usd : 0);
        l.fixed(n.resource, "network", n.count * hourly * HOURS_PER_MONTH, `${n.count} NAT gateway(s) (${n.basis}) x ${money(PRICES.natGateway.usd)}/h${hidden ? ` + its public IPv4 ${money(PRICES.publicIpv4.usd)}/h` : ""} x 730 h`);
    }

    for (const ep of ofType(all, T.vpcEndpoint)) {
        if ((ep.props.vpcEndpointType ?? "Gateway") !== "Interface") continue;
        const azs = (ep.props.subnetIds ?? []).length || 1;
        l.fixed(ep, "network", azs * monthly(PRICES.interfaceEndpoint), `interface endpoint in ${azs} AZ(s) x ${money(PRICES.interfaceEndpoint.usd)}/h x 730 h`);
    }

    // Elastic IPs (a NAT gateway's among them) are billed around the clock, attached or not.
    for (const eip of ofType(all, T.eip)) l.fixed(eip, "network", monthly(PRICES.publicIpv4), `public IPv4 address ${money(PRICES.publicIpv4.usd)}/h x 730 h`);
}

/** EC2 instances (the access instance): instance hours and public address under office hours, the volume always. */
function priceInstances(l: Ledger, all: ResourceView[]): void {
    // Instance hours and an instance's own public address follow office hours (EC2 releases the address while the
    // instance is stopped); its volume is billed around the clock.
    for (const vm of ofType(all, T.ec2Instance)) {
        const type = String(vm.props.instanceType ?? "");
        const price = EC2[type];
        const gb = Number(vm.props.rootBlockDevice?.volumeSize ?? 8);
        if (!price) {
            l.none(vm, `no price for instance type ${type || "(unset)"}`);
            continue;
        }
        const on = runningShare(vm, all);
        const ipv4 = String(vm.props.associatePublicIpAddress) === "true";
        const hourly = price.usd + (ipv4 ? PRICES.publicIpv4.usd : 0);
        l.fixed(
            vm,
            "network",
            hourly * HOURS_PER_MONTH * on.share + gb * PRICES.ebsGp3.usd,
            `(${type} ${money(price.usd)}/h${ipv4 ? ` + public IPv4 ${money(PRICES.publicIpv4.usd)}/h` : ""}) x ${hoursBasis(on)} + ${gb} GB gp3 x ${money(PRICES.ebsGp3.usd)}`,
            price.uncertain,
        );
    }
}

/** KMS keys, secrets, advanced parameters, alarms and dashboards: flat monthly prices; Contributor Insights unpriced. */
function priceSecurityAndMonitoring(l: Ledger, all: ResourceView[]): void {
    for (const k of ofType(all, T.kmsKey)) l.fixed(k, "security", PRICES.kmsKey.usd, `customer-managed key ${money(PRICES.kmsKey.usd)}/month, plus requests`);
    for (const sec of ofType(all, T.secret)) l.fixed(sec, "security", PRICES.secret.usd, `secret ${money(PRICES.secret.usd)}/month`);
    for (const prm of ofType(all, T.ssmParameter)) if (prm.props.tier === "Advanced") l.fixed(prm, "security", PRICES.ssmAdvancedParameter.usd, "advanced parameter");
    // Alarms cost cents each: one line for all of them keeps the table readable.
    const alarms = ofType(all, T.metricAlarm);
    if (alarms.length) {
        l.items.push({ resource: "CloudWatch alarms", type: T.metricAlarm, category: "monitoring", kind: "fixed", monthlyUsd: alarms.length * PRICES.alarm.usd, basis: `${alarms.length} standard alarm(s) x ${money(PRICES.alarm.usd)}/month` });
    }
    for (const d of ofType(all, T.dashboard)) l.fixed(d, "monitoring", PRICES.dashboard.usd, `dashboard ${money(PRICES.dashboard.usd)}/month`);
    for (const r of ofType(all, T.contributorInsightRule)) l.none(r, "Contributor Insights: charged per rule-month and per matched log event, no price in the shared reference");
}

/** Batch compute environments with minvCpus above 0: those vCPUs run all month, at the cheapest listed type (or Fargate). */
function priceAlwaysOnBatch(l: Ledger, ces: ResourceView[], s: PolicySettings): void {
    for (const ce of ces) {
        const min = Number(ce.props.computeResources?.minVcpus ?? 0);
        if (min <= 0) continue;
        const cr = ce.props.computeResources ?? {};
        const types: string[] = ((cr.instanceTypes ?? []) as string[]).map((t) => (t === "optimal" ? "c4" : t));
        const prices = types.map(perVcpuHour).filter((x): x is { usd: number; type: string } => x !== undefined);
        if (String(cr.type).startsWith("FARGATE")) {
            l.fixed(ce, "batch", min * monthly(PRICES.fargateVcpu), `minvCpus ${min} on Fargate x ${money(PRICES.fargateVcpu.usd)}/vCPU-h x 730 h (memory extra)`);
            continue;
        }
        if (!prices.length) {
            l.none(ce, `minvCpus ${min} keeps instances running, but no price for ${types.join(", ") || "its instance types"}`);
            continue;
        }
        const cheapest = prices.reduce((a, b) => (b.usd < a.usd ? b : a));
        const factor = isSpotComputeEnvironment(ce) ? s.usage.spotFactor : 1;
        l.fixed(ce, "batch", min * cheapest.usd * HOURS_PER_MONTH * factor, `minvCpus ${min} always on, at ${cheapest.type} ${money(cheapest.usd)}/vCPU-h x 730 h${factor !== 1 ? ` x spot factor ${factor}` : ""}`);
    }
}

/** ECR repositories and pull-through cache templates: the storage their lifecycle policy bounds, or unpriced without one. */
function priceEcrStorage(l: Ledger, all: ResourceView[]): void {
    // ECR: storage only, bounded by each repository's lifecycle policy (the newest N images); sizes are assumptions.
    const lifecycles = ofType(all, "aws:ecr/lifecyclePolicy:LifecyclePolicy");
    for (const r of ofType(all, "aws:ecr/repository:Repository", "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate")) {
        const template = r.type.endsWith("RepositoryCreationTemplate");
        const policy = template ? r.props.lifecyclePolicy : lifecycles.find((lc) => lc.props.repository === r.props.name || referenced(lc, "repository", [r]).length)?.props.policy;
        const keep = keptImages(policy);
        const gb = template ? ECR_ASSUMED_GB.cached : ECR_ASSUMED_GB.own;
        if (keep === undefined) l.none(r, "no lifecycle policy bounds its images: ECR storage grows with every push");
        else l.fixed(r, "storage", keep * gb * PRICES.ecrStorage.usd, `${template ? "pull-through cache: " : ""}lifecycle keeps at most ${keep} images x ${gb} GB (assumed) x ${money(PRICES.ecrStorage.usd)}/GB-month`, true);
    }
}

/** Budgets, EFS, DynamoDB and API Gateway: billed per use or account-wide, so listed as unpriced with the reason. */
function listUsageBilled(l: Ledger, all: ResourceView[]): void {
    for (const r of ofType(all, T.budget)) l.none(r, "AWS Budgets: an account's first two budgets are free, each further one $0.02/day; the count is account-wide");
    for (const r of ofType(all, T.efsFileSystem)) l.none(r, "EFS storage is billed by usage");
    for (const r of ofType(all, T.dynamoTable)) l.none(r, "on-demand DynamoDB is billed per request (negligible for Metaflow's foreach state)");
    for (const r of ofType(all, "aws:apigateway/restApi:RestApi", "aws:apigatewayv2/api:Api")) l.none(r, "API Gateway is billed per request");
}

/**
 * Serving's usage assumption per model and environment: requests a month x seconds each x the endpoint's memory (GB).
 * dev: 10k requests (tests); staging: 50k; prod: 1M (about one every 3 s), each 0.2 s at 2 GB, the platform's default
 * serverless memory. Written next to the figure in the estimate's basis.
 */
export const SERVING_USAGE: Record<PolicySettings["environment"], { requests: number; seconds: number; memoryGb: number }> = {
    dev: { requests: 10_000, seconds: 0.2, memoryGb: 2 },
    staging: { requests: 50_000, seconds: 0.2, memoryGb: 2 },
    prod: { requests: 1_000_000, seconds: 0.2, memoryGb: 2 },
};

/**
 * Served models (one model package group each): the endpoint flows deploy is serverless, $0 while idle, and a model
 * package group has no charge of its own (only its artifacts' S3 storage, counted under S3); the typical month adds
 * SERVING_USAGE per model at the serverless GB-second price.
 */
function priceServing(l: Ledger, all: ResourceView[], s: PolicySettings): void {
    const u = SERVING_USAGE[s.environment];
    const price = PRICES.serverlessInferenceGbSecond;
    for (const g of ofType(all, "aws:sagemaker/modelPackageGroup:ModelPackageGroup")) {
        const name = String(g.props.modelPackageGroupName ?? g.name);
        l.fixed(g, "serving", 0, `serverless endpoint ${name} (deployed by flows): $0 while idle (billed per request); model package group: no charge`);
        const gbSeconds = u.requests * u.seconds * u.memoryGb;
        l.items.push({ resource: `Serving ${name}`, category: "serving", kind: "usage", monthlyUsd: gbSeconds * price.usd, basis: `${u.requests} requests x ${u.seconds} s x ${u.memoryGb} GB = ${gbSeconds} GB-s x ${money(price.usd)}/GB-s (serverless inference; data processing extra)`, uncertain: price.uncertain });
    }
}

/** The space volume a profile starts with: its own default, else its domain's, else the platform's 5 GB (AWS's minimum). */
export const DEFAULT_SPACE_GB = 5;
const SPACE_GB = "spaceStorageSettings.defaultEbsStorageSettings.defaultEbsVolumeSizeInGb";
const gbOf = (value: unknown): number | undefined => (typeof value === "number" && value > 0 ? value : undefined);

/**
 * Studio workspaces: the domain has no charge (a $0 line saying so) and JupyterLab instances stop when idle; each user
 * profile's private space keeps an EBS volume of the default size at the SageMaker ML storage rate (a space exists
 * once its engineer first opens Studio: the idle month assumes every engineer has); the domain's home EFS is billed by
 * what engineers store (not priced). The typical month adds `usage.studioHoursPerEngineer` for each profile, at the
 * domain's default instance type.
 */
function priceWorkspaces(l: Ledger, all: ResourceView[], s: PolicySettings): void {
    const domains = ofType(all, T.sagemakerDomain);
    const profiles = ofType(all, T.sagemakerUserProfile);
    const storage = PRICES.sagemakerMlStorage;
    for (const d of domains) {
        l.fixed(d, "workspaces", 0, "Studio domain: no charge (AWS, Usage Metering); JupyterLab instances are billed per hour while running and shut down when idle");
        const own = profiles.filter((p) => domains.length === 1 || referenced(p, "domainId", [d]).length > 0);
        const domainGb = gbOf(getPath(d.props, `defaultUserSettings.${SPACE_GB}`)) ?? DEFAULT_SPACE_GB;
        const gbs = own.map((p) => gbOf(getPath(p.props, `userSettings.${SPACE_GB}`)) ?? domainGb);
        const total = gbs.reduce((a, b) => a + b, 0);
        const sizes = new Set(gbs).size <= 1 ? `${gbs.length} profile(s) x ${domainGb} GB` : `${gbs.join(" + ")} GB`;
        if (own.length) {
            l.items.push({ resource: `${d.name} space volumes`, urn: d.urn, type: d.type, category: "workspaces", kind: "fixed", monthlyUsd: total * storage.usd, basis: `${sizes} (default space volume; a space exists once its engineer opens Studio) x ${money(storage.usd)}/GB-month (SageMaker ML storage)`, uncertain: storage.uncertain });
        }
        l.unpriced.push({ resource: `${d.name} home EFS`, urn: d.urn, type: d.type, reason: `the domain's home EFS (created by SageMaker) is billed by what engineers store: EFS Standard ${money(PRICES.efsStandard.usd)}/GB-month (usage)` });
    }
    const perEngineer = s.usage.studioHoursPerEngineer;
    const hours = profiles.length * perEngineer;
    if (!domains.length || !(hours > 0)) return;
    const type = String(getPath(domains[0].props, "defaultUserSettings.jupyterLabAppSettings.defaultResourceSpec.instanceType") ?? "ml.t3.medium");
    const price = STUDIO_INSTANCES[type];
    if (!price) {
        l.unpriced.push({ resource: "Studio JupyterLab usage", reason: `no price for ${type}` });
        return;
    }
    const a = STUDIO_HOURS_ASSUMPTION[s.environment];
    const basis = `${profiles.length} engineer(s) x ${perEngineer} h (usage.studioHoursPerEngineer; ${s.environment}'s default: ${a.hoursPerDay} h a day, the last hour idle until shutdown, x ${a.days} days) x ${type} ${money(price.usd)}/h`;
    l.items.push({ resource: "Studio JupyterLab", category: "workspaces", kind: "usage", monthlyUsd: hours * price.usd, basis, uncertain: price.uncertain });
}

/** The typical month: the settings' usage scenario (Batch hours, S3, logs, NAT traffic), for the kinds of resources the stack has. */
function priceUsageScenario(l: Ledger, all: ResourceView[], s: PolicySettings, ces: ResourceView[], nats: ReturnType<typeof natGateways>): void {
    const u = s.usage;
    const usage = (resource: string, category: CostCategory, usd: number, basis: string, uncertain?: boolean) =>
        l.items.push({ resource, category, kind: "usage", monthlyUsd: usd, basis, ...(uncertain ? { uncertain } : {}) });
    const mix = u.onDemandShare + (1 - u.onDemandShare) * u.spotFactor;
    const mixBasis = `${Math.round(u.onDemandShare * 100)}% on-demand, the rest spot at ${u.spotFactor} x on-demand`;
    for (const [kind, hours, type, present] of [
        ["CPU", u.cpuInstanceHours, u.cpuInstanceType, ces.some((c) => !isGpuComputeEnvironment(c))],
        ["GPU", u.gpuInstanceHours, u.gpuInstanceType, ces.some(isGpuComputeEnvironment)],
    ] as const) {
        if (!present || hours <= 0) continue;
        const row = EC2[type];
        if (!row) l.unpriced.push({ resource: `Batch ${kind} usage`, reason: `no price for ${type}` });
        else usage(`Batch ${kind} jobs`, "batch", hours * row.usd * mix, `${hours} h of ${type} ${money(row.usd)}/h, ${mixBasis}`, true);
    }
    if (ofType(all, T.bucket).length && u.s3Gb > 0) usage("S3 storage", "storage", u.s3Gb * PRICES.s3Standard.usd, `${u.s3Gb} GB x ${money(PRICES.s3Standard.usd)}/GB-month (Standard; lifecycle tiers cost less)`);
    if ((ofType(all, T.logGroup).length || ces.length || ofType(all, T.ecsService).length) && u.logGb > 0) {
        usage("CloudWatch Logs", "logs", u.logGb * (PRICES.logsIngestion.usd + PRICES.logsStorage.usd), `${u.logGb} GB x (${money(PRICES.logsIngestion.usd)} ingestion + ${money(PRICES.logsStorage.usd)} storage)`);
    }
    if (nats.length && u.natGb > 0) usage("NAT data processing", "network", u.natGb * PRICES.natGb.usd, `${u.natGb} GB x ${money(PRICES.natGb.usd)}/GB`);
}

/** The idle and typical totals, rounded for display and exact for comparisons, with every item rounded. */
function summarise(l: Ledger, environment: string, reservationPrices: ReservationPrices): CostEstimate {
    const { items, unpriced } = l;
    const idle = items.filter((i) => i.kind === "fixed").reduce((a, i) => a + i.monthlyUsd, 0);
    const typical = items.reduce((a, i) => a + i.monthlyUsd, 0);
    return {
        monthlyUsd: roundEstimate(typical),
        idleMonthlyUsd: roundEstimate(idle),
        exact: { monthlyUsd: typical, idleMonthlyUsd: idle },
        uncertain: items.some((i) => i.uncertain),
        items: items.map((i) => ({ ...i, monthlyUsd: roundEstimate(i.monthlyUsd) })),
        unpriced,
        ...(l.candidates.length ? { reservations: { environment, candidates: l.candidates, ...priceReservations(l.candidates, reservationPrices) } } : {}),
    };
}

/**
 * Prices a resource list: the fixed costs resource kind by resource kind (the idle month), then the usage scenario
 * (the typical month). The order of the steps is the order of the items in the estimate.
 */
export function estimateCost(all: ResourceView[], s: PolicySettings, reservationPrices: ReservationPrices = RESERVATION_PRICES): CostEstimate {
    const l = newLedger();
    const nats = natGateways(all);
    const ces = ofType(all, T.computeEnvironment);
    priceDatabases(l, all);
    priceFargateServices(l, all);
    priceLoadBalancers(l, all);
    priceNetwork(l, all, nats);
    priceInstances(l, all);
    priceSecurityAndMonitoring(l, all);
    priceAlwaysOnBatch(l, ces, s);
    priceEcrStorage(l, all);
    listUsageBilled(l, all);
    priceServing(l, all, s);
    priceWorkspaces(l, all, s);
    priceUsageScenario(l, all, s, ces, nats);
    return summarise(l, s.environment, reservationPrices);
}

/** The estimate as a table by resource and category, with idle and typical totals. */
export function renderCostTable(e: CostEstimate): string {
    const rows = [...e.items].sort((a, b) => (a.kind === b.kind ? a.category.localeCompare(b.category) || b.monthlyUsd - a.monthlyUsd : a.kind === "fixed" ? -1 : 1));
    const cell = (i: CostItem) => `${i.uncertain ? "~" : ""}$${i.monthlyUsd}`;
    const w = {
        cat: Math.max(8, ...rows.map((r) => r.category.length)),
        res: Math.max(8, ...rows.map((r) => r.resource.length)),
        usd: Math.max(9, ...rows.map((r) => cell(r).length)),
    };
    const line = (c: string, r: string, k: string, u: string, b: string) => `  ${c.padEnd(w.cat)}  ${r.padEnd(w.res)}  ${k.padEnd(5)}  ${u.padStart(w.usd)}  ${b}`;
    const out = [line("category", "resource", "kind", "USD/month", "basis"), line("-".repeat(w.cat), "-".repeat(w.res), "-----", "-".repeat(w.usd), "-----")];
    for (const r of rows) out.push(line(r.category, r.resource, r.kind, cell(r), r.basis));
    const byCategory = new Map<string, number>();
    for (const r of e.items) byCategory.set(r.category, (byCategory.get(r.category) ?? 0) + r.monthlyUsd);
    const categories = [...byCategory.entries()].sort((a, b) => b[1] - a[1]);
    out.push("", `  by category: ${categories.map(([c, v]) => `${c} $${roundEstimate(v)}`).join(", ") || "none"}`);
    out.push(`  idle month (fixed costs, no job running): ${e.uncertain ? "about " : ""}$${e.idleMonthlyUsd}`);
    out.push(`  typical month (fixed + usage scenario):   ${e.uncertain ? "about " : ""}$${e.monthlyUsd}`);
    if (e.unpriced.length) out.push(`  not priced (not counted): ${e.unpriced.map((u) => `${u.resource} (${u.reason})`).join("; ")}`);
    out.push("  Figures: us-east-1 list prices from policies/cost/prices.ts, two significant digits; ~ marks uncertain prices.");
    if (e.reservations) out.push(...renderReservations(e.reservations));
    return out.join("\n");
}
