/**
 * Loading a stack file (`Pulumi.<stack>.yaml`) as the Pulumi CLI does (pulumi/pulumi v3.259.0):
 *
 *  - `LoadProjectStack` (sdk/go/common/workspace/loaders.go:151-171): a missing file is an empty configuration.
 *  - `LoadProjectStackBytes` (loaders.go:173-234): an empty document is an empty configuration; the document must be a
 *    mapping; config keys without a namespace are put in the project's (`stackConfigNamespacedWithProject`,
 *    loaders.go:61-90); keys with no value draw a warning and read as "" (`checkForEmptyConfig`, loaders.go:379-420);
 *    attributes other than the `ProjectStack` fields (project.go:1228-1244) are ignored without a word, because the
 *    CLI's YAML reader is not strict (encoding/marshal.go:111-114).
 *  - `config.Map.UnmarshalYAML` (sdk/go/common/resource/config/map.go:310-327) and `ParseKey` (key.go): every key is
 *    `<namespace>:<name>` or the old `<namespace>:config:<name>`.
 *  - `config.Value` (value.go, object.go): scalars become their text (integers exact, booleans `true`/`false`); a
 *    mapping whose only key is `secure` is a ciphertext; other mappings and lists are "object" values held as JSON
 *    (keys sorted, as Go's encoder writes them), secure when any part of them is (`isSecureValue`, object.go:541).
 *
 * Pure module: no Pulumi import.
 */
import * as fs from "fs";

import { CliError, goJson, goScalar, goTypeName } from "./errors";
import { readYaml } from "./project";

/** One stack config value as the CLI holds it (`config.Value`, value.go:36-41). */
export interface StackValue {
    /** The text the program receives (ciphertext for secure scalars, JSON for objects). */
    value: string;
    secure: boolean;
    object: boolean;
}

/** The attributes of a stack file the CLI reads (`ProjectStack`, project.go:1228-1244). */
export const STACK_FILE_ATTRIBUTES = ["secretsprovider", "encryptedkey", "encryptionsalt", "config", "environment"] as const;

export interface ProjectStack {
    /** `<namespace>:<name>` -> value. */
    config: Map<string, StackValue>;
    /** ESC environments the stack imports (`environment:`), which only the CLI can open. */
    environment?: unknown;
    secretsProvider?: string;
    encryptionSalt?: string;
    /** Whether the file existed (the CLI treats a missing one as empty). */
    exists: boolean;
    /** Top-level attributes the CLI ignores (a key written outside `config:` lands here). */
    ignoredAttributes: string[];
    /** The warnings the CLI prints while loading (no value for a key). */
    warnings: string[];
}

/** `ParseKey` (sdk/go/common/resource/config/key.go): `ns:name`, or `ns:config:name` for `ns:name`. */
export function parseKey(key: string): string {
    const colons = key.split(":").length - 1;
    if (colons === 1) return key;
    if (colons === 2) {
        const [ns, module, name] = key.split(":");
        if (module === "config" && ns !== "" && name !== "") return `${ns}:${name}`;
    }
    throw new CliError(`could not unmarshal map: could not parse ${key} as a configuration key (configuration keys should be of the form \`<namespace>:<name>\`)`);
}

function isSecure(v: unknown): boolean {
    return v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as Record<string, unknown>).secure === "string";
}

function containsSecure(v: unknown): boolean {
    if (isSecure(v)) return true;
    if (Array.isArray(v)) return v.some(containsSecure);
    if (v !== null && typeof v === "object") return Object.values(v).some(containsSecure);
    return false;
}

/** `object.MarshalString` (object.go:403-420) of a value decoded from the stack file. */
export function toStackValue(v: unknown): StackValue {
    if (v === null || v === undefined) return { value: "", secure: false, object: false };
    if (isSecure(v)) return { value: (v as { secure: string }).secure, secure: true, object: false };
    if (typeof v === "string") return { value: v, secure: false, object: false };
    if (typeof v === "bigint" || typeof v === "number" || typeof v === "boolean") return { value: goScalar(v), secure: false, object: false };
    if (v instanceof Date) return { value: v.toISOString(), secure: false, object: false };
    return { value: goJson(v), secure: containsSecure(v), object: true };
}

/** `checkForEmptyConfig`'s warning (loaders.go:379-420). */
function emptyConfigWarning(keys: string[]): string | undefined {
    if (!keys.length) return undefined;
    const quoted = keys.map((k) => `"${k}"`);
    const list = quoted.length === 2 ? quoted.join(" and ") : quoted.join(", ");
    const s = keys.length > 1 ? "s" : "";
    return `No value for configuration key${s} ${list}. This is currently treated as an empty string \`""\`, but will be treated as \`null\` in a future version of pulumi.\nSet the value${s} to \`""\` to avoid this warning.`;
}

/** `LoadProjectStackBytes` (loaders.go:173-234). */
export function parseProjectStack(projectName: string, text: string, file: string): ProjectStack {
    let raw: unknown;
    try {
        raw = readYaml(text, { intAsBigInt: true });
    } catch (err) {
        throw new CliError((err as Error).message, `in ${file}`);
    }
    const empty: ProjectStack = { config: new Map(), exists: true, ignoredAttributes: [], warnings: [] };
    if (raw === null || raw === undefined) return empty;
    if (typeof raw !== "object" || Array.isArray(raw)) throw new CliError(`expected project to be an object, was '${goTypeName(raw)}'`, `in ${file}`);
    const doc = raw as Record<string, unknown>;
    const stack: ProjectStack = { ...empty, ignoredAttributes: Object.keys(doc).filter((k) => !(STACK_FILE_ATTRIBUTES as readonly string[]).includes(k)) };
    if (typeof doc.secretsprovider === "string") stack.secretsProvider = doc.secretsprovider;
    if (typeof doc.encryptionsalt === "string") stack.encryptionSalt = doc.encryptionsalt;
    if (doc.environment !== undefined && doc.environment !== null) stack.environment = doc.environment;
    const config = doc.config;
    if (config === undefined || config === null) return stack;
    if (typeof config !== "object" || Array.isArray(config)) {
        const tag = Array.isArray(config) ? "!!seq" : typeof config === "string" ? "!!str" : typeof config === "boolean" ? "!!bool" : "!!int";
        throw new CliError(`could not unmarshal map: yaml: unmarshal errors:\n  cannot unmarshal ${tag} into map[string]config.Value`, `in ${file}: "config" must be a mapping of <namespace>:<key> to values`);
    }
    const entries = Object.entries(config as Record<string, unknown>);
    const warning = emptyConfigWarning(entries.filter(([, v]) => v === null).map(([k]) => k));
    if (warning) stack.warnings.push(warning);
    for (const [rawKey, v] of entries) {
        const key = parseKey(rawKey.includes(":") ? rawKey : `${projectName}:${rawKey}`);
        stack.config.set(key, toStackValue(v));
    }
    return stack;
}

/** `LoadProjectStack` (loaders.go:151-171): a stack file that does not exist is an empty one. */
export function loadProjectStack(projectName: string, file: string): ProjectStack {
    if (!fs.existsSync(file)) return { config: new Map(), exists: false, ignoredAttributes: [], warnings: [] };
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new CliError((err as Error).message);
    }
    return parseProjectStack(projectName, text, file);
}
