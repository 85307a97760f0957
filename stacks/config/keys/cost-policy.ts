/**
 * `costPolicy`: the stack's own cost-policy limits, which override the environment's defaults
 * (policies/lib/settings.ts) in the stack's `--policy-pack-config` file, policies/config/<stack>.json
 * (`npm run -s policy -- config --stack <stack> --write`). A team allows g6 in dev by setting
 * `costPolicy.allowedInstanceFamilies`, without editing code.
 *
 * Pure module: no Pulumi import.
 */
import type { PolicySettings } from "../../../policies/lib/settings";
import { ConfigProblem, KeySpecs, nearest, show } from "../spec";

/** The limits a stack may set, each with how it is checked. */
const INSTANCE_FAMILY = /^[a-z][a-z0-9-]*\d[a-z0-9-]*$/;
const DB_CLASS = /^db\.[a-z0-9]+\.[a-z0-9]+$/;

type Check = { ok: (v: unknown) => boolean; allowed: string };
const list = (re: RegExp, what: string): Check => ({
    ok: (v) => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string" && re.test(x)),
    allowed: `expected a non-empty list of ${what}`,
});
const int = (min: number): Check => ({ ok: (v) => Number.isInteger(v) && (v as number) >= min, allowed: `expected an integer of at least ${min}` });

export const COST_POLICY_LIMITS = {
    allowedInstanceFamilies: list(INSTANCE_FAMILY, "EC2 instance families (c5, g6, p4d, ...)"),
    maxVcpusPerComputeEnvironment: int(1),
    maxVcpusTotal: int(1),
    maxMinVcpus: int(0),
    allowOnDemandFirstGpu: { ok: (v: unknown) => typeof v === "boolean", allowed: "expected true or false" },
    allowedDbInstanceClasses: list(DB_CLASS, "RDS instance classes (db.t4g.small, ...)"),
    maxNatGateways: int(0),
    minLogRetentionDays: int(1),
    maxLogRetentionDays: int(1),
    maxFargateCpu: int(256),
    maxFargateMemoryMiB: int(512),
} satisfies Partial<Record<keyof PolicySettings, Check>>;

export type CostPolicyLimits = Partial<Pick<PolicySettings, keyof typeof COST_POLICY_LIMITS>>;
const FIELDS = Object.keys(COST_POLICY_LIMITS) as Array<keyof typeof COST_POLICY_LIMITS>;

function parseCostPolicy(value: unknown, key: string, problems: ConfigProblem[]): CostPolicyLimits | undefined {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        problems.push({ key, given: show(value), allowed: `expected an object of cost-policy limits: ${FIELDS.join(", ")}` });
        return undefined;
    }
    const before = problems.length;
    const given = value as Record<string, unknown>;
    for (const [field, v] of Object.entries(given)) {
        const check = (COST_POLICY_LIMITS as Record<string, Check>)[field];
        if (!check) {
            const hint = nearest(field, FIELDS);
            problems.push({ key: `${key}.${field}`, given: show(v), allowed: `unknown cost-policy limit${hint ? ` (did you mean ${hint}?)` : ""}; known: ${FIELDS.join(", ")}` });
        } else if (!check.ok(v)) problems.push({ key: `${key}.${field}`, given: show(v), allowed: check.allowed });
    }
    const pairs: Array<[keyof CostPolicyLimits, keyof CostPolicyLimits]> = [["maxVcpusPerComputeEnvironment", "maxVcpusTotal"], ["minLogRetentionDays", "maxLogRetentionDays"]];
    for (const [low, high] of pairs) {
        if (Number.isInteger(given[low]) && Number.isInteger(given[high]) && (given[low] as number) > (given[high] as number)) {
            problems.push({ key: `${key}.${low}`, given: show(given[low]), allowed: `must not exceed ${key}.${high} (${given[high]})` });
        }
    }
    return problems.length === before ? (given as CostPolicyLimits) : undefined;
}

export const costPolicyKeys = {
    costPolicy: {
        type: "object",
        default: {},
        shape: `{${FIELDS.join(", ")}}`,
        description: "The stack's cost-policy limits, overriding the environment's defaults in policies/config/<stack>.json (e.g. allowedInstanceFamilies to allow g6 in dev).",
        parse: parseCostPolicy,
    },
} satisfies KeySpecs;
