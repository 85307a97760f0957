/**
 * The committed price table of the cost estimator: AWS list prices in us-east-1 (Linux, on-demand, USD), copied from
 * the team's shared price reference (reference/aws-prices-us-east-1.md). Each row names its source and date; `uncertain`
 * marks a figure public sources disagree on (`[?]` in the reference), and the estimate carries that mark forward.
 * A month is 730 hours. Spot prices are not published per type: the estimator multiplies on-demand by a configurable
 * spot factor (default 0.35).
 */

export const HOURS_PER_MONTH = 730;

export interface Price {
    usd: number;
    /** Per what: "hour", "GB-month", "month", "vCPU-hour", ... */
    unit: string;
    source: string;
    uncertain?: boolean;
}

const KARPENTER = "aws/karpenter-provider-aws generated price table, 2026-07-20";
const INFRACOST = "Infracost test data, 2024-2025";

/** EC2 on-demand $/h with vCPU and GPU counts (counts from the EC2 instance type pages). */
export const EC2: Record<string, Price & { vcpus: number; gpus: number }> = Object.fromEntries(
    (
        [
            ["m5.large", 0.096, 2, 0], ["m5.xlarge", 0.192, 4, 0], ["m5.2xlarge", 0.384, 8, 0], ["m5.4xlarge", 0.768, 16, 0],
            ["m6i.xlarge", 0.192, 4, 0], ["c6i.xlarge", 0.17, 4, 0],
            ["c5.xlarge", 0.17, 4, 0], ["c5.2xlarge", 0.34, 8, 0], ["c5.4xlarge", 0.68, 16, 0],
            ["r5.xlarge", 0.252, 4, 0], ["r5.2xlarge", 0.504, 8, 0],
            ["c4.large", 0.1, 2, 0], ["c4.xlarge", 0.199, 4, 0], ["c4.2xlarge", 0.398, 8, 0], ["c4.4xlarge", 0.796, 16, 0],
            ["p3.2xlarge", 3.06, 8, 1], ["p3.8xlarge", 12.24, 32, 4], ["p4d.24xlarge", 21.957642, 96, 8],
            ["g4dn.xlarge", 0.526, 4, 1], ["g4dn.2xlarge", 0.752, 8, 1], ["g4dn.12xlarge", 3.912, 48, 4],
            ["g5.xlarge", 1.006, 4, 1], ["g5.2xlarge", 1.212, 8, 1], ["g5.12xlarge", 5.672, 48, 4],
        ] as Array<[string, number, number, number]>
    ).map(([type, usd, vcpus, gpus]) => [type, { usd, unit: "hour", source: KARPENTER, vcpus, gpus }]),
);
// The Session Manager access instance (components/access-instance.ts). Not in the shared price reference: AWS's EC2
// on-demand pricing page (Linux, us-east-1); marked uncertain until the reference carries it.
EC2["t4g.nano"] = { usd: 0.0042, unit: "hour", source: "AWS EC2 on-demand pricing page, read 2026-11 (not in the shared reference)", uncertain: true, vcpus: 2, gpus: 0 };

const RDS_SOURCE = { third: "third-party tables, 2026", article: "PostgreSQL pricing article, 2026", linear: "half of db.t4g.small (AWS sizes t4g linearly)", disagree: "third-party tables disagree (midpoint)" };

/** RDS for PostgreSQL $/h, single-AZ and Multi-AZ. */
export const RDS: Record<string, { single: Price; multi: Price }> = {
    "db.t3.micro": { single: { usd: 0.018, unit: "hour", source: RDS_SOURCE.third, uncertain: true }, multi: { usd: 0.036, unit: "hour", source: RDS_SOURCE.third, uncertain: true } },
    "db.t3.small": { single: { usd: 0.036, unit: "hour", source: RDS_SOURCE.third, uncertain: true }, multi: { usd: 0.072, unit: "hour", source: RDS_SOURCE.third, uncertain: true } },
    "db.t4g.micro": { single: { usd: 0.016, unit: "hour", source: RDS_SOURCE.linear, uncertain: true }, multi: { usd: 0.032, unit: "hour", source: RDS_SOURCE.linear, uncertain: true } },
    "db.t4g.small": { single: { usd: 0.032, unit: "hour", source: RDS_SOURCE.article }, multi: { usd: 0.064, unit: "hour", source: RDS_SOURCE.article } },
    "db.t4g.medium": { single: { usd: 0.065, unit: "hour", source: RDS_SOURCE.article }, multi: { usd: 0.13, unit: "hour", source: RDS_SOURCE.article } },
    "db.m6g.large": { single: { usd: 0.155, unit: "hour", source: RDS_SOURCE.disagree, uncertain: true }, multi: { usd: 0.31, unit: "hour", source: `${RDS_SOURCE.disagree}; Multi-AZ about 2x`, uncertain: true } },
    "db.r6g.large": { single: { usd: 0.21, unit: "hour", source: RDS_SOURCE.disagree, uncertain: true }, multi: { usd: 0.42, unit: "hour", source: `${RDS_SOURCE.disagree}; Multi-AZ about 2x`, uncertain: true } },
};

const p = (usd: number, unit: string, source = INFRACOST, uncertain?: boolean): Price => ({ usd, unit, source, ...(uncertain ? { uncertain } : {}) });

export const PRICES = {
    rdsStorageSingleAz: p(0.115, "GB-month", "Infracost test data, 2026-05"),
    rdsStorageMultiAz: p(0.23, "GB-month", "Infracost test data, 2026-05"),
    ebsGp3: p(0.08, "GB-month", "Infracost test data, 2024"),
    fargateVcpu: p(0.04048, "vCPU-hour"),
    fargateGb: p(0.004445, "GB-hour"),
    fargateArmVcpu: p(0.03238, "vCPU-hour"),
    fargateArmGb: p(0.00356, "GB-hour"),
    natGateway: p(0.045, "hour"),
    natGb: p(0.045, "GB processed"),
    /** Every public IPv4 address, in use or idle: Elastic IPs, NAT gateways', instances' (https://aws.amazon.com/vpc/pricing/, Public IPv4 Address tab; since 2024-02-01). */
    publicIpv4: p(0.005, "hour", "AWS VPC pricing page, Public IPv4 Address tab, 2024-02"),
    alb: p(0.0225, "hour"),
    nlb: p(0.0225, "hour"),
    s3Standard: p(0.023, "GB-month"),
    // ECR private registry storage, us-east-1 list price (pulls inside the region and through an S3 gateway endpoint are free).
    ecrStorage: p(0.1, "GB-month", "AWS ECR pricing page, 2026"),
    logsIngestion: p(0.5, "GB ingested"),
    logsStorage: p(0.03, "GB-month"),
    alarm: p(0.1, "alarm-month"),
    dashboard: p(3, "dashboard-month"),
    kmsKey: p(1, "key-month"),
    secret: p(0.4, "secret-month"),
    ssmAdvancedParameter: p(0.05, "parameter-month"),
    interfaceEndpoint: p(0.01, "hour per AZ"),
    /**
     * SageMaker Serverless Inference, on-demand, per GB-second of configured memory while a request runs ($0.0000200
     * per second for 1024 MB, scaling linearly with memory, plus $0.016 per GB of data in and out). AWS's pricing
     * page (https://aws.amazon.com/sagemaker/pricing/, "Serverless Inference") could not be read here: the figure is
     * the commonly quoted us-east-1 rate, not confirmed against a source, hence uncertain. Idle: $0 (no charge between
     * requests, https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html: "scales your endpoint down to 0").
     */
    serverlessInferenceGbSecond: p(0.00002, "GB-second", "AWS SageMaker pricing page, Serverless Inference (not read here; commonly quoted us-east-1 rate, 2026-12)", true),
    /**
     * SageMaker Studio (issue 19; docs/design/workspaces-and-serving.md §1.7). The domain itself has no charge: "There is
     * no additional charge for using Amazon SageMaker Studio Classic. The costs incurred for running ... notebooks ...
     * are based on ... instance usage" (AWS, *Usage Metering*, https://docs.aws.amazon.com/sagemaker/latest/dg/notebooks-usage-metering.html,
     * read 2026-12); the new Studio is assumed alike.
     */
    sagemakerStudioDomain: p(0, "domain-month", "AWS SageMaker Usage Metering page (Studio Classic: no additional charge), read 2026-12"),
    /**
     * SageMaker ML storage (the EBS volume of a Studio space, billed like a notebook instance's ML storage volume):
     * $0.14 per GB-month, the us-east-1 rate AWS's pricing page (https://aws.amazon.com/sagemaker/pricing/) gave as
     * quoted in fastai/course-v3 issue 104 (2018-11); the page itself could not be read here, hence uncertain. It is
     * higher than EBS gp3 ($0.08), the design's floor.
     */
    sagemakerMlStorage: p(0.14, "GB-month", "AWS SageMaker pricing page as quoted in fastai/course-v3#104, 2018 (page not read here)", true),
    /** EFS Standard storage, the Studio domain's home file system: https://aws.amazon.com/efs/pricing/ ("$0.30/GB-month"), read 2026-12. */
    efsStandard: p(0.3, "GB-month", "AWS EFS pricing page, read 2026-12"),
} as const;

/**
 * SageMaker Studio JupyterLab instances, on-demand $/h, us-east-1. ml.t3.medium, AWS's default for CPU images (Usage
 * Metering page): $0.05/h from third-party tables only (the design's §1.7: a SageMaker price guide on wring.co), not
 * read from AWS's pricing page here, hence uncertain. Other types are not priced (the estimate lists them as such).
 */
export const STUDIO_INSTANCES: Record<string, Price> = {
    "ml.t3.medium": p(0.05, "hour", "third-party SageMaker price tables (wring.co guide), 2026; AWS's page not read here", true),
};

/** The cheapest on-demand $/vCPU-hour among the priced sizes of a family or an exact type; undefined when unpriced. */
export function perVcpuHour(typeOrFamily: string): { usd: number; type: string } | undefined {
    const rows = Object.entries(EC2).filter(([t]) => t === typeOrFamily || t.split(".")[0] === typeOrFamily);
    if (!rows.length) return undefined;
    const [type, row] = rows.reduce((best, cur) => (cur[1].usd / cur[1].vcpus < best[1].usd / best[1].vcpus ? cur : best));
    return { usd: row.usd / row.vcpus, type };
}

/**
 * Reserved capacity (issue 20): one-year commitments for the steady resources, priced apart from the idle and typical
 * months (a reservation is a purchase decision, not part of the plan). policies/cost/reservations.ts reads these tables.
 *
 * RDS reserved DB instances, one-year term, PostgreSQL, us-east-1, per instance class and deployment (a Multi-AZ
 * reservation is its own offering: a Single-AZ one does not cover a Multi-AZ instance). `noUpfrontHourly` is billed
 * every hour of the term whether the instance runs or not; `allUpfrontUsd` is paid once for the 12 months. Terms: AWS's
 * RDS user guide (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithReservedDBInstances.html; its
 * purchase page, read here in its Japanese edition, has the deployment option and says reservations are per Region);
 * that No Upfront is one-year only and that PostgreSQL reservations are size-flexible within a class family come from
 * third-party summaries (docs.archera.ai's RDS brief, 2026-03), not confirmed on AWS's page here.
 *
 * The figures themselves come from AWS's pricing page, https://aws.amazon.com/rds/postgresql/pricing/ (tab "Reserved
 * Instances"), which renders its table with JavaScript: it could not be read here (2026-12-08; the search corpora hold
 * only third-party pages with on-demand rates and "up to" discounts, no db.t4g, db.m6g, db.m7g or db.r6g reservation
 * rate). No class is entered until someone copies its rates from that page: an unlisted class is "not priced", never
 * guessed. Add rows as `"db.t4g.medium": { multi: { noUpfrontHourly: p(<usd>, "hour", RDS_RI_PAGE), allUpfrontUsd: p(<usd>, "term", RDS_RI_PAGE) } }`.
 */
export const RDS_RI_PAGE = "AWS RDS for PostgreSQL pricing page, Reserved Instances tab (https://aws.amazon.com/rds/postgresql/pricing/)";

export interface ReservedRate {
    /** No Upfront: $ per hour, billed for all 8,760 hours of the year. */
    noUpfrontHourly?: Price;
    /** All Upfront: $ paid once for the 12-month term. */
    allUpfrontUsd?: Price;
}

export const RDS_RESERVED_1Y: Record<string, { single?: ReservedRate; multi?: ReservedRate }> = {};

/**
 * Compute Savings Plans, one-year term, No Upfront, for Fargate (Linux) in us-east-1: the discounted $ per vCPU-hour and
 * per GB-hour. Savings Plans "provide low prices on Amazon EC2 and Fargate in exchange for a commitment to a consistent
 * amount of usage for a one-year or three-year term" (https://docs.aws.amazon.com/savingsplans/, read 2026-12-08; Lambda
 * is covered by Compute Savings Plans too, as commonly stated, not read on an AWS page here).
 * The rates are on https://aws.amazon.com/savingsplans/compute-pricing/ (Fargate tab), a JavaScript table that could
 * not be read here (2026-12-08); third-party pages give only "up to 50%" / "up to 52%" (three-year terms), not the
 * one-year No Upfront rate. Left empty, the tasks are listed as "not priced"; fill `x86` (and `arm`) from that page.
 */
export const SAVINGS_PLAN_PAGE = "AWS Savings Plans pricing page, Compute Savings Plans, Fargate (https://aws.amazon.com/savingsplans/compute-pricing/)";

export const FARGATE_SAVINGS_PLAN_1Y: { x86?: { vcpu: Price; gb: Price }; arm?: { vcpu: Price; gb: Price } } = {};

/** The reservation tables together, so the estimate can be checked against other figures (tests pass their own). */
export interface ReservationPrices {
    rds: typeof RDS_RESERVED_1Y;
    fargate: typeof FARGATE_SAVINGS_PLAN_1Y;
}

export const RESERVATION_PRICES: ReservationPrices = { rds: RDS_RESERVED_1Y, fargate: FARGATE_SAVINGS_PLAN_1Y };
