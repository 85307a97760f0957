/**
 * The metadata service's rules as pure functions, shared by the stack configuration, the component and the policies:
 * Fargate task sizes, image versions, task counts, and what the optional UI and public API need.
 *
 * Pure module: no Pulumi import.
 */
import { AWS_DATA } from "../../aws-facts/data";

/** The container ports of the images. 8082 (the migration service) is listed to say it is never exposed. */
export const PORTS = { metadata: 8080, migration: 8082, uiBackend: 8083, uiStatic: 3000, postgres: 5432 } as const;

/** Listener TLS policy: TLS 1.3 and 1.2 only. */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/**
 * The oldest metadata service release the platform runs: v2.5.1. Releases before it build the SQL of `update_row` from
 * request values (fixed upstream in commit c96a178, released in v2.5.1), so anyone who reaches the API (every Batch job,
 * every engineer) could run SQL as the database's master user. (Database TLS arrived in v2.4.4.)
 */
export const MIN_SERVICE_VERSION: readonly [number, number, number] = [2, 5, 1];

/**
 * The task sizes Fargate accepts (Linux): cpu units -> the memory values (MiB) allowed with it, read from the ECS
 * model's documentation of RegisterTaskDefinition `memory` (aws-facts/constraints.json, scripts/aws-constraints.ts).
 */
export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = Object.fromEntries(Object.entries(AWS_DATA.fargate.pairs).map(([cpu, memory]) => [Number(cpu), memory]));

/** Why a cpu/memory pair is rejected by Fargate, or undefined when it is accepted. */
export function fargateSizeProblem(cpu: number, memory: number): string | undefined {
    const allowed = FARGATE_SIZES[cpu];
    if (!allowed) return `Fargate accepts cpu ${Object.keys(FARGATE_SIZES).join(", ")} (units of 1/1024 vCPU), not ${cpu}`;
    if (!allowed.includes(memory)) {
        const shown = allowed.length > 4 ? `${allowed[0]}-${allowed[allowed.length - 1]} MiB in steps of ${allowed[1] - allowed[0]}` : `${allowed.join(", ")} MiB`;
        return `Fargate accepts memory ${shown} with cpu ${cpu}, not ${memory}`;
    }
    return undefined;
}

export interface ImageReference {
    repository: string;
    tag?: string;
    digest?: string;
    /** The semantic version in the tag (`v2.5.0` or `2.5.0`), when it has one. */
    version?: [number, number, number];
}

/** Splits `registry/repo:tag@sha256:...` into its parts. */
export function parseImage(image: string): ImageReference {
    const [nameAndTag, digest] = image.split("@", 2);
    const slash = nameAndTag.lastIndexOf("/");
    const colon = nameAndTag.lastIndexOf(":");
    const hasTag = colon > slash;
    const repository = hasTag ? nameAndTag.slice(0, colon) : nameAndTag;
    const tag = hasTag ? nameAndTag.slice(colon + 1) : undefined;
    const m = tag ? /^v?(\d+)\.(\d+)\.(\d+)(?:[-+.][0-9A-Za-z.-]*)?$/.exec(tag) : null;
    return { repository, tag, digest, version: m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined };
}

function compareVersions(a: readonly number[], b: readonly number[]): number {
    for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
    return 0;
}

/** The metadata service image must be pinned to a release without the `update_row` SQL injection (v2.5.1 or later). */
export function serviceImageProblem(image: string): string | undefined {
    const ref = parseImage(image);
    const min = `v${MIN_SERVICE_VERSION.join(".")}`;
    if (!ref.tag) return `the image must carry a version tag (e.g. netflixoss/metaflow_metadata_service:${min}); an untagged image means "latest", which changes under a running stack`;
    if (!ref.version) return `tag "${ref.tag}" is not a release version (vX.Y.Z); pin a release, ${min} or later`;
    if (compareVersions(ref.version, MIN_SERVICE_VERSION) < 0) {
        return `tag "${ref.tag}" predates ${min}: earlier releases build update_row's SQL from request values (SQL injection as the database master user, fixed in ${min})`;
    }
    return undefined;
}

/** Any other image (the UI's static front end) must at least carry a version tag. */
export function pinnedImageProblem(image: string): string | undefined {
    const ref = parseImage(image);
    if (!ref.tag || ref.tag === "latest") return `the image must carry a version tag (e.g. :v1.2.4), not ${ref.tag ? '"latest"' : "none"}`;
    return undefined;
}

/** A private ECR image: its registry's account, region and repository (the execution role may pull from it). */
export function ecrRepository(image: string): { account: string; region: string; repository: string } | undefined {
    const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(image);
    return m ? { account: m[1], region: m[2], repository: m[3] } : undefined;
}

/** Task counts of the service. */
export interface TaskCounts {
    desired: number;
    min: number;
    max: number;
}

/** Problems with task counts; `requireHa` (prod) asks for at least two tasks so one AZ can fail. */
export function taskCountProblems(c: TaskCounts, requireHa: boolean): Array<{ field: keyof TaskCounts; message: string }> {
    const problems: Array<{ field: keyof TaskCounts; message: string }> = [];
    if (c.min > c.max) problems.push({ field: "min", message: `min (${c.min}) is more than max (${c.max})` });
    if (c.desired < c.min || c.desired > c.max) problems.push({ field: "desired", message: `desired (${c.desired}) must lie between min (${c.min}) and max (${c.max})` });
    if (requireHa) {
        if (c.min < 2) problems.push({ field: "min", message: `prod needs at least 2 tasks (spread across availability zones), got min ${c.min}` });
        if (c.desired < 2) problems.push({ field: "desired", message: `prod needs at least 2 tasks (spread across availability zones), got desired ${c.desired}` });
    }
    return problems;
}

/** OpenID Connect settings for ALB authentication in front of the UI. */
export interface OidcSettings {
    issuer: string;
    authorizationEndpoint: string;
    tokenEndpoint: string;
    userInfoEndpoint: string;
    clientId: string;
}

/** What the optional features need, in terms the configuration and the component share. */
export interface FeatureSettings {
    environment: "dev" | "staging" | "prod";
    certificateArn?: string;
    domainName?: string;
    publicApi: boolean;
    ui: boolean;
    /** Which OIDC fields are given (all or none is valid). */
    oidcFields: Array<keyof OidcSettings | "clientSecret">;
}

export const OIDC_FIELDS: Array<keyof OidcSettings | "clientSecret"> = ["issuer", "authorizationEndpoint", "tokenEndpoint", "userInfoEndpoint", "clientId", "clientSecret"];

export type FeatureField = "certificateArn" | "domainName" | "publicApi" | "ui" | "oidc";

/** Problems with the optional features: a UI, public API or OIDC asked for without what it needs. */
export function featureProblems(s: FeatureSettings): Array<{ field: FeatureField; message: string }> {
    const problems: Array<{ field: FeatureField; message: string }> = [];
    const shared = s.environment !== "dev";
    if (s.certificateArn && !s.domainName) {
        problems.push({ field: "domainName", message: "an HTTPS listener needs the DNS name its certificate covers (and that your DNS points at the load balancer); clients verify it" });
    }
    if (s.domainName && !s.certificateArn) {
        problems.push({ field: "certificateArn", message: "a domain name without a certificate is unused: the listener is plain HTTP on the load balancer's own name" });
    }
    const oidcCount = s.oidcFields.length;
    if (oidcCount > 0 && oidcCount < OIDC_FIELDS.length) {
        const missing = OIDC_FIELDS.filter((f) => !s.oidcFields.includes(f));
        problems.push({ field: "oidc", message: `OIDC authentication needs every setting; missing: ${missing.join(", ")}` });
    }
    if (oidcCount > 0 && !s.ui) problems.push({ field: "oidc", message: "OIDC settings only protect the UI, which is off" });
    if (oidcCount > 0 && !s.certificateArn) problems.push({ field: "oidc", message: "ALB OIDC authentication works only on an HTTPS listener: configure a certificate" });
    if (s.ui && shared && oidcCount === 0) {
        problems.push({ field: "ui", message: `the UI in ${s.environment} needs OIDC authentication (issuer, endpoints, client id and secret) and a certificate: it shows every run's data` });
    }
    if (s.publicApi && shared && !s.certificateArn) {
        problems.push({ field: "publicApi", message: `the public API in ${s.environment} needs a certificate: requests carry the API key from API Gateway to the load balancer` });
    }
    return problems;
}

/** The listener port of the service: 443 with a certificate, else 80 (inside the VPC only). */
export function servicePort(certificateArn?: string): number {
    return certificateArn ? 443 : 80;
}

/**
 * RDS storage autoscaling: the maximum storage threshold must be at least 10% above the allocated storage, or RDS
 * rejects the instance ("Invalid max storage size"). Source: Amazon RDS User Guide, "Managing capacity automatically
 * with Amazon RDS storage autoscaling" (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.Autoscaling.html).
 * Shared by the stack configuration (serviceDbMaxStorageGb) and the AWS constraints pack.
 */
export function minStorageCeiling(allocatedGb: number): number {
    return Math.ceil((allocatedGb * 11) / 10);
}

export function storageCeilingProblem(allocatedGb: number, maxGb: number): string | undefined {
    const min = minStorageCeiling(allocatedGb);
    return maxGb < min ? `must be at least 10% above the allocated storage (${allocatedGb} GB): at least ${min} GB, or RDS rejects the instance` : undefined;
}
