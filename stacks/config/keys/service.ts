import { CPU_TARGET_PERCENT, PEAK_ENGINEERS, tasksFor } from "../../../components/metaflow-service/sizing";
import { OfficeHoursSettings, officeHoursProblems } from "../../../components/office-hours-rules";
import { ConfigProblem, KeySpecs, show } from "../spec";

/** Dev's and staging's office hours: the service and database run 07:00-19:00 UTC on weekdays (60 of 168 hours a week). */
export const DEV_OFFICE_HOURS: OfficeHoursSettings = { start: "07:00", end: "19:00", timezone: "UTC", days: "MON-FRI" };

function parseOfficeHours(value: unknown, key: string, problems: ConfigProblem[]): OfficeHoursSettings | false | undefined {
    if (value === false || value === "false") return false;
    const merged = value !== null && typeof value === "object" && !Array.isArray(value) ? { ...DEV_OFFICE_HOURS, ...(value as object) } : value;
    const found = officeHoursProblems(merged);
    for (const p of found) problems.push({ key: p.field ? `${key}.${p.field}` : key, given: show(p.field ? (merged as Record<string, unknown>)[p.field] : value), allowed: p.message });
    return found.length ? undefined : (merged as OfficeHoursSettings);
}

const CPU = { type: "integer", min: 256, max: 16384 } as const;
const MEMORY = { type: "integer", min: 512, max: 122880 } as const;
const URL = { regex: /^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/\S*)?$/, describe: "an https:// URL" };

/** The Metaflow metadata service, its database, private API, optional public API and UI. */
export const serviceKeys = {
    serviceImage: {
        type: "string",
        default: "netflixoss/metaflow_metadata_service:v2.5.1",
        pattern: { regex: /^[a-z0-9][a-z0-9._\/:-]*(@sha256:[0-9a-f]{64})?$/, describe: "a container image reference registry/repository:tag" },
        description: "Metadata service image, pinned to a release tag, v2.5.1 or later (earlier releases have an SQL injection in update_row). Changing it runs the new release's migrations before the new tasks serve.",
    },
    serviceCpu: { ...CPU, default: { dev: 512, staging: 512, prod: 1024 }, description: "CPU units (1024 = 1 vCPU) of each metadata service task; a Fargate size with serviceMemory." },
    serviceMemory: { ...MEMORY, default: { dev: 1024, staging: 1024, prod: 2048 }, description: "Memory (MiB) of each metadata service task; a Fargate size with serviceCpu." },
    serviceDesiredTasks: { type: "integer", min: 1, max: 50, default: { dev: 1, staging: 1, prod: 2 }, description: "Metadata service tasks at deployment (prod: at least 2, spread across availability zones)." },
    serviceMinTasks: { type: "integer", min: 1, max: 50, default: { dev: 1, staging: 1, prod: 2 }, description: "Fewest metadata service tasks CPU autoscaling may leave (prod: at least 2)." },
    serviceMaxTasks: {
        type: "integer",
        min: 1,
        max: 50,
        // Sized from the capacity bench: 2 overlapping 100-way fan-outs a task (components/metaflow-service/sizing.ts).
        default: { dev: tasksFor(PEAK_ENGINEERS.dev), staging: tasksFor(PEAK_ENGINEERS.staging), prod: tasksFor(PEAK_ENGINEERS.prod, 2) },
        description: "Most metadata service tasks CPU autoscaling may start (defaults from the capacity bench: one task carries 2 engineers' overlapping 100-way foreach runs; dev 4 engineers, staging 6, prod 20). With the stack's own database, their peak connections (twice the tasks during a rolling deployment, 11 each) must fit serviceDbInstanceClass's default max_connections (components/metaflow-service/connections.ts): db.t4g.micro takes at most 4 tasks, and the UI (six pools) needs at least db.t4g.small." },
    officeHours: {
        type: "object",
        default: { dev: DEV_OFFICE_HOURS, staging: DEV_OFFICE_HOURS, prod: false },
        shape: "false, or {start, end, timezone, days} (each optional over dev's)",
        description: "Outside these hours the metadata service scales to zero tasks, its dedicated database stops and so do the NAT and access instances (EventBridge Scheduler and scheduled scaling, no code); false keeps them running; fields given override dev's. Not in prod.",
        parse: parseOfficeHours,
    },
    serviceCpuTargetPercent: {
        type: "integer",
        min: 10,
        max: 90,
        default: CPU_TARGET_PERCENT,
        description: "Average CPU utilisation of the service that autoscaling keeps tasks at, in percent (default 40: the capacity bench saw a task saturate from 47% of its vCPU).",
    },
    serviceDbInstanceClass: {
        type: "string",
        pattern: { regex: /^db\.[a-z0-9-]+\.[a-z0-9]+$/, describe: "an RDS instance class such as db.t4g.micro" },
        default: { dev: "db.t4g.micro", staging: "db.t4g.small", prod: "db.t4g.medium" },
        description: "RDS PostgreSQL instance class of the metadata database (ignored when the foundation provides the database).",
    },
    serviceDbStorageGb: { type: "integer", min: 20, max: 65536, default: { dev: 20, staging: 20, prod: 50 }, description: "Allocated gp3 storage of the metadata database, in GB." },
    serviceDbMaxStorageGb: { type: "integer", min: 21, max: 65536, default: { dev: 50, staging: 100, prod: 500 }, description: "Ceiling of RDS storage autoscaling for the metadata database, in GB: at least 10% above serviceDbStorageGb, as RDS requires." },
    serviceDbBackupDays: { type: "integer", min: 1, max: 35, default: { dev: 1, staging: 7, prod: 30 }, description: "Days RDS keeps automated backups of the metadata database (point-in-time recovery window; prod at least 7)." },
    serviceAccessLogs: { type: "boolean", default: { dev: false, staging: false, prod: true }, description: "Write the service load balancer's access logs to a dedicated SSE-S3 log bucket, kept logRetentionDays (at least 90)." },
    serviceDbMultiAz: { type: "boolean", default: { dev: false, staging: false, prod: true }, description: "Run the metadata database Multi-AZ (a standby in a second availability zone; required in prod)." },
    serviceCertificateArn: {
        type: "string",
        pattern: { regex: /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/, describe: "an ACM certificate ARN" },
        description: "ACM certificate of the service's internal load balancer: with it the listeners are HTTPS (TLS 1.2+). Unset: the foundation's certificate if it offers one, else plain HTTP on port 80 inside the VPC.",
    },
    serviceDomainName: {
        type: "string",
        pattern: { regex: /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, describe: "a lower-case DNS name" },
        description: "DNS name covered by serviceCertificateArn that resolves to the service's load balancer (you manage the record); used in the service URLs.",
    },
    servicePublicApi: {
        type: "boolean",
        default: false,
        description: "Put a regional API Gateway with a required API key in front of the service, for engineers outside the VPC (needs a certificate outside dev).",
    },
    servicePublicApiAccountRole: {
        type: "boolean",
        default: true,
        description: "With servicePublicApi: this stack sets the account's API Gateway CloudWatch role (one setting per account and region, needed for access logs; the role serves every REST API there). Where several stacks share an account and region, exactly one sets it; the others set false and use it.",
    },
    serviceUi: { type: "boolean", default: false, description: "Run the Metaflow UI (backend and static front end) behind the service's load balancer (outside dev: needs a certificate and OIDC)." },
    uiStaticImage: {
        type: "string",
        default: "public.ecr.aws/outerbounds/metaflow_ui:v1.2.4",
        pattern: { regex: /^[a-z0-9][a-z0-9._\/:-]*(@sha256:[0-9a-f]{64})?$/, describe: "a container image reference registry/repository:tag" },
        description: "Image of the UI's static front end, pinned to a version tag.",
    },
    uiBackendCpu: { ...CPU, default: { dev: 512, staging: 1024, prod: 1024 }, description: "CPU units of the UI backend task; a Fargate size with uiBackendMemory." },
    uiBackendMemory: { ...MEMORY, default: { dev: 2048, staging: 4096, prod: 4096 }, description: "Memory (MiB) of the UI backend task (it caches artifacts and DAGs); a Fargate size with uiBackendCpu." },
    uiStaticCpu: { ...CPU, default: 256, description: "CPU units of the UI static front-end task; a Fargate size with uiStaticMemory." },
    uiStaticMemory: { ...MEMORY, default: 512, description: "Memory (MiB) of the UI static front-end task; a Fargate size with uiStaticCpu." },
    uiOidcIssuer: { type: "string", pattern: URL, description: "OIDC issuer of the identity provider that authenticates UI users at the load balancer." },
    uiOidcAuthorizationEndpoint: { type: "string", pattern: URL, description: "OIDC authorization endpoint of the identity provider." },
    uiOidcTokenEndpoint: { type: "string", pattern: URL, description: "OIDC token endpoint of the identity provider." },
    uiOidcUserInfoEndpoint: { type: "string", pattern: URL, description: "OIDC user info endpoint of the identity provider." },
    uiOidcClientId: { type: "string", pattern: { regex: /^\S{1,256}$/, describe: "the OIDC client id" }, description: "OIDC client id of the UI at the identity provider." },
    uiOidcClientSecret: {
        type: "string",
        secret: true,
        description: "OIDC client secret of the UI (set with `pulumi config set --secret`).",
    },
} satisfies KeySpecs;
