// Loads the program the way `pulumi up` does, without an engine, so a runtime option, compiler option or import that
// only the CLI's path rejects fails here instead of at the first `pulumi preview`. Plain JavaScript: it must not
// depend on a TypeScript loader of its own.
//
// What the CLI does (pulumi/pulumi v3.259.0, sdk/nodejs/cmd/pulumi-language-nodejs/main.go):
// - parseOptions (291-320) reads Pulumi.yaml's runtime options: `typescript` (a boolean, default true), `tsconfig`
//   and `nodeargs` (strings); anything else of the wrong type is an error.
// - execRuntime (916-929) sets PULUMI_NODEJS_TYPESCRIPT=true only when `typescript` is true (and
//   PULUMI_NODEJS_TSCONFIG_PATH for `tsconfig`), splits `nodeargs` like a shell and runs
//   `node <nodeargs> <@pulumi/pulumi/cmd/run> ... <program dir>`; the language host runs in the project directory
//   (sdk/go/common/resource/plugin/plugin.go:599), so a `--require` resolves from the project's node_modules.
// - @pulumi/pulumi/cmd/run/run.js (3.248.0, lines 234-362) registers ts-node, type-checking unless
//   PULUMI_NODEJS_TRANSPILE_ONLY or tsconfig's `noCheck` says otherwise, only under PULUMI_NODEJS_TYPESCRIPT; then
//   requires package.json's `main` (491).
// This script applies the same options to a child node process, which repeats run.js's registration when the
// environment asks for it and requires every module the entry point imports. It prints the child's wall time.
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
// index.ts would run main(), which needs the engine; stacks/main.ts is everything it imports.
const ENTRY = path.join(root, "stacks", "main.ts");

/** The language host's parseOptions, for the options this project can set; returns the options or throws. */
function parseRuntimeOptions(options) {
    const out = { typescript: true, tsconfig: "", nodeargs: "" };
    const o = options ?? {};
    if ("typescript" in o) {
        if (typeof o.typescript !== "boolean") throw new Error("typescript option must be a boolean");
        out.typescript = o.typescript;
    }
    if ("tsconfig" in o) {
        if (typeof o.tsconfig !== "string") throw new Error("tsconfigpath option must be a string");
        out.tsconfig = o.tsconfig;
    }
    if ("nodeargs" in o) {
        if (typeof o.nodeargs !== "string") throw new Error("nodeargs option must be a string");
        out.nodeargs = o.nodeargs;
    }
    return out;
}

/** Splits nodeargs on white space; quoting (which the CLI's shlex would interpret) is refused rather than guessed. */
function splitNodeArgs(nodeargs) {
    if (/["'\\]/.test(nodeargs)) throw new Error(`nodeargs ${JSON.stringify(nodeargs)}: quotes and backslashes are not supported by this check`);
    return nodeargs.split(/\s+/).filter(Boolean);
}

/** Modules that nodeargs preload (`--require x`, `-r x`, `--require=x`). */
function preloads(args) {
    const out = [];
    args.forEach((a, i) => {
        if ((a === "--require" || a === "-r") && args[i + 1]) out.push(args[i + 1]);
        else if (a.startsWith("--require=")) out.push(a.slice("--require=".length));
    });
    return out;
}

/** Faults of a runtime configuration: a preloaded module must be a runtime dependency (an install without
 * devDependencies, Pulumi.yaml's `production: true`, must still load the program), and .ts needs a loader. */
function runtimeFaults(opts, pkg) {
    const faults = [];
    const preloaded = preloads(splitNodeArgs(opts.nodeargs));
    for (const mod of preloaded) {
        const name = mod.startsWith("@") ? mod.split("/").slice(0, 2).join("/") : mod.split("/")[0];
        if (!(pkg.dependencies ?? {})[name]) faults.push(`nodeargs preloads ${mod}, but ${name} is not in package.json's dependencies`);
    }
    if (!opts.typescript && !preloaded.length) faults.push("typescript is false and nodeargs preloads no TypeScript loader: node cannot require index.ts");
    return faults;
}

/** The child: run.js's registration when the language host would ask for it, then the program's modules. */
function child() {
    let loader = "a --require from nodeargs";
    if (process.env.PULUMI_NODEJS_TYPESCRIPT === "true") {
        const tsutils = require("@pulumi/pulumi/tsutils");
        const tsconfig = process.env.PULUMI_NODEJS_TSCONFIG_PATH ?? "tsconfig.json";
        const compilerOptions = tsutils.loadTypeScriptCompilerOptions(tsconfig);
        const env = process.env.PULUMI_NODEJS_TRANSPILE_ONLY;
        const transpileOnly = env ? env === "true" : compilerOptions.noCheck;
        const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
        require(tsnodeRequire).register({
            compiler: typescriptRequire,
            transpileOnly,
            project: tsconfig,
            compilerOptions: { target: "ES2020", module: "nodenext", moduleResolution: "nodenext", sourceMap: "true", ...compilerOptions },
        });
        loader = `ts-node ${require(`${tsnodeRequire}/package.json`).version} with TypeScript ${require(typescriptRequire).version}${transpileOnly ? ", transpile-only" : ", type-checking"}`;
    }
    if (!require.extensions[".ts"]) throw new Error("no loader for .ts is registered: the runtime options cannot load index.ts");
    require(ENTRY);
    process.stdout.write(loader);
}

function main() {
    const YAML = require("yaml");
    const project = YAML.parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
    const opts = parseRuntimeOptions(typeof project.runtime === "object" ? project.runtime.options : {});
    const faults = runtimeFaults(opts, JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")));
    if (faults.length) {
        process.stderr.write(`Pulumi.yaml runtime options:\n${faults.map((f) => `  * ${f}`).join("\n")}\n`);
        return 1;
    }
    const env = { ...process.env };
    delete env.PULUMI_NODEJS_TYPESCRIPT;
    delete env.PULUMI_NODEJS_TSCONFIG_PATH;
    if (opts.typescript) env.PULUMI_NODEJS_TYPESCRIPT = "true";
    if (opts.tsconfig) env.PULUMI_NODEJS_TSCONFIG_PATH = opts.tsconfig;
    const args = [...splitNodeArgs(opts.nodeargs), __filename, "--child"];
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, args, { cwd: root, env, encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0) {
        process.stderr.write(`node ${args.join(" ")} failed:\n${result.stderr}\n`);
        return 1;
    }
    console.log(`pulumi runtime path: node ${args.slice(0, -2).join(" ") || "(no nodeargs)"}; ${result.stdout} loaded the program in ${ms.toFixed(0)} ms`);
    return 0;
}

if (require.main === module) {
    if (process.argv.includes("--child")) child();
    else process.exitCode = main();
}

module.exports = { parseRuntimeOptions, splitNodeArgs, preloads, runtimeFaults };
