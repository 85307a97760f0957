/**
 * Rules of model serving, written once: the stack configuration reports them as problems of the `serving` key, and the
 * ModelServing component throws on them.
 *
 * Pure module: no Pulumi import.
 */
import { NAME_LIMITS } from "../naming";

/** A model's name: the last part of its model package group `<namePrefix>-<model>` and of its endpoint role. */
export const MODEL_NAME = /^[a-z][a-z0-9-]{0,20}$/;
/** Models one stack serves: each has a group and an endpoint role, and IAM caps a role's inline policy size. */
export const MAX_MODELS = 20;
/** The fields of the `serving` key. */
export const SERVING_FIELDS = ["models"] as const;

/** What the platform serves. */
export interface ServingSettings {
    /** Model names (`churn`): a model package group `<namePrefix>-<model>` and an endpoint role each. */
    models: string[];
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

/** Problems with the shape of `serving` (fields, names, duplicates, count); needs no name prefix. */
export function servingShapeProblems(value: unknown): ServingProblem[] {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return [{ field: "", given: value, message: `expected an object {${SERVING_FIELDS.join(", ")}}` }];
    const v = value as Record<string, unknown>;
    const problems: ServingProblem[] = [];
    for (const field of Object.keys(v)) if (!(SERVING_FIELDS as readonly string[]).includes(field)) problems.push({ field, given: v[field], message: `unknown field; allowed: ${SERVING_FIELDS.join(", ")}` });
    const models = v.models;
    if (!Array.isArray(models)) {
        problems.push({ field: "models", given: models, message: "expected a list of model names, e.g. [churn]" });
        return problems;
    }
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

/** Problems with the names the settings make under a name prefix: `<namePrefix>-<model>` within SageMaker's limit. */
export function servingNameProblems(settings: ServingSettings, namePrefix: string): ServingProblem[] {
    const max = NAME_LIMITS.sagemakerModelPackageGroup;
    return settings.models.flatMap((m, i) => {
        const group = modelGroupName(namePrefix, m);
        return group.length > max ? [{ field: `models[${i}]`, given: m, message: `the model package group "${group}" has ${group.length} characters; SageMaker allows ${max}: shorten the model name or the namePrefix` }] : [];
    });
}

/** Every problem of the serving settings under a name prefix. */
export function servingProblems(settings: unknown, namePrefix: string): ServingProblem[] {
    const shape = servingShapeProblems(settings);
    return shape.length ? shape : servingNameProblems(settings as ServingSettings, namePrefix);
}
