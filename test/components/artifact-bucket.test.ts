import { expect } from "chai";

import { ArtifactBucket, validateArtifactBucketArgs } from "../../components/artifact-bucket";
import { policyOf, runComponent, runStack, StackRun } from "../harness";

const S3 = "aws:s3";
const KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";
const lifecycle = { noncurrentVersionDays: 30, infrequentAccessDays: 30, glacierDays: 90 };

describe("ArtifactBucket", () => {
    for (const stack of ["dev", "prod"] as const) {
        describe(`in ${stack}`, () => {
            let run: StackRun;
            before(async () => {
                run = await runStack(stack);
            });
            const datastore = () => run.one(`${S3}/bucket:Bucket`, "-artifacts");
            const forBucket = (type: string, suffix: string) => {
                const r = run.one(`${S3}/${type}`, suffix);
                expect(r.dependencies).to.include(datastore().urn);
                return r;
            };

            it("encrypts with the platform's customer-managed key and an S3 bucket key", () => {
                const sse = forBucket("bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "-artifacts-sse");
                const rule = sse.inputs.rules[0];
                expect(rule.applyServerSideEncryptionByDefault.sseAlgorithm).to.equal("aws:kms");
                expect(rule.applyServerSideEncryptionByDefault.kmsMasterKeyId).to.equal(run.outputs.kmsKeyArn);
                expect(rule.bucketKeyEnabled).to.equal(true);
                const key = run.one("aws:kms/key:Key");
                expect(key.inputs.enableKeyRotation).to.equal(true);
            });

            it("is versioned, private and without ACLs", () => {
                expect(forBucket("bucketVersioning:BucketVersioning", "-artifacts-versioning").inputs.versioningConfiguration.status).to.equal("Enabled");
                expect(forBucket("bucketPublicAccessBlock:BucketPublicAccessBlock", "-artifacts-public-access-block").inputs).to.include({
                    blockPublicAcls: true,
                    blockPublicPolicy: true,
                    ignorePublicAcls: true,
                    restrictPublicBuckets: true,
                });
                expect(forBucket("bucketOwnershipControls:BucketOwnershipControls", "-artifacts-ownership").inputs.rule.objectOwnership).to.equal("BucketOwnerEnforced");
            });

            it("denies every request without TLS 1.2, and allows nothing", () => {
                const statements = policyOf(forBucket("bucketPolicy:BucketPolicy", "-artifacts-policy")).Statement;
                expect(statements.map((s) => s.Effect)).to.deep.equal(["Deny", "Deny"]);
                expect(statements[0].Condition).to.deep.equal({ Bool: { "aws:SecureTransport": "false" } });
                expect(statements[1].Condition).to.deep.equal({ NumericLessThan: { "s3:TlsVersion": "1.2" } });
                const bucketArn = datastore().state.arn;
                for (const s of statements) expect(s.Resource).to.deep.equal([bucketArn, `${bucketArn}/*`]);
            });

            it("tiers, cleans up and keeps artifacts per the environment profile", () => {
                const rules = forBucket("bucketLifecycleConfiguration:BucketLifecycleConfiguration", "-artifacts-lifecycle").inputs.rules;
                const byId = Object.fromEntries(rules.map((r: any) => [r.id, r]));
                expect(byId["abort-incomplete-multipart-uploads"].abortIncompleteMultipartUpload.daysAfterInitiation).to.equal(7);
                expect(byId["expire-noncurrent-versions"].noncurrentVersionExpiration.noncurrentDays).to.equal(stack === "prod" ? 90 : 7);
                const tiers = byId["tier-old-artifacts"].transitions.map((t: any) => [t.storageClass, t.days]);
                expect(tiers).to.deep.equal(stack === "prod" ? [["STANDARD_IA", 90], ["GLACIER_IR", 365]] : [["STANDARD_IA", 30], ["GLACIER_IR", 90]]);
                expect(byId["tier-old-artifacts"].expiration, "artifacts are kept unless configured").to.equal(undefined);
            });

            it("sends object events to EventBridge", () => {
                expect(forBucket("bucketNotification:BucketNotification", "-artifacts-events").inputs.eventbridge).to.equal(true);
            });

            it(stack === "prod" ? "survives stack deletion (protect + retainOnDelete)" : "can be deleted with the stack", () => {
                expect(datastore().protect).to.equal(stack === "prod");
                expect(datastore().retainOnDelete).to.equal(stack === "prod");
                expect(datastore().inputs.forceDestroy).to.equal(false);
            });

            it(stack === "prod" ? "writes access logs to a private, SSE-S3, expiring log bucket" : "has no access logging", () => {
                const logging = run.ofType(`${S3}/bucketLogging:BucketLogging`);
                if (stack !== "prod") {
                    expect(logging).to.have.length(0);
                    expect(run.ofType(`${S3}/bucket:Bucket`)).to.have.length(1);
                    return;
                }
                const logs = run.one(`${S3}/bucket:Bucket`, "-artifacts-logs");
                expect(logging[0].inputs.targetBucket).to.equal(logs.state.bucket);
                expect(run.one(`${S3}/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration`, "-artifacts-logs-sse").inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm).to.equal("AES256");
                expect(run.one(`${S3}/bucketPublicAccessBlock:BucketPublicAccessBlock`, "-artifacts-logs-public-access-block").inputs.restrictPublicBuckets).to.equal(true);
                const delivery = policyOf(run.one(`${S3}/bucketPolicy:BucketPolicy`, "-artifacts-logs-policy")).Statement.find((s) => s.Sid === "S3ServerAccessLogDelivery");
                expect(delivery.Principal).to.deep.equal({ Service: "logging.s3.amazonaws.com" });
                expect(delivery.Condition.ArnLike["aws:SourceArn"]).to.deep.equal([datastore().state.arn]);
                const expiry = run.one(`${S3}/bucketLifecycleConfiguration:BucketLifecycleConfiguration`, "-artifacts-logs-lifecycle").inputs.rules[1].expiration.days;
                expect(expiry).to.equal(365);
                expect(logs.protect).to.equal(true);
            });

            it("exposes the Metaflow roots", () => {
                const name = datastore().state.bucket;
                expect(run.outputs).to.include({ datastoreRoot: `s3://${name}/metaflow`, datatoolsRoot: `s3://${name}/data`, artifactBucket: name });
                expect((run.outputs.metaflowConfig as any).METAFLOW_DATASTORE_SYSROOT_S3).to.equal(`s3://${name}/metaflow`);
            });
        });
    }

    describe("as a component", () => {
        it("expires artifacts only when asked to", async () => {
            const run = await runComponent(() => new ArtifactBucket("store", { kmsKeyArn: KEY, lifecycle: { ...lifecycle, expirationDays: 400 } }));
            const tier = run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules[2];
            expect(tier.expiration).to.deep.equal({ days: 400 });
            expect(run.value.kmsKeyArn).to.exist;
        });

        it("can leave EventBridge off", async () => {
            const run = await runComponent(() => new ArtifactBucket("store", { kmsKeyArn: KEY, lifecycle, eventBridge: false }));
            expect(run.ofType("aws:s3/bucketNotification:BucketNotification")).to.have.length(0);
        });

        it("parents every child to the component, the access-log bucket through its own component", async () => {
            const run = await runComponent(() => new ArtifactBucket("store", { kmsKeyArn: KEY, lifecycle, accessLogging: true }));
            const component = run.one("metaflow:storage:ArtifactBucket");
            const logs = run.one("metaflow:storage:LogBucket");
            for (const r of run.resources.filter((x) => x !== component)) {
                expect(r.parent, r.name).to.equal(r.name.startsWith("store-logs") && r !== logs ? logs.urn : component.urn);
            }
        });

        it("rejects lifecycle days S3 would reject, and a name that cannot be a bucket", () => {
            const problems = validateArtifactBucketArgs("Store_1", { kmsKeyArn: KEY, lifecycle: { noncurrentVersionDays: 0, infrequentAccessDays: 10, glacierDays: 20, expirationDays: 5 } });
            expect(problems.join("\n"))
                .to.contain("noncurrentVersionDays 0 must be an integer of at least 1")
                .and.contain("infrequentAccessDays 10 must be an integer of at least 30")
                .and.contain("glacierDays (20) must be at least 30 more")
                .and.contain("expirationDays (5) must be more than glacierDays")
                .and.contain('name "Store_1"');
            expect(() => new ArtifactBucket("Store_1", { kmsKeyArn: KEY, lifecycle })).to.throw(/ArtifactBucket Store_1: name/);
        });
    });
});
