import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { regionalArns, serviceRole } from "./iam";
import { StepContext } from "./step-context";
import { NAME_LIMITS, physicalName } from "./naming";

/** The cheapest instance that runs the SSM agent: Graviton, 2 vCPU burstable, 0.5 GiB. */
export const ACCESS_INSTANCE_TYPE = "t4g.nano";
/** Amazon Linux 2023 (arm64) through EC2's `resolve:ssm:` image reference: always the current AMI, SSM agent included. */
export const ACCESS_INSTANCE_AMI = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64";
/** The Session Manager document that forwards a local port to a host the instance reaches. */
export const PORT_FORWARDING_DOCUMENT = "AWS-StartPortForwardingSessionToRemoteHost";
export const ACCESS_ROOT_VOLUME_GIB = 8;

/** Arguments of {@link AccessInstance}. */
export interface AccessInstanceArgs {
    namePrefix: string;
    region: string;
    vpcId: pulumi.Input<string>;
    /** The VPC's CIDR: the instance may reach the metadata service's load balancer (HTTP on 80) inside it. */
    vpcCidr: pulumi.Input<string>;
    /** A private subnet (the instance has no public address; it reaches Session Manager through the NAT gateway). */
    subnetId: pulumi.Input<string>;
    /** The engineers' roles, which get the policy to start port-forwarding sessions through this instance only. */
    engineerRoleNames: string[];
}

/** What every step of the access instance shares: its name and arguments, the parent, the account and its ARNs. */
type AccessContext = StepContext<AccessInstanceArgs>;

/** The instance's security group: nothing in; out only HTTPS (Session Manager) and HTTP to the load balancer in the VPC. */
function accessSecurityGroup(ctx: AccessContext): aws.ec2.SecurityGroup {
    const { name, args } = ctx;
    const opts = { parent: ctx.parent };
    const sg = new aws.ec2.SecurityGroup(`${name}-sg`, { vpcId: args.vpcId, description: "Session Manager access instance: no inbound rule", tags: { Name: `${args.namePrefix}-access` } }, opts);
    new aws.vpc.SecurityGroupEgressRule(
        `${name}-out-https`,
        { securityGroupId: sg.id, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0", description: "Session Manager and SSM endpoints (HTTPS)" },
        opts,
    );
    new aws.vpc.SecurityGroupEgressRule(
        `${name}-out-service`,
        { securityGroupId: sg.id, ipProtocol: "tcp", fromPort: 80, toPort: 80, cidrIpv4: args.vpcCidr, description: "Metadata service load balancer (HTTP inside the VPC)" },
        opts,
    );
    return sg;
}

/** The instance's role, allowed only what the SSM agent needs for sessions, and its instance profile. */
function agentProfile(ctx: AccessContext): aws.iam.InstanceProfile {
    const { name, args } = ctx;
    const opts = { parent: ctx.parent };
    const role = serviceRole(
        `${name}-role`,
        { namePrefix: args.namePrefix, nameSuffix: "access-instance", description: "Session Manager access instance (port forwarding to the metadata service)", service: "ec2.amazonaws.com", account: ctx.account },
        opts,
    );
    // What the SSM agent calls for Session Manager (the session-related part of AmazonSSMManagedInstanceCore).
    new aws.iam.RolePolicy(
        `${name}-agent`,
        {
            role: role.id,
            policy: pulumi.jsonStringify({
                Version: "2012-10-17",
                Statement: [
                    { Sid: "RegisterInstance", Effect: "Allow", Action: ["ssm:UpdateInstanceInformation"], Resource: ctx.arn("ec2", "instance/*") },
                    {
                        Sid: "SessionChannels",
                        Effect: "Allow",
                        Action: ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"],
                        Resource: "*",
                    },
                ],
            }),
        },
        opts,
    );
    return new aws.iam.InstanceProfile(`${name}-profile`, { name: physicalName(args.namePrefix, "access-instance", NAME_LIMITS.iamRole), role: role.name }, opts);
}

/** The t4g.nano itself: private subnet, no public address, IMDSv2 only with hop limit 1, encrypted root volume. */
function accessInstance(ctx: AccessContext, sg: aws.ec2.SecurityGroup, profile: aws.iam.InstanceProfile): aws.ec2.Instance {
    const { args } = ctx;
    return new aws.ec2.Instance(
        `${ctx.name}-instance`,
        {
            ami: ACCESS_INSTANCE_AMI,
            instanceType: ACCESS_INSTANCE_TYPE,
            subnetId: args.subnetId,
            vpcSecurityGroupIds: [sg.id],
            iamInstanceProfile: profile.name,
            associatePublicIpAddress: false,
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
            rootBlockDevice: { volumeType: "gp3", volumeSize: ACCESS_ROOT_VOLUME_GIB, encrypted: true },
            tags: { Name: `${args.namePrefix}-access` },
        },
        { parent: ctx.parent },
    );
}

/** The engineers' policy to forward ports through this instance, attached to each engineer role. */
function engineersPolicy(ctx: AccessContext, instance: aws.ec2.Instance): aws.iam.Policy {
    const { name, args, account } = ctx;
    // Engineers may open port-forwarding sessions to this instance only, and end their own sessions.
    const policy = new aws.iam.Policy(
        `${name}-engineers`,
        {
            name: physicalName(args.namePrefix, "access-port-forwarding", NAME_LIMITS.iamRole),
            description: "Start Session Manager port forwarding through the stack's access instance",
            policy: pulumi.jsonStringify({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "PortForwardThroughAccessInstance",
                        Effect: "Allow",
                        Action: ["ssm:StartSession"],
                        Resource: [pulumi.interpolate`arn:aws:ec2:${args.region}:${account}:instance/${instance.id}`, `arn:aws:ssm:${args.region}:*:document/${PORT_FORWARDING_DOCUMENT}`],
                    },
                    { Sid: "EndOwnSessions", Effect: "Allow", Action: ["ssm:TerminateSession", "ssm:ResumeSession"], Resource: pulumi.interpolate`arn:aws:ssm:${args.region}:${account}:session/\${aws:userid}-*` },
                ],
            }),
        },
        { parent: ctx.parent },
    );
    for (const roleName of args.engineerRoleNames) {
        new aws.iam.RolePolicyAttachment(`${name}-${roleName}`, { role: roleName, policyArn: policy.arn }, { parent: ctx.parent });
    }
    return policy;
}

/**
 * Engineers' way into a stack without a foundation's VPN or bastion: Session Manager port forwarding through one
 * t4g.nano in a private subnet. No inbound rule and no public address: the SSM agent connects out (HTTPS through the
 * NAT gateway the standalone network already has, so no interface endpoints, which would cost more than the
 * instance), and an engineer runs
 * `aws ssm start-session --target <instance> --document-name AWS-StartPortForwardingSessionToRemoteHost` to reach the
 * metadata service's internal load balancer from a laptop. The instance's security group is admitted by the load
 * balancer like the foundation's user-access group. IMDSv2 only, hop limit 1, encrypted root volume.
 */
export class AccessInstance extends pulumi.ComponentResource {
    public readonly instanceId: pulumi.Output<string>;
    public readonly securityGroupId: pulumi.Output<string>;
    public readonly policyArn: pulumi.Output<string>;

    constructor(name: string, args: AccessInstanceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:security:AccessInstance", name, {}, opts);
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const ctx: AccessContext = { name, args, parent: this, account, arn: regionalArns(args.region, account) };

        const sg = accessSecurityGroup(ctx);
        const profile = agentProfile(ctx);
        const instance = accessInstance(ctx, sg, profile);
        const policy = engineersPolicy(ctx, instance);

        this.instanceId = instance.id;
        this.securityGroupId = sg.id;
        this.policyArn = policy.arn;
        this.registerOutputs({ instanceId: this.instanceId, securityGroupId: this.securityGroupId, policyArn: this.policyArn });
    }
}
