/**
 * The one typed configuration of a stack. `loadConfig` takes the raw key/value map Pulumi hands the program (or the
 * offline plan reads from Pulumi.<stack>.yaml), applies the environment profile's defaults, validates every key and
 * the rules between keys, and returns either the typed `PlatformConfig` or every problem found.
 *
 * Pure module: the program calls it before registering any resource; tests and scripts call it directly.
 */
import { ArtifactLifecycle, lifecycleProblems } from "../../components/artifact-bucket/rules";
import { FlowDeploySources } from "../../components/flow-deploy-role";
import { ModelMonitoringSettings } from "../../components/monitoring/rules";
import { QueueSpec } from "../../components/batch/queue-rules";
import {
    FeatureField,
    featureProblems,
    fargateSizeProblem,
    OIDC_FIELDS,
    OidcSettings,
    pinnedImageProblem,
    serviceImageProblem,
    storageCeilingProblem,
    TaskCounts,
    taskCountProblems,
} from "../../components/metaflow-service/rules";
import { EgressMode, ipv4CidrProblem } from "../../components/network-rules";
import { resolveServing, ServingSettings, servingApproverProblems, servingNameProblems } from "../../components/serving/rules";
import { resolveWorkspaces, STUDIO_COST_LIMITS, StudioCostLimits, workspaceLimitProblems, WorkspacesInput, WorkspacesSettings } from "../../components/workspaces/rules";
import { duplicateTriggerNames, PREFIX_WITHOUT_HYPHEN, TriggerSpec, validateTrigger } from "../../components/sfn/rules";
import { accessKeys } from "./keys/access";
import { artifactKeys } from "./keys/artifacts";
import { batchKeys, QueueOverride, resolveQueues } from "./keys/batch";
import { coreKeys, LOG_RETENTION_DAYS } from "./keys/core";
import { CostPolicyLimits, costPolicyKeys } from "./keys/cost-policy";
import { monitoringKeys } from "./keys/monitoring";
import { serviceKeys } from "./keys/service";
import { servingKeys } from "./keys/serving";
import { workspaceKeys } from "./keys/workspaces";
import type { OfficeHoursSettings } from "../../components/office-hours-rules";
import { sfnKeys } from "./keys/sfn";
import { AWS_REGIONS } from "./regions";
import {
    ConfigProblem,
    editDistance,
    ENVIRONMENTS,
    Environment,
    formatProblem,
    KeySpec,
    nearest,
    parseValue,
    profileValue,
    show,
    Values,
} from "./spec";

export { ConfigProblem, Environment, formatProblem } from "./spec";

export const PROJECT = "metaflow-platform";

/** Every key of the project namespace. Adding a section: spread its keys here and map them in `assemble`. */
export const PROJECT_KEYS = { ...coreKeys, ...costPolicyKeys, ...artifactKeys, ...batchKeys, ...sfnKeys, ...serviceKeys, ...accessKeys, ...monitoringKeys, ...servingKeys, ...workspaceKeys } as const;
export type KeyName = keyof typeof PROJECT_KEYS;
type KeyValues = Values<typeof PROJECT_KEYS>;

/** Keys of the `aws` namespace the program reads and forwards to its AWS provider. */
export const AWS_KEYS: Record<string, string> = {
    region: "Region of every resource (required).",
    profile: "Named AWS CLI profile used for credentials.",
    allowedAccountIds: "List of account IDs the stack may deploy into: a guard against deploying with the wrong credentials.",
};

export interface ArtifactSettings {
    noncurrentVersionDays: number;
    infrequentAccessDays: number;
    glacierDays: number;
    expirationDays?: number;
    accessLogging: boolean;
    eventBridge: boolean;
}

/** The metadata service section: sizes, database, and the optional public API and UI. */
export interface ServiceSettings {
    image: string;
    cpu: number;
    memory: number;
    desiredTasks: number;
    minTasks: number;
    maxTasks: number;
    cpuTargetPercent: number;
    database: { instanceClass: string; storageGb: number; maxStorageGb: number; backupDays: number; multiAz: boolean };
    certificateArn?: string;
    domainName?: string;
    publicApi: boolean;
    /** With publicApi: this stack sets the account's API Gateway CloudWatch role (one per account and region). */
    publicApiAccountRole: boolean;
    /** Load balancer access logs to a log bucket. */
    accessLogs: boolean;
    ui?: {
        staticImage: string;
        backend: { cpu: number; memory: number };
        static: { cpu: number; memory: number };
        /** OIDC authentication at the load balancer; the client secret is plain here and wrapped as a secret by the composition. */
        oidc?: OidcSettings & { clientSecret: string };
    };
}

export interface PlatformConfig {
    project: string;
    stack: string;
    environment: Environment;
    region: string;
    awsProfile?: string;
    allowedAccountIds?: string[];
    /** Short prefix for physical names. */
    namePrefix: string;
    /** Cost-allocation tags applied to every resource through the provider's default tags. */
    tags: Record<string, string>;
    /** protect + retainOnDelete on stateful resources. */
    protect: boolean;
    logRetentionDays: number;
    monthlyBudgetUsd: number;
    /** The stack's cost-policy limits over the environment's defaults (policies/config/<stack>.json). */
    costPolicy: CostPolicyLimits;
    references: { foundation?: string; dask?: string };
    /** IAM roles that get the engineer policy. */
    engineerRoleNames: string[];
    /** Who may deploy flows from CI (the GitHub OIDC deploy role); none when absent. */
    flowDeploy?: FlowDeploySources;
    /** Session Manager access instance (stacks without a foundation). */
    accessInstance: boolean;
    /** The VPC a stack without a foundation builds: its CIDR and how it reaches the internet. */
    network: { vpcCidr: string; egress: EgressMode };
    artifacts: ArtifactSettings;
    batch: {
        queues: QueueSpec[];
        defaultQueue: string;
        /** Root volume of every EC2 instance unless its queue says otherwise, GiB. */
        rootVolumeGiB: number;
        /** Minutes a job may wait RUNNABLE for capacity unless its queue says otherwise. */
        runnableTimeLimitMinutes: number;
        /** Root volumes use the platform key (true) or the account's aws/ebs key (false). */
        rootVolumePlatformKey: boolean;
    };
    service: ServiceSettings;
    /** Outside these hours the service scales to zero and its database stops; false: always on. */
    officeHours: OfficeHoursSettings | false;
    monitoring: {
        /** Alarms, failure notifications and the budget (components/monitoring). */
        enabled: boolean;
        /** Subscribed to the alarm topic. */
        alarmEmail?: string;
        /** Namespace and thresholds of the model metrics: alarms, and the settings flows read. */
        models: ModelMonitoringSettings;
    };
    /** Models served on SageMaker (components/serving); none when absent. */
    serving?: ServingSettings;
    /** SageMaker Studio workspaces (components/workspaces); none when absent. */
    workspaces?: WorkspacesSettings;
    sfn: {
        /** `<prefix>_<FlowName>` state machines: METAFLOW_SFN_STATE_MACHINE_PREFIX. */
        stateMachinePrefix: string;
        triggers: TriggerSpec[];
    };
}

export type LoadResult = { ok: true; config: PlatformConfig } | { ok: false; problems: ConfigProblem[] };

export class ConfigError extends Error {
    constructor(
        public readonly stack: string,
        public readonly problems: ConfigProblem[],
    ) {
        super(`Invalid configuration for stack "${stack}" (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${formatProblem(p)}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

function defaultNamePrefix(stack: string): string {
    const slug = stack.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
    return `mf-${slug}`.slice(0, 16).replace(/-+$/, "");
}

/** The context of a configuration: the project and stack, and which keys hold secrets (when the caller knows). */
export interface ConfigContext {
    project?: string;
    stack: string;
    /**
     * Keys whose values are secret (`pulumi config set --secret`, PULUMI_CONFIG_SECRET_KEYS). When given, a secret key
     * with a plain-text value is refused, as the Pulumi CLI refuses it for keys Pulumi.yaml declares secret.
     */
    secretKeys?: readonly string[];
}

/** The raw keys split by namespace: the project's and the aws ones the provider gets; unknown keys and likely typos are problems. */
function splitNamespaces(raw: Record<string, string>, project: string, problems: ConfigProblem[]): { given: Record<string, string>; aws: Record<string, string> } {
    const given: Record<string, string> = {};
    const aws: Record<string, string> = {};
    for (const [fullKey, value] of Object.entries(raw)) {
        const sep = fullKey.indexOf(":");
        const ns = sep < 0 ? project : fullKey.slice(0, sep);
        const key = sep < 0 ? fullKey : fullKey.slice(sep + 1);
        if (ns === project) {
            if (key in PROJECT_KEYS) given[key] = value;
            else {
                const hint = nearest(key, Object.keys(PROJECT_KEYS));
                problems.push({ key: `${project}:${key}`, given: show(value), allowed: `unknown key${hint ? `; did you mean ${project}:${hint}?` : ""}` });
            }
        } else if (ns === "aws") {
            if (key in AWS_KEYS) aws[key] = value;
            else {
                problems.push({ key: fullKey, given: show(value), allowed: `not forwarded to the platform's AWS provider; supported aws keys: ${Object.keys(AWS_KEYS).map((k) => `aws:${k}`).join(", ")}` });
            }
        } else {
            // Other namespaces belong to other packages (pulumi:, random:, ...), but one a few letters away from ours
            // is a typo that would otherwise leave the key silently unset.
            const meant = editDistance(ns, project) <= 3 ? `${project}:${key}` : editDistance(ns, "aws") <= 1 ? `aws:${key}` : undefined;
            if (meant) problems.push({ key: fullKey, given: show(value), allowed: `unknown namespace "${ns}": nothing reads this key; did you mean ${meant}?` });
        }
    }
    return { given, aws };
}

/** Refuses a secret key given in plain text, as the Pulumi CLI refuses it for keys Pulumi.yaml declares secret. */
function plainSecretProblems(given: Record<string, string>, secretKeys: readonly string[], project: string, problems: ConfigProblem[]): void {
    for (const [key, spec] of Object.entries(PROJECT_KEYS) as Array<[KeyName, KeySpec]>) {
        const fullKey = `${project}:${key}`;
        if (spec.secret && key in given && !secretKeys.includes(fullKey)) {
            problems.push({ key: fullKey, given: "a plain-text value", allowed: `must be encrypted as it's secret: pulumi config set --secret ${fullKey} <value>` });
        }
    }
}

/** Every project key's value: parsed when given, else the environment profile's default; a missing required key is a problem. */
function resolveValues(given: Record<string, string>, environment: Environment, project: string, problems: ConfigProblem[]): KeyValues {
    const values: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(PROJECT_KEYS) as Array<[KeyName, KeySpec]>) {
        const fullKey = `${project}:${key}`;
        if (key in given) values[key] = parseValue(spec, fullKey, given[key], problems);
        else if (spec.required) problems.push({ key: fullKey, given: "nothing", allowed: `required: ${spec.description}` });
        else values[key] = profileValue(spec.default, environment);
    }
    return values as KeyValues;
}

/** The aws namespace: the region (required, and a real one) and the optional guard of allowed account IDs. */
function awsSettings(aws: Record<string, string>, problems: ConfigProblem[]): { region?: string; allowedAccountIds?: string[] } {
    const region = aws.region;
    if (region === undefined) problems.push({ key: "aws:region", given: "nothing", allowed: "required: the AWS region, e.g. us-east-1" });
    else if (!(AWS_REGIONS as readonly string[]).includes(region)) {
        const hint = nearest(region, AWS_REGIONS);
        problems.push({ key: "aws:region", given: show(region), allowed: `not an AWS region${hint ? ` (did you mean ${hint}?)` : ""}` });
    }
    let allowedAccountIds: string[] | undefined;
    if (aws.allowedAccountIds !== undefined) {
        allowedAccountIds = parseValue(
            { type: "array", description: "", minItems: 1, pattern: { regex: /^\d{12}$/, describe: "12-digit AWS account IDs" } },
            "aws:allowedAccountIds",
            aws.allowedAccountIds,
            problems,
        ) as string[] | undefined;
    }
    return { region, allowedAccountIds };
}

/** The rules between the foundation and the network keys: only dev builds its own VPC, and the keys of one exclude the other. */
function networkProblems(v: KeyValues, given: Record<string, string>, environment: Environment, key: (k: KeyName) => string, problems: ConfigProblem[]): void {
    if (environment !== "dev" && v.foundationStack === undefined && given.environment === environment) {
        problems.push({ key: key("foundationStack"), given: "nothing", allowed: `required in ${environment}: only dev may build its own network` });
    }
    if (v.vpcCidr !== undefined) {
        const p = ipv4CidrProblem(v.vpcCidr, 16, 24);
        if (p) problems.push({ key: key("vpcCidr"), given: show(v.vpcCidr), allowed: p });
    }
    if (v.accessInstance === true && v.foundationStack !== undefined) {
        problems.push({ key: key("accessInstance"), given: "true", allowed: "only without a foundationStack: the foundation's user-access network (VPN/bastion) is the way in; remove accessInstance" });
    }
    if ("vpcCidr" in given && v.foundationStack !== undefined) {
        problems.push({ key: key("vpcCidr"), given: show(given.vpcCidr), allowed: "has no effect with a foundationStack: the platform runs in the foundation's VPC; remove vpcCidr (it sets the VPC a stack without a foundation builds)" });
    }
    if ("egress" in given && v.foundationStack !== undefined) {
        problems.push({ key: key("egress"), given: show(given.egress), allowed: "has no effect with a foundationStack: the foundation's VPC has its own egress; remove egress (it sets how the VPC a stack without a foundation builds reaches the internet)" });
    }
    if (v.daskStack !== undefined && v.foundationStack === undefined) {
        problems.push({ key: key("daskStack"), given: show(v.daskStack), allowed: "needs foundationStack too: the Dask cluster runs in the foundation's VPC, which a standalone network is not" });
    }
}

/** How long data is kept: a log retention CloudWatch accepts, and an artifact lifecycle whose days fit together. */
function retentionProblems(v: KeyValues, key: (k: KeyName) => string, problems: ConfigProblem[]): void {
    if (v.logRetentionDays !== undefined && !LOG_RETENTION_DAYS.includes(v.logRetentionDays)) {
        problems.push({ key: key("logRetentionDays"), given: show(v.logRetentionDays), allowed: `CloudWatch accepts only ${LOG_RETENTION_DAYS.join(", ")}` });
    }
    const lifecycleKeys: Record<keyof ArtifactLifecycle, KeyName> = {
        noncurrentVersionDays: "artifactNoncurrentVersionDays",
        infrequentAccessDays: "artifactInfrequentAccessDays",
        glacierDays: "artifactGlacierDays",
        expirationDays: "artifactExpirationDays",
    };
    const lifecycle: ArtifactLifecycle = {
        noncurrentVersionDays: v.artifactNoncurrentVersionDays,
        infrequentAccessDays: v.artifactInfrequentAccessDays,
        glacierDays: v.artifactGlacierDays,
        expirationDays: v.artifactExpirationDays,
    };
    if (Object.values(lifecycle).every((d) => d === undefined || Number.isInteger(d))) {
        for (const p of lifecycleProblems(lifecycle)) {
            problems.push({ key: p.fields.map((f) => key(lifecycleKeys[f])).join(", "), given: p.fields.map((f) => String(lifecycle[f])).join(" and "), allowed: p.message });
        }
    }
}

/** The Batch queues: the profile's, with the stack's overrides applied, and a default queue that names one of them. */
function batchQueues(v: KeyValues, environment: Environment, key: (k: KeyName) => string, problems: ConfigProblem[]): QueueSpec[] {
    const queues = resolveQueues(environment, (v.queues ?? []) as QueueOverride[], key("queues"), problems);
    if (v.defaultQueue !== undefined && queues.length && !queues.some((q) => q.name === v.defaultQueue)) {
        problems.push({ key: key("defaultQueue"), given: show(v.defaultQueue), allowed: `must name a queue: ${queues.map((q) => q.name).join(", ")}` });
    }
    return queues;
}

/** Running the stack: prod keeps no office hours, and an alarm email needs monitoring on. */
function operationProblems(v: KeyValues, environment: Environment, key: (k: KeyName) => string, problems: ConfigProblem[]): void {
    if (environment === "prod" && v.officeHours !== false && v.officeHours !== undefined) {
        problems.push({ key: key("officeHours"), given: show(v.officeHours), allowed: "false in prod: its service and database stay available around the clock" });
    }
    if (v.alarmEmail !== undefined && v.monitoring === false) {
        problems.push({ key: key("alarmEmail"), given: show(v.alarmEmail), allowed: `has no effect while ${key("monitoring")} is false: remove it, or turn monitoring on` });
    }
}

/** The Step Functions settings: a state machine prefix with a hyphen, and valid, distinct triggers that monitoring watches. */
function sfnSettings(v: KeyValues, stack: string, key: (k: KeyName) => string, problems: ConfigProblem[]): PlatformConfig["sfn"] {
    const stateMachinePrefix = v.sfnStateMachinePrefix ?? v.namePrefix ?? defaultNamePrefix(stack);
    if (!stateMachinePrefix.includes("-")) {
        const from = v.sfnStateMachinePrefix !== undefined ? "sfnStateMachinePrefix" : "namePrefix";
        problems.push({ key: key(from), given: show(stateMachinePrefix), allowed: `${from === "namePrefix" ? "the default state machine prefix (set sfnStateMachinePrefix to choose another): " : ""}${PREFIX_WITHOUT_HYPHEN(stateMachinePrefix)}` });
    }
    const triggers = (v.triggers ?? []) as TriggerSpec[];
    if (triggers.length && v.monitoring === false) {
        // A trigger's undeliverable events go to its dead-letter queue; the alarm that says so lives in Monitoring.
        problems.push({ key: key("triggers"), given: `${triggers.length} trigger(s)`, allowed: `need ${key("monitoring")} on: it alarms when a trigger cannot start its flow (security pack: eventbridge-target-dlq-and-alarm)` });
    }
    triggers.forEach((t, i) => {
        for (const p of validateTrigger(t, stateMachinePrefix)) {
            problems.push({ key: `${key("triggers")}[${i}].${p.field}`, given: (t as any)[p.field] === undefined ? "nothing" : show((t as any)[p.field]), allowed: p.message });
        }
    });
    for (const name of duplicateTriggerNames(triggers)) {
        problems.push({ key: key("triggers"), given: show(name), allowed: "two triggers have this name; give each a distinct name" });
    }
    if (v.artifactEventBridge === false && triggers.some((t) => t.s3Prefix !== undefined)) {
        problems.push({ key: key("artifactEventBridge"), given: "false", allowed: "must be true while a trigger watches an s3Prefix: S3 sends object events to EventBridge only when enabled" });
    }
    return { stateMachinePrefix, triggers };
}

/**
 * Serving with the environment's defaults filled in: every model's group `<namePrefix>-<model>` within SageMaker's
 * name limit, and prod's approvers (at least one, none of them an engineer role).
 */
function servingSettings(v: KeyValues, environment: Environment, stack: string, key: (k: KeyName) => string, problems: ConfigProblem[]): ServingSettings | undefined {
    if (!v.serving) return undefined;
    const settings = resolveServing(v.serving, environment);
    const found = [...servingNameProblems(settings, v.namePrefix ?? defaultNamePrefix(stack)), ...servingApproverProblems(settings, environment, v.engineerRoleNames ?? [])];
    for (const p of found) problems.push({ key: `${key("serving")}.${p.field}`, given: show(p.given), allowed: p.message });
    return settings;
}

/** The Studio limits of the stack: the environment's, with the stack's costPolicy overrides. */
export function studioLimits(environment: Environment, costPolicy: CostPolicyLimits | undefined): StudioCostLimits {
    const d = STUDIO_COST_LIMITS[environment];
    const c = costPolicy ?? {};
    return {
        allowedStudioInstanceTypes: c.allowedStudioInstanceTypes ?? d.allowedStudioInstanceTypes,
        maxStudioIdleMinutes: c.maxStudioIdleMinutes ?? d.maxStudioIdleMinutes,
        maxStudioSpaceGb: c.maxStudioSpaceGb ?? d.maxStudioSpaceGb,
    };
}

/** Workspaces: the environment's defaults filled in, then checked against the stack's Studio cost limits. */
function workspaceSettings(v: KeyValues, environment: Environment, key: (k: KeyName) => string, problems: ConfigProblem[]): WorkspacesSettings | undefined {
    if (!v.workspaces) return undefined;
    const limits = studioLimits(environment, v.costPolicy);
    const settings = resolveWorkspaces(v.workspaces as WorkspacesInput, environment, limits);
    for (const p of workspaceLimitProblems(settings, environment, limits)) {
        problems.push({ key: `${key("workspaces")}.${p.field}`, given: p.given === undefined ? "nothing" : show(p.given), allowed: p.message });
    }
    return settings;
}

/** What `assemble` takes besides the key values: the stack's identity and the aws namespace, already validated. */
type StackIdentity = Pick<PlatformConfig, "project" | "stack" | "environment" | "region" | "awsProfile" | "allowedAccountIds">;

/** The typed configuration, once every key and rule has passed: each section mapped from its keys. */
function assemble(id: StackIdentity, v: KeyValues, queues: QueueSpec[], sfn: PlatformConfig["sfn"], optional: Pick<PlatformConfig, "serving" | "workspaces">): PlatformConfig {
    const { serving, workspaces } = optional;
    const { project, stack, environment } = id;
    return {
        project,
        stack,
        environment,
        region: id.region,
        awsProfile: id.awsProfile,
        allowedAccountIds: id.allowedAccountIds,
        namePrefix: v.namePrefix ?? defaultNamePrefix(stack),
        tags: {
            project,
            stack,
            environment,
            owner: v.owner,
            "cost-center": v.costCenter,
            "managed-by": "pulumi",
        },
        protect: v.protectStatefulResources,
        logRetentionDays: v.logRetentionDays,
        monthlyBudgetUsd: v.monthlyBudgetUsd,
        costPolicy: v.costPolicy,
        references: { foundation: v.foundationStack, dask: v.daskStack },
        engineerRoleNames: v.engineerRoleNames,
        flowDeploy: v.flowDeploy,
        accessInstance: v.accessInstance,
        network: { vpcCidr: v.vpcCidr, egress: v.egress as EgressMode },
        artifacts: {
            noncurrentVersionDays: v.artifactNoncurrentVersionDays,
            infrequentAccessDays: v.artifactInfrequentAccessDays,
            glacierDays: v.artifactGlacierDays,
            expirationDays: v.artifactExpirationDays,
            accessLogging: v.artifactAccessLogging,
            eventBridge: v.artifactEventBridge,
        },
        batch: {
            queues,
            defaultQueue: v.defaultQueue,
            rootVolumeGiB: v.batchRootVolumeGiB,
            runnableTimeLimitMinutes: v.batchRunnableTimeLimitMinutes,
            rootVolumePlatformKey: v.batchRootVolumePlatformKey,
        },
        service: serviceSettings(v),
        officeHours: v.officeHours as OfficeHoursSettings | false,
        sfn,
        monitoring: { enabled: v.monitoring, alarmEmail: v.alarmEmail, models: v.modelMonitoring },
        ...(serving ? { serving } : {}),
        ...(workspaces ? { workspaces } : {}),
    };
}

/**
 * Validates raw configuration (`<namespace>:<key>` -> string, as `pulumi.runtime.allConfig()` returns it).
 * Reports every problem at once.
 */
export function loadConfig(raw: Record<string, string>, ctx: ConfigContext): LoadResult {
    const project = ctx.project ?? PROJECT;
    const problems: ConfigProblem[] = [];
    const { given, aws } = splitNamespaces(raw, project, problems);
    if (ctx.secretKeys) plainSecretProblems(given, ctx.secretKeys, project, problems);
    const environment: Environment = ENVIRONMENTS.includes(given.environment as Environment) ? (given.environment as Environment) : "dev";
    const v = resolveValues(given, environment, project, problems);
    const { region, allowedAccountIds } = awsSettings(aws, problems);

    // rules between keys
    const key = (k: KeyName) => `${project}:${k}`;
    networkProblems(v, given, environment, key, problems);
    retentionProblems(v, key, problems);
    const queues = batchQueues(v, environment, key, problems);
    serviceProblems(v, environment, key, problems);
    operationProblems(v, environment, key, problems);
    const sfn = sfnSettings(v, ctx.stack, key, problems);
    const serving = servingSettings(v, environment, ctx.stack, key, problems);
    const workspaces = workspaceSettings(v, environment, key, problems);

    if (problems.length) return { ok: false, problems };
    return { ok: true, config: assemble({ project, stack: ctx.stack, environment, region: region!, awsProfile: aws.profile, allowedAccountIds }, v, queues, sfn, { serving, workspaces }) };
}

const OIDC_KEYS: Record<(typeof OIDC_FIELDS)[number], KeyName> = {
    issuer: "uiOidcIssuer",
    authorizationEndpoint: "uiOidcAuthorizationEndpoint",
    tokenEndpoint: "uiOidcTokenEndpoint",
    userInfoEndpoint: "uiOidcUserInfoEndpoint",
    clientId: "uiOidcClientId",
    clientSecret: "uiOidcClientSecret",
};

/** The rules between the service keys: Fargate sizes, image versions, task counts, feature prerequisites. */
function serviceProblems(v: KeyValues, environment: Environment, key: (k: KeyName) => string, problems: ConfigProblem[]): void {
    const sizes: Array<[KeyName, KeyName]> = [["serviceCpu", "serviceMemory"]];
    if (v.serviceUi) sizes.push(["uiBackendCpu", "uiBackendMemory"], ["uiStaticCpu", "uiStaticMemory"]);
    for (const [cpuKey, memKey] of sizes) {
        const cpu = v[cpuKey] as number | undefined;
        const memory = v[memKey] as number | undefined;
        if (cpu === undefined || memory === undefined) continue;
        const p = fargateSizeProblem(cpu, memory);
        if (p) problems.push({ key: `${key(cpuKey)}, ${key(memKey)}`, given: `${cpu} and ${memory}`, allowed: p });
    }
    if (v.serviceImage !== undefined) {
        const p = serviceImageProblem(v.serviceImage);
        if (p) problems.push({ key: key("serviceImage"), given: show(v.serviceImage), allowed: p });
    }
    if (v.serviceUi && v.uiStaticImage !== undefined) {
        const p = pinnedImageProblem(v.uiStaticImage);
        if (p) problems.push({ key: key("uiStaticImage"), given: show(v.uiStaticImage), allowed: p });
    }
    const counts = { desired: v.serviceDesiredTasks, min: v.serviceMinTasks, max: v.serviceMaxTasks };
    const countKeys: Record<keyof TaskCounts, KeyName> = { desired: "serviceDesiredTasks", min: "serviceMinTasks", max: "serviceMaxTasks" };
    if (Object.values(counts).every((c) => Number.isInteger(c))) {
        for (const p of taskCountProblems(counts as TaskCounts, environment === "prod")) {
            problems.push({ key: key(countKeys[p.field]), given: String(counts[p.field]), allowed: p.message });
        }
    }
    if (v.serviceDbStorageGb !== undefined && v.serviceDbMaxStorageGb !== undefined) {
        const p = storageCeilingProblem(v.serviceDbStorageGb, v.serviceDbMaxStorageGb);
        if (p) problems.push({ key: key("serviceDbMaxStorageGb"), given: String(v.serviceDbMaxStorageGb), allowed: `${p} (serviceDbStorageGb is ${v.serviceDbStorageGb}); it is the ceiling of storage autoscaling` });
    }
    if (environment === "prod") {
        if (v.serviceDbMultiAz === false) problems.push({ key: key("serviceDbMultiAz"), given: "false", allowed: "prod runs its database Multi-AZ: a single instance is a single point of failure for every run" });
        if (v.serviceDbBackupDays !== undefined && v.serviceDbBackupDays < 7) problems.push({ key: key("serviceDbBackupDays"), given: String(v.serviceDbBackupDays), allowed: "prod keeps at least 7 days of backups" });
    }
    const oidcGiven = OIDC_FIELDS.filter((f) => v[OIDC_KEYS[f]] !== undefined);
    const featureKeys: Record<FeatureField, string> = {
        certificateArn: key("serviceCertificateArn"),
        domainName: key("serviceDomainName"),
        publicApi: key("servicePublicApi"),
        ui: key("serviceUi"),
        oidc: OIDC_FIELDS.map((f) => key(OIDC_KEYS[f])).join(", "),
    };
    const featureValues: Record<FeatureField, string> = {
        certificateArn: show(v.serviceCertificateArn ?? null),
        domainName: show(v.serviceDomainName ?? null),
        publicApi: String(v.servicePublicApi),
        ui: String(v.serviceUi),
        oidc: oidcGiven.length ? `${oidcGiven.map((f) => OIDC_KEYS[f]).join(", ")} set` : "nothing",
    };
    for (const p of featureProblems({
        environment,
        certificateArn: v.serviceCertificateArn,
        domainName: v.serviceDomainName,
        publicApi: v.servicePublicApi ?? false,
        ui: v.serviceUi ?? false,
        oidcFields: oidcGiven,
    })) {
        problems.push({ key: featureKeys[p.field], given: featureValues[p.field], allowed: p.message });
    }
}

function serviceSettings(v: KeyValues): ServiceSettings {
    const oidc = OIDC_FIELDS.every((f) => v[OIDC_KEYS[f]] !== undefined)
        ? {
              issuer: v.uiOidcIssuer!,
              authorizationEndpoint: v.uiOidcAuthorizationEndpoint!,
              tokenEndpoint: v.uiOidcTokenEndpoint!,
              userInfoEndpoint: v.uiOidcUserInfoEndpoint!,
              clientId: v.uiOidcClientId!,
              clientSecret: v.uiOidcClientSecret!,
          }
        : undefined;
    return {
        image: v.serviceImage,
        cpu: v.serviceCpu,
        memory: v.serviceMemory,
        desiredTasks: v.serviceDesiredTasks,
        minTasks: v.serviceMinTasks,
        maxTasks: v.serviceMaxTasks,
        cpuTargetPercent: v.serviceCpuTargetPercent,
        database: {
            instanceClass: v.serviceDbInstanceClass,
            storageGb: v.serviceDbStorageGb,
            maxStorageGb: v.serviceDbMaxStorageGb,
            backupDays: v.serviceDbBackupDays,
            multiAz: v.serviceDbMultiAz,
        },
        certificateArn: v.serviceCertificateArn,
        domainName: v.serviceDomainName,
        publicApi: v.servicePublicApi,
        publicApiAccountRole: v.servicePublicApiAccountRole,
        accessLogs: v.serviceAccessLogs,
        ui: v.serviceUi
            ? {
                  staticImage: v.uiStaticImage,
                  backend: { cpu: v.uiBackendCpu, memory: v.uiBackendMemory },
                  static: { cpu: v.uiStaticCpu, memory: v.uiStaticMemory },
                  oidc,
              }
            : undefined,
    };
}

/** Like `loadConfig`, but throws a `ConfigError` listing every problem. */
export function requireConfig(raw: Record<string, string>, ctx: ConfigContext): PlatformConfig {
    const result = loadConfig(raw, ctx);
    if (!result.ok) throw new ConfigError(ctx.stack, result.problems);
    return result.config;
}
