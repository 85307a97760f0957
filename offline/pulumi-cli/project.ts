/**
 * Loading a Pulumi.yaml as the Pulumi CLI does (pulumi/pulumi v3.259.0, sdk/go/common/workspace):
 *
 *  1. `LoadProjectBytes` (loaders.go:109-149): unmarshal the YAML, `ValidateProject` (project.go:569-657: a non-empty
 *     string `name`, then the JSON schema), rewrite a string `config` into `stackConfigDir`
 *     (`RewriteConfigPathIntoStackConfigDir`, project.go:448), rewrite shorthand config values into declarations
 *     (`RewriteShorthandConfigValues`, project.go:486), then `Project.Validate` (project.go:837-889).
 *  2. `ValidateConfigValue` (project.go:771-831): which values a declared type accepts; strings are accepted for
 *     integers and booleans, because every stack value reaches it as a string.
 *
 * The CLI reports a fault and stops; so does `loadProject` (a `CliError` with the CLI's message). Where Go iterates a
 * map (in random order) and stops at the first fault, this reports the first in sorted key order.
 *
 * Pure module: no Pulumi import.
 */
import Ajv2020 from "ajv/dist/2020";
import * as fs from "fs";
import { parseDocument } from "yaml";

import { CliError, findClosestKey, goTypeName, multiError } from "./errors";
import { PROJECT_SCHEMA } from "./project-schema";

/** `ProjectConfigItemsType` (project.go:277). */
export interface ConfigItemsType {
    type: string;
    items?: ConfigItemsType;
}

/** `ProjectConfigType` (project.go:282): one declared config key. */
export interface ProjectConfigType {
    type?: string;
    description?: string;
    items?: ConfigItemsType;
    default?: unknown;
    value?: unknown;
    secret?: boolean;
}

export interface Project {
    name: string;
    runtime: { name: string; options: Record<string, unknown> };
    main?: string;
    description?: string;
    stackConfigDir?: string;
    /** The CLI version range this project needs (project.go:363-369), checked by `pulumi preview` and `up`. */
    requiredPulumiVersion?: string;
    config: Record<string, ProjectConfigType>;
}

/** The wrapper the CLI's YAML marshaller puts around syntax errors (sdk/go/common/encoding/marshal.go:111-124). */
export function readYaml(text: string, opts: { intAsBigInt?: boolean } = {}): unknown {
    const doc = parseDocument(text.replace(/^\uFEFF/, ""), { intAsBigInt: opts.intAsBigInt ?? false, uniqueKeys: true });
    if (doc.errors.length) throw new Error(`invalid YAML file: ${doc.errors[0].message.split("\n")[0]}`);
    return doc.toJS({ maxAliasCount: 100 });
}

/** `InferFullTypeName` (project.go:760-766): `array<string>` for an array of strings. */
export function inferFullTypeName(typeName: string, items: ConfigItemsType | undefined): string {
    return items ? `array<${inferFullTypeName(items.type, items.items)}>` : typeName;
}

/** `strconv.Atoi`: an optionally signed decimal that fits 64 bits. */
function atoiOk(text: string): boolean {
    if (!/^[+-]?\d+$/.test(text)) return false;
    const n = BigInt(text);
    return n >= -(2n ** 63n) && n < 2n ** 63n;
}

/** `ValidateConfigValue` (project.go:771-831). */
export function validateConfigValue(typeName: string, items: ConfigItemsType | undefined, value: unknown): boolean {
    switch (typeName) {
        case "string":
            return typeof value === "string";
        case "integer":
            if (typeof value === "bigint") return true;
            // YAML gives whole floats for integers; JSON always does.
            if (typeof value === "number") return Number.isInteger(value);
            return typeof value === "string" && atoiOk(value);
        case "boolean":
            return value === "true" || value === "false" || typeof value === "boolean";
        case "object":
            return value !== null && typeof value === "object" && !Array.isArray(value);
    }
    if (!Array.isArray(value) || !items) return false;
    return value.every((item) => validateConfigValue(items.type, items.items, item));
}

/** `configKeyIsNamespacedByProject` (project.go:833). */
export function isProjectNamespaced(projectName: string, key: string): boolean {
    return !key.includes(":") || key.startsWith(`${projectName}:`);
}

let validateSchema: ReturnType<Ajv2020["compile"]> | undefined;

/** The JSON type name santhosh-tekuri/jsonschema v5 (the CLI's validator) gives a value: numbers are "number". */
function schemaTypeOf(v: unknown): string {
    if (v === null) return "null";
    if (Array.isArray(v)) return "array";
    return typeof v;
}

/** The attributes the schema allows at an instance location (`getSchemaPathAttributes`, project.go:694-758). */
function attributesAt(instancePath: string): string[] {
    let node: any = PROJECT_SCHEMA;
    const defs = PROJECT_SCHEMA.$defs as Record<string, any>;
    const deref = (n: any) => (n?.$ref ? defs[String(n.$ref).split("/").pop()!] : n);
    for (const part of instancePath.split("/").filter(Boolean)) {
        node = deref(node);
        if (node?.properties?.[part]) node = node.properties[part];
        else if (node?.additionalProperties && typeof node.additionalProperties === "object") node = node.additionalProperties;
        else return [];
    }
    node = deref(node);
    return Object.keys(node?.properties ?? {});
}

/** One ajv fault in the words of santhosh-tekuri/jsonschema v5, which the CLI uses. */
function describeFault(e: { keyword: string; instancePath: string; params: Record<string, any>; message?: string }, data: unknown): string {
    const value = e.instancePath.split("/").filter(Boolean).reduce<any>((o, k) => o?.[k.replace(/~1/g, "/").replace(/~0/g, "~")], data);
    switch (e.keyword) {
        case "type": {
            const types: string[] = Array.isArray(e.params.type) ? e.params.type : String(e.params.type).split(",");
            return `expected ${types.join(" or ")}, but got ${schemaTypeOf(value)}`;
        }
        case "oneOf":
            return "oneOf failed";
        case "enum":
            return `value must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
        case "const":
            return `value must be ${JSON.stringify(e.params.allowedValue)}`;
        case "minLength":
            return `length must be >= ${e.params.limit}, but got ${String(value ?? "").length}`;
        case "required":
            return `missing properties: ${JSON.stringify(e.params.missingProperty)}`;
        case "additionalProperties": {
            // ValidateProject (project.go:623-645) adds the nearest allowed attribute, or the list of them.
            const name = String(e.params.additionalProperty);
            const allowed = attributesAt(e.instancePath);
            let msg = `additionalProperties '${name}' not allowed`;
            const closest = findClosestKey(name, allowed);
            if (closest) msg += `; did you mean '${closest}'?`;
            else if (allowed.length > 1) {
                const quoted = allowed.map((a) => `'${a}'`).sort();
                msg += `; the allowed attributes are ${quoted.slice(0, -1).join(", ")} and ${quoted[quoted.length - 1]}`;
            } else if (allowed.length === 1) msg += `; the only allowed attribute is '${allowed[0]}'`;
            return msg;
        }
        default:
            return e.message ?? e.keyword;
    }
}

/** `ValidateProject` (project.go:569-657): the `name` checks, then the schema; every schema fault is listed. */
export function validateProject(raw: unknown): string | undefined {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return `expected project to be an object, was '${goTypeName(raw)}'`;
    const project = raw as Record<string, unknown>;
    if (!("name" in project)) {
        const closest = findClosestKey("name", Object.keys(project));
        return closest ? `project is missing a 'name' attribute; found '${closest}' instead` : "project is missing a 'name' attribute";
    }
    if (typeof project.name !== "string" || project.name === "") return "project is missing a non-empty string 'name' attribute";
    validateSchema ??= new Ajv2020({ allErrors: true, strict: false }).compile(PROJECT_SCHEMA);
    if (validateSchema(project)) return undefined;
    // The validator reports a failed oneOf and then each branch's fault, as the CLI lists its causes.
    const faults = (validateSchema.errors ?? []).filter((e) => e.instancePath !== "" || e.keyword !== "if");
    const ordered = [...faults.filter((e) => e.keyword === "oneOf"), ...faults.filter((e) => e.keyword !== "oneOf" && e.keyword !== "if")];
    const lines = [...new Set(ordered.map((e) => `#${e.instancePath}: ${describeFault(e as any, project)}`))];
    return multiError(lines);
}

/** `Project.Validate` (project.go:837-889), keys in sorted order. */
export function validateDeclarations(name: string, config: Record<string, ProjectConfigType>): string | undefined {
    for (const key of Object.keys(config).sort()) {
        const t = config[key];
        if (t.default !== undefined && t.value !== undefined) return `project config '${key}' cannot have both a 'default' and 'value' attribute`;
        if (isProjectNamespaced(name, key)) {
            if (t.type === "array" && !t.items) {
                return `The configuration key '${key}' declares an array but does not specify the underlying type via the 'items' attribute`;
            }
            if (t.type !== undefined && t.default !== undefined && !validateConfigValue(t.type, t.items, t.default)) {
                return `The default value specified for configuration key '${key}' is not of the expected type '${inferFullTypeName(t.type, t.items)}'`;
            }
        } else {
            if (t.type !== undefined) return `Configuration key '${key}' is not namespaced by the project and should not define a type`;
            if (t.default !== undefined) {
                return `Configuration key '${key}' is not namespaced by the project and should not define a default value. Did you mean to use the 'value' attribute instead of 'default'?`;
            }
            if (t.value === undefined) return `Configuration key '${key}' is namespaced and must provide an attribute 'value'`;
        }
    }
    return undefined;
}

/** `LoadProjectBytes` (loaders.go:109-149). */
export function parseProject(text: string, file: string): Project {
    let raw: unknown;
    try {
        raw = readYaml(text);
    } catch (err) {
        throw new CliError(`could not unmarshal '${file}': ${(err as Error).message}`);
    }
    const fault = validateProject(raw);
    if (fault) throw new CliError(`could not validate '${file}': ${fault}`);
    const p = { ...(raw as Record<string, any>) };
    // RewriteConfigPathIntoStackConfigDir (project.go:448-470)
    if (typeof p.config === "string") {
        if ("stackConfigDir" in p) throw new CliError("Should not use both config and stackConfigDir to define the stack directory. Use only stackConfigDir instead.");
        p.stackConfigDir = p.config;
        p.config = undefined;
    }
    // RewriteShorthandConfigValues (project.go:486-518): a bare value is a default of a project key, a value otherwise.
    const config: Record<string, ProjectConfigType> = {};
    for (const [key, v] of Object.entries((p.config ?? {}) as Record<string, unknown>)) {
        const shorthand = typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isInteger(v)) || Array.isArray(v);
        config[key] = shorthand ? (isProjectNamespaced(p.name, key) ? { default: v } : { value: v }) : ((v ?? {}) as ProjectConfigType);
    }
    const fault2 = validateDeclarations(p.name, config);
    if (fault2) throw new CliError(`could not unmarshal '${file}': ${fault2}`);
    const runtime = typeof p.runtime === "string" ? { name: p.runtime, options: {} } : { name: p.runtime?.name ?? "", options: p.runtime?.options ?? {} };
    return {
        name: p.name,
        runtime,
        main: p.main ?? undefined,
        description: p.description ?? undefined,
        stackConfigDir: p.stackConfigDir ?? undefined,
        requiredPulumiVersion: typeof p.requiredPulumiVersion === "string" ? p.requiredPulumiVersion : undefined,
        config,
    };
}

/** `LoadProject` (loaders.go:92-106): the file is read with a UTF-8 BOM stripped. */
export function loadProject(file: string): Project {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new CliError(`could not read '${file}': ${(err as Error).message}`);
    }
    return parseProject(text, file);
}
