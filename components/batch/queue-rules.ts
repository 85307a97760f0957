/**
 * The rules a Batch queue definition must satisfy, written once: the stack configuration reports them as config
 * problems, the BatchQueue component throws on them, and the cost/security policies reuse the same facts.
 */
import { instanceFacts, knownInstanceTypes } from "./instance-types";

export type QueueCapacity = "spot-first" | "spot-only" | "on-demand";
export const QUEUE_CAPACITIES: readonly QueueCapacity[] = ["spot-first", "spot-only", "on-demand"];

/** One Metaflow job queue as the stack configuration describes it. */
export interface QueueSpec {
    /** Short name, used in resource names and in `@batch(queue=...)` lookups: lowercase letters, digits, hyphens. */
    name: string;
    /** `cpu` queues run on CPU families; `gpu` queues on GPU families with the NVIDIA ECS AMI. */
    kind: "cpu" | "gpu";
    /** EC2 families ("c5") or exact types ("g5.2xlarge") the compute environments may launch. */
    instanceTypes: string[];
    /** Upper bound of each compute environment; the queue scales to zero below it. */
    maxVcpus: number;
    /** `spot-first`: a spot environment first, on-demand second as fallback. */
    capacity: QueueCapacity;
    /** GPU queues: the most GPUs one job may request; must fit the largest instance type. */
    maxGpusPerJob?: number;
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
    if (!q.instanceTypes.length) problems.push({ field: "instanceTypes", message: "must list at least one instance family or type" });
    const archs = new Set<string>();
    for (const t of q.instanceTypes) {
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
    const sizes = q.instanceTypes.flatMap((t) => instanceFacts(t)?.sizes ?? []);
    const smallest = Math.min(...sizes.map(([v]) => v));
    if (sizes.length && Number.isInteger(q.maxVcpus) && smallest > q.maxVcpus) {
        problems.push({ field: "maxVcpus", message: `${q.maxVcpus} is below the ${smallest} vCPUs of the smallest instance listed: nothing could ever launch` });
    }
    if (q.kind === "gpu") {
        const largest = largestGpuCount(q.instanceTypes);
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
