// The order in which a mocha config hands test files to its parallel workers: the files named first (the longest, so
// that no worker runs one alone at the end), then every other *.test.ts under `dir` in path order, skipping `skip`.
// Used by .mocharc.cjs and .mocharc.integration.cjs.
"use strict";
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");

function testFiles(dir, skip) {
    return fs
        .readdirSync(path.join(ROOT, dir), { withFileTypes: true })
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .flatMap((e) => {
            const rel = `${dir}/${e.name}`;
            if (e.isDirectory()) return rel === skip ? [] : testFiles(rel, skip);
            return e.name.endsWith(".test.ts") ? [rel] : [];
        });
}

/** `first`, then the rest of `dir`'s test files; throws when a file named first is not one of them. */
function specInOrder(config, dir, first, skip) {
    const all = testFiles(dir, skip);
    for (const f of first) if (!all.includes(f)) throw new Error(`${config}: ${f} is listed first but is not a test file`);
    return [...first, ...all.filter((f) => !first.includes(f))];
}

module.exports = { specInOrder };
