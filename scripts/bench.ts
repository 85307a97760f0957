/**
 * Times the development loop on this machine, as ratios to the module-load floor: the time node takes to load
 * Pulumi's SDK and AWS provider (`node -e "require('@pulumi/pulumi'); require('@pulumi/aws')"`), which every test
 * worker, plan and `pulumi up` pays before doing anything. Machines differ; the ratio carries over between them.
 *
 * Steps: the floor; the type-checks; the program's load as `pulumi up` does it; `npm test` as a user runs it; the
 * offline plan of each stack; `policy check` on a 30,000-resource stack export; the metadata service's capacity
 * (scripts/capacity.ts, one run: its printed table is the result); the integration suite (one run: it takes
 * minutes). Each has its target from the project's standards (issue 18): npm test at most 12x the floor, each
 * plan at most 2x, policy check at most 2.5x, the integration suite at most 150 s.
 * Every step runs `--runs` times (default 3, the integration suite once); the table shows the median time, its ratio
 * to the floor's median, and the highest peak memory (from GNU time, where installed). `--only <text>` runs the steps
 * whose name contains the text (the floor always runs).
 *
 * The stack export (about 50 MB: the prod plan's resources repeated under distinct names, scripts/big-export.ts) is
 * generated into a temporary folder before the steps run and deleted after; it is never committed.
 *
 *   npm run bench [-- --runs 5] [-- --only "policy check"]
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { writeBigExport } from "./big-export";

const ROOT = path.resolve(__dirname, "..");
/** GNU time reports the peak resident memory of a command and its children (the native compiler is one). */
const GNU_TIME = "/usr/bin/time";
const REGISTER = path.join(ROOT, "scripts/register-ts.js");

interface Step {
    name: string;
    /** The command and its arguments (`node` when the first is not an absolute path to another program). */
    command: string[];
    /** Target as a multiple of the floor. */
    targetRatio?: number;
    /** Target in seconds. */
    targetSeconds?: number;
    /** Peak memory target, MiB. */
    targetMiB?: number;
    /** Runs regardless of --runs (the integration suite runs once). */
    runs?: number;
    /** Exit codes that mean the command worked (policy check exits 1 on a mandatory violation). */
    okCodes?: number[];
    /** Its output is the result (the capacity table): shown, not discarded. */
    showsOutput?: boolean;
}

/** Resources in the stack export `policy check` is timed on (issue 8: 30,000 resources under 500 MiB). */
const EXPORT_RESOURCES = 30_000;
const EXPORT_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "mf-bench-"));
const EXPORT_FILE = path.join(EXPORT_DIR, "stack-export.json");
const NODE = process.execPath;
const NPM_CLI = path.join(path.dirname(NODE), "..", "lib", "node_modules", "npm", "bin", "npm-cli.js");

const FLOOR: Step = { name: "module-load floor (@pulumi/pulumi + @pulumi/aws)", command: [NODE, "-e", "require('@pulumi/pulumi'); require('@pulumi/aws')"] };

const STEPS: Step[] = [
    { name: "type-check (TypeScript 7 native, in npm test)", command: [NODE, path.join(ROOT, "node_modules/typescript-native/bin/tsc"), "-p", ROOT] },
    { name: "type-check (TypeScript 6, for reference)", command: [NODE, path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", ROOT] },
    // pulumi up's load path from Pulumi.yaml's runtime options (issue 11: about 7 s type-checking, under 2 s without).
    { name: "program load (pulumi up's runtime path)", command: [NODE, path.join(ROOT, "scripts/pulumi-runtime-check.js")], targetSeconds: 2 },
    { name: "npm test (type-check and every test)", command: fs.existsSync(NPM_CLI) ? [NODE, NPM_CLI, "test", "--silent"] : ["npm", "test", "--silent"], targetRatio: 12 },
    ...["dev", "staging", "prod"].map((stack) => ({ name: `plan --stack ${stack}`, command: [NODE, "-r", REGISTER, path.join(ROOT, "scripts/plan.ts"), "--stack", stack, "--json"], targetRatio: 2 })),
    {
        name: `policy check (stack export, ${EXPORT_RESOURCES.toLocaleString("en")} resources)`,
        command: [NODE, "-r", REGISTER, path.join(ROOT, "scripts/policy.ts"), "check", EXPORT_FILE, "--config", path.join(ROOT, "policies/config/prod.json"), "--json"],
        targetRatio: 2.5,
        targetMiB: 500,
        okCodes: [0, 1],
    },
    // The metadata service's capacity (issue 21, scripts/capacity.ts): its table is the result, its time only bounded.
    {
        name: "metadata-service capacity (scripts/capacity.ts; JSON in .bench/capacity.json)",
        command: [NODE, "-r", REGISTER, path.join(ROOT, "scripts/capacity.ts"), "--out", path.join(ROOT, ".bench", "capacity.json")],
        targetSeconds: 300,
        runs: 1,
        showsOutput: true,
    },
    { name: "integration suite (npm run test:integration)", command: [NODE, path.join(ROOT, "node_modules/mocha/bin/mocha.js"), "--config", path.join(ROOT, ".mocharc.integration.cjs")], targetSeconds: 150, runs: 1 },
];

function measure(step: Step): { seconds: number; peakMiB: number; ok: boolean } {
    const timed = fs.existsSync(GNU_TIME);
    const [command, args] = timed ? [GNU_TIME, ["-f", "bench-peak-kib %M", ...step.command]] : [step.command[0], step.command.slice(1)];
    const start = process.hrtime.bigint();
    if (step.showsOutput) fs.mkdirSync(path.join(ROOT, ".bench"), { recursive: true });
    const result = spawnSync(command, args, { cwd: ROOT, stdio: ["ignore", step.showsOutput ? "inherit" : "ignore", "pipe"], encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const peak = /bench-peak-kib (\d+)/.exec(result.stderr ?? "");
    const ok = (step.okCodes ?? [0]).includes(result.status ?? -1);
    if (!ok) process.stderr.write(`${step.name} failed:\n${result.stderr}\n`);
    return { seconds, peakMiB: peak ? Number(peak[1]) / 1024 : NaN, ok };
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

interface Row {
    step: Step;
    seconds: number;
    peakMiB: number;
}

function timeStep(step: Step, runs: number): Row & { ok: boolean } {
    const results = Array.from({ length: step.runs ?? runs }, () => measure(step));
    return { step, seconds: median(results.map((r) => r.seconds)), peakMiB: Math.max(...results.map((r) => r.peakMiB)), ok: results.every((r) => r.ok) };
}

/** The table: each step's median, its ratio to the floor, its peak memory, its target and whether it is met. */
function render(rows: Row[], floor: number, runs: number): string {
    const cells = rows.map(({ step, seconds, peakMiB }) => {
        const ratio = seconds / floor;
        const target = [step.targetRatio ? `${step.targetRatio}x` : "", step.targetSeconds ? `${step.targetSeconds} s` : "", step.targetMiB ? `${step.targetMiB} MiB` : ""].filter(Boolean).join(", ");
        const met = [step.targetRatio === undefined || ratio <= step.targetRatio, step.targetSeconds === undefined || seconds <= step.targetSeconds, step.targetMiB === undefined || peakMiB <= step.targetMiB];
        return [step.name, seconds.toFixed(2), `${ratio.toFixed(1)}x`, Number.isNaN(peakMiB) ? "n/a" : peakMiB.toFixed(0), target, target ? (met.every(Boolean) ? "yes" : "NO") : ""];
    });
    const header = ["step", "median s", "x floor", "peak MiB", "target", "met"];
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
    const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i])).join(" | ")} |`;
    return [`bench: ${runs} run(s) per step, ${os.cpus().length} cores, node ${process.version}; floor ${floor.toFixed(2)} s`, line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

function option(name: string): string | undefined {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
    const runs = Number(option("--runs") ?? 3);
    if (!Number.isInteger(runs) || runs < 1) {
        process.stderr.write("--runs takes a positive integer\n");
        return 2;
    }
    const only = option("--only");
    const steps = STEPS.filter((s) => only === undefined || s.name.includes(only));
    if (!steps.length) {
        process.stderr.write(`--only ${only}: no step's name contains it; steps: ${STEPS.map((s) => s.name).join("; ")}\n`);
        return 2;
    }
    if (steps.some((s) => s.command.includes(EXPORT_FILE))) {
        const written = await writeBigExport(EXPORT_RESOURCES, EXPORT_FILE);
        console.log(`stack export for policy check: ${written.resources} resources, ${(written.bytes / 1e6).toFixed(1)} MB (temporary)`);
    }
    const floor = timeStep(FLOOR, runs);
    const rows = [floor, ...steps.map((step) => timeStep(step, runs))];
    console.log(render(rows, floor.seconds, runs));
    return rows.every((r) => (r as { ok?: boolean }).ok !== false) ? 0 : 1;
}

main().then(
    (code) => {
        fs.rmSync(EXPORT_DIR, { recursive: true, force: true });
        process.exitCode = code;
    },
    (err) => {
        fs.rmSync(EXPORT_DIR, { recursive: true, force: true });
        process.stderr.write(`${(err as Error).stack}\n`);
        process.exitCode = 1;
    },
);
