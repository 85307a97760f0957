/**
 * Policy tooling outside `pulumi preview`:
 *
 *   npm run -s policy -- check <file> [--stack <name>] [--config <policy-config.json>] [--json]
 *       Evaluates the three packs and the cost estimate on a resource list read from the offline plan's JSON
 *       (`npm run plan -- --json`), a `pulumi stack export` file or `pulumi preview --json` output (the format is
 *       detected). The policy configuration is --config, else policies/config/<stack>.json, else the strictest
 *       defaults (prod). Exit 0: no mandatory violation; 1: a mandatory violation; 2: unreadable input or usage error.
 *
 *   npm run -s policy -- config --stack <name> [--write]
 *       Prints (or writes to policies/config/<stack>.json) the `--policy-pack-config` file of a stack, derived from
 *       its Pulumi.<stack>.yaml (environment and monthlyBudgetUsd).
 */
import * as fs from "fs";
import * as path from "path";

import { CONFIG_DIR, evaluateAll, hasMandatory, policyConfigForStack, PolicyConfigError, readPolicyConfig, readPolicyConfigFile, renderReport, reportJson } from "../policies/evaluate";
import { PolicyConfigFile } from "../policies/lib/rule";
import { fromPlan, fromPreview, fromStackExport, ResourceView } from "../policies/lib/view";

const ROOT = path.resolve(__dirname, "..");

class InputError extends Error {}

export type InputFormat = "plan" | "stack-export" | "preview";

/** Reads a resource list from any supported document, with the stack name when the document tells it. */
export function readResources(doc: unknown): { format: InputFormat; stack?: string; resources: ResourceView[] } {
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw new InputError("expected a JSON object");
    const d = doc as Record<string, any>;
    const stackOfUrn = (urn: unknown) => (typeof urn === "string" ? /^urn:pulumi:([^:]+)::/.exec(urn)?.[1] : undefined);
    if (d.deployment && Array.isArray(d.deployment.resources)) {
        return { format: "stack-export", stack: stackOfUrn(d.deployment.resources[0]?.urn), resources: fromStackExport(d) };
    }
    if (Array.isArray(d.steps)) {
        const first = d.steps.find((s: any) => s?.urn ?? s?.newState?.urn);
        return { format: "preview", stack: stackOfUrn(first?.urn ?? first?.newState?.urn), resources: fromPreview(d) };
    }
    if (Array.isArray(d.resources) && d.resources.every((r: any) => r && typeof r.type === "string" && typeof r.urn === "string")) {
        return { format: "plan", stack: typeof d.stack === "string" ? d.stack : undefined, resources: fromPlan(d.resources, d.outputs, d.stack) };
    }
    throw new InputError("not a plan JSON (resources[]), a `pulumi stack export` (deployment.resources[]) or `pulumi preview --json` (steps[]) document");
}

function readJson(file: string): unknown {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new InputError(`${file}: cannot read: ${(err as Error).message}`);
    }
    try {
        return JSON.parse(text);
    } catch (err) {
        throw new InputError(`${file}: not JSON: ${(err as Error).message}`);
    }
}

export interface CheckResult {
    code: number;
    stdout: string;
}

export function check(argv: string[]): CheckResult {
    let file: string | undefined;
    let stack: string | undefined;
    let configFile: string | undefined;
    let json = false;
    for (let i = 0; i < argv.length; i++) {
        // `--flag=value` is the same as `--flag value`.
        const eq = argv[i].startsWith("--") ? argv[i].indexOf("=") : -1;
        const a = eq > 0 ? argv[i].slice(0, eq) : argv[i];
        const inline = eq > 0 ? argv[i].slice(eq + 1) : undefined;
        const value = () => {
            const v = inline ?? argv[++i];
            if (v === undefined || v === "" || (inline === undefined && v.startsWith("--"))) throw new InputError(`${a} needs a value`);
            return v;
        };
        if (a === "--stack") stack = value();
        else if (a === "--config") configFile = value();
        else if (a === "--json" && inline === undefined) json = true;
        else if (!a.startsWith("--") && file === undefined) file = a;
        else throw new InputError(`unknown argument ${a}`);
    }
    if (!file) throw new InputError("usage: policy check <file> [--stack <name>] [--config <policy-config.json>] [--json]");
    const input = readResources(readJson(file));
    // A document without resources is no evidence that a stack is compliant: an empty export passes every rule.
    if (!input.resources.length) throw new InputError(`${file}: the ${input.format} document lists no resources; there is nothing to check`);
    const name = stack ?? input.stack;
    let config: PolicyConfigFile | undefined;
    if (configFile) config = readPolicyConfigFile(configFile);
    else if (name) config = readPolicyConfig(name);
    const report = evaluateAll(input.resources, config ?? {});
    const stdout = json
        ? `${JSON.stringify(reportJson(report), null, 2)}\n`
        : `Policy check of ${file} (${input.format}, ${input.resources.length} resources, stack ${name ?? "unknown"}, ${configFile ? `config ${configFile}` : config ? `config policies/config/${name}.json` : "default settings (prod)"})\n\n${renderReport(report)}\n`;
    return { code: hasMandatory(report) ? 1 : 0, stdout };
}

/** The `--policy-pack-config` document of a stack, from its stack file (by default the shipped Pulumi.<stack>.yaml). */
export function stackPolicyConfig(stack: string, stackFile = path.join(ROOT, `Pulumi.${stack}.yaml`)): PolicyConfigFile {
    // Loaded here, not at the top: the stack configuration pulls in the project loader (YAML, JSON schemas) and the
    // components' rule modules, which `policy check` never needs; its start-up time counts on large exports.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { readStackFile, StackFileError } = require("../offline/stack-config") as typeof import("../offline/stack-config");
    const { loadConfig, formatProblem } = require("../stacks/config") as typeof import("../stacks/config");
    /* eslint-enable @typescript-eslint/no-require-imports */
    let file;
    try {
        file = readStackFile(stackFile);
    } catch (err) {
        if (err instanceof StackFileError) throw new InputError(err.message);
        throw err;
    }
    const loaded = loadConfig(file.config, { stack });
    if (!loaded.ok) throw new InputError(`${path.basename(stackFile)} is invalid:\n${loaded.problems.map((p) => `  - ${formatProblem(p)}`).join("\n")}`);
    return policyConfigForStack({ environment: loaded.config.environment, monthlyBudgetUsd: loaded.config.monthlyBudgetUsd, limits: loaded.config.costPolicy });
}

function configCommand(argv: string[]): CheckResult {
    const i = argv.indexOf("--stack");
    const stack = i >= 0 ? argv[i + 1] : undefined;
    if (!stack) throw new InputError("usage: policy config --stack <name> [--write]");
    const text = `${JSON.stringify(stackPolicyConfig(stack), null, 2)}\n`;
    if (argv.includes("--write")) {
        fs.writeFileSync(path.join(CONFIG_DIR, `${stack}.json`), text);
        return { code: 0, stdout: `wrote policies/config/${stack}.json\n` };
    }
    return { code: 0, stdout: text };
}

export function main(argv: string[]): CheckResult & { stderr?: string } {
    try {
        const [command, ...rest] = argv;
        if (command === "check") return check(rest);
        if (command === "config") return configCommand(rest);
        throw new InputError("usage: policy check <file> [--stack <name>] [--config <file>] [--json] | policy config --stack <name> [--write]");
    } catch (err) {
        if (err instanceof InputError || err instanceof PolicyConfigError) return { code: 2, stdout: "", stderr: `${err.message}\n` };
        throw err;
    }
}

if (require.main === module) {
    const result = main(process.argv.slice(2));
    process.stdout.write(result.stdout);
    if (result.stderr) process.stderr.write(result.stderr);
    process.exitCode = result.code;
}
