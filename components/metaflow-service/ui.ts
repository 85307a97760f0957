/**
 * The optional Metaflow UI: the UI backend (the service image running the UI server on 8083) and the static front end
 * (3000), each a private Fargate service, behind the metadata service's load balancer on a listener of their own:
 * `/api/*` goes to the backend, everything else to the front end. With OIDC settings, the load balancer authenticates
 * every UI request before forwarding it. The metadata API listener is not affected (Metaflow clients cannot log in).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { NAME_LIMITS, physicalName } from "../naming";
import type { MetaflowServiceArgs, MetaflowUiArgs } from "./index";
import { DatabaseConnection } from "./database";
import { PORTS, servicePort, TLS_POLICY } from "./rules";
import { AFTER_CREDENTIALS, awsLogs, credentialsContainer, dbEnvironment, dbSecrets, fargateTaskDefinition, ipTargetGroup, privateService, TMP_MOUNT } from "./tasks";

/** The UI listener: 8443 with a certificate, else 8083 (inside the VPC only). */
export function uiPort(certificateArn?: string): number {
    return certificateArn ? 8443 : 8083;
}

/** Where the load balancer routes the UI backend (`/api/*`) and the prefix its routes are mounted under. */
export const UI_API_PREFIX = "/api";

export interface MetaflowUi {
    url: pulumi.Output<string>;
}

export interface UiContext {
    args: MetaflowServiceArgs;
    ui: MetaflowUiArgs;
    alb: aws.lb.LoadBalancer;
    albSg: aws.ec2.SecurityGroup;
    uiSg: aws.ec2.SecurityGroup;
    cluster: aws.ecs.Cluster;
    db: DatabaseConnection;
    logGroupName: pulumi.Output<string>;
    executionRoleArn: pulumi.Output<string>;
    taskRoleArn: pulumi.Output<string>;
    serviceUrl: pulumi.Output<string>;
    host: pulumi.Input<string>;
}

export function metaflowUi(name: string, parent: pulumi.Resource, c: UiContext): MetaflowUi {
    const port = uiPort(c.args.certificateArn);
    const url = pulumi.interpolate`${c.args.certificateArn ? "https" : "http"}://${c.host}:${port}`;
    const s: UiStepContext = { ...c, name, parent, port, url };

    admitEngineers(s);
    connectLoadBalancerToUi(s);
    const targetGroups = uiTargetGroups(s);
    const routing = uiRouting(s, targetGroups);
    const tasks = { backend: backendTaskDefinition(s), static: staticTaskDefinition(s) };
    uiServices(s, tasks, targetGroups, routing);
    return { url };
}

/** What every step of the UI needs: the context from the service, the component's name and parent, and the UI's port and URL. */
interface UiStepContext extends UiContext {
    name: string;
    parent: pulumi.Resource;
    /** The UI listener's port ({@link uiPort}). */
    port: number;
    url: pulumi.Output<string>;
}

/** One target group per UI service: the backend (`/api/*`) and the static front end (everything else). */
interface UiTargetGroups {
    backend: aws.lb.TargetGroup;
    static: aws.lb.TargetGroup;
}

/** Who may open the UI: engineers' access path only (Batch jobs have no use for it). */
function admitEngineers(s: UiStepContext): void {
    const { args, port } = s;
    const opts = { parent: s.parent };
    args.userAccessSecurityGroupIds.forEach(
        (sg, i) =>
            new aws.vpc.SecurityGroupIngressRule(
                `${s.name}-alb-in-ui-user-sg-${i}`,
                { securityGroupId: s.albSg.id, referencedSecurityGroupId: sg, ipProtocol: "tcp", fromPort: port, toPort: port, description: "Metaflow UI from the engineers access path (security group)" },
                opts,
            ),
    );
    args.userAccessCidrs.forEach(
        (cidr, i) =>
            new aws.vpc.SecurityGroupIngressRule(
                `${s.name}-alb-in-ui-user-cidr-${i}`,
                { securityGroupId: s.albSg.id, cidrIpv4: cidr, ipProtocol: "tcp", fromPort: port, toPort: port, description: "Metaflow UI from the engineers access path (CIDR)" },
                opts,
            ),
    );
}

/** The load balancer's way to both UI services' ports, and the UI backend's way back to the metadata API. */
function connectLoadBalancerToUi(s: UiStepContext): void {
    const { name } = s;
    const opts = { parent: s.parent };
    for (const [role, containerPort] of [["ui-backend", PORTS.uiBackend], ["ui-static", PORTS.uiStatic]] as const) {
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-${role}-in-alb`,
            { securityGroupId: s.uiSg.id, referencedSecurityGroupId: s.albSg.id, ipProtocol: "tcp", fromPort: containerPort, toPort: containerPort, description: `${role} (${containerPort}) from the load balancer` },
            opts,
        );
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-alb-out-${role}`,
            { securityGroupId: s.albSg.id, referencedSecurityGroupId: s.uiSg.id, ipProtocol: "tcp", fromPort: containerPort, toPort: containerPort, description: `To the ${role} tasks` },
            opts,
        );
    }
    // The UI backend calls the metadata API through the load balancer.
    const apiPort = servicePort(s.args.certificateArn);
    new aws.vpc.SecurityGroupEgressRule(
        `${name}-ui-out-service`,
        { securityGroupId: s.uiSg.id, referencedSecurityGroupId: s.albSg.id, ipProtocol: "tcp", fromPort: apiPort, toPort: apiPort, description: "Metadata API through the load balancer" },
        opts,
    );
}

/** The target groups of the UI backend (health: `/api/ping`) and of the static front end (health: `/`). */
function uiTargetGroups(s: UiStepContext): UiTargetGroups {
    const { name, args } = s;
    const p = args.namePrefix;
    const opts = { parent: s.parent };
    const backend = ipTargetGroup(`${name}-ui-backend-tg`, { name: physicalName(p, "ui-backend", NAME_LIMITS.targetGroup), vpcId: args.vpcId, port: PORTS.uiBackend, healthPath: `${UI_API_PREFIX}/ping` }, opts);
    const staticTg = ipTargetGroup(`${name}-ui-static-tg`, { name: physicalName(p, "ui-static", NAME_LIMITS.targetGroup), vpcId: args.vpcId, port: PORTS.uiStatic, healthPath: "/", healthMatcher: "200-399" }, opts);
    return { backend, static: staticTg };
}

/** The load balancer's OIDC login in front of every UI path, as the first listener action (none without OIDC settings). */
function oidcAuthentication(oidc: MetaflowUiArgs["oidc"]) {
    return oidc
        ? [
              {
                  type: "authenticate-oidc",
                  order: 1,
                  authenticateOidc: {
                      issuer: oidc.issuer,
                      authorizationEndpoint: oidc.authorizationEndpoint,
                      tokenEndpoint: oidc.tokenEndpoint,
                      userInfoEndpoint: oidc.userInfoEndpoint,
                      clientId: oidc.clientId,
                      clientSecret: pulumi.secret(oidc.clientSecret),
                      onUnauthenticatedRequest: "authenticate",
                      scope: "openid email profile",
                      sessionTimeout: 43200,
                  },
              },
          ]
        : [];
}

/** The UI listener (static front end by default) and its `/api/*` rule to the backend, both behind OIDC when set. */
function uiRouting(s: UiStepContext, tgs: UiTargetGroups): { listener: aws.lb.Listener; apiRule: aws.lb.ListenerRule } {
    const { name, args, port } = s;
    const opts = { parent: s.parent };
    const oidc = s.ui.oidc;
    const authenticate = oidcAuthentication(oidc);
    if (oidc) {
        // authenticate-oidc: the load balancer itself calls the identity provider's token and user info endpoints over
        // HTTPS, so its security group must allow that egress or every login ends in HTTP 500 after the redirect (AWS
        // Knowledge Center, https://repost.aws/knowledge-center/elb-configure-authentication-alb: "Add an outbound rule
        // to allow traffic to the IdP endpoints over HTTPS (port 443)"). The IdP's addresses are not known here, and
        // its DNS must be publicly resolvable, hence any destination on 443.
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-alb-out-oidc`,
            { securityGroupId: s.albSg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443, description: "HTTPS to the OIDC identity provider (token and user info endpoints)" },
            opts,
        );
    }
    const forward = (tg: aws.lb.TargetGroup) => ({ type: "forward", order: oidc ? 2 : 1, targetGroupArn: tg.arn });
    const listener = new aws.lb.Listener(
        `${name}-ui-listener`,
        {
            loadBalancerArn: s.alb.arn,
            port,
            ...(args.certificateArn ? { protocol: "HTTPS", sslPolicy: TLS_POLICY, certificateArn: args.certificateArn } : { protocol: "HTTP" }),
            defaultActions: [...authenticate, forward(tgs.static)],
        },
        opts,
    );
    const apiRule = new aws.lb.ListenerRule(
        `${name}-ui-api-rule`,
        {
            listenerArn: listener.arn,
            priority: 10,
            conditions: [{ pathPattern: { values: [`${UI_API_PREFIX}/*`] } }],
            actions: [...authenticate, forward(tgs.backend)],
        },
        opts,
    );
    return { listener, apiRule };
}

/** The UI backend's task: the service image running the UI server on 8083 (API only), after the database credentials. */
function backendTaskDefinition(s: UiStepContext): aws.ecs.TaskDefinition {
    const { args, ui } = s;
    const env = dbEnvironment(s.db, "service");
    return fargateTaskDefinition(
        `${s.name}-ui-backend-task`,
        {
            family: physicalName(args.namePrefix, "metaflow-ui-backend", 255),
            cpu: ui.backend.cpu,
            memory: ui.backend.memory,
            executionRoleArn: s.executionRoleArn,
            taskRoleArn: s.taskRoleArn,
            volumes: [{ name: "tmp" }],
            containers: [
                // CA bundle and password file (renewed when RDS rotates the password), as in the metadata task.
                credentialsContainer({ image: args.image, db: s.db, region: args.region, logGroupName: s.logGroupName }),
                {
                    name: "ui-backend",
                    image: args.image,
                    essential: true,
                    command: ["/opt/latest/bin/python3", "-m", "services.ui_backend_service.ui_server"],
                    portMappings: [{ containerPort: PORTS.uiBackend, protocol: "tcp" }],
                    environment: [
                        ...env,
                        { name: "MF_UI_METADATA_PORT", value: String(PORTS.uiBackend) },
                        { name: "MF_UI_METADATA_HOST", value: "0.0.0.0" },
                        // The server mounts its routes under PATH_PREFIX (default empty, ui_server.py line 48), while the
                        // load balancer sends it `/api/*` and checks `/api/ping`: without this it answers 404 to both.
                        { name: "PATH_PREFIX", value: UI_API_PREFIX },
                        { name: "METAFLOW_SERVICE_URL", value: s.serviceUrl },
                        { name: "METAFLOW_DEFAULT_DATASTORE", value: "s3" },
                        { name: "METAFLOW_DATASTORE_SYSROOT_S3", value: args.datastoreRoot },
                        // The static front end is its own service; the backend serves the API only.
                        { name: "UI_ENABLED", value: "0" },
                        { name: "AWS_DEFAULT_REGION", value: args.region },
                    ],
                    secrets: dbSecrets(s.db),
                    dependsOn: [AFTER_CREDENTIALS],
                    mountPoints: TMP_MOUNT,
                    // The UI backend caches artifacts and DAGs on local disk.
                    readonlyRootFilesystem: false,
                    privileged: false,
                    logConfiguration: awsLogs(s.logGroupName, args.region, "ui-backend"),
                },
            ],
        },
        { parent: s.parent },
    );
}

/** The static front end's task: the UI image (nginx on 3000), pointed at the backend through the same listener. */
function staticTaskDefinition(s: UiStepContext): aws.ecs.TaskDefinition {
    const { args, ui } = s;
    return fargateTaskDefinition(
        `${s.name}-ui-static-task`,
        {
            family: physicalName(args.namePrefix, "metaflow-ui-static", 255),
            cpu: ui.static.cpu,
            memory: ui.static.memory,
            executionRoleArn: s.executionRoleArn,
            containers: [
                {
                    name: "ui-static",
                    image: ui.staticImage,
                    essential: true,
                    portMappings: [{ containerPort: PORTS.uiStatic, protocol: "tcp" }],
                    // The browser calls the backend through the same listener.
                    environment: [{ name: "METAFLOW_SERVICE", value: pulumi.interpolate`${s.url}${UI_API_PREFIX}` }],
                    // nginx writes its cache and pid files.
                    readonlyRootFilesystem: false,
                    privileged: false,
                    logConfiguration: awsLogs(s.logGroupName, args.region, "ui-static"),
                },
            ],
        },
        { parent: s.parent },
    );
}

/** The two private Fargate services of the UI, one task each, started once the listener routes to them. */
function uiServices(
    s: UiStepContext,
    tasks: { backend: aws.ecs.TaskDefinition; static: aws.ecs.TaskDefinition },
    tgs: UiTargetGroups,
    routing: { listener: aws.lb.Listener; apiRule: aws.lb.ListenerRule },
): void {
    for (const [role, task, tg, containerPort] of [
        ["ui-backend", tasks.backend, tgs.backend, PORTS.uiBackend],
        ["ui-static", tasks.static, tgs.static, PORTS.uiStatic],
    ] as const) {
        privateService(`${s.name}-${role}`, s.parent, {
            cluster: s.cluster,
            taskDefinition: task,
            subnetIds: s.args.privateSubnetIds,
            securityGroupId: s.uiSg.id,
            desiredCount: 1,
            loadBalancers: [{ targetGroupArn: tg.arn, containerName: role, containerPort }],
            healthCheckGracePeriodSeconds: 120,
            dependsOn: [routing.listener, routing.apiRule],
        });
    }
}
