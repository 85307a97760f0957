import * as aws from "@pulumi/aws";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

import { ELB_LOG_PREFIX, LogBucket } from "../log-bucket";
import { NAME_LIMITS, physicalName } from "../naming";
import { publicApi } from "./api";
import { DatabaseConnection, DatabaseContext, dedicatedDatabase, DedicatedDatabaseArgs, ExternalDatabaseArgs, externalDatabase } from "./database";
import {
    ecrRepository,
    featureProblems,
    fargateSizeProblem,
    OIDC_FIELDS,
    OidcSettings,
    pinnedImageProblem,
    PORTS,
    serviceImageProblem,
    servicePort,
    taskCountProblems,
    TLS_POLICY,
} from "./rules";
import {
    AFTER_CREDENTIALS,
    awsLogs,
    credentialsContainer,
    DATABASE_HEALTH,
    dbEnvironment,
    dbSecrets,
    ecsTasksTrust,
    fargateTaskDefinition,
    ipTargetGroup,
    privateService,
    TMP_MOUNT,
} from "./tasks";
import { metaflowUi, MetaflowUi, UiContext } from "./ui";

export * from "./rules";
export { DedicatedDatabaseArgs, ExternalDatabaseArgs } from "./database";

/** Arguments of the optional Metaflow UI. */
export interface MetaflowUiArgs {
    /** The static front end's image (`public.ecr.aws/outerbounds/metaflow_ui:<tag>`). The backend runs the service image. */
    staticImage: string;
    backend: { cpu: number; memory: number };
    static: { cpu: number; memory: number };
    /** ALB OIDC authentication in front of every UI path (needs `certificateArn`). */
    oidc?: OidcSettings & { clientSecret: pulumi.Input<string> };
}

/** Arguments of {@link MetaflowService}. */
export interface MetaflowServiceArgs {
    /** Short prefix of physical names (load balancer, target groups, roles, database identifier). */
    namePrefix: string;
    /** Region of the stack (log configuration of the containers). */
    region: string;
    vpcId: pulumi.Input<string>;
    /** Private subnets in at least two availability zones: tasks, load balancer and database go there. */
    privateSubnetIds: pulumi.Input<string[]>;
    /** The platform KMS key: logs, database storage, database and API key secrets. */
    kmsKeyArn: pulumi.Input<string>;
    /** The datastore bucket: the task role may read it (and decrypt with `kmsKeyArn`), nothing more. */
    datastoreBucketArn: pulumi.Input<string>;
    /** `s3://<bucket>/metaflow`, for the UI backend. */
    datastoreRoot: pulumi.Input<string>;
    logRetentionDays: number;

    /** Metadata service image, pinned to a release tag, v2.5.1 or later (earlier ones have an SQL injection). */
    image: string;
    /** Fargate task size of the service. */
    cpu: number;
    memory: number;
    /** Task counts: desired at creation, and the bounds of CPU autoscaling. */
    desiredCount: number;
    minCount: number;
    maxCount: number;
    /** Average CPU utilisation autoscaling aims for, percent. Default 60. */
    cpuTargetPercent?: number;
    /** Require at least two tasks (prod). */
    highAvailability?: boolean;

    /** Security groups whose members may call the service: the Batch compute environments'. */
    clientSecurityGroupIds: pulumi.Input<string>[];
    /** Engineers' access path (VPN/bastion) from the foundation: security groups and CIDRs. */
    userAccessSecurityGroupIds: pulumi.Input<string>[];
    userAccessCidrs: string[];
    /** The engineers' Studio workspaces (components/workspaces), when the stack has them. */
    workspaceSecurityGroupId?: pulumi.Input<string>;

    /** ACM certificate: HTTPS (TLS 1.2+) listeners instead of HTTP on 80. Needs `domainName`. */
    certificateArn?: string;
    /** The DNS name the certificate covers, pointing at the load balancer (managed outside this component). */
    domainName?: string;

    /** A dedicated RDS PostgreSQL 16 instance, or the foundation's database. */
    database: { dedicated: DedicatedDatabaseArgs } | { external: ExternalDatabaseArgs };

    /** A regional API Gateway with a required API key in front of the internal load balancer. Default false. */
    publicApi?: boolean;
    /**
     * With publicApi: set the account's API Gateway CloudWatch role (`aws.apigateway.Account`, one setting per account
     * and region that every REST API's access logs need). Where several stacks share an account and region, exactly
     * one sets it and the others pass false: each would otherwise replace the others' role. Default true.
     */
    publicApiAccountRole?: boolean;
    /** The Metaflow UI behind the same load balancer (its own listener, path routing). Default absent. */
    ui?: MetaflowUiArgs;

    /** Environment, for the rules on what the UI and public API need outside dev. Default "dev". */
    environment?: "dev" | "staging" | "prod";
    /** protect/retainOnDelete, deletion protection and a final snapshot on the database; ALB deletion protection. */
    protect?: boolean;
    /** Write the load balancer's access logs to a dedicated log bucket kept this many days (recommended in prod). */
    accessLogRetentionDays?: number;
}

/** Every problem with the arguments; the constructor throws them all at once. */
export function validateMetaflowServiceArgs(args: MetaflowServiceArgs): string[] {
    const problems: string[] = [];
    const size = fargateSizeProblem(args.cpu, args.memory);
    if (size) problems.push(`cpu/memory: ${size}`);
    const image = serviceImageProblem(args.image);
    if (image) problems.push(`image "${args.image}": ${image}`);
    for (const p of taskCountProblems({ desired: args.desiredCount, min: args.minCount, max: args.maxCount }, args.highAvailability ?? false)) {
        problems.push(`${p.field}Count: ${p.message}`);
    }
    const t = args.cpuTargetPercent;
    if (t !== undefined && (!Number.isInteger(t) || t < 10 || t > 90)) problems.push(`cpuTargetPercent ${t} must be an integer from 10 to 90`);
    if (args.ui) {
        const b = fargateSizeProblem(args.ui.backend.cpu, args.ui.backend.memory);
        if (b) problems.push(`ui.backend: ${b}`);
        const s = fargateSizeProblem(args.ui.static.cpu, args.ui.static.memory);
        if (s) problems.push(`ui.static: ${s}`);
        const img = pinnedImageProblem(args.ui.staticImage);
        if (img) problems.push(`ui.staticImage "${args.ui.staticImage}": ${img}`);
    }
    for (const p of featureProblems({
        environment: args.environment ?? "dev",
        certificateArn: args.certificateArn,
        domainName: args.domainName,
        publicApi: args.publicApi ?? false,
        ui: args.ui !== undefined,
        oidcFields: args.ui?.oidc ? OIDC_FIELDS.filter((f) => (args.ui!.oidc as unknown as Record<string, unknown>)[f] !== undefined) : [],
    })) {
        problems.push(`${p.field}: ${p.message}`);
    }
    if ("dedicated" in args.database) {
        const d = args.database.dedicated;
        if (d.maxStorageGb <= d.storageGb) problems.push(`database.maxStorageGb (${d.maxStorageGb}) must be more than storageGb (${d.storageGb})`);
        if (!Number.isInteger(d.backupDays) || d.backupDays < 1 || d.backupDays > 35) problems.push(`database.backupDays ${d.backupDays} must be an integer from 1 to 35`);
    }
    const users = [...args.clientSecurityGroupIds, ...args.userAccessSecurityGroupIds, ...args.userAccessCidrs];
    if (args.userAccessCidrs.some((c) => c === "0.0.0.0/0" || c === "::/0")) problems.push("userAccessCidrs: the internal load balancer admits no open CIDR");
    if (users.length === 0 && args.environment && args.environment !== "dev") problems.push("no client security group and no user access: nobody could reach the service");
    return problems;
}

/**
 * The Metaflow metadata service: an ECS cluster with a Fargate service in private subnets (no public IP) behind an
 * internal Application Load Balancer, CPU autoscaling, a deployment circuit breaker, and its PostgreSQL database.
 * Each task first runs the image's own migration tool in a one-shot container (under a PostgreSQL advisory lock, so
 * concurrent tasks never migrate at once); the service container starts only when it succeeded. The migration
 * service (8082) never runs, and the database password reaches containers only through ECS `secrets`.
 * Optional: a public API Gateway with a required API key, and the Metaflow UI with ALB OIDC authentication.
 */
export class MetaflowService extends pulumi.ComponentResource {
    /** `http(s)://<name>`: the internal URL (METAFLOW_SERVICE_INTERNAL_URL, and SERVICE_URL without a public API). */
    public readonly internalUrl: pulumi.Output<string>;
    /** The API Gateway stage URL, when the public API is on. */
    public readonly publicUrl?: pulumi.Output<string>;
    /** The public API's key (secret), when the public API is on. */
    public readonly apiKey?: pulumi.Output<string>;
    /** Secrets Manager secret holding the API key, when the public API is on. */
    public readonly apiKeySecretArn?: pulumi.Output<string>;
    /** The UI's URL, when the UI is on. */
    public readonly uiUrl?: pulumi.Output<string>;
    public readonly loadBalancerArn: pulumi.Output<string>;
    public readonly loadBalancerDnsName: pulumi.Output<string>;
    /** `app/<name>/<id>`: the `LoadBalancer` dimension of the load balancer's CloudWatch metrics. */
    public readonly loadBalancerArnSuffix: pulumi.Output<string>;
    /** `targetgroup/<name>/<id>` of the service's target group: the `TargetGroup` dimension of its metrics. */
    public readonly targetGroupArnSuffix: pulumi.Output<string>;
    /** Security group of the load balancer (others may reference it). */
    public readonly loadBalancerSecurityGroupId: pulumi.Output<string>;
    /** Security group of the service tasks. */
    public readonly serviceSecurityGroupId: pulumi.Output<string>;
    public readonly clusterName: pulumi.Output<string>;
    public readonly serviceName: pulumi.Output<string>;
    /** `service/<cluster>/<service>`: the Application Auto Scaling target of the service (office hours schedule it). */
    public readonly scalableResourceId: pulumi.Output<string>;
    /** ARN of that scalable target (waking the stack early registers it again). */
    public readonly scalableTargetArn: pulumi.Output<string>;
    public readonly executionRoleArn: pulumi.Output<string>;
    public readonly taskRoleArn: pulumi.Output<string>;
    public readonly logGroupName: pulumi.Output<string>;
    public readonly databaseHost: pulumi.Output<string>;
    /** Identifier of the dedicated RDS instance (the `DBInstanceIdentifier` dimension); absent with the foundation's database. */
    public readonly databaseIdentifier?: pulumi.Output<string>;
    /** Secret of the database credentials (its ARN only; the password never leaves Secrets Manager). */
    public readonly databaseSecretArn: pulumi.Output<string>;

    constructor(name: string, args: MetaflowServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:service:MetaflowService", name, {}, opts);
        const problems = validateMetaflowServiceArgs(args);
        if (problems.length) throw new Error(`MetaflowService ${name}: ${problems.join("; ")}`);
        const ctx: ServiceContext = { name, args, parent: this, namePrefix: args.namePrefix, protect: args.protect ?? false };
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;

        const logGroup = containerLogGroup(ctx);
        const sgs = securityGroups(ctx);
        const port = servicePort(args.certificateArn);
        admitApiClients(ctx, sgs, port);
        connectLoadBalancerToTasks(ctx, sgs);
        const db = connectDatabase(ctx, sgs);
        const { executionRole, taskRole } = serviceRoles(ctx, account, logGroup, db);
        const { alb, targetGroup, listener } = internalLoadBalancer(ctx, sgs.alb, port);
        const host = args.domainName ?? alb.dnsName;
        this.internalUrl = pulumi.interpolate`${args.certificateArn ? "https" : "http"}://${host}`;
        const { cluster, service } = metadataService(ctx, { db, logGroup, executionRole, taskRole, taskSg: sgs.task, targetGroup, listener });
        const scaling = cpuAutoscaling(ctx, cluster, service);

        // Optional parts.
        const ui = optionalUi(ctx, sgs, { alb, cluster, db, logGroupName: logGroup.name, executionRoleArn: executionRole.arn, taskRoleArn: taskRole.arn, serviceUrl: this.internalUrl, host });
        const api = args.publicApi ? publicApi(name, this, { args, alb, albSg: sgs.alb, listener, port, host, account }) : undefined;

        this.publicUrl = api?.url;
        this.apiKey = api?.apiKey;
        this.apiKeySecretArn = api?.apiKeySecretArn;
        this.uiUrl = ui?.url;
        this.loadBalancerArn = alb.arn;
        this.loadBalancerDnsName = alb.dnsName;
        this.loadBalancerArnSuffix = alb.arnSuffix;
        this.targetGroupArnSuffix = targetGroup.arnSuffix;
        this.loadBalancerSecurityGroupId = sgs.alb.id;
        this.serviceSecurityGroupId = sgs.task.id;
        this.clusterName = cluster.name;
        this.serviceName = service.name;
        this.scalableResourceId = scaling.resourceId;
        this.scalableTargetArn = scaling.arn;
        this.executionRoleArn = executionRole.arn;
        this.taskRoleArn = taskRole.arn;
        this.logGroupName = logGroup.name;
        this.databaseHost = db.host;
        this.databaseIdentifier = db.instance?.identifier;
        this.databaseSecretArn = db.secretArn;
        this.registerServiceOutputs();
    }

    /** Registers the outputs a stack reads, once every child exists. */
    private registerServiceOutputs(): void {
        this.registerOutputs({
            internalUrl: this.internalUrl,
            publicUrl: this.publicUrl,
            apiKeySecretArn: this.apiKeySecretArn,
            uiUrl: this.uiUrl,
            loadBalancerArn: this.loadBalancerArn,
            loadBalancerDnsName: this.loadBalancerDnsName,
            clusterName: this.clusterName,
            serviceName: this.serviceName,
            databaseHost: this.databaseHost,
            databaseIdentifier: this.databaseIdentifier,
            databaseSecretArn: this.databaseSecretArn,
        });
    }
}

/** What every step of the constructor needs: the component's name and arguments, and the component as parent. */
interface ServiceContext {
    name: string;
    args: MetaflowServiceArgs;
    parent: pulumi.Resource;
    /** Short prefix of physical names (`args.namePrefix`). */
    namePrefix: string;
    protect: boolean;
}

/** The component's security groups: load balancer, service tasks, and UI tasks (with the UI only). */
interface SecurityGroups {
    alb: aws.ec2.SecurityGroup;
    task: aws.ec2.SecurityGroup;
    ui?: aws.ec2.SecurityGroup;
}

/** One side of a security group rule: another security group or a CIDR. */
type Peer = { sg?: pulumi.Input<string>; cidr?: string };

/** The log group of every container of the component, one stream prefix per container. */
function containerLogGroup(ctx: ServiceContext): aws.cloudwatch.LogGroup {
    const { args } = ctx;
    return new aws.cloudwatch.LogGroup(
        `${ctx.name}-logs`,
        { name: `/metaflow/${ctx.namePrefix}/metadata-service`, retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn },
        { parent: ctx.parent },
    );
}

/** Security groups: load balancer, service tasks, UI tasks. Rules are separate resources, each described. */
function securityGroups(ctx: ServiceContext): SecurityGroups {
    const { name, args, namePrefix: p } = ctx;
    const parent = { parent: ctx.parent };
    const alb = new aws.ec2.SecurityGroup(`${name}-alb-sg`, { vpcId: args.vpcId, description: "Metaflow metadata service load balancer: named clients only", tags: { Name: physicalName(p, "metadata-alb", 255) } }, parent);
    const task = new aws.ec2.SecurityGroup(`${name}-task-sg`, { vpcId: args.vpcId, description: "Metaflow metadata service tasks: 8080 from the load balancer only", tags: { Name: physicalName(p, "metadata-tasks", 255) } }, parent);
    const ui = args.ui
        ? new aws.ec2.SecurityGroup(`${name}-ui-sg`, { vpcId: args.vpcId, description: "Metaflow UI tasks: 8083 and 3000 from the load balancer only", tags: { Name: physicalName(p, "metaflow-ui", 255) } }, parent)
        : undefined;
    return { alb, task, ui };
}

/** An egress rule of `sg` to one peer on one TCP port, described. */
function egressRule(ctx: ServiceContext, sg: aws.ec2.SecurityGroup, role: string, to: Peer, port: number, description: string): aws.vpc.SecurityGroupEgressRule {
    return new aws.vpc.SecurityGroupEgressRule(
        `${ctx.name}-${role}`,
        { securityGroupId: sg.id, referencedSecurityGroupId: to.sg, cidrIpv4: to.cidr, ipProtocol: "tcp", fromPort: port, toPort: port, description },
        { parent: ctx.parent },
    );
}

/** Who may call the metadata API on the load balancer: Batch compute, the engineers' access path, the Studio workspaces, the UI backend. */
function admitApiClients(ctx: ServiceContext, sgs: SecurityGroups, port: number): void {
    const { name, args } = ctx;
    const ingress = (role: string, from: Peer, description: string) =>
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-alb-in-${role}`,
            { securityGroupId: sgs.alb.id, referencedSecurityGroupId: from.sg, cidrIpv4: from.cidr, ipProtocol: "tcp", fromPort: port, toPort: port, description },
            { parent: ctx.parent },
        );
    args.clientSecurityGroupIds.forEach((sg, i) => ingress(`client-${i}`, { sg }, "Metaflow service API from Batch compute"));
    args.userAccessSecurityGroupIds.forEach((sg, i) => ingress(`user-sg-${i}`, { sg }, "Metaflow service API from the engineers access path (security group)"));
    args.userAccessCidrs.forEach((cidr, i) => ingress(`user-cidr-${i}`, { cidr }, "Metaflow service API from the engineers access path (CIDR)"));
    if (args.workspaceSecurityGroupId !== undefined) ingress("workspaces", { sg: args.workspaceSecurityGroupId }, "Metaflow service API from the Studio workspaces");
    if (sgs.ui) ingress("ui", { sg: sgs.ui.id }, "Metaflow service API from the UI backend");
}

/** The load balancer's way to the service tasks (8080 only, never 8082), and the tasks' HTTPS way out. */
function connectLoadBalancerToTasks(ctx: ServiceContext, sgs: SecurityGroups): void {
    egressRule(ctx, sgs.alb, "alb-out-service", { sg: sgs.task.id }, PORTS.metadata, "To the metadata service tasks");
    new aws.vpc.SecurityGroupIngressRule(
        `${ctx.name}-task-in-alb`,
        { securityGroupId: sgs.task.id, referencedSecurityGroupId: sgs.alb.id, ipProtocol: "tcp", fromPort: PORTS.metadata, toPort: PORTS.metadata, description: "Metadata API (8080) from the load balancer; 8082 is never opened" },
        { parent: ctx.parent },
    );
    // Tasks reach AWS APIs (Secrets Manager, CloudWatch Logs, S3) and the image registry over HTTPS, and PostgreSQL.
    egressRule(ctx, sgs.task, "task-out-https", { cidr: "0.0.0.0/0" }, 443, "HTTPS to AWS APIs and the image registry");
}

/** The database (dedicated or the foundation's), open to the service and UI tasks, and their way out to it. */
function connectDatabase(ctx: ServiceContext, sgs: SecurityGroups): DatabaseConnection {
    const { args } = ctx;
    const clients = [{ role: "service", id: sgs.task.id as pulumi.Input<string> }, ...(sgs.ui ? [{ role: "ui", id: sgs.ui.id as pulumi.Input<string> }] : [])];
    const dbCtx: DatabaseContext = {
        name: ctx.name,
        namePrefix: ctx.namePrefix,
        parent: ctx.parent,
        vpcId: args.vpcId,
        subnetIds: args.privateSubnetIds,
        kmsKeyArn: args.kmsKeyArn,
        logRetentionDays: args.logRetentionDays,
        clientSecurityGroups: clients,
        protect: ctx.protect,
    };
    const db: DatabaseConnection = "dedicated" in args.database ? dedicatedDatabase(dbCtx, args.database.dedicated) : externalDatabase(dbCtx, args.database.external);
    egressRule(ctx, sgs.task, "task-out-db", { sg: db.securityGroupId }, PORTS.postgres, "PostgreSQL to the metadata database");
    if (sgs.ui) {
        egressRule(ctx, sgs.ui, "ui-out-https", { cidr: "0.0.0.0/0" }, 443, "HTTPS to AWS APIs, the datastore and the image registry");
        egressRule(ctx, sgs.ui, "ui-out-db", { sg: db.securityGroupId }, PORTS.postgres, "PostgreSQL to the metadata database");
    }
    return db;
}

/**
 * Roles: the execution role starts containers (image, logs, the database secret); the task role is what the running
 * code may do (read the datastore).
 */
function serviceRoles(
    ctx: ServiceContext,
    account: pulumi.Input<string>,
    logGroup: aws.cloudwatch.LogGroup,
    db: DatabaseConnection,
): { executionRole: aws.iam.Role; taskRole: aws.iam.Role } {
    const { name, args, namePrefix: p } = ctx;
    const parent = { parent: ctx.parent };
    const executionRole = new aws.iam.Role(
        `${name}-execution`,
        { name: physicalName(p, "metadata-execution", NAME_LIMITS.iamRole), description: "ECS execution role of the Metaflow metadata service", assumeRolePolicy: ecsTasksTrust(account) },
        parent,
    );
    new aws.iam.RolePolicy(`${name}-execution`, { role: executionRole.id, policy: executionPolicy(args, logGroup.arn, db) }, parent);
    const taskRole = new aws.iam.Role(
        `${name}-task`,
        { name: physicalName(p, "metadata-task", NAME_LIMITS.iamRole), description: "Task role of the Metaflow metadata service and UI: datastore read", assumeRolePolicy: ecsTasksTrust(account) },
        parent,
    );
    new aws.iam.RolePolicy(`${name}-task`, { role: taskRole.id, policy: taskPolicy(args, db) }, parent);
    return { executionRole, taskRole };
}

/** The internal load balancer, with access logs to a log bucket of its own when asked, its target group and listener. */
function internalLoadBalancer(
    ctx: ServiceContext,
    albSg: aws.ec2.SecurityGroup,
    port: number,
): { alb: aws.lb.LoadBalancer; targetGroup: aws.lb.TargetGroup; listener: aws.lb.Listener } {
    const { name, args, namePrefix: p, protect } = ctx;
    const parent = { parent: ctx.parent };
    const accessLogs =
        args.accessLogRetentionDays !== undefined
            ? new LogBucket(`${name}-alb-logs`, { retentionDays: args.accessLogRetentionDays, loadBalancerLogs: { region: args.region }, protect }, { parent: ctx.parent })
            : undefined;
    const alb = new aws.lb.LoadBalancer(
        `${name}-alb`,
        {
            name: physicalName(p, "metadata", NAME_LIMITS.loadBalancer),
            internal: true,
            loadBalancerType: "application",
            subnets: args.privateSubnetIds,
            securityGroups: [albSg.id],
            dropInvalidHeaderFields: true,
            // Refuse every request that is not RFC 7230 compliant (the default, defensive, forwards ambiguous ones).
            desyncMitigationMode: "strictest",
            enableDeletionProtection: protect,
            idleTimeout: 120,
            ...(accessLogs ? { accessLogs: { bucket: accessLogs.bucketName, prefix: ELB_LOG_PREFIX, enabled: true } } : {}),
        },
        accessLogs ? { parent: ctx.parent, dependsOn: [accessLogs.policy] } : parent,
    );
    const targetGroup = ipTargetGroup(`${name}-tg`, { name: physicalName(p, "metadata", NAME_LIMITS.targetGroup), vpcId: args.vpcId, port: PORTS.metadata, healthPath: "/ping" }, parent);
    const listener = new aws.lb.Listener(
        `${name}-listener`,
        {
            loadBalancerArn: alb.arn,
            port,
            ...(args.certificateArn
                ? { protocol: "HTTPS", sslPolicy: TLS_POLICY, certificateArn: args.certificateArn }
                : { protocol: "HTTP" }),
            defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
        },
        parent,
    );
    return { alb, targetGroup, listener };
}

/** The metadata task's containers: database credentials, then the one-shot migration, then the metadata server. */
function metadataContainers(args: MetaflowServiceArgs, db: DatabaseConnection, logGroupName: pulumi.Output<string>): unknown[] {
    return [
        credentialsContainer({ image: args.image, db, region: args.region, logGroupName }),
        {
            name: MIGRATE_CONTAINER,
            image: args.image,
            essential: false,
            // The image's own migration tool (goose, via run_goose.py), one task at a time, never blocking (migrate.py).
            command: ["/opt/latest/bin/python3", "-c", MIGRATION_SCRIPT],
            environment: dbEnvironment(db, "run_goose"),
            secrets: dbSecrets(db),
            dependsOn: [AFTER_CREDENTIALS],
            readonlyRootFilesystem: true,
            privileged: false,
            mountPoints: TMP_MOUNT,
            logConfiguration: awsLogs(logGroupName, args.region, MIGRATE_CONTAINER),
        },
        {
            name: SERVICE_CONTAINER,
            image: args.image,
            essential: true,
            // The metadata server alone: the image's default command would also start the migration service (8082),
            // the only reader of MF_MIGRATION_ENDPOINTS_ENABLED, so that variable is not set.
            command: ["/opt/latest/bin/python3", "-m", "services.metadata_service.server"],
            portMappings: [{ containerPort: PORTS.metadata, protocol: "tcp" }],
            environment: [...dbEnvironment(db, "service"), { name: "MF_METADATA_PORT", value: String(PORTS.metadata) }, { name: "MF_METADATA_HOST", value: "0.0.0.0" }],
            secrets: dbSecrets(db),
            dependsOn: [AFTER_CREDENTIALS, { containerName: MIGRATE_CONTAINER, condition: "SUCCESS" }],
            // The load balancer checks /ping (the process), so a database failover takes no task out of service;
            // this check (/healthcheck runs SELECT 1) replaces a task only after DATABASE_HEALTH.tolerated seconds
            // of failures in a row: a task that lost the database for good, not a brief failover.
            healthCheck: DATABASE_HEALTH.check,
            readonlyRootFilesystem: true,
            privileged: false,
            mountPoints: TMP_MOUNT,
            logConfiguration: awsLogs(logGroupName, args.region, SERVICE_CONTAINER),
        },
    ];
}

/** The ECS cluster, the metadata task definition and its private Fargate service behind the target group. */
function metadataService(
    ctx: ServiceContext,
    c: {
        db: DatabaseConnection;
        logGroup: aws.cloudwatch.LogGroup;
        executionRole: aws.iam.Role;
        taskRole: aws.iam.Role;
        taskSg: aws.ec2.SecurityGroup;
        targetGroup: aws.lb.TargetGroup;
        listener: aws.lb.Listener;
    },
): { cluster: aws.ecs.Cluster; service: aws.ecs.Service } {
    const { name, args, namePrefix: p } = ctx;
    const parent = { parent: ctx.parent };
    const cluster = new aws.ecs.Cluster(
        `${name}-cluster`,
        { name: physicalName(p, "metaflow", NAME_LIMITS.ecsCluster), settings: [{ name: "containerInsights", value: "enabled" }] },
        parent,
    );
    const containers = metadataContainers(args, c.db, c.logGroup.name);
    const taskDefinition = fargateTaskDefinition(
        `${name}-task`,
        { family: physicalName(p, "metadata-service", 255), cpu: args.cpu, memory: args.memory, executionRoleArn: c.executionRole.arn, taskRoleArn: c.taskRole.arn, volumes: [{ name: "tmp" }], containers },
        parent,
    );
    const service = privateService(`${name}-service`, ctx.parent, {
        cluster,
        taskDefinition,
        subnetIds: args.privateSubnetIds,
        securityGroupId: c.taskSg.id,
        desiredCount: args.desiredCount,
        loadBalancers: [{ targetGroupArn: c.targetGroup.arn, containerName: SERVICE_CONTAINER, containerPort: PORTS.metadata }],
        // Migrations run before the service container starts; a large upgrade can take a while.
        healthCheckGracePeriodSeconds: 120,
        dependsOn: [c.listener, ...(c.db.instance ? [c.db.instance] : [])],
    });
    return { cluster, service };
}

/** CPU target tracking between minCount and maxCount tasks (the scalable target office hours schedule). */
function cpuAutoscaling(ctx: ServiceContext, cluster: aws.ecs.Cluster, service: aws.ecs.Service): aws.appautoscaling.Target {
    const { name, args } = ctx;
    const parent = { parent: ctx.parent };
    const scaling = new aws.appautoscaling.Target(
        `${name}-scaling`,
        {
            serviceNamespace: "ecs",
            scalableDimension: "ecs:service:DesiredCount",
            resourceId: pulumi.interpolate`service/${cluster.name}/${service.name}`,
            minCapacity: args.minCount,
            maxCapacity: args.maxCount,
        },
        parent,
    );
    new aws.appautoscaling.Policy(
        `${name}-cpu-scaling`,
        {
            policyType: "TargetTrackingScaling",
            serviceNamespace: scaling.serviceNamespace,
            scalableDimension: scaling.scalableDimension,
            resourceId: scaling.resourceId,
            targetTrackingScalingPolicyConfiguration: {
                predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
                targetValue: args.cpuTargetPercent ?? 60,
                scaleInCooldown: 300,
                scaleOutCooldown: 60,
            },
        },
        parent,
    );
    return scaling;
}

/** The Metaflow UI behind the same load balancer (its own listener, path routing), when asked. */
function optionalUi(ctx: ServiceContext, sgs: SecurityGroups, c: Omit<UiContext, "args" | "ui" | "albSg" | "uiSg">): MetaflowUi | undefined {
    const { args } = ctx;
    if (!args.ui || !sgs.ui) return undefined;
    return metaflowUi(ctx.name, ctx.parent, { ...c, args, ui: args.ui, albSg: sgs.alb, uiSg: sgs.ui });
}

export const MIGRATE_CONTAINER = "migrate";
export const SERVICE_CONTAINER = "metadata";

/** Key of the PostgreSQL advisory lock that serialises migrations ("mfmi"; LOCK_KEY in migrate.py). */
export const MIGRATION_LOCK_KEY = 0x6d666d69;

/**
 * The `migrate` container's program (`migrate.py`, passed to `python3 -c`): the image's run_goose.py under a
 * PostgreSQL advisory lock taken with `pg_try_advisory_lock` and retried (never the blocking `pg_advisory_lock`, which
 * deadlocks with goose's `CREATE INDEX CONCURRENTLY` migrations), with bounded waits. Read the file for the details.
 */
export const MIGRATION_SCRIPT = fs.readFileSync(path.join(__dirname, "migrate.py"), "utf8");

/** Read exactly the database secret, and decrypt it only through Secrets Manager. */
function readDatabaseSecret(region: string, db: DatabaseConnection, sid: string): unknown[] {
    return [
        { Sid: sid, Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: db.secretArn },
        {
            Sid: "DecryptDatabaseSecret",
            Effect: "Allow",
            Action: "kms:Decrypt",
            Resource: db.secretKmsKeyArns,
            Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${region}.amazonaws.com` } },
        },
    ];
}

/** Execution role: pull the image (private ECR only), write its log group, read exactly its database secret. */
function executionPolicy(args: MetaflowServiceArgs, logGroupArn: pulumi.Output<string>, db: DatabaseConnection): pulumi.Output<string> {
    const statements: unknown[] = [
        { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: pulumi.interpolate`${logGroupArn}:log-stream:*` },
        ...readDatabaseSecret(args.region, db, "ReadDatabaseSecret"),
    ];
    const images = [args.image, ...(args.ui ? [args.ui.staticImage] : [])];
    const repos = images.map(ecrRepository).filter((r): r is NonNullable<typeof r> => r !== undefined);
    if (repos.length) {
        // ecr:GetAuthorizationToken has no resource-level permissions: AWS requires "*".
        statements.push({ Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" });
        statements.push({
            Sid: "PullImages",
            Effect: "Allow",
            Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            Resource: [...new Set(repos.map((r) => `arn:aws:ecr:${r.region}:${r.account}:repository/${r.repository}`))],
        });
    }
    return pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements });
}

/**
 * Task role: read the datastore (list the bucket, get objects) and decrypt them, and read the database secret again
 * when RDS rotates the password (the `db-credentials` container); nothing else.
 */
function taskPolicy(args: MetaflowServiceArgs, db: DatabaseConnection): pulumi.Output<string> {
    return pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
            ...readDatabaseSecret(args.region, db, "ReadRotatedDatabaseSecret"),
            { Sid: "ListDatastore", Effect: "Allow", Action: "s3:ListBucket", Resource: args.datastoreBucketArn },
            { Sid: "ReadDatastore", Effect: "Allow", Action: "s3:GetObject", Resource: pulumi.interpolate`${args.datastoreBucketArn}/*` },
            {
                Sid: "DecryptDatastore",
                Effect: "Allow",
                Action: "kms:Decrypt",
                Resource: args.kmsKeyArn,
                Condition: { StringEquals: { "kms:ViaService": `s3.${args.region}.amazonaws.com` } },
            },
        ],
    });
}
