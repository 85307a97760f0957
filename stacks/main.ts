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

/** Invalid configuration or references: shown by Pulumi as a message without a stack trace. */
export class InvalidInputError extends pulumi.RunError {
    constructor(public readonly cause: ConfigError | ReferenceError) {
        super(cause.message);
    }
}

export async function main(): Promise<Record<string, unknown>> {
    try {
        const config = requireConfig(pulumi.runtime.allConfig(), { project: pulumi.getProject(), stack: pulumi.getStack() });
        const references = await resolveReferences(config.references, config.region);
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
