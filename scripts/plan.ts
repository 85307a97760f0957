/**
 * The offline plan: a stand-in for `pulumi preview` where no Pulumi CLI or cloud credentials exist.
 *
 *   npm run plan -- --stack <dev|staging|prod> [--config <Pulumi.<name>.yaml>] [--references <file.json>]
 *                   [--json] [--show-secrets]
 *
 * Exit 0: planned. Exit 2: invalid configuration or references (messages on stderr, no stack trace).
 * Exit 1: anything else (a defect: the message and its stack on stderr).
 */
import * as fs from "fs";
import * as path from "path";

import { RecordedResource, ReferenceFixtures } from "../offline/mocks";
import { runProgram } from "../offline/run";
import { readStackFile, StackFileError } from "../offline/stack-config";

const ROOT = path.resolve(__dirname, "..");

export interface PlanOptions {
    stack?: string;
    config?: string;
    references: string;
    json: boolean;
    showSecrets: boolean;
}

class UsageError extends Error {}

export function parseArgs(argv: string[]): PlanOptions {
    const opts: PlanOptions = { references: path.join(ROOT, "fixtures", "references.json"), json: false, showSecrets: false };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) throw new UsageError(`${arg} needs a value`);
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
            case "--json":
                opts.json = true;
                break;
            case "--show-secrets":
                opts.showSecrets = true;
                break;
            default:
                throw new UsageError(`unknown argument ${arg}`);
        }
    }
    if (!opts.stack && !opts.config) throw new UsageError("give --stack <dev|staging|prod> or --config <Pulumi.<name>.yaml>");
    return opts;
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

export async function plan(opts: PlanOptions): Promise<{ stack: string; text: string; document: Record<string, unknown> }> {
    const file = opts.config ?? path.join(ROOT, `Pulumi.${opts.stack}.yaml`);
    const stackFile = readStackFile(file);
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
    const document = {
        stack: run.stack,
        resources: run.resources.map((r) => ({ urn: r.urn, type: r.type, name: r.name, parent: r.parent ?? null, protect: r.protect, inputs: r.inputs })),
        outputs: run.outputs,
    };
    const text = [`Offline plan of stack "${run.stack}" (mock runtime; nothing is deployed)`, "", renderTree(run.resources), "", "Outputs:", JSON.stringify(run.outputs, null, 2)].join("\n");
    return { stack: run.stack, text, document };
}

/** Maps an error to the exit code and the message the plan prints. */
export function classify(err: unknown): { code: number; message: string } {
    const e = err as Error & { cause?: Error };
    if (e instanceof UsageError) return { code: 2, message: `usage: ${e.message}` };
    if (e instanceof StackFileError) return { code: 2, message: e.message };
    if (e?.constructor?.name === "InvalidInputError") return { code: 2, message: e.message };
    return { code: 1, message: e?.stack ?? String(err) };
}

async function cli(): Promise<number> {
    try {
        const opts = parseArgs(process.argv.slice(2));
        const result = await plan(opts);
        process.stdout.write(opts.json ? `${JSON.stringify(result.document, null, 2)}\n` : `${result.text}\n`);
        return 0;
    } catch (err) {
        const { code, message } = classify(err);
        process.stderr.write(`${message}\n`);
        return code;
    }
}

if (require.main === module) {
    cli().then((code) => process.exit(code));
}
