/**
 * Composition of the platform for one stack: which components exist and how their outputs feed each other. The
 * configuration is already validated and the references resolved when this runs; components get typed arguments.
 */
import * as pulumi from "@pulumi/pulumi";

import { ArtifactBucket } from "../components/artifact-bucket";
import { DaskBridge } from "../components/dask-bridge";
import { AccessInstance } from "../components/access-instance";
import { EngineerAccess } from "../components/engineer-access";
import { FlowDeployRole } from "../components/flow-deploy-role";
import { MetaflowService, servicePort } from "../components/metaflow-service";
import { Monitoring } from "../components/monitoring";
import { PlatformDashboard } from "../components/monitoring/dashboard";
import { endpointName, servingCaps } from "../components/serving/rules";
import { PipelineEvents } from "../components/monitoring/pipeline-events";
import { deliveryNamespace, pipelineLogGroupNames, pipelineNamespace } from "../components/monitoring/pipeline-events-rules";
import { OfficeHours } from "../components/office-hours";
import { PlatformParameters } from "../components/parameter-store";
import { PlatformKey } from "../components/platform-key";
import { EgressMode, StandaloneNetwork } from "../components/standalone-network";
import { Workspaces } from "../components/workspaces";
import { buildCompute, ComputeSection } from "./compute";
import { PlatformConfig } from "./config";
import { metaflowConfig } from "./metaflow-config";
import { References } from "./references";
import { reportSettings } from "./report-settings";
import { buildWorkspaces, letWorkspacesReachMetadata } from "./workspaces";

/** The network the platform runs in: the foundation's, or one the stack builds for itself (dev only). */
export interface NetworkContext {
    source: "foundation" | "standalone";
    vpcId: pulumi.Input<string>;
    vpcCidr: pulumi.Input<string>;
    privateSubnetIds: pulumi.Input<string[]>;
    /** Security groups and CIDRs of engineers' access path (VPN/bastion), from the foundation, or the access instance. */
    userAccessSecurityGroupIds: pulumi.Input<string>[];
    userAccessCidrs: string[];
    /** SNS topic for alarms, from the foundation. */
    alarmTopicArn?: string;
    /** The Session Manager access instance, when the stack has one. */
    accessInstanceId?: pulumi.Output<string>;
    /** How a standalone network reaches the internet, and its NAT instance (stopped with office hours). */
    egress?: EgressMode;
    natInstanceId?: pulumi.Output<string>;
}

/** What every section of the platform can build on. */
export interface PlatformContext {
    config: PlatformConfig;
    references: References;
    network: NetworkContext;
    key: PlatformKey;
    bucket: ArtifactBucket;
    /** Options for top-level components: the explicit AWS provider. */
    opts: pulumi.ComponentResourceOptions;
}

export function buildNetwork(config: PlatformConfig, references: References, key: PlatformKey, opts: pulumi.ComponentResourceOptions): NetworkContext {
    const f = references.foundation;
    if (f) {
        return {
            source: "foundation",
            vpcId: f.vpcId,
            vpcCidr: f.vpcCidr,
            privateSubnetIds: f.privateSubnetIds,
            userAccessSecurityGroupIds: f.userAccessSecurityGroupIds,
            userAccessCidrs: f.userAccessCidrs,
            alarmTopicArn: f.alarmTopicArn,
        };
    }
    const network = new StandaloneNetwork(
        `${config.namePrefix}-network`,
        { namePrefix: config.namePrefix, cidrBlock: config.network.vpcCidr, egress: config.network.egress, region: config.region, kmsKeyArn: key.keyArn, logRetentionDays: config.logRetentionDays },
        opts,
    );
    const access = config.accessInstance
        ? new AccessInstance(
              `${config.namePrefix}-access`,
              { namePrefix: config.namePrefix, region: config.region, vpcId: network.vpcId, vpcCidr: network.vpcCidr, subnetId: network.privateSubnetIds.apply((ids) => ids[0]), engineerRoleNames: config.engineerRoleNames },
              opts,
          )
        : undefined;
    return {
        source: "standalone",
        vpcId: network.vpcId,
        vpcCidr: network.vpcCidr,
        privateSubnetIds: network.privateSubnetIds,
        userAccessSecurityGroupIds: access ? [access.securityGroupId] : [],
        userAccessCidrs: [],
        ...(access ? { accessInstanceId: access.instanceId } : {}),
        egress: network.egress,
        ...(network.natInstanceId ? { natInstanceId: network.natInstanceId } : {}),
    };
}

/**
 * The metadata service, its database, private API and the optional public API and UI. `batchComputeSecurityGroupIds`
 * are the security groups of the Batch compute environments, admitted by the service's load balancer.
 */
export function buildMetadataService(ctx: PlatformContext, batchComputeSecurityGroupIds: pulumi.Input<string>[], workspaces?: Workspaces): MetaflowService {
    const { config, network } = ctx;
    const s = config.service;
    const sharedDb = ctx.references.foundation?.database;
    return new MetaflowService(
        `${config.namePrefix}-metadata`,
        {
            namePrefix: config.namePrefix,
            region: config.region,
            environment: config.environment,
            vpcId: network.vpcId,
            privateSubnetIds: network.privateSubnetIds,
            kmsKeyArn: ctx.key.keyArn,
            datastoreBucketArn: ctx.bucket.bucketArn,
            datastoreRoot: ctx.bucket.datastoreRoot,
            logRetentionDays: config.logRetentionDays,
            image: s.image,
            cpu: s.cpu,
            memory: s.memory,
            desiredCount: s.desiredTasks,
            minCount: s.minTasks,
            maxCount: s.maxTasks,
            cpuTargetPercent: s.cpuTargetPercent,
            highAvailability: config.environment === "prod",
            clientSecurityGroupIds: batchComputeSecurityGroupIds,
            userAccessSecurityGroupIds: network.userAccessSecurityGroupIds,
            userAccessCidrs: network.userAccessCidrs,
            ...(workspaces ? { workspaceSecurityGroupId: workspaces.securityGroupId } : {}),
            ...serviceTls(config, ctx.references),
            database: sharedDb
                ? { external: { endpoint: sharedDb.endpoint, port: sharedDb.port, securityGroupId: sharedDb.securityGroupId, secretArn: sharedDb.secretArn, secretKmsKeyArn: ctx.references.foundation!.kmsKeyArn } }
                : { dedicated: s.database },
            publicApi: s.publicApi,
            publicApiAccountRole: s.publicApiAccountRole,
            ui: s.ui && {
                staticImage: s.ui.staticImage,
                backend: s.ui.backend,
                static: s.ui.static,
                oidc: s.ui.oidc && { ...s.ui.oidc, clientSecret: pulumi.secret(s.ui.oidc.clientSecret) },
            },
            protect: config.protect,
            accessLogRetentionDays: s.accessLogs ? Math.max(config.logRetentionDays, 90) : undefined,
        },
        ctx.opts,
    );
}

/**
 * Alarms on the metadata service and (when the stack owns it) its database, failure notifications for this stack's
 * state machines and job queues, and the budget of `monthlyBudgetUsd` on the `stack` cost-allocation tag.
 */
export function buildMonitoring(ctx: PlatformContext, metadata: MetaflowService, compute: ComputeSection): Monitoring {
    const { config } = ctx;
    const db = config.service.database;
    return new Monitoring(
        `${config.namePrefix}-monitoring`,
        {
            namePrefix: config.namePrefix,
            region: config.region,
            alarmTopicArn: ctx.network.alarmTopicArn,
            kmsKeyArn: ctx.network.alarmTopicArn ? undefined : ctx.key.keyArn,
            alarmEmail: config.monitoring.alarmEmail,
            service: {
                loadBalancerArnSuffix: metadata.loadBalancerArnSuffix,
                targetGroupArnSuffix: metadata.targetGroupArnSuffix,
                clusterName: metadata.clusterName,
                serviceName: metadata.serviceName,
            },
            database: metadata.databaseIdentifier ? { identifier: metadata.databaseIdentifier, allocatedStorageGb: db.storageGb, instanceClass: db.instanceClass } : undefined,
            stateMachinePrefix: config.sfn.stateMachinePrefix,
            jobQueueArns: compute.queueArns,
            budget: { monthlyUsd: config.monthlyBudgetUsd, tagKey: "stack", tagValue: config.tags.stack },
            eventRules: Object.fromEntries(Object.entries(compute.scheduler.triggers).map(([id, t]) => [`trigger-${id}`, t.ruleName])),
            models: config.monitoring.models,
            ...(config.serving ? { servingEndpoints: servingEndpoints(config.namePrefix, config.serving.models) } : {}),
        },
        ctx.opts,
    );
}

/** Served models' endpoints by model, named by the convention flows deploy them under (components/serving `endpointName`). */
function servingEndpoints(namePrefix: string, models: string[]): Record<string, string> {
    return Object.fromEntries(models.map((m) => [m, endpointName(namePrefix, m)]));
}

/**
 * The stack's CloudWatch dashboard (with monitoring): this stack's state machines, queues, metadata service, database
 * and budget.
 */
export function buildDashboard(ctx: PlatformContext, metadata: MetaflowService, compute: ComputeSection): PlatformDashboard {
    const { config } = ctx;
    return new PlatformDashboard(
        `${config.namePrefix}-ops`,
        {
            namePrefix: config.namePrefix,
            title: `Metaflow platform: ${config.tags.stack} (${config.environment}, ${config.namePrefix})`,
            region: config.region,
            stateMachinePrefix: config.sfn.stateMachinePrefix,
            queueNames: Object.fromEntries(Object.entries(compute.queues).map(([id, q]) => [id, q.queueName])),
            service: {
                loadBalancerArnSuffix: metadata.loadBalancerArnSuffix,
                targetGroupArnSuffix: metadata.targetGroupArnSuffix,
                clusterName: metadata.clusterName,
                serviceName: metadata.serviceName,
            },
            database: metadata.databaseIdentifier ? { identifier: metadata.databaseIdentifier, allocatedStorageGb: config.service.database.storageGb } : undefined,
            monthlyBudgetUsd: config.monthlyBudgetUsd,
            // The pipeline event log exists whenever monitoring does (buildPipelineEvents).
            pipelineNamespace: pipelineNamespace(config.namePrefix),
            delivery: { deliveryNamespace: deliveryNamespace(config.namePrefix), logs: pipelineLogGroupNames(config.namePrefix) },
            ...(config.serving ? { servingEndpoints: servingEndpoints(config.namePrefix, config.serving.models) } : {}),
        },
        ctx.opts,
    );
}

/**
 * The pipeline event log (with monitoring): execution and job state changes of this stack, the metrics, Contributor
 * Insights rules and saved queries derived from them.
 */
export function buildPipelineEvents(ctx: PlatformContext, compute: ComputeSection, monitoring: Monitoring): PipelineEvents {
    const { config } = ctx;
    return new PipelineEvents(
        `${config.namePrefix}-pipeline-events`,
        {
            namePrefix: config.namePrefix,
            region: config.region,
            kmsKeyArn: ctx.key.keyArn,
            logRetentionDays: config.logRetentionDays,
            stateMachinePrefix: config.sfn.stateMachinePrefix,
            jobQueueArns: compute.queueArns,
            alarmTopicArn: monitoring.topicArn,
        },
        ctx.opts,
    );
}

/** Alarms that the service and database being down at night would fire: their actions pause outside office hours. */
const OFF_HOURS_MUTED_ALARMS = ["service-unhealthy-hosts", "service-no-healthy-host", "alb-5xx", "service-5xx", "service-cpu", "service-memory", "db-cpu", "db-free-storage", "db-connections"];

/**
 * Office hours (dev by default): the metadata service scales to zero and its dedicated database stops outside them;
 * the alarms that would fire meanwhile are paused.
 */
/** Office hours; `deployRoleNames`: CI deploy roles, which may wake the stack like engineers. */
export function buildOfficeHours(ctx: PlatformContext, metadata: MetaflowService, monitoring: Monitoring | undefined, deployRoleNames: pulumi.Input<string>[]): OfficeHours | undefined {
    const { config } = ctx;
    if (config.officeHours === false) return undefined;
    const s = config.service;
    return new OfficeHours(
        `${config.namePrefix}-office-hours`,
        {
            namePrefix: config.namePrefix,
            region: config.region,
            hours: config.officeHours,
            service: { scalableResourceId: metadata.scalableResourceId, minTasks: s.minTasks, maxTasks: s.maxTasks },
            databaseIdentifier: metadata.databaseIdentifier,
            // The NAT instance and the access instance serve only while the service does; the NAT instance starts
            // with the database, before the first task pulls its image through it.
            instanceIds: [ctx.network.natInstanceId, ctx.network.accessInstanceId].filter((id): id is pulumi.Output<string> => id !== undefined),
            wake: { clusterName: metadata.clusterName, serviceName: metadata.serviceName, scalableTargetArn: metadata.scalableTargetArn, roleNames: [...config.engineerRoleNames, ...deployRoleNames] },
            alarmNames: monitoring?.alarmNames.apply((names) => Object.entries(names).filter(([role]) => OFF_HOURS_MUTED_ALARMS.includes(role)).map(([, n]) => n)),
        },
        ctx.opts,
    );
}

/**
 * The Parameter Store hierarchy: the profile engineers and CI bootstrap from, and the settings the templates read
 * (where data goes, which queue has GPUs, the model-metrics namespace and the thresholds the alarms use).
 */
export function buildParameters(ctx: PlatformContext, compute: ComputeSection, profile: pulumi.Input<Record<string, string>>): PlatformParameters {
    const { config } = ctx;
    const m = config.monitoring.models;
    const gpu = config.batch.queues.find((q) => q.kind === "gpu");
    const defaultQueue = compute.queues[config.batch.defaultQueue] ?? Object.values(compute.queues)[0];
    return new PlatformParameters(
        `${config.namePrefix}-parameters`,
        {
            namePrefix: config.namePrefix,
            kmsKeyArn: ctx.key.keyArn,
            profile,
            settings: {
                region: config.region,
                "data-root": ctx.bucket.datatoolsRoot,
                "default-queue": defaultQueue.queueArn,
                ...(gpu ? { "gpu-queue": compute.queues[gpu.name].queueArn } : {}),
                "metric-namespace": m.namespace,
                "drift-psi-threshold": String(m.psiThreshold),
                "drift-ks-threshold": String(m.ksThreshold),
                "min-accuracy": String(m.minAccuracy),
                ...servingSettings(compute),
                ...(config.monitoring.enabled ? { ...figureSettings(config.namePrefix), ...reportSettings(config, compute) } : {}),
            },
        },
        ctx.opts,
    );
}

/**
 * With monitoring, where the weekly report and CI find the figures: the pipeline event log's groups and the two
 * metric namespaces (the pipeline metrics, and the delivery metrics CI records after each deployment).
 */
function figureSettings(namePrefix: string): Record<string, string> {
    const logs = pipelineLogGroupNames(namePrefix);
    return {
        "pipeline-event-log": logs.executions,
        "pipeline-job-log": logs.jobs,
        "deployment-log": logs.deployments,
        "pipeline-namespace": pipelineNamespace(namePrefix),
        "delivery-namespace": deliveryNamespace(namePrefix),
    };
}

/**
 * Per served model, what a deploy flow reads: the model package group it registers versions in
 * (`serving-<model>-group`), the endpoint role it passes to CreateModel (`serving-<model>-endpoint-role`), and the
 * largest serverless config the job role lets it create (`serving-<model>-memory-mb`, `serving-<model>-max-concurrency`).
 */
function servingSettings(compute: ComputeSection): Record<string, pulumi.Input<string>> {
    const models = compute.serving?.models ?? {};
    const caps = compute.serving?.caps;
    return Object.fromEntries(
        Object.entries(models).flatMap(([model, m]) => [
            [`serving-${model}-group`, m.groupName],
            [`serving-${model}-endpoint-role`, m.endpointRoleArn],
            [`serving-${model}-memory-mb`, String(caps?.memorySizeMb)],
            [`serving-${model}-max-concurrency`, String(caps?.maxConcurrency)],
        ]),
    );
}

/**
 * The metadata service's certificate: the stack's own (`serviceCertificateArn` and `serviceDomainName`) when set, else
 * the one the foundation offers (optional outputs of the same names), else none (plain HTTP inside the VPC; see
 * docs/policies.md, "Transport to the metadata service").
 */
export function serviceTls(config: Pick<PlatformConfig, "service">, references: References): { certificateArn?: string; domainName?: string } {
    if (config.service.certificateArn) return { certificateArn: config.service.certificateArn, domainName: config.service.domainName };
    const f = references.foundation?.serviceCertificate;
    return f ? { certificateArn: f.arn, domainName: f.domainName } : {};
}

/** Builds every component of the stack and returns the stack outputs. */
export function buildPlatform(config: PlatformConfig, references: References, opts: pulumi.ComponentResourceOptions): Record<string, unknown> {
    const key = buildPlatformKey(config, references, opts);
    const network = buildNetwork(config, references, key, opts);
    const bucket = buildArtifactBucket(config, key, opts);
    const ctx: PlatformContext = { config, references, network, key, bucket, opts };
    const compute = buildCompute(ctx);
    const metaflowRoles = metaflowRoleArns(compute);
    const engineers = buildEngineerAccess(ctx, compute, metaflowRoles);
    const workspaces = buildWorkspaces(config, { vpcId: network.vpcId, privateSubnetIds: network.privateSubnetIds, kmsKeyArn: key.keyArn, bucketName: bucket.bucketName, engineerPolicyArns: engineerPolicies(engineers) }, opts);

    // `@batch` tasks and the workspaces record metadata: the service's load balancer admits their security groups,
    // whose egress opens to exactly that load balancer on its listener port.
    const metadata = buildMetadataService(ctx, [compute.compute.securityGroupId], workspaces);
    letBatchReachMetadata(ctx, compute, metadata);
    letWorkspacesReachMetadata(workspaces, metadata, servicePort(serviceTls(config, references).certificateArn));

    const dask = buildDaskBridge(ctx, compute);

    const monitoring = config.monitoring.enabled ? buildMonitoring(ctx, metadata, compute) : undefined;
    const dashboard = config.monitoring.enabled ? buildDashboard(ctx, metadata, compute) : undefined;
    const pipelineEvents = monitoring ? buildPipelineEvents(ctx, compute, monitoring) : undefined;
    const deploy = buildFlowDeployRole(ctx, metaflowRoles);
    const officeHours = buildOfficeHours(ctx, metadata, monitoring, deploy ? [deploy.roleName] : []);

    const profile = metaflowProfile(ctx, compute, metadata);
    const parameters = buildParameters(ctx, compute, profile);
    return platformOutputs(ctx, { compute, metadata, engineers, workspaces, officeHours, monitoring, dashboard, pipelineEvents, dask, deploy, parameters, profile });
}

/** The platform key, protected with the stack; it admits the alarm publishers when the stack's own topic needs it. */
function buildPlatformKey(config: PlatformConfig, references: References, opts: pulumi.ComponentResourceOptions): PlatformKey {
    const p = config.namePrefix;
    return new PlatformKey(
        `${p}-kms`,
        {
            namePrefix: p,
            region: config.region,
            protect: config.protect,
            deletionWindowInDays: config.protect ? 30 : 7,
            autoScalingEbs: config.batch.rootVolumePlatformKey,
            // Without a foundation the stack's own alarm topic is encrypted with this key.
            alarmPublishers: config.monitoring.enabled && !references.foundation,
        },
        opts,
    );
}

/** The datastore bucket under the platform key, with the configured lifecycle, access logs and EventBridge events. */
function buildArtifactBucket(config: PlatformConfig, key: PlatformKey, opts: pulumi.ComponentResourceOptions): ArtifactBucket {
    return new ArtifactBucket(
        `${config.namePrefix}-artifacts`,
        {
            kmsKeyArn: key.keyArn,
            lifecycle: config.artifacts,
            accessLogging: config.artifacts.accessLogging,
            accessLogRetentionDays: Math.max(config.logRetentionDays, 90),
            eventBridge: config.artifacts.eventBridge,
            protect: config.protect,
        },
        opts,
    );
}

/** Opens the compute security group's egress to the metadata service's load balancer, on its listener port only. */
function letBatchReachMetadata(ctx: PlatformContext, compute: ComputeSection, metadata: MetaflowService): void {
    compute.compute.allowEgress("metadata", {
        port: servicePort(serviceTls(ctx.config, ctx.references).certificateArn),
        securityGroupId: metadata.loadBalancerSecurityGroupId,
        description: "Metaflow metadata service (internal load balancer)",
    });
}

/** The bridge to the foundation's Dask scheduler, when the stack references one. */
function buildDaskBridge(ctx: PlatformContext, compute: ComputeSection): DaskBridge | undefined {
    const dask = ctx.references.dask;
    const p = ctx.config.namePrefix;
    return dask
        ? new DaskBridge(
              `${p}-dask`,
              {
                  namePrefix: p,
                  computeSecurityGroupId: compute.compute.securityGroupId,
                  schedulerAddress: dask.schedulerAddress,
                  schedulerSecurityGroupId: dask.schedulerSecurityGroupId,
                  dashboardUrl: dask.dashboardUrl,
              },
              ctx.opts,
          )
        : undefined;
}

/** The roles engineers and the deploy role may pass: exactly the ones a deployed flow names. */
function metaflowRoleArns(compute: ComputeSection): pulumi.Output<string>[] {
    // The roles a deployed flow names, which whoever runs or deploys flows passes: task, Step Functions, @schedule.
    return [
        compute.jobRole.roleArn,
        compute.scheduler.executionRoleArn,
        compute.scheduler.eventsRoleArn,
        ...(compute.compute.fargateExecutionRoleArn ? [compute.compute.fargateExecutionRoleArn] : []),
    ];
}

/** The engineers' policies by name: what a workspace of theirs gets too. */
function engineerPolicies(engineers: EngineerAccess): Record<string, pulumi.Output<string>> {
    return { engineer: engineers.policyArn, ...(engineers.deployPolicyArn ? { "engineer-deploy": engineers.deployPolicyArn } : {}) };
}

/** The engineers' policy (datastore, queues, this stack's state machines, model metrics; model deployment when `serving.engineersMayDeploy`), attached to their roles. */
function buildEngineerAccess(ctx: PlatformContext, compute: ComputeSection, metaflowRoles: pulumi.Output<string>[]): EngineerAccess {
    const { config } = ctx;
    const p = config.namePrefix;
    return new EngineerAccess(
        `${p}-engineers`,
        {
            namePrefix: p,
            region: config.region,
            bucketArn: ctx.bucket.bucketArn,
            kmsKeyArn: ctx.key.keyArn,
            jobQueueArns: compute.queueArns,
            passRoleArns: metaflowRoles,
            stateMachinePrefix: config.sfn.stateMachinePrefix,
            attachToRoles: config.engineerRoleNames,
            metricNamespace: config.monitoring.models.namespace,
            ...(compute.serving && config.serving?.engineersMayDeploy ? { modelDeploy: { caps: servingCaps(config.serving), endpointRoleArns: compute.serving.endpointRoleArns } } : {}),
        },
        ctx.opts,
    );
}

/** The CI role that deploys flows (through the OIDC provider), when `flowDeploy` is configured. */
function buildFlowDeployRole(ctx: PlatformContext, metaflowRoles: pulumi.Output<string>[]): FlowDeployRole | undefined {
    const { config } = ctx;
    const p = config.namePrefix;
    return config.flowDeploy
        ? new FlowDeployRole(
              `${p}-flow-deploy`,
              {
                  ...config.flowDeploy,
                  namePrefix: p,
                  region: config.region,
                  bucketArn: ctx.bucket.bucketArn,
                  kmsKeyArn: ctx.key.keyArn,
                  stateMachinePrefix: config.sfn.stateMachinePrefix,
                  passRoleArns: metaflowRoles,
              },
              ctx.opts,
          )
        : undefined;
}

/** The Metaflow profile engineers and CI bootstrap from: datastore, metadata service, UI, and the compute section's keys. */
function metaflowProfile(ctx: PlatformContext, compute: ComputeSection, metadata: MetaflowService): pulumi.Output<Record<string, string>> {
    const { bucket } = ctx;
    return metaflowConfig({
        DATASTORE_SYSROOT_S3: bucket.datastoreRoot,
        DATATOOLS_S3ROOT: bucket.datatoolsRoot,
        // Never the public API's key: Metaflow 2.19.38 turns SERVICE_AUTH_KEY into the x-api-key header
        // (metaflow_config.py:290-293) and hands its headers to every Batch task and state machine definition as
        // METAFLOW_SERVICE_HEADERS (plugins/aws/batch/batch.py:328-330). The profile uses the internal URL, which
        // needs no key; the key stays in Secrets Manager (metadataApiKeySecretArn) for client-only use.
        SERVICE_URL: metadata.internalUrl,
        SERVICE_INTERNAL_URL: metadata.internalUrl,
        UI_URL: metadata.uiUrl,
        // Tags on every Batch job Metaflow submits (flow, step, run, engineer): the pipeline event log's per-engineer
        // figures read them, and engineers' and the Step Functions role's policies grant batch:TagResource.
        BATCH_EMIT_TAGS: "true",
        ...compute.metaflow,
    });
}

/** The components the stack outputs name, besides the context's network, key and bucket. */
interface PlatformSections {
    compute: ComputeSection;
    metadata: MetaflowService;
    engineers: EngineerAccess;
    workspaces?: Workspaces;
    officeHours?: OfficeHours;
    monitoring?: Monitoring;
    dashboard?: PlatformDashboard;
    pipelineEvents?: PipelineEvents;
    dask?: DaskBridge;
    deploy?: FlowDeployRole;
    parameters: PlatformParameters;
    profile: pulumi.Output<Record<string, string>>;
}

/** The stack outputs: where everything is, for engineers, CI, other stacks and operators; optional parts only when built. */
function platformOutputs(ctx: PlatformContext, s: PlatformSections): Record<string, unknown> {
    const { config, key, bucket } = ctx;
    const { metadata, officeHours, monitoring, dashboard, pipelineEvents, dask, deploy, parameters } = s;
    return {
        environment: config.environment,
        region: config.region,
        network: networkOutputs(ctx.network),
        kmsKeyArn: key.keyArn,
        artifactBucket: bucket.bucketName,
        artifactBucketArn: bucket.bucketArn,
        datastoreRoot: bucket.datastoreRoot,
        datatoolsRoot: bucket.datatoolsRoot,
        metadataServiceUrl: metadata.internalUrl,
        metadataPublicUrl: metadata.publicUrl,
        metadataApiKeySecretArn: metadata.apiKeySecretArn,
        metaflowUiUrl: metadata.uiUrl,
        metadataDatabaseSecretArn: metadata.databaseSecretArn,
        metadataLogGroup: metadata.logGroupName,
        ...s.compute.outputs,
        engineerPolicyArn: s.engineers.policyArn,
        ...(officeHours ? { officeHours: { ...config.officeHours, weeklyHours: officeHours.weeklyHours, schedules: officeHours.scheduleNames, wakeCommand: officeHours.wakeCommand, wakePolicyArn: officeHours.wakePolicyArn } } : {}),
        ...(monitoring ? { monitoring: { alarmTopicArn: monitoring.topicArn, alarmNames: monitoring.alarmNames, budgetName: monitoring.budgetName, dashboardUrl: dashboard?.url, pipelineEventLog: pipelineEvents?.logGroupName, pipelineJobLog: pipelineEvents?.jobLogGroupName, deploymentLog: pipelineEvents?.deploymentLogGroupName, pipelineQueries: pipelineEvents?.queryNames } } : {}),
        ...(dask ? { dask: { schedulerAddress: dask.schedulerAddress, schedulerAddressParameter: dask.schedulerAddressParameter, dashboardUrlParameter: dask.dashboardUrlParameter } } : {}),
        ...(deploy ? { flowDeploy: { roleArn: deploy.roleArn, oidcProviderArn: deploy.oidcProviderArn, subjects: deploy.subjects } } : {}),
        ...(s.workspaces ? { workspaces: workspaceOutputs(s.workspaces) } : {}),
        parameters: { profile: parameters.profileParameterName, settings: parameters.settingsPath, params: parameters.paramsPath },
        metaflowConfig: s.profile,
    };
}

/** Where the workspaces are and how an engineer opens theirs (docs/onboarding.md, "Your first flow from a workspace"). */
function workspaceOutputs(w: Workspaces): Record<string, unknown> {
    return {
        domainId: w.domainId,
        domainUrl: w.domainUrl,
        accessPolicyArn: w.accessPolicyArn,
        profiles: w.profileNames,
        openCommand: pulumi.interpolate`aws sagemaker create-presigned-domain-url --domain-id ${w.domainId} --user-profile-name <your profile> --query AuthorizedUrl --output text`,
    };
}

/** The network output: its source and ids, and the access instance, egress and NAT instance when there are some. */
function networkOutputs(n: NetworkContext): Record<string, unknown> {
    return {
        source: n.source,
        vpcId: n.vpcId,
        vpcCidr: n.vpcCidr,
        privateSubnetIds: n.privateSubnetIds,
        ...(n.accessInstanceId ? { accessInstanceId: n.accessInstanceId } : {}),
        ...(n.egress ? { egress: n.egress } : {}),
        ...(n.natInstanceId ? { natInstanceId: n.natInstanceId } : {}),
    };
}
