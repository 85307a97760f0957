// Mocha's configuration for `npm test` (the integration suite has its own, .mocharc.integration.cjs).
//
// Every test/**/*.test.ts outside test/integration runs, once. Mocha's parallel mode hands the files to its two
// workers in the order of `spec`, each worker taking the next file when it is free; so the files that take longest
// (most of it in processes they start: the plan command, Python) go first, and the short
// ones fill the end, where a long file would leave the other worker idle. The rest keep their path order.
"use strict";
const { specInOrder } = require("./test/spec-order.cjs");

const FIRST = [
    "test/stacks/plan.test.ts", // runs the plan command in a child process
    "test/policies/gate.test.ts", // plans every stack and every stack file the docs show
    "test/components/metaflow-service.test.ts",
    "test/policies/aws.test.ts", // reads botocore's and cfn-lint's models through Python
];

module.exports = {
    require: ["./scripts/register-ts.js", "./test/user-files.ts", "./test/hooks.ts"],
    extension: ["ts"],
    spec: specInOrder(".mocharc.cjs", "test", FIRST, "test/integration"),
    timeout: 20000,
    reporter: "./test/reporter.js",
    parallel: true,
    jobs: 2,
    // A young generation of 64 MiB instead of V8's 16: a stack plan allocates a few hundred MiB of short-lived
    // objects, and with the default semi-space a fifth of its CPU went to scavenges (a warm prod plan 230 -> 170 ms).
    // The workers inherit it from mocha's own process.
    "node-option": ["max-semi-space-size=64"],
};
