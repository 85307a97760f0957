/**
 * Test harness: runs a stack or a single component under the offline mocks and gives tests the recorded resources.
 * Every run fails if any resource input holds the text Pulumi produces when an Output is used in a template string.
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { installMocks, RecordedResource, ReferenceFixtures } from "../offline/mocks";
import { ProgramRun, resolveDeep, runProgram } from "../offline/run";
import { configSet, parseProjectStack, renderProjectStack } from "../offline/pulumi-cli/stack";
import { readStackFile } from "../offline/stack-config";
import { PolicyConfigFile } from "../policies/lib/rule";
import { stackPolicyConfig } from "../scripts/policy";
import { PROJECT, PROJECT_KEYS } from "../stacks/config";
import { KeySpec } from "../stacks/config/spec";

export const ROOT = path.resolve(__dirname, "..");
export const FIXTURES: ReferenceFixtures = require("../fixtures/references.json");

/**
 * The stack files the tests plan: copies of the shipped Pulumi.<stack>.yaml as the repository ships them, so that a
 * user who edits their own stack files (as the README tells them to) never changes what the tests see. What the
 * shipped files contain is planned by the CI gate (`npm run -s gate`, scripts/gate.ts).
 */
export const STACK_FIXTURES = path.join(ROOT, "test", "fixtures", "stacks");

/** The fixture stack file of `stack`. */
export function stackFixture(stack: string): string {
    return path.join(STACK_FIXTURES, `Pulumi.${stack}.yaml`);
}

const OUTPUT_TO_STRING = "Calling [toString] on an [Output";

/** Throws when an Output leaked into a string anywhere in the recorded inputs. */
export function assertNoOutputStrings(resources: RecordedResource[]): void {
    for (const r of resources) {
        const text = JSON.stringify(r.inputs);
        const at = text.indexOf(OUTPUT_TO_STRING);
        if (at >= 0) throw new Error(`${r.type} ${r.name}: an Output was used in a template string: ...${text.slice(Math.max(0, at - 60), at + 60)}...`);
    }
}

export interface StackRun extends ProgramRun {
    ofType(type: string): RecordedResource[];
    /** The one resource of `type` whose logical name ends with `suffix` (throws when there is not exactly one). */
    one(type: string, suffix?: string): RecordedResource;
}

function wrap(run: ProgramRun): StackRun {
    assertNoOutputStrings(run.resources);
    const ofType = (type: string) => run.resources.filter((r) => r.type === type);
    return {
        ...run,
        ofType,
        one(type, suffix = "") {
            const found = ofType(type).filter((r) => r.name.endsWith(suffix));
            if (found.length !== 1) throw new Error(`expected one ${type} named *${suffix}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
            return found[0];
        },
    };
}

/** A `pulumi config set [--path] [--secret] <key> <value>` command, as written in a shell block of the docs. */
export interface ConfigSetCommand {
    key: string;
    value: string;
    path: boolean;
    secret: boolean;
}

/** The `pulumi config set` commands of a shell block, in order (single quotes and trailing comments as a shell reads them). */
export function configSetCommands(block: string): ConfigSetCommand[] {
    const out: ConfigSetCommand[] = [];
    for (const line of block.split("\n")) {
        const words = [...line.replace(/\s+#.*$/, "").matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
        if (words[0] !== "pulumi" || words[1] !== "config" || words[2] !== "set") continue;
        const flags = words.filter((w) => w.startsWith("--"));
        const [key, value] = words.slice(3).filter((w) => !w.startsWith("--"));
        out.push({ key, value, path: flags.includes("--path"), secret: flags.includes("--secret") });
    }
    return out;
}

/**
 * Writes a copy of `stackFile` to `dir` with `commands` applied as `pulumi config set` applies them
 * (offline/pulumi-cli `configSet`), and returns the copy's path.
 */
export function applyConfigSet(stackFile: string, commands: ConfigSetCommand[], dir: string): string {
    const stack = parseProjectStack(PROJECT, fs.readFileSync(stackFile, "utf8"), stackFile);
    for (const c of commands) configSet(stack.config, PROJECT, c.key, c.value, { path: c.path, secret: c.secret });
    const file = path.join(dir, path.basename(stackFile));
    fs.writeFileSync(file, renderProjectStack(stack.config));
    return file;
}

/** The policy configuration a fixture stack file derives (what policies/config/<stack>.json holds for the shipped one). */
export function fixturePolicyConfig(stack: string): PolicyConfigFile {
    return stackPolicyConfig(stack, stackFixture(stack));
}

/** Freezes a finished run and everything in it (resources, inputs, state, outputs). */
function deepFreeze<T>(value: T): T {
    if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const v of Object.values(value)) deepFreeze(v);
    }
    return value;
}

/**
 * Program runs shared by every test file of a worker, whoever starts them: runStack below, and the scripts the tests
 * call (scripts/plan's `plan` and scripts/gate's `gate` import `runProgram` from offline/run, and call it through the
 * module's exports, which is what is replaced here). A run is deterministic and depends only on its inputs (stack,
 * configuration, secret keys, reference outputs, showSecrets), so identical inputs reuse the first run instead of
 * planning the stack again. Every run is deep-frozen before anyone sees it: the test modules are strict, so code that
 * mutated a shared run would throw rather than change what another test reads. Failed runs are not kept.
 */
const programRuns = new Map<string, Promise<ProgramRun>>();
const runModule = require("../offline/run") as { runProgram: typeof runProgram };
const planProgram = runModule.runProgram;
runModule.runProgram = (opts) => {
    const key = JSON.stringify([opts.stack, opts.config, opts.secretKeys ?? null, opts.references, opts.showSecrets ?? null]);
    const shared = programRuns.get(key);
    if (shared) return shared;
    const run = planProgram(opts).then(deepFreeze);
    programRuns.set(key, run);
    run.catch(() => programRuns.delete(key));
    return run;
};

/** Runs of unmodified stacks, shared by every test file: a run is deterministic and tests only read it. */
const cache = new Map<string, Promise<StackRun>>();

/**
 * Runs the program for a stack: its fixture Pulumi.<stack>.yaml (test/fixtures/stacks), with `set` overriding or adding keys (bare keys are in the
 * project namespace; `null` removes a key), against the shipped reference fixtures unless others are given.
 * Runs with the shipped fixtures are memoised, so the suite plans each configuration once.
 */
export function runStack(
    stack: string,
    opts: { set?: Record<string, unknown>; references?: ReferenceFixtures; showSecrets?: boolean } = {},
): Promise<StackRun> {
    const key = opts.references === undefined ? JSON.stringify([stack, opts.set ?? {}, opts.showSecrets ?? true]) : undefined;
    const cached = key !== undefined ? cache.get(key) : undefined;
    if (cached) return cached;
    const run = runStackUncached(stack, opts);
    if (key !== undefined) {
        cache.set(key, run);
        run.catch(() => cache.delete(key));
    }
    return run;
}

async function runStackUncached(stack: string, opts: { set?: Record<string, unknown>; references?: ReferenceFixtures; showSecrets?: boolean }): Promise<StackRun> {
    const file = readStackFile(stackFixture(stack));
    const config = { ...file.config };
    const secretKeys = new Set(file.secretKeys);
    for (const [k, v] of Object.entries(opts.set ?? {})) {
        const key = k.includes(":") ? k : `${PROJECT}:${k}`;
        if (v === null) delete config[key];
        else config[key] = typeof v === "string" ? v : JSON.stringify(v);
        // As `pulumi config set --secret` would for the keys the program declares secret.
        const spec = (PROJECT_KEYS as Record<string, KeySpec>)[key.slice(PROJECT.length + 1)];
        if (key.startsWith(`${PROJECT}:`) && spec?.secret) secretKeys.add(key);
    }
    return wrap(await runProgram({ stack, config, secretKeys: [...secretKeys], references: opts.references ?? FIXTURES, showSecrets: opts.showSecrets ?? true }));
}

/** Runs `build` (which creates components) under fresh mocks and returns what it registered. */
export async function runComponent<T>(build: () => T, opts: { showSecrets?: boolean } = {}): Promise<StackRun & { value: T }> {
    pulumi.runtime.setAllConfig({});
    const recorder = await installMocks({ project: PROJECT, stack: "test", references: {}, showSecrets: opts.showSecrets ?? true });
    const value = build();
    await resolveDeep(value, true);
    await recorder.settled();
    return { ...wrap({ stack: "test", resources: recorder.resources, outputs: {} }), value };
}

/** Resolves an Output (or plain value) for assertions. */
export function valueOf<T>(o: pulumi.Input<T>): Promise<T> {
    return resolveDeep(o, true) as Promise<T>;
}

/** Parses an IAM/bucket/key policy input, which components pass as JSON text. */
export function policyOf(r: RecordedResource, field = "policy"): { Statement: any[] } {
    const raw = r.inputs[field];
    return typeof raw === "string" ? JSON.parse(raw) : raw;
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
    try {
        await promise;
    } catch (err) {
        return err as Error;
    }
    throw new Error("expected the promise to reject");
}

/** The error `fn` throws, which must be an instance of `cls`; fails the test when it returns. */
export function thrownBy<E extends Error>(fn: () => unknown, cls: new (...args: any[]) => E): E {
    try {
        fn();
    } catch (err) {
        if (err instanceof cls) return err;
        throw err;
    }
    throw new Error(`expected ${cls.name} to be thrown`);
}

const scratch: string[] = [];

/** A fresh temporary folder for a test's files, removed after the test file (test/hooks.ts). */
export function tempDir(prefix = "mf-test-"): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    scratch.push(dir);
    return dir;
}

/** Removes every folder `tempDir` made. */
export function removeTempDirs(): void {
    for (const dir of scratch.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}
