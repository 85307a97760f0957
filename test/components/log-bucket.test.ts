import { expect } from "chai";

import { ELB_LOG_PREFIX, LogBucket, validateLogBucketArgs } from "../../components/log-bucket";
import { MOCK_ACCOUNT } from "../../offline/mocks";
import { policyOf, runComponent, runStack } from "../harness";

describe("LogBucket", () => {
    it("lets Elastic Load Balancing deliver only into this account's prefix, as its regional account where it still uses one", async () => {
        const run = await runComponent(() => new LogBucket("lb-logs", { retentionDays: 90, loadBalancerLogs: { region: "us-east-1" } }));
        const arn = run.one("aws:s3/bucket:Bucket").state.arn;
        const statements = policyOf(run.one("aws:s3/bucketPolicy:BucketPolicy")).Statement;
        const delivery = statements.filter((s) => s.Effect === "Allow");
        expect(delivery.map((s) => s.Principal)).to.deep.equal([{ Service: "logdelivery.elasticloadbalancing.amazonaws.com" }, { AWS: "arn:aws:iam::127311923021:root" }]);
        for (const s of delivery) expect(s).to.include({ Action: "s3:PutObject", Resource: `${arn}/${ELB_LOG_PREFIX}/AWSLogs/${MOCK_ACCOUNT}/*` });
        expect(statements.filter((s) => s.Effect === "Deny").map((s) => s.Sid)).to.deep.equal(["DenyInsecureTransport", "DenyOutdatedTls"]);
    });

    it("uses only the service principal in regions opened since 2021", async () => {
        const run = await runComponent(() => new LogBucket("lb-logs", { retentionDays: 90, loadBalancerLogs: { region: "ap-southeast-5" } }));
        const principals = policyOf(run.one("aws:s3/bucketPolicy:BucketPolicy")).Statement.filter((s) => s.Effect === "Allow").map((s) => s.Principal);
        expect(principals).to.deep.equal([{ Service: "logdelivery.elasticloadbalancing.amazonaws.com" }]);
    });

    it("is SSE-S3 (the only encryption log delivery supports), private, versioned, and expires logs", async () => {
        const run = await runComponent(() => new LogBucket("logs", { retentionDays: 400, s3AccessLogSources: ["arn:aws:s3:::source"], protect: true }));
        expect(run.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules[0].applyServerSideEncryptionByDefault).to.deep.equal({ sseAlgorithm: "AES256" });
        expect(run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).to.include({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
        expect(run.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule.objectOwnership).to.equal("BucketOwnerEnforced");
        expect(run.one("aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration.status).to.equal("Enabled");
        expect(run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules[1].expiration.days).to.equal(400);
        const bucket = run.one("aws:s3/bucket:Bucket");
        expect([bucket.protect, bucket.retainOnDelete]).to.deep.equal([true, true]);
    });

    it("needs a delivery and a positive retention", () => {
        expect(validateLogBucketArgs({ retentionDays: 0 })).to.have.length(2);
    });
});

describe("metadata service load balancer access logs", () => {
    it("are on in prod, into a log bucket of their own, after its policy exists", async () => {
        const run = await runStack("prod");
        const alb = run.one("aws:lb/loadBalancer:LoadBalancer", "-metadata-alb");
        const logs = run.one("aws:s3/bucket:Bucket", "-metadata-alb-logs");
        expect(alb.inputs.accessLogs).to.deep.equal({ bucket: logs.state.bucket, prefix: ELB_LOG_PREFIX, enabled: true });
        expect(alb.dependencies).to.include(run.one("aws:s3/bucketPolicy:BucketPolicy", "-metadata-alb-logs-policy").urn);
        expect(run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "-metadata-alb-logs-lifecycle").inputs.rules[1].expiration.days).to.equal(365);
    });

    it("are off in dev", async () => {
        const run = await runStack("dev");
        expect(run.one("aws:lb/loadBalancer:LoadBalancer", "-metadata-alb").inputs.accessLogs).to.equal(undefined);
        expect(run.ofType("metaflow:storage:LogBucket")).to.have.length(0);
    });
});
