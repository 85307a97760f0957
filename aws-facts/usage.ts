/**
 * The environments and the "typical month" of usage the cost estimate assumes per environment (policies/cost): the
 * Batch instance-hours and the instance types they are priced as, the on-demand share and the spot factor. Here, below
 * the stacks, so a stack can publish the same assumption to the flows that report costs (the setting `batch-prices`).
 */
export type Environment = "dev" | "staging" | "prod";
export const ENVIRONMENTS: readonly Environment[] = ["dev", "staging", "prod"];

/** The usage a "typical month" assumes, on top of the fixed monthly costs. */
export interface UsageScenario {
    /** Batch CPU instance-hours per month, and the instance type they are priced as. */
    cpuInstanceHours: number;
    cpuInstanceType: string;
    /** Batch GPU instance-hours per month, and the instance type they are priced as. */
    gpuInstanceHours: number;
    gpuInstanceType: string;
    /** Share of instance-hours that run on on-demand capacity (fallback); the rest runs on spot. */
    onDemandShare: number;
    /** Spot price as a fraction of on-demand (an assumption: AWS publishes no fixed spot price). */
    spotFactor: number;
    /** GB stored in S3 Standard, GB of logs ingested, GB through NAT gateways. */
    s3Gb: number;
    logGb: number;
    natGb: number;
    /**
     * JupyterLab instance-hours a month per engineer with a Studio profile, priced at the domain's default instance type
     * (only when the stack has a domain); the estimate multiplies by the planned profiles. The defaults assume hours a
     * working day (with the hour idle shutdown waits before it stops an app) x 21 working days: STUDIO_HOURS_ASSUMPTION.
     */
    studioHoursPerEngineer: number;
}

/** How each environment's default `studioHoursPerEngineer` is made up (shown in the estimate's basis). */
export const STUDIO_HOURS_ASSUMPTION: Record<Environment, { hoursPerDay: number; days: number }> = {
    dev: { hoursPerDay: 5, days: 21 },
    staging: { hoursPerDay: 3, days: 21 },
    prod: { hoursPerDay: 7, days: 21 },
};
const studioHours = (env: Environment) => STUDIO_HOURS_ASSUMPTION[env].hoursPerDay * STUDIO_HOURS_ASSUMPTION[env].days;

export const DEFAULT_USAGE: Record<Environment, UsageScenario> = {
    dev: { cpuInstanceHours: 200, cpuInstanceType: "c5.2xlarge", gpuInstanceHours: 20, gpuInstanceType: "g4dn.xlarge", onDemandShare: 0.2, spotFactor: 0.35, s3Gb: 200, logGb: 5, natGb: 50, studioHoursPerEngineer: studioHours("dev") },
    staging: { cpuInstanceHours: 500, cpuInstanceType: "c5.2xlarge", gpuInstanceHours: 50, gpuInstanceType: "g4dn.xlarge", onDemandShare: 0.2, spotFactor: 0.35, s3Gb: 500, logGb: 20, natGb: 100, studioHoursPerEngineer: studioHours("staging") },
    prod: { cpuInstanceHours: 4000, cpuInstanceType: "c5.2xlarge", gpuInstanceHours: 500, gpuInstanceType: "g5.xlarge", onDemandShare: 0.2, spotFactor: 0.35, s3Gb: 5000, logGb: 100, natGb: 500, studioHoursPerEngineer: studioHours("prod") },
};
