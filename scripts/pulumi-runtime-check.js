// Loads the program the way `pulumi up` does, without an engine: @pulumi/pulumi's nodejs runtime registers ts-node
// (type-checking, with the project's TypeScript) using tsconfig.json's compilerOptions over its own defaults, then
// requires the entry point. This repeats that registration (non-ESM branch of @pulumi/pulumi/cmd/run/run.js) and
// loads every module the entry point imports, so a compiler option or import that only the runtime path rejects
// fails here instead of at the first `pulumi preview`. Plain JavaScript: it must not depend on a TypeScript loader.
"use strict";
const path = require("path");

const root = path.resolve(__dirname, "..");
const tsutils = require("@pulumi/pulumi/tsutils");
const tsconfig = path.join(root, "tsconfig.json");
const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
const started = Date.now();
require(tsnodeRequire).register({
    compiler: typescriptRequire,
    project: tsconfig,
    compilerOptions: { target: "ES2020", module: "nodenext", moduleResolution: "nodenext", sourceMap: "true", ...tsutils.loadTypeScriptCompilerOptions(tsconfig) },
});
// index.ts would run main(), which needs the engine; stacks/main.ts is everything it imports.
require(path.join(root, "stacks", "main.ts"));
console.log(`pulumi runtime path: ts-node ${require(`${tsnodeRequire}/package.json`).version} with TypeScript ${require(typescriptRequire).version} loaded the program in ${Date.now() - started} ms`);
