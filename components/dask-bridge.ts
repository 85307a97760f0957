import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of {@link DaskBridge}. */
export interface DaskBridgeArgs {
    /** Short prefix: the parameters live under `/<namePrefix>/dask/`, which the Metaflow job role may read. */
    namePrefix: string;
    /** The Batch compute security group: the Dask clients are Metaflow tasks. */
    computeSecurityGroupId: pulumi.Input<string>;
    /** The A02 scheduler's address, `tcp://host:port` or `host:port`. */
    schedulerAddress: string;
    /** The A02 scheduler's security group: gets one ingress rule, from the compute security group on the scheduler port. */
    schedulerSecurityGroupId: string;
    /** The A02 dashboard, published for engineers when given. */
    dashboardUrl?: string;
}

/** Port of a `tcp://host:port` or `host:port` address, or undefined when it has none or an invalid one. */
export function schedulerPort(address: string): number | undefined {
    const m = /^(?:tcp:\/\/)?[A-Za-z0-9.-]+:(\d{1,5})$/.exec(address);
    const port = m ? Number(m[1]) : NaN;
    return port >= 1 && port <= 65535 ? port : undefined;
}

export function validateDaskBridgeArgs(args: DaskBridgeArgs): string[] {
    const problems: string[] = [];
    if (schedulerPort(args.schedulerAddress) === undefined) problems.push(`schedulerAddress "${args.schedulerAddress}" must be tcp://host:port or host:port`);
    if (!/^sg-[0-9a-f]{8,17}$/.test(args.schedulerSecurityGroupId)) problems.push(`schedulerSecurityGroupId "${args.schedulerSecurityGroupId}" must be a security group id`);
    if (!/^[a-z][a-z0-9-]{1,15}$/.test(args.namePrefix)) problems.push(`namePrefix "${args.namePrefix}" must be 2-16 lowercase letters, digits or hyphens`);
    return problems;
}

/**
 * Connects Metaflow tasks to the A02 Dask cluster: the compute security group may open connections to the scheduler
 * port only, the scheduler admits exactly that group on that port, and the scheduler address (and dashboard) are
 * published in Parameter Store under the platform's namespace, where flows read them at run time.
 *
 * Clients talk to the scheduler only: with `Client(address, direct_to_workers=False)` results travel through the
 * scheduler, so worker ports (random by default) stay closed.
 */
export class DaskBridge extends pulumi.ComponentResource {
    public readonly schedulerAddress: pulumi.Output<string>;
    /** Parameter Store name holding the scheduler address. */
    public readonly schedulerAddressParameter: pulumi.Output<string>;
    public readonly dashboardUrlParameter?: pulumi.Output<string>;

    constructor(name: string, args: DaskBridgeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:integration:DaskBridge", name, {}, opts);
        const problems = validateDaskBridgeArgs(args);
        if (problems.length) throw new Error(`DaskBridge ${name}: ${problems.join("; ")}`);
        const port = schedulerPort(args.schedulerAddress)!;

        new aws.vpc.SecurityGroupEgressRule(
            `${name}-to-scheduler`,
            {
                securityGroupId: args.computeSecurityGroupId,
                referencedSecurityGroupId: args.schedulerSecurityGroupId,
                ipProtocol: "tcp",
                fromPort: port,
                toPort: port,
                description: "Metaflow tasks to the Dask scheduler",
            },
            { parent: this },
        );
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-from-metaflow`,
            {
                securityGroupId: args.schedulerSecurityGroupId,
                referencedSecurityGroupId: args.computeSecurityGroupId,
                ipProtocol: "tcp",
                fromPort: port,
                toPort: port,
                description: `Metaflow tasks (${args.namePrefix}) to the Dask scheduler`,
            },
            { parent: this },
        );

        const address = new aws.ssm.Parameter(
            `${name}-scheduler-address`,
            {
                name: `/${args.namePrefix}/dask/scheduler-address`,
                type: "String",
                insecureValue: args.schedulerAddress,
                description: "Address of the A02 Dask scheduler, for dask.distributed.Client",
            },
            { parent: this },
        );
        if (args.dashboardUrl !== undefined) {
            const dashboard = new aws.ssm.Parameter(
                `${name}-dashboard-url`,
                { name: `/${args.namePrefix}/dask/dashboard-url`, type: "String", insecureValue: args.dashboardUrl, description: "Dashboard of the A02 Dask cluster" },
                { parent: this },
            );
            this.dashboardUrlParameter = dashboard.name;
        }

        this.schedulerAddress = pulumi.output(args.schedulerAddress);
        this.schedulerAddressParameter = address.name;
        this.registerOutputs({ schedulerAddress: this.schedulerAddress, schedulerAddressParameter: this.schedulerAddressParameter, dashboardUrlParameter: this.dashboardUrlParameter });
    }
}
