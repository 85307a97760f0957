/**
 * The vocabulary of the stack configuration: typed key specifications, and the generic parsing that turns the raw
 * strings Pulumi hands a program into typed values, collecting every problem instead of stopping at the first.
 *
 * Pure module: no Pulumi import, so the CLI scripts, the tests and the program share it.
 */

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** A problem with one configuration key: the key, the value given and what is allowed. */
export interface ConfigProblem {
    key: string;
    given: string;
    allowed: string;
}

export function formatProblem(p: ConfigProblem): string {
    return `${p.key}: got ${p.given}; ${p.allowed}`;
}

/** Per-environment defaults: the environment profiles are assembled from these. */
export type Profile<T> = T | { [E in Environment]: T };

interface BaseSpec<T> {
    /** What the key controls, for Pulumi.yaml and docs/configuration.md (generated from these specifications by scripts/config-doc.ts). */
    description: string;
    /** The default per environment (or one default for all); absent means the key is optional with no value. */
    default?: Profile<T>;
    /** The key must be set in the stack file. */
    required?: boolean;
    /** Kept out of logs and outputs (Pulumi `secret: true`). */
    secret?: boolean;
}

export interface StringSpec extends BaseSpec<string> {
    type: "string";
    /** The closed set of values accepted. */
    oneOf?: readonly string[];
    /** A pattern the value must match, with a human description. */
    pattern?: { regex: RegExp; describe: string };
}

export interface IntegerSpec extends BaseSpec<number> {
    type: "integer";
    min: number;
    max: number;
}

export interface BooleanSpec extends BaseSpec<boolean> {
    type: "boolean";
}

export interface StringListSpec extends BaseSpec<string[]> {
    type: "array";
    pattern?: { regex: RegExp; describe: string };
    minItems?: number;
}

/**
 * A structured key (a list of objects, a map): Pulumi's project schema cannot declare its type, so it is documented
 * here and validated by its own parser.
 */
export interface StructuredSpec<T> extends BaseSpec<T> {
    type: "object";
    /** How the value looks, for the documentation. */
    shape: string;
    parse(value: unknown, key: string, problems: ConfigProblem[]): T | undefined;
}

export type KeySpec =
    | StringSpec
    | IntegerSpec
    | BooleanSpec
    | StringListSpec
    | StructuredSpec<any>;

export type SpecValue<S> = S extends StringSpec
    ? string
    : S extends IntegerSpec
      ? number
      : S extends BooleanSpec
        ? boolean
        : S extends StringListSpec
          ? string[]
          : S extends StructuredSpec<infer T>
            ? T
            : never;

export type KeySpecs = Record<string, KeySpec>;

/** The typed values of a set of specs; keys without a default and not required may be undefined. */
export type Values<S extends KeySpecs> = {
    [K in keyof S]: S[K] extends { default: any } | { required: true } ? SpecValue<S[K]> : SpecValue<S[K]> | undefined;
};

/** Shows a given value the way a user wrote it, short enough for an error line. */
export function show(value: unknown): string {
    const text = typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function profileValue<T>(p: Profile<T> | undefined, env: Environment): T | undefined {
    if (p !== null && typeof p === "object" && !Array.isArray(p) && ENVIRONMENTS.every((e) => e in (p as object))) {
        return (p as { [E in Environment]: T })[env];
    }
    return p as T | undefined;
}

/** Pulumi hands every config value over as a string; structured values arrive as JSON text. */
function decode(raw: string): unknown {
    try {
        return JSON.parse(raw);
    } catch {
        return raw;
    }
}

/** Parses one raw value against its spec; appends problems and returns undefined when invalid. */
export function parseValue(spec: KeySpec, key: string, raw: string, problems: ConfigProblem[]): unknown {
    // A key written with nothing after the colon: the Pulumi CLI passes "" today and null in later versions ("will be
    // treated as null in a future version"); either way the key has no value, which must not become a tag "null".
    if (typeof raw !== "string") {
        problems.push({ key, given: "nothing (the key is blank in the stack file)", allowed: `a value: write it after the colon, or remove the key${spec.type === "string" && spec.pattern ? `; expected ${spec.pattern.describe}` : ""}` });
        return undefined;
    }
    const value = spec.type === "string" ? raw : decode(raw);
    const bad = (allowed: string) => {
        problems.push({ key, given: spec.secret ? "[secret]" : show(value), allowed });
        return undefined;
    };
    switch (spec.type) {
        case "string": {
            if (spec.oneOf && !spec.oneOf.includes(raw)) return bad(`allowed: ${spec.oneOf.join(", ")}`);
            if (spec.pattern && !spec.pattern.regex.test(raw)) return bad(`expected ${spec.pattern.describe}`);
            return raw;
        }
        case "integer": {
            if (typeof value !== "number" || !Number.isInteger(value)) return bad(`expected an integer from ${spec.min} to ${spec.max}`);
            if (value < spec.min || value > spec.max) return bad(`expected an integer from ${spec.min} to ${spec.max}`);
            return value;
        }
        case "boolean": {
            if (typeof value !== "boolean") return bad("expected true or false");
            return value;
        }
        case "array": {
            const itemRule = spec.pattern ? ` of ${spec.pattern.describe}` : " of strings";
            if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) return bad(`expected a list${itemRule}`);
            if (spec.minItems !== undefined && value.length < spec.minItems) {
                return bad(`expected at least ${spec.minItems} item(s)${itemRule}`);
            }
            const wrong = spec.pattern ? value.filter((v) => !spec.pattern!.regex.test(v)) : [];
            if (wrong.length) return bad(`expected a list${itemRule}; invalid: ${wrong.map((w) => show(w)).join(", ")}`);
            return value;
        }
        case "object":
            return spec.parse(value, key, problems);
    }
}

/** Levenshtein distance, for "did you mean" suggestions on mistyped keys. */
export function editDistance(a: string, b: string): number {
    const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diag = prev[0];
        prev[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const keep = prev[j];
            prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
            diag = keep;
        }
    }
    return prev[b.length];
}

/** The nearest known key, when it is close enough to be a plausible typo. */
export function nearest(key: string, known: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const k of known) {
        const d = editDistance(key.toLowerCase(), k.toLowerCase());
        if (d < bestDistance) {
            best = k;
            bestDistance = d;
        }
    }
    return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}
