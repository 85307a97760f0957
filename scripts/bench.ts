/**
 * Times the development loop on this machine: the type-check, the program's load as `pulumi up` does it, the test
 * run, the offline plan of each stack and `policy check` on a 30,000-resource stack export, with each command's peak
 * memory (from GNU time, where installed).
 * Every step runs `--runs` times (default 3); the table shows the median time and the highest peak. `--only <text>`
 * runs the steps whose name contains the text.
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

interface Step {
    name: string;
    args: string[];
    /** Target from the project's standards, in seconds. */
    target?: number;
    /** Peak memory target, MiB. */
    targetMiB?: number;
    /** Counted in the `npm test` total. */
    inTest?: boolean;
    /** Exit codes that mean the command worked (policy check exits 1 on a mandatory violation). */
    okCodes?: number[];
}

/** Resources in the stack export `policy check` is timed on (issue 8: 30,000 resources under 3 s and 500 MiB). */
const EXPORT_RESOURCES = 30_000;
const EXPORT_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "mf-bench-"));
const EXPORT_FILE = path.join(EXPORT_DIR, "stack-export.json");

const STEPS: Step[] = [
    { name: "type-check (TypeScript 7 native, npm test)", args: [path.join(ROOT, "node_modules/typescript-native/bin/tsc"), "-p", ROOT], inTest: true },
    { name: "type-check (TypeScript 6, for reference)", args: [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", ROOT] },
    // pulumi up's load path from Pulumi.yaml's runtime options (issue 11: about 7 s type-checking, under 2 s without).
    { name: "program load (pulumi up's runtime path)", args: [path.join(ROOT, "scripts/pulumi-runtime-check.js")], target: 2 },
    { name: "tests (mocha, transpile-only)", args: [path.join(ROOT, "node_modules/mocha/bin/mocha.js")], inTest: true },
    ...["dev", "staging", "prod"].map((stack) => ({ name: `plan --stack ${stack}`, args: ["-r", path.join(ROOT, "scripts/register-ts.js"), path.join(ROOT, "scripts/plan.ts"), "--stack", stack, "--json"], target: 3 })),
    {
        name: `policy check (stack export, ${EXPORT_RESOURCES.toLocaleString("en")} resources)`,
        args: ["-r", path.join(ROOT, "scripts/register-ts.js"), path.join(ROOT, "scripts/policy.ts"), "check", EXPORT_FILE, "--config", path.join(ROOT, "policies/config/prod.json"), "--json"],
        target: 3,
        targetMiB: 500,
        okCodes: [0, 1],
    },
];

function measure(step: Step): { seconds: number; peakMiB: number; ok: boolean } {
    const timed = fs.existsSync(GNU_TIME);
    const [command, args] = timed ? [GNU_TIME, ["-f", "bench-peak-kib %M", process.execPath, ...step.args]] : [process.execPath, step.args];
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
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

async function main(): Promise<number> {
    const runsArg = process.argv.indexOf("--runs");
    const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
    if (!Number.isInteger(runs) || runs < 1) {
        process.stderr.write("--runs takes a positive integer\n");
        return 2;
    }
    const onlyArg = process.argv.indexOf("--only");
    const only = onlyArg > 0 ? process.argv[onlyArg + 1] : undefined;
    const steps = STEPS.filter((s) => only === undefined || s.name.includes(only));
    if (!steps.length) {
        process.stderr.write(`--only ${only}: no step's name contains it; steps: ${STEPS.map((s) => s.name).join("; ")}\n`);
        return 2;
    }
    if (steps.some((s) => s.args.includes(EXPORT_FILE))) {
        const written = await writeBigExport(EXPORT_RESOURCES, EXPORT_FILE);
        console.log(`stack export for policy check: ${written.resources} resources, ${(written.bytes / 1e6).toFixed(1)} MB (temporary)`);
    }
    const rows: string[][] = [];
    let failed = false;
    let total = 0;
    for (const step of steps) {
        const results = Array.from({ length: runs }, () => measure(step));
        failed ||= results.some((r) => !r.ok);
        const seconds = median(results.map((r) => r.seconds));
        if (step.inTest) total += seconds;
        const peak = Math.max(...results.map((r) => r.peakMiB));
        rows.push([step.name, seconds.toFixed(2), Number.isNaN(peak) ? "n/a" : peak.toFixed(0), [step.target ? `${step.target} s` : "", step.targetMiB ? `${step.targetMiB} MiB` : ""].filter(Boolean).join(", ")]);
    }
    if (steps.some((s) => s.inTest)) rows.push(["npm test (native type-check + tests)", total.toFixed(2), "", "15 s"]);
    const header = ["step", "median s", "peak MiB", "target"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
    console.log(`bench: ${runs} run(s) per step, ${os.cpus().length} cores, node ${process.version}`);
    console.log([line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n"));
    return failed ? 1 : 0;
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
