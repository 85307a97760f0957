/**
 * The optional public API: a regional API Gateway REST API in front of the internal load balancer, for engineers
 * outside the VPC. REST (not HTTP API) because only REST APIs enforce API keys (`apiKeyRequired` on every method,
 * keys bound through a usage plan); a REST VPC link reaches only a Network Load Balancer, so an internal NLB forwards
 * TCP to the ALB (an `alb`-type target group). The key is generated with @pulumi/random, kept in Secrets Manager
 * under the platform key, and returned as a secret; the stage writes JSON access logs to an encrypted log group.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

import { serviceTrustPolicy } from "../iam";
import { NAME_LIMITS, physicalName } from "../naming";
import type { MetaflowServiceArgs } from "./index";

export interface PublicApi {
    url: pulumi.Output<string>;
    apiKey: pulumi.Output<string>;
    apiKeySecretArn: pulumi.Output<string>;
}

export interface ApiContext {
    args: MetaflowServiceArgs;
    alb: aws.lb.LoadBalancer;
    albSg: aws.ec2.SecurityGroup;
    listener: aws.lb.Listener;
    /** The ALB listener port the NLB forwards to (443 with a certificate, else 80). */
    port: number;
    /** Host name of the service (the certificate's name, or the ALB's DNS name). */
    host: pulumi.Input<string>;
    account: pulumi.Input<string>;
}

export const API_STAGE = "v1";

export function publicApi(name: string, parent: pulumi.Resource, c: ApiContext): PublicApi {
    const s: ApiStepContext = { ...c, name, parent };
    const nlbSg = nlbSecurityGroup(s);
    const link = vpcLinkToAlb(s, nlbSg);
    const rest = restApiWithMethods(s, link);
    const stage = loggedStage(s, rest);
    const key = requiredApiKey(s, rest.api, stage);
    return { url: stage.invokeUrl, apiKey: key.value, apiKeySecretArn: key.secretArn };
}

/** What every step of the public API needs: the context from the service, and the component's name and parent. */
interface ApiStepContext extends ApiContext {
    name: string;
    parent: pulumi.Resource;
}

/** The way from API Gateway to the internal service: the VPC link, the NLB it targets, and the NLB's listener. */
interface VpcLinkPath {
    nlb: aws.lb.LoadBalancer;
    nlbListener: aws.lb.Listener;
    vpcLink: aws.apigateway.VpcLink;
}

/** The NLB's security group: nothing in but the VPC link (no ingress rule), out only to the service's ALB. */
function nlbSecurityGroup(s: ApiStepContext): aws.ec2.SecurityGroup {
    const { name, args, port } = s;
    const opts = { parent: s.parent };
    const nlbSg = new aws.ec2.SecurityGroup(
        `${name}-nlb-sg`,
        { vpcId: args.vpcId, description: "Metaflow public API NLB: API Gateway VPC link (PrivateLink) in, the service ALB out", tags: { Name: physicalName(args.namePrefix, "metadata-nlb", 255) } },
        opts,
    );
    new aws.vpc.SecurityGroupEgressRule(
        `${name}-nlb-out-alb`,
        { securityGroupId: nlbSg.id, referencedSecurityGroupId: s.albSg.id, ipProtocol: "tcp", fromPort: port, toPort: port, description: "To the metadata service load balancer" },
        opts,
    );
    new aws.vpc.SecurityGroupIngressRule(
        `${name}-alb-in-nlb`,
        { securityGroupId: s.albSg.id, referencedSecurityGroupId: nlbSg.id, ipProtocol: "tcp", fromPort: port, toPort: port, description: "Metaflow service API from the NLB of the public API" },
        opts,
    );
    return nlbSg;
}

/** The internal NLB forwarding TCP to the ALB (an `alb`-type target group), and the REST VPC link that targets it. */
function vpcLinkToAlb(s: ApiStepContext, nlbSg: aws.ec2.SecurityGroup): VpcLinkPath {
    const { name, args, port, parent } = s;
    const p = args.namePrefix;
    const opts = { parent };
    // NLB in front of the ALB, reachable only through the VPC link (PrivateLink traffic).
    const nlb = new aws.lb.LoadBalancer(
        `${name}-nlb`,
        {
            name: physicalName(p, "metadata-api", NAME_LIMITS.loadBalancer),
            internal: true,
            loadBalancerType: "network",
            subnets: args.privateSubnetIds,
            securityGroups: [nlbSg.id],
            // The VPC link's traffic arrives over PrivateLink; no other inbound source is admitted (no ingress rule).
            enforceSecurityGroupInboundRulesOnPrivateLinkTraffic: "off",
            enableCrossZoneLoadBalancing: true,
            enableDeletionProtection: args.protect ?? false,
        },
        opts,
    );
    const nlbTg = new aws.lb.TargetGroup(
        `${name}-nlb-tg`,
        {
            name: physicalName(p, "metadata-api", NAME_LIMITS.targetGroup),
            port,
            protocol: "TCP",
            targetType: "alb",
            vpcId: args.vpcId,
            healthCheck: { protocol: args.certificateArn ? "HTTPS" : "HTTP", path: "/ping", port: String(port), matcher: "200-299" },
        },
        opts,
    );
    const attachment = new aws.lb.TargetGroupAttachment(`${name}-nlb-target`, { targetGroupArn: nlbTg.arn, targetId: s.alb.arn, port }, { parent, dependsOn: [s.listener] });
    const nlbListener = new aws.lb.Listener(
        `${name}-nlb-listener`,
        { loadBalancerArn: nlb.arn, port, protocol: "TCP", defaultActions: [{ type: "forward", targetGroupArn: nlbTg.arn }] },
        { parent, dependsOn: [attachment] },
    );
    const vpcLink = new aws.apigateway.VpcLink(`${name}-vpc-link`, { name: physicalName(p, "metadata-api", 255), targetArn: nlb.arn, description: "Metaflow public API to the internal service" }, opts);
    return { nlb, nlbListener, vpcLink };
}

/** REST API: ANY on / and /{proxy+}, both requiring the API key, proxied through the VPC link. */
function restApiWithMethods(s: ApiStepContext, link: VpcLinkPath): { api: aws.apigateway.RestApi; methods: pulumi.Resource[] } {
    const { name, args } = s;
    const opts = { parent: s.parent };
    const api = new aws.apigateway.RestApi(
        `${name}-api`,
        { name: physicalName(args.namePrefix, "metadata-api", 255), description: "Metaflow metadata service (API key required)", endpointConfiguration: { types: "REGIONAL" }, apiKeySource: "HEADER" },
        opts,
    );
    const proxy = new aws.apigateway.Resource(`${name}-api-proxy`, { restApi: api.id, parentId: api.rootResourceId, pathPart: "{proxy+}" }, opts);
    const methods: pulumi.Resource[] = [];
    for (const [role, resourceId, path, params] of [
        ["root", api.rootResourceId, "", {}],
        ["proxy", proxy.id, "/{proxy}", { "integration.request.path.proxy": "method.request.path.proxy" }],
    ] as const) {
        methods.push(...anyMethod(s, link, api, { role, resourceId, path, params }));
    }
    return { api, methods };
}

/** One ANY method requiring the API key, and its HTTP proxy integration through the VPC link to the service. */
function anyMethod(
    s: ApiStepContext,
    link: VpcLinkPath,
    api: aws.apigateway.RestApi,
    m: { role: "root" | "proxy"; resourceId: pulumi.Input<string>; path: string; params: Record<string, string> },
): [aws.apigateway.Method, aws.apigateway.Integration] {
    const { name, args, parent } = s;
    const scheme = args.certificateArn ? "https" : "http";
    // With a certificate the URI names the certificate's host (TLS is verified against it); the VPC link carries the
    // connection to the NLB either way.
    const target = args.certificateArn ? s.host : link.nlb.dnsName;
    const method = new aws.apigateway.Method(
        `${name}-api-${m.role}-any`,
        {
            restApi: api.id,
            resourceId: m.resourceId,
            httpMethod: "ANY",
            authorization: "NONE",
            apiKeyRequired: true,
            requestParameters: m.role === "proxy" ? { "method.request.path.proxy": true } : undefined,
        },
        { parent },
    );
    const integration = new aws.apigateway.Integration(
        `${name}-api-${m.role}-integration`,
        {
            restApi: api.id,
            resourceId: m.resourceId,
            httpMethod: method.httpMethod,
            type: "HTTP_PROXY",
            integrationHttpMethod: "ANY",
            connectionType: "VPC_LINK",
            connectionId: link.vpcLink.id,
            uri: pulumi.interpolate`${scheme}://${target}${m.path}`,
            requestParameters: m.params,
            timeoutMilliseconds: 29000,
        },
        { parent, dependsOn: [link.nlbListener] },
    );
    return [method, integration];
}

/** The deployment and its stage, with JSON access logs to an encrypted log group, metrics and throttling. */
function loggedStage(s: ApiStepContext, rest: { api: aws.apigateway.RestApi; methods: pulumi.Resource[] }): aws.apigateway.Stage {
    const { name, args, parent } = s;
    const p = args.namePrefix;
    const { api } = rest;
    const deployment = new aws.apigateway.Deployment(
        `${name}-api-deployment`,
        { restApi: api.id, description: "Metaflow metadata API", triggers: { redeployment: "proxy-any-v1" } },
        { parent, dependsOn: rest.methods },
    );

    // Access logging needs the account-level API Gateway CloudWatch role (an account-wide setting).
    const logGroup = new aws.cloudwatch.LogGroup(
        `${name}-api-logs`,
        { name: `/aws/apigateway/${physicalName(p, "metadata-api", 200)}`, retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn },
        { parent },
    );
    const account = (args.publicApiAccountRole ?? true) ? apiGatewayAccountRole(name, parent, args.region, s.account, p) : undefined;

    const stage = new aws.apigateway.Stage(
        `${name}-api-stage`,
        {
            restApi: api.id,
            deployment: deployment.id,
            stageName: API_STAGE,
            accessLogSettings: {
                destinationArn: logGroup.arn,
                format: JSON.stringify({
                    requestId: "$context.requestId",
                    ip: "$context.identity.sourceIp",
                    apiKeyId: "$context.identity.apiKeyId",
                    requestTime: "$context.requestTime",
                    httpMethod: "$context.httpMethod",
                    path: "$context.path",
                    status: "$context.status",
                    responseLength: "$context.responseLength",
                    integrationStatus: "$context.integration.status",
                }),
            },
        },
        { parent, dependsOn: account ? [account] : [] },
    );
    new aws.apigateway.MethodSettings(
        `${name}-api-settings`,
        { restApi: api.id, stageName: stage.stageName, methodPath: "*/*", settings: { metricsEnabled: true, throttlingBurstLimit: 200, throttlingRateLimit: 100 } },
        { parent },
    );
    return stage;
}

/** The API key: generated, kept in Secrets Manager, bound to the stage through a usage plan. */
function requiredApiKey(s: ApiStepContext, api: aws.apigateway.RestApi, stage: aws.apigateway.Stage): { value: pulumi.Output<string>; secretArn: pulumi.Output<string> } {
    const { name, args } = s;
    const p = args.namePrefix;
    const opts = { parent: s.parent };
    const keyValue = new random.RandomPassword(`${name}-api-key-value`, { length: 40, special: false }, opts);
    const secretKey = pulumi.secret(keyValue.result);
    const secret = new aws.secretsmanager.Secret(
        `${name}-api-key-secret`,
        { description: "API key of the Metaflow public API (METAFLOW_SERVICE_AUTH_KEY)", kmsKeyId: args.kmsKeyArn, recoveryWindowInDays: args.protect ? 30 : 7 },
        opts,
    );
    new aws.secretsmanager.SecretVersion(`${name}-api-key-secret-value`, { secretId: secret.id, secretString: secretKey }, opts);
    const apiKey = new aws.apigateway.ApiKey(`${name}-api-key`, { name: physicalName(p, "metaflow", 255), description: "Metaflow clients", enabled: true, value: secretKey }, opts);
    const plan = new aws.apigateway.UsagePlan(
        `${name}-api-usage-plan`,
        {
            name: physicalName(p, "metaflow", 255),
            description: "Metaflow clients: every method requires the key",
            apiStages: [{ apiId: api.id, stage: stage.stageName }],
            throttleSettings: { burstLimit: 200, rateLimit: 100 },
        },
        opts,
    );
    new aws.apigateway.UsagePlanKey(`${name}-api-usage-plan-key`, { keyId: apiKey.id, keyType: "API_KEY", usagePlanId: plan.id }, opts);
    return { value: secretKey, secretArn: secret.arn };
}

/**
 * The account's API Gateway CloudWatch role (`aws.apigateway.Account`): one setting per account and region, which
 * every REST API's access logs there use. The AWS CloudFormation reference (AWS::ApiGateway::Account) advises one such
 * resource per account and region "to avoid overwriting other roles", so only the stack that owns the setting creates
 * it (`servicePublicApiAccountRole`), and its role may write any API Gateway log group of the account in the region
 * (`/aws/apigateway/*`), so the other stacks' APIs log through it. API Gateway supplies no `aws:SourceAccount` when it
 * assumes this role (components/iam.ts), so the trust has no condition. The setting and its role survive the stack
 * (retainOnDelete): deleting them would stop the other stacks' access logs.
 */
function apiGatewayAccountRole(name: string, parent: pulumi.Resource, region: string, account: pulumi.Input<string>, p: string): aws.apigateway.Account {
    const kept = { parent, retainOnDelete: true };
    const cwRole = new aws.iam.Role(
        `${name}-api-cloudwatch`,
        {
            name: physicalName(p, "apigw-cloudwatch", NAME_LIMITS.iamRole),
            description: "API Gateway writes the access logs of this account's REST APIs in this region",
            assumeRolePolicy: serviceTrustPolicy("apigateway.amazonaws.com", account),
        },
        kept,
    );
    const groups = pulumi.interpolate`arn:aws:logs:${region}:${account}:log-group:/aws/apigateway/*`;
    new aws.iam.RolePolicy(
        `${name}-api-cloudwatch`,
        {
            role: cwRole.id,
            policy: pulumi.jsonStringify({
                Version: "2012-10-17",
                Statement: [
                    { Sid: "WriteAccessLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], Resource: [groups, pulumi.interpolate`${groups}:log-stream:*`] },
                    // DescribeLogGroups has no resource-level permissions (AWS's IAM data): a log-group ARN granted nothing.
                    { Sid: "FindLogGroup", Effect: "Allow", Action: "logs:DescribeLogGroups", Resource: "*" },
                ],
            }),
        },
        kept,
    );
    return new aws.apigateway.Account(`${name}-api-account`, { cloudwatchRoleArn: cwRole.arn }, kept);
}
