import { SERVING_DEFAULTS, SERVING_FIELDS, SERVERLESS_CONCURRENCY_RANGE, SERVERLESS_MEMORY_SIZES_MB, ServingInput, servingShapeProblems } from "../../../components/serving/rules";
import { ConfigProblem, KeySpecs, show } from "../spec";

/**
 * Shape check of `serving` (fields, model names, duplicates, count, AWS's serverless ranges); the rules that need the
 * name prefix, the environment and the engineers' roles (group names within SageMaker's limit, prod's approvers), and
 * the environment's defaults, run in `stacks/config/index.ts`.
 */
function parseServing(value: unknown, key: string, problems: ConfigProblem[]): ServingInput | undefined {
    const found = servingShapeProblems(value);
    for (const p of found) problems.push({ key: p.field ? `${key}.${p.field}` : key, given: show(p.given), allowed: p.message });
    return found.length ? undefined : (value as ServingInput);
}

const d = SERVING_DEFAULTS;
const perEnv = <K extends keyof (typeof d)["dev"]>(k: K) => `dev ${d.dev[k]}, staging ${d.staging[k]}, prod ${d.prod[k]}`;

/** Model serving on SageMaker (components/serving). */
export const servingKeys = {
    serving: {
        type: "object",
        shape: `{${SERVING_FIELDS.join(", ")}} (models required)`,
        description:
            "Models flows register and serve on SageMaker: per model a model package group <namePrefix>-<model> (versions registered pending manual approval) and an endpoint role that reads only `s3://<bucket>/data/models/<model>/*`, which the job role may pass to SageMaker and nowhere else. " +
            "models: 1-21 lowercase letters, digits or hyphens, starting with a letter; unique; 1 to 20 of them. " +
            `serverlessMemoryMb: the largest memory of a serverless endpoint config flows may create, one of ${SERVERLESS_MEMORY_SIZES_MB.join(", ")} MB (default ${perEnv("serverlessMemoryMb")}). ` +
            `maxConcurrency: its largest concurrency, ${SERVERLESS_CONCURRENCY_RANGE.min}-${SERVERLESS_CONCURRENCY_RANGE.max} (default ${perEnv("maxConcurrency")}). ` +
            "approverRoleNames: existing IAM roles that may approve or reject model versions (default []; prod needs at least one, none of them in engineerRoleNames). " +
            `engineersMayDeploy: engineers may register and deploy as the job role does (default ${perEnv("engineersMayDeploy")}). ` +
            "Unset: no groups, no endpoint roles, no approver or engineer deploy policy; flows' endpoint configs stay within the environment's default caps.",
        parse: parseServing,
    },
} satisfies KeySpecs;
