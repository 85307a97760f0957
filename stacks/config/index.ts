/**
 * The one typed configuration of a stack. `loadConfig` takes the raw key/value map Pulumi hands the program (or the
 * offline plan reads from Pulumi.<stack>.yaml), applies the environment profile's defaults, validates every key and
 * the rules between keys, and returns either the typed `PlatformConfig` or every problem found.
 *
 * Pure module: the program calls it before registering any resource; tests and scripts call it directly.
 */
import { ArtifactLifecycle, lifecycleProblems } from "../../components/artifact-bucket/rules";
import { QueueSpec } from "../../components/batch/queue-rules";
import { duplicateTriggerNames, TriggerSpec, validateTrigger } from "../../components/sfn/rules";
import { artifactKeys } from "./keys/artifacts";
import { batchKeys, QueueOverride, resolveQueues } from "./keys/batch";
import { coreKeys, LOG_RETENTION_DAYS } from "./keys/core";
import { sfnKeys } from "./keys/sfn";
import { AWS_REGIONS } from "./regions";
import {
    ConfigProblem,
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
export const PROJECT_KEYS = { ...coreKeys, ...artifactKeys, ...batchKeys, ...sfnKeys } as const;
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
    references: { foundation?: string; dask?: string };
    network: { vpcCidr: string };
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

/**
 * Validates raw configuration (`<namespace>:<key>` -> string, as `pulumi.runtime.allConfig()` returns it).
 * Reports every problem at once.
 */
export function loadConfig(raw: Record<string, string>, ctx: { project?: string; stack: string }): LoadResult {
    const project = ctx.project ?? PROJECT;
    const problems: ConfigProblem[] = [];
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
        }
    }

    const envRaw = given.environment;
    const environment: Environment = ENVIRONMENTS.includes(envRaw as Environment) ? (envRaw as Environment) : "dev";

    const values: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(PROJECT_KEYS) as Array<[KeyName, KeySpec]>) {
        const fullKey = `${project}:${key}`;
        if (key in given) values[key] = parseValue(spec, fullKey, given[key], problems);
        else if (spec.required) problems.push({ key: fullKey, given: "nothing", allowed: `required: ${spec.description}` });
        else values[key] = profileValue(spec.default, environment);
    }
    const v = values as KeyValues;

    // aws namespace
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

    // rules between keys
    const key = (k: KeyName) => `${project}:${k}`;
    if (environment !== "dev" && v.foundationStack === undefined && envRaw === environment) {
        problems.push({ key: key("foundationStack"), given: "nothing", allowed: `required in ${environment}: only dev may build its own network` });
    }
    if (v.daskStack !== undefined && v.foundationStack === undefined) {
        problems.push({ key: key("daskStack"), given: show(v.daskStack), allowed: "needs foundationStack too: the Dask cluster runs in the foundation's VPC, which a standalone network is not" });
    }
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
    const queues = resolveQueues(environment, (v.queues ?? []) as QueueOverride[], key("queues"), problems);
    if (v.defaultQueue !== undefined && queues.length && !queues.some((q) => q.name === v.defaultQueue)) {
        problems.push({ key: key("defaultQueue"), given: show(v.defaultQueue), allowed: `must name a queue: ${queues.map((q) => q.name).join(", ")}` });
    }

    const stateMachinePrefix = v.sfnStateMachinePrefix ?? v.namePrefix ?? defaultNamePrefix(ctx.stack);
    const triggers = (v.triggers ?? []) as TriggerSpec[];
    triggers.forEach((t, i) => {
        for (const p of validateTrigger(t, stateMachinePrefix)) {
            problems.push({ key: `${key("triggers")}[${i}].${p.field}`, given: show((t as any)[p.field]), allowed: p.message });
        }
    });
    for (const name of duplicateTriggerNames(triggers)) {
        problems.push({ key: key("triggers"), given: show(name), allowed: "two triggers have this name; give each a distinct name" });
    }
    if (v.artifactEventBridge === false && triggers.some((t) => t.s3Prefix !== undefined)) {
        problems.push({ key: key("artifactEventBridge"), given: "false", allowed: "must be true while a trigger watches an s3Prefix: S3 sends object events to EventBridge only when enabled" });
    }

    if (problems.length) return { ok: false, problems };

    const namePrefix = v.namePrefix ?? defaultNamePrefix(ctx.stack);
    return {
        ok: true,
        config: {
            project,
            stack: ctx.stack,
            environment,
            region: region!,
            awsProfile: aws.profile,
            allowedAccountIds,
            namePrefix,
            tags: {
                project,
                stack: ctx.stack,
                environment,
                owner: v.owner,
                "cost-center": v.costCenter,
                "managed-by": "pulumi",
            },
            protect: v.protectStatefulResources,
            logRetentionDays: v.logRetentionDays,
            monthlyBudgetUsd: v.monthlyBudgetUsd,
            references: { foundation: v.foundationStack, dask: v.daskStack },
            network: { vpcCidr: v.vpcCidr },
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
            sfn: { stateMachinePrefix, triggers },
        },
    };
}

/** Like `loadConfig`, but throws a `ConfigError` listing every problem. */
export function requireConfig(raw: Record<string, string>, ctx: { project?: string; stack: string }): PlatformConfig {
    const result = loadConfig(raw, ctx);
    if (!result.ok) throw new ConfigError(ctx.stack, result.problems);
    return result.config;
}
