/**
 * Workspaces for the ML engineers: a SageMaker AI Studio domain in VPC-only mode in the platform's private subnets,
 * one user profile per engineer that only that engineer may open, and a JupyterLab that comes up with the stack's
 * Metaflow profile, the platform's Metaflow version and the templates. Design and sources:
 * docs/design/workspaces-and-serving.md; operations: docs/operations.md, "Workspaces".
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { regionalArns, serviceRole } from "../iam";
import { NAME_LIMITS, physicalName } from "../naming";
import { StepContext } from "../step-context";
import { engineerStatements, executionRoleStatements, policyDocument } from "./access";
import { lifecycleContent } from "./lifecycle";
import { domainName, WorkspaceEngineer, WorkspacesSettings } from "./rules";

export * from "./rules";

/** Where the templates go under the datastore bucket; the lifecycle configuration copies them into each workspace. */
export const TEMPLATES_PREFIX = "platform/templates/";

/**
 * The interface endpoints a VPC-only domain needs without NAT: the SageMaker API and runtime (AWS: "you won't be able
 * to run Studio unless your VPC has an interface endpoint to the SageMaker API and runtime, or a NAT gateway",
 * docs.aws.amazon.com/sagemaker/latest/dg/studio-updated-and-internet-access.html), STS, and what Metaflow and the
 * lifecycle configuration call (GUIDE section 3): Parameter Store, Secrets Manager, Batch, Step Functions, EventBridge,
 * CloudWatch Logs. S3 is the VPC's gateway endpoint.
 */
export const INTERFACE_ENDPOINT_SERVICES = ["sagemaker.api", "sagemaker.runtime", "sts", "ssm", "secretsmanager", "batch", "states", "events", "logs"] as const;

/** Arguments of {@link Workspaces}. */
export interface WorkspacesArgs {
    /** Short prefix: the domain `<namePrefix>-workspaces`, its role, lifecycle configuration and policies. */
    namePrefix: string;
    region: string;
    /** The stack name: the profile is written to `~/.metaflowconfig/config_<stack>.json`. */
    stack: string;
    /** What the configuration resolved (components/workspaces/rules.ts). */
    settings: WorkspacesSettings;
    /** The cost policy's JupyterLab instance types: the execution role may start no other. */
    allowedInstanceTypes: string[];
    vpcId: pulumi.Input<string>;
    /** The private subnets the domain's apps run in (1-16, AWS's CreateDomain limit). */
    privateSubnetIds: pulumi.Input<string[]>;
    /** The platform key: the domain's EFS home volume and the spaces' EBS volumes. */
    kmsKeyArn: pulumi.Input<string>;
    /** `/<namePrefix>/metaflow/profile`: the SecureString the lifecycle configuration reads at every start. */
    profileParameterName: string;
    /** The datastore bucket: the templates are uploaded under {@link TEMPLATES_PREFIX}. */
    bucketName: pulumi.Input<string>;
    /** The templates, by path relative to templates/ (`deploy_model.py`): uploaded and copied into each workspace. */
    templates: Record<string, string>;
    /**
     * The engineers' policies (EngineerAccess) by name, e.g. `{engineer, "engineer-deploy"}`: a workspace may do what its
     * engineer may, to develop, run and deploy flows. Each is attached to every engineer's role as `-role-<name>-<key>`.
     */
    engineerPolicyArns: Record<string, pulumi.Input<string>>;
    /** The engineers' roles (federated FreeIPA/SSO): they get the domain access policy. */
    engineerRoleNames: string[];
    /** Protect the domain (prod). */
    protect: boolean;
}

export function validateWorkspacesArgs(args: WorkspacesArgs): string[] {
    const problems: string[] = [];
    if (!/^[a-z][a-z0-9-]{1,30}$/.test(args.namePrefix)) problems.push(`namePrefix "${args.namePrefix}" must be 2-31 lowercase letters, digits or hyphens`);
    if (!args.settings.engineers.length) problems.push("settings.engineers: at least one engineer (leave workspaces unset for none)");
    if (!args.allowedInstanceTypes.includes(args.settings.defaultInstanceType)) problems.push(`settings.defaultInstanceType ${args.settings.defaultInstanceType} is not among allowedInstanceTypes ${args.allowedInstanceTypes.join(", ")}`);
    if (domainName(args.namePrefix).length > NAME_LIMITS.sagemakerDomain) problems.push(`the domain name ${domainName(args.namePrefix)} exceeds ${NAME_LIMITS.sagemakerDomain} characters`);
    return problems;
}

/** An egress rule of the workspaces' security group, like BatchCompute's: a port to a security group. */
export interface WorkspaceEgress {
    port: number;
    securityGroupId: pulumi.Input<string>;
    description: string;
}

type WorkspacesContext = StepContext<WorkspacesArgs>;

/** The workspaces' security group: nothing comes in; HTTPS goes out (NAT or the interface endpoints). */
function securityGroup(ctx: WorkspacesContext): aws.ec2.SecurityGroup {
    const sg = new aws.ec2.SecurityGroup(
        `${ctx.name}-sg`,
        { vpcId: ctx.args.vpcId, description: `Studio workspaces of ${ctx.args.namePrefix}: no ingress; HTTPS and the metadata service out`, tags: { Name: `${ctx.args.namePrefix}-workspaces` } },
        { parent: ctx.parent },
    );
    new aws.vpc.SecurityGroupEgressRule(
        `${ctx.name}-out-https`,
        { securityGroupId: sg.id, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0", description: "HTTPS to SageMaker, STS, Parameter Store, S3 and the package index" },
        { parent: ctx.parent },
    );
    return sg;
}

/**
 * The domain's default execution role, which no profile of the platform uses (each engineer has their own): it has no
 * permissions, so a profile created outside the platform can do nothing with it.
 */
function defaultRole(ctx: WorkspacesContext): aws.iam.Role {
    return serviceRole(
        `${ctx.name}-role`,
        { namePrefix: ctx.args.namePrefix, nameSuffix: "workspace", description: `SageMaker Studio domain of ${ctx.args.namePrefix}: default role, no permissions`, service: "sagemaker.amazonaws.com", account: ctx.account },
        { parent: ctx.parent },
    );
}

/** One engineer's execution role: the engineer policy, and JupyterLab's calls on their own spaces and apps once the domain exists. */
function engineerRole(ctx: WorkspacesContext, e: WorkspaceEngineer, d: aws.sagemaker.Domain): aws.iam.Role {
    const { args } = ctx;
    const key = `${ctx.name}-role-${e.profile.toLowerCase()}`;
    const role = serviceRole(
        key,
        { namePrefix: args.namePrefix, nameSuffix: `ws-${e.profile.toLowerCase()}`, description: `Studio workspace of ${e.id} (${args.namePrefix}): develop and run flows`, service: "sagemaker.amazonaws.com", account: ctx.account },
        { parent: ctx.parent },
    );
    for (const [suffix, policyArn] of Object.entries(args.engineerPolicyArns)) new aws.iam.RolePolicyAttachment(`${key}-${suffix}`, { role: role.name, policyArn }, { parent: ctx.parent });
    const policy = pulumi.all([ctx.account, d.id]).apply(([account, domainId]) =>
        policyDocument(executionRoleStatements({ sagemaker: `arn:aws:sagemaker:${args.region}:${account}`, domainId, profile: e.profile }, args.allowedInstanceTypes)),
    );
    new aws.iam.RolePolicy(`${key}-studio`, { role: role.id, policy }, { parent: ctx.parent });
    return role;
}

/** The templates under the datastore bucket, where the lifecycle configuration copies them from. */
function uploadTemplates(ctx: WorkspacesContext): void {
    for (const [file, content] of Object.entries(ctx.args.templates)) {
        new aws.s3.BucketObjectv2(
            `${ctx.name}-template-${file.replace(/[^A-Za-z0-9]+/g, "-")}`,
            { bucket: ctx.args.bucketName, key: `${TEMPLATES_PREFIX}${file}`, content, contentType: file.endsWith(".py") ? "text/x-python" : "text/plain" },
            { parent: ctx.parent },
        );
    }
}

/** The JupyterLab lifecycle configuration that runs on every start (components/workspaces/lifecycle.ts). */
function lifecycleConfig(ctx: WorkspacesContext): aws.sagemaker.StudioLifecycleConfig {
    const { args } = ctx;
    const s = args.settings;
    return new aws.sagemaker.StudioLifecycleConfig(
        `${ctx.name}-lcc`,
        {
            studioLifecycleConfigName: physicalName(args.namePrefix, "metaflow-workspace", NAME_LIMITS.sagemakerStudioLifecycleConfig),
            studioLifecycleConfigAppType: "JupyterLab",
            studioLifecycleConfigContent: pulumi.output(args.bucketName).apply((bucket) =>
                lifecycleContent({
                    stack: args.stack,
                    region: args.region,
                    profileParameterName: args.profileParameterName,
                    metaflowVersion: s.metaflowVersion,
                    templatesBucket: bucket,
                    templatesPrefix: TEMPLATES_PREFIX,
                    ...(s.pipIndexUrl ? { pipIndexUrl: s.pipIndexUrl } : {}),
                }),
            ),
        },
        { parent: ctx.parent },
    );
}

/** JupyterLab's settings for every profile: instance type, the built-in lifecycle configuration, idle shutdown. */
function jupyterLabSettings(s: WorkspacesSettings, lcc: aws.sagemaker.StudioLifecycleConfig) {
    return {
        defaultResourceSpec: { instanceType: s.defaultInstanceType },
        builtInLifecycleConfigArn: lcc.arn,
        lifecycleConfigArns: [lcc.arn],
        appLifecycleManagement: {
            idleSettings: { lifecycleManagement: "ENABLED", idleTimeoutInMinutes: s.idleTimeoutMinutes, minIdleTimeoutInMinutes: 60, maxIdleTimeoutInMinutes: s.maxIdleTimeoutMinutes },
        },
    };
}

/** The domain: VPC-only in the private subnets, IAM authentication, the platform key, Docker off, JupyterLab only. */
function domain(ctx: WorkspacesContext, role: aws.iam.Role, sg: aws.ec2.SecurityGroup, lcc: aws.sagemaker.StudioLifecycleConfig): aws.sagemaker.Domain {
    const { args } = ctx;
    const s = args.settings;
    return new aws.sagemaker.Domain(
        `${ctx.name}-domain`,
        {
            domainName: domainName(args.namePrefix),
            authMode: "IAM",
            appNetworkAccessType: "VpcOnly",
            vpcId: args.vpcId,
            subnetIds: args.privateSubnetIds,
            kmsKeyId: args.kmsKeyArn,
            // Cost-allocation tags of the domain reach the spaces and apps Studio creates.
            tagPropagation: "ENABLED",
            domainSettings: { executionRoleIdentityConfig: "USER_PROFILE_NAME", dockerSettings: { enableDockerAccess: "DISABLED" } },
            defaultUserSettings: {
                executionRole: role.arn,
                securityGroups: [sg.id],
                jupyterLabAppSettings: jupyterLabSettings(s, lcc),
                spaceStorageSettings: { defaultEbsStorageSettings: { defaultEbsVolumeSizeInGb: s.spaceStorageGb.default, maximumEbsVolumeSizeInGb: s.spaceStorageGb.max } },
                // The lifecycle configuration sets up JupyterLab only; the other apps are hidden.
                studioWebPortalSettings: { hiddenAppTypes: ["CodeEditor", "Canvas", "RStudioServerPro"] },
            },
            // "The EFS volume persists after the domain is deleted" with Retain
            // (docs.aws.amazon.com/sagemaker/latest/dg/encryption-at-rest-studio.html).
            retentionPolicy: { homeEfsFileSystem: s.retainHomeEfs ? "Retain" : "Delete" },
        },
        { parent: ctx.parent, protect: args.protect },
    );
}

/** One profile per engineer, tagged with their id under the principal tag key (what lets them open it), running as their own role. */
function profiles(ctx: WorkspacesContext, d: aws.sagemaker.Domain): aws.sagemaker.UserProfile[] {
    const s = ctx.args.settings;
    return s.engineers.map((e) => {
        const role = engineerRole(ctx, e, d);
        return new aws.sagemaker.UserProfile(
            `${ctx.name}-profile-${e.profile.toLowerCase()}`,
            { domainId: d.id, userProfileName: e.profile, userSettings: { executionRole: role.arn }, tags: { [s.principalTagKey]: e.id } },
            { parent: ctx.parent },
        );
    });
}

/** The engineers' domain policy, attached to their (federated) roles once the domain's id is known. */
function accessPolicy(ctx: WorkspacesContext, d: aws.sagemaker.Domain): pulumi.Output<string> {
    const { args } = ctx;
    const where = pulumi.all([ctx.account, d.id]).apply(([account, domainId]) => ({ sagemaker: `arn:aws:sagemaker:${args.region}:${account}`, domainId }));
    const policy = new aws.iam.Policy(
        `${ctx.name}-access`,
        {
            name: physicalName(args.namePrefix, "workspace-access", NAME_LIMITS.iamPolicy),
            description: `Engineers of ${args.namePrefix}: open only their own Studio workspace`,
            policy: where.apply((a) => policyDocument(engineerStatements(a, args.settings.principalTagKey))),
        },
        { parent: ctx.parent },
    );
    for (const r of args.engineerRoleNames) new aws.iam.RolePolicyAttachment(`${ctx.name}-access-${r}`, { role: r, policyArn: policy.arn }, { parent: ctx.parent });
    return policy.arn;
}

/** Without NAT: the interface endpoints, in the private subnets, admitting HTTPS from the workspaces only. */
function interfaceEndpoints(ctx: WorkspacesContext, sg: aws.ec2.SecurityGroup): void {
    const { args } = ctx;
    const endpointSg = new aws.ec2.SecurityGroup(`${ctx.name}-endpoints-sg`, { vpcId: args.vpcId, description: `Interface endpoints of the ${args.namePrefix} workspaces: HTTPS from the workspaces` }, { parent: ctx.parent });
    new aws.vpc.SecurityGroupIngressRule(
        `${ctx.name}-endpoints-in`,
        { securityGroupId: endpointSg.id, referencedSecurityGroupId: sg.id, ipProtocol: "tcp", fromPort: 443, toPort: 443, description: "HTTPS from the Studio workspaces" },
        { parent: ctx.parent },
    );
    for (const service of INTERFACE_ENDPOINT_SERVICES) {
        new aws.ec2.VpcEndpoint(
            `${ctx.name}-endpoint-${service.replace(".", "-")}`,
            { vpcId: args.vpcId, serviceName: `com.amazonaws.${args.region}.${service}`, vpcEndpointType: "Interface", privateDnsEnabled: true, subnetIds: args.privateSubnetIds, securityGroupIds: [endpointSg.id] },
            { parent: ctx.parent },
        );
    }
}

/**
 * The engineers' Studio workspaces. Children: `-sg` (no ingress; HTTPS out, and what `allowEgress` adds), `-role`
 * (the domain's default role, without permissions), `-template-*` (the templates in the bucket), `-lcc`, `-domain`,
 * per engineer `-profile-<name>` and `-role-<name>` (engineer policy + their own spaces and apps), `-access`
 * (attached to the engineers' roles), and with `egress: endpoints` `-endpoint-<service>` interface endpoints.
 */
export class Workspaces extends pulumi.ComponentResource {
    public readonly domainId: pulumi.Output<string>;
    public readonly domainUrl: pulumi.Output<string>;
    public readonly securityGroupId: pulumi.Output<string>;
    public readonly accessPolicyArn: pulumi.Output<string>;
    /** Profile name by engineer id. */
    public readonly profileNames: Record<string, string>;
    private readonly componentName: string;

    constructor(name: string, args: WorkspacesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:workspaces:Workspaces", name, {}, opts);
        const problems = validateWorkspacesArgs(args);
        if (problems.length) throw new Error(`Workspaces ${name}: ${problems.join("; ")}`);
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const ctx: WorkspacesContext = { name, args, parent: this, account, arn: regionalArns(args.region, account) };
        this.componentName = name;

        const sg = securityGroup(ctx);
        if (args.settings.egress === "endpoints") interfaceEndpoints(ctx, sg);
        const role = defaultRole(ctx);
        uploadTemplates(ctx);
        const lcc = lifecycleConfig(ctx);
        const d = domain(ctx, role, sg, lcc);
        profiles(ctx, d);
        this.accessPolicyArn = accessPolicy(ctx, d);

        this.domainId = d.id;
        this.domainUrl = d.url;
        this.securityGroupId = sg.id;
        this.profileNames = Object.fromEntries(args.settings.engineers.map((e) => [e.id, e.profile]));
        this.registerOutputs({ domainId: this.domainId, domainUrl: this.domainUrl, securityGroupId: this.securityGroupId });
    }

    /** Lets the workspaces reach one more destination, e.g. the metadata service's load balancer; named `<name>-<role>`. */
    public allowEgress(role: string, e: WorkspaceEgress): aws.vpc.SecurityGroupEgressRule {
        return new aws.vpc.SecurityGroupEgressRule(
            `${this.componentName}-${role}`,
            { securityGroupId: this.securityGroupId, ipProtocol: "tcp", fromPort: e.port, toPort: e.port, referencedSecurityGroupId: e.securityGroupId, description: e.description },
            { parent: this },
        );
    }
}
