/**
 * S3 in @pulumi/aws 7: a bucket's settings live in their own resources (encryption, versioning, public access block,
 * ownership controls, policy, lifecycle, logging), so most rules are stack rules that find, for each bucket, the
 * resources that configure it, and report a bucket that has none.
 */
import { actionsOf, allowsAnyone, principalsOf, resourcesOf, Statement, statementsOf } from "../../lib/iam";
import { StackRule, ResourceRule } from "../../lib/rule";
import { LOAD_BALANCERS, T } from "../../lib/types";
import { isUnknown, ofType, parseJsonish, referenced, referrers, ResourceView } from "../../lib/view";

/** The resources of `type` that configure `bucket` (through their `bucket` property). */
export function configuring(bucket: ResourceView, type: string, all: ResourceView[]): ResourceView[] {
    return referrers(all, type, "bucket", bucket);
}

/**
 * Buckets that receive access logs: S3 server access logs (a BucketLogging's `targetBucket`) or load balancer logs
 * (`accessLogs.bucket`, `connectionLogs.bucket`). Both deliveries support only SSE-S3, not SSE-KMS.
 */
export function logTargetBuckets(all: ResourceView[]): Set<string> {
    const buckets = ofType(all, T.bucket);
    const s3Targets = ofType(all, T.bucketLogging).flatMap((l) => referenced(l, "targetBucket", buckets));
    const lbTargets = ofType(all, ...LOAD_BALANCERS).flatMap((lb) =>
        [lb.props.accessLogs?.bucket, lb.props.connectionLogs?.bucket].filter((name) => name !== undefined).flatMap((name) => referenced({ ...lb, props: { ref: name }, propertyDependencies: undefined }, "ref", buckets)),
    );
    return new Set([...s3Targets, ...lbTargets].map((b) => b.urn));
}

/** The bucket's name when known (its `bucket` input or provider state), to match the Deny's Resource ARNs. */
function bucketNameOf(b: ResourceView): string | undefined {
    const n = b.props.bucket ?? b.outputs?.bucket;
    return typeof n === "string" && !isUnknown(n) ? n : undefined;
}

/**
 * What keeps a SecureTransport statement from refusing every plain-HTTP request to the bucket: it must be a Deny, of
 * every principal (`*`), every S3 action (`s3:*` or `*`), on the bucket and its objects (`arn:...:s3:::b` and
 * `arn:...:s3:::b/*`, or `*`). A narrower Deny leaves the other principals, actions or resources reachable over HTTP.
 */
export function tlsDenyGaps(s: Statement, bucket?: string): string[] {
    const gaps: string[] = [];
    if (s.Effect !== "Deny") gaps.push(`Effect is ${s.Effect ?? "unset"}, not Deny`);
    if (!principalsOf(s).includes("*")) gaps.push(`Principal ${JSON.stringify(s.Principal ?? null)} is not "*"`);
    const actions = actionsOf(s).map((a) => String(a).toLowerCase());
    if (s.NotAction !== undefined || !actions.some((a) => a === "*" || a === "s3:*")) gaps.push(`Action ${JSON.stringify(s.Action ?? s.NotAction ?? null)} is not s3:*`);
    const resources = resourcesOf(s).filter((r) => !isUnknown(r));
    if (resources.length < resourcesOf(s).length) return gaps; // judged once the ARNs are known
    const arn = /^arn:aws[a-z-]*:s3:::([^/]+)(\/\*)?$/;
    const names = (objects: boolean) => resources.filter((r) => r === "*" || (arn.exec(r) !== null && Boolean(arn.exec(r)![2]) === objects && (!bucket || arn.exec(r)![1] === bucket)));
    if (s.NotResource !== undefined) gaps.push("uses NotResource");
    else {
        if (!names(false).length) gaps.push("Resource does not name the bucket itself (arn:aws:s3:::<bucket>)");
        if (!names(true).length) gaps.push("Resource does not name the bucket's objects (arn:aws:s3:::<bucket>/*)");
    }
    return gaps;
}

const perBucket = (check: (b: ResourceView, all: ResourceView[]) => string[]) => (all: ResourceView[]) =>
    ofType(all, T.bucket).flatMap((b) => check(b, all).map((message) => ({ urn: b.urn, message: `bucket ${b.name}: ${message}` })));

export const s3Rules = [
    {
        kind: "stack",
        name: "s3-bucket-encryption-kms",
        pack: "security",
        description: "Every bucket has default encryption with a customer-managed KMS key (SSE-S3 only for access-log target buckets, which S3 log delivery requires).",
        baseline: ["CKV_AWS_19", "CKV_AWS_145"],
        uses: [],
        check: (all) => {
            const logTargets = logTargetBuckets(all);
            return perBucket((b) => {
                const sse = configuring(b, T.bucketSse, all);
                if (!sse.length) return ["no BucketServerSideEncryptionConfiguration: add one with sseAlgorithm aws:kms and the platform key"];
                const rules = sse.flatMap((c) => (parseJsonish<any[]>(c.props.rules) ?? []) as any[]);
                const algos = rules.map((r) => r?.applyServerSideEncryptionByDefault?.sseAlgorithm);
                if (logTargets.has(b.urn)) {
                    return algos.every((a) => a === "AES256" || a === "aws:kms" || a === "aws:kms:dsse") && algos.length ? [] : ["access-log bucket without default encryption"];
                }
                if (!algos.length) return ["encryption configuration has no rule"];
                const bad = rules.filter((r) => !["aws:kms", "aws:kms:dsse"].includes(r?.applyServerSideEncryptionByDefault?.sseAlgorithm) || !r?.applyServerSideEncryptionByDefault?.kmsMasterKeyId);
                return bad.length ? [`default encryption is ${algos.join(", ")}${bad.some((r) => !r?.applyServerSideEncryptionByDefault?.kmsMasterKeyId) ? " without kmsMasterKeyId" : ""}: use aws:kms with the customer-managed key (AES256 is allowed only on access-log target buckets)`] : [];
            })(all);
        },
    } satisfies StackRule,
    {
        kind: "stack",
        name: "s3-bucket-versioning",
        pack: "security",
        description: "Every bucket has versioning enabled.",
        baseline: ["CKV_AWS_21"],
        uses: [],
        check: perBucket((b, all) => {
            const v = configuring(b, T.bucketVersioning, all);
            if (!v.length) return ["no BucketVersioning: enable versioning"];
            return v.some((c) => c.props.versioningConfiguration?.status === "Enabled") ? [] : ["versioning is not Enabled"];
        }),
    } satisfies StackRule,
    {
        kind: "stack",
        name: "s3-bucket-access-logging-prod",
        pack: "security",
        description: "In prod, every bucket except access-log targets writes server access logs.",
        baseline: ["CKV_AWS_18"],
        uses: ["environment"],
        check: (all, s) => {
            if (s.environment !== "prod") return [];
            const targets = logTargetBuckets(all);
            return perBucket((b) => (targets.has(b.urn) || configuring(b, T.bucketLogging, all).length ? [] : ["no BucketLogging in prod: log access to a dedicated log bucket"]))(all);
        },
    } satisfies StackRule,
    {
        kind: "stack",
        name: "s3-public-access-block",
        pack: "security",
        description: "Every bucket has a public access block with all four flags set.",
        baseline: ["CKV2_AWS_6", "CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"],
        uses: [],
        check: perBucket((b, all) => {
            const pab = configuring(b, T.bucketPab, all);
            if (!pab.length) return ["no BucketPublicAccessBlock: add one with all four flags true"];
            const flags = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];
            const off = flags.filter((f) => !pab.some((p) => p.props[f] === true));
            return off.length ? [`public access block leaves ${off.join(", ")} off`] : [];
        }),
    } satisfies StackRule,
    {
        kind: "stack",
        name: "s3-acls-disabled",
        pack: "security",
        description: "Every bucket disables ACLs (ownership BucketOwnerEnforced) and no BucketAcl grants access.",
        baseline: ["CKV2_AWS_65"],
        uses: [],
        check: perBucket((b, all) => {
            const problems: string[] = [];
            const oc = configuring(b, T.bucketOwnership, all);
            if (!oc.some((c) => c.props.rule?.objectOwnership === "BucketOwnerEnforced")) problems.push("ACLs are not disabled: add BucketOwnershipControls with objectOwnership BucketOwnerEnforced");
            if (configuring(b, T.bucketAcl, all).length) problems.push("a BucketAcl grants access through ACLs");
            return problems;
        }),
    } satisfies StackRule,
    {
        kind: "stack",
        name: "s3-bucket-policy-tls-only",
        pack: "security",
        description: "Every bucket has a bucket policy that denies requests without TLS (aws:SecureTransport false) to every principal (`*`), for every S3 action, on the bucket and its objects.",
        baseline: ["CKV_AWS_379"],
        uses: [],
        check: perBucket((b, all) => {
            const policies = configuring(b, T.bucketPolicy, all);
            if (policies.some((p) => isUnknown(p.props.policy))) return []; // judged during `pulumi up`, once known
            const statements = policies.flatMap((p) => statementsOf(p.props.policy) ?? []);
            const tls = statements.filter((s) => /"aws:SecureTransport":"?false"?/i.test(JSON.stringify(s.Condition ?? {})));
            if (!tls.length) return ["no bucket policy statement denies aws:SecureTransport false"];
            if (tls.some((s) => tlsDenyGaps(s, bucketNameOf(b)).length === 0)) return [];
            return tls.map((s) => `statement ${s.Sid ?? ""} does not deny every plain-HTTP request: ${tlsDenyGaps(s, bucketNameOf(b)).join("; ")}`);
        }),
    } satisfies StackRule,
    {
        kind: "resource",
        name: "s3-bucket-policy-no-public-principal",
        pack: "security",
        description: "No bucket policy allows the `*` principal without a condition.",
        baseline: ["CKV_AWS_70"],
        uses: [],
        types: [T.bucketPolicy],
        check: (r) =>
            (statementsOf(r.props.policy) ?? []).filter(allowsAnyone).map((s) => `statement ${s.Sid ?? ""} allows Principal "*" without a condition`),
    } satisfies ResourceRule,
    {
        kind: "stack",
        name: "s3-lifecycle-abort-multipart",
        pack: "security",
        description: "Every bucket has a lifecycle configuration that aborts incomplete multipart uploads.",
        baseline: ["CKV2_AWS_61", "CKV_AWS_300"],
        uses: [],
        check: perBucket((b, all) => {
            const lc = configuring(b, T.bucketLifecycle, all);
            if (!lc.length) return ["no BucketLifecycleConfiguration"];
            const rules = lc.flatMap((c) => (c.props.rules ?? []) as any[]);
            return rules.some((r) => r?.status === "Enabled" && r?.abortIncompleteMultipartUpload?.daysAfterInitiation !== undefined)
                ? []
                : ["no enabled lifecycle rule aborts incomplete multipart uploads"];
        }),
    } satisfies StackRule,
];
