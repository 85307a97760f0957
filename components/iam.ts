/**
 * IAM documents shared by the components.
 */
import * as pulumi from "@pulumi/pulumi";

/**
 * The trust policy of a role one AWS service assumes on behalf of this account only (`aws:SourceAccount`), with
 * optional further conditions (e.g. `ArnEquals: {"aws:SourceArn": ruleArn}` to name the one resource that may).
 */
export function serviceTrustPolicy(service: string, account: pulumi.Input<string>, conditions: Record<string, Record<string, pulumi.Input<string>>> = {}): pulumi.Output<string> {
    return pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Service: service },
                Action: "sts:AssumeRole",
                Condition: { StringEquals: { "aws:SourceAccount": account }, ...conditions },
            },
        ],
    });
}

/** Builds ARNs of this account and region: `arn("states", "stateMachine:mf-dev_*")`. */
export function regionalArns(region: string, account: pulumi.Input<string>): (service: string, resource: string) => pulumi.Output<string> {
    return (service, resource) => pulumi.interpolate`arn:aws:${service}:${region}:${account}:${resource}`;
}
