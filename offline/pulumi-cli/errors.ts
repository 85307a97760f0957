/**
 * Shared pieces of the Pulumi CLI's loading code as this project reproduces it (pulumi/pulumi v3.259.0): the error
 * the CLI stops with, its multi-error format, its "did you mean" distance, and Go's spelling of a few values.
 *
 * Pure module: no Pulumi import.
 */
import { editDistance } from "../../stacks/config/spec";

/** Levenshtein distance with substitutions, as `findClosestKey` measures it (project.go:659-692). */
export const levenshtein = editDistance;

/** The version of the Pulumi CLI whose source every rule in this folder was read from and cites. */
export const CLI_SOURCE_VERSION = "3.259.0";

/**
 * A fault the Pulumi CLI itself refuses before the program starts. `message` is the CLI's own text (what it prints
 * after `error: `); `hint` is this project's addition, printed on the lines after it.
 */
export class CliError extends Error {
    constructor(
        message: string,
        public readonly hint?: string,
    ) {
        super(message);
        this.name = "CliError";
    }

    /** The text the offline tools print: the CLI's line, then the hint. */
    render(): string {
        return `error: ${this.message}${this.hint ? `\n  ${this.hint.split("\n").join("\n  ")}` : ""}`;
    }
}

/**
 * hashicorp/go-multierror's default format (`ListFormatFunc`), which `ValidateProject` returns
 * (sdk/go/common/workspace/project.go:612-656).
 */
export function multiError(messages: string[]): string {
    if (messages.length === 1) return `1 error occurred:\n\t* ${messages[0]}\n\n`;
    return `${messages.length} errors occurred:\n${messages.map((m) => `\t* ${m}`).join("\n")}\n\n`;
}

/**
 * `findClosestKey` (project.go:659-692): the key nearest to `needle`, case-insensitively, within `maxDistance`;
 * ties go to the first in sorted order.
 */
export function findClosestKey(needle: string, haystack: readonly string[], maxDistance = 2): string {
    let match = "";
    let closest = maxDistance + 1;
    for (const key of [...haystack].sort()) {
        const d = levenshtein(needle.toLowerCase(), key.toLowerCase());
        if (d === 0) return key;
        if (d < closest) {
            closest = d;
            match = key;
        }
    }
    return match;
}

/** Go's `%T` of a value decoded from YAML or JSON into `any`, for the CLI's "was '%T'" messages. */
export function goTypeName(value: unknown): string {
    if (value === null || value === undefined) return "<nil>";
    if (typeof value === "string") return "string";
    if (typeof value === "boolean") return "bool";
    if (typeof value === "bigint") return "int";
    if (typeof value === "number") return Number.isInteger(value) ? "int" : "float64";
    if (Array.isArray(value)) return "[]interface {}";
    return "map[string]interface {}";
}

/**
 * Go's `encoding/json` text of a decoded value: object keys sorted, no spaces, integers exact (YAML integers are read
 * as bigint so that 18446744073709551615 survives, as it does in the CLI).
 */
export function goJson(value: unknown): string {
    if (value === null || value === undefined) return "null";
    if (typeof value === "bigint") return value.toString();
    if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
    if (typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
    if (Array.isArray(value)) return `[${value.map(goJson).join(",")}]`;
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${goJson(obj[k])}`)
        .join(",")}}`;
}

/** `fmt.Sprintf("%v", v)` of a YAML scalar (string, integer or boolean). */
export function goScalar(value: unknown): string {
    if (typeof value === "bigint") return value.toString();
    return String(value);
}
