/**
 * Physical names under AWS length limits. Pulumi's auto-naming appends a random suffix to the logical name, which
 * breaks limits such as 32 characters for load balancers; resources with tight limits get a deterministic name from
 * here instead: a readable prefix, truncated, plus a short hash of the full name so truncated names stay unique.
 */
import { createHash } from "crypto";

/** AWS name length limits the platform relies on. */
export const NAME_LIMITS = {
    loadBalancer: 32,
    targetGroup: 32,
    iamRole: 64,
    iamPolicy: 128,
    stateMachine: 80,
    eventRule: 64,
    logGroup: 512,
    dynamoTable: 255,
    batchName: 128,
    ecsCluster: 255,
    rdsIdentifier: 63,
    s3Bucket: 63,
    secret: 512,
    kmsAlias: 256,
} as const;

/**
 * `<prefix>-<suffix>`, at most `max` characters. When it does not fit, the end is cut and a 6-character hash of the
 * whole name keeps it unique and stable across runs.
 */
export function physicalName(prefix: string, suffix: string, max: number): string {
    const full = suffix ? `${prefix}-${suffix}` : prefix;
    if (full.length <= max) return full;
    const hash = createHash("sha256").update(full).digest("hex").slice(0, 6);
    return `${full.slice(0, max - 7).replace(/-+$/, "")}-${hash}`;
}

/** Longest Metaflow flow name that still fits `<prefix>_<FlowName>` in a state machine name. */
export function maxFlowNameLength(stateMachinePrefix: string): number {
    return NAME_LIMITS.stateMachine - stateMachinePrefix.length - 1;
}
