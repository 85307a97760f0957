/**
 * Rules for Step Functions scheduling and event-driven pipeline triggers, written once: the stack configuration
 * reports them as config problems, the SfnScheduler component throws on them, and the policies can reuse them.
 *
 * Pure module: no Pulumi import.
 */
import { createHash } from "crypto";

import { maxFlowNameLength, NAME_LIMITS } from "../naming";

/** Flow names we promise to fit: `<prefix>_<FlowName>` must stay within 80 characters for names this long. */
export const REASONABLE_FLOW_NAME_LENGTH = 40;

/** A state machine prefix: letters, digits, hyphens, underscores; short enough for 40-character flow names. */
export const STATE_MACHINE_PREFIX = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
export const MAX_STATE_MACHINE_PREFIX_LENGTH = NAME_LIMITS.stateMachine - 1 - REASONABLE_FLOW_NAME_LENGTH;

/**
 * Why a prefix needs a hyphen: Metaflow omits the prefix when the flow or project name starts with it
 * (step_functions_cli.py:283-288); no flow class name or @project name contains a hyphen, so a prefix with one is
 * always prepended and every state machine stays inside `<prefix>_*`, the scope of the engineer policy, the @schedule
 * role and the triggers.
 */
export const PREFIX_WITHOUT_HYPHEN = (prefix: string) =>
    `"${prefix}" has no hyphen: Metaflow omits the prefix when a flow or @project name starts with it (e.g. "${prefix}ops.prod.TrainFlow" is deployed unprefixed), outside "${prefix}_*" that engineers may deploy and EventBridge may start; include a hyphen (e.g. "${prefix}-prod"), which no flow or project name contains`;

/** A flow class name (a Python identifier): what `step-functions create` deploys without `@project`. */
export const FLOW_CLASS_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * A flow under `@project`: `<project>.<branch>.<FlowName>` as Metaflow's project decorator formats it
 * (metaflow/plugins/project_decorator.py:175-218): project and branch names are lowercase letters, digits and
 * underscores; the branch is `prod`, `prod.<branch>` (`--production --branch`), `test.<branch>` (`--branch`) or
 * `user.<owner>` (no option; METAFLOW_OWNER or the user name).
 */
export const PROJECT_FLOW_NAME = /^([a-z0-9_]+)\.(prod|prod\.[a-z0-9_]+|test\.[a-z0-9_]+|user\.[^.\s]+)\.([A-Za-z_][A-Za-z0-9_]*)$/;
/** Either form. */
export const FLOW_NAME = /^(?:[A-Za-z_][A-Za-z0-9_]*|[a-z0-9_]+\.(?:prod|prod\.[a-z0-9_]+|test\.[a-z0-9_]+|user\.[^.\s]+)\.[A-Za-z_][A-Za-z0-9_]*)$/;

/** A deployed flow name split as Metaflow sees it. */
export interface DeployedFlow {
    /** The FlowSpec class name (`current.flow_name`). */
    flowClass: string;
    project?: string;
    branch?: string;
}

export function parseDeployedFlow(flow: string): DeployedFlow | undefined {
    if (FLOW_CLASS_NAME.test(flow)) return { flowClass: flow };
    const m = PROJECT_FLOW_NAME.exec(flow);
    return m ? { project: m[1], branch: m[2], flowClass: m[3] } : undefined;
}

/** Where Metaflow writes artifacts in the datastore bucket: a trigger there would start a flow on its own output. */
export const DATASTORE_SYSROOT_PREFIX = "metaflow/";
/**
 * Where `metaflow.S3(run=self)` writes in the datastore bucket (METAFLOW_DATATOOLS_S3ROOT, `s3://<bucket>/data`):
 * `data/<FlowName>/<run id>/...` (metaflow/plugins/datatools/s3/s3.py:533-555, `current.flow_name`, the class name).
 */
export const DATATOOLS_PREFIX = "data/";

const overlap = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);

/** RFC 4648 base32 (Python's `base64.b32encode`, upper case, no padding needed for the prefixes we take). */
function base32(bytes: Buffer): string {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bits = 0;
    let value = 0;
    let out = "";
    for (const b of bytes) {
        value = (value << 8) | b;
        bits += 8;
        while (bits >= 5) {
            out += alphabet[(value >>> (bits - 5)) & 31];
            bits -= 5;
        }
        value &= (1 << bits) - 1;
    }
    if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
    return out;
}

/** Above this length Metaflow truncates `@project` state machine names and appends `-<16-character hash>`. */
export const METAFLOW_PROJECT_NAME_CUT = 60;

/**
 * The state machine name `step-functions create` deploys a flow as, reproduced from Metaflow 2.19.38
 * (metaflow/plugins/aws/step_functions/step_functions_cli.py:282-328, `resolve_state_machine_name`):
 * - the prefix and `_` are prepended unless the name already starts with the prefix (a plain string test, so prefix
 *   `ml` leaves `mlops.prod.TrainFlow` unprefixed);
 * - under `@project`, a name over 60 characters is cut to 60 and `-` plus the first 16 characters of the lower-cased
 *   base32 SHA-1 of the whole name are appended;
 * - without `@project`, a name over 80 characters is refused (not modelled here: see validateTrigger).
 */
export function stateMachineName(prefix: string, flow: string): string {
    const name = prefix && !flow.startsWith(prefix) ? `${prefix}_${flow}` : flow;
    if (parseDeployedFlow(flow)?.project === undefined || name.length <= METAFLOW_PROJECT_NAME_CUT) return name;
    const hash = base32(createHash("sha1").update(Buffer.from(name, "utf8")).digest()).slice(0, 16).toLowerCase();
    return `${name.slice(0, METAFLOW_PROJECT_NAME_CUT)}-${hash}`;
}

export function validateStateMachinePrefix(prefix: string): string[] {
    const problems: string[] = [];
    if (!STATE_MACHINE_PREFIX.test(prefix)) problems.push(`"${prefix}" must be letters, digits, hyphens or underscores, starting with a letter or digit`);
    else if (!prefix.includes("-")) problems.push(PREFIX_WITHOUT_HYPHEN(prefix));
    if (prefix.length > MAX_STATE_MACHINE_PREFIX_LENGTH) {
        problems.push(`"${prefix}" has ${prefix.length} characters; at most ${MAX_STATE_MACHINE_PREFIX_LENGTH} keep "<prefix>_<FlowName>" within AWS's ${NAME_LIMITS.stateMachine}-character limit for flow names up to ${REASONABLE_FLOW_NAME_LENGTH} characters`);
    }
    return problems;
}

/**
 * EventBridge's rule for a pattern's structure, at every depth: each field matches a list of values (or matchers such
 * as `{"prefix": "..."}`) or is a nested object of such fields; a bare value anywhere is rejected ("Event pattern is
 * not valid"), and so is an empty object or list. Source: Amazon EventBridge User Guide, "Event pattern syntax"
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html: "In an event pattern, the value to
 * match is in a JSON array"; nested objects keep "the same nesting structure"). Shared by the trigger configuration
 * and the AWS constraints pack.
 */
export function eventPatternProblems(pattern: unknown, at = ""): string[] {
    if (!isPlainObject(pattern)) return [`${at || "the pattern"}: expected an object of fields, e.g. {"source": ["my.app"]}`];
    if (!Object.keys(pattern).length) return [`${at || "the pattern"}: an empty object matches nothing EventBridge accepts`];
    const problems: string[] = [];
    for (const [k, v] of Object.entries(pattern)) {
        const path = at ? `${at}.${k}` : k;
        if (k === "$or") problems.push(...orProblems(v, path));
        else if (isPlainObject(v)) problems.push(...eventPatternProblems(v, path));
        else if (!Array.isArray(v)) problems.push(`${path}: ${JSON.stringify(v)} is a bare value; EventBridge matches lists of values at every depth, e.g. [${JSON.stringify(v)}]`);
        else if (!v.length) problems.push(`${path}: an empty list matches nothing`);
    }
    return problems;
}

/**
 * `$or`, the one operator that combines fields: a non-empty list of patterns, each checked as a pattern is
 * (EventBridge User Guide, "Comparison operators", Or matching: "$or": [ {...}, {...} ];
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html).
 */
function orProblems(v: unknown, path: string): string[] {
    if (!Array.isArray(v) || !v.length || !v.every(isPlainObject)) return [`${path}: expected a list of patterns, e.g. [{"a": ["x"]}, {"b": ["y"]}]`];
    return v.flatMap((alt, i) => eventPatternProblems(alt, `${path}[${i}]`));
}

/** Static Metaflow parameter values a trigger passes to the flow. */
export type TriggerParameters = Record<string, string | number | boolean>;

/** One event-driven trigger: a flow's state machine started by exactly one source. */
export interface TriggerSpec {
    /** Short name of the trigger (resource names); default `<flow in lowercase>-<source>`. */
    name?: string;
    /** The deployed flow name (what `step-functions create` names the state machine, without the prefix). */
    flow: string;
    /** Start the flow when an object is created under this key prefix of the datastore bucket (e.g. `data/incoming/`). */
    s3Prefix?: string;
    /** Start the flow on an EventBridge schedule: `rate(1 day)` or `cron(0 6 * * ? *)` (UTC). */
    schedule?: string;
    /** Start the flow on events matching this EventBridge pattern (default bus). */
    eventPattern?: Record<string, unknown>;
    /** Metaflow parameters passed to the run (names as declared in the flow). */
    parameters?: TriggerParameters;
    /** S3 triggers only: pass the created object's key as this Metaflow parameter. */
    keyParameter?: string;
}

export type TriggerSource = "s3" | "schedule" | "pattern";
export const TRIGGER_FIELDS = ["name", "flow", "s3Prefix", "schedule", "eventPattern", "parameters", "keyParameter"] as const;

export interface TriggerProblem {
    field: (typeof TRIGGER_FIELDS)[number];
    message: string;
}

export const TRIGGER_NAME = /^[a-z][a-z0-9-]{0,39}$/;
export const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

export function sourceOf(t: TriggerSpec): TriggerSource | undefined {
    if (t.s3Prefix !== undefined) return "s3";
    if (t.schedule !== undefined) return "schedule";
    if (t.eventPattern !== undefined) return "pattern";
    return undefined;
}

export function triggerName(t: TriggerSpec): string {
    if (t.name !== undefined) return t.name;
    const slug = t.flow.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
    const base = /^[a-z]/.test(slug) ? slug : `f-${slug}`;
    return `${base.slice(0, 31).replace(/-+$/, "")}-${sourceOf(t) ?? "none"}`;
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((.*)\)$/;
const CRON_FIELD = /^[0-9A-Za-z*?,/#-]+$/;

/** Checks an EventBridge schedule expression; returns what is wrong, or undefined. */
export function scheduleProblem(expr: string): string | undefined {
    const rate = RATE.exec(expr);
    if (rate) {
        const n = Number(rate[1]);
        if (n < 1) return "a rate must be at least 1";
        const singular = !rate[2].endsWith("s");
        if (n === 1 && !singular) return `write rate(1 ${rate[2].slice(0, -1)}): EventBridge wants the singular unit for 1`;
        if (n > 1 && singular) return `write rate(${n} ${rate[2]}s): EventBridge wants the plural unit above 1`;
        return undefined;
    }
    const cron = CRON.exec(expr);
    if (cron) {
        const fields = cron[1].trim().split(/\s+/);
        if (fields.length !== 6) return `cron() takes 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`;
        const bad = fields.find((f) => !CRON_FIELD.test(f));
        if (bad) return `cron field "${bad}" has characters EventBridge does not accept`;
        const [, , dom, , dow] = fields;
        if ((dom === "?") === (dow === "?")) return "exactly one of day-of-month (3rd field) and day-of-week (5th field) must be ?";
        return undefined;
    }
    return "expected rate(<n> <minute(s)|hour(s)|day(s)>) or cron(<6 fields>), e.g. rate(1 day) or cron(0 6 * * ? *)";
}

/**
 * Checks an S3 key prefix of the datastore bucket; with `flowClass` (the triggered flow's class name), also that the
 * flow's own `metaflow.S3(run=self)` writes cannot start it again.
 */
export function s3PrefixProblem(prefix: string, flowClass?: string): string | undefined {
    if (prefix.startsWith("s3://")) return "give a key prefix inside the datastore bucket (e.g. data/incoming/), not an s3:// URL: the trigger always watches the platform's bucket";
    if (!prefix.length) return "must not be empty: every object of the bucket, Metaflow's own artifacts included, would start the flow";
    if (prefix.startsWith("/")) return "S3 keys do not start with /";
    if (prefix.length > 1024) return "S3 keys are at most 1024 characters";
    if (/[*?]/.test(prefix)) return "is a literal prefix; wildcards are not supported";
    if (`${prefix}/`.startsWith(DATASTORE_SYSROOT_PREFIX) || DATASTORE_SYSROOT_PREFIX.startsWith(prefix)) {
        return `overlaps ${DATASTORE_SYSROOT_PREFIX}, where Metaflow writes artifacts: every run would start another`;
    }
    if (DATATOOLS_PREFIX.startsWith(prefix)) {
        return `covers ${DATATOOLS_PREFIX}, where metaflow.S3(run=self) writes every flow's data (${DATATOOLS_PREFIX}<Flow>/<run id>/): every run would start another; watch a prefix outside it, e.g. incoming/<name>/`;
    }
    if (flowClass !== undefined && overlap(prefix, `${DATATOOLS_PREFIX}${flowClass}/`)) {
        return `overlaps ${DATATOOLS_PREFIX}${flowClass}/, where ${flowClass} writes its own data with metaflow.S3(run=self): every run would start another; watch a prefix outside it, e.g. incoming/<name>/`;
    }
    return undefined;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Checks one trigger; `prefix` is the stack's state machine prefix (for the 80-character name limit). */
export function validateTrigger(t: TriggerSpec, prefix: string): TriggerProblem[] {
    const problems: TriggerProblem[] = [];
    if (t.name !== undefined && (typeof t.name !== "string" || !TRIGGER_NAME.test(t.name))) {
        problems.push({ field: "name", message: "must be 1-40 lowercase letters, digits or hyphens, starting with a letter" });
    }
    const deployed = typeof t.flow === "string" ? parseDeployedFlow(t.flow) : undefined;
    if (!deployed) {
        problems.push({
            field: "flow",
            message: "expected the deployed flow name: the FlowSpec class name, or <project>.<branch>.<FlowName> under @project (branch prod, prod.<name>, test.<name> or user.<owner>)",
        });
    } else {
        const name = stateMachineName(prefix, t.flow);
        if (!name.startsWith(`${prefix}_`)) {
            problems.push({
                field: "flow",
                message: `Metaflow deploys this flow as "${name}", without the prefix, because the name starts with "${prefix}" (step_functions_cli.py:283-288): outside "${prefix}_*", which engineers may deploy and EventBridge may start; rename the flow or project, or use a state machine prefix with a hyphen`,
            });
        } else if (deployed.project === undefined && name.length > NAME_LIMITS.stateMachine) {
            problems.push({ field: "flow", message: `"${name}" exceeds the ${NAME_LIMITS.stateMachine}-character state machine limit and step-functions create refuses it: with prefix "${prefix}" a flow name may have at most ${maxFlowNameLength(prefix)} characters` });
        }
    }
    const sources = (["s3Prefix", "schedule", "eventPattern"] as const).filter((f) => t[f] !== undefined);
    if (sources.length !== 1) {
        problems.push({ field: sources[1] ?? "s3Prefix", message: `give exactly one of s3Prefix, schedule, eventPattern (got ${sources.length ? sources.join(" and ") : "none"})` });
    }
    if (t.s3Prefix !== undefined) {
        const p = typeof t.s3Prefix === "string" ? s3PrefixProblem(t.s3Prefix, deployed?.flowClass) : "expected a key prefix string";
        if (p) problems.push({ field: "s3Prefix", message: p });
    }
    if (t.schedule !== undefined) {
        const p = typeof t.schedule === "string" ? scheduleProblem(t.schedule) : "expected a schedule expression string";
        if (p) problems.push({ field: "schedule", message: p });
    }
    if (t.eventPattern !== undefined) {
        if (!isPlainObject(t.eventPattern) || !Object.keys(t.eventPattern).length) {
            problems.push({ field: "eventPattern", message: 'expected a non-empty EventBridge pattern object, e.g. {"source": ["my.app"], "detail-type": ["Data Ready"]}' });
        } else {
            for (const p of eventPatternProblems(t.eventPattern)) problems.push({ field: "eventPattern", message: p });
        }
    }
    if (t.parameters !== undefined) {
        if (!isPlainObject(t.parameters)) problems.push({ field: "parameters", message: "expected an object of Metaflow parameter names to values" });
        else {
            for (const [k, v] of Object.entries(t.parameters)) {
                if (!PARAMETER_NAME.test(k)) problems.push({ field: "parameters", message: `"${k}" is not a Metaflow parameter name` });
                if (!["string", "number", "boolean"].includes(typeof v)) problems.push({ field: "parameters", message: `"${k}" must be a string, number or boolean (JSON parameters: give them as a JSON string)` });
                else if (typeof v === "string" && SHELL_EXPANDED.test(v)) {
                    problems.push({ field: "parameters", message: `"${k}": ${JSON.stringify(v)} has $ or a backtick, which the start step's shell would expand: Metaflow hands parameters over as export METAFLOW_INIT_<NAME>="<JSON>" lines that it sources (set_batch_environment.py:8-20)` });
                }
            }
        }
    }
    if (t.keyParameter !== undefined) {
        if (typeof t.keyParameter !== "string" || !PARAMETER_NAME.test(t.keyParameter)) problems.push({ field: "keyParameter", message: "expected a Metaflow parameter name" });
        else if (t.s3Prefix === undefined) problems.push({ field: "keyParameter", message: "only s3Prefix triggers have an object key to pass" });
        else if (isPlainObject(t.parameters) && t.keyParameter in t.parameters) problems.push({ field: "keyParameter", message: `"${t.keyParameter}" is also a static parameter; choose one` });
    }
    if (!problems.length && triggerInput(t).template.length + (t.keyParameter ? 3 * 1024 : 0) > 8192) problems.push({ field: "parameters", message: "the parameters are too large for an EventBridge input template (8 KiB)" });
    return problems;
}

/** What a POSIX shell expands inside double quotes (`!` only in interactive bash, not the sh Metaflow's step runs in). */
export const SHELL_EXPANDED = /[$`]/;

/**
 * Whether the trigger passes the created object's key, through the relay state machine (see {@link relayDefinition}).
 */
export function passesObjectKey(t: TriggerSpec): boolean {
    return t.s3Prefix !== undefined && t.keyParameter !== undefined;
}

/**
 * The relay between EventBridge and a flow that takes the object key: an Express state machine (JSONata) that starts
 * the flow with `{"Parameters": "<JSON>"}`, the key percent-encoded (`$encodeUrlComponent`, RFC 3986 unreserved
 * characters kept). Metaflow hands parameters to the start step as `export METAFLOW_INIT_<NAME>="<JSON>"` lines that
 * the step's shell sources (Metaflow 2.19.38 step_functions/set_batch_environment.py:8-20, step_functions.py:971-980),
 * so a raw `$` or backtick in a key would be expanded or run; no quoting survives that, an encoding does. The flow
 * reads the exact key with `urllib.parse.unquote(self.<keyParameter>)`.
 *
 * The static parameters are embedded as a JSONata object literal (JSON is valid JSONata); `%` is written `%` so
 * no value can close the `{% %}` expression.
 */
export function relayDefinition(t: TriggerSpec, targetArn: string): string {
    const statics = JSON.stringify(t.parameters ?? {}).replace(/%/g, "\\u0025");
    const key = `{${JSON.stringify(t.keyParameter).replace(/%/g, "\\u0025")}: $encodeUrlComponent($states.input.detail.object.key)}`;
    return JSON.stringify({
        Comment: `Starts ${targetArn.split(":").pop()} with the created object's key percent-encoded in parameter ${t.keyParameter}`,
        QueryLanguage: "JSONata",
        StartAt: "StartFlow",
        States: {
            StartFlow: {
                Type: "Task",
                Resource: "arn:aws:states:::states:startExecution",
                Arguments: { StateMachineArn: targetArn, Input: { Parameters: `{% $string($merge([${statics}, ${key}])) %}` } },
                End: true,
            },
        },
    });
}


/**
 * The input transformer of a trigger without the object key: Metaflow's state machines expect `{"Parameters": "<JSON
 * text of the parameters>"}` (what `step-functions trigger` sends), so the template nests the static parameters as a
 * JSON string. Triggers with `keyParameter` go through the relay instead (see relayDefinition): EventBridge inserts
 * a key as is, and the start step's shell would expand it.
 */
export function triggerInput(t: TriggerSpec): { template: string } {
    return { template: JSON.stringify({ Parameters: JSON.stringify(t.parameters ?? {}) }) };
}

/** The EventBridge pattern of an S3 trigger: objects created under the prefix in the datastore bucket. */
export function s3EventPattern(bucketName: string, prefix: string): Record<string, unknown> {
    return {
        source: ["aws.s3"],
        "detail-type": ["Object Created"],
        detail: { bucket: { name: [bucketName] }, object: { key: [{ prefix }] } },
    };
}

/** Parses the `triggers` list shape (each item's fields and types); flow-length checks need the prefix: see validateTrigger. */
export function triggerShapeProblems(value: unknown): Array<{ index?: number; field?: string; message: string }> {
    if (!Array.isArray(value)) return [{ message: "expected a list of trigger objects ({flow, s3Prefix | schedule | eventPattern, parameters, keyParameter, name})" }];
    const problems: Array<{ index?: number; field?: string; message: string }> = [];
    value.forEach((item, index) => {
        if (!isPlainObject(item)) {
            problems.push({ index, message: "expected an object with a flow and one of s3Prefix, schedule, eventPattern" });
            return;
        }
        for (const field of Object.keys(item)) {
            if (!(TRIGGER_FIELDS as readonly string[]).includes(field)) problems.push({ index, field, message: `unknown trigger field; known: ${TRIGGER_FIELDS.join(", ")}` });
        }
    });
    return problems;
}

/** Trigger names must be unique within a stack (they name the rules and roles). */
export function duplicateTriggerNames(triggers: TriggerSpec[]): string[] {
    const seen = new Set<string>();
    const dup = new Set<string>();
    for (const t of triggers) {
        // A trigger without a usable flow (or name) is reported by validateTrigger; it has no derived name to compare.
        if (t.name === undefined && typeof t.flow !== "string") continue;
        const n = triggerName(t);
        if (seen.has(n)) dup.add(n);
        seen.add(n);
    }
    return [...dup];
}
