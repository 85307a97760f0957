/** Plain resource-view fixtures for rule tests: no Pulumi runtime involved. */
import { T } from "../../policies/lib/types";
import { ResourceView } from "../../policies/lib/view";

let counter = 0;

/** A resource view; `outputs.id` defaults to `<name>-id` so that other fixtures can refer to it by value. */
export function res(type: string, name: string, props: Record<string, any> = {}, extra: Partial<ResourceView> = {}): ResourceView {
    counter++;
    return {
        urn: `urn:pulumi:test::metaflow-platform::${type}::${name}`,
        type,
        name,
        props,
        outputs: { id: `${name}-id`, arn: `arn:aws:mock:::${name}-${counter}`, ...(extra.outputs ?? {}) },
        protect: false,
        ...extra,
    };
}

/** A bucket with every companion resource the security and cost rules expect, KMS-encrypted. */
export function compliantBucket(name: string, opts: { sse?: "aws:kms" | "AES256"; logTo?: string; protect?: boolean } = {}): ResourceView[] {
    const id = `${name}-id`;
    const out = [
        res(T.bucket, name, {}, { protect: opts.protect ?? false, retainOnDelete: opts.protect ?? false }),
        res(T.bucketSse, `${name}-sse`, {
            bucket: id,
            rules: [{ applyServerSideEncryptionByDefault: opts.sse === "AES256" ? { sseAlgorithm: "AES256" } : { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:us-east-1:123456789012:key/k" } }],
        }),
        res(T.bucketVersioning, `${name}-versioning`, { bucket: id, versioningConfiguration: { status: "Enabled" } }),
        res(T.bucketPab, `${name}-pab`, { bucket: id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }),
        res(T.bucketOwnership, `${name}-ownership`, { bucket: id, rule: { objectOwnership: "BucketOwnerEnforced" } }),
        res(T.bucketPolicy, `${name}-policy`, {
            bucket: id,
            policy: JSON.stringify({ Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } }] }),
        }),
        res(T.bucketLifecycle, `${name}-lifecycle`, {
            bucket: id,
            rules: [
                { id: "abort", status: "Enabled", abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } },
                { id: "noncurrent", status: "Enabled", noncurrentVersionExpiration: { noncurrentDays: 30 } },
                { id: "tier", status: "Enabled", transitions: [{ days: 30, storageClass: "STANDARD_IA" }, { days: 90, storageClass: "GLACIER_IR" }] },
            ],
        }),
    ];
    if (opts.logTo) out.push(res(T.bucketLogging, `${name}-logging`, { bucket: id, targetBucket: `${opts.logTo}-id`, targetPrefix: "x/" }));
    return out;
}

export const without = (list: ResourceView[], type: string) => list.filter((r) => r.type !== type);
export const replace = (list: ResourceView[], type: string, props: Record<string, any>) => list.map((r) => (r.type === type ? { ...r, props: { ...r.props, ...props } } : r));

export const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

export const PROVIDER = res(T.awsProvider, "mf-test-aws", {
    defaultTags: JSON.stringify({ tags: { owner: "ml-platform", "cost-center": "ml", environment: "dev", project: "metaflow-platform" } }),
});
export const withProvider = (r: ResourceView): ResourceView => ({ ...r, provider: { urn: PROVIDER.urn, type: PROVIDER.type, props: PROVIDER.props } });

/** An EventBridge rule and target, with (or without) a DLQ and an alarm on the rule's FailedInvocations. */
export const eventTarget = (o: { dlq?: boolean; alarm?: boolean; alarmActions?: string[] } = {}) => [
    res(T.eventRule, "rule", { name: "mf-trigger", eventPattern: "{}" }),
    res(T.sqsQueue, "dlq", { name: "mf-trigger-dlq" }, { outputs: { arn: "arn:aws:sqs:us-east-1:1:mf-trigger-dlq" } }),
    res(T.eventTarget, "target", { rule: "mf-trigger", arn: "arn:aws:states:us-east-1:1:stateMachine:x", ...(o.dlq === false ? {} : { deadLetterConfig: { arn: "arn:aws:sqs:us-east-1:1:mf-trigger-dlq" } }) }),
    ...(o.alarm === false ? [] : [res(T.metricAlarm, "failed", { namespace: "AWS/Events", metricName: "FailedInvocations", dimensions: { RuleName: "mf-trigger" }, alarmActions: o.alarmActions ?? ["arn:aws:sns:us-east-1:1:alarms"] })]),
];
