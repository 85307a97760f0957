/**
 * How the Pulumi CLI reads a `--policy-pack-config` file and validates it against the policies a pack announces
 * (pulumi/pulumi v3.259.0):
 *
 *  - `parsePolicyPackConfig` (pkg/resource/analyzer/config.go:93-158): a JSON object; an optional `environments`
 *    list of strings (ESC); every other key is a policy name (or `all`) whose value is an enforcement level string or
 *    an object of properties with an optional `enforcementLevel` (`extractEnforcementLevel`, 162-180). Levels:
 *    advisory, mandatory, remediate, disabled (sdk/go/common/apitype/policy.go:158-174).
 *  - `ReconcilePolicyPackConfig` (config.go:307-335): schema defaults, then the file, `all` first (`applyConfig`,
 *    337-372); then each policy with a `configSchema` has its properties validated against
 *    `{type: object, properties, required}` (`convertSchema`, 263-273: the schema's other keywords are dropped) by
 *    gojsonschema, whose messages are reproduced here for the keywords our schemas use.
 *  - The engine prefixes each fault with `validating policy config: <pack> <version>  ` and prints them sorted
 *    (pkg/engine/update.go:835-841, 1052-1060). Names the pack does not have are not faults for the CLI.
 *
 * Pure module: no Pulumi import.
 */
import { CliError, goJson } from "./errors";

export const ENFORCEMENT_LEVELS = ["advisory", "mandatory", "remediate", "disabled"] as const;
export type EnforcementLevel = (typeof ENFORCEMENT_LEVELS)[number];

/** `plugin.AnalyzerPolicyConfig`: one policy's level and properties. */
export interface AnalyzerPolicyConfig {
    enforcementLevel?: EnforcementLevel;
    properties?: Record<string, unknown>;
}

/** The subset of JSON schema CrossGuard policies declare (`PolicyConfigJSONSchema`). */
export interface JsonSchema {
    type?: string | string[];
    enum?: unknown[];
    minimum?: number;
    maximum?: number;
    /** A schema for every item (a list of schemas, or a boolean, is not checked). */
    items?: JsonSchema | JsonSchema[] | boolean;
    properties?: Record<string, JsonSchema>;
    additionalProperties?: boolean | JsonSchema;
    required?: string[];
    [other: string]: unknown;
}

/** What a pack announces (`GetAnalyzerInfo`): its name, version and each policy's config schema. */
export interface AnalyzerInfo {
    name: string;
    version: string;
    /** Each policy and its config schema (any JSON schema object; the keywords above are the ones checked). */
    policies: Array<{ name: string; configSchema?: { properties?: Record<string, object>; required?: string[] } }>;
}

/** Go's `%v` of a JSON value, for the CLI's "is not a valid value" messages. */
function goValue(v: unknown): string {
    if (v === null || v === undefined) return "<nil>";
    if (Array.isArray(v)) return `[${v.map(goValue).join(" ")}]`;
    if (typeof v === "object") {
        const o = v as Record<string, unknown>;
        return `map[${Object.keys(o)
            .sort()
            .map((k) => `${k}:${goValue(o[k])}`)
            .join(" ")}]`;
    }
    return String(v);
}

const isLevel = (v: unknown): v is EnforcementLevel => (ENFORCEMENT_LEVELS as readonly unknown[]).includes(v);

/** `parsePolicyPackConfig` (config.go:93-158). Throws the CLI's error; keys are visited in sorted order. */
export function parsePolicyPackConfig(text: string): { config: Record<string, AnalyzerPolicyConfig>; environments: string[] } {
    if (text.trim() === "") return { config: {}, environments: [] };
    let data: unknown;
    try {
        data = JSON.parse(text);
    } catch (err) {
        throw new CliError((err as Error).message);
    }
    if (data === null) return { config: {}, environments: [] };
    if (typeof data !== "object" || Array.isArray(data)) {
        const kind = Array.isArray(data) ? "array" : typeof data === "number" ? "number" : typeof data;
        throw new CliError(`json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`);
    }
    const raw = { ...(data as Record<string, unknown>) };
    const environments: string[] = [];
    if ("environments" in raw) {
        const envs = raw.environments;
        if (!Array.isArray(envs)) throw new CliError(`"environments" must be an array of strings, got ${goTypeOfJson(envs)}`);
        envs.forEach((v, i) => {
            if (typeof v !== "string") throw new CliError(`"environments[${i}]" must be a string, got ${goTypeOfJson(v)}`);
            environments.push(v);
        });
        delete raw.environments;
    }
    const config: Record<string, AnalyzerPolicyConfig> = {};
    for (const k of Object.keys(raw).sort()) {
        const v = raw[k];
        let level: EnforcementLevel | undefined;
        let properties: Record<string, unknown> | undefined;
        if (typeof v === "string") {
            if (!isLevel(v)) throw new CliError(`parsing enforcement level for ${JSON.stringify(k)}: ${JSON.stringify(v)} is not a valid enforcement level`);
            level = v;
        } else if (v !== null && typeof v === "object" && !Array.isArray(v)) {
            const props = { ...(v as Record<string, unknown>) };
            if ("enforcementLevel" in props) {
                const el = props.enforcementLevel;
                if (typeof el !== "string") throw new CliError(`parsing enforcement level for ${JSON.stringify(k)}: ${goValue(el)} is not a valid enforcement level; must be a string`);
                if (!isLevel(el)) throw new CliError(`parsing enforcement level for ${JSON.stringify(k)}: ${JSON.stringify(el)} is not a valid enforcement level`);
                level = el;
                delete props.enforcementLevel;
            }
            if (Object.keys(props).length) properties = props;
        } else {
            throw new CliError(`parsing ${JSON.stringify(k)}: ${goValue(v)} is not a valid value; must be a string or object`);
        }
        if (level === undefined && properties === undefined) continue;
        config[k] = { enforcementLevel: level, properties };
    }
    return { config, environments };
}

/** Go's `%T` of a JSON value. */
function goTypeOfJson(v: unknown): string {
    if (v === null) return "<nil>";
    if (typeof v === "string") return "string";
    if (typeof v === "number") return "float64";
    if (typeof v === "boolean") return "bool";
    if (Array.isArray(v)) return "[]interface {}";
    return "map[string]interface {}";
}

/** gojsonschema's name of a JSON value's type. */
function jsonType(v: unknown): string {
    if (v === null) return "null";
    if (Array.isArray(v)) return "array";
    if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
    return typeof v;
}

function typeMatches(expected: string, v: unknown): boolean {
    const given = jsonType(v);
    return expected === given || (expected === "number" && given === "integer");
}

/**
 * gojsonschema's validation of `value` against `schema` for the keywords CrossGuard policy schemas use, each fault as
 * gojsonschema's `ResultError.String()` (`<field>: <description>`, field `(root)` at the top, dotted below).
 */
export function schemaErrors(schema: JsonSchema, value: unknown, field = "(root)"): string[] {
    const at = (child: string | number) => (field === "(root)" ? String(child) : `${field}.${child}`);
    const errors: string[] = [];
    if (schema.type !== undefined) {
        const types = Array.isArray(schema.type) ? schema.type : [schema.type];
        if (!types.some((t) => typeMatches(t, value))) return [`${field}: Invalid type. Expected: ${types.join("/")}, given: ${jsonType(value)}`];
    }
    if (schema.enum && !schema.enum.some((e) => goJson(e) === goJson(value))) {
        errors.push(`${field}: ${field} must be one of the following: ${schema.enum.map((e) => goJson(e)).join(", ")}`);
    }
    if (typeof value === "number") {
        if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${field}: Must be greater than or equal to ${schema.minimum}`);
        if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${field}: Must be less than or equal to ${schema.maximum}`);
    }
    const items = schema.items;
    if (Array.isArray(value) && items && typeof items === "object" && !Array.isArray(items)) value.forEach((item, i) => errors.push(...schemaErrors(items, item, at(i))));
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        const obj = value as Record<string, unknown>;
        for (const r of schema.required ?? []) if (!(r in obj)) errors.push(`${field}: ${r} is required`);
        for (const [k, v] of Object.entries(obj)) {
            const sub = schema.properties?.[k];
            if (sub) errors.push(...schemaErrors(sub, v, at(k)));
            else if (schema.additionalProperties === false) errors.push(`${field}: Additional property ${k} is not allowed`);
            else if (schema.additionalProperties && typeof schema.additionalProperties === "object") errors.push(...schemaErrors(schema.additionalProperties, v, at(k)));
        }
    }
    return errors;
}

/** `applyConfig` (config.go:337-372): `all` sets every policy's level, then each policy's own entry applies. */
export function reconcile(info: AnalyzerInfo, file: Record<string, AnalyzerPolicyConfig>): Record<string, AnalyzerPolicyConfig> {
    const result: Record<string, AnalyzerPolicyConfig> = {};
    for (const p of info.policies) {
        const defaults = Object.entries((p.configSchema?.properties ?? {}) as Record<string, JsonSchema>).filter(([, s]) => s.default !== undefined);
        result[p.name] = { properties: defaults.length ? Object.fromEntries(defaults.map(([k, s]) => [k, s.default])) : undefined };
    }
    const all = file.all;
    if (all?.enforcementLevel) for (const k of Object.keys(result)) result[k] = { ...result[k], enforcementLevel: all.enforcementLevel };
    for (const [name, given] of Object.entries(file)) {
        const current = result[name] ?? {};
        const properties = given.properties ? { ...(current.properties ?? {}), ...given.properties } : current.properties;
        result[name] = { enforcementLevel: given.enforcementLevel ?? current.enforcementLevel, properties };
    }
    return result;
}

/**
 * `validatePolicyPackConfig` (config.go:183-208) as the engine reports it: one line per fault, prefixed with the
 * pack's name and version, sorted.
 */
export function policyConfigFaults(info: AnalyzerInfo, file: Record<string, AnalyzerPolicyConfig>): string[] {
    const reconciled = reconcile(info, file);
    const faults: string[] = [];
    for (const p of info.policies) {
        if (!p.configSchema) continue;
        const schema: JsonSchema = { type: "object" };
        if (p.configSchema.properties && Object.keys(p.configSchema.properties).length) schema.properties = p.configSchema.properties as Record<string, JsonSchema>;
        if (p.configSchema.required?.length) schema.required = p.configSchema.required;
        for (const e of schemaErrors(schema, reconciled[p.name]?.properties ?? {})) {
            faults.push(`validating policy config: ${info.name} ${info.version}  ${p.name}: ${e.replace(/^\(root\): /, "")}`);
        }
    }
    return faults.sort();
}
