/**
 * The metadata database: a dedicated RDS PostgreSQL 16 instance, or the foundation's shared database. Either way the
 * credentials live in Secrets Manager (keys `username` and `password`) and reach the containers only through ECS
 * `secrets`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { NAME_LIMITS, physicalName } from "../naming";
import { PORTS } from "./rules";

/** A dedicated instance's settings. */
export interface DedicatedDatabaseArgs {
    /** e.g. db.t4g.micro (dev), db.t4g.medium (prod). */
    instanceClass: string;
    /** Allocated gp3 storage, GB (at least 20). */
    storageGb: number;
    /** Ceiling of storage autoscaling, GB (more than storageGb). */
    maxStorageGb: number;
    /** Days of automated backups (1-35). */
    backupDays: number;
    /** A standby in a second availability zone. */
    multiAz: boolean;
}

/** A database the foundation already runs and exports (see stacks/references/contract.ts). */
export interface ExternalDatabaseArgs {
    endpoint: pulumi.Input<string>;
    port: pulumi.Input<number>;
    /** Security group of the database: the component adds an ingress rule for its own tasks. */
    securityGroupId: pulumi.Input<string>;
    /** Secrets Manager secret with `username` and `password` keys. */
    secretArn: pulumi.Input<string>;
    /** KMS key that encrypts that secret (the execution role may decrypt with it through Secrets Manager). */
    secretKmsKeyArn: pulumi.Input<string>;
    /** Database name. Default `metaflow`. */
    name?: string;
}

/** What the service needs to connect. */
export interface DatabaseConnection {
    host: pulumi.Output<string>;
    port: pulumi.Output<number>;
    name: string;
    /** Secret with `username` and `password` keys. */
    secretArn: pulumi.Output<string>;
    /** KMS keys the execution role must be able to decrypt the secret with. */
    secretKmsKeyArns: pulumi.Input<string>[];
    /** Security group of the database. */
    securityGroupId: pulumi.Output<string>;
    /** The dedicated instance, when there is one. */
    instance?: aws.rds.Instance;
}

export interface DatabaseContext {
    name: string;
    namePrefix: string;
    parent: pulumi.Resource;
    vpcId: pulumi.Input<string>;
    subnetIds: pulumi.Input<string[]>;
    kmsKeyArn: pulumi.Input<string>;
    logRetentionDays: number;
    /** Security groups of the tasks that connect (service, UI backend). */
    clientSecurityGroups: Array<{ role: string; id: pulumi.Input<string> }>;
    protect: boolean;
}

const DB_NAME = "metaflow";
/** Log types PostgreSQL on RDS can export to CloudWatch Logs. */
export const DB_LOG_EXPORTS = ["postgresql", "upgrade"];

/** Lets each client security group reach PostgreSQL in `dbSecurityGroupId`, and nothing else in. */
function admitClients(ctx: DatabaseContext, dbSecurityGroupId: pulumi.Input<string>, port: pulumi.Input<number>): void {
    for (const client of ctx.clientSecurityGroups) {
        new aws.vpc.SecurityGroupIngressRule(
            `${ctx.name}-db-from-${client.role}`,
            {
                securityGroupId: dbSecurityGroupId,
                referencedSecurityGroupId: client.id,
                ipProtocol: "tcp",
                fromPort: port,
                toPort: port,
                description: `PostgreSQL from the metadata ${client.role} tasks`,
            },
            { parent: ctx.parent },
        );
    }
}

export function externalDatabase(ctx: DatabaseContext, db: ExternalDatabaseArgs): DatabaseConnection {
    // The foundation owns the database and its security group; this stack only adds the rules for its own tasks.
    admitClients(ctx, db.securityGroupId, db.port);
    return {
        host: pulumi.output(db.endpoint),
        port: pulumi.output(db.port),
        name: db.name ?? DB_NAME,
        secretArn: pulumi.output(db.secretArn),
        secretKmsKeyArns: [db.secretKmsKeyArn],
        securityGroupId: pulumi.output(db.securityGroupId),
    };
}

/** A dedicated RDS PostgreSQL instance of this stack: its own security group, subnets, parameters and log groups. */
export function dedicatedDatabase(ctx: DatabaseContext, db: DedicatedDatabaseArgs): DatabaseConnection {
    const identifier = physicalName(ctx.namePrefix, "metadata-db", NAME_LIMITS.rdsIdentifier);
    const sg = databaseSecurityGroup(ctx, identifier);
    admitClients(ctx, sg.id, PORTS.postgres);
    const subnets = databaseSubnets(ctx);
    const params = tlsOnlyParameters(ctx);
    const logGroups = databaseLogGroups(ctx, identifier);
    const instance = postgresInstance(ctx, db, identifier, { sg, subnets, params, logGroups });
    return dedicatedConnection(ctx, instance, sg);
}

/** The database's security group: nothing in until admitClients adds the metadata tasks. */
function databaseSecurityGroup(ctx: DatabaseContext, identifier: string): aws.ec2.SecurityGroup {
    return new aws.ec2.SecurityGroup(
        `${ctx.name}-db-sg`,
        { vpcId: ctx.vpcId, description: "Metaflow metadata database: PostgreSQL from the metadata service tasks only", tags: { Name: `${identifier}` } },
        { parent: ctx.parent },
    );
}

/** The private subnets the instance (and its standby) may be placed in. */
function databaseSubnets(ctx: DatabaseContext): aws.rds.SubnetGroup {
    return new aws.rds.SubnetGroup(`${ctx.name}-db-subnets`, { subnetIds: ctx.subnetIds, description: "Private subnets of the Metaflow metadata database" }, { parent: ctx.parent });
}

/** PostgreSQL 16 parameters: TLS required, and statements slower than a second logged. */
function tlsOnlyParameters(ctx: DatabaseContext): aws.rds.ParameterGroup {
    return new aws.rds.ParameterGroup(
        `${ctx.name}-db-params`,
        {
            family: "postgres16",
            description: "Metaflow metadata database: TLS required",
            parameters: [
                { name: "rds.force_ssl", value: "1" },
                { name: "log_min_duration_statement", value: "1000" },
            ],
        },
        { parent: ctx.parent },
    );
}

/** The log groups of the exported logs, with retention and the platform key. */
function databaseLogGroups(ctx: DatabaseContext, identifier: string): aws.cloudwatch.LogGroup[] {
    // RDS would create these log groups itself, without retention or encryption: create them first.
    return DB_LOG_EXPORTS.map(
        (type) =>
            new aws.cloudwatch.LogGroup(
                `${ctx.name}-db-log-${type}`,
                { name: `/aws/rds/instance/${identifier}/${type}`, retentionInDays: ctx.logRetentionDays, kmsKeyId: ctx.kmsKeyArn },
                { parent: ctx.parent },
            ),
    );
}

/** What the instance is placed in and created after. */
interface InstanceDependencies {
    sg: aws.ec2.SecurityGroup;
    subnets: aws.rds.SubnetGroup;
    params: aws.rds.ParameterGroup;
    logGroups: aws.cloudwatch.LogGroup[];
}

/** The encrypted, private instance with an RDS-managed password; protected, with a final snapshot, when asked. */
function postgresInstance(ctx: DatabaseContext, db: DedicatedDatabaseArgs, identifier: string, s: InstanceDependencies): aws.rds.Instance {
    return new aws.rds.Instance(
        `${ctx.name}-db`,
        {
            identifier,
            engine: "postgres",
            engineVersion: "16",
            instanceClass: db.instanceClass,
            allocatedStorage: db.storageGb,
            maxAllocatedStorage: db.maxStorageGb,
            storageType: "gp3",
            storageEncrypted: true,
            kmsKeyId: ctx.kmsKeyArn,
            dbName: DB_NAME,
            username: "metaflow",
            // RDS generates the password, keeps it in Secrets Manager under the platform key and rotates it: it never
            // passes through this program, its state or its outputs.
            manageMasterUserPassword: true,
            masterUserSecretKmsKeyId: ctx.kmsKeyArn,
            dbSubnetGroupName: s.subnets.name,
            vpcSecurityGroupIds: [s.sg.id],
            parameterGroupName: s.params.name,
            publiclyAccessible: false,
            multiAz: db.multiAz,
            backupRetentionPeriod: db.backupDays,
            backupWindow: "03:00-04:00",
            maintenanceWindow: "sun:04:30-sun:05:30",
            autoMinorVersionUpgrade: true,
            allowMajorVersionUpgrade: false,
            copyTagsToSnapshot: true,
            enabledCloudwatchLogsExports: DB_LOG_EXPORTS,
            caCertIdentifier: "rds-ca-rsa2048-g1",
            deletionProtection: ctx.protect,
            skipFinalSnapshot: !ctx.protect,
            finalSnapshotIdentifier: ctx.protect ? `${identifier}-final` : undefined,
            deleteAutomatedBackups: !ctx.protect,
        },
        { parent: ctx.parent, protect: ctx.protect, retainOnDelete: ctx.protect, dependsOn: s.logGroups },
    );
}

/** The connection to the instance: the secret is the one RDS manages, under the platform key. */
function dedicatedConnection(ctx: DatabaseContext, instance: aws.rds.Instance, sg: aws.ec2.SecurityGroup): DatabaseConnection {
    return {
        host: instance.address,
        port: instance.port,
        name: DB_NAME,
        secretArn: instance.masterUserSecrets.apply((s) => {
            const arn = s?.[0]?.secretArn;
            if (!arn) throw new Error(`${ctx.name}-db: RDS returned no managed master user secret`);
            return arn;
        }),
        secretKmsKeyArns: [ctx.kmsKeyArn],
        securityGroupId: sg.id,
        instance,
    };
}
