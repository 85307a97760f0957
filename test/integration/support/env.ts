/**
 * What the integration suite needs from the machine, and what it does without it. The suite runs the real software
 * (metaflow-service, Metaflow, PostgreSQL, moto) with the values the plan produces; on a developer machine without a
 * tool the tests that need it say what they skipped and pass, and in CI (CI=true) a missing tool fails the test, so
 * nothing is skipped there silently.
 *
 * The pinned upstream sources are read from ../shared/vendor (SHARED_DIR overrides ../shared) and extracted into a
 * temporary folder, never into the project.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "../../..");
export const SHARED = process.env.SHARED_DIR ?? path.resolve(ROOT, "..", "shared");
export const IN_CI = process.env.CI === "true";

/** Skips the calling test (or hook) with a reason, or fails it in CI. */
export function unavailable(ctx: Mocha.Context, reason: string): never {
    if (IN_CI) throw new Error(`CI needs ${reason}; .ci/run installs it`);
    // eslint-disable-next-line no-console
    console.warn(`    (skipped: ${reason})`);
    ctx.skip();
}

/** Whether a command is on PATH (or an absolute path that exists). */
export function hasCommand(command: string): boolean {
    if (path.isAbsolute(command)) return fs.existsSync(command);
    try {
        execFileSync("sh", ["-c", `command -v ${JSON.stringify(command)}`], { stdio: "ignore" });
        return true;
    } catch {
        return false;
    }
}

/** Whether `python` can import every module named. */
export function hasPythonModules(python: string, modules: string[]): boolean {
    try {
        execFileSync(python, ["-c", modules.map((m) => `import ${m}`).join("; ")], { stdio: "ignore" });
        return true;
    } catch {
        return false;
    }
}

const exitHooks: Array<() => void> = [];

/**
 * Runs `fn` when the test process exits (servers stopped, folders removed), newest first; one `exit` listener for all,
 * however many servers the suite starts. A hook that throws does not stop the others.
 */
export function atExit(fn: () => void): void {
    if (!exitHooks.length) {
        process.once("exit", () => {
            for (const hook of exitHooks.splice(0).reverse()) {
                try {
                    hook();
                } catch {
                    /* the others still run */
                }
            }
        });
    }
    exitHooks.push(fn);
}

const extracted = new Map<string, string>();

/**
 * Extracts `../shared/vendor/<tarball>` once per process into a temporary folder and returns the folder; removed when
 * the process exits. Undefined when the tarball is missing.
 */
export function vendored(tarball: string): string | undefined {
    const file = path.join(SHARED, "vendor", tarball);
    if (!fs.existsSync(file)) return undefined;
    const cached = extracted.get(file);
    if (cached) return cached;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mf-vendor-"));
    execFileSync("tar", ["-xzf", file, "-C", dir]);
    atExit(() => fs.rmSync(dir, { recursive: true, force: true }));
    extracted.set(file, dir);
    return dir;
}
