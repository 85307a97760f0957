import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { ACCESS_INSTANCE_AMI } from "./access-instance";
import { serviceTrustPolicy } from "./iam";
import { EGRESS_MODES, EgressMode, ipv4CidrProblem, subnetLayout } from "./network-rules";

export { EGRESS_MODES, EgressMode } from "./network-rules";


/** Graviton, 2 vCPU burstable, 0.5 GiB: the smallest instance that forwards a dev stack's traffic. */
export const NAT_INSTANCE_TYPE = "t4g.nano";
/** Amazon Linux 2023 (arm64), the current AMI through EC2's `resolve:ssm:` image reference, as the access instance. */
export const NAT_INSTANCE_AMI = ACCESS_INSTANCE_AMI;
export const NAT_ROOT_VOLUME_GIB = 8;
/** What the NAT instance forwards: HTTPS, the only port the platform's Batch instances and tasks may open to the internet. */
export const NAT_FORWARDED_PORTS = [443] as const;

/**
 * First-boot script of the NAT instance, after AWS's procedure for a NAT AMI on Amazon Linux 2023 (VPC User Guide,
 * "NAT instances" > "Create a NAT AMI", https://docs.aws.amazon.com/vpc/latest/userguide/work-with-nat-instances.html):
 * IP forwarding on, masquerading of the VPC's traffic on the primary interface, the FORWARD chain's default reject
 * flushed, and both saved (sysctl.d, /etc/sysconfig/iptables loaded by the iptables service) so that a stop and start
 * (office hours) or a reboot keeps the instance a NAT.
 */
export function natInstanceUserData(vpcCidr: string): string {
    return [
        "#!/bin/bash",
        "set -euo pipefail",
        "dnf install -y iptables-services",
        "systemctl enable --now iptables",
        "echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-nat-instance.conf",
        "sysctl -p /etc/sysctl.d/90-nat-instance.conf",
        "iface=$(ip -o -4 route show to default | awk '{print $5; exit}')",
        `iptables -t nat -A POSTROUTING -o "$iface" -s ${vpcCidr} -j MASQUERADE`,
        "iptables -F FORWARD",
        "iptables-save > /etc/sysconfig/iptables",
        "",
    ].join("\n");
}

/** Arguments of {@link StandaloneNetwork}. */
export interface StandaloneNetworkArgs {
    /** Short prefix of the Name tags. */
    namePrefix: string;
    /** IPv4 CIDR of the VPC, /16 to /24. */
    cidrBlock: string;
    /** Region, for the S3 gateway endpoint's service name. */
    region: string;
    /** KMS key of the flow-log group. */
    kmsKeyArn: pulumi.Input<string>;
    /** Retention of the flow-log group, in days. */
    logRetentionDays: number;
    /** How the private subnets reach the internet. */
    egress: EgressMode;
}

export function validateStandaloneNetworkArgs(args: StandaloneNetworkArgs): string[] {
    const problems: string[] = [];
    const p = ipv4CidrProblem(args.cidrBlock, 16, 24);
    if (p) problems.push(`cidrBlock "${args.cidrBlock}": ${p}`);
    if (!EGRESS_MODES.includes(args.egress)) problems.push(`egress "${args.egress}": one of ${EGRESS_MODES.join(", ")}`);
    return problems;
}

/** What every step of the network shares: its name and arguments, the parent, and the Name tag of a role. */
interface NetworkContext {
    name: string;
    args: StandaloneNetworkArgs;
    parent: { parent: pulumi.Resource };
    /** `{ Name: <namePrefix>-<role> }`. */
    tag: (role: string) => { Name: string };
}

/** The two private and two public subnets, one of each per availability zone. */
interface Subnets {
    privates: aws.ec2.Subnet[];
    publics: aws.ec2.Subnet[];
}

/** The internet gateway and the two route tables: public (to the gateway) and private (egress added by the mode). */
interface Routing {
    igw: aws.ec2.InternetGateway;
    publicTable: aws.ec2.RouteTable;
    privateTable: aws.ec2.RouteTable;
}

/** The VPC, with DNS, and its default security group emptied. */
function vpcWithEmptyDefaultGroup(ctx: NetworkContext): aws.ec2.Vpc {
    const { name, args, parent, tag } = ctx;
    const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: args.cidrBlock, enableDnsHostnames: true, enableDnsSupport: true, tags: tag("vpc") }, parent);
    // No rule: nothing may use the default group by accident (CIS AWS Foundations 5.4).
    new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.id, tags: tag("default-unused") }, parent);
    return vpc;
}

/** A private and a public subnet in each of the first two available zones (no opt-in zones), none mapping public IPs. */
function subnets(ctx: NetworkContext, vpc: aws.ec2.Vpc): Subnets {
    const { name, parent, tag } = ctx;
    const layout = subnetLayout(ctx.args.cidrBlock);
    const zones = aws.getAvailabilityZonesOutput({ state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] }, parent).names;
    const subnet = (kind: "private" | "public", i: 0 | 1) =>
        new aws.ec2.Subnet(
            `${name}-${kind}-${i + 1}`,
            { vpcId: vpc.id, cidrBlock: layout[kind][i], availabilityZone: zones.apply((z) => z[i]), mapPublicIpOnLaunch: false, tags: tag(`${kind}-${i + 1}`) },
            parent,
        );
    const privates = [subnet("private", 0), subnet("private", 1)];
    const publics = [subnet("public", 0), subnet("public", 1)];
    return { privates, publics };
}

/** The internet gateway, the public route table with its default route to it, the private route table, and their subnets. */
function routing(ctx: NetworkContext, vpc: aws.ec2.Vpc, s: Subnets): Routing {
    const { name, parent, tag } = ctx;
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tag("igw") }, parent);
    const publicTable = new aws.ec2.RouteTable(`${name}-public`, { vpcId: vpc.id, tags: tag("public") }, parent);
    new aws.ec2.Route(`${name}-public-internet`, { routeTableId: publicTable.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id }, parent);
    const privateTable = new aws.ec2.RouteTable(`${name}-private`, { vpcId: vpc.id, tags: tag("private") }, parent);
    s.publics.forEach((sn, i) => new aws.ec2.RouteTableAssociation(`${name}-public-${i + 1}`, { subnetId: sn.id, routeTableId: publicTable.id }, parent));
    s.privates.forEach((sn, i) => new aws.ec2.RouteTableAssociation(`${name}-private-${i + 1}`, { subnetId: sn.id, routeTableId: privateTable.id }, parent));
    return { igw, publicTable, privateTable };
}

/** Egress `nat-gateway`: one NAT gateway with an Elastic IP in the first public subnet, the private tables' default route. */
function natGatewayEgress(ctx: NetworkContext, s: Subnets, r: Routing): void {
    const { name, parent, tag } = ctx;
    const eip = new aws.ec2.Eip(`${name}-nat`, { domain: "vpc", tags: tag("nat") }, parent);
    const nat = new aws.ec2.NatGateway(`${name}-nat`, { allocationId: eip.id, subnetId: s.publics[0].id, connectivityType: "public", tags: tag("nat") }, { ...parent, dependsOn: [r.igw] });
    new aws.ec2.Route(`${name}-private-egress`, { routeTableId: r.privateTable.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: nat.id }, parent);
}

/** Egress `nat-instance`: a t4g.nano forwarding HTTPS only, in the first public subnet, the private tables' default route. */
function natInstanceEgress(ctx: NetworkContext, vpc: aws.ec2.Vpc, s: Subnets, r: Routing): aws.ec2.Instance {
    const { name, args, parent, tag } = ctx;
    const sg = new aws.ec2.SecurityGroup(`${name}-nat-sg`, { vpcId: vpc.id, description: "NAT instance: HTTPS from the VPC out to the internet", tags: tag("nat") }, parent);
    for (const port of NAT_FORWARDED_PORTS) {
        new aws.vpc.SecurityGroupIngressRule(`${name}-nat-in-${port}`, { securityGroupId: sg.id, ipProtocol: "tcp", fromPort: port, toPort: port, cidrIpv4: args.cidrBlock, description: `Port ${port} from the VPC, to be translated` }, parent);
        new aws.vpc.SecurityGroupEgressRule(`${name}-nat-out-${port}`, { securityGroupId: sg.id, ipProtocol: "tcp", fromPort: port, toPort: port, cidrIpv4: "0.0.0.0/0", description: `Port ${port} to the internet` }, parent);
    }
    // No instance profile (a NAT needs no AWS permission, so a compromised one holds no credentials), no key
    // pair, no inbound port but the forwarded ones. Its public address is EC2's, released while it is stopped
    // (an Elastic IP would be billed then too). Standard CPU credits: it can never cost more than its hourly
    // price. On a failed host, EC2's simplified automatic recovery should restart it (default for supported types; not checked against AWS for t4g here).
    const instance = new aws.ec2.Instance(
        `${name}-nat`,
        {
            ami: NAT_INSTANCE_AMI,
            instanceType: NAT_INSTANCE_TYPE,
            subnetId: s.publics[0].id,
            vpcSecurityGroupIds: [sg.id],
            associatePublicIpAddress: true,
            sourceDestCheck: false,
            creditSpecification: { cpuCredits: "standard" },
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
            rootBlockDevice: { volumeType: "gp3", volumeSize: NAT_ROOT_VOLUME_GIB, encrypted: true },
            userData: natInstanceUserData(args.cidrBlock),
            userDataReplaceOnChange: true,
            tags: tag("nat"),
        },
        { ...parent, dependsOn: [r.igw] },
    );
    new aws.ec2.Route(`${name}-private-egress`, { routeTableId: r.privateTable.id, destinationCidrBlock: "0.0.0.0/0", networkInterfaceId: instance.primaryNetworkInterfaceId }, parent);
    return instance;
}

/** The free S3 gateway endpoint on both route tables, so artifact and image-layer traffic bypasses the NAT. */
function s3Endpoint(ctx: NetworkContext, vpc: aws.ec2.Vpc, r: Routing): void {
    new aws.ec2.VpcEndpoint(
        `${ctx.name}-s3-endpoint`,
        { vpcId: vpc.id, serviceName: `com.amazonaws.${ctx.args.region}.s3`, vpcEndpointType: "Gateway", routeTableIds: [r.privateTable.id, r.publicTable.id], tags: ctx.tag("s3") },
        ctx.parent,
    );
}

/** VPC flow logs of all traffic to an encrypted log group, delivered with a role that may write only there. */
function flowLogs(ctx: NetworkContext, vpc: aws.ec2.Vpc): void {
    const { name, args, parent } = ctx;
    const logGroup = new aws.cloudwatch.LogGroup(`${name}-flow-logs`, { retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn }, parent);
    const account = aws.getCallerIdentityOutput({}, parent).accountId;
    const role = new aws.iam.Role(
        `${name}-flow-logs`,
        { description: "VPC flow logs delivery to CloudWatch Logs", assumeRolePolicy: serviceTrustPolicy("vpc-flow-logs.amazonaws.com", account) },
        parent,
    );
    new aws.iam.RolePolicy(
        `${name}-flow-logs`,
        {
            role: role.id,
            policy: pulumi.jsonStringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], Resource: [logGroup.arn, pulumi.interpolate`${logGroup.arn}:*`] }],
            }),
        },
        parent,
    );
    new aws.ec2.FlowLog(`${name}-flow-log`, { vpcId: vpc.id, trafficType: "ALL", logDestinationType: "cloud-watch-logs", logDestination: logGroup.arn, iamRoleArn: role.arn }, parent);
}

/**
 * A network for a stack without a foundation (dev in a fresh account): a VPC with a private and a public subnet in
 * each of two availability zones, egress through a NAT instance or one NAT gateway in the first zone, a free S3
 * gateway endpoint so artifact and image-layer traffic bypasses it, the default security group emptied, and VPC flow
 * logs to an encrypted log group. Every route is a resource of this component, so policies and the cost estimate see
 * where traffic goes.
 */
export class StandaloneNetwork extends pulumi.ComponentResource {
    public readonly vpcId: pulumi.Output<string>;
    public readonly vpcCidr: pulumi.Output<string>;
    public readonly privateSubnetIds: pulumi.Output<string[]>;
    public readonly publicSubnetIds: pulumi.Output<string[]>;
    public readonly egress: EgressMode;
    /** The NAT instance (egress `nat-instance`): office hours stop and start it with the service. */
    public readonly natInstanceId?: pulumi.Output<string>;

    constructor(name: string, args: StandaloneNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:network:StandaloneNetwork", name, {}, opts);
        const problems = validateStandaloneNetworkArgs(args);
        if (problems.length) throw new Error(`StandaloneNetwork ${name}: ${problems.join("; ")}`);
        const ctx: NetworkContext = { name, args, parent: { parent: this }, tag: (role) => ({ Name: `${args.namePrefix}-${role}` }) };

        const vpc = vpcWithEmptyDefaultGroup(ctx);
        const s = subnets(ctx, vpc);
        const r = routing(ctx, vpc, s);
        if (args.egress === "nat-gateway") natGatewayEgress(ctx, s, r);
        else this.natInstanceId = natInstanceEgress(ctx, vpc, s, r).id;
        s3Endpoint(ctx, vpc, r);
        flowLogs(ctx, vpc);

        this.vpcId = vpc.id;
        this.vpcCidr = pulumi.output(args.cidrBlock);
        this.privateSubnetIds = pulumi.all(s.privates.map((sn) => sn.id));
        this.publicSubnetIds = pulumi.all(s.publics.map((sn) => sn.id));
        this.egress = args.egress;
        this.registerOutputs({ vpcId: this.vpcId, vpcCidr: this.vpcCidr, privateSubnetIds: this.privateSubnetIds, publicSubnetIds: this.publicSubnetIds, natInstanceId: this.natInstanceId });
    }
}
