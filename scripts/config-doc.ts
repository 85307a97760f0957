/**
 * The tables of docs/configuration.md, generated from the key specifications, so that a key cannot be missing from
 * the reference or described there differently from what the program does:
 *
 *   npm run -s config-doc               # exit 1, naming the first stale key, when the doc differs from the specs
 *   npm run -s config-doc -- --write    # regenerate the tables in place
 *
 * The doc is hand-written prose around generated regions, each between `<!-- keys:begin <section> -->` and
 * `<!-- keys:end -->`: one table per section of keys (type, default per environment, and the key's `description`
 * as its meaning), the default queues (`defaultQueues`) and the `costPolicy` limits with the environments' default
 * cost-policy settings. Every key of PROJECT_KEYS and AWS_KEYS must be in exactly one section: a new key that is not
 * fails the generator and the test (test/docs/configuration.test.ts).
 *
 * Pure functions over the specifications; only the command at the bottom reads or writes a file.
 */
import { defaultSettings } from "../policies/lib/settings";
import { AWS_KEYS, PROJECT_KEYS } from "../stacks/config";
import { accessKeys } from "../stacks/config/keys/access";
import { artifactKeys } from "../stacks/config/keys/artifacts";
import { batchKeys, defaultQueues } from "../stacks/config/keys/batch";
import { coreKeys } from "../stacks/config/keys/core";
import { COST_POLICY_LIMITS, costPolicyKeys } from "../stacks/config/keys/cost-policy";
import { monitoringKeys } from "../stacks/config/keys/monitoring";
import { serviceKeys } from "../stacks/config/keys/service";
import { servingKeys } from "../stacks/config/keys/serving";
import { workspaceKeys } from "../stacks/config/keys/workspaces";
import { sfnKeys } from "../stacks/config/keys/sfn";
import { ENVIRONMENTS, KeySpec, profileValue } from "../stacks/config/spec";
import type { QUEUE_CAPACITIES } from "../components/batch/queue-rules";

export const DOC = "docs/configuration.md";

/**
 * The `aws:` keys the program reads (AWS_KEYS gives their meaning): their types, which only the program's checks in
 * stacks/config know. A key added to AWS_KEYS without an entry here stops the generator.
 */
const AWS_KEY_TYPES: Record<string, { type: string; required?: boolean }> = {
    region: { type: "string: an AWS region (checked against the list of regions)", required: true },
    profile: { type: "string: an AWS CLI profile name" },
    allowedAccountIds: { type: "list of 12-digit AWS account IDs (at least one)" },
};

/** The sections of keys, in the doc's order; each takes a key-specification module whole. */
export const SECTIONS: Array<{ id: string; keys: string[] }> = [
    { id: "identity", keys: [...Object.keys(AWS_KEYS).map((k) => `aws:${k}`), ...Object.keys(coreKeys), ...Object.keys(accessKeys), ...Object.keys(costPolicyKeys)] },
    { id: "artifacts", keys: Object.keys(artifactKeys) },
    { id: "batch", keys: Object.keys(batchKeys) },
    { id: "sfn", keys: Object.keys(sfnKeys) },
    { id: "service", keys: Object.keys(serviceKeys) },
    { id: "monitoring", keys: Object.keys(monitoringKeys) },
    { id: "serving", keys: Object.keys(servingKeys) },
    { id: "workspaces", keys: Object.keys(workspaceKeys) },
];

/** Every key the reference must document: the project's keys, and the `aws:` keys the program reads. */
export function documentedKeys(): string[] {
    return [...Object.keys(AWS_KEYS).map((k) => `aws:${k}`), ...Object.keys(PROJECT_KEYS)];
}

/** Throws unless every key is in exactly one section and every section's key exists. */
function checkSections(): void {
    const seen = new Map<string, string>();
    for (const s of SECTIONS) {
        for (const k of s.keys) {
            if (seen.has(k)) throw new Error(`${k} is in two sections of ${DOC}: ${seen.get(k)} and ${s.id}`);
            seen.set(k, s.id);
        }
    }
    const all = documentedKeys();
    const missing = all.filter((k) => !seen.has(k));
    if (missing.length) throw new Error(`keys in no section of ${DOC} (add their module to SECTIONS in scripts/config-doc.ts): ${missing.join(", ")}`);
    const unknown = [...seen.keys()].filter((k) => !all.includes(k));
    if (unknown.length) throw new Error(`keys the program does not read in ${DOC}'s sections: ${unknown.join(", ")}`);
    const untyped = Object.keys(AWS_KEYS).filter((k) => !(k in AWS_KEY_TYPES));
    if (untyped.length) throw new Error(`aws keys without a type in scripts/config-doc.ts (AWS_KEY_TYPES): ${untyped.join(", ")}`);
}

/**
 * Text for a table cell: `|` escaped (GitHub needs it inside code spans too), and outside code spans the placeholders
 * such as `mf-<stack>` or `<prefix>_<FlowName>` put in code spans, where Markdown does not take them for HTML tags.
 */
export function cell(text: string): string {
    return text
        .split(/(`[^`]*`)/)
        .map((part, i) => (i % 2 ? part : part.replace(/[\w./-]*<[\w-]+>(?:[\w./<>-]*[\w>])?/g, (m) => `\`${m}\``)))
        .join("")
        .replace(/\|/g, "\\|");
}

/** A value as a stack file would write it (YAML flow style), in a code span. */
function literal(value: unknown): string {
    const flow = (v: unknown): string => {
        if (Array.isArray(v)) return `[${v.map(flow).join(", ")}]`;
        if (v !== null && typeof v === "object") return `{${Object.entries(v).map(([k, x]) => `${k}: ${flow(x)}`).join(", ")}}`;
        return typeof v === "string" && /[\s:{}[\],]|^$/.test(v) ? JSON.stringify(v) : String(v);
    };
    if (typeof value === "boolean" || typeof value === "number") return String(value);
    return `\`${typeof value === "string" ? value : flow(value)}\``;
}

/** A key's type: what the program accepts, from its specification. */
export function typeOf(spec: KeySpec): string {
    const secret = spec.secret ? ", secret" : "";
    switch (spec.type) {
        case "string":
            if (spec.oneOf) return `one of ${spec.oneOf.map((v) => `\`${v}\``).join(", ")}${secret}`;
            return `${spec.pattern ? `string: ${spec.pattern.describe}` : "string"}${secret}`;
        case "integer":
            return `integer ${spec.min}-${spec.max}`;
        case "boolean":
            return "boolean";
        case "array":
            return `list of ${spec.pattern?.describe ?? "strings"}${spec.minItems ? ` (at least ${spec.minItems})` : ""}`;
        case "object":
            return spec.shape;
    }
}

/** The default of an optional key without one in its specification, when its description names it ("Default: x."). */
function describedDefault(spec: KeySpec): string | undefined {
    const m = /Default: ([^\s.]+)\./.exec(spec.description);
    return m ? `\`${m[1]}\`` : undefined;
}

/** Three cells, dev / staging / prod; a long value the same as dev's reads "as dev". */
function perEnvironment(value: (env: (typeof ENVIRONMENTS)[number]) => string): string[] {
    const dev = value("dev");
    return ENVIRONMENTS.map((e) => (e !== "dev" && value(e) === dev && dev.length > 24 ? "as dev" : value(e)));
}

function row(cells: string[]): string {
    return `| ${cells.join(" | ")} |`;
}

/** One section's table: key, type, dev, staging, prod, meaning. */
export function keyTable(keys: string[]): string[] {
    const lines = [row(["key", "type", "dev", "staging", "prod", "meaning"]), row(Array(6).fill("---"))];
    for (const key of keys) {
        if (key.startsWith("aws:")) {
            const name = key.slice(4);
            const t = AWS_KEY_TYPES[name];
            lines.push(row([`\`${key}\``, cell(t.type), ...perEnvironment(() => (t.required ? "required" : "unset")), cell(AWS_KEYS[name])]));
            continue;
        }
        const spec = (PROJECT_KEYS as Record<string, KeySpec>)[key];
        const value = (env: (typeof ENVIRONMENTS)[number]) => {
            if (spec.required) return "required";
            const v = profileValue(spec.default, env);
            return v === undefined ? (describedDefault(spec) ?? "unset") : literal(v);
        };
        lines.push(row([`\`${key}\``, cell(typeOf(spec)), ...perEnvironment(value).map(cell), cell(spec.description)]));
    }
    return lines;
}

const CAPACITY: Record<(typeof QUEUE_CAPACITIES)[number], string> = {
    "spot-first": "spot first, on-demand fallback",
    "spot-only": "spot only",
    "on-demand": "on-demand only",
};

/** The queues every environment starts with (stacks/config/keys/batch.ts, `defaultQueues`). */
export function queueTable(): string[] {
    const lines = [row(["queue", "kind", "instance types", "capacity", "maxVcpus (dev / staging / prod)"]), row(Array(5).fill("---"))];
    const byEnv = ENVIRONMENTS.map((e) => defaultQueues(e));
    for (const q of byEnv[0]) {
        const vcpus = byEnv.map((queues) => queues.find((x) => x.name === q.name)?.maxVcpus ?? "-").join(" / ");
        const types = `${q.instanceTypes.join(", ")}${q.maxGpusPerJob ? ` (up to ${q.maxGpusPerJob} GPUs a job)` : ""}`;
        lines.push(row([`\`${q.name}\``, q.kind, types, CAPACITY[q.capacity], vcpus]));
    }
    return lines;
}

/** The limits `costPolicy` may set, how each is checked, and the environments' defaults (policies/lib/settings.ts). */
export function costPolicyTable(): string[] {
    const lines = [row(["limit", "type", "dev", "staging", "prod"]), row(Array(5).fill("---"))];
    for (const [limit, check] of Object.entries(COST_POLICY_LIMITS)) {
        const value = (env: (typeof ENVIRONMENTS)[number]) => {
            const v = defaultSettings(env)[limit as keyof typeof COST_POLICY_LIMITS];
            return Array.isArray(v) ? v.join(", ") : String(v);
        };
        lines.push(row([`\`${limit}\``, cell(check.allowed.replace(/^expected /, "")), ...perEnvironment(value).map(cell)]));
    }
    return lines;
}

/** The generated regions of the doc, by the name their begin marker gives. */
export function regions(): Record<string, string[]> {
    checkSections();
    return {
        ...Object.fromEntries(SECTIONS.map((s) => [s.id, keyTable(s.keys)])),
        "default-queues": queueTable(),
        "cost-policy-limits": costPolicyTable(),
    };
}

const BEGIN = /^<!-- keys:begin ([\w-]+) -->$/;
const END = "<!-- keys:end -->";

/**
 * The doc with every generated region rendered anew, the prose around them kept. Throws when a region is missing,
 * unknown, unterminated or given twice.
 */
export function render(doc: string): string {
    const generated = regions();
    const out: string[] = [];
    const done = new Set<string>();
    const lines = doc.split("\n");
    for (let i = 0; i < lines.length; i++) {
        const m = BEGIN.exec(lines[i]);
        out.push(lines[i]);
        if (!m) continue;
        const id = m[1];
        if (!(id in generated)) throw new Error(`${DOC}:${i + 1}: unknown region "${id}"; known: ${Object.keys(generated).join(", ")}`);
        if (done.has(id)) throw new Error(`${DOC}:${i + 1}: region "${id}" given twice`);
        const end = lines.indexOf(END, i + 1);
        const next = lines.findIndex((l, j) => j > i && BEGIN.test(l));
        if (end < 0 || (next >= 0 && next < end)) throw new Error(`${DOC}:${i + 1}: region "${id}" has no ${END}`);
        out.push("", ...generated[id], "", END);
        done.add(id);
        i = end;
    }
    const missing = Object.keys(generated).filter((id) => !done.has(id));
    if (missing.length) throw new Error(`${DOC} lacks the generated regions ${missing.map((id) => `<!-- keys:begin ${id} -->`).join(", ")}`);
    return out.join("\n");
}

/** The first line where the doc differs from its rendering, with the key (or region) it belongs to; none when equal. */
export function firstDifference(doc: string, rendered: string): string | undefined {
    if (doc === rendered) return undefined;
    const a = doc.split("\n");
    const b = rendered.split("\n");
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    const keyOf = (line: string | undefined) => (line === undefined ? undefined : /^\| `([^`]+)` \|/.exec(line)?.[1]);
    const key = keyOf(b[i]) ?? keyOf(a[i]);
    let region: string | undefined;
    for (let j = Math.min(i, b.length - 1); j >= 0 && !region; j--) region = BEGIN.exec(b[j])?.[1];
    const where = key ? `key \`${key}\`` : region ? `region "${region}"` : "its prose";
    return `${DOC} is stale at line ${i + 1}, ${where}${key && region ? ` (region "${region}")` : ""}:\n  in the doc:    ${a[i] ?? "(end of file)"}\n  the specs say: ${b[i] ?? "(end of file)"}\nregenerate it with npm run -s config-doc -- --write`;
}

if (require.main === module) {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const fs = require("fs") as typeof import("fs");
    const path = require("path") as typeof import("path");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const args = process.argv.slice(2);
    const unknown = args.filter((a) => a !== "--write");
    if (unknown.length) {
        process.stderr.write(`unknown argument ${unknown[0]}; usage: npm run -s config-doc [-- --write]\n`);
        process.exit(2);
    }
    const file = path.resolve(__dirname, "..", DOC);
    try {
        const doc = fs.readFileSync(file, "utf8");
        const rendered = render(doc);
        if (args.includes("--write")) {
            if (rendered !== doc) fs.writeFileSync(file, rendered);
            process.stdout.write(`${DOC}: ${rendered === doc ? "current" : "regenerated"}\n`);
        } else {
            const stale = firstDifference(doc, rendered);
            process.stdout.write(stale ? "" : `${DOC}: current\n`);
            if (stale) {
                process.stderr.write(`${stale}\n`);
                process.exitCode = 1;
            }
        }
    } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        process.exit(2);
    }
}
