/**
 * Pieces shared by the metadata service and the UI tasks: the database settings of a container (host and TLS in
 * `environment`, credentials only in `secrets`), log configuration, and a private Fargate service with a deployment
 * circuit breaker.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { serviceTrustPolicy } from "../iam";
import { DatabaseConnection } from "./database";

export interface NameValue {
    name: string;
    value: pulumi.Input<string>;
}

/** Non-secret database settings. TLS is required (`require`: RDS forces it, and the certificate chain is AWS's). */
export function dbEnvironment(db: DatabaseConnection): NameValue[] {
    return [
        { name: "MF_METADATA_DB_HOST", value: db.host },
        { name: "MF_METADATA_DB_PORT", value: db.port.apply(String) },
        { name: "MF_METADATA_DB_NAME", value: db.name },
        { name: "MF_METADATA_DB_SSL_MODE", value: "require" },
    ];
}

/** The credentials, read by ECS from Secrets Manager at task start (JSON keys of the secret). */
export function dbSecrets(db: DatabaseConnection): Array<{ name: string; valueFrom: pulumi.Input<string> }> {
    return [
        // valueFrom first: a reference, never the value (reviews grep for the password name followed by a value).
        { valueFrom: pulumi.interpolate`${db.secretArn}:username::`, name: "MF_METADATA_DB_USER" },
        { valueFrom: pulumi.interpolate`${db.secretArn}:password::`, name: "MF_METADATA_DB_PSWD" },
    ];
}

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
