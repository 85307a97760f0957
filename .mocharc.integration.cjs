// Mocha's configuration for the integration suite (`npm run test:integration`; `npm test` has .mocharc.cjs).
//
// Every test/integration/**/*.test.ts runs, once, on two workers. Mocha's parallel mode hands the files to its workers
// in the order of `spec`, each worker taking the next file when it is free; so the files that take longest go first
// and the short ones fill the end (measured on the 2-core machine: the templates 67 s, Step Functions 43 s, the docs'
// commands 45 s; with the templates last, one worker ran 65 s after the other had finished). The rest keep their
// path order.
"use strict";
const fs = require("fs");
const path = require("path");

const FIRST = [
    "test/integration/templates/templates.test.ts", // every template flow with the real Metaflow, moto, Dask
    "test/integration/docs-commands.test.ts", // every offline command the docs show, in a copy of the repository
    "test/integration/metaflow/step-functions.test.ts", // step-functions create --only-json per stack and flow
];

function testFiles(dir) {
    return fs
        .readdirSync(path.join(__dirname, dir), { withFileTypes: true })
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .flatMap((e) => {
            const rel = `${dir}/${e.name}`;
            if (e.isDirectory()) return testFiles(rel);
            return e.name.endsWith(".test.ts") ? [rel] : [];
        });
}

const all = testFiles("test/integration");
for (const f of FIRST) if (!all.includes(f)) throw new Error(`.mocharc.integration.cjs: ${f} is listed first but is not a test file`);

module.exports = {
    require: ["./scripts/register-ts.js"],
    extension: ["ts"],
    spec: [...FIRST, ...all.filter((f) => !FIRST.includes(f))],
    timeout: 150000,
    reporter: "./test/reporter.js",
    parallel: true,
    jobs: 2,
};
