import { expect } from "chai";

import { PlatformKey, validatePlatformKeyArgs } from "../../components/platform-key";
import { ipv4CidrProblem, subnetLayout } from "../../components/network-rules";
import { StandaloneNetwork, validateStandaloneNetworkArgs } from "../../components/standalone-network";
import { MOCK_ACCOUNT } from "../../offline/mocks";
import { policyOf, runComponent, runStack } from "../harness";

const NET = { namePrefix: "mf-t", cidrBlock: "10.1.0.0/16", region: "eu-west-1", kmsKeyArn: "key-arn", logRetentionDays: 30, egress: "nat-instance" } as const;

describe("StandaloneNetwork (dev without a foundation)", () => {
    it("builds private and public subnets in two zones from the VPC CIDR, none giving out public addresses", async () => {
        const run = await runStack("dev");
        expect(run.one("aws:ec2/vpc:Vpc").inputs).to.include({ cidrBlock: "10.40.0.0/16", enableDnsHostnames: true, enableDnsSupport: true });
        const subnets = run.ofType("aws:ec2/subnet:Subnet");
        expect(subnets.map((s) => [s.name, s.inputs.cidrBlock, s.inputs.availabilityZone])).to.deep.equal([
            ["mf-dev-network-private-1", "10.40.0.0/18", "us-east-1a"],
            ["mf-dev-network-private-2", "10.40.64.0/18", "us-east-1b"],
            ["mf-dev-network-public-1", "10.40.128.0/20", "us-east-1a"],
            ["mf-dev-network-public-2", "10.40.144.0/20", "us-east-1b"],
        ]);
        for (const s of subnets) expect(s.inputs.mapPublicIpOnLaunch, s.name).to.equal(false);
        expect(run.outputs.network).to.deep.include({ source: "standalone", egress: "nat-instance", privateSubnetIds: ["mf-dev-network-private-1-id", "mf-dev-network-private-2-id"] });
    });

    it("lays out subnets that fit any VPC from /16 to /24 without overlapping", () => {
        expect(subnetLayout("10.40.0.0/16")).to.deep.equal({ private: ["10.40.0.0/18", "10.40.64.0/18"], public: ["10.40.128.0/20", "10.40.144.0/20"] });
        expect(subnetLayout("192.168.7.0/24")).to.deep.equal({ private: ["192.168.7.0/26", "192.168.7.64/26"], public: ["192.168.7.128/28", "192.168.7.144/28"] });
        for (let bits = 16; bits <= 24; bits++) {
            const cidr = `10.0.0.0/${bits}`;
            const all = [...subnetLayout(cidr).private, ...subnetLayout(cidr).public];
            for (const c of all) expect(ipv4CidrProblem(c, 16, 28), c).to.equal(undefined);
            const ranges = all.map((c) => [ip(c), ip(c) + 2 ** (32 - Number(c.split("/")[1]))]).sort((a, b) => a[0] - b[0]);
            for (let i = 1; i < ranges.length; i++) expect(ranges[i][0], cidr).to.be.at.least(ranges[i - 1][1]);
            expect(ranges[ranges.length - 1][1]).to.be.at.most(ip(cidr) + 2 ** (32 - bits));
        }
    });

    it("routes the private subnets through a NAT instance that forwards HTTPS from the VPC only and holds no credentials", async () => {
        const run = await runComponent(() => new StandaloneNetwork("net", NET));
        const nat = run.one("aws:ec2/instance:Instance");
        expect(nat.inputs).to.include({ instanceType: "t4g.nano", associatePublicIpAddress: true, sourceDestCheck: false, userDataReplaceOnChange: true });
        expect(nat.inputs.iamInstanceProfile).to.equal(undefined);
        expect(nat.inputs.keyName).to.equal(undefined);
        expect(nat.inputs.creditSpecification).to.deep.equal({ cpuCredits: "standard" });
        expect(nat.inputs.metadataOptions).to.deep.include({ httpTokens: "required", httpPutResponseHopLimit: 1 });
        expect(nat.inputs.subnetId).to.equal(run.one("aws:ec2/subnet:Subnet", "net-public-1").id);
        expect(nat.inputs.userData).to.contain("net.ipv4.ip_forward = 1").and.contain('-s 10.1.0.0/16 -j MASQUERADE').and.contain("iptables -F FORWARD").and.contain("iptables-save > /etc/sysconfig/iptables");
        const egress = run.one("aws:ec2/route:Route", "net-private-egress").inputs;
        expect(egress).to.include({ destinationCidrBlock: "0.0.0.0/0", routeTableId: run.one("aws:ec2/routeTable:RouteTable", "net-private").id });
        expect(egress.networkInterfaceId).to.be.a("string").and.equal(nat.state.primaryNetworkInterfaceId);
        const ingress = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map((r) => r.inputs);
        expect(ingress).to.have.length(1);
        expect(ingress[0]).to.include({ ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "10.1.0.0/16" });
        expect(run.ofType("aws:ec2/natGateway:NatGateway")).to.have.length(0);
        expect(run.ofType("aws:ec2/eip:Eip")).to.have.length(0);
    });

    it("routes them through one NAT gateway with its Elastic IP when asked", async () => {
        const run = await runComponent(() => new StandaloneNetwork("net", { ...NET, egress: "nat-gateway" }));
        const nat = run.one("aws:ec2/natGateway:NatGateway");
        expect(nat.inputs).to.include({ subnetId: run.one("aws:ec2/subnet:Subnet", "net-public-1").id, allocationId: run.one("aws:ec2/eip:Eip").id });
        expect(run.one("aws:ec2/route:Route", "net-private-egress").inputs).to.include({ natGatewayId: nat.id });
        expect(run.ofType("aws:ec2/instance:Instance")).to.have.length(0);
    });

    it("sends the public subnets to the internet gateway, empties the default security group, and routes S3 through a free gateway endpoint", async () => {
        const run = await runComponent(() => new StandaloneNetwork("net", NET));
        expect(run.one("aws:ec2/route:Route", "net-public-internet").inputs).to.include({ routeTableId: run.one("aws:ec2/routeTable:RouteTable", "net-public").id, destinationCidrBlock: "0.0.0.0/0", gatewayId: run.one("aws:ec2/internetGateway:InternetGateway").id });
        const assoc = run.ofType("aws:ec2/routeTableAssociation:RouteTableAssociation").map((a): [string, string] => [a.name, a.inputs.routeTableId]);
        expect(assoc).to.deep.equal([
            ["net-private-1", run.one("aws:ec2/routeTable:RouteTable", "net-private").id],
            ["net-private-2", run.one("aws:ec2/routeTable:RouteTable", "net-private").id],
            ["net-public-1", run.one("aws:ec2/routeTable:RouteTable", "net-public").id],
            ["net-public-2", run.one("aws:ec2/routeTable:RouteTable", "net-public").id],
        ]);
        const sg = run.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup").inputs;
        expect(sg.ingress ?? []).to.deep.equal([]);
        expect(sg.egress ?? []).to.deep.equal([]);
        const endpoint = run.one("aws:ec2/vpcEndpoint:VpcEndpoint").inputs;
        expect(endpoint).to.include({ serviceName: "com.amazonaws.eu-west-1.s3", vpcEndpointType: "Gateway" });
        expect(endpoint.routeTableIds).to.have.members([run.one("aws:ec2/routeTable:RouteTable", "net-private").id, run.one("aws:ec2/routeTable:RouteTable", "net-public").id]);
    });

    it("logs all flows to an encrypted, expiring log group through a role only flow logs can assume", async () => {
        const run = await runComponent(() => new StandaloneNetwork("net", NET));
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

    it("rejects a CIDR AWS would refuse and an unknown egress", () => {
        expect(validateStandaloneNetworkArgs({ ...NET, cidrBlock: "10.0.0.0/8" })[0]).to.contain("/16 to /24");
        expect(validateStandaloneNetworkArgs({ ...NET, cidrBlock: "10.300.0.0/16" })).to.have.length(1);
        expect(validateStandaloneNetworkArgs({ ...NET, egress: "none" as never })[0]).to.contain("nat-instance, nat-gateway");
    });
});

const ip = (cidr: string) => cidr.split("/")[0].split(".").reduce((acc, o) => acc * 256 + Number(o), 0);

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
