/**
 * Runs the program offline: a stack's configuration, the reference fixtures and Pulumi's mock runtime stand in for
 * the Pulumi CLI and AWS. Returns every registered resource and the resolved stack outputs.
 */
import * as pulumi from "@pulumi/pulumi";

import { PROJECT } from "../stacks/config";
import { installMocks, RecordedResource, ReferenceFixtures, SECRET_MASK } from "./mocks";

export interface ProgramRun {
    stack: string;
    resources: RecordedResource[];
    outputs: Record<string, unknown>;
    /** The outputs with secrets masked (equal to `outputs` unless secrets are shown). */
    maskedOutputs?: Record<string, unknown>;
}

/** Resolves Outputs inside a value; secrets become `[secret]` unless shown. */
export async function resolveDeep(value: unknown, showSecrets: boolean): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        const o = value as any;
        const [inner, secret] = await Promise.all([o.promise(), o.isSecret]);
        if (secret && !showSecrets) return SECRET_MASK;
        return resolveDeep(inner, showSecrets);
    }
    if (value instanceof Promise) return resolveDeep(await value, showSecrets);
    if (Array.isArray(value)) return Promise.all(value.map((v) => resolveDeep(v, showSecrets)));
    if (value !== null && typeof value === "object" && !(value instanceof pulumi.Resource)) {
        const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolveDeep(v, showSecrets)] as const));
        return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
    }
    return value;
}

/**
 * Runs `main()` for one stack under mocks. Errors the program throws (invalid configuration or references, a
 * component's validation) propagate; so does any error raised asynchronously while resources register.
 */
export async function runProgram(opts: {
    stack: string;
    config: Record<string, string>;
    secretKeys?: string[];
    references: ReferenceFixtures;
    showSecrets?: boolean;
}): Promise<ProgramRun> {
    pulumi.runtime.setAllConfig(opts.config, opts.secretKeys);
    const recorder = await installMocks({ project: PROJECT, stack: opts.stack, references: opts.references, showSecrets: opts.showSecrets });
    let asyncError: unknown;
    const onRejection = (reason: unknown) => {
        asyncError ??= reason;
    };
    process.on("unhandledRejection", onRejection);
    try {
        // Loaded after the mocks, so that nothing registers against a real engine.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { main } = require("../stacks/main") as typeof import("../stacks/main");
        const raw = await main();
        const outputs = (await resolveDeep(raw, opts.showSecrets ?? false)) as Record<string, unknown>;
        // Policies judge what Pulumi would store: secrets masked, whatever the caller shows.
        const maskedOutputs = opts.showSecrets ? ((await resolveDeep(raw, false)) as Record<string, unknown>) : outputs;
        await recorder.settled();
        if (asyncError) throw asyncError;
        return { stack: opts.stack, resources: recorder.resources, outputs, maskedOutputs };
    } finally {
        process.off("unhandledRejection", onRejection);
    }
}
