// Mocha's configuration for the integration suite (`npm run test:integration`; `npm test` has .mocharc.cjs).
//
// Every test/integration/**/*.test.ts runs, once, on two workers. Mocha's parallel mode hands the files to its workers
// in the order of `spec`, each worker taking the next file when it is free; so the files that take longest go first
// and the short ones fill the end (measured on the 2-core machine: the templates 67 s, Step Functions 43 s, the docs'
// commands 45 s; with the templates last, one worker ran 65 s after the other had finished). The rest keep their
// path order.
"use strict";
const { specInOrder } = require("./test/spec-order.cjs");

const FIRST = [
    "test/integration/templates/templates.test.ts", // every template flow with the real Metaflow, moto, Dask
    "test/integration/docs-commands.test.ts", // every offline command the docs show, in a copy of the repository
    "test/integration/metaflow/step-functions.test.ts", // step-functions create --only-json per stack and flow
];

module.exports = {
    require: ["./scripts/register-ts.js"],
    extension: ["ts"],
    spec: specInOrder(".mocharc.integration.cjs", "test/integration", FIRST, undefined),
    timeout: 150000,
    reporter: "./test/reporter.js",
    parallel: true,
    jobs: 2,
};
