/**
 * The AWS constraint data the `metaflow-aws-constraints` pack checks, read from `constraints.json` (generated from
 * botocore's service models and cfn-lint's CloudFormation schemas by scripts/aws-constraints.ts; never edited by hand),
 * and the small lookups the rules and components share.
 *
 * Pure module: no Pulumi import, no Python at run time.
 */
import * as fs from "fs";
import * as path from "path";

import type { AwsConstraintData, FieldConstraint } from "./constraint-types";

export type { AwsConstraintData, FieldConstraint };

export const AWS_DATA: AwsConstraintData = JSON.parse(fs.readFileSync(path.join(__dirname, "constraints.json"), "utf8"));

const TYPES = new Set(AWS_DATA.instanceTypes.types);
const FAMILIES = new Set(AWS_DATA.instanceTypes.types.map((t) => t.split(".")[0]));
const STUDIO_TYPES = new Set(AWS_DATA.sagemakerAppInstanceTypes.types);

/** Values Batch accepts in `instanceTypes` besides types and families ("optimal", "default_x86_64", ...). */
export const BATCH_INSTANCE_KEYWORDS: readonly string[] = AWS_DATA.batchInstanceKeywords.keywords;

/** True when `name` is an EC2 instance type ("c7i.2xlarge") or family ("c7i") in the EC2 model. */
export function instanceTypeExists(name: string): boolean {
    return name.includes(".") ? TYPES.has(name) : FAMILIES.has(name);
}

/** True when `name` is an instance type a SageMaker Studio app (JupyterLab) accepts ("ml.t3.medium"), per the SageMaker model. */
export function sagemakerAppInstanceTypeExists(name: string): boolean {
    return STUDIO_TYPES.has(name);
}

/** The sizes of a family that EC2 lists ("large", "2xlarge", "metal-24xl", ...). */
export function sizesOf(family: string): string[] {
    return AWS_DATA.instanceTypes.types.filter((t) => t.split(".")[0] === family).map((t) => t.slice(family.length + 1));
}

/** The Fargate memory values (MiB) allowed with `cpu` units; empty when Fargate has no such CPU value. */
export function fargateMemoryFor(cpu: number): number[] {
    return AWS_DATA.fargate.pairs[String(cpu)] ?? [];
}

/** What is wrong with `value` under `c` (empty when nothing). */
export function fieldProblems(value: unknown, c: FieldConstraint): string[] {
    const out: string[] = [];
    if (typeof value === "string") {
        if (c.minLength !== undefined && value.length < c.minLength) out.push(`is shorter than ${c.minLength} characters`);
        if (c.maxLength !== undefined && value.length > c.maxLength) out.push(`has ${value.length} characters; AWS allows at most ${c.maxLength}`);
        if (c.pattern !== undefined && !new RegExp(c.pattern, "u").test(value)) out.push(`does not match ${c.pattern}`);
        if (c.forbiddenPrefix !== undefined && value.startsWith(c.forbiddenPrefix)) out.push(`must not begin with "${c.forbiddenPrefix}"`);
    }
    if (c.enum !== undefined && (typeof value === "string" || typeof value === "number") && !c.enum.includes(value)) {
        out.push(`is not one of ${c.enum.join(", ")}`);
    }
    if (typeof value === "number") {
        if (c.minimum !== undefined && value < c.minimum) out.push(`is below the minimum ${c.minimum}`);
        if (c.maximum !== undefined && value > c.maximum) out.push(`is above the maximum ${c.maximum}`);
    }
    return out;
}

/**
 * The name Pulumi gives a resource whose name input is unset: the logical name, a hyphen and 7 random hex digits
 * (8 characters), or a `namePrefix` and the provider's 26-character unique suffix. The sample digits are the ones
 * most likely to break a pattern's shape while keeping its character set honest.
 */
export function sampleAutoName(base: string, suffix: number): string {
    return suffix === 8 ? `${base}-0a1b2c3` : `${base}${"0".repeat(suffix)}`;
}
