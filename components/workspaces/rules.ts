/**
 * Rules of the engineers' Studio workspaces, written once: the stack configuration reports them as problems of the
 * `workspaces` key, the Workspaces component throws on them, and the cost pack reads the same per-environment limits.
 * Every range is AWS's own (aws-facts/constraints.json, from botocore's SageMaker model); the design and its sources
 * are in docs/design/workspaces-and-serving.md.
 *
 * Pure module: no Pulumi import.
 */
import { AWS_DATA, fieldProblems, sagemakerAppInstanceTypeExists } from "../../aws-facts/data";
import { NAME_LIMITS } from "../naming";

type Env = "dev" | "staging" | "prod";

/**
 * What the cost policy allows a workspace, per environment (overridable per stack with `costPolicy`): the JupyterLab
 * instance types an engineer may pick, the longest idle timeout before JupyterLab shuts down, the largest space volume.
 * AWS's default for CPU images is ml.t3.medium (docs.aws.amazon.com/sagemaker/latest/dg/notebooks-usage-metering.html).
 */
export interface StudioCostLimits {
    allowedStudioInstanceTypes: string[];
    maxStudioIdleMinutes: number;
    maxStudioSpaceGb: number;
}

export const STUDIO_COST_LIMITS: Record<Env, StudioCostLimits> = {
    dev: { allowedStudioInstanceTypes: ["ml.t3.medium", "ml.t3.large", "ml.t3.xlarge", "ml.m5.large", "ml.m5.xlarge"], maxStudioIdleMinutes: 120, maxStudioSpaceGb: 20 },
    staging: { allowedStudioInstanceTypes: ["ml.t3.medium", "ml.t3.large"], maxStudioIdleMinutes: 120, maxStudioSpaceGb: 20 },
    prod: { allowedStudioInstanceTypes: ["ml.t3.medium"], maxStudioIdleMinutes: 60, maxStudioSpaceGb: 10 },
};

/**
 * How the domain's apps reach the SageMaker API, STS and the package index (AWS: "you won't be able to run Studio
 * unless your VPC has an interface endpoint to the SageMaker API and runtime, or a NAT gateway with internet access",
 * docs.aws.amazon.com/sagemaker/latest/dg/studio-updated-and-internet-access.html):
 * - `network`: the VPC's own egress (the standalone network's NAT, or the foundation's, which says so in `privateEgress`);
 * - `endpoints`: interface endpoints the component adds (about $7.30 a month per service and zone); PyPI is then
 *   unreachable, so `pipIndexUrl` must name an index the private subnets reach (CodeArtifact, an internal mirror).
 */
export const WORKSPACE_EGRESS = ["network", "endpoints"] as const;
export type WorkspaceEgress = (typeof WORKSPACE_EGRESS)[number];

/** One engineer: `id` is the value of their principal tag (IdP session tag); `profile` names their user profile. */
export interface WorkspaceEngineer {
    id: string;
    profile: string;
}

/** The workspaces of a stack, every field resolved. */
export interface WorkspacesSettings {
    engineers: WorkspaceEngineer[];
    defaultInstanceType: string;
    idleTimeoutMinutes: number;
    maxIdleTimeoutMinutes: number;
    spaceStorageGb: { default: number; max: number };
    /** The session tag that carries an engineer's id; each user profile carries it with that engineer's id. */
    principalTagKey: string;
    /** The Metaflow version the lifecycle configuration installs (the platform's tested version). */
    metaflowVersion: string;
    egress: WorkspaceEgress;
    pipIndexUrl?: string;
    /** Keep the home EFS volume when the domain is deleted (prod: always). */
    retainHomeEfs: boolean;
}

/** The fields of the `workspaces` key. */
export const WORKSPACE_FIELDS = ["engineers", "defaultInstanceType", "idleTimeoutMinutes", "maxIdleTimeoutMinutes", "spaceStorageGb", "principalTagKey", "metaflowVersion", "egress", "pipIndexUrl", "retainHomeEfs"] as const;
export type WorkspacesInput = Partial<Omit<WorkspacesSettings, "engineers" | "spaceStorageGb">> & { engineers: Array<{ id: string; profile?: string }>; spaceStorageGb?: { default?: number; max?: number } };

/** The Metaflow release the platform is built and tested against (../shared/vendor). */
export const PLATFORM_METAFLOW_VERSION = "2.19.38";

/** Defaults per environment; with `limits` the cost policy's: idle timeout 60 minutes (AWS's minimum), a 5 GB space. */
export function workspaceDefaults(env: Env, limits: StudioCostLimits): Omit<WorkspacesSettings, "engineers"> {
    return {
        defaultInstanceType: "ml.t3.medium",
        idleTimeoutMinutes: 60,
        maxIdleTimeoutMinutes: limits.maxStudioIdleMinutes,
        spaceStorageGb: { default: 5, max: limits.maxStudioSpaceGb },
        principalTagKey: "studiouserid",
        metaflowVersion: PLATFORM_METAFLOW_VERSION,
        egress: "network",
        retainHomeEfs: env === "prod",
    };
}

/** A problem with one field (`engineers[2].id`), and what is allowed. */
export interface WorkspaceProblem {
    field: string;
    given: unknown;
    message: string;
}

const DOMAIN = "aws:sagemaker/domain:Domain";
const IDLE = "defaultUserSettings.jupyterLabAppSettings.appLifecycleManagement.idleSettings.idleTimeoutInMinutes";
const EBS = "defaultUserSettings.spaceStorageSettings.defaultEbsStorageSettings.defaultEbsVolumeSizeInGb";
const PROFILE_NAME = AWS_DATA.fields["aws:sagemaker/userProfile:UserProfile"].userProfileName;
/** Tag keys and values AWS accepts (the Tag shapes of AWS's models, aws-facts/constraints.json). */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** The range AWS gives a numeric field of the domain, e.g. "60-525600". */
function range(field: string): { min: number; max: number } {
    const c = AWS_DATA.fields[DOMAIN][field];
    return { min: c.minimum!, max: c.maximum! };
}
export const IDLE_RANGE = range(IDLE);
export const SPACE_GB_RANGE = range(EBS);

/** The profile name derived from an engineer id: `jane.doe@example.com` -> `jane-doe`. */
export function profileNameFor(id: string): string {
    return id.split("@")[0].toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, NAME_LIMITS.sagemakerUserProfile).replace(/-+$/, "");
}

/** The domain of a stack: `<namePrefix>-workspaces`. */
export function domainName(namePrefix: string): string {
    return `${namePrefix}-workspaces`;
}

const isInt = (v: unknown): v is number => Number.isInteger(v);

function engineerProblems(engineers: unknown): WorkspaceProblem[] {
    if (!Array.isArray(engineers) || !engineers.length) return [{ field: "engineers", given: engineers, message: "expected a non-empty list of {id, profile?}: one user profile per engineer" }];
    const problems: WorkspaceProblem[] = [];
    engineers.forEach((e, i) => {
        const at = `engineers[${i}]`;
        if (e === null || typeof e !== "object" || Array.isArray(e)) {
            problems.push({ field: at, given: e, message: "expected {id, profile?}" });
            return;
        }
        const extra = Object.keys(e).filter((k) => k !== "id" && k !== "profile");
        if (extra.length) problems.push({ field: `${at}.${extra[0]}`, given: (e as any)[extra[0]], message: "unknown field; allowed: id, profile" });
        const { id, profile } = e as { id?: unknown; profile?: unknown };
        if (typeof id !== "string" || !id.length || id.length > 256 || !TAG_TEXT.test(id)) {
            problems.push({ field: `${at}.id`, given: id, message: "expected the engineer's principal-tag value (e.g. their email): 1-256 letters, digits, spaces or _.:/=+-@ (AWS tag values)" });
        } else {
            const name = typeof profile === "string" ? profile : profileNameFor(id);
            for (const p of fieldProblems(name, PROFILE_NAME)) problems.push({ field: `${at}.profile`, given: name, message: `a user profile name ${p}: 1-63 letters, digits and single hyphens, starting and ending with a letter or digit${profile === undefined ? " (derived from id; set profile)" : ""}` });
            if (!name.length) problems.push({ field: `${at}.profile`, given: name, message: "the name derived from id is empty; set profile" });
        }
    });
    return [...problems, ...duplicateEngineers(engineers)];
}

/** Ids and profile names must be unique; SageMaker compares profile names case-insensitively. */
function duplicateEngineers(engineers: unknown[]): WorkspaceProblem[] {
    const problems: WorkspaceProblem[] = [];
    const ids = new Set<string>();
    const names = new Set<string>();
    engineers.forEach((e, i) => {
        const { id, profile } = (e ?? {}) as { id?: unknown; profile?: unknown };
        if (typeof id !== "string") return;
        const name = (typeof profile === "string" ? profile : profileNameFor(id)).toLowerCase();
        if (ids.has(id)) problems.push({ field: `engineers[${i}].id`, given: id, message: "listed twice: one profile per engineer" });
        else if (names.has(name)) problems.push({ field: `engineers[${i}].profile`, given: name, message: "another engineer has this profile name (SageMaker compares them case-insensitively); set a distinct profile" });
        ids.add(id);
        names.add(name);
    });
    return problems;
}

/** Problems with the fields that need no environment: shape, names, AWS's ranges and enums. */
export function workspaceShapeProblems(value: unknown): WorkspaceProblem[] {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return [{ field: "", given: value, message: `expected an object {${WORKSPACE_FIELDS.join(", ")}}` }];
    const v = value as Record<string, unknown>;
    const problems: WorkspaceProblem[] = [];
    for (const field of Object.keys(v)) if (!(WORKSPACE_FIELDS as readonly string[]).includes(field)) problems.push({ field, given: v[field], message: `unknown field; allowed: ${WORKSPACE_FIELDS.join(", ")}` });
    problems.push(...engineerProblems(v.engineers), ...scalarProblems(v));
    return problems;
}

function scalarProblems(v: Record<string, unknown>): WorkspaceProblem[] {
    const problems: WorkspaceProblem[] = [];
    const bad = (field: string, message: string) => problems.push({ field, given: v[field], message });
    if (v.defaultInstanceType !== undefined && (typeof v.defaultInstanceType !== "string" || !sagemakerAppInstanceTypeExists(v.defaultInstanceType) || v.defaultInstanceType === "system")) {
        bad("defaultInstanceType", `not a JupyterLab instance type in SageMaker's model (${AWS_DATA.sagemakerAppInstanceTypes.source}); e.g. ml.t3.medium`);
    }
    for (const f of ["idleTimeoutMinutes", "maxIdleTimeoutMinutes"]) {
        if (v[f] !== undefined && (!isInt(v[f]) || (v[f] as number) < IDLE_RANGE.min || (v[f] as number) > IDLE_RANGE.max)) bad(f, `an integer of ${IDLE_RANGE.min}-${IDLE_RANGE.max} minutes (SageMaker's IdleSettings range)`);
    }
    problems.push(...storageShapeProblems(v.spaceStorageGb));
    if (v.principalTagKey !== undefined && (typeof v.principalTagKey !== "string" || !v.principalTagKey.length || v.principalTagKey.length > 128 || !TAG_TEXT.test(v.principalTagKey) || v.principalTagKey.startsWith("aws:"))) {
        bad("principalTagKey", "a tag key: 1-128 letters, digits, spaces or _.:/=+-@, not starting with aws:");
    }
    if (v.metaflowVersion !== undefined && (typeof v.metaflowVersion !== "string" || !/^\d+\.\d+\.\d+$/.test(v.metaflowVersion))) bad("metaflowVersion", `a Metaflow release, e.g. ${PLATFORM_METAFLOW_VERSION}`);
    if (v.egress !== undefined && !(WORKSPACE_EGRESS as readonly unknown[]).includes(v.egress)) bad("egress", `one of ${WORKSPACE_EGRESS.join(", ")}`);
    if (v.pipIndexUrl !== undefined && (typeof v.pipIndexUrl !== "string" || !/^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[^\s'"`$\\]*)?$/.test(v.pipIndexUrl))) bad("pipIndexUrl", "an https:// URL of a Python package index, without quotes, spaces, $ or backslashes");
    if (v.retainHomeEfs !== undefined && typeof v.retainHomeEfs !== "boolean") bad("retainHomeEfs", "true or false");
    return problems;
}

function storageShapeProblems(s: unknown): WorkspaceProblem[] {
    if (s === undefined) return [];
    if (s === null || typeof s !== "object" || Array.isArray(s)) return [{ field: "spaceStorageGb", given: s, message: "expected {default, max} in GB" }];
    const problems: WorkspaceProblem[] = [];
    for (const [k, v] of Object.entries(s)) {
        if (k !== "default" && k !== "max") problems.push({ field: `spaceStorageGb.${k}`, given: v, message: "unknown field; allowed: default, max" });
        else if (!isInt(v) || v < SPACE_GB_RANGE.min || v > SPACE_GB_RANGE.max) problems.push({ field: `spaceStorageGb.${k}`, given: v, message: `an integer of ${SPACE_GB_RANGE.min}-${SPACE_GB_RANGE.max} GB (SageMaker's space EBS range)` });
    }
    return problems;
}

/** The settings with the environment's defaults filled in (call after `workspaceShapeProblems` found nothing). */
export function resolveWorkspaces(input: WorkspacesInput, env: Env, limits: StudioCostLimits): WorkspacesSettings {
    const d = workspaceDefaults(env, limits);
    return {
        ...d,
        ...Object.fromEntries(Object.entries(input).filter(([k]) => k !== "engineers" && k !== "spaceStorageGb")),
        engineers: (Array.isArray(input.engineers) ? input.engineers : []).filter((e) => typeof e?.id === "string").map((e) => ({ id: e.id, profile: e.profile ?? profileNameFor(e.id) })),
        spaceStorageGb: { ...d.spaceStorageGb, ...(input.spaceStorageGb ?? {}) },
    } as WorkspacesSettings;
}

/** Problems of resolved settings against each other, the environment and its cost limits. */
export function workspaceLimitProblems(s: WorkspacesSettings, env: Env, limits: StudioCostLimits): WorkspaceProblem[] {
    const problems: WorkspaceProblem[] = [];
    const allowed = limits.allowedStudioInstanceTypes;
    if (!allowed.includes(s.defaultInstanceType)) problems.push({ field: "defaultInstanceType", given: s.defaultInstanceType, message: `${env} allows ${allowed.join(", ")} (costPolicy.allowedStudioInstanceTypes)` });
    if (s.maxIdleTimeoutMinutes > limits.maxStudioIdleMinutes) problems.push({ field: "maxIdleTimeoutMinutes", given: s.maxIdleTimeoutMinutes, message: `at most ${limits.maxStudioIdleMinutes} in ${env} (costPolicy.maxStudioIdleMinutes)` });
    if (s.idleTimeoutMinutes > s.maxIdleTimeoutMinutes) problems.push({ field: "idleTimeoutMinutes", given: s.idleTimeoutMinutes, message: `at most maxIdleTimeoutMinutes (${s.maxIdleTimeoutMinutes})` });
    if (s.spaceStorageGb.max > limits.maxStudioSpaceGb) problems.push({ field: "spaceStorageGb.max", given: s.spaceStorageGb.max, message: `at most ${limits.maxStudioSpaceGb} GB in ${env} (costPolicy.maxStudioSpaceGb)` });
    if (s.spaceStorageGb.default > s.spaceStorageGb.max) problems.push({ field: "spaceStorageGb.default", given: s.spaceStorageGb.default, message: `at most spaceStorageGb.max (${s.spaceStorageGb.max})` });
    if (s.egress === "endpoints" && !s.pipIndexUrl) problems.push({ field: "pipIndexUrl", given: undefined, message: "required with egress endpoints: without NAT the workspace cannot reach PyPI to install Metaflow; name an index the private subnets reach (CodeArtifact, an internal mirror)" });
    if (env === "prod" && !s.retainHomeEfs) problems.push({ field: "retainHomeEfs", given: false, message: "true in prod: engineers' home directories outlive the domain" });
    return problems;
}

/** Every problem of a `workspaces` value in an environment under its cost limits. */
export function workspaceProblems(value: unknown, env: Env, limits: StudioCostLimits): WorkspaceProblem[] {
    const shape = workspaceShapeProblems(value);
    return shape.length ? shape : workspaceLimitProblems(resolveWorkspaces(value as WorkspacesInput, env, limits), env, limits);
}
