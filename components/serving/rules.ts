/**
 * Rules of model serving, written once: the stack configuration reports them as problems of the `serving` key, and the
 * ModelServing component throws on them. AWS's serverless ranges come from aws-facts/constraints.json (botocore's
 * SageMaker model); the design and its sources are in docs/design/workspaces-and-serving.md (§1.5, §2.2, §2.3).
 *
 * Pure module: no Pulumi import.
 */
import { AWS_DATA } from "../../aws-facts/data";
import { IAM_ROLE_NAME, NAME_LIMITS } from "../naming";

type Env = "dev" | "staging" | "prod";

/** A model's name: the last part of its model package group `<namePrefix>-<model>` and of its endpoint role. */
export const MODEL_NAME = /^[a-z][a-z0-9-]{0,20}$/;
/** Models one stack serves: each has a group and an endpoint role, and IAM caps a role's inline policy size. */
export const MAX_MODELS = 20;
/** The fields of the `serving` key. */
export const SERVING_FIELDS = ["models", "serverlessMemoryMb", "maxConcurrency", "approverRoleNames", "engineersMayDeploy"] as const;

const SERVERLESS = AWS_DATA.fields["aws:sagemaker/endpointConfiguration:EndpointConfiguration"];
/** The memory sizes SageMaker offers a serverless variant, MB (botocore: 1024-6144 in 1 GB increments). */
export const SERVERLESS_MEMORY_SIZES_MB: readonly number[] = SERVERLESS["productionVariants[].serverlessConfig.memorySizeInMb"].enum as number[];
/** The concurrency range SageMaker allows a serverless variant (botocore ProductionVariantServerlessConfig.MaxConcurrency). */
export const SERVERLESS_CONCURRENCY_RANGE = {
    min: SERVERLESS["productionVariants[].serverlessConfig.maxConcurrency"].minimum!,
    max: SERVERLESS["productionVariants[].serverlessConfig.maxConcurrency"].maximum!,
};

/** The largest serverless endpoint config a deployer may create (`sagemaker:ServerlessMemorySize`, `ServerlessMaxConcurrency`). */
export interface ServerlessCaps {
    /** Memory of one serverless variant, MB (one of {@link SERVERLESS_MEMORY_SIZES_MB}). */
    memorySizeMb: number;
    /** Concurrent invocations of one serverless variant. */
    maxConcurrency: number;
}

/** What the platform serves, every field resolved. */
export interface ServingSettings {
    /** Model names (`churn`): a model package group `<namePrefix>-<model>` and an endpoint role each. */
    models: string[];
    /** The largest memory of a serverless variant flows may deploy, MB. */
    serverlessMemoryMb: number;
    /** The largest concurrency of a serverless variant flows may deploy. */
    maxConcurrency: number;
    /** Existing IAM roles that may approve or reject model versions (the approver policy is attached to them). */
    approverRoleNames: string[];
    /** Engineers' own credentials may register and deploy models as the job role does; false: only flows running as the job role. */
    engineersMayDeploy: boolean;
}

/** The `serving` key as written: models, each other field optional. */
export type ServingInput = Pick<ServingSettings, "models"> & Partial<Omit<ServingSettings, "models">>;

/**
 * Defaults per environment: the serverless caps grow with the environment; no approver roles (prod must name them);
 * engineers deploy from their own credentials in dev and staging, never in prod (only flows running as the job role).
 */
export const SERVING_DEFAULTS: Record<Env, Omit<ServingSettings, "models">> = {
    dev: { serverlessMemoryMb: 2048, maxConcurrency: 5, approverRoleNames: [], engineersMayDeploy: true },
    staging: { serverlessMemoryMb: 3072, maxConcurrency: 10, approverRoleNames: [], engineersMayDeploy: true },
    prod: { serverlessMemoryMb: 6144, maxConcurrency: 50, approverRoleNames: [], engineersMayDeploy: false },
};

/** The serverless caps of resolved settings (or of an environment's defaults). */
export function servingCaps(s: Pick<ServingSettings, "serverlessMemoryMb" | "maxConcurrency">): ServerlessCaps {
    return { memorySizeMb: s.serverlessMemoryMb, maxConcurrency: s.maxConcurrency };
}

/** A problem with one field of the serving settings (`models[2]`), and what is allowed. */
export interface ServingProblem {
    field: string;
    given: unknown;
    message: string;
}

/** The model package group of a model: `<namePrefix>-<model>`. */
export function modelGroupName(namePrefix: string, model: string): string {
    return `${namePrefix}-${model}`;
}

/**
 * The variant every model endpoint serves: flows deploy one production variant named `AllTraffic` (the name SageMaker's
 * own SDK gives a single variant), so alarms and dashboards can name the endpoint's metrics before it exists.
 */
export const SERVING_VARIANT = "AllTraffic";

/**
 * The endpoint of a model, by convention `<namePrefix>-<model>` (the same name as its model package group): flows
 * create and update it (the job role may create only `<namePrefix>-*` endpoints); the stack only names it in alarms,
 * the dashboard and the docs (docs/compute.md, "Model serving").
 */
export function endpointName(namePrefix: string, model: string): string {
    return `${namePrefix}-${model}`;
}

/** Problems with the shape of `serving` (fields, names, duplicates, count, AWS's ranges); needs no environment. */
export function servingShapeProblems(value: unknown): ServingProblem[] {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return [{ field: "", given: value, message: `expected an object {${SERVING_FIELDS.join(", ")}}` }];
    const v = value as Record<string, unknown>;
    const problems: ServingProblem[] = [];
    for (const field of Object.keys(v)) if (!(SERVING_FIELDS as readonly string[]).includes(field)) problems.push({ field, given: v[field], message: `unknown field; allowed: ${SERVING_FIELDS.join(", ")}` });
    return [...problems, ...modelListProblems(v.models), ...limitProblems(v), ...approverShapeProblems(v.approverRoleNames)];
}

function modelListProblems(models: unknown): ServingProblem[] {
    if (!Array.isArray(models)) return [{ field: "models", given: models, message: "expected a list of model names, e.g. [churn]" }];
    if (!models.length) return [{ field: "models", given: models, message: "at least one model (leave serving unset for none)" }];
    const problems: ServingProblem[] = [];
    models.forEach((m, i) => {
        if (typeof m !== "string" || !MODEL_NAME.test(m)) problems.push({ field: `models[${i}]`, given: m, message: "expected a model name: 1-21 lowercase letters, digits or hyphens, starting with a letter" });
    });
    const seen = new Set<unknown>();
    models.forEach((m, i) => {
        if (seen.has(m)) problems.push({ field: `models[${i}]`, given: m, message: "duplicate model name: each model has one model package group and one endpoint role" });
        seen.add(m);
    });
    if (models.length > MAX_MODELS) problems.push({ field: "models", given: models, message: `${models.length} models; at most ${MAX_MODELS} per stack (each has a group and an endpoint role)` });
    return problems;
}

/** The serverless caps within what SageMaker offers, and engineersMayDeploy a boolean. */
function limitProblems(v: Record<string, unknown>): ServingProblem[] {
    const problems: ServingProblem[] = [];
    const { min, max } = SERVERLESS_CONCURRENCY_RANGE;
    if (v.serverlessMemoryMb !== undefined && !SERVERLESS_MEMORY_SIZES_MB.includes(v.serverlessMemoryMb as number)) {
        problems.push({ field: "serverlessMemoryMb", given: v.serverlessMemoryMb, message: `expected a serverless memory size SageMaker offers: ${SERVERLESS_MEMORY_SIZES_MB.join(", ")} MB (${SERVERLESS["productionVariants[].serverlessConfig.memorySizeInMb"].source.split(" documentation")[0]})` });
    }
    if (v.maxConcurrency !== undefined && !(Number.isInteger(v.maxConcurrency) && (v.maxConcurrency as number) >= min && (v.maxConcurrency as number) <= max)) {
        problems.push({ field: "maxConcurrency", given: v.maxConcurrency, message: `expected an integer of ${min}-${max} concurrent invocations (SageMaker's serverless range, ${SERVERLESS["productionVariants[].serverlessConfig.maxConcurrency"].source})` });
    }
    if (v.engineersMayDeploy !== undefined && typeof v.engineersMayDeploy !== "boolean") problems.push({ field: "engineersMayDeploy", given: v.engineersMayDeploy, message: "expected true or false" });
    return problems;
}

function approverShapeProblems(roles: unknown): ServingProblem[] {
    if (roles === undefined) return [];
    if (!Array.isArray(roles)) return [{ field: "approverRoleNames", given: roles, message: "expected a list of IAM role names" }];
    const problems: ServingProblem[] = [];
    roles.forEach((r, i) => {
        if (typeof r !== "string" || !IAM_ROLE_NAME.test(r)) problems.push({ field: `approverRoleNames[${i}]`, given: r, message: "expected an IAM role name: 1-64 letters, digits or +=,.@_-" });
        else if (roles.indexOf(r) !== i) problems.push({ field: `approverRoleNames[${i}]`, given: r, message: "listed twice" });
    });
    return problems;
}

/** The settings with the environment's defaults filled in (call after `servingShapeProblems` found nothing). */
export function resolveServing(input: ServingInput, env: Env): ServingSettings {
    const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
    return { ...SERVING_DEFAULTS[env], ...given } as ServingSettings;
}

/**
 * Who approves: in prod, serving models needs at least one approver role, and no approver role may be an engineer
 * role (no one approves the versions they register; dev and staging may name the engineers' role).
 */
export function servingApproverProblems(s: Pick<ServingSettings, "models" | "approverRoleNames">, env: Env, engineerRoleNames: readonly string[]): ServingProblem[] {
    if (env !== "prod") return [];
    if (s.models.length && !s.approverRoleNames.length) {
        return [{ field: "approverRoleNames", given: s.approverRoleNames, message: "at least one IAM role in prod: the role of the people who approve or reject model versions (flows cannot approve them)" }];
    }
    return s.approverRoleNames.flatMap((r, i) =>
        engineerRoleNames.includes(r) ? [{ field: `approverRoleNames[${i}]`, given: r, message: "is also in engineerRoleNames: in prod no one approves the versions they register; name a reviewers' role that is not an engineer role" }] : [],
    );
}

/** Problems with the names the settings make under a name prefix: `<namePrefix>-<model>` within SageMaker's limit. */
export function servingNameProblems(settings: Pick<ServingSettings, "models">, namePrefix: string): ServingProblem[] {
    const max = NAME_LIMITS.sagemakerModelPackageGroup;
    return settings.models.flatMap((m, i) => {
        const group = modelGroupName(namePrefix, m);
        return group.length > max ? [{ field: `models[${i}]`, given: m, message: `the model package group "${group}" has ${group.length} characters; SageMaker allows ${max}: shorten the model name or the namePrefix` }] : [];
    });
}

/** Every problem of a `serving` value under a name prefix, in an environment whose engineers have these roles. */
export function servingProblems(value: unknown, namePrefix: string, env: Env = "dev", engineerRoleNames: readonly string[] = []): ServingProblem[] {
    const shape = servingShapeProblems(value);
    if (shape.length) return shape;
    const settings = resolveServing(value as ServingInput, env);
    return [...servingNameProblems(settings, namePrefix), ...servingApproverProblems(settings, env, engineerRoleNames)];
}
