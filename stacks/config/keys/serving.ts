import { ServingSettings, servingShapeProblems } from "../../../components/serving/rules";
import { ConfigProblem, KeySpecs, show } from "../spec";

/**
 * Shape check of `serving` (fields, model names, duplicates, count); the rule that needs the name prefix (group names
 * within SageMaker's limit) runs in `stacks/config/index.ts` once the prefix is known.
 */
function parseServing(value: unknown, key: string, problems: ConfigProblem[]): ServingSettings | undefined {
    const found = servingShapeProblems(value);
    for (const p of found) problems.push({ key: p.field ? `${key}.${p.field}` : key, given: show(p.given), allowed: p.message });
    return found.length ? undefined : (value as ServingSettings);
}

/** Model serving on SageMaker (components/serving). */
export const servingKeys = {
    serving: {
        type: "object",
        shape: "{models: [name]}",
        description:
            "Models flows register and serve on SageMaker: per model a model package group <namePrefix>-<model> (versions registered pending manual approval) and an endpoint role that reads only `s3://<bucket>/data/models/<model>/*`, which the job role may pass to SageMaker and nowhere else. Model names: 1-21 lowercase letters, digits or hyphens, starting with a letter; unique; at most 20. Unset: no groups and no endpoint roles.",
        parse: parseServing,
    },
} satisfies KeySpecs;
