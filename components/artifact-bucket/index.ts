import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { LogBucket, privateBucket, tlsOnlyStatements } from "../log-bucket";
import { ArtifactLifecycle, lifecycleProblems } from "./rules";

export { ArtifactLifecycle, lifecycleProblems } from "./rules";

/** Key prefix of Metaflow's datastore (METAFLOW_DATASTORE_SYSROOT_S3 is `s3://<bucket>/metaflow`). */
export const DATASTORE_PREFIX = "metaflow";
/** Key prefix of `metaflow.S3` data (METAFLOW_DATATOOLS_S3ROOT is `s3://<bucket>/data`). */
export const DATATOOLS_PREFIX = "data";
/**
 * Where Step Functions distributed maps write their results (METAFLOW_SFN_S3_DISTRIBUTED_MAP_OUTPUT_PATH; Metaflow's
 * default, `<sysroot>/sfn_distributed_map_output`, metaflow_config.py).
 */
export const SFN_MAP_OUTPUT_PREFIX = `${DATASTORE_PREFIX}/sfn_distributed_map_output`;

/** Arguments of {@link ArtifactBucket}. */
export interface ArtifactBucketArgs {
    /** ARN of the customer-managed KMS key for SSE-KMS (with an S3 bucket key, to cut KMS request costs). */
    kmsKeyArn: pulumi.Input<string>;
    lifecycle: ArtifactLifecycle;
    /** Write S3 server access logs to a dedicated bucket (recommended in prod). Default false. */
    accessLogging?: boolean;
    /** Days access logs are kept. Default 365. */
    accessLogRetentionDays?: number;
    /** Send object events to EventBridge, so rules can start pipelines on new data. Default true. */
    eventBridge?: boolean;
    /** `protect` and `retainOnDelete` on the buckets: a stack deletion leaves the artifacts in place. */
    protect?: boolean;
}

/** Component names become bucket names (plus an 8-character suffix), so they follow S3's naming rules. */
const BUCKET_COMPONENT_NAME = /^[a-z0-9][a-z0-9-]{1,44}[a-z0-9]$/;

export function validateArtifactBucketArgs(name: string, args: ArtifactBucketArgs): string[] {
    const problems = lifecycleProblems(args.lifecycle).map((p) => p.message);
    if (!BUCKET_COMPONENT_NAME.test(name)) problems.push(`name "${name}" must be 3-46 lowercase letters, digits or hyphens (it becomes the bucket name)`);
    const r = args.accessLogRetentionDays;
    if (r !== undefined && (!Number.isInteger(r) || r < 1)) problems.push(`accessLogRetentionDays ${r} must be a positive integer`);
    return problems;
}

/**
 * The Metaflow datastore: an S3 bucket encrypted with a customer-managed KMS key, versioned, private (all four public
 * access block flags, ACLs disabled), reachable only over TLS 1.2+, with lifecycle rules that move old artifacts to
 * cheaper storage and clean up noncurrent versions and incomplete uploads, optional access logging and EventBridge
 * notifications.
 */
export class ArtifactBucket extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;
    public readonly kmsKeyArn: pulumi.Output<string>;
    /** `s3://<bucket>/metaflow`: METAFLOW_DATASTORE_SYSROOT_S3. */
    public readonly datastoreRoot: pulumi.Output<string>;
    /** `s3://<bucket>/data`: METAFLOW_DATATOOLS_S3ROOT. */
    public readonly datatoolsRoot: pulumi.Output<string>;
    /** The access-log bucket, when access logging is on. */
    public readonly logBucketName?: pulumi.Output<string>;

    constructor(name: string, args: ArtifactBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:storage:ArtifactBucket", name, {}, opts);
        const problems = validateArtifactBucketArgs(name, args);
        if (problems.length) throw new Error(`ArtifactBucket ${name}: ${problems.join("; ")}`);
        const accessLogging = args.accessLogging ?? false;
        const eventBridge = args.eventBridge ?? true;

        const bucket = datastoreBucket(this, name, args);
        const ctx: BucketContext = { name, parent: this, bucket, children: { parent: this, dependsOn: [bucket] } };
        privateBucket(name, bucket, this);
        encryptWithKey(ctx, args.kmsKeyArn);
        const versioning = enableVersioning(ctx);
        tierAndExpire(ctx, args.lifecycle, versioning);
        requireTls(ctx);
        if (eventBridge) sendEventsToEventBridge(ctx);
        if (accessLogging) this.logBucketName = logAccess(ctx, args);

        this.bucketName = bucket.bucket;
        this.bucketArn = bucket.arn;
        this.kmsKeyArn = pulumi.output(args.kmsKeyArn);
        this.datastoreRoot = pulumi.interpolate`s3://${bucket.bucket}/${DATASTORE_PREFIX}`;
        this.datatoolsRoot = pulumi.interpolate`s3://${bucket.bucket}/${DATATOOLS_PREFIX}`;
        this.registerOutputs({
            bucketName: this.bucketName,
            bucketArn: this.bucketArn,
            kmsKeyArn: this.kmsKeyArn,
            datastoreRoot: this.datastoreRoot,
            datatoolsRoot: this.datatoolsRoot,
            logBucketName: this.logBucketName,
        });
    }
}

/** What every step of the constructor needs: the component's name, the component as parent, the bucket. */
interface BucketContext {
    name: string;
    parent: pulumi.Resource;
    bucket: aws.s3.Bucket;
    /** Options of the bucket's settings: children of the component, created after the bucket. */
    children: pulumi.CustomResourceOptions;
}

/** The bucket itself, protected and retained on delete when asked: a stack deletion leaves the artifacts in place. */
function datastoreBucket(parent: pulumi.Resource, name: string, args: ArtifactBucketArgs): aws.s3.Bucket {
    const stateful: pulumi.CustomResourceOptions = { parent, protect: args.protect, retainOnDelete: args.protect };
    return new aws.s3.Bucket(name, { forceDestroy: false }, stateful);
}

/** SSE-KMS with the customer-managed key by default, with an S3 bucket key to cut KMS request costs. */
function encryptWithKey(ctx: BucketContext, kmsKeyArn: pulumi.Input<string>): void {
    new aws.s3.BucketServerSideEncryptionConfiguration(
        `${ctx.name}-sse`,
        {
            bucket: ctx.bucket.id,
            rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: kmsKeyArn }, bucketKeyEnabled: true }],
        },
        ctx.children,
    );
}

/** Versioning, so an overwritten or deleted artifact can be recovered until its noncurrent version expires. */
function enableVersioning(ctx: BucketContext): aws.s3.BucketVersioning {
    return new aws.s3.BucketVersioning(`${ctx.name}-versioning`, { bucket: ctx.bucket.id, versioningConfiguration: { status: "Enabled" } }, ctx.children);
}

/** Lifecycle rules: abort stale uploads, expire noncurrent versions, move old artifacts to cheaper storage. */
function tierAndExpire(ctx: BucketContext, l: ArtifactLifecycle, versioning: aws.s3.BucketVersioning): void {
    new aws.s3.BucketLifecycleConfiguration(
        `${ctx.name}-lifecycle`,
        {
            bucket: ctx.bucket.id,
            // Objects under 128 KiB cost more in IA/Glacier IR than in Standard: leave them where they are.
            transitionDefaultMinimumObjectSize: "all_storage_classes_128K",
            rules: [
                {
                    id: "abort-incomplete-multipart-uploads",
                    status: "Enabled",
                    filter: {},
                    abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
                },
                {
                    id: "expire-noncurrent-versions",
                    status: "Enabled",
                    filter: {},
                    noncurrentVersionExpiration: { noncurrentDays: l.noncurrentVersionDays },
                    expiration: { expiredObjectDeleteMarker: true },
                },
                {
                    id: "tier-old-artifacts",
                    status: "Enabled",
                    filter: {},
                    transitions: [
                        { days: l.infrequentAccessDays, storageClass: "STANDARD_IA" },
                        { days: l.glacierDays, storageClass: "GLACIER_IR" },
                    ],
                    ...(l.expirationDays !== undefined ? { expiration: { days: l.expirationDays } } : {}),
                },
            ],
        },
        { parent: ctx.parent, dependsOn: [versioning] },
    );
}

/** The bucket policy: denies any request without TLS, or with TLS older than 1.2. */
function requireTls(ctx: BucketContext): void {
    new aws.s3.BucketPolicy(`${ctx.name}-policy`, { bucket: ctx.bucket.id, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: tlsOnlyStatements(ctx.bucket.arn) }) }, ctx.children);
}

/** Object events to EventBridge, so rules can start pipelines on new data. */
function sendEventsToEventBridge(ctx: BucketContext): void {
    new aws.s3.BucketNotification(`${ctx.name}-events`, { bucket: ctx.bucket.id, eventbridge: true }, ctx.children);
}

/** S3 server access logs to a log bucket of their own, under `datastore/`; returns that bucket's name. */
function logAccess(ctx: BucketContext, args: ArtifactBucketArgs): pulumi.Output<string> {
    const { name, parent, bucket } = ctx;
    const logs = new LogBucket(`${name}-logs`, { retentionDays: args.accessLogRetentionDays ?? 365, s3AccessLogSources: [bucket.arn], protect: args.protect }, { parent });
    new aws.s3.BucketLogging(`${name}-access-logging`, { bucket: bucket.id, targetBucket: logs.bucketName, targetPrefix: "datastore/" }, { parent, dependsOn: [bucket, logs.policy] });
    return logs.bucketName;
}
