/**
 * Reading IAM-style policy documents (identity policies, trust policies, bucket and key policies) as rules need them.
 * Pure module: components may call `iamProblems` on the documents they build, as the policies do.
 */
import { parseJsonish } from "./view";

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
 * Write actions AWS offers no resource-level permissions for, so `"Resource": "*"` is the only possible scope.
 * Source: the AWS Service Authorization Reference for each service (read 2026-11).
 */
export const NO_RESOURCE_LEVEL_WRITES = new Set(
    [
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
        "ecr:GetAuthorizationToken",
        "ecs:DiscoverPollEndpoint",
        "logs:CreateLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:PutResourcePolicy",
        "logs:DeleteResourcePolicy",
        "cloudwatch:PutMetricData",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    ].map((a) => a.toLowerCase()),
);

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
            const writes = actions.filter((a) => !isReadAction(a) && !NO_RESOURCE_LEVEL_WRITES.has(a.toLowerCase()));
            if (writes.length) out.wildcardResource.push(`${at} allows ${writes.join(", ")} on "*": scope writes to named resources`);
        }
        const esc = actions.filter((a) => ESCALATION_ACTIONS.has(a.toLowerCase()) || (a.toLowerCase() === "iam:passrole" && (resources.some(isWildcardResource) || resources.some((r) => /:role\/\*$/.test(r)))));
        if (esc.length) out.escalation.push(`${at} allows ${esc.join(", ")}: privilege escalation or credential exposure`);
    });
    return out;
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
