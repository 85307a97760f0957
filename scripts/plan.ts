/**
 * The offline plan: a stand-in for `pulumi preview` where no Pulumi CLI or cloud credentials exist.
 *
 *   npm run plan -- --stack <dev|staging|prod> [--config <Pulumi.<name>.yaml>] [--references <file.json>]
 *                   [--json] [--show-secrets] [--graph <file.mmd>]
 *
 * Before the program runs, Pulumi.yaml and the stack file are loaded with the Pulumi CLI's own rules
 * (offline/pulumi-cli): what `pulumi preview` refuses is refused here with the CLI's message.
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
import { evaluateAll, hasMandatory, policyConfigForStack, PolicyConfigError, PolicyReport, readPolicyConfig, renderReport, reportJson } from "../policies/evaluate";
import { PolicyConfigFile } from "../policies/lib/rule";
import { SECRET_TEXT, fromPlan } from "../policies/lib/view";
import { loadConfig, PROJECT } from "../stacks/config";
import { runProgram } from "../offline/run";
import { stackGraph } from "./graph";
import { readStackFile, StackFileError } from "../offline/stack-config";

const ROOT = path.resolve(__dirname, "..");

export interface PlanOptions {
    stack?: string;
    config?: string;
    references: string;
    json: boolean;
    showSecrets: boolean;
    /** Writes the stack's picture (Mermaid) to this file. */
    graph?: string;
    /** Where warnings go (the CLI's, and what it would ignore); stderr in the command. */
    warn?: (line: string) => void;
}

class UsageError extends Error {}

export function parseArgs(argv: string[]): PlanOptions {
    const opts: PlanOptions = { references: path.join(ROOT, "fixtures", "references.json"), json: false, showSecrets: false };
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
                opts.references = value();
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
    return opts;
}

/** The neighbouring stacks a stack file names, by role (the picture's StackReferences). */
export function neighbours(config: Record<string, string>): Record<string, string | undefined> {
    return { "A01 foundation": config[`${PROJECT}:foundationStack`], "A02 Dask": config[`${PROJECT}:daskStack`] };
}

function readReferences(file: string): ReferenceFixtures {
    let data: unknown;
    try {
        data = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
        throw new StackFileError(`${file}: cannot read reference fixtures: ${(err as Error).message}`);
    }
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
        throw new StackFileError(`${file}: expected an object of outputs keyed by fully qualified stack name`);
    }
    return data as ReferenceFixtures;
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
        (loaded.ok ? policyConfigForStack({ environment: loaded.config.environment, monthlyBudgetUsd: loaded.config.monthlyBudgetUsd }) : undefined);
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
    const run = await runProgram({
        stack: stackFile.stack,
        config: stackFile.config,
        secretKeys: stackFile.secretKeys,
        references: readReferences(opts.references),
        showSecrets: opts.showSecrets,
    });
    const report = evaluateRun(run, stackFile.config);
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
    ].join("\n");
    return { stack: run.stack, text, document, mandatoryViolations: hasMandatory(report) };
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
