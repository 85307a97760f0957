/**
 * Loads the project's TypeScript as `node -r sucrase/register/ts` does (sucrase strips the types, with the same
 * transforms and inline source map as its own register hook), and keeps each file's output in a cache, so that a
 * process that loads the same sources again (every test worker, every `npm run plan`) does not transform them again.
 *
 * The cache is content-addressed: a file's entry is named by the hash of sucrase's version, the file's path and its
 * text, so an edited file misses and is transformed anew; nothing is ever invalidated by hand. It lives in
 * node_modules/.cache/metaflow-platform (ignored by git, removed by `npm ci`); entries are written to a temporary file
 * and renamed, so parallel workers never read half an entry. A cache that cannot be written (a read-only checkout) is
 * skipped silently: the file is then transformed every time, as without the cache.
 *
 * Used by mocha (.mocharc.cjs), the npm scripts and the tests' child processes. `pulumi up` loads the program with
 * sucrase's own hook (Pulumi.yaml nodeargs), unchanged.
 *
 *   node -r ./scripts/register-ts.js scripts/plan.ts --stack dev
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const SUCRASE_VERSION = require("sucrase/package.json").version;
const CACHE = path.join(__dirname, "..", "node_modules", ".cache", "metaflow-platform", `sucrase-${SUCRASE_VERSION}`);

/** What sucrase/register/ts returns for a file: the transformed code and its source map inline. */
function sucraseRegisterOutput(code, filePath) {
    // Loaded on the first miss only: a process whose files are all cached never loads the transformer.
    const { transform } = require("sucrase");
    const out = transform(code, { transforms: ["imports", "typescript"], sourceMapOptions: { compiledFilename: filePath }, filePath });
    const map = Buffer.from(JSON.stringify(out.sourceMap)).toString("base64");
    return `${out.code}\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,${map}`;
}

/** The cache entry of a file: named by sucrase's version, the file's path and its text. */
function entryOf(code, filePath) {
    const hash = crypto.createHash("sha1").update(SUCRASE_VERSION).update("\0").update(filePath).update("\0").update(code).digest("hex");
    return path.join(CACHE, hash.slice(0, 2), `${hash}.js`);
}

function store(entry, output) {
    try {
        fs.mkdirSync(path.dirname(entry), { recursive: true });
        const temporary = `${entry}.${process.pid}.tmp`;
        fs.writeFileSync(temporary, output);
        fs.renameSync(temporary, entry);
    } catch {
        // Not writable: transform every time.
    }
}

function compile(code, filePath) {
    const entry = entryOf(code, filePath);
    try {
        return fs.readFileSync(entry, "utf8");
    } catch {
        const output = sucraseRegisterOutput(code, filePath);
        store(entry, output);
        return output;
    }
}

// As sucrase's hook (through pirates) does: TypeScript files outside node_modules are compiled, others left alone.
require.extensions[".ts"] = function loadTypeScript(module, filename) {
    if (filename.split(path.sep).includes("node_modules")) throw new Error(`${filename}: TypeScript inside node_modules is not compiled`);
    module._compile(compile(fs.readFileSync(filename, "utf8"), filename), filename);
};

module.exports = { compile, sucraseRegisterOutput, entryOf, CACHE };
