/**
 * Reads a `Pulumi.<stack>.yaml` file into the flat `<namespace>:<key>` -> string map that Pulumi hands a program
 * (`pulumi.runtime.allConfig()`): structured values as JSON text, scalars as strings.
 */
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";

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
}

export function stackNameOf(file: string): string {
    const m = /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file));
    if (!m) throw new StackFileError(`${file}: a stack file is named Pulumi.<stack>.yaml`);
    return m[1];
}

export function readStackFile(file: string): StackFile {
    const stack = stackNameOf(file);
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new StackFileError(`${file}: cannot read: ${(err as Error).message}`);
    }
    const doc = parseDocument(text, { prettyErrors: true });
    if (doc.errors.length) {
        throw new StackFileError(`${file}: malformed YAML:\n${doc.errors.map((e) => `  - ${e.message.split("\n")[0]}`).join("\n")}`);
    }
    const data = doc.toJS() ?? {};
    if (typeof data !== "object" || Array.isArray(data)) throw new StackFileError(`${file}: expected a mapping with a "config" key`);
    const raw = (data as { config?: unknown }).config ?? {};
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new StackFileError(`${file}: "config" must be a mapping of <namespace>:<key> to values`);
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
        if (value !== null && typeof value === "object" && !Array.isArray(value) && "secure" in value) {
            secretKeys.push(key);
            config[key] = "[secure value: decrypted only by the Pulumi CLI]";
        } else {
            config[key] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    return { stack, config, secretKeys };
}
