/**
 * What the Pulumi CLI does with Pulumi.yaml and a stack file before `pulumi preview` or `pulumi up` starts the
 * program, reproduced for the offline plan and the tests: load and validate the project (project.ts), check its
 * `requiredPulumiVersion` (version.ts), load the stack file (stack.ts), merge the project's declarations into the
 * stack's config and validate it (config.ts). A fault the CLI refuses throws a `CliError` with the CLI's message; this
 * project adds hints where the CLI's message alone misleads (a key outside `config:`, a misspelled namespace, a
 * missing file), on the lines after it.
 *
 * The result is what the nodejs language host hands the program: `<namespace>:<key>` -> text, and the secret keys.
 *
 * Pure module: no Pulumi import.
 */
import * as path from "path";

import { mergeConfig } from "./config";
import { CLI_SOURCE_VERSION, CliError, levenshtein } from "./errors";
import { loadProject, Project } from "./project";
import { loadProjectStack, ProjectStack } from "./stack";
import { satisfies } from "./version";

export { CliError } from "./errors";

/** Stands for a `secure:` value, which only the Pulumi CLI (with the stack's secrets provider) can decrypt. */
export const SECURE_PLACEHOLDER = "[secure value: decrypted only by the Pulumi CLI]";

export interface LoadedStack {
    project: Project;
    stack: string;
    stackFile: string;
    /** `<namespace>:<key>` -> the text the program receives (`pulumi.runtime.allConfig()`). */
    config: Record<string, string>;
    /** Keys whose values are secret (`PULUMI_CONFIG_SECRET_KEYS`). */
    secretKeys: string[];
    /** Keys whose value the CLI took from a project default. */
    defaulted: string[];
    /** What the CLI warns about while loading, and this project's warnings about what the CLI ignores. */
    warnings: string[];
}

/** `Pulumi.<stack>.yaml` -> `<stack>`. */
export function stackNameOf(file: string): string | undefined {
    return /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file))?.[1];
}

/** Hints for keys the CLI reports missing: where in the file they were really written. */
function missingKeyHints(project: Project, stack: ProjectStack, stackFile: string, message: string): string | undefined {
    const missing = [...message.matchAll(/'([^']+)'/g)].map((m) => m[1]).slice(1);
    const hints: string[] = [];
    if (!stack.exists) hints.push(`${stackFile} does not exist: the CLI reads a missing stack file as an empty one`);
    for (const key of missing) {
        if (stack.ignoredAttributes.includes(key) || stack.ignoredAttributes.includes(`${project.name}:${key}`)) {
            hints.push(`${key} is written at the top level of ${path.basename(stackFile)}, outside \`config:\`, where the CLI does not read it`);
        }
        for (const written of stack.config.keys()) {
            const [ns, name] = written.split(":");
            if (name === key && ns !== project.name && levenshtein(ns, project.name) <= 3) {
                hints.push(`${written} is set, in namespace "${ns}": did you mean ${project.name}:${key}?`);
            }
        }
    }
    return hints.length ? hints.join("\n") : undefined;
}

/** Loads a stack's configuration the way the Pulumi CLI does before it starts the program. */
export function loadStackForProgram(opts: { projectFile: string; stackFile: string; stack?: string }): LoadedStack {
    const stack = opts.stack ?? stackNameOf(opts.stackFile);
    if (!stack) throw new CliError(`${opts.stackFile}: a stack file is named Pulumi.<stack>.yaml`);
    const project = loadProject(opts.projectFile);
    if (project.requiredPulumiVersion !== undefined) {
        let ok: boolean;
        try {
            ok = satisfies(CLI_SOURCE_VERSION, project.requiredPulumiVersion);
        } catch (err) {
            throw new CliError((err as Error).message);
        }
        if (!ok) throw new CliError(`Pulumi CLI version ${CLI_SOURCE_VERSION} does not satisfy the version range "${project.requiredPulumiVersion}"`, "the offline tools reproduce that CLI version's rules");
    }
    const loaded = loadProjectStack(project.name, opts.stackFile);
    if (loaded.environment !== undefined) {
        throw new CliError(
            `${path.basename(opts.stackFile)} imports Pulumi ESC environments (environment: ${JSON.stringify(loaded.environment)})`,
            "only the Pulumi CLI, logged in to Pulumi Cloud, can open them; the offline plan cannot see their values",
        );
    }
    let merged;
    try {
        merged = mergeConfig(stack, project, loaded.config);
    } catch (err) {
        if (err instanceof CliError && /is missing configuration/.test(err.message)) {
            throw new CliError(err.message, missingKeyHints(project, loaded, opts.stackFile, err.message));
        }
        throw err;
    }
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, v] of merged.config) {
        config[key] = v.secure && !v.object ? SECURE_PLACEHOLDER : v.value;
        if (v.secure) secretKeys.push(key);
    }
    const warnings = [...loaded.warnings];
    for (const attr of loaded.ignoredAttributes) {
        warnings.push(`${path.basename(opts.stackFile)}: "${attr}" is not a stack file attribute (${"secretsprovider, encryptedkey, encryptionsalt, config, environment"}); the Pulumi CLI ignores it. Configuration belongs under \`config:\`.`);
    }
    return { project, stack, stackFile: opts.stackFile, config, secretKeys: secretKeys.sort(), defaulted: merged.defaulted, warnings };
}
