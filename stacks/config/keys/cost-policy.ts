/**
 * `costPolicy`: the stack's own cost-policy limits, which override the environment's defaults
 * (policies/lib/settings.ts) in the stack's `--policy-pack-config` file, policies/config/<stack>.json
 * (`npm run -s policy -- config --stack <stack> --write`). A team allows g6 in dev by setting
 * `costPolicy.allowedInstanceFamilies`, without editing code.
 *
 * Pure module: no Pulumi import.
 */
import { AWS_DATA, instanceTypeExists, sagemakerAppInstanceTypeExists } from "../../../aws-facts/data";
import { IDLE_RANGE, SPACE_GB_RANGE } from "../../../components/workspaces/rules";
import { ConfigProblem, KeySpecs, nearest, show } from "../spec";

/**
 * The limits a stack may set: a subset of the policy packs' settings (policies/lib/settings.ts `PolicySettings`,
 * whose `settingsForStack` takes this type, so a limit whose name or type differs there fails the type-check).
 */
export interface CostPolicyLimits {
    allowedInstanceFamilies?: string[];
    maxVcpusPerComputeEnvironment?: number;
    maxVcpusTotal?: number;
    maxMinVcpus?: number;
    allowOnDemandFirstGpu?: boolean;
    allowedDbInstanceClasses?: string[];
    maxNatGateways?: number;
    minLogRetentionDays?: number;
    maxLogRetentionDays?: number;
    maxFargateCpu?: number;
    maxFargateMemoryMiB?: number;
    /** Studio workspaces (components/workspaces/rules.ts `STUDIO_COST_LIMITS` has each environment's defaults). */
    allowedStudioInstanceTypes?: string[];
    maxStudioIdleMinutes?: number;
    maxStudioSpaceGb?: number;
}

const INSTANCE_FAMILY = /^[a-z][a-z0-9-]*\d[a-z0-9-]*$/;
const DB_CLASS = /^db\.[a-z0-9]+\.[a-z0-9]+$/;

/** How one limit is checked: `problem` says what is wrong with a value of the right shape (a family EC2 lacks). */
type Check = { ok: (v: unknown) => boolean; allowed: string; problem?: (v: unknown) => string | undefined };
const list = (re: RegExp, what: string): Check => ({
    ok: (v) => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string" && re.test(x)),
    allowed: `expected a non-empty list of ${what}`,
});

/** The families of EC2's own model (`InstanceType` in botocore's ec2 service model, aws-facts/constraints.json). */
const instanceFamilies: Check = {
    ...list(INSTANCE_FAMILY, "EC2 instance families (c5, g6, p4d, ...)"),
    problem: (v) => {
        const unknown = (v as string[]).filter((f) => !instanceTypeExists(f));
        if (!unknown.length) return undefined;
        return `${unknown.join(", ")} ${unknown.length > 1 ? "are not EC2 instance families" : "is not an EC2 instance family"}: the families are those of the EC2 instance types in the project's AWS data (aws-facts/constraints.json, from the ${AWS_DATA.instanceTypes.source}; npm run -s aws-constraints -- --write regenerates it)`;
    },
};
/** JupyterLab instance types of SageMaker's own model (aws-facts/constraints.json `sagemakerAppInstanceTypes`). */
const studioTypes: Check = {
    ...list(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, "SageMaker Studio instance types (ml.t3.medium, ...)"),
    problem: (v) => {
        const unknown = (v as string[]).filter((t) => !sagemakerAppInstanceTypeExists(t));
        return unknown.length ? `${unknown.join(", ")}: not a JupyterLab instance type in SageMaker's model (${AWS_DATA.sagemakerAppInstanceTypes.source})` : undefined;
    },
};
const between = (min: number, max: number, what: string): Check => ({ ok: (v) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max, allowed: `expected an integer of ${min}-${max} ${what}` });
const int = (min: number): Check => ({ ok: (v) => Number.isInteger(v) && (v as number) >= min, allowed: `expected an integer of at least ${min}` });

export const COST_POLICY_LIMITS = {
    allowedInstanceFamilies: instanceFamilies,
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
    allowedStudioInstanceTypes: studioTypes,
    maxStudioIdleMinutes: between(IDLE_RANGE.min, IDLE_RANGE.max, "minutes (SageMaker's IdleSettings range)"),
    maxStudioSpaceGb: between(SPACE_GB_RANGE.min, SPACE_GB_RANGE.max, "GB (SageMaker's space EBS range)"),
} satisfies Record<keyof CostPolicyLimits, Check>;

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
        else {
            const problem = check.problem?.(v);
            if (problem) problems.push({ key: `${key}.${field}`, given: show(v), allowed: problem });
        }
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
