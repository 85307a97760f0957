/**
 * Reads the neighbouring stacks through StackReferences and checks them against the contracts in `contract.ts`
 * before the platform registers anything that depends on them.
 */
import * as pulumi from "@pulumi/pulumi";

import { DASK_OUTPUTS, DaskOutputs, FOUNDATION_OUTPUTS, FoundationOutputs, OutputField, ReferenceError, validateDask, validateFoundation } from "./contract";

export * from "./contract";

export interface References {
    foundation?: FoundationOutputs;
    dask?: DaskOutputs;
}

async function readOutputs(ref: pulumi.StackReference, fields: OutputField[]): Promise<Record<string, unknown>> {
    const entries = await Promise.all(
        fields.map(async (f) => {
            const details = await ref.getOutputDetails(f.key);
            return [f.key, details.value ?? details.secretValue] as const;
        }),
    );
    return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
}

/**
 * Resolves the configured references. Every problem in either stack is reported at once, each naming the
 * referenced stack and the output key.
 */
export async function resolveReferences(
    names: { foundation?: string; dask?: string },
    region: string,
    opts?: pulumi.CustomResourceOptions,
): Promise<References> {
    const problems: string[] = [];
    const result: References = {};
    const [foundationOutputs, daskOutputs] = await Promise.all([
        names.foundation ? readOutputs(new pulumi.StackReference("foundation", { name: names.foundation }, opts), FOUNDATION_OUTPUTS) : undefined,
        names.dask ? readOutputs(new pulumi.StackReference("dask", { name: names.dask }, opts), DASK_OUTPUTS) : undefined,
    ]);
    if (names.foundation && foundationOutputs) {
        const checked = validateFoundation(names.foundation, foundationOutputs, region);
        problems.push(...checked.problems);
        result.foundation = checked.value;
    }
    if (names.dask && daskOutputs) {
        const checked = validateDask(names.dask, daskOutputs, result.foundation?.vpcId);
        problems.push(...checked.problems);
        result.dask = checked.value;
    }
    if (problems.length) throw new ReferenceError(problems);
    return result;
}
