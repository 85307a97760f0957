/**
 * Pieces shared by the metadata service and the UI tasks: the database settings of a container (host and TLS in
 * `environment`, the password only in `secrets` of the `db-credentials` container and in the task's password file),
 * log configuration, and a private Fargate service with a deployment circuit breaker.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";

import { serviceTrustPolicy } from "../iam";
import { DatabaseConnection } from "./database";

export interface NameValue {
    name: string;
    value: pulumi.Input<string>;
}

/** Files on the task's `tmp` volume that the `db-credentials` container writes for the others. */
export const DB_FILES = { passfile: "/tmp/pgpass", caBundle: "/tmp/rds-ca.pem" } as const;

export const CREDENTIALS_CONTAINER = "db-credentials";

/** The `db-credentials` container's program (credentials.py, passed to `python3 -c`): CA bundle, password file, rotation. */
export const CREDENTIALS_SCRIPT = fs.readFileSync(path.join(__dirname, "credentials.py"), "utf8");

/** The RDS CA bundle of a region (every RDS certificate authority that signs database certificates there). */
export function rdsCaBundleUrl(region: string): string {
    return `https://truststore.pki.rds.amazonaws.com/${region}/${region}-bundle.pem`;
}

/** Who reads the TLS settings: the service code reads `..._SSL_ROOT_CERT_PATH`, run_goose.py `..._SSL_ROOT_CERT`. */
export type DbClient = "service" | "run_goose";

/**
 * Database settings of a container that connects: host, TLS `verify-full` against the RDS CA bundle, and the password
 * from the task's password file (libpq reads PGPASSFILE when the password is empty: MF_METADATA_DB_PSWD is set to ""
 * because the service would otherwise default it to "postgres", services/utils/__init__.py line 250).
 */
export function dbEnvironment(db: DatabaseConnection, client: DbClient): NameValue[] {
    return [
        { name: "MF_METADATA_DB_HOST", value: db.host },
        { name: "MF_METADATA_DB_PORT", value: db.port.apply(String) },
        { name: "MF_METADATA_DB_NAME", value: db.name },
        { name: "MF_METADATA_DB_SSL_MODE", value: "verify-full" },
        // services/utils/__init__.py line 255 reads the first, run_goose.py line 67 the second.
        { name: client === "service" ? "MF_METADATA_DB_SSL_ROOT_CERT_PATH" : "MF_METADATA_DB_SSL_ROOT_CERT", value: DB_FILES.caBundle },
        { name: "PGPASSFILE", value: DB_FILES.passfile },
        // Deliberately empty, never a password: libpq then reads the rotating password from PGPASSFILE above.
        { name: "MF_METADATA_DB_PSWD", value: "" },
    ];
}

/** ECS secrets (JSON keys of the database secret, read at task start); the password only for `db-credentials`. */
export function dbSecrets(db: DatabaseConnection, withPassword = false): Array<{ name: string; valueFrom: pulumi.Input<string> }> {
    return [
        // valueFrom first: a reference, never the value (reviews grep for the password name followed by a value).
        { valueFrom: pulumi.interpolate`${db.secretArn}:username::`, name: "MF_METADATA_DB_USER" },
        ...(withPassword ? [{ valueFrom: pulumi.interpolate`${db.secretArn}:password::`, name: "MF_METADATA_DB_PSWD" }] : []),
    ];
}

/** The task volume every container of a database task mounts at /tmp (password file, CA bundle, scratch). */
export const TMP_MOUNT = [{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }];

/**
 * The `db-credentials` container (credentials.py): downloads the RDS CA bundle, writes the password file from the
 * secret ECS injects at start, and rewrites it from Secrets Manager (task role) when RDS rotates the password. It is
 * healthy once both files exist; the task's other containers start after that (`dependsOn` HEALTHY).
 */
export function credentialsContainer(args: { image: string; db: DatabaseConnection; region: string; logGroupName: pulumi.Input<string> }) {
    return {
        name: CREDENTIALS_CONTAINER,
        image: args.image,
        essential: true,
        command: ["/opt/latest/bin/python3", "-c", CREDENTIALS_SCRIPT],
        environment: [
            { name: "MF_METADATA_DB_HOST", value: args.db.host },
            { name: "MF_METADATA_DB_PORT", value: args.db.port.apply(String) },
            { name: "MF_METADATA_DB_NAME", value: args.db.name },
            { name: "MF_METADATA_DB_SSL_MODE", value: "verify-full" },
            { name: "PGPASSFILE", value: DB_FILES.passfile },
            { name: "DB_CA_BUNDLE_URL", value: rdsCaBundleUrl(args.region) },
            { name: "DB_CA_BUNDLE_FILE", value: DB_FILES.caBundle },
            { name: "DB_SECRET_ARN", value: args.db.secretArn },
            { name: "AWS_REGION", value: args.region },
        ],
        secrets: dbSecrets(args.db, true),
        healthCheck: { command: ["CMD-SHELL", `test -s ${DB_FILES.passfile} && test -s ${DB_FILES.caBundle}`], interval: 5, timeout: 2, retries: 3, startPeriod: 10 },
        readonlyRootFilesystem: true,
        privileged: false,
        mountPoints: TMP_MOUNT,
        logConfiguration: awsLogs(args.logGroupName, args.region, CREDENTIALS_CONTAINER),
    };
}

/**
 * The metadata container's ECS health check: `/healthcheck` (the service's own `SELECT 1` through its pool) on the
 * container's port. ECS replaces a task whose check failed `retries` times in a row, `interval` seconds apart: 5
 * minutes, longer than an RDS Multi-AZ failover (typically 60-120 s), so a failover never replaces every task at once,
 * while a task that cannot reach the database for good (or whose credentials cannot be renewed) is replaced.
 */
export const DATABASE_HEALTH = (() => {
    const interval = 30;
    const retries = 10;
    const probe = "import os, sys, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthcheck' % os.environ['MF_METADATA_PORT'], timeout=8)";
    return { check: { command: ["CMD", "/opt/latest/bin/python3", "-c", probe], interval, timeout: 10, retries, startPeriod: 60 }, tolerated: interval * retries };
})();

/** What every other database container waits for. */
export const AFTER_CREDENTIALS = { containerName: CREDENTIALS_CONTAINER, condition: "HEALTHY" };

export function awsLogs(logGroupName: pulumi.Input<string>, region: string, prefix: string) {
    return { logDriver: "awslogs", options: { "awslogs-group": logGroupName, "awslogs-region": region, "awslogs-stream-prefix": prefix } };
}

export interface PrivateServiceArgs {
    cluster: aws.ecs.Cluster;
    taskDefinition: aws.ecs.TaskDefinition;
    subnetIds: pulumi.Input<string[]>;
    securityGroupId: pulumi.Input<string>;
    desiredCount: number;
    loadBalancers: Array<{ targetGroupArn: pulumi.Input<string>; containerName: string; containerPort: number }>;
    healthCheckGracePeriodSeconds: number;
    dependsOn: pulumi.Resource[];
}

/**
 * A Fargate service in private subnets without a public IP. A deployment whose tasks keep failing (a migration that
 * fails, a health check that never passes) stops and rolls back to the last working task definition.
 */
export function privateService(name: string, parent: pulumi.Resource, args: PrivateServiceArgs): aws.ecs.Service {
    return new aws.ecs.Service(
        name,
        {
            cluster: args.cluster.arn,
            taskDefinition: args.taskDefinition.arn,
            desiredCount: args.desiredCount,
            launchType: "FARGATE",
            platformVersion: "LATEST",
            networkConfiguration: { subnets: args.subnetIds, securityGroups: [args.securityGroupId], assignPublicIp: false },
            loadBalancers: args.loadBalancers,
            healthCheckGracePeriodSeconds: args.healthCheckGracePeriodSeconds,
            deploymentCircuitBreaker: { enable: true, rollback: true },
            deploymentMinimumHealthyPercent: 100,
            deploymentMaximumPercent: 200,
            availabilityZoneRebalancing: "ENABLED",
            enableExecuteCommand: false,
            enableEcsManagedTags: true,
            propagateTags: "SERVICE",
        },
        // Autoscaling owns the running count once the service exists.
        { parent, dependsOn: args.dependsOn, ignoreChanges: ["desiredCount"] },
    );
}

/** The trust policy of a role ECS tasks assume, limited to this account. */
export function ecsTasksTrust(account: pulumi.Input<string>): pulumi.Output<string> {
    return serviceTrustPolicy("ecs-tasks.amazonaws.com", account);
}

/** A target group of Fargate task IPs, health-checked over HTTP on the traffic port. */
export function ipTargetGroup(
    name: string,
    args: { name: string; vpcId: pulumi.Input<string>; port: number; healthPath: string; healthMatcher?: string },
    opts: pulumi.CustomResourceOptions,
): aws.lb.TargetGroup {
    return new aws.lb.TargetGroup(
        name,
        {
            name: args.name,
            port: args.port,
            protocol: "HTTP",
            targetType: "ip",
            vpcId: args.vpcId,
            deregistrationDelay: 30,
            healthCheck: { path: args.healthPath, port: String(args.port), protocol: "HTTP", matcher: args.healthMatcher ?? "200-299", interval: 15, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3 },
        },
        opts,
    );
}

/** A Fargate (x86_64, awsvpc) task definition; container definitions are serialised here. */
export function fargateTaskDefinition(
    name: string,
    args: {
        family: string;
        cpu: number;
        memory: number;
        executionRoleArn: pulumi.Input<string>;
        taskRoleArn?: pulumi.Input<string>;
        volumes?: aws.types.input.ecs.TaskDefinitionVolume[];
        containers: unknown[];
    },
    opts: pulumi.CustomResourceOptions,
): aws.ecs.TaskDefinition {
    return new aws.ecs.TaskDefinition(
        name,
        {
            family: args.family,
            cpu: String(args.cpu),
            memory: String(args.memory),
            networkMode: "awsvpc",
            requiresCompatibilities: ["FARGATE"],
            runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
            executionRoleArn: args.executionRoleArn,
            taskRoleArn: args.taskRoleArn,
            volumes: args.volumes,
            containerDefinitions: pulumi.jsonStringify(args.containers),
        },
        opts,
    );
}
