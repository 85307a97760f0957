import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";

import { serviceTrustPolicy } from "./iam";
import { ipv4CidrProblem } from "./network-rules";

/** Arguments of {@link StandaloneNetwork}. */
export interface StandaloneNetworkArgs {
    /** IPv4 CIDR of the VPC, /16 to /24. */
    cidrBlock: string;
    /** Region, for the S3 gateway endpoint's service name. */
    region: string;
    /** KMS key of the flow-log group. */
    kmsKeyArn: pulumi.Input<string>;
    /** Retention of the flow-log group, in days. */
    logRetentionDays: number;
}

export function validateStandaloneNetworkArgs(args: StandaloneNetworkArgs): string[] {
    const p = ipv4CidrProblem(args.cidrBlock, 16, 24);
    return p ? [`cidrBlock "${args.cidrBlock}": ${p}`] : [];
}

/**
 * A network for a stack without a foundation (dev in a fresh account): a VPC with private and public subnets in two
 * availability zones, one NAT gateway (the cheapest egress that still works), a free S3 gateway endpoint so artifact
 * traffic bypasses the NAT gateway, and VPC flow logs to an encrypted log group.
 */
export class StandaloneNetwork extends pulumi.ComponentResource {
    public readonly vpcId: pulumi.Output<string>;
    public readonly vpcCidr: pulumi.Output<string>;
    public readonly privateSubnetIds: pulumi.Output<string[]>;
    public readonly publicSubnetIds: pulumi.Output<string[]>;

    constructor(name: string, args: StandaloneNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:network:StandaloneNetwork", name, {}, opts);
        const problems = validateStandaloneNetworkArgs(args);
        if (problems.length) throw new Error(`StandaloneNetwork ${name}: ${problems.join("; ")}`);

        const vpc = new awsx.ec2.Vpc(
            `${name}-vpc`,
            {
                cidrBlock: args.cidrBlock,
                numberOfAvailabilityZones: 2,
                natGateways: { strategy: awsx.ec2.NatGatewayStrategy.Single },
                subnetStrategy: awsx.ec2.SubnetAllocationStrategy.Auto,
                subnetSpecs: [
                    { type: awsx.ec2.SubnetType.Private, cidrMask: 20 },
                    { type: awsx.ec2.SubnetType.Public, cidrMask: 24 },
                ],
                enableDnsHostnames: true,
                enableDnsSupport: true,
            },
            { parent: this },
        );

        new aws.ec2.VpcEndpoint(
            `${name}-s3-endpoint`,
            {
                vpcId: vpc.vpcId,
                serviceName: `com.amazonaws.${args.region}.s3`,
                vpcEndpointType: "Gateway",
                routeTableIds: vpc.routeTables.apply((tables) => tables.map((t) => t.id)),
            },
            { parent: this },
        );

        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-flow-logs`,
            { retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn },
            { parent: this },
        );
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const role = new aws.iam.Role(
            `${name}-flow-logs`,
            {
                description: "VPC flow logs delivery to CloudWatch Logs",
                assumeRolePolicy: serviceTrustPolicy("vpc-flow-logs.amazonaws.com", account),
            },
            { parent: this },
        );
        new aws.iam.RolePolicy(
            `${name}-flow-logs`,
            {
                role: role.id,
                policy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                            Resource: [logGroup.arn, pulumi.interpolate`${logGroup.arn}:*`],
                        },
                    ],
                }),
            },
            { parent: this },
        );
        new aws.ec2.FlowLog(
            `${name}-flow-log`,
            { vpcId: vpc.vpcId, trafficType: "ALL", logDestinationType: "cloud-watch-logs", logDestination: logGroup.arn, iamRoleArn: role.arn },
            { parent: this },
        );

        this.vpcId = vpc.vpcId;
        this.vpcCidr = pulumi.output(args.cidrBlock);
        this.privateSubnetIds = vpc.privateSubnetIds;
        this.publicSubnetIds = vpc.publicSubnetIds;
        this.registerOutputs({ vpcId: this.vpcId, vpcCidr: this.vpcCidr, privateSubnetIds: this.privateSubnetIds, publicSubnetIds: this.publicSubnetIds });
    }
}
