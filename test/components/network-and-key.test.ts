import { expect } from "chai";

import { PlatformKey, validatePlatformKeyArgs } from "../../components/platform-key";
import { StandaloneNetwork, validateStandaloneNetworkArgs } from "../../components/standalone-network";
import { MOCK_ACCOUNT } from "../../offline/mocks";
import { policyOf, runComponent, runStack } from "../harness";

describe("StandaloneNetwork (dev without a foundation)", () => {
    it("builds a two-AZ VPC with private subnets and a single NAT gateway", async () => {
        const run = await runStack("dev");
        const vpc = run.one("awsx:ec2:Vpc");
        expect(vpc.inputs).to.deep.include({ cidrBlock: "10.40.0.0/16", numberOfAvailabilityZones: 2, natGateways: { strategy: "Single" } });
        expect(vpc.inputs.subnetSpecs.map((s: any) => s.type)).to.have.members(["Private", "Public"]);
        expect(run.outputs.network).to.deep.include({ source: "standalone", privateSubnetIds: ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"] });
    });

    it("routes S3 traffic through a free gateway endpoint instead of the NAT gateway", async () => {
        const run = await runComponent(() => new StandaloneNetwork("net", { cidrBlock: "10.1.0.0/16", region: "eu-west-1", kmsKeyArn: "k", logRetentionDays: 14 }));
        expect(run.one("aws:ec2/vpcEndpoint:VpcEndpoint").inputs).to.include({ serviceName: "com.amazonaws.eu-west-1.s3", vpcEndpointType: "Gateway" });
    });

    it("logs all flows to an encrypted, expiring log group through a role only flow logs can assume", async () => {
        const run = await runComponent(() => new StandaloneNetwork("net", { cidrBlock: "10.1.0.0/16", region: "us-east-1", kmsKeyArn: "key-arn", logRetentionDays: 30 }));
        const group = run.one("aws:cloudwatch/logGroup:LogGroup");
        expect(group.inputs).to.include({ retentionInDays: 30, kmsKeyId: "key-arn" });
        expect(run.one("aws:ec2/flowLog:FlowLog").inputs).to.include({ trafficType: "ALL", logDestination: group.state.arn });
        const trust = policyOf(run.one("aws:iam/role:Role"), "assumeRolePolicy").Statement;
        expect(trust).to.deep.equal([
            { Effect: "Allow", Principal: { Service: "vpc-flow-logs.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT } } },
        ]);
        const [statement] = policyOf(run.one("aws:iam/rolePolicy:RolePolicy")).Statement;
        expect(statement.Resource).to.deep.equal([group.state.arn, `${group.state.arn}:*`]);
        expect(statement.Action).to.not.include("*");
    });

    it("is not built when the stack has a foundation", async () => {
        expect((await runStack("staging")).ofType("metaflow:network:StandaloneNetwork")).to.have.length(0);
    });

    it("rejects a CIDR AWS would refuse", () => {
        expect(validateStandaloneNetworkArgs({ cidrBlock: "10.0.0.0/8", region: "us-east-1", kmsKeyArn: "k", logRetentionDays: 1 })[0]).to.contain("/16 to /24");
        expect(validateStandaloneNetworkArgs({ cidrBlock: "10.300.0.0/16", region: "us-east-1", kmsKeyArn: "k", logRetentionDays: 1 })).to.have.length(1);
    });
});

describe("PlatformKey", () => {
    it("rotates, and lets only this account (through IAM) and this account's log groups use it", async () => {
        const run = await runComponent(() => new PlatformKey("kms", { namePrefix: "mf-test", region: "eu-west-1" }));
        const key = run.one("aws:kms/key:Key");
        expect(key.inputs.enableKeyRotation).to.equal(true);
        const [root, logs] = policyOf(key).Statement;
        expect(root.Principal).to.deep.equal({ AWS: `arn:aws:iam::${MOCK_ACCOUNT}:root` });
        expect(logs.Principal).to.deep.equal({ Service: "logs.eu-west-1.amazonaws.com" });
        expect(logs.Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"]).to.equal(`arn:aws:logs:eu-west-1:${MOCK_ACCOUNT}:log-group:*`);
        for (const s of policyOf(key).Statement) expect(s.Principal).to.not.equal("*");
        expect(run.one("aws:kms/alias:Alias").inputs.name).to.equal("alias/mf-test-platform");
    });

    it("is protected in prod and not in dev", async () => {
        expect((await runStack("prod")).one("aws:kms/key:Key").protect).to.equal(true);
        const dev = (await runStack("dev")).one("aws:kms/key:Key");
        expect(dev.protect).to.equal(false);
        expect(dev.inputs.deletionWindowInDays).to.equal(7);
    });

    it("rejects a deletion window KMS does not accept", () => {
        expect(validatePlatformKeyArgs({ namePrefix: "x", region: "us-east-1", deletionWindowInDays: 3 })).to.have.length(1);
    });
});
