import {
    QUEUE_CAPACITIES,
    QUEUE_PLATFORMS,
    QueueSpec,
    ROOT_VOLUME_GIB,
    RUNNABLE_TIME_LIMIT_MINUTES,
    validateQueueSpec,
} from "../../../components/batch/queue-rules";
import { ConfigProblem, Environment, KeySpecs, nearest, show } from "../spec";

const QUEUE_FIELDS = ["name", "kind", "instanceTypes", "maxVcpus", "capacity", "maxGpusPerJob", "platform", "rootVolumeGiB", "runnableTimeLimitMinutes", "enabled"] as const;

/** The queues every environment starts with; `queues` in a stack file adjusts them by name. */
export function defaultQueues(env: Environment): QueueSpec[] {
    const scale = { dev: 1, staging: 2, prod: 8 }[env];
    return [
        { name: "cpu", kind: "cpu", instanceTypes: ["c5", "m5", "r5"], maxVcpus: 64 * scale, capacity: "spot-first" },
        { name: "gpu", kind: "gpu", instanceTypes: ["g4dn", "g5"], maxVcpus: 48 * scale, capacity: "spot-first", maxGpusPerJob: 4 },
        { name: "ondemand", kind: "cpu", instanceTypes: ["c5", "m5", "r5"], maxVcpus: 32 * scale, capacity: "on-demand" },
    ];
}

/**
 * A queue entry in the stack file. Entries are merged by name into the environment's default queues: name a default
 * queue to change some of its fields (or `enabled: false` to drop it), or a new name with every field to add one.
 */
export type QueueOverride = Partial<QueueSpec> & { name: string; enabled?: boolean };

function parseQueueOverrides(value: unknown, key: string, problems: ConfigProblem[]): QueueOverride[] | undefined {
    if (!Array.isArray(value)) {
        problems.push({ key, given: show(value), allowed: "expected a list of queue objects ({name, kind, instanceTypes, maxVcpus, capacity, maxGpusPerJob, enabled})" });
        return undefined;
    }
    const before = problems.length;
    const names = new Set<string>();
    value.forEach((item, i) => {
        const at = `${key}[${i}]`;
        if (item === null || typeof item !== "object" || Array.isArray(item)) {
            problems.push({ key: at, given: show(item), allowed: "expected an object with at least a name" });
            return;
        }
        for (const field of Object.keys(item)) {
            if (!(QUEUE_FIELDS as readonly string[]).includes(field)) {
                const hint = nearest(field, QUEUE_FIELDS);
                problems.push({ key: `${at}.${field}`, given: show(item[field]), allowed: `unknown queue field${hint ? ` (did you mean ${hint}?)` : ""}; known: ${QUEUE_FIELDS.join(", ")}` });
            }
        }
        const check = (field: string, ok: (v: unknown) => boolean, allowed: string) => {
            if (field in item && !ok(item[field])) problems.push({ key: `${at}.${field}`, given: show(item[field]), allowed });
        };
        if (typeof item.name !== "string") problems.push({ key: `${at}.name`, given: show(item.name), allowed: "expected the queue's name" });
        else if (names.has(item.name)) problems.push({ key: `${at}.name`, given: show(item.name), allowed: "queue names must be unique" });
        else names.add(item.name);
        check("kind", (v) => v === "cpu" || v === "gpu", "allowed: cpu, gpu");
        check("instanceTypes", (v) => Array.isArray(v) && v.every((t) => typeof t === "string"), "expected a list of instance families or types");
        check("maxVcpus", (v) => Number.isInteger(v) && (v as number) >= 1, "expected a positive integer");
        check("maxGpusPerJob", (v) => Number.isInteger(v) && (v as number) >= 1, "expected a positive integer");
        check("capacity", (v) => QUEUE_CAPACITIES.includes(v as never), `allowed: ${QUEUE_CAPACITIES.join(", ")}`);
        check("platform", (v) => QUEUE_PLATFORMS.includes(v as never), `allowed: ${QUEUE_PLATFORMS.join(", ")}`);
        check("rootVolumeGiB", (v) => Number.isInteger(v), `expected an integer from ${ROOT_VOLUME_GIB.min} to ${ROOT_VOLUME_GIB.max}`);
        check("runnableTimeLimitMinutes", (v) => Number.isInteger(v), `expected an integer from ${RUNNABLE_TIME_LIMIT_MINUTES.min} to ${RUNNABLE_TIME_LIMIT_MINUTES.max}`);
        check("enabled", (v) => typeof v === "boolean", "expected true or false");
    });
    return problems.length === before ? (value as QueueOverride[]) : undefined;
}

/** Applies the stack's queue entries to the environment's defaults and checks each resulting queue. */
export function resolveQueues(env: Environment, overrides: QueueOverride[], key: string, problems: ConfigProblem[]): QueueSpec[] {
    const queues = new Map(defaultQueues(env).map((q) => [q.name, q]));
    overrides.forEach((o, i) => {
        const base = queues.get(o.name);
        const { enabled, ...fields } = o;
        if (enabled === false) {
            queues.delete(o.name);
            return;
        }
        if (!base) {
            const needed = fields.platform === "fargate" ? (["kind", "maxVcpus", "capacity"] as const) : (["kind", "instanceTypes", "maxVcpus", "capacity"] as const);
            const missing = needed.filter((f) => fields[f] === undefined);
            if (missing.length) {
                problems.push({ key: `${key}[${i}]`, given: show(o), allowed: `a new queue "${o.name}" needs ${missing.join(", ")} (default queues: ${[...queues.keys()].join(", ")})` });
                return;
            }
        }
        const merged = { ...base, ...fields } as QueueSpec;
        if (merged.platform === "fargate" && fields.instanceTypes === undefined) merged.instanceTypes = [];
        queues.set(o.name, merged);
    });
    const result = [...queues.values()];
    result.forEach((q) => {
        const index = overrides.findIndex((o) => o.name === q.name);
        const at = index >= 0 ? `${key}[${index}]` : `${key} (default queue ${q.name})`;
        for (const p of validateQueueSpec(q)) {
            problems.push({ key: `${at}.${p.field}`, given: show(q[p.field]), allowed: p.message });
        }
    });
    if (!result.length) problems.push({ key, given: "[]", allowed: "at least one queue must remain enabled" });
    return result;
}

/** AWS Batch compute for `@batch`. */
export const batchKeys = {
    queues: {
        type: "object",
        default: [],
        shape: "list of {name, kind: cpu|gpu, instanceTypes: [..], maxVcpus, capacity: spot-first|spot-only|on-demand, maxGpusPerJob, platform: ec2|fargate, rootVolumeGiB, runnableTimeLimitMinutes, enabled}",
        description: "Adjustments to the default job queues (cpu, gpu, ondemand), merged by name; new names add queues.",
        parse: parseQueueOverrides,
    },
    defaultQueue: {
        type: "string",
        default: "cpu",
        description: "The queue `@batch` uses when a step names none (METAFLOW_BATCH_JOB_QUEUE).",
    },
    batchRootVolumeGiB: {
        type: "integer",
        min: ROOT_VOLUME_GIB.min,
        max: ROOT_VOLUME_GIB.max,
        default: { dev: 50, staging: 100, prod: 100 },
        description: "Size in GiB of the encrypted gp3 root volume of every Batch instance (container images and task scratch space); a queue's rootVolumeGiB overrides it.",
    },
    batchRunnableTimeLimitMinutes: {
        type: "integer",
        min: RUNNABLE_TIME_LIMIT_MINUTES.min,
        max: RUNNABLE_TIME_LIMIT_MINUTES.max,
        default: { dev: 30, staging: 60, prod: 120 },
        description: "Minutes a job may wait RUNNABLE for instance capacity before its queue cancels it (misconfigured jobs are cancelled after 10); a queue's runnableTimeLimitMinutes overrides it.",
    },
    batchRootVolumePlatformKey: {
        type: "boolean",
        default: true,
        description: "Encrypt Batch root volumes with the platform KMS key (the key policy then admits the account's EC2 Auto Scaling service-linked role, which must exist); false uses the account's aws/ebs key.",
    },
} satisfies KeySpecs;
