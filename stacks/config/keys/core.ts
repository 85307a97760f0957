import { EGRESS_MODES } from "../../../components/network-rules";
import { ENVIRONMENTS, KeySpecs } from "../spec";

/** A fully qualified stack name, as StackReference takes it: `<organization>/<project>/<stack>`. */
export const STACK_NAME = { regex: /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, describe: "a fully qualified stack name <organization>/<project>/<stack>" };

/**
 * A cost-allocation tag value: up to 256 tag-safe characters, not blank (a blank tag value says nothing about who
 * owns or pays for a resource), without leading or trailing spaces.
 */
const TAG_VALUE = (what: string) => ({ regex: /^(?! )(?!.* $)[A-Za-z0-9 _.:\/=+@-]{1,256}$/, describe: `${what}: 1-256 tag-safe characters (letters, digits, spaces and _.:/=+@-), not blank, no leading or trailing space` });

/** Keys that identify the stack, its neighbours, its owners and its guard rails. */
export const coreKeys = {
    environment: {
        type: "string",
        required: true,
        oneOf: ENVIRONMENTS,
        description: "Environment profile whose defaults this stack starts from: dev, staging or prod.",
    },
    namePrefix: {
        type: "string",
        // No two consecutive hyphens: RDS instance identifiers and parameter group names refuse them ("Can't end with a
        // hyphen or contain two consecutive hyphens", botocore rds CreateDBInstanceMessage.DBInstanceIdentifier).
        pattern: { regex: /^(?!.*--)[a-z][a-z0-9-]{1,14}[a-z0-9]$/, describe: "3-16 lowercase letters, digits or hyphens, starting with a letter, ending with a letter or digit, without two consecutive hyphens" },
        description: "Short prefix of physical resource names (AWS limits names to 32-80 characters). Default: mf-<stack>.",
    },
    foundationStack: {
        type: "string",
        pattern: STACK_NAME,
        description: "The A01 foundation stack (VPC, subnets, KMS, alarm topic, user-access controls). Required in staging and prod; without it dev builds its own VPC.",
    },
    daskStack: {
        type: "string",
        pattern: STACK_NAME,
        description: "The A02 Dask cluster stack, when flows should reach the shared Dask cluster; needs foundationStack (the cluster runs in the foundation's VPC).",
    },
    owner: {
        type: "string",
        required: true,
        pattern: TAG_VALUE("a team or e-mail"),
        description: "Owning team, written to the `owner` cost-allocation tag of every resource.",
    },
    costCenter: {
        type: "string",
        required: true,
        pattern: TAG_VALUE("a cost centre"),
        description: "Cost centre, written to the `cost-center` cost-allocation tag of every resource.",
    },
    monthlyBudgetUsd: {
        type: "integer",
        min: 1,
        max: 1_000_000,
        default: { dev: 300, staging: 600, prod: 3000 },
        description: "Monthly budget in USD: the cost policy rejects a stack whose estimated month exceeds it.",
    },
    protectStatefulResources: {
        type: "boolean",
        default: { dev: false, staging: false, prod: true },
        description: "Mark the datastore bucket, database, state tables and platform KMS key `protect` and `retainOnDelete`.",
    },
    logRetentionDays: {
        type: "integer",
        min: 1,
        max: 3653,
        default: { dev: 14, staging: 30, prod: 365 },
        description: "Retention of every CloudWatch log group the platform creates, in days (CloudWatch accepts only its fixed set).",
    },
    vpcCidr: {
        type: "string",
        pattern: { regex: /^(\d{1,3}\.){3}\d{1,3}\/(1[6-9]|2[0-4])$/, describe: "an IPv4 CIDR from /16 to /24" },
        // Octets, host bits and the foundation rule: stacks/config/index.ts (components/network-rules.ts).
        default: "10.40.0.0/16",
        description: "CIDR of the VPC the stack builds for itself when no foundation stack is configured (dev only): private subnets a quarter of it each, public ones a sixteenth, in two zones. No host bits; refused with a foundationStack, where it would have no effect.",
    },
    egress: {
        type: "string",
        oneOf: EGRESS_MODES,
        default: "nat-instance",
        description: "How the private subnets of the VPC a stack without a foundation builds reach the internet: nat-instance (one t4g.nano, about $7.4 a month, burstable bandwidth, stopped with office hours) or nat-gateway (AWS's managed gateway, about $36 a month plus $0.045/GB, up to 100 Gbit/s). S3 and ECR image layers bypass both through the S3 gateway endpoint. Refused with a foundationStack.",
    },
} satisfies KeySpecs;

/** The retention values CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
