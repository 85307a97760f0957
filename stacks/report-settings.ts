/**
 * The settings the weekly platform report (templates/platform_report.py) reads besides the log and metric names, with
 * monitoring only: the stack's budget (`budget-name`, `monthly-budget-usd`), the cost-allocation tag the budget and
 * Cost Explorer filter on (`cost-tag`, `stack=<value>`), and the price table the report turns Batch job hours into
 * dollars with (`batch-prices`): the same instance types, on-demand prices, on-demand share and spot factor the cost
 * estimate's usage scenario assumes (aws-facts/usage.ts, aws-facts/prices.ts), so the report invents no price.
 */
import * as pulumi from "@pulumi/pulumi";

import { EC2 } from "../aws-facts/prices";
import { DEFAULT_USAGE } from "../aws-facts/usage";
import { budgetName } from "../components/monitoring";
import type { ComputeSection } from "./compute";
import type { PlatformConfig } from "./config";

/** The on-demand price of one vCPU-hour (CPU) or one GPU-hour (GPU) of an instance type; a type with no price fails the plan. */
function unitPrice(type: string, per: "vcpus" | "gpus"): { instanceType: string; instanceHourUsd: number } & Record<string, number | string> {
    const row = EC2[type];
    if (!row || !row[per]) throw new Error(`batch-prices: no ${per === "gpus" ? "GPU" : "CPU"} price for ${type} in aws-facts/prices.ts`);
    return { instanceType: type, instanceHourUsd: row.usd, [per === "gpus" ? "gpuHourUsd" : "vcpuHourUsd"]: row.usd / row[per] };
}

/** `batch-prices`: per queue ARN its kind, the CPU and GPU unit prices and the spot assumption, as JSON. */
export function batchPrices(config: PlatformConfig, compute: ComputeSection): pulumi.Output<string> {
    const usage = DEFAULT_USAGE[config.environment];
    const kinds = config.batch.queues.map((q) => pulumi.all([compute.queues[q.name].queueArn, q.kind]));
    return pulumi.all(kinds).apply((pairs) =>
        JSON.stringify({
            queues: Object.fromEntries(pairs),
            cpu: unitPrice(usage.cpuInstanceType, "vcpus"),
            gpu: unitPrice(usage.gpuInstanceType, "gpus"),
            onDemandShare: usage.onDemandShare,
            spotFactor: usage.spotFactor,
            source: `the cost estimate's ${config.environment} usage scenario; on-demand us-east-1 list prices (${EC2[usage.cpuInstanceType].source})`,
        }),
    );
}

/** The report's settings, by name. */
export function reportSettings(config: PlatformConfig, compute: ComputeSection): Record<string, pulumi.Input<string>> {
    return {
        "batch-prices": batchPrices(config, compute),
        "budget-name": budgetName(config.namePrefix),
        "cost-tag": `stack=${config.tags.stack}`,
        "monthly-budget-usd": String(config.monthlyBudgetUsd),
    };
}
