/**
 * Offline evaluation of both packs and the cost estimate on a resource list: what `npm run plan` and
 * `npm run policy -- check` report. Reads the same per-stack `--policy-pack-config` file as `pulumi preview`.
 *
 * Pure module: no Pulumi import (the packs' index.ts files are never loaded here).
 */
import * as fs from "fs";
import * as path from "path";

import { costRules } from "./cost/rules";
import { CostEstimate, estimateCost, renderCostTable } from "./cost/estimate";
import { configFor, evaluate, isMandatory, PolicyConfigFile, policyConfigFile, Rule, Violation } from "./lib/rule";
import { settingsForStack, StackPolicyInputs } from "./lib/settings";
import { ResourceView } from "./lib/view";
import { SECURITY_RULES } from "./security/rules/index";

export const ALL_RULES: Rule[] = [...SECURITY_RULES, ...costRules];
export const CONFIG_DIR = path.resolve(__dirname, "config");

export class PolicyConfigError extends Error {}

/** The committed `--policy-pack-config` file of a stack, or undefined when the stack has none. */
export function readPolicyConfig(stack: string, dir = CONFIG_DIR): PolicyConfigFile | undefined {
    const file = path.join(dir, `${stack}.json`);
    if (!fs.existsSync(file)) return undefined;
    try {
        const data = JSON.parse(fs.readFileSync(file, "utf8"));
        if (data === null || typeof data !== "object" || Array.isArray(data)) throw new Error("expected an object keyed by policy name");
        return data as PolicyConfigFile;
    } catch (err) {
        throw new PolicyConfigError(`${file}: ${(err as Error).message}`);
    }
}

/** The config file a stack should have: its environment's defaults with its budget, per policy. */
export function policyConfigForStack(stack: StackPolicyInputs): PolicyConfigFile {
    return policyConfigFile(ALL_RULES, settingsForStack(stack));
}

export interface PolicyReport {
    violations: Violation[];
    cost: CostEstimate;
}

export function evaluateAll(resources: ResourceView[], file: PolicyConfigFile = {}): PolicyReport {
    const violations = evaluate(ALL_RULES, resources, file);
    // The estimate uses the budget rule's settings (its usage scenario).
    const budgetRule = ALL_RULES.find((r) => r.name === "cost-monthly-budget")!;
    const cost = estimateCost(resources, configFor(budgetRule, file).settings);
    return { violations, cost };
}

export function hasMandatory(report: PolicyReport): boolean {
    return report.violations.some(isMandatory);
}

/** JSON form of the report: `violations` and `cost` as `plan --json` and `policy check --json` print them. */
export function reportJson(report: PolicyReport): { violations: Violation[]; cost: Record<string, unknown> } {
    const { exact: _exact, ...cost } = report.cost;
    return { violations: report.violations.map((v) => ({ ...v, urn: v.urn ?? null }) as Violation), cost };
}

/** Human form: violations grouped by level, then the cost table. */
export function renderReport(report: PolicyReport): string {
    const out: string[] = [];
    const mandatory = report.violations.filter(isMandatory);
    const other = report.violations.filter((v) => !isMandatory(v));
    out.push(`Policy violations: ${mandatory.length} mandatory, ${other.length} advisory`);
    for (const v of [...mandatory, ...other]) {
        out.push(`  [${v.enforcementLevel}] ${v.pack}/${v.policy}: ${v.message}${v.urn ? `\n      ${v.urn}` : ""}`);
    }
    out.push("", "Estimated monthly cost:", renderCostTable(report.cost));
    return out.join("\n");
}
