/**
 * The offline plan: a stand-in for `pulumi preview` where no Pulumi CLI or cloud credentials exist.
 *
 *   npm run plan -- --stack <dev|staging|prod> [--config <Pulumi.<name>.yaml>] [--references <file.json>]...
 *                   [--references <org/project/stack>=<outputs.json>]... [--json] [--show-secrets]
 *                   [--deployer-policy <file.json>] [--policy-config <policy-config.json>] [--graph <file.mmd>]
 *
 * `--references` (repeatable) gives the outputs of the A01/A02 stacks the program reads: a file of outputs keyed by
 * fully qualified stack name (like fixtures/references.json, the default), or one stack's `pulumi stack output
 * --json --show-secrets` as `<org/project/stack>=<file>`. Later ones override earlier ones per stack.
 *
 * Before the program runs, Pulumi.yaml and the stack file are loaded with the Pulumi CLI's own rules
 * (offline/pulumi-cli): what `pulumi preview` refuses is refused here with the CLI's message.
 *
 * `--deployer-policy <file>` also writes the IAM policy the identity running `pulumi up` needs for this stack,
 * generated from the planned resource types (policies/lib/deployer.ts), and, when it is larger than a managed policy
 * may be, the same statements cut into `<file stem>.part<N>.json` managed policies.
 *
 * After the run it evaluates the three policy packs (policies/security, policies/cost, policies/aws) with the stack's policy configuration
 * (policies/config/<stack>.json, the file `pulumi preview --policy-pack-config` takes) and estimates the monthly cost.
 *
 * Exit 0: planned, no mandatory violation. Exit 1: a mandatory policy violation (the plan is still printed), or a
 * defect (the message and its stack on stderr). Exit 2: a project or stack file the CLI refuses, invalid configuration
 * or references, or a usage error (messages on stderr, no stack trace).
 */
import * as fs from "fs";
import * as path from "path";

import { RecordedResource, ReferenceFixtures } from "../offline/mocks";
import { evaluateAll, hasMandatory, policyConfigForStack, PolicyConfigError, PolicyReport, readPolicyConfig, readPolicyConfigFile, renderReport, reportJson } from "../policies/evaluate";
import { DeployerContext, deployerPolicy, MANAGED_POLICY_MAX_CHARS, policySize, splitForManagedPolicies } from "../policies/lib/deployer";
import { PolicyConfigFile } from "../policies/lib/rule";
import { SECRET_TEXT, fromPlan } from "../policies/lib/view";
import { loadConfig, PROJECT } from "../stacks/config";
import { runProgram } from "../offline/run";
import { stackGraph } from "./graph";
import { readStackFile, StackFileError } from "../offline/stack-config";

const ROOT = path.resolve(__dirname, "..");
const DEFAULT_REFERENCES = path.join(ROOT, "fixtures", "references.json");

export interface PlanOptions {
    stack?: string;
    config?: string;
    /** Reference files: `<file>` (outputs keyed by stack name) or `<org/project/stack>=<file>` (one stack's outputs). */
    references: string | string[];
    json: boolean;
    showSecrets: boolean;
    /** The policy configuration (`--policy-config <file>`, as `pulumi preview --policy-pack-config`); by default
     * policies/config/<stack>.json, else derived from the stack file. */
    policyConfig?: PolicyConfigFile;
    /** Where to write the deployer policy (the IAM policy `pulumi up` needs for the stack). */
    deployerPolicy?: string;
    /** Writes the stack's picture (Mermaid) to this file. */
    graph?: string;
    /** Where warnings go (the CLI's, and what it would ignore); stderr in the command. */
    warn?: (line: string) => void;
}

class UsageError extends Error {}

export function parseArgs(argv: string[]): PlanOptions {
    const opts: PlanOptions = { references: DEFAULT_REFERENCES, json: false, showSecrets: false };
    const references: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        // `--flag=value` is the same as `--flag value`, as in every CLI.
        const eq = argv[i].startsWith("--") ? argv[i].indexOf("=") : -1;
        const arg = eq > 0 ? argv[i].slice(0, eq) : argv[i];
        const inline = eq > 0 ? argv[i].slice(eq + 1) : undefined;
        const value = () => {
            const v = inline ?? argv[++i];
            if (v === undefined || v === "" || (inline === undefined && v.startsWith("--"))) throw new UsageError(`${arg} needs a value`);
            return v;
        };
        switch (arg) {
            case "--stack":
                opts.stack = value();
                break;
            case "--config":
                opts.config = value();
                break;
            case "--references":
                references.push(value());
                break;
            case "--deployer-policy":
                opts.deployerPolicy = value();
                break;
            case "--policy-config":
                opts.policyConfig = readPolicyConfigFile(value());
                break;
            case "--graph":
                opts.graph = value();
                break;
            case "--json":
            case "--show-secrets":
                if (inline !== undefined) throw new UsageError(`${arg} takes no value`);
                if (arg === "--json") opts.json = true;
                else opts.showSecrets = true;
                break;
            default:
                throw new UsageError(`unknown argument ${arg}`);
        }
    }
    if (!opts.stack && !opts.config) throw new UsageError("give --stack <dev|staging|prod> or --config <Pulumi.<name>.yaml>");
    if (references.length) opts.references = references;
    return opts;
}

/** The neighbouring stacks a stack file names, by role (the picture's StackReferences). */
export function neighbours(config: Record<string, string>): Record<string, string | undefined> {
    return { "A01 foundation": config[`${PROJECT}:foundationStack`], "A02 Dask": config[`${PROJECT}:daskStack`] };
}

/** A fully qualified stack name, as StackReferences take it. */
const STACK_NAME = /^[^/\s=]+\/[^/\s=]+\/[^/\s=]+$/;
const KEYED_FORM = "an object of outputs keyed by fully qualified stack name (org/project/stack), like fixtures/references.json";
const PER_STACK_FORM = "one stack's outputs, as `pulumi stack output --json --show-secrets` prints them";

function readJsonObject(file: string, what: string, expected: string): Record<string, unknown> {
    let data: unknown;
    try {
        data = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
        throw new StackFileError(`${file}: cannot read ${what}: ${(err as Error).message}`);
    }
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
        throw new StackFileError(`${file}: expected ${expected}, found ${Array.isArray(data) ? "an array" : data === null ? "null" : typeof data}`);
    }
    return data as Record<string, unknown>;
}

/**
 * Reads the `--references` arguments into outputs keyed by stack name. Each is a keyed file or
 * `<org/project/stack>=<file>` holding one stack's `pulumi stack output --json`; an argument in the other form than
 * its content says which form was expected and how to give it.
 */
export function readReferences(args: string | string[]): ReferenceFixtures {
    const result: ReferenceFixtures = {};
    for (const arg of typeof args === "string" ? [args] : args) {
        const eq = arg.indexOf("=");
        const stack = eq > 0 ? arg.slice(0, eq) : undefined;
        if (stack !== undefined && STACK_NAME.test(stack)) {
            const file = arg.slice(eq + 1);
            const outputs = readJsonObject(file, `the outputs of ${stack}`, PER_STACK_FORM);
            const keyed = Object.keys(outputs).filter((k) => STACK_NAME.test(k));
            if (keyed.length && keyed.length === Object.keys(outputs).length) {
                throw new StackFileError(`${file}: expected ${PER_STACK_FORM} for --references ${stack}=${file}, found outputs keyed by stack name (${keyed.join(", ")}): give this file as --references ${file}`);
            }
            const hidden = Object.keys(outputs).filter((k) => outputs[k] === "[secret]");
            if (hidden.length) {
                throw new StackFileError(`${file}: outputs ${hidden.join(", ")} of ${stack} read "[secret]": write the file with \`pulumi stack output --json --show-secrets\``);
            }
            result[stack] = outputs;
            continue;
        }
        if (stack !== undefined && !fs.existsSync(arg)) {
            throw new StackFileError(`--references ${arg}: "${stack}" is not a fully qualified stack name (org/project/stack); give <org/project/stack>=<file> or a keyed file`);
        }
        const data = readJsonObject(arg, "reference outputs", KEYED_FORM);
        const notStacks = Object.keys(data).filter((k) => !STACK_NAME.test(k));
        if (notStacks.length) {
            throw new StackFileError(
                `${arg}: expected ${KEYED_FORM}; ${notStacks.slice(0, 5).map((k) => JSON.stringify(k)).join(", ")} ${notStacks.length === 1 ? "is not a stack name" : "are not stack names"}. ` +
                    `For ${PER_STACK_FORM}, give --references <org/project/stack>=${arg}`,
            );
        }
        for (const [k, v] of Object.entries(data)) {
            if (v === null || typeof v !== "object" || Array.isArray(v)) throw new StackFileError(`${arg}: the outputs of ${k} must be an object of output name -> value`);
            result[k] = v as Record<string, unknown>;
        }
    }
    return result;
}

/** The reference stacks a stack's configuration names that the given outputs lack: one error naming each and how to give it. */
function checkReferencedStacks(config: Record<string, string>, references: ReferenceFixtures, given: string | string[]): void {
    const missing = ["foundationStack", "daskStack"]
        .map((key) => [key, config[`metaflow-platform:${key}`]] as const)
        .filter(([, name]) => typeof name === "string" && STACK_NAME.test(name) && !(name in references));
    if (!missing.length) return;
    const from = (typeof given === "string" ? [given] : given).join(", ");
    const known = Object.keys(references);
    throw new StackFileError(
        missing
            .map(([key, name]) => `metaflow-platform:${key} is ${name}, whose outputs are not in the references (${from}; they hold ${known.length ? known.join(", ") : "no stack"}): give them with --references ${name}=<file of \`pulumi stack output --json --show-secrets\` of ${name}>`)
            .join("\n"),
    );
}

/** The resource tree, nesting by parent, then counts by type. */
export function renderTree(resources: RecordedResource[]): string {
    const children = new Map<string | undefined, RecordedResource[]>();
    const urns = new Set(resources.map((r) => r.urn));
    for (const r of resources) {
        const parent = r.parent && urns.has(r.parent) ? r.parent : undefined;
        children.set(parent, [...(children.get(parent) ?? []), r]);
    }
    const lines: string[] = [];
    const walk = (parent: string | undefined, depth: number) => {
        const list = (children.get(parent) ?? []).slice().sort((a, b) => a.name.localeCompare(b.name));
        for (const r of list) {
            const flags = [r.protect ? "protect" : "", r.retainOnDelete ? "retain" : ""].filter(Boolean);
            lines.push(`${"  ".repeat(depth)}+ ${r.type}  ${r.name}${flags.length ? `  [${flags.join(", ")}]` : ""}`);
            walk(r.urn, depth + 1);
        }
    };
    walk(undefined, 0);
    const counts = new Map<string, number>();
    for (const r of resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    const width = Math.max(...[...counts.keys()].map((k) => k.length), 4);
    const table = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([t, n]) => `  ${t.padEnd(width)}  ${n}`);
    return [...lines, "", `Resources by type (${resources.length} in all):`, ...table].join("\n");
}

/** Masks the recorded inputs that were secret (when the plan shows secrets, the policies still must not see them). */
function maskSecretPaths(inputs: Record<string, any>, paths: string[]): Record<string, any> {
    if (!paths.length) return inputs;
    const copy = JSON.parse(JSON.stringify(inputs));
    for (const p of paths) {
        const keys = p.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== "");
        let o = copy;
        for (const k of keys.slice(0, -1)) o = o?.[k];
        if (o && keys.length) o[keys[keys.length - 1]] = SECRET_TEXT;
    }
    return copy;
}

/** Evaluates the three packs and the cost estimate on a finished run. */
export function evaluateRun(
    run: { stack: string; resources: RecordedResource[]; outputs: Record<string, unknown>; maskedOutputs?: Record<string, unknown> },
    config: Record<string, string>,
    policyConfig?: PolicyConfigFile,
): PolicyReport {
    const loaded = loadConfig(config, { stack: run.stack });
    const file =
        policyConfig ??
        readPolicyConfig(run.stack) ??
        (loaded.ok ? policyConfigForStack({ environment: loaded.config.environment, monthlyBudgetUsd: loaded.config.monthlyBudgetUsd, limits: loaded.config.costPolicy }) : undefined);
    if (!file) throw new PolicyConfigError(`no policies/config/${run.stack}.json and no valid stack configuration to derive it from`);
    const masked = run.resources.map((r) => ({ ...r, inputs: maskSecretPaths(r.inputs, r.secretPaths) }));
    return evaluateAll(fromPlan(masked, run.maskedOutputs ?? run.outputs, run.stack), file);
}

export async function plan(opts: PlanOptions): Promise<{ stack: string; text: string; document: Record<string, unknown>; mandatoryViolations: boolean }> {
    const file = opts.config ?? path.join(ROOT, `Pulumi.${opts.stack}.yaml`);
    const stackFile = readStackFile(file);
    for (const w of stackFile.warnings) opts.warn?.(`warning: ${w}`);
    if (opts.config && opts.stack && opts.stack !== stackFile.stack) {
        throw new UsageError(`--stack ${opts.stack} does not match the stack of ${file} (${stackFile.stack})`);
    }
    const references = readReferences(opts.references);
    checkReferencedStacks(stackFile.config, references, opts.references);
    const run = await runProgram({
        stack: stackFile.stack,
        config: stackFile.config,
        secretKeys: stackFile.secretKeys,
        references,
        showSecrets: opts.showSecrets,
    });
    const report = evaluateRun(run, stackFile.config, opts.policyConfig);
    const written = opts.deployerPolicy ? writeDeployerPolicy(opts.deployerPolicy, run.resources, stackFile.config) : [];
    if (opts.graph) fs.writeFileSync(opts.graph, stackGraph(run.stack, run.resources, neighbours(stackFile.config)));
    const document = {
        stack: run.stack,
        resources: run.resources.map((r) => ({
            urn: r.urn,
            id: r.id ?? null,
            type: r.type,
            name: r.name,
            parent: r.parent ?? null,
            protect: r.protect,
            retainOnDelete: r.retainOnDelete,
            provider: r.provider ?? null,
            dependencies: r.dependencies,
            inputs: r.inputs,
            outputs: r.state,
        })),
        outputs: run.outputs,
        ...reportJson(report),
    };
    const text = [
        `Offline plan of stack "${run.stack}" (mock runtime; nothing is deployed)`,
        "",
        renderTree(run.resources),
        "",
        "Outputs:",
        JSON.stringify(run.outputs, null, 2),
        "",
        renderReport(report),
        ...(written.length ? ["", `Deployer policy (the IAM policy \`pulumi up\` needs for this stack): ${written.join(", ")}`] : []),
    ].join("\n");
    return { stack: run.stack, text, document, mandatoryViolations: hasMandatory(report) };
}

/** The deployer policy's region and account: the stack's `aws:region`, and its one allowed account (else any). */
export function deployerContext(config: Record<string, string>): DeployerContext {
    let accounts: unknown;
    try {
        accounts = config["aws:allowedAccountIds"] ? JSON.parse(config["aws:allowedAccountIds"]) : undefined;
    } catch {
        accounts = undefined;
    }
    const account = Array.isArray(accounts) && accounts.length === 1 && /^\d{12}$/.test(String(accounts[0])) ? String(accounts[0]) : "*";
    return { region: config["aws:region"] ?? "us-east-1", account };
}

/** Writes the stack's deployer policy to `file` (and managed-policy-sized parts when it is larger); returns the files. */
function writeDeployerPolicy(file: string, resources: RecordedResource[], config: Record<string, string>): string[] {
    const policy = deployerPolicy(resources, deployerContext(config));
    const write = (f: string, doc: unknown) => {
        try {
            fs.writeFileSync(f, `${JSON.stringify(doc, null, 2)}\n`);
        } catch (err) {
            throw new UsageError(`--deployer-policy ${file}: cannot write ${f}: ${(err as Error).message}`);
        }
        return f;
    };
    const files = [write(file, policy)];
    if (policySize(policy) > MANAGED_POLICY_MAX_CHARS) {
        const stem = file.replace(/\.json$/i, "");
        splitForManagedPolicies(policy).forEach((part, i) => files.push(write(`${stem}.part${i + 1}.json`, part)));
    }
    return files;
}

/** Maps an error to the exit code and the message the plan prints. */
export function classify(err: unknown): { code: number; message: string } {
    const e = err as Error & { cause?: Error };
    if (e instanceof UsageError) return { code: 2, message: `usage: ${e.message}` };
    if (e instanceof StackFileError) return { code: 2, message: e.message };
    if (e instanceof PolicyConfigError) return { code: 2, message: e.message };
    if (e?.constructor?.name === "InvalidInputError") return { code: 2, message: e.message };
    return { code: 1, message: e?.stack ?? String(err) };
}

/** Where the command writes: the process's streams, or a test's buffers. */
export interface Streams {
    stdout(text: string): void;
    stderr(text: string): void;
}

/** The command: runs the plan for `argv` and returns the exit code. */
export async function cli(argv: string[], io: Streams): Promise<number> {
    try {
        const opts = { ...parseArgs(argv), warn: (line: string) => io.stderr(`${line}\n`) };
        const result = await plan(opts);
        io.stdout(opts.json ? `${JSON.stringify(result.document, null, 2)}\n` : `${result.text}\n`);
        return result.mandatoryViolations ? 1 : 0;
    } catch (err) {
        const { code, message } = classify(err);
        io.stderr(`${message}\n`);
        return code;
    }
}

if (require.main === module) {
    // exitCode, not exit(): stdout may be a pipe, and exit() would cut a large --json document short.
    cli(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) }).then((code) => {
        process.exitCode = code;
    });
}
