/**
 * The program: validate the configuration, resolve the neighbouring stacks, then build the platform. Nothing is
 * registered until the configuration is valid, and invalid input surfaces as a Pulumi RunError (message, no stack
 * trace) listing every problem.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { ConfigError, requireConfig } from "./config";
import { buildPlatform } from "./platform";
import { ReferenceError, resolveReferences } from "./references";
import { referenceConfigProblems } from "./reference-checks";

/** Invalid configuration or references: shown by Pulumi as a message without a stack trace. */
export class InvalidInputError extends pulumi.RunError {
    constructor(public readonly cause: ConfigError | ReferenceError) {
        super(cause.message);
    }
}

/**
 * The keys among `keys` that hold secrets. The language host passes them in PULUMI_CONFIG_SECRET_KEYS, which the SDK
 * reads through `runtime/config.isConfigSecret` (exported, though marked internal). Undefined when that function is
 * missing from an SDK version: the program then cannot refuse a plain-text secret, and says nothing rather than guess.
 */
function secretConfigKeys(keys: string[]): string[] | undefined {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (key: string) => boolean };
    const isSecret = runtimeConfig.isConfigSecret;
    return typeof isSecret === "function" ? keys.filter((k) => isSecret(k)) : undefined;
}

export async function main(): Promise<Record<string, unknown>> {
    try {
        const raw = pulumi.runtime.allConfig();
        const config = requireConfig(raw, { project: pulumi.getProject(), stack: pulumi.getStack(), secretKeys: secretConfigKeys(Object.keys(raw)) });
        const references = await resolveReferences(config.references, config.region);
        const problems = referenceConfigProblems(config, references);
        if (problems.length) throw new ConfigError(config.stack, problems);
        const provider = new aws.Provider(`${config.namePrefix}-aws`, {
            region: config.region as aws.Region,
            profile: config.awsProfile,
            allowedAccountIds: config.allowedAccountIds,
            defaultTags: { tags: config.tags },
        });
        return buildPlatform(config, references, { providers: { aws: provider } });
    } catch (err) {
        if (err instanceof ConfigError || err instanceof ReferenceError) throw new InvalidInputError(err);
        throw err;
    }
}
