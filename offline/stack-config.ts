/**
 * Reads a `Pulumi.<stack>.yaml` file into the flat `<namespace>:<key>` -> string map that Pulumi hands a program
 * (`pulumi.runtime.allConfig()`), through the Pulumi CLI's own loading and validation (offline/pulumi-cli): what the
 * CLI refuses before the program starts is refused here with the CLI's message.
 */
import * as path from "path";

import { CliError, loadStackForProgram, stackNameOf as cliStackNameOf } from "./pulumi-cli";

export { SECURE_PLACEHOLDER } from "./pulumi-cli";

/** The project file the CLI reads: Pulumi.yaml at the repository root. */
export const PROJECT_FILE = path.resolve(__dirname, "..", "Pulumi.yaml");

export class StackFileError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StackFileError";
    }
}

export interface StackFile {
    /** The stack name, from the file name `Pulumi.<stack>.yaml`. */
    stack: string;
    config: Record<string, string>;
    /** Keys whose values are `secure:` ciphertext (cannot be decrypted offline). */
    secretKeys: string[];
    /** What the CLI would warn about while loading, and keys it would silently ignore. */
    warnings: string[];
}

export function stackNameOf(file: string): string {
    const stack = cliStackNameOf(file);
    if (!stack) throw new StackFileError(`${file}: a stack file is named Pulumi.<stack>.yaml`);
    return stack;
}

/** Loads a stack file as `pulumi preview` does; a fault the CLI refuses throws a `StackFileError` with its message. */
export function readStackFile(file: string, projectFile = PROJECT_FILE): StackFile {
    const stack = stackNameOf(file);
    try {
        const loaded = loadStackForProgram({ projectFile, stackFile: file, stack });
        return { stack, config: loaded.config, secretKeys: loaded.secretKeys, warnings: loaded.warnings };
    } catch (err) {
        if (err instanceof CliError) throw new StackFileError(err.render());
        throw err;
    }
}
