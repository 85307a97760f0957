import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Regions where Elastic Load Balancing still delivers logs as its regional account (launched before ap-southeast-3). */
const ELB_ACCOUNT_REGIONS = new Set([
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-south-1", "ap-northeast-1",
    "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ca-central-1", "eu-central-1", "eu-west-1",
    "eu-west-2", "eu-west-3", "eu-south-1", "eu-north-1", "me-south-1", "sa-east-1",
]);

/** Arguments of {@link LogBucket}. */
export interface LogBucketArgs {
    /** Days log objects are kept. */
    retentionDays: number;
    /** Buckets whose S3 server access logs this bucket receives (the delivery is limited to them). */
    s3AccessLogSources?: pulumi.Input<string>[];
    /** Receive Elastic Load Balancing access logs of this account, in this region, under `<elbPrefix>/`. */
    loadBalancerLogs?: { region: string };
    /** `protect` and `retainOnDelete`: logs are evidence, they outlive the stack in prod. */
    protect?: boolean;
}

/** Key prefix of load balancer logs in the bucket. */
export const ELB_LOG_PREFIX = "elb";

export function validateLogBucketArgs(args: LogBucketArgs): string[] {
    const problems: string[] = [];
    if (!Number.isInteger(args.retentionDays) || args.retentionDays < 1) problems.push(`retentionDays ${args.retentionDays} must be a positive integer`);
    if (!args.s3AccessLogSources?.length && !args.loadBalancerLogs) problems.push("a log bucket needs at least one delivery: s3AccessLogSources or loadBalancerLogs");
    return problems;
}

/**
 * A private bucket that receives service-delivered logs (S3 server access logs, load balancer logs). It is encrypted
 * with SSE-S3, not KMS, because neither delivery supports a customer-managed key; versioned, TLS-only, with the four
 * public-access-block flags and ACLs disabled; logs expire after `retentionDays`. Each delivery is allowed only from
 * this account (and, for S3, only from the named source buckets).
 */
export class LogBucket extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;
    /** The bucket policy: a delivery configured before it exists fails, so depend on it. */
    public readonly policy: aws.s3.BucketPolicy;

    constructor(name: string, args: LogBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:storage:LogBucket", name, {}, opts);
        const problems = validateLogBucketArgs(args);
        if (problems.length) throw new Error(`LogBucket ${name}: ${problems.join("; ")}`);

        const bucket = new aws.s3.Bucket(name, { forceDestroy: false }, { parent: this, protect: args.protect, retainOnDelete: args.protect });
        const children = { parent: this, dependsOn: [bucket] };
        privateBucket(name, bucket, this);
        new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-sse`, { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }, children);
        const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, children);
        new aws.s3.BucketLifecycleConfiguration(
            `${name}-lifecycle`,
            {
                bucket: bucket.id,
                rules: [
                    { id: "abort-incomplete-multipart-uploads", status: "Enabled", filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } },
                    { id: "expire-logs", status: "Enabled", filter: {}, expiration: { days: args.retentionDays }, noncurrentVersionExpiration: { noncurrentDays: 1 } },
                ],
            },
            { parent: this, dependsOn: [versioning] },
        );

        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const statements: unknown[] = [...tlsOnlyStatements(bucket.arn)];
        if (args.s3AccessLogSources?.length) {
            statements.push({
                Sid: "S3ServerAccessLogDelivery",
                Effect: "Allow",
                Principal: { Service: "logging.s3.amazonaws.com" },
                Action: "s3:PutObject",
                Resource: pulumi.interpolate`${bucket.arn}/*`,
                Condition: { ArnLike: { "aws:SourceArn": args.s3AccessLogSources }, StringEquals: { "aws:SourceAccount": account } },
            });
        }
        if (args.loadBalancerLogs) {
            const region = args.loadBalancerLogs.region;
            const logs = pulumi.interpolate`${bucket.arn}/${ELB_LOG_PREFIX}/AWSLogs/${account}/*`;
            statements.push({ Sid: "LoadBalancerLogDelivery", Effect: "Allow", Principal: { Service: "logdelivery.elasticloadbalancing.amazonaws.com" }, Action: "s3:PutObject", Resource: logs });
            if (ELB_ACCOUNT_REGIONS.has(region)) {
                // Older regions deliver as Elastic Load Balancing's regional account rather than the service principal.
                const elb = aws.elb.getServiceAccountOutput({ region }, { parent: this });
                statements.push({ Sid: "LoadBalancerLogDeliveryRegionalAccount", Effect: "Allow", Principal: { AWS: elb.arn }, Action: "s3:PutObject", Resource: logs });
            }
        }
        this.policy = new aws.s3.BucketPolicy(`${name}-policy`, { bucket: bucket.id, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements }) }, children);

        this.bucketName = bucket.bucket;
        this.bucketArn = bucket.arn;
        this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
    }
}

/** All four public access block flags, and ACLs disabled (the bucket owner owns every object). */
export function privateBucket(name: string, bucket: aws.s3.Bucket, parent: pulumi.Resource): void {
    new aws.s3.BucketPublicAccessBlock(
        `${name}-public-access-block`,
        { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        { parent, dependsOn: [bucket] },
    );
    new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, { parent, dependsOn: [bucket] });
}

/** Denies any request without TLS, or with TLS older than 1.2. */
export function tlsOnlyStatements(bucketArn: pulumi.Input<string>) {
    const resources = [bucketArn, pulumi.interpolate`${bucketArn}/*`];
    return [
        { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: resources, Condition: { Bool: { "aws:SecureTransport": "false" } } },
        { Sid: "DenyOutdatedTls", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: resources, Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } } },
    ];
}
