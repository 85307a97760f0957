/**
 * SageMaker Studio workspaces (issue 19; docs/design/workspaces-and-serving.md §1.2, §2.1, §2.4): the domain is reachable
 * only through the VPC with IAM authentication, encrypts its volumes with a customer-managed key, gives no Docker access
 * (Studio has no root-access setting: design finding 1), runs the platform's lifecycle configuration on every JupyterLab
 * start, and every user profile belongs to exactly one engineer (the principal-tag pattern of design §1.3).
 *
 * Values unknown during a preview (ARNs and ids of resources still to be created) are never guessed at: a check that
 * needs one stays silent, and runs again during `pulumi up`, when the value is known.
 */
import { Rule, StackRule } from "../../lib/rule";
import { T } from "../../lib/types";
import { getPath, isUnknown, ofType, parseJsonish, referenced, ResourceView } from "../../lib/view";
import { isCustomerKey } from "./data";

const JUPYTER = "jupyterLabAppSettings";
const BUILT_IN = `${JUPYTER}.builtInLifecycleConfigArn`;
/** The settings of the Studio web portal a domain hides and a profile must hide as well. */
const HIDDEN = ["hiddenAppTypes", "hiddenMlTools", "hiddenInstanceTypes"] as const;
/** The principal-tag key of AWS's pattern (and the platform's default), preferred when two keys qualify equally. */
export const DEFAULT_OWNER_TAG = "studiouserid";

/** A known, non-empty value (not unknown during a preview). */
const known = (v: unknown): boolean => v !== undefined && v !== null && v !== "" && !isUnknown(v);
const label = (r: ResourceView) => `${r.type === T.sagemakerDomain ? "domain" : "user profile"} ${r.name}`;

/** The domain a user profile belongs to (its domainId), when exactly one planned domain is that one. */
export function domainOf(profile: ResourceView, domains: ResourceView[]): ResourceView | undefined {
    const found = referenced(profile, "domainId", domains);
    return found.length === 1 ? found[0] : undefined;
}

/**
 * The planned StudioLifecycleConfig an ARN names: by the identities the source knows (its id or ARN), or by the name its
 * ARN ends with (`...:studio-lifecycle-config/<name>`; CrossGuard passes no outputs, and SageMaker may lower-case names).
 */
export function lifecycleConfigNamed(arn: string, lccs: ResourceView[]): ResourceView | undefined {
    const tail = arn.toLowerCase().split(":studio-lifecycle-config/")[1];
    return lccs.find((l) => [l.id, l.outputs?.id, l.outputs?.arn].includes(arn) || (tail !== undefined && String(l.props.studioLifecycleConfigName ?? l.outputs?.studioLifecycleConfigName ?? "").toLowerCase() === tail));
}

/** Problems of a domain's network access: VpcOnly, IAM authentication, and none of its subnets public. */
function vpcOnlyProblems(d: ResourceView, subnets: ResourceView[]): string[] {
    const out: string[] = [];
    const access = d.props.appNetworkAccessType;
    if (!isUnknown(access) && access !== "VpcOnly") out.push(`appNetworkAccessType is ${access ?? "unset (PublicInternetOnly)"}: set VpcOnly, so Studio's traffic stays in the platform's VPC`);
    const auth = d.props.authMode;
    if (!isUnknown(auth) && auth !== "IAM") out.push(`authMode is ${auth ?? "unset"}: set IAM, so opening a profile is sagemaker:CreatePresignedDomainUrl under the engineer's principal tag`);
    const publicSubnets = referenced(d, "subnetIds", subnets).filter((s) => s.props.mapPublicIpOnLaunch === true);
    if (publicSubnets.length) out.push(`subnetIds include public subnet(s) ${publicSubnets.map((s) => s.name).join(", ")} (mapPublicIpOnLaunch): use the private subnets`);
    return out;
}

const KEY_TYPES: string[] = [T.kmsKey, T.kmsReplicaKey, "aws:kms/externalKey:ExternalKey"];

/** Problems of a domain's key: set, not an AWS managed key, and a planned key it names is a symmetric encryption key. */
function customerKeyProblems(d: ResourceView, all: ResourceView[]): string[] {
    const key = d.props.kmsKeyId;
    const sources = referenced(d, "kmsKeyId", all.filter((r) => r.type.startsWith("aws:") && r !== d));
    if (!sources.length) {
        if (isUnknown(key)) return [];
        if (!known(key)) return ["kmsKeyId is not set: the home EFS and the spaces' EBS volumes are encrypted with an AWS managed key; set the platform's key"];
        return isCustomerKey(key) ? [] : [`kmsKeyId ${key} is an AWS managed key: use the platform's customer-managed key`];
    }
    const keys = sources.filter((s) => KEY_TYPES.includes(s.type));
    if (!keys.length && !sources.some((s) => s.type === "aws:kms/alias:Alias")) {
        return [`kmsKeyId comes from ${sources.map((s) => `${s.type.split(":").pop()} ${s.name}`).join(", ")}, not a KMS key of the stack`];
    }
    return keys.flatMap((k) => {
        const spec = k.props.keySpec ?? k.props.customerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
        const usage = k.props.keyUsage ?? "ENCRYPT_DECRYPT";
        if (isUnknown(spec) || isUnknown(usage)) return [];
        return spec === "SYMMETRIC_DEFAULT" && usage === "ENCRYPT_DECRYPT" ? [] : [`kmsKeyId names key ${k.name} (${spec}, ${usage}): EFS and EBS need a symmetric encryption key`];
    });
}

/** Problems of a domain's Docker access: explicitly DISABLED (Studio's nearest control to "no root"). */
function dockerProblems(d: ResourceView): string[] {
    const docker = getPath(d.props, "domainSettings.dockerSettings.enableDockerAccess");
    if (isUnknown(docker) || docker === "DISABLED") return [];
    return [`domainSettings.dockerSettings.enableDockerAccess is ${docker ?? "unset"}: set DISABLED (Studio has no root-access setting; Docker access is the root-equivalent it offers)`];
}

/** Problems of the built-in lifecycle configuration a domain (or a profile overriding it) names. */
function builtInProblems(owner: ResourceView, settings: string, lccs: ResourceView[], domainArn?: unknown): string[] {
    const at = `${settings}.${BUILT_IN}`;
    const arn = getPath(owner.props, at);
    if (owner.type === T.sagemakerUserProfile) {
        // A profile that sets none inherits the domain's; one that sets the domain's own changes nothing.
        if (arn === undefined || isUnknown(arn) || isUnknown(domainArn) || arn === domainArn) return [];
        return [`${at} ${arn} replaces the domain's built-in lifecycle configuration${known(domainArn) ? ` ${domainArn}` : ""}: leave it unset`];
    }
    if (isUnknown(arn)) return [];
    if (!known(arn)) return [`${at} is not set: the platform's lifecycle configuration would not run on every JupyterLab start (a default one runs only until the engineer changes it)`];
    const lcc = lifecycleConfigNamed(String(arn), lccs);
    if (!lcc) return [`${at} ${arn} names no StudioLifecycleConfig of this stack`];
    const type = lcc.props.studioLifecycleConfigAppType;
    return isUnknown(type) || type === "JupyterLab" ? [] : [`${at} names lifecycle configuration ${lcc.name} of app type ${type ?? "unset"}, not JupyterLab`];
}

/** A profile's own tags (a preview may leave the whole object unknown: undefined then). */
function ownTags(p: ResourceView): Record<string, unknown> | undefined {
    const tags = p.props.tags;
    if (isUnknown(tags)) return undefined;
    return (parseJsonish<Record<string, unknown>>(tags) ?? {}) as Record<string, unknown>;
}

const filled = (v: unknown) => typeof v === "string" && v.trim() !== "";

/**
 * The owner-tag key of a plan's profiles: the key carried, with a non-empty value, by the most profiles, then with the
 * most distinct values (an owner tag differs per engineer; a team tag does not), then the platform's default.
 */
export function ownerTagKey(profiles: ResourceView[]): string | undefined {
    const score = new Map<string, { count: number; values: Set<unknown> }>();
    for (const p of profiles) {
        for (const [k, v] of Object.entries(ownTags(p) ?? {})) {
            if (!filled(v) && !isUnknown(v)) continue;
            const s = score.get(k) ?? { count: 0, values: new Set() };
            s.count++;
            s.values.add(isUnknown(v) ? `${p.urn}:unknown` : v);
            score.set(k, s);
        }
    }
    const ranked = [...score].sort(([ka, a], [kb, b]) => b.count - a.count || b.values.size - a.values.size || Number(kb === DEFAULT_OWNER_TAG) - Number(ka === DEFAULT_OWNER_TAG) || ka.localeCompare(kb));
    return ranked[0]?.[0];
}

/** Problems of the owner tags: each profile carries the shared key with a non-empty value no other profile carries. */
function ownerTagProblems(profiles: ResourceView[]): Array<{ urn: string; message: string }> {
    const key = ownerTagKey(profiles);
    const seen = new Map<string, ResourceView>();
    const out: Array<{ urn: string; message: string }> = [];
    for (const p of profiles) {
        const tags = ownTags(p);
        if (!tags) continue;
        const value = key === undefined ? undefined : tags[key];
        if (isUnknown(value)) continue;
        if (!filled(value)) {
            const what = key === undefined ? "no owner tag: tag it with its engineer's principal-tag value (e.g. studiouserid)" : `no ${key} tag with a value (the owner tag the other profiles carry): no engineer's principal tag matches it`;
            out.push({ urn: p.urn, message: `${label(p)} carries ${what}` });
            continue;
        }
        const other = seen.get(String(value));
        if (other) out.push({ urn: p.urn, message: `${label(p)}: ${key}=${value} also tags ${label(other)}: one engineer would open both profiles` });
        else seen.set(String(value), p);
    }
    return out;
}

/** The services a role's trust policy admits (empty when it admits anything else as well, or cannot be read). */
function trustedServices(role: ResourceView): string[] {
    const doc = parseJsonish<{ Statement?: any[] }>(role.props.assumeRolePolicy);
    const statements = doc?.Statement ?? [];
    const services = statements.flatMap((st) => (st?.Effect === "Allow" ? [st?.Principal?.Service].flat() : []));
    const others = statements.some((st) => st?.Effect === "Allow" && Object.keys(st?.Principal ?? {}).some((k) => k !== "Service"));
    return others ? [] : services.filter((x): x is string => typeof x === "string");
}

/**
 * A profile's own execution role: the domain's, or a role of the stack that only SageMaker may assume and that no other
 * profile runs as (one role per engineer, which names that engineer's profile in its policy).
 */
function roleProblems(p: ResourceView, domain: ResourceView, roles: ResourceView[], roleOwners: Map<unknown, ResourceView[]>): string[] {
    const role = p.props.userSettings?.executionRole;
    const domainRole = getPath(domain.props, "defaultUserSettings.executionRole");
    if (!known(role) || !known(domainRole) || role === domainRole) return [];
    const planned = referenced(p, "userSettings.executionRole", roles)[0];
    if (!planned) return [`userSettings.executionRole ${role} is neither the domain's execution role nor a role of this stack`];
    const out: string[] = [];
    const services = trustedServices(planned);
    if (services.length !== 1 || services[0] !== "sagemaker.amazonaws.com") out.push(`userSettings.executionRole ${role} may be assumed by ${services.length ? services.join(", ") : "principals other than SageMaker"}: an engineer's workspace role trusts sagemaker.amazonaws.com only`);
    const sharing = (roleOwners.get(role) ?? []).filter((o) => o !== p);
    if (sharing.length) out.push(`userSettings.executionRole ${role} is also the role of ${sharing.map(label).join(", ")}: each engineer's workspace runs as a role of their own`);
    return out;
}

/** What a profile's own settings may not do: show what the domain hides. */
function overrideProblems(p: ResourceView, domain: ResourceView | undefined): string[] {
    const mine = p.props.userSettings;
    if (!domain || mine === undefined || mine === null || isUnknown(mine)) return [];
    const out: string[] = [];
    const portal = mine.studioWebPortalSettings;
    if (portal !== undefined && !isUnknown(portal)) {
        for (const field of HIDDEN) {
            const hidden = getPath(domain.props, `defaultUserSettings.studioWebPortalSettings.${field}`);
            const own = portal?.[field] ?? [];
            if (!Array.isArray(hidden) || !Array.isArray(own) || hidden.some(isUnknown) || own.some(isUnknown)) continue;
            const shown = hidden.filter((h) => !own.includes(h));
            if (shown.length) out.push(`userSettings.studioWebPortalSettings.${field} shows ${shown.join(", ")}, which the domain hides`);
        }
    }
    return out;
}

const perDomain = (check: (d: ResourceView, all: ResourceView[]) => string[]) => (all: ResourceView[]) =>
    ofType(all, T.sagemakerDomain).flatMap((d) => check(d, all).map((m) => ({ urn: d.urn, message: `${label(d)}: ${m}` })));

export const sagemakerRules: Rule[] = [
    {
        kind: "stack", name: "sagemaker-domain-vpc-only", pack: "security",
        description: "Studio domains are VpcOnly with IAM authentication, in private subnets: Studio's traffic stays in the platform's VPC, and opening a profile is an IAM decision.",
        baseline: ["issue 19 (no scanner ID)"], uses: [],
        check: perDomain((d, all) => vpcOnlyProblems(d, ofType(all, T.subnet))),
    } satisfies StackRule,
    {
        kind: "stack", name: "sagemaker-domain-customer-key", pack: "security",
        description: "Studio domains encrypt their home EFS and space EBS volumes with a customer-managed KMS key (kmsKeyId set, not an AWS managed key; a key of the stack it names is a symmetric encryption key).",
        baseline: ["issue 19 (no scanner ID)"], uses: [],
        check: perDomain(customerKeyProblems),
    } satisfies StackRule,
    { kind: "resource", name: "sagemaker-domain-no-docker", pack: "security",
      description: "Studio domains disable Docker access explicitly (Studio has no root-access setting; Docker is the root-equivalent it offers).",
      baseline: ["issue 19 (no scanner ID)"], uses: [], types: [T.sagemakerDomain],
      check: dockerProblems },
    {
        kind: "stack", name: "sagemaker-domain-builtin-lcc", pack: "security",
        description: "Studio domains name a StudioLifecycleConfig of the stack, of app type JupyterLab, as the built-in lifecycle configuration (it runs on every JupyterLab start), and no user profile replaces it.",
        baseline: ["issue 19 (no scanner ID)"], uses: [],
        check: (all) => {
            const lccs = ofType(all, T.sagemakerLcc);
            const domains = ofType(all, T.sagemakerDomain);
            const own = domains.flatMap((d) => builtInProblems(d, "defaultUserSettings", lccs).map((m) => ({ urn: d.urn, message: `${label(d)}: ${m}` })));
            const profiles = ofType(all, T.sagemakerUserProfile).flatMap((p) => {
                const d = domainOf(p, domains);
                return d ? builtInProblems(p, "userSettings", lccs, getPath(d.props, `defaultUserSettings.${BUILT_IN}`)).map((m) => ({ urn: p.urn, message: `${label(p)}: ${m}` })) : [];
            });
            return [...own, ...profiles];
        },
    } satisfies StackRule,
    {
        kind: "stack", name: "sagemaker-profile-owner-tag", pack: "security",
        description: "Every Studio user profile carries a non-empty owner tag (the engineer's principal-tag value) under one key shared by all profiles, no two profiles the same value; a profile runs as its domain's role or as a role of its own that only SageMaker may assume, and shows nothing the domain hides.",
        baseline: ["issue 19 (no scanner ID)"], uses: [],
        check: (all) => {
            const profiles = ofType(all, T.sagemakerUserProfile);
            const domains = ofType(all, T.sagemakerDomain);
            const roles = ofType(all, T.role);
            const roleOwners = new Map<unknown, ResourceView[]>();
            for (const p of profiles) {
                const role = p.props.userSettings?.executionRole;
                if (known(role)) roleOwners.set(role, [...(roleOwners.get(role) ?? []), p]);
            }
            const overrides = profiles.flatMap((p) => {
                const d = domainOf(p, domains);
                const found = d ? [...roleProblems(p, d, roles, roleOwners), ...overrideProblems(p, d)] : [];
                return found.map((m) => ({ urn: p.urn, message: `${label(p)}: ${m}` }));
            });
            return [...ownerTagProblems(profiles), ...overrides];
        },
    } satisfies StackRule,
];
