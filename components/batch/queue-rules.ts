/**
 * The rules a Batch queue definition must satisfy, written once: the stack configuration reports them as config
 * problems, the BatchQueue component throws on them, and the cost/security policies reuse the same facts.
 */
import { instanceFacts, knownInstanceTypes } from "../../aws-facts/instance-types";

export type QueueCapacity = "spot-first" | "spot-only" | "on-demand";
export const QUEUE_CAPACITIES: readonly QueueCapacity[] = ["spot-first", "spot-only", "on-demand"];

/** Where a queue's jobs run: EC2 instances Batch manages, or Fargate tasks (CPU only, no instance types). */
export type QueuePlatform = "ec2" | "fargate";
export const QUEUE_PLATFORMS: readonly QueuePlatform[] = ["ec2", "fargate"];

/** Root volume bounds, GiB: the ECS AMIs need about 30; 16 TiB is gp3's maximum. */
export const ROOT_VOLUME_GIB = { min: 30, max: 16384 } as const;
/** `jobStateTimeLimitActions.maxTimeSeconds` accepts 600 to 86400 seconds: 10 minutes to a day. */
export const RUNNABLE_TIME_LIMIT_MINUTES = { min: 10, max: 1440 } as const;

/**
 * RUNNABLE reasons that `jobStateTimeLimitActions` can act on for ECS compute environments. Misconfiguration never
 * resolves itself (the job asks for more than any environment may launch), so those jobs are cancelled after the
 * minimum time; capacity shortages may clear, so those wait for the configured time.
 */
export const MISCONFIGURATION_REASONS = ["MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE", "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT"] as const;
export const CAPACITY_REASONS = ["CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY"] as const;

/** One Metaflow job queue as the stack configuration describes it. */
export interface QueueSpec {
    /** Short name, used in resource names and in `@batch(queue=...)` lookups: lowercase letters, digits, hyphens. */
    name: string;
    /** `cpu` queues run on CPU families; `gpu` queues on GPU families with the NVIDIA ECS AMI. */
    kind: "cpu" | "gpu";
    /** EC2 families ("c5") or exact types ("g5.2xlarge") the compute environments may launch; empty on Fargate. */
    instanceTypes: string[];
    /** Upper bound of each compute environment; the queue scales to zero below it. */
    maxVcpus: number;
    /** `spot-first`: a spot environment first, on-demand second as fallback. */
    capacity: QueueCapacity;
    /** GPU queues: the most GPUs one job may request; must fit the largest instance type. */
    maxGpusPerJob?: number;
    /** `ec2` (default) or `fargate`. A queue never mixes the two: Metaflow reads the platform from the first environment. */
    platform?: QueuePlatform;
    /** EC2 queues: root volume size in GiB (images and task scratch space live there). Default: the stack-wide size. */
    rootVolumeGiB?: number;
    /** Minutes a job may wait RUNNABLE for capacity before the queue cancels it. Default: the stack-wide limit. */
    runnableTimeLimitMinutes?: number;
}

/** The compute environment types AWS Batch knows. */
export type EnvironmentType = "SPOT" | "EC2" | "FARGATE_SPOT" | "FARGATE";

/** One compute environment of a queue, in the queue's order. */
export interface EnvironmentPlan {
    /** `spot` or `ondemand`: the suffix of its resource name. */
    role: "spot" | "ondemand";
    type: EnvironmentType;
    /** EC2 environments only: Batch's allocation strategy. */
    allocationStrategy?: "SPOT_PRICE_CAPACITY_OPTIMIZED" | "BEST_FIT_PROGRESSIVE";
}

/** The platform (EC2 or Fargate) of a compute environment type. */
export function platformOf(type: string): QueuePlatform | undefined {
    if (type === "EC2" || type === "SPOT") return "ec2";
    if (type === "FARGATE" || type === "FARGATE_SPOT") return "fargate";
    return undefined;
}

/**
 * The compute environments of a queue, in order: spot first and on-demand second as the fallback (`spot-first`),
 * only spot (`spot-only`) or only on-demand (`on-demand`). Spot uses SPOT_PRICE_CAPACITY_OPTIMIZED (AWS's
 * recommendation: fewer interruptions at a low price), on-demand BEST_FIT_PROGRESSIVE.
 */
export function planEnvironments(q: Pick<QueueSpec, "capacity" | "platform">): EnvironmentPlan[] {
    const fargate = (q.platform ?? "ec2") === "fargate";
    const spot: EnvironmentPlan = fargate ? { role: "spot", type: "FARGATE_SPOT" } : { role: "spot", type: "SPOT", allocationStrategy: "SPOT_PRICE_CAPACITY_OPTIMIZED" };
    const onDemand: EnvironmentPlan = fargate ? { role: "ondemand", type: "FARGATE" } : { role: "ondemand", type: "EC2", allocationStrategy: "BEST_FIT_PROGRESSIVE" };
    switch (q.capacity) {
        case "spot-only":
            return [spot];
        case "on-demand":
            return [onDemand];
        default:
            return [spot, onDemand];
    }
}

/**
 * A queue's environments must all be EC2 (SPOT/EC2) or all Fargate (FARGATE_SPOT/FARGATE): Batch schedules a job
 * on any of them, and Metaflow builds the job definition for the platform of the first one only. Returns the problem,
 * or undefined. Shared by the configuration, the BatchQueue component and the policies (which see the types).
 */
export function mixedPlatformProblem(types: readonly string[]): string | undefined {
    const platforms = new Set(types.map((t) => platformOf(t) ?? `unknown type ${t}`));
    if (platforms.size <= 1) return undefined;
    return `mixes ${[...platforms].join(" and ")} compute environments (${types.join(", ")}); Metaflow builds job definitions for the first environment's platform only, so a queue must be all EC2 or all Fargate`;
}

export interface QueueProblem {
    /** The field of the queue at fault, e.g. `instanceTypes`. */
    field: keyof QueueSpec;
    message: string;
}

export const QUEUE_NAME = /^[a-z][a-z0-9-]{0,19}$/;

/** Largest GPU count any instance type of the queue provides. */
export function largestGpuCount(instanceTypes: readonly string[]): number {
    return Math.max(0, ...instanceTypes.map((t) => instanceFacts(t)?.maxGpus ?? 0));
}

export function validateQueueSpec(q: QueueSpec): QueueProblem[] {
    const problems: QueueProblem[] = [];
    if (!QUEUE_NAME.test(q.name)) {
        problems.push({ field: "name", message: `"${q.name}" must be 1-20 lowercase letters, digits or hyphens, starting with a letter` });
    }
    if (q.kind !== "cpu" && q.kind !== "gpu") problems.push({ field: "kind", message: `"${q.kind}" must be cpu or gpu` });
    if (!QUEUE_CAPACITIES.includes(q.capacity)) {
        problems.push({ field: "capacity", message: `"${q.capacity}" must be one of ${QUEUE_CAPACITIES.join(", ")}` });
    }
    if (!Number.isInteger(q.maxVcpus) || q.maxVcpus < 1 || q.maxVcpus > 10000) {
        problems.push({ field: "maxVcpus", message: `${q.maxVcpus} must be an integer from 1 to 10000` });
    }
    const r = q.runnableTimeLimitMinutes;
    if (r !== undefined && (!Number.isInteger(r) || r < RUNNABLE_TIME_LIMIT_MINUTES.min || r > RUNNABLE_TIME_LIMIT_MINUTES.max)) {
        problems.push({ field: "runnableTimeLimitMinutes", message: `${r} must be an integer from ${RUNNABLE_TIME_LIMIT_MINUTES.min} to ${RUNNABLE_TIME_LIMIT_MINUTES.max} (Batch accepts 10 minutes to a day)` });
    }
    const platform = q.platform ?? "ec2";
    if (!QUEUE_PLATFORMS.includes(platform)) {
        problems.push({ field: "platform", message: `"${platform}" must be one of ${QUEUE_PLATFORMS.join(", ")}` });
        return problems;
    }
    if (platform === "fargate") {
        if (q.kind !== "cpu") problems.push({ field: "kind", message: `"${q.kind}": Fargate has no GPUs; a fargate queue must be a cpu queue` });
        if (q.instanceTypes?.length) problems.push({ field: "instanceTypes", message: "Fargate chooses its own capacity; a fargate queue lists no instance types" });
        if (q.rootVolumeGiB !== undefined) problems.push({ field: "rootVolumeGiB", message: "Fargate tasks have no root volume to size; remove it from a fargate queue" });
        if (q.maxGpusPerJob !== undefined) problems.push({ field: "maxGpusPerJob", message: "only applies to gpu queues on ec2" });
        return problems;
    }
    const v = q.rootVolumeGiB;
    if (v !== undefined && (!Number.isInteger(v) || v < ROOT_VOLUME_GIB.min || v > ROOT_VOLUME_GIB.max)) {
        problems.push({ field: "rootVolumeGiB", message: `${v} must be an integer from ${ROOT_VOLUME_GIB.min} to ${ROOT_VOLUME_GIB.max} GiB` });
    }
    const types = q.instanceTypes ?? [];
    if (!types.length) problems.push({ field: "instanceTypes", message: "must list at least one instance family or type" });
    const archs = new Set<string>();
    for (const t of types) {
        const facts = instanceFacts(t);
        if (!facts) {
            problems.push({ field: "instanceTypes", message: `"${t}" is not an instance family or type the platform knows (known families: ${[...new Set(knownInstanceTypes().map((k) => k.split(".")[0]))].join(", ")})` });
            continue;
        }
        archs.add(facts.arch);
        if (facts.kind !== q.kind) {
            problems.push({ field: "instanceTypes", message: `"${t}" is a ${facts.kind.toUpperCase()} type and does not belong in a ${q.kind} queue` });
        }
    }
    if (archs.size > 1) {
        problems.push({ field: "instanceTypes", message: "mixes x86_64 and arm64 families; one image cannot run on both, so split them into two queues" });
    }
    const sizes = types.flatMap((t) => instanceFacts(t)?.sizes ?? []);
    const smallest = Math.min(...sizes.map(([v]) => v));
    if (sizes.length && Number.isInteger(q.maxVcpus) && smallest > q.maxVcpus) {
        problems.push({ field: "maxVcpus", message: `${q.maxVcpus} is below the ${smallest} vCPUs of the smallest instance listed: nothing could ever launch` });
    }
    if (q.kind === "gpu") {
        const largest = largestGpuCount(types);
        const want = q.maxGpusPerJob ?? 1;
        if (!Number.isInteger(want) || want < 1) {
            problems.push({ field: "maxGpusPerJob", message: `${q.maxGpusPerJob} must be a positive integer` });
        } else if (sizes.length && want > largest) {
            problems.push({ field: "maxGpusPerJob", message: `${want} GPUs per job can never start: the largest instance type listed has ${largest}` });
        } else if (sizes.length) {
            const fitting = Math.min(...sizes.filter(([, g]) => g >= want).map(([v]) => v));
            if (fitting > q.maxVcpus) {
                problems.push({ field: "maxVcpus", message: `${q.maxVcpus} is too small for a ${want}-GPU job: the smallest listed instance with ${want} GPUs has ${fitting} vCPUs` });
            }
        }
    } else if (q.maxGpusPerJob !== undefined) {
        problems.push({ field: "maxGpusPerJob", message: "only applies to gpu queues" });
    }
    return problems;
}
