/**
 * IAM documents shared by the components.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { NO_SOURCE_ACCOUNT_SERVICES } from "../aws-facts/iam-services";
import { NAME_LIMITS, physicalName } from "./naming";

/**
 * The trust policy of a role one AWS service assumes on behalf of this account only (`aws:SourceAccount`), with
 * optional further conditions (e.g. `ArnEquals: {"aws:SourceArn": ruleArn}` to name the one resource that may).
 * Services that never supply `aws:SourceAccount` when they assume a role (EC2, API Gateway: see
 * NO_SOURCE_ACCOUNT_SERVICES, with the AWS documentation) get no condition: with one, they could not assume it.
 */
export function serviceTrustPolicy(service: string, account: pulumi.Input<string>, conditions: Record<string, Record<string, pulumi.Input<string>>> = {}): pulumi.Output<string> {
    if (NO_SOURCE_ACCOUNT_SERVICES.has(service) && Object.keys(conditions).length) throw new Error(`serviceTrustPolicy: ${service} supplies no aws:SourceAccount or aws:SourceArn; no condition can name its source`);
    return pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Service: service },
                Action: "sts:AssumeRole",
                ...(NO_SOURCE_ACCOUNT_SERVICES.has(service) ? {} : { Condition: { StringEquals: { "aws:SourceAccount": account }, ...conditions } }),
            },
        ],
    });
}

/** Arguments of {@link serviceRole}. */
export interface ServiceRoleArgs {
    /** The stack's name prefix and the role's part of the name: the role is named `<namePrefix>-<nameSuffix>` (see physicalName). */
    namePrefix: string;
    nameSuffix: string;
    /** None: the role gets no description input at all. */
    description?: string;
    /** The service principal that assumes the role, e.g. `states.amazonaws.com`. */
    service: string;
    account: pulumi.Input<string>;
}

/**
 * A role one AWS service assumes on behalf of this account ({@link serviceTrustPolicy}), with a deterministic physical
 * name under IAM's length limit. Its permissions are the caller's: usually an inline `aws.iam.RolePolicy` right after.
 */
export function serviceRole(logicalName: string, args: ServiceRoleArgs, opts: pulumi.CustomResourceOptions): aws.iam.Role {
    return new aws.iam.Role(
        logicalName,
        {
            name: physicalName(args.namePrefix, args.nameSuffix, NAME_LIMITS.iamRole),
            ...(args.description !== undefined ? { description: args.description } : {}),
            assumeRolePolicy: serviceTrustPolicy(args.service, args.account),
        },
        opts,
    );
}

/** Builds ARNs of this account and region: `arn("states", "stateMachine:mf-dev_*")`. */
export function regionalArns(region: string, account: pulumi.Input<string>): (service: string, resource: string) => pulumi.Output<string> {
    return (service, resource) => pulumi.interpolate`arn:aws:${service}:${region}:${account}:${resource}`;
}

/**
 * The condition on `batch:RegisterJobDefinition` grants: Metaflow registers its job definitions with `privileged` from
 * @batch (false unless asked), and refusing privileged ones keeps a job from getting root on the host
 * (policies/security: iam-batch-register-unprivileged).
 */
export const UNPRIVILEGED_JOB_DEFINITIONS = { BoolIfExists: { "batch:Privileged": "false" } } as const;
