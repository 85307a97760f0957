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
import YAML from "yaml";

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

/**
 * `ParsePropertyPathStrict` (sdk/go/common/resource/properties_path.go:63-147): `a.b`, `a[0]`, `a["x.y"]`, `a[*]`;
 * any run of characters up to the next `.` or `[` is a name.
 */
export function parsePropertyPath(path: string): Array<string | number> {
    const out: Array<string | number> = [];
    if (path.startsWith(".")) throw new CliError("invalid config key path: expected property path to start with a name or index");
    let rest = path;
    while (rest.length) {
        if (rest[0] === ".") {
            rest = rest.slice(1);
            if (!rest.length) throw new CliError("invalid config key path: expected property path to end with a name or index");
            if (rest[0] === "[") throw new CliError("invalid config key path: expected property name after '.'");
        } else if (rest[0] === "[") {
            if (rest[1] === '"') {
                let i = 2;
                let key = "";
                for (;;) {
                    if (i >= rest.length) throw new CliError("invalid config key path: missing closing quote in property name");
                    if (rest[i] === '"') {
                        i++;
                        break;
                    }
                    if (rest[i] === "\\" && rest[i + 1] === '"') {
                        key += '"';
                        i += 2;
                    } else key += rest[i++];
                }
                if (rest[i] !== "]") throw new CliError("invalid config key path: missing closing bracket in property access");
                out.push(key);
                rest = rest.slice(i + 1);
            } else {
                const close = rest.indexOf("]");
                if (close < 0) throw new CliError("invalid config key path: missing closing bracket in array index");
                const segment = rest.slice(1, close);
                if (segment !== "*" && !/^[+-]?\d+$/.test(segment)) throw new CliError(`invalid config key path: invalid array index: strconv.ParseInt: parsing "${segment}": invalid syntax`);
                out.push(segment === "*" ? "*" : Number(segment));
                rest = rest.slice(close + 1);
            }
        } else {
            const end = rest.search(/[.[]/);
            out.push(end < 0 ? rest : rest.slice(0, end));
            rest = end < 0 ? "" : rest.slice(end);
        }
    }
    return out;
}

/** `coerce` (object.go:566-600): "true"/"false" and decimal integers without a leading zero become typed. */
function coerce(text: string): unknown {
    if (text === "true") return true;
    if (text === "false") return false;
    if (text.length > 1 && text[0] === "0") return text;
    if (/^-?\d+$/.test(text)) {
        const n = BigInt(text);
        if (n >= -(2n ** 63n) && n < 2n ** 64n) return Number.isSafeInteger(Number(n)) ? Number(n) : n;
    }
    return text;
}

/**
 * `pulumi config set [--path] [--secret] <key> <value>` on a stack's config (`config.Map.Set`, map.go:225-270, and
 * `object.Set`, object.go:280-351): with `--path` the key's name is a property path into a list or map, created as
 * needed, and the value is coerced to a boolean or an integer where it reads as one. `--secret` stores `ciphertext`
 * as the secure value (offline there is no secrets provider to encrypt with).
 */
export function configSet(config: Map<string, StackValue>, projectName: string, rawKey: string, value: string, opts: { path?: boolean; secret?: boolean } = {}): void {
    const key = parseKey(rawKey.includes(":") ? rawKey : `${projectName}:${rawKey}`);
    const [ns, name] = [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)];
    const stored: StackValue = opts.secret ? { value, secure: true, object: false } : { value, secure: false, object: false };
    if (!opts.path) {
        config.set(key, stored);
        return;
    }
    const p = parsePropertyPath(name);
    if (!p.length) throw new CliError("empty config key path");
    if (typeof p[0] !== "string") throw new CliError("first path segement of config key must be a string");
    if (p[0] === "") throw new CliError("config key is empty");
    const rootKey = `${ns}:${p[0]}`;
    if (p.length === 1) {
        config.set(rootKey, stored);
        return;
    }
    const leaf: unknown = opts.secret ? { secure: value } : coerce(value);
    const existing = config.get(rootKey);
    const container = (accessor: string | number): unknown => (typeof accessor === "number" ? [] : {});
    let root: unknown = existing ? (existing.object ? JSON.parse(existing.value) : existing.value) : container(p[1]);
    const set = (node: unknown, prefix: Array<string | number>, path: Array<string | number>, depth: number): unknown => {
        if (!path.length) return leaf;
        let c = node;
        const isContainer = Array.isArray(c) || (c !== null && typeof c === "object");
        if (c === null || c === undefined) c = container(path[0]);
        else if (!isContainer) {
            // COMPAT (object.go:301-315): a scalar at the first level is replaced; deeper it is a type error.
            if (depth === 1) c = container(path[0]);
            else throw new CliError(`${formatPath(prefix)}: expected ${typeof path[0] === "number" ? "an array" : "a map"}`);
        }
        const here = [...prefix, path[0]];
        if (Array.isArray(c)) {
            if (typeof path[0] !== "number") throw new CliError(`${formatPath(here)}: key for an array must be an int`);
            if (path[0] < 0 || path[0] > c.length) throw new CliError(`${formatPath(here)}: array index out of range`);
            c[path[0]] = set(c[path[0]], here, path.slice(1), depth + 1);
            return c;
        }
        if (typeof path[0] !== "string") throw new CliError(`${formatPath(here)}: key for a map must be a string`);
        const obj = c as Record<string, unknown>;
        if (path.length === 1 && Object.keys(obj).length === 0 && path[0] === "secure" && typeof leaf === "string") {
            throw new CliError(`${formatPath(prefix)}: maps with the single key "secure" are reserved`);
        }
        obj[path[0]] = set(obj[path[0]], here, path.slice(1), depth + 1);
        return obj;
    };
    root = set(root, [p[0]], p.slice(1), 1);
    config.set(rootKey, toStackValue(root));
}

/**
 * The `config:` section of a stack file as `pulumi config set` saves it (`ProjectStack.Save`): objects as YAML
 * mappings and lists, secure values as `{secure: <ciphertext>}`, everything else as its text.
 */
export function renderProjectStack(config: Map<string, StackValue>): string {
    const doc: Record<string, unknown> = {};
    for (const [key, v] of config) {
        doc[key] = v.object ? JSON.parse(v.value) : v.secure ? { secure: v.value } : v.value;
    }
    return YAML.stringify({ config: doc });
}

/** A property path as Go's `PropertyPath.String` prints it. */
function formatPath(path: Array<string | number>): string {
    return path.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
}
