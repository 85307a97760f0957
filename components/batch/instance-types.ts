/**
 * The EC2 instance families the platform's Batch queues may use, with the facts that plan-time validation needs:
 * vCPUs and GPUs per size. Batch accepts a family ("c5") or an exact type ("c5.2xlarge"); a family means "any size of
 * it", so its largest size bounds what a job on that queue can ask for.
 *
 * Sources: the EC2 instance type pages (accelerated computing and general purpose), read 2026-11.
 */

export type InstanceKind = "cpu" | "gpu";

interface Family {
    kind: InstanceKind;
    arch: "x86_64" | "arm64";
    /** size -> [vCPUs, GPUs] */
    sizes: Record<string, [number, number]>;
}

const standard = (max: "8xlarge" | "12xlarge" | "16xlarge" | "24xlarge" | "32xlarge" | "48xlarge"): Family["sizes"] => {
    const all: Array<[string, number]> = [
        ["large", 2], ["xlarge", 4], ["2xlarge", 8], ["4xlarge", 16], ["8xlarge", 32], ["12xlarge", 48],
        ["16xlarge", 64], ["24xlarge", 96], ["32xlarge", 128], ["48xlarge", 192],
    ];
    const cut = all.findIndex(([s]) => s === max);
    return Object.fromEntries(all.slice(0, cut + 1).map(([s, v]) => [s, [v, 0]]));
};

const cpu = (max: Parameters<typeof standard>[0], arch: Family["arch"] = "x86_64"): Family => ({ kind: "cpu", arch, sizes: standard(max) });

export const INSTANCE_FAMILIES: Record<string, Family> = {
    m5: cpu("24xlarge"),
    m6i: cpu("32xlarge"),
    m7i: cpu("48xlarge"),
    m6g: cpu("16xlarge", "arm64"),
    m7g: cpu("16xlarge", "arm64"),
    c5: { kind: "cpu", arch: "x86_64", sizes: { large: [2, 0], xlarge: [4, 0], "2xlarge": [8, 0], "4xlarge": [16, 0], "9xlarge": [36, 0], "12xlarge": [48, 0], "18xlarge": [72, 0], "24xlarge": [96, 0] } },
    c6i: cpu("32xlarge"),
    c7i: cpu("48xlarge"),
    c6g: cpu("16xlarge", "arm64"),
    c7g: cpu("16xlarge", "arm64"),
    r5: cpu("24xlarge"),
    r6i: cpu("32xlarge"),
    r7i: cpu("48xlarge"),
    g4dn: { kind: "gpu", arch: "x86_64", sizes: { xlarge: [4, 1], "2xlarge": [8, 1], "4xlarge": [16, 1], "8xlarge": [32, 1], "12xlarge": [48, 4], "16xlarge": [64, 1] } },
    g5: { kind: "gpu", arch: "x86_64", sizes: { xlarge: [4, 1], "2xlarge": [8, 1], "4xlarge": [16, 1], "8xlarge": [32, 1], "12xlarge": [48, 4], "16xlarge": [64, 1], "24xlarge": [96, 4], "48xlarge": [192, 8] } },
    g6: { kind: "gpu", arch: "x86_64", sizes: { xlarge: [4, 1], "2xlarge": [8, 1], "4xlarge": [16, 1], "8xlarge": [32, 1], "12xlarge": [48, 4], "16xlarge": [64, 1], "24xlarge": [96, 4], "48xlarge": [192, 8] } },
    p3: { kind: "gpu", arch: "x86_64", sizes: { "2xlarge": [8, 1], "8xlarge": [32, 4], "16xlarge": [64, 8] } },
    p4d: { kind: "gpu", arch: "x86_64", sizes: { "24xlarge": [96, 8] } },
    p5: { kind: "gpu", arch: "x86_64", sizes: { "48xlarge": [192, 8] } },
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
