/**
 * A CloudWatch dashboard of one stack: pipeline executions, Batch jobs, running capacity, the metadata service and its
 * database, spend against the budget, and delivery and cost figures per flow. The body is built by {@link dashboardBody} from the stack's resolved
 * resource names, so it changes with them on the next `pulumi up`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { physicalName } from "../naming";
import { dashboardBody, DashboardSpec } from "./dashboard-body";
import { freeStorageThresholdBytes } from "./rules";

/** Dashboard names: 1-255 characters of A-Z, a-z, 0-9, "-" and "_" (PutDashboard, DashboardName). */
const DASHBOARD_NAME = /^[A-Za-z0-9_-]{1,255}$/;

/** Arguments of {@link PlatformDashboard}. */
export interface PlatformDashboardArgs {
    /** Short prefix of physical names: the dashboard is `<namePrefix>-platform`. */
    namePrefix: string;
    /** Heading shown at the top of the dashboard. */
    title: string;
    region: string;
    /** Step Functions state machines named `<stateMachinePrefix>_*` are this stack's (SFN_STATE_MACHINE_PREFIX). */
    stateMachinePrefix: string;
    /** The platform's Batch job queues, by the configuration's queue id. */
    queueNames: Record<string, pulumi.Input<string>>;
    /** The metadata service, as CloudWatch dimensions. */
    service: {
        /** `app/<name>/<id>` of the load balancer. */
        loadBalancerArnSuffix: pulumi.Input<string>;
        /** `targetgroup/<name>/<id>` of the service's target group. */
        targetGroupArnSuffix: pulumi.Input<string>;
        clusterName: pulumi.Input<string>;
        serviceName: pulumi.Input<string>;
    };
    /** The dedicated database, when the stack owns one; its free-storage line is drawn at the alarm's threshold. */
    database?: { identifier: pulumi.Input<string>; allocatedStorageGb: number };
    /** The stack's monthly budget, USD. */
    monthlyBudgetUsd?: number;
    /** Namespace of the pipeline event log's metrics: adds the per-engineer and per-flow job graphs. */
    pipelineNamespace?: string;
    /** Served models' endpoint names, by model (`<namePrefix>-<model>`, variant `AllTraffic`): adds the Model serving panel. */
    servingEndpoints?: Record<string, string>;
    /** With `pipelineNamespace`: the event log's groups and CI's delivery namespace, which add the Delivery row. */
    delivery?: DashboardSpec["delivery"];
}

export function validatePlatformDashboardArgs(args: PlatformDashboardArgs): string[] {
    const problems: string[] = [];
    const name = physicalName(args.namePrefix, "platform", 255);
    if (!DASHBOARD_NAME.test(name)) problems.push(`namePrefix ${JSON.stringify(args.namePrefix)}: the dashboard name ${JSON.stringify(name)} may hold only A-Z, a-z, 0-9, "-" and "_"`);
    if (!args.stateMachinePrefix) problems.push("stateMachinePrefix must not be empty: the execution graphs would show every state machine of the account");
    if (!Object.keys(args.queueNames).length) problems.push("queueNames must name at least one queue");
    if (args.monthlyBudgetUsd !== undefined && !(args.monthlyBudgetUsd > 0)) problems.push(`monthlyBudgetUsd ${args.monthlyBudgetUsd} must be more than 0`);
    return problems;
}

/** One CloudWatch dashboard for the stack, named `<namePrefix>-platform`. */
export class PlatformDashboard extends pulumi.ComponentResource {
    public readonly dashboardName: pulumi.Output<string>;
    /** The console address of the dashboard. */
    public readonly url: pulumi.Output<string>;

    constructor(name: string, args: PlatformDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:observability:PlatformDashboard", name, {}, opts);
        const problems = validatePlatformDashboardArgs(args);
        if (problems.length) throw new Error(`PlatformDashboard ${name}: ${problems.join("; ")}`);
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const queueIds = Object.keys(args.queueNames);
        const s = args.service;
        const body = pulumi
            .all([account, queueIds.map((id) => args.queueNames[id]), s.loadBalancerArnSuffix, s.targetGroupArnSuffix, s.clusterName, s.serviceName, args.database?.identifier])
            .apply(([acct, names, loadBalancer, targetGroup, cluster, service, identifier]) =>
                dashboardBody({
                    title: args.title,
                    region: args.region,
                    account: acct,
                    stateMachinePrefix: args.stateMachinePrefix,
                    queues: queueIds.map((id, i) => ({ id, name: names[i] })),
                    service: { loadBalancer, targetGroup, cluster, service },
                    database: args.database && identifier ? { identifier, freeStorageThresholdBytes: freeStorageThresholdBytes(args.database.allocatedStorageGb) } : undefined,
                    monthlyBudgetUsd: args.monthlyBudgetUsd,
                    pipelineNamespace: args.pipelineNamespace,
                    servingEndpoints: args.servingEndpoints ? Object.values(args.servingEndpoints) : undefined,
                    delivery: args.delivery,
                }),
            );
        const dashboard = new aws.cloudwatch.Dashboard(`${name}-dashboard`, { dashboardName: physicalName(args.namePrefix, "platform", 255), dashboardBody: body }, { parent: this });
        this.dashboardName = dashboard.dashboardName;
        this.url = pulumi.interpolate`https://${args.region}.console.aws.amazon.com/cloudwatch/home?region=${args.region}#dashboards/dashboard/${dashboard.dashboardName}`;
        this.registerOutputs({ dashboardName: this.dashboardName, url: this.url });
    }
}
