/**
 * Offline evaluation of the three packs (security, cost, AWS constraints) and the cost estimate on a resource list: what `npm run plan` and
 * `npm run policy -- check` report. Reads the same per-stack `--policy-pack-config` file as `pulumi preview`.
 *
 * Pure module: no Pulumi import (the packs' index.ts files are never loaded here).
 */
import * as fs from "fs";
import * as path from "path";

import { CliError, findClosestKey } from "../offline/pulumi-cli/errors";
import { parsePolicyPackConfig, policyConfigFaults } from "../offline/pulumi-cli/policy-config";
import { AWS_RULES } from "./aws/rules";
import { costRules } from "./cost/rules";
import { CostEstimate, estimateCost, renderCostTable } from "./cost/estimate";
import { configFor, evaluate, isMandatory, PolicyConfigFile, policyConfigFile, Rule, Violation } from "./lib/rule";
import { settingsForStack, StackPolicyInputs } from "./lib/settings";
import { ResourceView } from "./lib/view";
import { PACKS } from "./packs";
import { SECURITY_RULES } from "./security/rules/index";

export const ALL_RULES: Rule[] = [...SECURITY_RULES, ...costRules, ...AWS_RULES];
export const CONFIG_DIR = path.resolve(__dirname, "config");

export class PolicyConfigError extends Error {}

/**
 * Reads a `--policy-pack-config` document as `pulumi preview` does (offline/pulumi-cli/policy-config.ts: the CLI's
 * parse, then each pack's policies validated against their config schemas, with the CLI's messages), then checks what
 * the CLI lets through silently: policy names no pack has and settings no policy reads (a typo there leaves the
 * policy at its defaults). Every fault is a `PolicyConfigError`.
 */
export function parsePolicyConfig(text: string, file: string): PolicyConfigFile {
    let parsed;
    try {
        parsed = parsePolicyPackConfig(text);
    } catch (err) {
        if (err instanceof CliError) throw new PolicyConfigError(`${file}: ${err.render()}`);
        throw err;
    }
    if (parsed.environments.length) {
        throw new PolicyConfigError(`${file}: imports Pulumi ESC environments (${parsed.environments.join(", ")}), which only the Pulumi CLI can open`);
    }
    const faults = PACKS.flatMap((pack) => policyConfigFaults(pack, parsed.config));
    if (faults.length) throw new PolicyConfigError(`${file}:\n${faults.map((f) => `error: ${f}`).join("\n")}\nerror: validating policy config`);
    const names = PACKS.flatMap((p) => p.policies.map((q) => q.name));
    const problems: string[] = [];
    for (const [name, entry] of Object.entries(parsed.config)) {
        if (name === "all") continue;
        const policy = PACKS.flatMap((p) => p.policies).find((q) => q.name === name);
        if (!policy) {
            const hint = findClosestKey(name, names, Math.max(2, Math.floor(name.length / 4)));
            problems.push(`"${name}": no pack has this policy${hint ? `; did you mean "${hint}"?` : ""} (the Pulumi CLI ignores it, so the policy it meant keeps its defaults)`);
            continue;
        }
        const known = Object.keys(policy.configSchema?.properties ?? {});
        for (const setting of Object.keys(entry.properties ?? {})) {
            if (known.includes(setting)) continue;
            const hint = findClosestKey(setting, known, Math.max(2, Math.floor(setting.length / 4)));
            problems.push(`"${name}": the policy reads no setting "${setting}"${hint ? `; did you mean "${hint}"?` : ""}; it reads ${known.join(", ") || "none"}`);
        }
    }
    if (problems.length) throw new PolicyConfigError(`${file}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    return text.trim() === "" ? {} : (JSON.parse(text) as PolicyConfigFile);
}

/** Reads and validates a `--policy-pack-config` file. */
export function readPolicyConfigFile(file: string): PolicyConfigFile {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new PolicyConfigError(`${file}: cannot read: ${(err as Error).message}`);
    }
    return parsePolicyConfig(text, file);
}

/** A stack name that names a file in policies/config/ and nothing outside it. */
export const STACK_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** The committed `--policy-pack-config` file of a stack, or undefined when the stack has none. */
export function readPolicyConfig(stack: string, dir = CONFIG_DIR): PolicyConfigFile | undefined {
    if (!STACK_NAME.test(stack) || stack.includes("..")) {
        throw new PolicyConfigError(`stack name ${JSON.stringify(stack)}: expected letters, digits, ".", "_" or "-" (it names policies/config/<stack>.json)`);
    }
    const file = path.join(dir, `${stack}.json`);
    if (!fs.existsSync(file)) return undefined;
    return readPolicyConfigFile(file);
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
