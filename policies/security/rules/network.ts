/** Security groups, load balancers, API Gateway and VPC rules. */
import { Rule, StackRule } from "../../lib/rule";
import { LISTENERS, LOAD_BALANCERS, T } from "../../lib/types";
import { isUnknown, ofType, referenced, referrers, ResourceView } from "../../lib/view";

const OPEN = ["0.0.0.0/0", "::/0"];

function ipv4(cidr: string): { base: number; bits: number } | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    if (!m) return undefined;
    const base = m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0);
    return { base, bits: Number(m[5]) };
}

/** True when `inner` lies within `outer` (IPv4 only; IPv6 sources are never "known"). */
export function cidrWithin(inner: string, outer: string): boolean {
    const a = ipv4(inner);
    const b = ipv4(outer);
    if (!a || !b || a.bits < b.bits) return false;
    const size = 2 ** (32 - b.bits);
    return Math.floor(a.base / size) === Math.floor(b.base / size);
}

interface IngressSource {
    where: string;
    cidrs: string[];
    /** Security group, prefix list or self: a known source. */
    referenced: boolean;
    description?: string;
}

/** Every ingress permission a resource opens, however it is written (inline, standalone rule, VPC rule). */
export function ingressOf(r: ResourceView): IngressSource[] {
    const p = r.props;
    if (r.type === T.securityGroup) {
        return ((p.ingress ?? []) as any[]).map((i, n) => ({
            where: `ingress[${n}]`,
            cidrs: [...(i.cidrBlocks ?? []), ...(i.ipv6CidrBlocks ?? [])],
            referenced: Boolean((i.securityGroups ?? []).length || (i.prefixListIds ?? []).length || i.self),
            description: i.description,
        }));
    }
    if (r.type === T.sgIngressRule) {
        return [{ where: "rule", cidrs: [p.cidrIpv4, p.cidrIpv6].filter(Boolean), referenced: Boolean(p.referencedSecurityGroupId || p.prefixListId), description: p.description }];
    }
    if (r.type === T.sgRule && p.type === "ingress") {
        return [{ where: "rule", cidrs: [...(p.cidrBlocks ?? []), ...(p.ipv6CidrBlocks ?? [])], referenced: Boolean(p.sourceSecurityGroupId || (p.prefixListIds ?? []).length || p.self), description: p.description }];
    }
    return [];
}

function egressDescriptions(r: ResourceView): Array<{ where: string; description?: string }> {
    if (r.type === T.securityGroup) return ((r.props.egress ?? []) as any[]).map((e, n) => ({ where: `egress[${n}]`, description: e.description }));
    if (r.type === T.sgEgressRule || (r.type === T.sgRule && r.props.type === "egress")) return [{ where: "rule", description: r.props.description }];
    return [];
}

const SG_TYPES = [T.securityGroup, T.sgIngressRule, T.sgEgressRule, T.sgRule];
const isPublicLb = (lb: ResourceView) => lb.props.internal !== true;
const isAlb = (lb: ResourceView) => (lb.props.loadBalancerType ?? "application") === "application";
/**
 * Elastic Load Balancing security policies whose minimum protocol is TLS 1.2 or 1.3. The name of every predefined
 * policy states its minimum (Elastic Load Balancing, "Security policies for your Application Load Balancer" and "...
 * for your Network Load Balancer"): `ELBSecurityPolicy-TLS13-1-2-*` and `-TLS13-1-3-*` (including their Res, Ext,
 * FIPS and PQ variants), `ELBSecurityPolicy-TLS-1-2-*` and `ELBSecurityPolicy-FS-1-2-*`. `TLS13-1-0`/`TLS13-1-1`
 * support TLS 1.3 but still accept 1.0/1.1; `ELBSecurityPolicy-2016-08` (the API's default), `-2015-05`, `-FS-2018-06`,
 * `-TLS-1-1-*` and `-FS-1-1-*` accept TLS 1.0 or 1.1.
 */
export const TLS12_POLICY = /^ELBSecurityPolicy-(TLS13-1-[23]-|TLS-1-2-|FS-1-2-)/;

/** Problems of a listener's sslPolicy: missing (the 2016 default) or one that accepts TLS below 1.2. */
export function tlsPolicyProblems(policy: unknown): string[] {
    if (isUnknown(policy)) return [];
    if (policy === undefined || policy === null || policy === "") return ["sslPolicy is not set: the API's default (ELBSecurityPolicy-2016-08) accepts TLS 1.0 and 1.1; name a TLS 1.2+ policy"];
    return TLS12_POLICY.test(String(policy)) ? [] : [`sslPolicy ${policy} accepts TLS below 1.2: use ELBSecurityPolicy-TLS13-1-2-2021-06 or stricter`];
}

export const networkRules: Rule[] = [
    { kind: "resource", name: "sg-no-public-ingress", pack: "security", description: "No ingress from 0.0.0.0/0 or ::/0.", baseline: ["CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277"], uses: [], types: SG_TYPES,
      check: (r) => ingressOf(r).filter((i) => i.cidrs.some((c) => OPEN.includes(c))).map((i) => `${i.where} allows ingress from ${i.cidrs.filter((c) => OPEN.includes(c)).join(", ")}`) },
    { kind: "resource", name: "sg-rule-descriptions", pack: "security", description: "Every security group rule has a description.", baseline: ["CKV_AWS_23"], uses: [], types: SG_TYPES,
      check: (r) => [...ingressOf(r), ...egressDescriptions(r)].filter((x) => !x.description || !String(x.description).trim()).map((x) => `${x.where} has no description`) },
    { kind: "resource", name: "sg-ingress-known-sources", pack: "security", description: "Ingress comes only from security groups, prefix lists or allowed private CIDRs.", uses: ["allowedIngressCidrs"], types: SG_TYPES,
      check: (r, s) => ingressOf(r).flatMap((i) => {
          const unknown = i.cidrs.filter((c) => !OPEN.includes(c) && !s.allowedIngressCidrs.some((a) => cidrWithin(c, a)));
          return unknown.length ? [`${i.where} allows ingress from ${unknown.join(", ")}, outside the allowed ranges ${s.allowedIngressCidrs.join(", ")}`] : [];
      }) },
    { kind: "resource", name: "lb-internal", pack: "security", description: "Load balancers are internal unless declared public (publicLoadBalancers).", baseline: ["CKV_AWS_2"], uses: ["publicLoadBalancers"], types: LOAD_BALANCERS,
      check: (r, s) => (isPublicLb(r) && !s.publicLoadBalancers.includes(r.name) ? ["is internet-facing (internal is not true) but not declared in publicLoadBalancers"] : []) },
    {
        kind: "stack", name: "lb-public-https-tls12", pack: "security",
        description: "Listeners of internet-facing load balancers serve HTTPS/TLS (HTTP only to redirect to HTTPS); the policy itself is judged by lb-listener-tls12-policy.",
        baseline: ["CKV_AWS_2", "CKV_AWS_103"], uses: [],
        check: (all) => ofType(all, ...LISTENERS).flatMap((l) => {
            const lbs = referenced(l, "loadBalancerArn", ofType(all, ...LOAD_BALANCERS));
            const pub = lbs.some((lb) => lb.props.internal !== true);
            const proto = String(l.props.protocol ?? "HTTP").toUpperCase();
            if (proto === "HTTPS" || proto === "TLS" || !pub) return [];
            const redirects = ((l.props.defaultActions ?? []) as any[]).every((a) => a?.type === "redirect" && String(a?.redirect?.protocol ?? "").toUpperCase() === "HTTPS");
            return redirects ? [] : [{ urn: l.urn, message: `listener ${l.name}: ${proto} on an internet-facing load balancer: serve HTTPS with a TLS 1.2+ policy` }];
        }),
    } satisfies StackRule,
    { kind: "resource", name: "lb-listener-tls12-policy", pack: "security",
      description: "Every HTTPS/TLS listener names a security policy whose minimum is TLS 1.2 (no policy means the API's default, ELBSecurityPolicy-2016-08, which allows TLS 1.0).",
      baseline: ["CKV_AWS_103"], uses: [], types: LISTENERS,
      check: (r) => {
          const proto = String(r.props.protocol ?? "").toUpperCase();
          if (proto !== "HTTPS" && proto !== "TLS") return [];
          return tlsPolicyProblems(r.props.sslPolicy);
      } },
    { kind: "resource", name: "lb-desync-strictest", pack: "security",
      description: "Application load balancers use desyncMitigationMode strictest (the default, defensive, still forwards ambiguous requests).",
      baseline: ["CKV_AWS_328"], uses: [], types: LOAD_BALANCERS,
      check: (r) => {
          const mode = r.props.desyncMitigationMode;
          if (!isAlb(r) || isUnknown(mode)) return [];
          return mode === "strictest" ? [] : [`desyncMitigationMode is ${mode ?? "unset (defensive)"}: set strictest`];
      } },
    { kind: "resource", name: "lb-drop-invalid-headers", pack: "security", description: "Application load balancers drop invalid header fields.", baseline: ["CKV_AWS_131"], uses: [], types: LOAD_BALANCERS,
      check: (r) => (isAlb(r) && r.props.dropInvalidHeaderFields !== true ? ["dropInvalidHeaderFields is not true"] : []) },
    {
        kind: "stack", name: "lb-access-logs-prod", pack: "security",
        description: "Load balancers write access logs in prod (a network load balancer whose listeners are all TCP is exempt: AWS writes NLB access logs only for TLS listeners).",
        baseline: ["CKV_AWS_91"], uses: ["environment"],
        check: (all, s) => {
            if (s.environment !== "prod") return [];
            return ofType(all, ...LOAD_BALANCERS).flatMap((lb) => {
                if (lb.props.accessLogs?.enabled === true && lb.props.accessLogs?.bucket) return [];
                // "Access logs are created only if the load balancer has a TLS listener" (Elastic Load Balancing, Network
                // Load Balancers, "Access logs for your Network Load Balancer"): requiring them of a TCP pass-through
                // NLB would demand a log AWS never writes. Its requests are logged where they terminate.
                const own = LISTENERS.flatMap((t) => referrers(all, t, "loadBalancerArn", lb));
                if (lb.props.loadBalancerType === "network" && own.length && own.every((l) => l.props.protocol !== undefined && l.props.protocol !== "TLS")) return [];
                return [{ urn: lb.urn, message: `load balancer ${lb.name}: access logs are not enabled in prod` }];
            });
        },
    } satisfies StackRule,
    { kind: "resource", name: "lb-deletion-protection-prod", pack: "security", description: "Load balancers have deletion protection in prod.", baseline: ["CKV_AWS_150"], uses: ["environment"], types: LOAD_BALANCERS,
      check: (r, s) => (s.environment === "prod" && r.props.enableDeletionProtection !== true ? ["enableDeletionProtection is not true in prod"] : []) },
    { kind: "resource", name: "apigateway-stage-access-logs", pack: "security", description: "API Gateway stages write access logs.", baseline: ["CKV_AWS_76"], uses: [], types: [T.apiStage, T.apiV2Stage],
      check: (r) => (r.props.accessLogSettings?.destinationArn ? [] : ["accessLogSettings.destinationArn is not set"]) },
    { kind: "resource", name: "apigateway-method-auth", pack: "security", description: "Every API Gateway method requires an API key or an authorizer (CORS OPTIONS excepted).", baseline: ["CKV2_AWS_70", "CKV_AWS_59"], uses: [], types: [T.apiMethod],
      check: (r) => (r.props.httpMethod !== "OPTIONS" && (r.props.authorization ?? "NONE") === "NONE" && r.props.apiKeyRequired !== true ? [`${r.props.httpMethod} has authorization NONE and no API key`] : []) },
    {
        kind: "stack", name: "vpc-flow-logs", pack: "security",
        description: "Every VPC the stack creates has flow logs.",
        baseline: ["CKV2_AWS_11"], uses: [],
        check: (all) => ofType(all, T.vpc, T.awsxVpc).flatMap((vpc) => {
            const logged = referrers(all, T.flowLog, "vpcId", vpc).length > 0 || ofType(all, T.flowLog).some((f) => f.props.vpcId === undefined && f.dependencies?.includes(vpc.urn));
            return logged ? [] : [{ urn: vpc.urn, message: `VPC ${vpc.name} has no flow log` }];
        }),
    } satisfies StackRule,
];
