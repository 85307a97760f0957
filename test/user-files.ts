/**
 * Loaded by .mocharc.cjs in every test worker: `npm test` never reads the user's stack files.
 *
 * The README tells platform engineers to edit `Pulumi.<stack>.yaml` (add a foundation, change queues); the tests plan
 * the copies in test/fixtures/stacks instead, so that such an edit cannot break them, and the CI gate
 * (`npm run -s gate`) plans the user's files. A test that reads a user's stack file by mistake passes on a clean
 * clone and fails on the user's machine; this guard makes it fail everywhere, at once, naming the file.
 */
import type { PathLike, PathOrFileDescriptor } from "fs";
import * as path from "path";

// The module object itself (an `import * as` namespace is a copy under the transpiler, and patching it changes nothing).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs = require("fs") as typeof import("fs");

const ROOT = path.resolve(__dirname, "..");
const USER_STACK_FILE = /^Pulumi\.[^/\\]+\.yaml$/;

/** True for `<repository>/Pulumi.<stack>.yaml` (not Pulumi.yaml, which is the project's, nor the fixtures). */
export function isUserStackFile(file: PathOrFileDescriptor): boolean {
    if (typeof file !== "string" && !(file instanceof URL) && !Buffer.isBuffer(file)) return false;
    const full = path.resolve(file instanceof URL ? file.pathname : file.toString());
    return path.dirname(full) === ROOT && USER_STACK_FILE.test(path.basename(full));
}

function refuse(file: PathOrFileDescriptor): never {
    throw new Error(`a test read the user's stack file ${String(file)}: tests plan the fixture copies (test/harness.ts stackFixture), so that editing Pulumi.<stack>.yaml as the README says cannot break npm test`);
}

const original = { readFileSync: fs.readFileSync, readFile: fs.promises.readFile, openSync: fs.openSync, existsSync: fs.existsSync };
(fs as { existsSync: unknown }).existsSync = function existsSync(file: PathLike) {
    if (isUserStackFile(file)) refuse(file);
    return original.existsSync(file);
};
(fs as { readFileSync: unknown }).readFileSync = function readFileSync(file: PathOrFileDescriptor, ...rest: unknown[]) {
    if (isUserStackFile(file)) refuse(file);
    return (original.readFileSync as (...a: unknown[]) => unknown)(file, ...rest);
};
(fs.promises as { readFile: unknown }).readFile = function readFile(file: PathOrFileDescriptor, ...rest: unknown[]) {
    if (isUserStackFile(file)) return Promise.reject(new Error(`a test read the user's stack file ${String(file)}`));
    return (original.readFile as (...a: unknown[]) => Promise<unknown>)(file, ...rest);
};
(fs as { openSync: unknown }).openSync = function openSync(file: PathLike, ...rest: unknown[]) {
    if (isUserStackFile(file)) refuse(file);
    return (original.openSync as (...a: unknown[]) => number)(file, ...rest);
};
