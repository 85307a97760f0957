/**
 * The IAM statements of registering and deploying models, written once: the job role has them (every flow deploys as
 * it), and the engineers' policy gets the same ones when `serving.engineersMayDeploy` (components/engineer-access.ts).
 * The approver policy is ModelServing's own (components/serving/index.ts).
 */
import type * as pulumi from "@pulumi/pulumi";

import type { ServerlessCaps } from "./rules";

/** What the statements are scoped to. */
export interface ModelDeployScope {
    /** ARNs in the stack's region and account. */
    arn: (service: string, resource: string) => pulumi.Output<string>;
    /** SageMaker resources named `<namePrefix>-*` only. */
    namePrefix: string;
    /** The largest serverless endpoint config the principal may create. */
    caps: ServerlessCaps;
    /** The served models' endpoint roles, which the principal may pass to SageMaker (CreateModel); none when absent. */
    endpointRoleArns?: pulumi.Input<string>[];
}

/** `arn:aws:sagemaker:<region>:<account>:<type>/<namePrefix>-*`. */
function prefixed(scope: ModelDeployScope): (type: string) => pulumi.Output<string> {
    return (type) => scope.arn("sagemaker", `${type}/${scope.namePrefix}-*`);
}

/**
 * The model registry: groups named `<namePrefix>-*` and their versions (`model-package/<group>/<n>`, which
 * `model-package/<namePrefix>-*` covers). A version is registered only pending manual approval and may be marked
 * rejected (the deploy flow's rollback); no statement here lets anyone approve one: approval is the approvers'.
 */
function modelRegistryStatements(scope: ModelDeployScope): unknown[] {
    const sm = prefixed(scope);
    const status = (s: string) => ({ StringEquals: { "sagemaker:ModelApprovalStatus": s } });
    return [
        { Sid: "ModelPackageGroups", Effect: "Allow", Action: ["sagemaker:CreateModelPackageGroup", "sagemaker:DescribeModelPackageGroup"], Resource: sm("model-package-group") },
        // ListModelPackages' resource type is optional and it has no condition key: scoped to the prefix, not "*".
        { Sid: "ModelPackagesRead", Effect: "Allow", Action: ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"], Resource: sm("model-package") },
        { Sid: "RegisterPendingModelPackage", Effect: "Allow", Action: "sagemaker:CreateModelPackage", Resource: sm("model-package"), Condition: status("PendingManualApproval") },
        { Sid: "RejectModelPackage", Effect: "Allow", Action: "sagemaker:UpdateModelPackage", Resource: sm("model-package"), Condition: status("Rejected") },
    ];
}

/**
 * Serving: endpoint configs of a prefixed model, serverless only and within the caps (an instance-backed config sends
 * no serverless keys, so the numeric conditions fail; a config mixing in an instance variant is denied outright), and
 * endpoints under the prefix created or updated only from configs under the prefix.
 */
function servingStatements(scope: ModelDeployScope): unknown[] {
    const sm = prefixed(scope);
    const caps = scope.caps;
    return [
        {
            Sid: "ServerlessEndpointConfigs",
            Effect: "Allow",
            Action: "sagemaker:CreateEndpointConfig",
            Resource: sm("endpoint-config"),
            Condition: {
                ArnLike: { "sagemaker:ModelArn": sm("model") },
                NumericLessThanEquals: { "sagemaker:ServerlessMemorySize": String(caps.memorySizeMb), "sagemaker:ServerlessMaxConcurrency": String(caps.maxConcurrency) },
            },
        },
        { Sid: "NoInstanceEndpointConfigs", Effect: "Deny", Action: "sagemaker:CreateEndpointConfig", Resource: sm("endpoint-config"), Condition: { "ForAnyValue:StringLike": { "sagemaker:InstanceTypes": "*" } } },
        // CreateEndpoint and UpdateEndpoint are authorised on the endpoint and on its endpoint config.
        { Sid: "PrefixedEndpoints", Effect: "Allow", Action: ["sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint"], Resource: [sm("endpoint"), sm("endpoint-config")] },
        { Sid: "EndpointConfigs", Effect: "Allow", Action: ["sagemaker:DescribeEndpointConfig", "sagemaker:DeleteEndpointConfig"], Resource: sm("endpoint-config") },
        { Sid: "EndpointUse", Effect: "Allow", Action: ["sagemaker:DescribeEndpoint", "sagemaker:DeleteEndpoint", "sagemaker:InvokeEndpoint"], Resource: sm("endpoint") },
    ];
}

/**
 * Registering and deploying models, everything named `<namePrefix>-*`: models, the registry (register pending,
 * reject), serverless endpoint configs within the caps, endpoints, and passing the served models' endpoint roles to
 * SageMaker only.
 */
export function modelDeployStatements(scope: ModelDeployScope): unknown[] {
    const sm = prefixed(scope);
    return [
        { Sid: "SageMakerModels", Effect: "Allow", Action: ["sagemaker:CreateModel", "sagemaker:DescribeModel", "sagemaker:DeleteModel"], Resource: sm("model") },
        ...modelRegistryStatements(scope),
        ...servingStatements(scope),
        ...(scope.endpointRoleArns?.length
            ? [
                  {
                      // A served model's models run as its endpoint role, which reads only that model's artifacts.
                      Sid: "PassEndpointRoles",
                      Effect: "Allow",
                      Action: "iam:PassRole",
                      Resource: scope.endpointRoleArns,
                      Condition: { StringEquals: { "iam:PassedToService": "sagemaker.amazonaws.com" } },
                  },
              ]
            : []),
    ];
}
