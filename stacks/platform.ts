/**
 * Composition of the platform for one stack: which components exist and how their outputs feed each other. The
 * configuration is already validated and the references resolved when this runs; components get typed arguments.
 */
import * as pulumi from "@pulumi/pulumi";

import { ArtifactBucket } from "../components/artifact-bucket";
import { PlatformKey } from "../components/platform-key";
import { StandaloneNetwork } from "../components/standalone-network";
import { buildCompute } from "./compute";
import { PlatformConfig } from "./config";
import { metaflowConfig } from "./metaflow-config";
import { References } from "./references";

/** The network the platform runs in: the foundation's, or one the stack builds for itself (dev only). */
export interface NetworkContext {
    source: "foundation" | "standalone";
    vpcId: pulumi.Input<string>;
    vpcCidr: pulumi.Input<string>;
    privateSubnetIds: pulumi.Input<string[]>;
    /** Security groups and CIDRs of engineers' access path (VPN/bastion), from the foundation. */
    userAccessSecurityGroupIds: string[];
    userAccessCidrs: string[];
    /** SNS topic for alarms, from the foundation. */
    alarmTopicArn?: string;
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
        { cidrBlock: config.network.vpcCidr, region: config.region, kmsKeyArn: key.keyArn, logRetentionDays: config.logRetentionDays },
        opts,
    );
    return {
        source: "standalone",
        vpcId: network.vpcId,
        vpcCidr: network.vpcCidr,
        privateSubnetIds: network.privateSubnetIds,
        userAccessSecurityGroupIds: [],
        userAccessCidrs: [],
    };
}

/** Builds every component of the stack and returns the stack outputs. */
export function buildPlatform(config: PlatformConfig, references: References, opts: pulumi.ComponentResourceOptions): Record<string, unknown> {
    const p = config.namePrefix;
    const key = new PlatformKey(
        `${p}-kms`,
        {
            namePrefix: p,
            region: config.region,
            protect: config.protect,
            deletionWindowInDays: config.protect ? 30 : 7,
            autoScalingEbs: config.batch.rootVolumePlatformKey,
        },
        opts,
    );
    const network = buildNetwork(config, references, key, opts);
    const bucket = new ArtifactBucket(
        `${p}-artifacts`,
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
    const ctx: PlatformContext = { config, references, network, key, bucket, opts };
    const compute = buildCompute(ctx);

    return {
        environment: config.environment,
        region: config.region,
        network: { source: ctx.network.source, vpcId: ctx.network.vpcId, privateSubnetIds: ctx.network.privateSubnetIds },
        kmsKeyArn: key.keyArn,
        artifactBucket: bucket.bucketName,
        artifactBucketArn: bucket.bucketArn,
        datastoreRoot: bucket.datastoreRoot,
        datatoolsRoot: bucket.datatoolsRoot,
        ...compute.outputs,
        metaflowConfig: metaflowConfig({ DATASTORE_SYSROOT_S3: bucket.datastoreRoot, DATATOOLS_S3ROOT: bucket.datatoolsRoot, ...compute.metaflow }),
    };
}
