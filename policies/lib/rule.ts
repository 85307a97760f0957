/**
 * Rules as plain data and functions over resource views, their evaluation (offline and in tests), and the per-stack
 * policy configuration file that `--policy-pack-config` and the offline evaluation share.
 *
 * Pure module: no Pulumi import.
 */
import { PolicySettings, resolveSettings, SETTING_SCHEMAS, SettingKey } from "./settings";
import { ofType, ResourceView } from "./view";

export type PackName = "security" | "cost" | "aws";
export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";

interface RuleBase {
    /** Policy name, unique across the packs (kebab-case, as CrossGuard shows it). */
    name: string;
    pack: PackName;
    description: string;
    /** Baseline rows (Checkov IDs) this rule covers, for docs/policies.md. */
    baseline?: string[];
    /** Default mandatory. */
    enforcementLevel?: EnforcementLevel;
    /** Settings the rule reads; they become its `configSchema`. */
    uses: SettingKey[];
}

/** Judges one resource at a time; `types` lists the type tokens it looks at. */
export interface ResourceRule extends RuleBase {
    kind: "resource";
    types: string[];
    check(r: ResourceView, s: PolicySettings): string[];
}

/** Judges the whole stack (relationships between resources, totals). */
export interface StackRule extends RuleBase {
    kind: "stack";
    check(resources: ResourceView[], s: PolicySettings): Array<{ urn?: string; message: string }>;
}

export type Rule = ResourceRule | StackRule;

export interface Violation {
    pack: PackName;
    policy: string;
    enforcementLevel: EnforcementLevel;
    urn?: string;
    message: string;
}

/** A `--policy-pack-config` document: `all` and per-policy entries (an enforcement level or an object). */
export type PolicyConfigFile = Record<string, string | (Record<string, unknown> & { enforcementLevel?: EnforcementLevel })>;

const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

/** The enforcement level and settings of one rule under a config file, the way the Pulumi CLI reconciles them. */
export function configFor(rule: Rule, file: PolicyConfigFile = {}): { level: EnforcementLevel; settings: PolicySettings } {
    let level: EnforcementLevel = rule.enforcementLevel ?? "mandatory";
    const all = file.all;
    const allLevel = typeof all === "string" ? all : all?.enforcementLevel;
    if (LEVELS.includes(allLevel as EnforcementLevel)) level = allLevel as EnforcementLevel;
    const own = file[rule.name];
    const ownLevel = typeof own === "string" ? own : own?.enforcementLevel;
    if (LEVELS.includes(ownLevel as EnforcementLevel)) level = ownLevel as EnforcementLevel;
    const props = typeof own === "object" && own ? (own as Partial<PolicySettings>) : {};
    return { level, settings: resolveSettings(props) };
}

/** Runs rules over a resource list. Disabled rules are skipped; a rule that throws is reported, not hidden. */
export function evaluate(rules: Rule[], resources: ResourceView[], file: PolicyConfigFile = {}): Violation[] {
    const out: Violation[] = [];
    for (const rule of rules) {
        const { level, settings } = configFor(rule, file);
        if (level === "disabled") continue;
        const report = (urn: string | undefined, message: string) => out.push({ pack: rule.pack, policy: rule.name, enforcementLevel: level, urn, message });
        try {
            if (rule.kind === "resource") {
                for (const r of ofType(resources, ...rule.types)) for (const m of rule.check(r, settings)) report(r.urn, m);
            } else {
                for (const v of rule.check(resources, settings)) report(v.urn, v.message);
            }
        } catch (err) {
            report(undefined, `rule failed to evaluate: ${(err as Error).message}`);
        }
    }
    return out;
}

/** The `--policy-pack-config` document for a stack: every rule's settings, all mandatory unless a rule says otherwise. */
export function policyConfigFile(rules: Rule[], settings: PolicySettings): PolicyConfigFile {
    const file: PolicyConfigFile = { all: "mandatory" };
    for (const rule of [...rules].sort((a, b) => a.name.localeCompare(b.name))) {
        const entry: Record<string, unknown> = {};
        if (rule.enforcementLevel && rule.enforcementLevel !== "mandatory") entry.enforcementLevel = rule.enforcementLevel;
        for (const key of settingKeysOf(rule)) entry[key] = settings[key];
        if (Object.keys(entry).length) file[rule.name] = entry;
    }
    return file;
}

/** The settings a rule is configured with: the ones it reads, and always the environment (messages name it). */
export function settingKeysOf(rule: Rule): SettingKey[] {
    return ["environment", ...rule.uses.filter((k) => k !== "environment")];
}

/** The `configSchema` of a rule: its settings' schemas. */
export function configSchemaOf(rule: Rule): { properties: Record<string, (typeof SETTING_SCHEMAS)[SettingKey]> } {
    return { properties: Object.fromEntries(settingKeysOf(rule).map((k) => [k, SETTING_SCHEMAS[k]])) };
}

export function isMandatory(v: Violation): boolean {
    return v.enforcementLevel === "mandatory";
}
