/**
 * The CI gate on the stack files a team actually ships:
 *
 *   npm run -s gate [-- --dir <folder of Pulumi.<stack>.yaml>] [--stack <name>]... [--references <...>]...
 *
 * For every stack file (Pulumi.dev.yaml, Pulumi.staging.yaml, Pulumi.prod.yaml, or those named), it checks that
 * policies/config/<stack>.json is the one the stack file derives (`npm run -s policy -- config --stack <s> --write`
 * regenerates it), then plans the stack offline with that policy configuration and fails on a mandatory violation.
 * `npm test` never reads the shipped stack files (it plans the copies in test/fixtures/stacks), so a user's edits to
 * their own stack files are judged here, not by the unit tests.
 *
 * Exit 0: every stack plans clean; 1: a mandatory violation or a stale policy configuration; 2: bad input.
 */
import * as fs from "fs";
import * as path from "path";

import { readPolicyConfig } from "../policies/evaluate";
import { PolicyConfigFile } from "../policies/lib/rule";
import { classify, plan } from "./plan";
import { stackPolicyConfig } from "./policy";

const ROOT = path.resolve(__dirname, "..");
const STACKS = ["dev", "staging", "prod"];

export interface GateOptions {
    /** The folder holding Pulumi.<stack>.yaml (the repository root by default). */
    dir?: string;
    stacks?: string[];
    references?: string[];
    /** The policy configuration in use for a stack (policies/config/<stack>.json by default). */
    policyConfigOf?: (stack: string) => PolicyConfigFile | undefined;
}

export async function gate(opts: GateOptions = {}): Promise<{ code: number; lines: string[] }> {
    const dir = opts.dir ?? ROOT;
    const lines: string[] = [];
    let code = 0;
    for (const stack of opts.stacks ?? STACKS) {
        const file = path.join(dir, `Pulumi.${stack}.yaml`);
        try {
            if (!fs.existsSync(file)) throw Object.assign(new Error(`${file} does not exist`), { exit: 2 });
            const derived = stackPolicyConfig(stack, file);
            const inUse = (opts.policyConfigOf ?? readPolicyConfig)(stack);
            if (JSON.stringify(inUse) !== JSON.stringify(derived)) {
                lines.push(`${stack}: FAIL policies/config/${stack}.json is not what ${path.basename(file)} derives: run npm run -s policy -- config --stack ${stack} --write`);
                code = Math.max(code, 1);
                continue;
            }
            const result = await plan({ config: file, references: opts.references ?? path.join(ROOT, "fixtures", "references.json"), json: true, showSecrets: false, policyConfig: derived });
            const doc = result.document as { violations: Array<{ policy: string; enforcementLevel: string; message: string }>; cost: { monthlyUsd: number } };
            const mandatory = doc.violations.filter((v) => v.enforcementLevel === "mandatory");
            if (mandatory.length) {
                lines.push(`${stack}: FAIL ${mandatory.length} mandatory violation(s):`, ...mandatory.map((v) => `  ${v.policy}: ${v.message}`));
                code = Math.max(code, 1);
            } else lines.push(`${stack}: ok (typical month about $${Math.round(doc.cost.monthlyUsd)})`);
        } catch (err) {
            const exit = (err as { exit?: number }).exit;
            const { code: c, message } = exit ? { code: exit, message: (err as Error).message } : classify(err);
            lines.push(`${stack}: ${message}`);
            code = Math.max(code, c);
        }
    }
    return { code, lines };
}

function parse(argv: string[]): GateOptions {
    const opts: GateOptions = {};
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].startsWith("--") && argv[i].includes("=") ? [argv[i].slice(0, argv[i].indexOf("=")), argv[i].slice(argv[i].indexOf("=") + 1)] : [argv[i], undefined];
        const value = inline ?? argv[++i];
        if (value === undefined || value === "") throw Object.assign(new Error(`${flag} needs a value`), { exit: 2 });
        if (flag === "--dir") opts.dir = value;
        else if (flag === "--stack") opts.stacks = [...(opts.stacks ?? []), value];
        else if (flag === "--references") opts.references = [...(opts.references ?? []), value];
        else throw Object.assign(new Error(`unknown argument ${flag} (allowed: --dir, --stack, --references)`), { exit: 2 });
    }
    return opts;
}

if (require.main === module) {
    let opts: GateOptions;
    try {
        opts = parse(process.argv.slice(2));
    } catch (err) {
        process.stderr.write(`usage: ${(err as Error).message}\n`);
        process.exit(2);
    }
    gate(opts).then(({ code, lines }) => {
        process.stdout.write(`${lines.join("\n")}\n`);
        process.exitCode = code;
    });
}
