/**
 * How the Pulumi CLI starts a local Node.js policy pack for `pulumi preview --policy-pack <dir>` (pulumi/pulumi
 * v3.259.0), reproduced so that tests can start the packs exactly so:
 *
 *  - `NewPolicyAnalyzer` (pkg/resource/plugin/analyzer_plugin.go:71-283) loads `<dir>/PulumiPolicy.yaml`
 *    (`LoadPolicyPack`, sdk/go/common/workspace/loaders.go:332-361: a `runtime` is required,
 *    `PolicyPackProject.Validate`, project.go:929), and with the nodejs language plugin present starts the pack through
 *    it (`ExecPlugin`, plugin.go:488-590), after checking the pack's `requiredPulumiVersion` (plugin.go:535-547).
 *  - The nodejs language host's `RunPlugin` (sdk/nodejs/cmd/pulumi-language-nodejs/main.go:1607-1800) resolves
 *    `@pulumi/pulumi/cmd/run-policy-pack` from the pack's directory (`locateModule`, 202-260), and runs
 *    `node <run-policy-pack> [nodeargs] <engine address> <pack dir>` **with the pack's directory as the working
 *    directory**, `PULUMI_NODEJS_TYPESCRIPT=true` unless the runtime option `typescript` is false (parseOptions,
 *    290-330), and the stack's configuration in `PULUMI_CONFIG` with `PULUMI_NODEJS_PROJECT`, `_STACK`,
 *    `_ORGANIZATION` and `_DRY_RUN` (1714-1739; analyzer_plugin.go:961-998 for the older path).
 *  - `run-policy-pack` registers ts-node with type-checking and the pack's own tsconfig.json when the working
 *    directory has one (@pulumi/pulumi cmd/run-policy-pack/run.js), and `new PolicyPack` reads the pack's version from
 *    `<working directory>/package.json` (@pulumi/policy policy.js): a pack without a package.json cannot start.
 *
 * Pure module: no Pulumi import.
 */
import * as fs from "fs";
import * as path from "path";

import { CliError } from "./errors";
import { readYaml } from "./project";

export interface PolicyPackProject {
    runtime: { name: string; options: Record<string, unknown> };
    version?: string;
    description?: string;
    main?: string;
    requiredPulumiVersion?: string;
}

/** `LoadPolicyPack` and `PolicyPackProject.Validate`: `<dir>/PulumiPolicy.yaml` with a runtime. */
export function loadPolicyPackProject(dir: string): PolicyPackProject {
    const file = path.join(dir, "PulumiPolicy.yaml");
    let raw: any;
    try {
        raw = readYaml(fs.readFileSync(file, "utf8"));
    } catch (err) {
        throw new CliError(`failed to load Pulumi policy project located at "${dir}": ${(err as Error).message}`);
    }
    const runtime = typeof raw?.runtime === "string" ? { name: raw.runtime, options: {} } : { name: raw?.runtime?.name ?? "", options: raw?.runtime?.options ?? {} };
    if (!runtime.name) throw new CliError(`failed to load Pulumi policy project located at "${dir}": project is missing a 'runtime' attribute`);
    return { runtime, version: raw.version, description: raw.description, main: raw.main, requiredPulumiVersion: raw.requiredPulumiVersion };
}

export interface PackLaunch {
    command: string;
    args: string[];
    cwd: string;
    env: Record<string, string>;
}

/** The process the CLI starts for a nodejs policy pack in `dir`. */
export function policyPackLaunch(
    dir: string,
    opts: { engineAddress: string; project: string; stack: string; organization?: string; dryRun: boolean; config: Record<string, string>; baseEnv?: NodeJS.ProcessEnv },
): PackLaunch {
    const project = loadPolicyPackProject(dir);
    if (project.runtime.name !== "nodejs") throw new CliError(`policy pack runtime ${project.runtime.name} is not nodejs`);
    const options = project.runtime.options;
    if (options.typescript !== undefined && typeof options.typescript !== "boolean") throw new CliError("typescript option must be a boolean");
    if (options.nodeargs !== undefined && typeof options.nodeargs !== "string") throw new CliError("nodeargs option must be a string");
    let runPath: string;
    try {
        runPath = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [dir] });
    } catch {
        throw new CliError(`it looks like the policy pack's dependencies are not installed; try running npm install or yarn install in "${dir}"`);
    }
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.baseEnv ?? process.env)) if (v !== undefined) env[k] = v;
    if (options.typescript !== false) env.PULUMI_NODEJS_TYPESCRIPT = "true";
    Object.assign(env, {
        PULUMI_CONFIG: JSON.stringify(opts.config),
        PULUMI_NODEJS_PROJECT: opts.project,
        PULUMI_NODEJS_STACK: opts.stack,
        PULUMI_NODEJS_DRY_RUN: String(opts.dryRun),
        ...(opts.organization ? { PULUMI_NODEJS_ORGANIZATION: opts.organization } : {}),
    });
    const nodeargs = typeof options.nodeargs === "string" ? options.nodeargs.split(/\s+/).filter(Boolean) : [];
    return { command: process.execPath, args: [runPath, ...nodeargs, opts.engineAddress, dir], cwd: dir, env };
}
