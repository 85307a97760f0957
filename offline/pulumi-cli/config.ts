/**
 * How the Pulumi CLI merges a project's config declarations into a stack's configuration and validates the result
 * before the program starts (pulumi/pulumi v3.259.0, pkg/workspace/config.go, `mergeConfig` at 255-366, called by
 * `ValidateStackConfigAndApplyProjectConfig` for `pulumi preview` and `pulumi up`):
 *
 *  1. For each declared key in sorted order: a key of the project's namespace with no `default` or `value` that the
 *     stack does not set is **required**; all such keys are reported together (`missingStackConfigurationKeysError`,
 *     config.go:53-64, and `formatMissingKeys`, 30-51). A `default` (or `value`) is merged into the stack's config
 *     where the stack does not set the key (`createConfigValue`, 179-193): the program cannot tell it from a value
 *     the stack set.
 *  2. `validateStackConfigValues` (66-117) then checks each explicitly typed key: a `secret: true` key must hold a
 *     `secure:` value (128-134), and the value must be of the declared type (136-154, `ValidateConfigValue`).
 *     The first fault stops the CLI.
 *
 * Offline, a `secure:` value cannot be decrypted, so its type is not checked (the CLI decrypts it first).
 *
 * Pure module: no Pulumi import.
 */
import { CliError, goJson, goScalar } from "./errors";
import { inferFullTypeName, Project, validateConfigValue } from "./project";
import { parseKey, StackValue } from "./stack";

/** `formatMissingKeys` (config.go:30-51): `'a'`, `'a' and 'b'`, `'a', 'b' and 'c'`. */
export function formatMissingKeys(keys: string[]): string {
    if (keys.length === 1) return `'${keys[0]}'`;
    const sorted = [...keys].sort();
    return sorted.map((k, i) => (i === sorted.length - 1 ? `and '${k}'` : i === sorted.length - 2 ? `'${k}' ` : `'${k}', `)).join("");
}

/** `missingStackConfigurationKeysError` (config.go:53-64). */
export function missingKeysMessage(stackName: string, keys: string[]): string {
    return `Stack '${stackName}' is missing configuration ${keys.length > 1 ? "values" : "value"} ${formatMissingKeys(keys)}`;
}

/** `parseConfigKey` (config.go:159-168): a declared key without a namespace is in the project's. */
export function parseConfigKey(projectName: string, key: string): string {
    return key.includes(":") ? parseKey(key) : `${projectName}:${key}`;
}

/** `createConfigValue` (config.go:179-193): what a project `default` or `value` becomes in the stack's config. */
export function createConfigValue(raw: unknown): StackValue {
    if (typeof raw === "string" || typeof raw === "boolean" || typeof raw === "bigint" || (typeof raw === "number" && Number.isInteger(raw))) {
        return { value: goScalar(raw), secure: false, object: false };
    }
    return { value: goJson(raw), secure: false, object: true };
}

export interface MergeResult {
    /** The merged configuration: the stack's values and the project's defaults. */
    config: Map<string, StackValue>;
    /** Project keys whose default the CLI merged in (the stack does not set them). */
    defaulted: string[];
}

/**
 * `mergeConfig` with `validate` true (config.go:255-366). Throws the CLI's error for the first fault; returns the
 * merged configuration otherwise. The stack's map is not modified.
 */
export function mergeConfig(stackName: string, project: Project, stackConfig: Map<string, StackValue>): MergeResult {
    const merged = new Map(stackConfig);
    const missing: string[] = [];
    const defaulted: string[] = [];
    const keys = Object.keys(project.config).sort();
    for (const declared of keys) {
        const t = project.config[declared];
        const key = parseConfigKey(project.name, declared);
        const found = merged.has(key);
        const hasDefault = t.default !== undefined;
        const hasValue = t.value !== undefined;
        if (!found && !hasValue && !hasDefault && key.split(":")[0] === project.name) {
            missing.push(declared);
            continue;
        }
        if (!found && (hasValue || hasDefault)) {
            merged.set(key, createConfigValue(hasDefault ? t.default : t.value));
            defaulted.push(key);
        }
    }
    if (missing.length) throw new CliError(missingKeysMessage(stackName, missing));

    // validateStackConfigValues (config.go:66-117) and validateStackConfigValue (119-157)
    for (const declared of keys) {
        const t = project.config[declared];
        if (t.type === undefined) continue;
        const stackValue = merged.get(parseConfigKey(project.name, declared)) ?? { value: "", secure: false, object: false };
        if (t.secret && !stackValue.secure) throw new CliError(`Stack '${stackName}' with configuration key '${declared}' must be encrypted as it's secret`);
        if (stackValue.secure) continue; // decrypted only by the CLI
        const content = stackValue.object ? JSON.parse(stackValue.value) : stackValue.value;
        if (!validateConfigValue(t.type, t.items, content)) {
            throw new CliError(`Stack '${stackName}' with configuration key '${declared}' must be of type '${inferFullTypeName(t.type, t.items)}'`);
        }
    }
    return { config: merged, defaulted };
}
