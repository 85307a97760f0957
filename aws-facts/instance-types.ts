/**
 * The EC2 instance families the platform's Batch queues may use, with the facts that plan-time validation needs:
 * vCPUs and GPUs per size. Batch accepts a family ("c5") or an exact type ("c5.2xlarge"); a family means "any size of
 * it", so its largest size bounds what a job on that queue can ask for.
 *
 * The sizes of each family are those the EC2 model lists (the `InstanceType` enum of botocore's EC2 model, in
 * aws-facts/constraints.json; metal sizes excluded), so no size that does not exist can be named. vCPUs follow from
 * the size name (medium 1, large 2, xlarge 4, Nxlarge 4N: true of every family here); GPU counts come from the EC2
 * accelerated computing instance pages (read 2026-11), which the model does not carry: a GPU size without a count
 * fails at load time.
 */
import { sizesOf } from "./data";

export type InstanceKind = "cpu" | "gpu";

interface Family {
    kind: InstanceKind;
    arch: "x86_64" | "arm64";
    /** size -> [vCPUs, GPUs] */
    sizes: Record<string, [number, number]>;
}

/** vCPUs of a standard size name; undefined for names that do not encode them (metal). */
export function vcpusOfSize(size: string): number | undefined {
    if (size === "medium") return 1;
    if (size === "large") return 2;
    const m = /^(\d*)xlarge$/.exec(size);
    return m ? 4 * Number(m[1] || 1) : undefined;
}

/** GPUs per size of the GPU families (EC2 accelerated computing instance specifications). */
const GPUS: Record<string, Record<string, number>> = {
    g4dn: { xlarge: 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "12xlarge": 4, "16xlarge": 1 },
    g5: { xlarge: 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "12xlarge": 4, "16xlarge": 1, "24xlarge": 4, "48xlarge": 8 },
    g6: { xlarge: 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "12xlarge": 4, "16xlarge": 1, "24xlarge": 4, "48xlarge": 8 },
    p3: { "2xlarge": 1, "8xlarge": 4, "16xlarge": 8 },
    p4d: { "24xlarge": 8 },
    p5: { "4xlarge": 1, "48xlarge": 8 },
};

function family(name: string, kind: InstanceKind, arch: Family["arch"]): Family {
    const sizes: Family["sizes"] = {};
    for (const size of sizesOf(name)) {
        const vcpus = vcpusOfSize(size);
        if (vcpus === undefined) continue; // metal sizes: not offered to Batch queues
        const gpus = kind === "gpu" ? GPUS[name]?.[size] : 0;
        if (gpus === undefined) throw new Error(`instance catalogue: ${name}.${size} exists in the EC2 model but its GPU count is not recorded`);
        sizes[size] = [vcpus, gpus];
    }
    if (!Object.keys(sizes).length) throw new Error(`instance catalogue: the EC2 model lists no sizes of ${name}`);
    return { kind, arch, sizes };
}

export const INSTANCE_FAMILIES: Record<string, Family> = {
    m5: family("m5", "cpu", "x86_64"),
    m6i: family("m6i", "cpu", "x86_64"),
    m7i: family("m7i", "cpu", "x86_64"),
    m6g: family("m6g", "cpu", "arm64"),
    m7g: family("m7g", "cpu", "arm64"),
    c5: family("c5", "cpu", "x86_64"),
    c6i: family("c6i", "cpu", "x86_64"),
    c7i: family("c7i", "cpu", "x86_64"),
    c6g: family("c6g", "cpu", "arm64"),
    c7g: family("c7g", "cpu", "arm64"),
    r5: family("r5", "cpu", "x86_64"),
    r6i: family("r6i", "cpu", "x86_64"),
    r7i: family("r7i", "cpu", "x86_64"),
    g4dn: family("g4dn", "gpu", "x86_64"),
    g5: family("g5", "gpu", "x86_64"),
    g6: family("g6", "gpu", "x86_64"),
    p3: family("p3", "gpu", "x86_64"),
    p4d: family("p4d", "gpu", "x86_64"),
    p5: family("p5", "gpu", "x86_64"),
};

export interface InstanceFacts {
    /** The family, e.g. "g5". */
    family: string;
    kind: InstanceKind;
    arch: Family["arch"];
    /** The largest vCPU and GPU counts this entry can provide (a family: its largest size). */
    maxVcpus: number;
    maxGpus: number;
    /** Every size this entry can launch, as [vCPUs, GPUs]. */
    sizes: Array<[number, number]>;
}

/** Facts for an exact type ("g5.2xlarge") or a family ("g5"); undefined when the platform does not know it. */
export function instanceFacts(type: string): InstanceFacts | undefined {
    const [familyName, size, ...rest] = type.split(".");
    const family = INSTANCE_FAMILIES[familyName];
    if (!family || rest.length) return undefined;
    const sizes = size === undefined ? Object.values(family.sizes) : family.sizes[size] ? [family.sizes[size]] : [];
    if (!sizes.length) return undefined;
    return {
        family: familyName,
        kind: family.kind,
        arch: family.arch,
        maxVcpus: Math.max(...sizes.map(([v]) => v)),
        maxGpus: Math.max(...sizes.map(([, g]) => g)),
        sizes,
    };
}

/** Every name the platform accepts as an instance type: families and exact types. */
export function knownInstanceTypes(): string[] {
    return Object.entries(INSTANCE_FAMILIES).flatMap(([f, fam]) => [f, ...Object.keys(fam.sizes).map((s) => `${f}.${s}`)]);
}
