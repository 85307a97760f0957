import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { physicalName } from "./naming";

/** Arguments of {@link PlatformKey}. */
export interface PlatformKeyArgs {
    /** Short prefix for the alias (`alias/<namePrefix>-platform`). */
    namePrefix: string;
    /** Region of the key: CloudWatch Logs in this region may use it for log groups of this account. */
    region: string;
    /** Days KMS waits before deleting a scheduled key (7-30). Default 30. */
    deletionWindowInDays?: number;
    /**
     * Let EC2 Auto Scaling's service-linked role use the key for EBS volumes of the instances it launches (Batch
     * compute environments with encrypted root volumes). The role must exist in the account. Default false.
     */
    autoScalingEbs?: boolean;
    /**
     * Let CloudWatch alarms, AWS Budgets and EventBridge rules of this account publish to an SNS topic encrypted with
     * the key (kms:GenerateDataKey* and kms:Decrypt, only with `aws:SourceAccount` = this account). Without it they
     * fail to deliver to such a topic, silently. Default false.
     */
    alarmPublishers?: boolean;
    /** Mark the key `protect` and `retainOnDelete`: losing it loses every object it encrypts. */
    protect?: boolean;
}

/**
 * The platform's customer-managed KMS key: encrypts the datastore bucket, log groups, secrets, parameters and the
 * Step Functions table. Rotation on. The key policy delegates to IAM (the account root statement) and lets CloudWatch
 * Logs use the key only for this account's log groups in this region; it names no wildcard principal.
 */
export class PlatformKey extends pulumi.ComponentResource {
    public readonly keyArn: pulumi.Output<string>;
    public readonly keyId: pulumi.Output<string>;
    public readonly aliasName: pulumi.Output<string>;

    constructor(name: string, args: PlatformKeyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("metaflow:security:PlatformKey", name, {}, opts);
        const problems = validatePlatformKeyArgs(args);
        if (problems.length) throw new Error(`PlatformKey ${name}: ${problems.join("; ")}`);

        const identity = aws.getCallerIdentityOutput({}, { parent: this });
        const policy = identity.accountId.apply((account) => JSON.stringify({ Version: "2012-10-17", Statement: keyPolicyStatements(args, account) }));
        const { key, alias } = keyWithAlias(this, name, args, policy);

        this.keyArn = key.arn;
        this.keyId = key.keyId;
        this.aliasName = alias.name;
        this.registerOutputs({ keyArn: this.keyArn, keyId: this.keyId, aliasName: this.aliasName });
    }
}

/** The key policy's statements: IAM administers, this account's log groups encrypt, and the optional service users. */
function keyPolicyStatements(args: PlatformKeyArgs, account: string): object[] {
    return [
        {
            Sid: "AccountAdministersThroughIam",
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${account}:root` },
            Action: "kms:*",
            Resource: "*",
        },
        {
            Sid: "CloudWatchLogsForThisAccount",
            Effect: "Allow",
            Principal: { Service: `logs.${args.region}.amazonaws.com` },
            Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            Resource: "*",
            Condition: {
                ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${args.region}:${account}:log-group:*` },
            },
        },
        ...(args.autoScalingEbs ? autoScalingEbsStatements(account) : []),
        ...(args.alarmPublishers ? alarmPublisherStatements(account) : []),
    ];
}

/** EC2 Auto Scaling's service-linked role may encrypt the EBS volumes it launches, and grant that to EC2. */
function autoScalingEbsStatements(account: string): object[] {
    const autoScaling = `arn:aws:iam::${account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
    return [
        {
            Sid: "AutoScalingEbsVolumes",
            Effect: "Allow",
            Principal: { AWS: autoScaling },
            Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            Resource: "*",
        },
        {
            Sid: "AutoScalingEbsGrants",
            Effect: "Allow",
            Principal: { AWS: autoScaling },
            Action: "kms:CreateGrant",
            Resource: "*",
            Condition: { Bool: { "kms:GrantIsForAWSResource": true } },
        },
    ];
}

/** The alarm publishers of this account may deliver to a topic encrypted with the key (see ALARM_PUBLISHERS). */
function alarmPublisherStatements(account: string): object[] {
    return [
        {
            Sid: "AlarmPublishersToEncryptedTopic",
            Effect: "Allow",
            Principal: { Service: [...ALARM_PUBLISHERS] },
            Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
            Resource: "*",
            Condition: { StringEquals: { "aws:SourceAccount": account } },
        },
    ];
}

/** The rotating key (protected when asked: losing it loses every object it encrypts) and its alias. */
function keyWithAlias(parent: pulumi.Resource, name: string, args: PlatformKeyArgs, policy: pulumi.Output<string>): { key: aws.kms.Key; alias: aws.kms.Alias } {
    const stateful = { parent, protect: args.protect, retainOnDelete: args.protect };
    const key = new aws.kms.Key(
        `${name}-key`,
        {
            description: `Metaflow platform key (${args.namePrefix}): datastore, logs, secrets, parameters, state`,
            enableKeyRotation: true,
            deletionWindowInDays: args.deletionWindowInDays ?? 30,
            policy,
        },
        stateful,
    );
    const alias = new aws.kms.Alias(`${name}-alias`, { name: `alias/${physicalName(args.namePrefix, "platform", 200)}`, targetKeyId: key.keyId }, { parent });
    return { key, alias };
}

/**
 * The services that publish alarms and notifications to the platform's alarm topic (costalerts: Cost Anomaly
 * Detection). Each is admitted with `aws:SourceAccount` = this account. For Cost Anomaly Detection AWS documents that
 * condition on the topic policy ("publish to the Amazon SNS topic only on behalf of a certain account": the
 * subscription's account ID as `aws:SourceAccount`, https://docs.aws.amazon.com/cost-management/latest/userguide/ad-SNS.html);
 * that page shows no `aws:SourceArn` example, so none is required of it. The key policy applies the same condition.
 */
export const ALARM_PUBLISHERS = ["cloudwatch.amazonaws.com", "budgets.amazonaws.com", "events.amazonaws.com", "costalerts.amazonaws.com"] as const;

export function validatePlatformKeyArgs(args: PlatformKeyArgs): string[] {
    const problems: string[] = [];
    const w = args.deletionWindowInDays;
    if (w !== undefined && (!Number.isInteger(w) || w < 7 || w > 30)) problems.push(`deletionWindowInDays ${w} must be an integer from 7 to 30`);
    return problems;
}
