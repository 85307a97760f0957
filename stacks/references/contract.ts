/**
 * The contracts with the neighbouring stacks: which outputs we require and accept from the A01 foundation and the
 * A02 Dask cluster, with their types. `docs/contracts.md` is the prose version of this file; keep them together.
 *
 * Pure module: validation of a plain output map, so tests and the offline plan use it without a Pulumi engine.
 */

type Check = (v: unknown) => boolean;

export interface OutputField {
    key: string;
    required: boolean;
    /** What a valid value looks like, for error messages and docs. */
    type: string;
    check: Check;
}

const isString = (re: RegExp): Check => (v) => typeof v === "string" && re.test(v);
const listOf = (re: RegExp, min = 0): Check => (v) => Array.isArray(v) && v.length >= min && v.every((x) => typeof x === "string" && re.test(x));

const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const SG_ID = /^sg-[0-9a-f]{8,17}$/;
const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/;
const AZ = /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$|^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/mrk-[0-9a-f]{32}$/;
const SNS_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const EFS_ID = /^fs-[0-9a-f]{8,17}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
const HOST_PORT = /^(tcp:\/\/)?[A-Za-z0-9.-]+:\d{1,5}$/;
const ACM_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const URL = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/.*)?$/;

const field = (key: string, required: boolean, type: string, check: Check): OutputField => ({ key, required, type, check });

/** Outputs of the A01 foundation stack. */
export const FOUNDATION_OUTPUTS: OutputField[] = [
    field("vpcId", true, "string: vpc-xxxxxxxx", isString(VPC_ID)),
    field("vpcCidr", true, "string: IPv4 CIDR", isString(CIDR)),
    field("privateSubnetIds", true, "string[]: subnet-xxxxxxxx, at least 2", listOf(SUBNET_ID, 2)),
    field("privateSubnetAzs", true, "string[]: the availability zone of each private subnet, same order, at least 2 distinct", listOf(AZ, 2)),
    field("kmsKeyArn", true, "string: KMS key ARN in the platform's region", isString(KMS_KEY_ARN)),
    field("alarmTopicArn", true, "string: SNS topic ARN", isString(SNS_ARN)),
    field("userAccessSecurityGroupIds", false, "string[]: sg-xxxxxxxx of the VPN/bastion clients", listOf(SG_ID)),
    field("userAccessCidrs", false, "string[]: IPv4 CIDRs of FreeIPA-authenticated user networks", listOf(CIDR)),
    field("efsFileSystemId", false, "string: fs-xxxxxxxx", isString(EFS_ID)),
    field("efsSecurityGroupId", false, "string: sg-xxxxxxxx admitted by the EFS mount targets", isString(SG_ID)),
    field("databaseEndpoint", false, "string: host name of a PostgreSQL instance the platform may use", isString(/^[A-Za-z0-9.-]{1,253}$/)),
    field("databasePort", false, "number: its port", (v) => Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536),
    field("databaseSecurityGroupId", false, "string: sg-xxxxxxxx of the database", isString(SG_ID)),
    field("databaseSecretArn", false, "string: Secrets Manager ARN of its credentials (username, password)", isString(SECRET_ARN)),
    field("serviceCertificateArn", false, "string: ACM certificate ARN in the platform's region, for the metadata service's HTTPS listener", isString(ACM_ARN)),
    field("privateEgress", false, 'string: "nat" or "none", whether the private subnets reach the internet (absent: "nat", which the platform\'s images and AWS calls already rely on)', (v) => v === "nat" || v === "none"),
    field("serviceDomainName", false, "string: the DNS name that certificate covers, resolving to the service's load balancer", isString(DNS_NAME)),
];

/** Outputs of the A02 Dask stack. */
export const DASK_OUTPUTS: OutputField[] = [
    field("schedulerAddress", true, "string: tcp://host:8786", isString(HOST_PORT)),
    field("schedulerSecurityGroupId", true, "string: sg-xxxxxxxx of the scheduler", isString(SG_ID)),
    // Accepted and checked when A02 exports them, but not read: worker ports stay closed (clients use
    // direct_to_workers=False) and the platform mounts no Dask storage (docs/contracts.md).
    field("workerSecurityGroupId", false, "string: sg-xxxxxxxx of the workers", isString(SG_ID)),
    field("vpcId", true, "string: vpc-xxxxxxxx, the foundation's VPC", isString(VPC_ID)),
    field("dashboardUrl", false, "string: http(s)://host:8787", isString(URL)),
    field("sharedStorageEfsId", false, "string: fs-xxxxxxxx of the workers' shared storage", isString(EFS_ID)),
    field("sharedStoragePath", false, "string: mount path of the shared storage", isString(/^\/[A-Za-z0-9_./-]*$/)),
];

export interface FoundationOutputs {
    vpcId: string;
    vpcCidr: string;
    privateSubnetIds: string[];
    privateSubnetAzs: string[];
    kmsKeyArn: string;
    alarmTopicArn: string;
    userAccessSecurityGroupIds: string[];
    userAccessCidrs: string[];
    efsFileSystemId?: string;
    efsSecurityGroupId?: string;
    database?: { endpoint: string; port: number; securityGroupId: string; secretArn: string };
    /** A certificate for the metadata service: with it the service is served over HTTPS (unless the stack sets its own). */
    serviceCertificate?: { arn: string; domainName: string };
    /** Whether the private subnets reach the internet through NAT; "nat" when the foundation does not say. */
    privateEgress: "nat" | "none";
}

export interface DaskOutputs {
    schedulerAddress: string;
    schedulerSecurityGroupId: string;
    workerSecurityGroupId?: string;
    vpcId: string;
    dashboardUrl?: string;
    sharedStorageEfsId?: string;
    sharedStoragePath?: string;
}

/** A problem with a referenced stack's output: names the stack and the key. */
export class ReferenceError extends Error {
    constructor(public readonly problems: string[]) {
        super(`Invalid stack references (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "ReferenceError";
    }
}

function checkFields(role: string, stack: string, fields: OutputField[], outputs: Record<string, unknown>): string[] {
    const problems: string[] = [];
    for (const f of fields) {
        const v = outputs[f.key];
        if (v === undefined || v === null) {
            if (f.required) problems.push(`${role} stack "${stack}": required output "${f.key}" is missing (expected ${f.type})`);
        } else if (!f.check(v)) {
            problems.push(`${role} stack "${stack}": output "${f.key}" is malformed: got ${JSON.stringify(v).slice(0, 80)}, expected ${f.type}`);
        }
    }
    return problems;
}

/** Validates the foundation's outputs, including the rules between them; `region` is the platform's region. */
export function validateFoundation(stack: string, outputs: Record<string, unknown>, region: string): { value?: FoundationOutputs; problems: string[] } {
    const problems = checkFields("foundation", stack, FOUNDATION_OUTPUTS, outputs);
    const o = outputs as Partial<FoundationOutputs> & Record<string, any>;
    const at = (key: string, text: string) => problems.push(`foundation stack "${stack}": output "${key}" ${text}`);
    const valid = (key: string) => FOUNDATION_OUTPUTS.find((f) => f.key === key)!.check(o[key]);
    if (valid("privateSubnetIds") && valid("privateSubnetAzs")) {
        if (o.privateSubnetIds!.length !== o.privateSubnetAzs!.length) at("privateSubnetAzs", `has ${o.privateSubnetAzs!.length} entries for ${o.privateSubnetIds!.length} subnets`);
        else if (new Set(o.privateSubnetAzs).size < 2) at("privateSubnetAzs", "must span at least 2 availability zones");
        if (o.privateSubnetAzs!.some((az) => !az.startsWith(region))) at("privateSubnetAzs", `lists zones outside ${region}`);
    }
    if (valid("kmsKeyArn") && o.kmsKeyArn!.split(":")[3] !== region) at("kmsKeyArn", `is in ${o.kmsKeyArn!.split(":")[3]}, not in the platform's region ${region}`);
    // Only well-formed lists count (a malformed one is already reported above, and may not even be iterable).
    const users = [...(valid("userAccessSecurityGroupIds") ? o.userAccessSecurityGroupIds! : []), ...(valid("userAccessCidrs") ? o.userAccessCidrs! : [])];
    if (!problems.length && users.length === 0) at("userAccessSecurityGroupIds", 'and "userAccessCidrs" are both empty: engineers would have no way to reach the platform');
    const dbKeys = ["databaseEndpoint", "databasePort", "databaseSecurityGroupId", "databaseSecretArn"];
    const dbGiven = dbKeys.filter((k) => o[k] !== undefined);
    if (dbGiven.length && dbGiven.length < dbKeys.length) {
        at(dbKeys.find((k) => o[k] === undefined)!, `is missing: a shared database needs all of ${dbKeys.join(", ")}`);
    }
    const certGiven = ["serviceCertificateArn", "serviceDomainName"].filter((k) => o[k] !== undefined);
    if (certGiven.length === 1) at(certGiven[0] === "serviceCertificateArn" ? "serviceDomainName" : "serviceCertificateArn", "is missing: an HTTPS listener needs both the certificate and the name it covers");
    if (valid("serviceCertificateArn") && o.serviceCertificateArn !== undefined && String(o.serviceCertificateArn).split(":")[3] !== region) {
        at("serviceCertificateArn", `is in ${String(o.serviceCertificateArn).split(":")[3]}: a load balancer uses only certificates of its own region (${region})`);
    }
    if (problems.length) return { problems };
    return {
        problems,
        value: {
            vpcId: o.vpcId!,
            vpcCidr: o.vpcCidr!,
            privateSubnetIds: o.privateSubnetIds!,
            privateSubnetAzs: o.privateSubnetAzs!,
            kmsKeyArn: o.kmsKeyArn!,
            alarmTopicArn: o.alarmTopicArn!,
            userAccessSecurityGroupIds: o.userAccessSecurityGroupIds ?? [],
            userAccessCidrs: o.userAccessCidrs ?? [],
            efsFileSystemId: o.efsFileSystemId,
            efsSecurityGroupId: o.efsSecurityGroupId,
            database: dbGiven.length ? { endpoint: o.databaseEndpoint, port: o.databasePort, securityGroupId: o.databaseSecurityGroupId, secretArn: o.databaseSecretArn } : undefined,
            serviceCertificate: certGiven.length ? { arn: o.serviceCertificateArn, domainName: o.serviceDomainName } : undefined,
            privateEgress: o.privateEgress ?? "nat",
        },
    };
}

/** Validates the Dask stack's outputs; `vpcId` is the platform's VPC when known (the cluster must share it). */
export function validateDask(stack: string, outputs: Record<string, unknown>, vpcId?: string): { value?: DaskOutputs; problems: string[] } {
    const problems = checkFields("dask", stack, DASK_OUTPUTS, outputs);
    const o = outputs as Partial<DaskOutputs>;
    if (!problems.length && vpcId !== undefined && o.vpcId !== vpcId) {
        problems.push(`dask stack "${stack}": output "vpcId" is ${o.vpcId}, but the platform runs in ${vpcId}; the Dask cluster must share the foundation's VPC`);
    }
    if (problems.length) return { problems };
    return { problems, value: o as DaskOutputs };
}
