import { expect } from "chai";
import { spawnSync } from "child_process";

import { MIGRATION_LOCK_KEY, MIGRATION_SCRIPT, MetaflowServiceArgs, validateMetaflowServiceArgs } from "../../components/metaflow-service";
import { CREDENTIALS_SCRIPT, DATABASE_HEALTH } from "../../components/metaflow-service/tasks";
import { RecordedResource } from "../../offline/mocks";
import { FIXTURES, policyOf, runStack, StackRun } from "../harness";
import { CERT, LONGEST_PREFIX, MAXIMAL, OIDC, violationsOf } from "../policies/maximal";

const T = {
    service: "aws:ecs/service:Service",
    task: "aws:ecs/taskDefinition:TaskDefinition",
    cluster: "aws:ecs/cluster:Cluster",
    tg: "aws:lb/targetGroup:TargetGroup",
    lb: "aws:lb/loadBalancer:LoadBalancer",
    listener: "aws:lb/listener:Listener",
    rule: "aws:lb/listenerRule:ListenerRule",
    sg: "aws:ec2/securityGroup:SecurityGroup",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    db: "aws:rds/instance:Instance",
    params: "aws:rds/parameterGroup:ParameterGroup",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    scaling: "aws:appautoscaling/target:Target",
    scalingPolicy: "aws:appautoscaling/policy:Policy",
    method: "aws:apigateway/method:Method",
    stage: "aws:apigateway/stage:Stage",
    secret: "aws:secretsmanager/secret:Secret",
    password: "random:index/randomPassword:RandomPassword",
};

const containers = (task: RecordedResource): any[] => JSON.parse(task.inputs.containerDefinitions);
const serviceTask = (run: StackRun) => run.one(T.task, "-metadata-task");
const kmsArn = (run: StackRun) => run.one("aws:kms/key:Key").state.arn;
const sgId = (run: StackRun, suffix: string) => run.one(T.sg, suffix).id;
const ingressTo = (run: StackRun, sgSuffix: string) => run.ofType(T.ingress).filter((r) => r.inputs.securityGroupId === sgId(run, sgSuffix));
const actions = (statement: any): string[] => [statement.Action].flat();

describe("MetaflowService", function () {
    const runs: Record<string, StackRun> = {};
    before(async () => {
        runs.dev = await runStack("dev");
        runs.prod = await runStack("prod");
    });

    for (const env of ["dev", "prod"]) {
        describe(`${env} defaults`, () => {
            it("runs Fargate tasks in the private subnets without a public IP, behind the target group", () => {
                const run = runs[env];
                const svc = run.one(T.service, "-metadata-service");
                expect(svc.inputs.launchType).to.equal("FARGATE");
                expect(svc.inputs.networkConfiguration.assignPublicIp).to.equal(false);
                const subnets = env === "prod" ? FIXTURES["acme/a01-foundation/prod"].privateSubnetIds : ["mf-dev-network-private-1-id", "mf-dev-network-private-2-id"];
                expect(svc.inputs.networkConfiguration.subnets).to.deep.equal(subnets);
                expect(svc.inputs.loadBalancers).to.deep.equal([{ targetGroupArn: run.one(T.tg, "-metadata-tg").state.arn, containerName: "metadata", containerPort: 8080 }]);
                for (const s of run.ofType(T.service)) expect(s.inputs.networkConfiguration.assignPublicIp, s.name).to.equal(false);
            });

            it("rolls back failed deployments, waits for migrations, and scales on CPU between the configured bounds", () => {
                const run = runs[env];
                const svc = run.one(T.service, "-metadata-service");
                expect(svc.inputs.deploymentCircuitBreaker).to.deep.equal({ enable: true, rollback: true });
                expect(svc.inputs.healthCheckGracePeriodSeconds).to.be.at.least(60);
                // prod scales to 10 tasks, 2 overlapping 100-way fan-outs each (the capacity bench's sizing, components/metaflow-service/sizing.ts).
                const [desired, min, max] = env === "prod" ? [2, 2, 10] : [1, 1, 2];
                expect(svc.inputs.desiredCount).to.equal(desired);
                const target = run.one(T.scaling);
                expect([target.inputs.minCapacity, target.inputs.maxCapacity]).to.deep.equal([min, max]);
                expect(target.inputs.resourceId).to.match(/^service\/.+\/.+$/);
                const policy = run.one(T.scalingPolicy);
                expect(policy.inputs.policyType).to.equal("TargetTrackingScaling");
                expect(policy.inputs.targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType).to.equal("ECSServiceAverageCPUUtilization");
                expect(policy.inputs.targetTrackingScalingPolicyConfiguration.targetValue, "below the measured saturation").to.equal(40);
                expect(run.one(T.cluster).inputs.settings).to.deep.equal([{ name: "containerInsights", value: "enabled" }]);
            });

            it("health-checks /ping on 8080 through an internal ALB that drops invalid headers", () => {
                const run = runs[env];
                const tg = run.one(T.tg, "-metadata-tg");
                expect(tg.inputs.port).to.equal(8080);
                expect(tg.inputs.healthCheck.path).to.equal("/ping");
                const alb = run.one(T.lb, "-metadata-alb");
                expect(alb.inputs.internal).to.equal(true);
                expect(alb.inputs.dropInvalidHeaderFields).to.equal(true);
                expect(alb.inputs.desyncMitigationMode).to.equal("strictest");
                expect(alb.inputs.name.length).to.be.at.most(32);
                const listener = run.one(T.listener, "-metadata-listener");
                expect([listener.inputs.port, listener.inputs.protocol]).to.deep.equal([80, "HTTP"]);
            });

            it("admits only named sources: the ALB from user access, the tasks from the ALB, the database from the tasks", () => {
                const run = runs[env];
                const albIn = ingressTo(run, "-alb-sg");
                const batchSg = sgId(run, "-batch-sg");
                if (env === "prod") {
                    const f = FIXTURES["acme/a01-foundation/prod"] as any;
                    expect(albIn.map((r) => r.inputs.referencedSecurityGroupId).filter(Boolean)).to.have.members([batchSg, ...f.userAccessSecurityGroupIds]);
                    expect(albIn.map((r) => r.inputs.cidrIpv4).filter(Boolean)).to.deep.equal(f.userAccessCidrs);
                } else {
                    // dev without a foundation has no user access path: only Batch jobs reach the service.
                    expect(albIn.map((r) => r.inputs.referencedSecurityGroupId)).to.deep.equal([batchSg]);
                }
                for (const r of albIn) expect(r.inputs.fromPort).to.equal(80);
                const taskIn = ingressTo(run, "-task-sg");
                expect(taskIn.map((r) => [r.inputs.referencedSecurityGroupId, r.inputs.fromPort, r.inputs.toPort])).to.deep.equal([[sgId(run, "-alb-sg"), 8080, 8080]]);
                const dbIn = ingressTo(run, "-db-sg");
                expect(dbIn.map((r) => [r.inputs.referencedSecurityGroupId, r.inputs.fromPort])).to.deep.equal([[sgId(run, "-task-sg"), 5432]]);
                for (const r of run.ofType(T.ingress)) {
                    expect(r.inputs.cidrIpv4, r.name).to.not.equal("0.0.0.0/0");
                    expect(r.inputs.fromPort, r.name).to.not.equal(8082);
                    expect(r.inputs.description, r.name).to.be.a("string").and.not.empty;
                }
            });

            it("never exposes or starts the migration service (8082)", () => {
                const defs = containers(serviceTask(runs[env]));
                const ports = defs.flatMap((c) => (c.portMappings ?? []).map((p: any) => p.containerPort));
                expect(ports).to.deep.equal([8080]);
                const svc = defs.find((c) => c.name === "metadata");
                expect(svc.command).to.deep.equal(["/opt/latest/bin/python3", "-m", "services.metadata_service.server"]);
                // Only the migration service reads MF_MIGRATION_ENDPOINTS_ENABLED, and it never runs: not set.
                for (const c of defs) expect((c.environment ?? []).map((e: any) => e.name), c.name).to.not.include("MF_MIGRATION_ENDPOINTS_ENABLED");
            });

            it("migrates before the service starts, with the image's tool under an advisory lock", () => {
                const defs = containers(serviceTask(runs[env]));
                const [migrate, svc] = [defs.find((c) => c.name === "migrate"), defs.find((c) => c.name === "metadata")];
                expect(migrate.essential).to.equal(false);
                expect(migrate.image).to.equal(svc.image);
                expect(migrate.command.slice(0, 2)).to.deep.equal(["/opt/latest/bin/python3", "-c"]);
                expect(migrate.command[2]).to.equal(MIGRATION_SCRIPT);
                // Waiting tasks retry a non-blocking lock: a session blocked in pg_advisory_lock would stall the holder's
                // CREATE INDEX CONCURRENTLY forever (test/integration/service/migrations.test.ts shows it).
                expect(MIGRATION_SCRIPT).to.include("/root/run_goose.py").and.include("SELECT pg_try_advisory_lock(%s)").and.not.match(/pg_advisory_lock\(/);
                expect(MIGRATION_SCRIPT).to.include(`LOCK_KEY = 0x${MIGRATION_LOCK_KEY.toString(16).toUpperCase()}`);
                expect(migrate.dependsOn).to.deep.equal([{ containerName: "db-credentials", condition: "HEALTHY" }]);
                expect(svc.dependsOn).to.deep.equal([
                    { containerName: "db-credentials", condition: "HEALTHY" },
                    { containerName: "migrate", condition: "SUCCESS" },
                ]);
                expect(svc.image).to.equal("netflixoss/metaflow_metadata_service:v2.5.1");
            });

            it("hands the password only to db-credentials (ECS secret), which keeps the task's password file current", () => {
                const run = runs[env];
                const secretArn = run.one(T.db).state.masterUserSecrets[0].secretArn;
                const user = { name: "MF_METADATA_DB_USER", valueFrom: `${secretArn}:username::` };
                const password = { name: "MF_METADATA_DB_PSWD", valueFrom: `${secretArn}:password::` };
                for (const task of run.ofType(T.task)) {
                    for (const c of containers(task)) {
                        const env = Object.fromEntries((c.environment ?? []).map((e: any) => [e.name, e.value]));
                        // The only password-like variable in an environment is the empty one (libpq then reads PGPASSFILE).
                        for (const [k, v] of Object.entries(env)) if (/PSWD|PASSWORD/i.test(k)) expect([k, v]).to.deep.equal(["MF_METADATA_DB_PSWD", ""]);
                        expect(env.MF_METADATA_DB_SSL_MODE, c.name).to.equal("verify-full");
                        expect(c.readonlyRootFilesystem).to.equal(true);
                        if (c.name === "db-credentials") {
                            expect(c.secrets).to.deep.equal([user, password]);
                            expect(env).to.deep.include({ DB_SECRET_ARN: secretArn, PGPASSFILE: "/tmp/pgpass", DB_CA_BUNDLE_FILE: "/tmp/rds-ca.pem", AWS_REGION: "us-east-1" });
                            expect(env.DB_CA_BUNDLE_URL).to.equal("https://truststore.pki.rds.amazonaws.com/us-east-1/us-east-1-bundle.pem");
                            expect(c.command).to.deep.equal(["/opt/latest/bin/python3", "-c", CREDENTIALS_SCRIPT]);
                            expect(c.essential).to.equal(true);
                            expect(c.healthCheck.command).to.deep.equal(["CMD-SHELL", "test -s /tmp/pgpass && test -s /tmp/rds-ca.pem"]);
                        } else {
                            expect(c.secrets, c.name).to.deep.equal([user]);
                            expect(env).to.deep.include({ PGPASSFILE: "/tmp/pgpass", MF_METADATA_DB_PSWD: "" });
                            // Each reader gets the CA bundle under the name it reads (service code vs run_goose.py).
                            const ca = c.name === "migrate" ? "MF_METADATA_DB_SSL_ROOT_CERT" : "MF_METADATA_DB_SSL_ROOT_CERT_PATH";
                            expect(env[ca], c.name).to.equal("/tmp/rds-ca.pem");
                            expect(Object.keys(env).filter((k) => k.startsWith("MF_METADATA_DB_SSL_ROOT_CERT")), c.name).to.deep.equal([ca]);
                        }
                        expect(c.mountPoints).to.deep.equal([{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }]);
                    }
                }
            });

            it("checks the database from the metadata container, tolerating a failover, while the load balancer checks /ping", () => {
                const svc = containers(serviceTask(runs[env])).find((c) => c.name === "metadata");
                expect(svc.healthCheck).to.deep.equal(DATABASE_HEALTH.check);
                expect(svc.healthCheck.command.join(" ")).to.include("/healthcheck");
                expect(svc.healthCheck.interval * svc.healthCheck.retries).to.equal(300);
                expect(runs[env].one(T.tg, "-metadata-tg").inputs.healthCheck.path).to.equal("/ping");
            });

            it("uses separate execution and task roles with exactly the permissions they need", () => {
                const run = runs[env];
                const def = serviceTask(run).inputs;
                const exec = run.one(T.role, "-metadata-execution");
                const task = run.one(T.role, "-metadata-task");
                expect(def.executionRoleArn).to.equal(exec.state.arn);
                expect(def.taskRoleArn).to.equal(task.state.arn);
                expect(exec.state.arn).to.not.equal(task.state.arn);
                const secretArn = run.one(T.db).state.masterUserSecrets[0].secretArn;
                const logArn = run.one(T.logGroup, "-metadata-logs").state.arn;
                const execStatements = policyOf(run.one(T.rolePolicy, "-metadata-execution")).Statement;
                expect(execStatements.map((s) => [actions(s), s.Resource])).to.deep.equal([
                    [["logs:CreateLogStream", "logs:PutLogEvents"], `${logArn}:log-stream:*`],
                    [["secretsmanager:GetSecretValue"], secretArn],
                    [["kms:Decrypt"], [kmsArn(run)]],
                ]);
                const bucketArn = run.one("aws:s3/bucket:Bucket", "-artifacts").state.arn;
                const taskStatements = policyOf(run.one(T.rolePolicy, "-metadata-task")).Statement;
                expect(taskStatements.map((s) => [actions(s), s.Resource])).to.deep.equal([
                    // db-credentials reads the secret again after RDS rotated the password.
                    [["secretsmanager:GetSecretValue"], secretArn],
                    [["kms:Decrypt"], [kmsArn(run)]],
                    [["s3:ListBucket"], bucketArn],
                    [["s3:GetObject"], `${bucketArn}/*`],
                    [["kms:Decrypt"], kmsArn(run)],
                ]);
                for (const s of [...execStatements, ...taskStatements]) {
                    expect(s.Effect).to.equal("Allow");
                    for (const a of actions(s)) expect(a).to.not.include("*");
                }
                expect(JSON.parse(exec.inputs.assumeRolePolicy).Statement[0].Principal).to.deep.equal({ Service: "ecs-tasks.amazonaws.com" });
            });

            it("keeps the database private, encrypted, TLS-only, backed up and logging", () => {
                const run = runs[env];
                const db = run.one(T.db);
                expect(db.inputs.engine).to.equal("postgres");
                expect(db.inputs.engineVersion).to.equal("16");
                expect(db.inputs.publiclyAccessible).to.equal(false);
                expect(db.inputs.storageEncrypted).to.equal(true);
                expect(db.inputs.kmsKeyId).to.equal(kmsArn(run));
                expect(db.inputs.manageMasterUserPassword).to.equal(true);
                expect(db.inputs.masterUserSecretKmsKeyId).to.equal(kmsArn(run));
                expect(db.inputs).to.not.have.property("password");
                expect(db.inputs.autoMinorVersionUpgrade).to.equal(true);
                expect(db.inputs.copyTagsToSnapshot).to.equal(true);
                expect(db.inputs.enabledCloudwatchLogsExports).to.deep.equal(["postgresql", "upgrade"]);
                expect(run.one(T.params).inputs.parameters).to.deep.include({ name: "rds.force_ssl", value: "1" });
                for (const type of ["postgresql", "upgrade"]) {
                    const lg = run.one(T.logGroup, `-db-log-${type}`);
                    expect(lg.inputs.name).to.equal(`/aws/rds/instance/${db.inputs.identifier}/${type}`);
                    expect(lg.inputs.kmsKeyId).to.equal(kmsArn(run));
                }
                const prod = env === "prod";
                expect(db.inputs.backupRetentionPeriod).to.equal(prod ? 30 : 1);
                expect(db.inputs.multiAz).to.equal(prod);
                expect(db.inputs.deletionProtection).to.equal(prod);
                expect(db.inputs.skipFinalSnapshot).to.equal(!prod);
                expect(db.protect).to.equal(prod);
                expect(db.retainOnDelete).to.equal(prod);
                if (prod) expect(db.inputs.finalSnapshotIdentifier).to.be.a("string");
            });

            it("encrypts its log group and keeps it for the configured retention", () => {
                const lg = runs[env].one(T.logGroup, "-metadata-logs");
                expect(lg.inputs.kmsKeyId).to.equal(kmsArn(runs[env]));
                expect(lg.inputs.retentionInDays).to.equal(env === "prod" ? 365 : 14);
            });

            it("has no UI and no public API by default, and publishes the internal URL", () => {
                const run = runs[env];
                expect(run.resources.filter((r) => r.type.startsWith("aws:apigateway"))).to.have.length(0);
                expect(run.ofType(T.password)).to.have.length(0);
                expect(run.ofType(T.service)).to.have.length(1);
                const url = run.outputs.metadataServiceUrl as string;
                expect(url).to.match(/^http:\/\/internal-.+\.elb\.amazonaws\.com$/);
                const mf = run.outputs.metaflowConfig as Record<string, string>;
                expect(mf.METAFLOW_SERVICE_URL).to.equal(url);
                expect(mf.METAFLOW_SERVICE_INTERNAL_URL).to.equal(url);
                expect(mf.METAFLOW_DEFAULT_METADATA).to.equal("service");
                expect(mf).to.not.have.property("METAFLOW_SERVICE_AUTH_KEY");
            });
        });
    }

    describe("public API and UI, enabled", () => {
        let run: StackRun;
        let hidden: StackRun;
        // The UI backend's six connection pools need more than db.t4g.micro (components/metaflow-service/connections.ts).
        const set = { servicePublicApi: true, serviceUi: true, serviceDbInstanceClass: "db.t4g.small" };
        before(async () => {
            run = await runStack("dev", { set });
            hidden = await runStack("dev", { set, showSecrets: false });
        });

        it("requires the API key on every method and logs every request to an encrypted log group", () => {
            const methods = run.ofType(T.method);
            expect(methods).to.have.length(2);
            for (const m of methods) expect(m.inputs.apiKeyRequired, m.name).to.equal(true);
            const stage = run.one(T.stage);
            const lg = run.one(T.logGroup, "-api-logs");
            expect(stage.inputs.accessLogSettings.destinationArn).to.equal(lg.state.arn);
            expect(lg.inputs.kmsKeyId).to.equal(kmsArn(run));
            expect(lg.inputs.retentionInDays).to.equal(14);
            expect(run.one("aws:apigateway/restApi:RestApi").inputs.endpointConfiguration.types).to.equal("REGIONAL");
            const plan = run.one("aws:apigateway/usagePlan:UsagePlan");
            expect(plan.inputs.apiStages[0].stage).to.equal(stage.inputs.stageName);
            // The NLB behind the VPC link forwards to the ALB, which admits it.
            const nlbIn = ingressTo(run, "-alb-sg").filter((r) => r.inputs.referencedSecurityGroupId === sgId(run, "-nlb-sg"));
            expect(nlbIn).to.have.length(1);
        });

        it("sets the account's API Gateway CloudWatch role once, for every REST API of the account and region, and keeps it", async () => {
            const account = run.one("aws:apigateway/account:Account");
            const role = run.one("aws:iam/role:Role", "-api-cloudwatch");
            expect(account.inputs.cloudwatchRoleArn).to.equal(role.state.arn);
            expect([account.retainOnDelete, role.retainOnDelete]).to.deep.equal([true, true]);
            // API Gateway supplies no aws:SourceAccount when it assumes the role: no condition it cannot satisfy.
            expect(JSON.parse(role.inputs.assumeRolePolicy).Statement).to.deep.equal([{ Effect: "Allow", Principal: { Service: "apigateway.amazonaws.com" }, Action: "sts:AssumeRole" }]);
            const write = policyOf(run.one("aws:iam/rolePolicy:RolePolicy", "-api-cloudwatch")).Statement.find((s: any) => s.Sid === "WriteAccessLogs");
            expect(write.Resource[0]).to.equal("arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/*");
            expect(run.one(T.stage).dependencies).to.include(account.urn);
            // A second stack in the same account and region leaves the setting to the first.
            const second = await runStack("dev", { set: { ...set, servicePublicApiAccountRole: false } });
            expect(second.ofType("aws:apigateway/account:Account")).to.deep.equal([]);
            expect(second.resources.filter((r) => r.name.endsWith("-api-cloudwatch"))).to.deep.equal([]);
            expect(second.one(T.stage).inputs.accessLogSettings.destinationArn).to.equal(second.one(T.logGroup, "-api-logs").state.arn);
        });

        it("generates the key and keeps it in Secrets Manager under the platform key, never in the profile or an output", () => {
            const key = run.one(T.password).state.result as string;
            expect(key).to.have.length(40);
            expect(run.one(T.secret).inputs.kmsKeyId).to.equal(kmsArn(run));
            const version = run.one("aws:secretsmanager/secretVersion:SecretVersion");
            expect(version.secretPaths).to.include("secretString");
            expect(version.inputs.secretString).to.equal(key);
            expect(run.one("aws:apigateway/apiKey:ApiKey").secretPaths).to.include("value");
            const mf = run.outputs.metaflowConfig as Record<string, string>;
            // Metaflow would forward it to every Batch task and state machine (METAFLOW_SERVICE_HEADERS).
            expect(mf).to.not.have.property("METAFLOW_SERVICE_AUTH_KEY");
            expect(JSON.stringify(run.outputs)).to.not.include(key);
            expect(mf.METAFLOW_SERVICE_URL).to.equal(run.outputs.metadataServiceUrl);
            expect(mf.METAFLOW_SERVICE_INTERNAL_URL).to.equal(run.outputs.metadataServiceUrl);
            // Nothing secret is left in the profile: it reads without --show-secrets.
            expect((hidden.outputs.metaflowConfig as Record<string, string>).METAFLOW_SERVICE_URL).to.equal(run.outputs.metadataServiceUrl);
            expect(JSON.stringify(hidden.outputs)).to.not.include(key);
        });

        it("runs the UI backend and front end privately behind the same ALB, /api/* to the backend", () => {
            const backend = run.one(T.tg, "-ui-backend-tg");
            expect([backend.inputs.port, backend.inputs.healthCheck.path]).to.deep.equal([8083, "/api/ping"]);
            expect(run.one(T.tg, "-ui-static-tg").inputs.port).to.equal(3000);
            const listener = run.one(T.listener, "-ui-listener");
            expect(listener.inputs.loadBalancerArn).to.equal(run.one(T.lb, "-metadata-alb").state.arn);
            expect(listener.inputs.defaultActions.map((a: any) => a.targetGroupArn)).to.deep.equal([run.one(T.tg, "-ui-static-tg").state.arn]);
            const rule = run.one(T.rule, "-ui-api-rule");
            expect(rule.inputs.conditions[0].pathPattern.values).to.deep.equal(["/api/*"]);
            expect(rule.inputs.actions.map((a: any) => a.targetGroupArn)).to.deep.equal([backend.state.arn]);
            const backendContainers = containers(run.one(T.task, "-ui-backend-task"));
            // The UI backend's task has its own db-credentials container (CA bundle, password file), started first.
            expect(backendContainers.map((c) => c.name)).to.deep.equal(["db-credentials", "ui-backend"]);
            const backendDef = backendContainers[1];
            expect(backendDef.dependsOn).to.deep.equal([{ containerName: "db-credentials", condition: "HEALTHY" }]);
            expect(backendDef.command).to.deep.equal(["/opt/latest/bin/python3", "-m", "services.ui_backend_service.ui_server"]);
            expect(backendDef.image).to.equal("netflixoss/metaflow_metadata_service:v2.5.1");
            // The server mounts its routes under PATH_PREFIX: the prefix the rule forwards and the health check uses.
            expect(backendDef.environment).to.deep.include({ name: "PATH_PREFIX", value: "/api" });
            // Metaflow links each run it starts to the UI.
            expect((run.outputs.metaflowConfig as Record<string, string>).METAFLOW_UI_URL).to.equal(run.outputs.metaflowUiUrl).and.match(/^http:\/\/.*:8083$/);
            expect(run.one(T.task, "-ui-backend-task").inputs.cpu).to.equal("512");
            expect(run.one(T.task, "-ui-backend-task").inputs.memory).to.equal("2048");
            for (const s of run.ofType(T.service)) expect(s.inputs.networkConfiguration.assignPublicIp).to.equal(false);
            expect(run.ofType(T.service)).to.have.length(3);
            // The database admits the UI tasks too, and nothing else new.
            expect(ingressTo(run, "-db-sg").map((r) => r.inputs.referencedSecurityGroupId)).to.deep.equal([sgId(run, "-task-sg"), sgId(run, "-ui-sg")]);
        });
    });

    // The maximal configuration (test/policies/maximal.ts): every option on, a certificate, OIDC, the UI and the public
    // API among them, with the longest names the configuration allows. One run serves the service's assertions and
    // the three packs' verdict on the maximal configuration.
    describe("prod with every option on: a certificate, OIDC, the UI and the public API, the longest names", () => {
        let run: StackRun;
        before(async () => {
            run = await runStack("prod", { set: MAXIMAL });
        });

        it("serves HTTPS with TLS 1.2+ on the certificate's name", () => {
            const listener = run.one(T.listener, "-metadata-listener");
            expect([listener.inputs.port, listener.inputs.protocol, listener.inputs.certificateArn]).to.deep.equal([443, "HTTPS", CERT]);
            expect(listener.inputs.sslPolicy).to.equal("ELBSecurityPolicy-TLS13-1-2-2021-06");
            expect(run.outputs.metadataServiceUrl).to.equal("https://metaflow.internal.example.com");
            expect(run.outputs.metaflowUiUrl).to.equal("https://metaflow.internal.example.com:8443");
        });

        it("authenticates every UI request with OIDC before forwarding, and keeps the client secret secret", () => {
            const listener = run.one(T.listener, "-ui-listener");
            const rule = run.one(T.rule, "-ui-api-rule");
            for (const acts of [listener.inputs.defaultActions, rule.inputs.actions]) {
                expect(acts.map((a: any) => a.type)).to.deep.equal(["authenticate-oidc", "forward"]);
                expect(acts[0].authenticateOidc.issuer).to.equal(OIDC.uiOidcIssuer);
            }
            expect(listener.secretPaths.some((p) => p.endsWith("clientSecret"))).to.equal(true);
            // The metadata API listener stays usable by Metaflow clients (no login).
            expect(run.one(T.listener, "-metadata-listener").inputs.defaultActions.map((a: any) => a.type)).to.deep.equal(["forward"]);
        });

        it("lets the load balancer reach the identity provider on 443 (authenticate-oidc calls its token and user info endpoints)", () => {
            const albSg = sgId(run, "-alb-sg");
            const out = run.ofType(T.egress).filter((r) => r.inputs.securityGroupId === albSg && r.inputs.fromPort === 443 && r.inputs.cidrIpv4 === "0.0.0.0/0");
            expect(out.map((r) => r.name)).to.deep.equal([`${LONGEST_PREFIX}-metadata-alb-out-oidc`]);
        });

        it("plans with zero mandatory violations of the three packs and none at all of the AWS constraints pack (the public API's NLB included)", () => {
            const found = violationsOf(run, "prod", MAXIMAL.monthlyBudgetUsd as number);
            const blocking = found.filter((v) => v.enforcementLevel === "mandatory" || v.pack === "aws");
            expect(blocking, JSON.stringify(blocking, null, 1)).to.deep.equal([]);
            // It really is maximal: the optional parts exist, with the longest prefix in their names.
            const types = new Set(run.resources.map((r) => r.type));
            for (const t of ["aws:apigateway/restApi:RestApi", "aws:lb/listenerRule:ListenerRule", "aws:budgets/budget:Budget", "aws:cloudwatch/eventRule:EventRule", "aws:s3/bucketLogging:BucketLogging"]) expect(types, t).to.include(t);
            expect(run.ofType("aws:batch/jobQueue:JobQueue").map((r) => r.inputs.name)).to.include(`${LONGEST_PREFIX}-a-twenty-char-queue0`);
        });

        it("calls the ALB over HTTPS from API Gateway", () => {
            const integrations = run.ofType("aws:apigateway/integration:Integration");
            for (const i of integrations) {
                expect(i.inputs.uri).to.match(/^https:\/\/metaflow\.internal\.example\.com/);
                expect(i.inputs.connectionType).to.equal("VPC_LINK");
            }
        });
    });

    describe("with the foundation's database", () => {
        it("creates no instance and admits the service into the foundation's database security group", async () => {
            const f: Record<string, any> = { ...FIXTURES["acme/a01-foundation/prod"], databaseEndpoint: "shared-db.abc.us-east-1.rds.amazonaws.com", databasePort: 5432, databaseSecurityGroupId: "sg-0c8d2e3f4a5b6c7ff", databaseSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:a01-db-AbCdEf" };
            const run = await runStack("prod", { references: { ...FIXTURES, "acme/a01-foundation/prod": f } });
            expect(run.ofType(T.db)).to.have.length(0);
            const rule = run.one(T.ingress, "-db-from-service");
            expect([rule.inputs.securityGroupId, rule.inputs.referencedSecurityGroupId, rule.inputs.fromPort]).to.deep.equal(["sg-0c8d2e3f4a5b6c7ff", sgId(run, "-task-sg"), 5432]);
            const [credentials, , svc] = containers(serviceTask(run));
            expect(credentials.secrets[1].valueFrom).to.equal(`${f.databaseSecretArn}:password::`);
            expect(credentials.environment).to.deep.include({ name: "DB_SECRET_ARN", value: f.databaseSecretArn });
            expect(svc.environment).to.deep.include({ name: "MF_METADATA_DB_HOST", value: f.databaseEndpoint });
            const taskRole = policyOf(run.one(T.rolePolicy, "-metadata-task")).Statement;
            expect([taskRole[0].Resource, taskRole[1].Resource]).to.deep.equal([f.databaseSecretArn, [f.kmsKeyArn]]);
            const exec = policyOf(run.one(T.rolePolicy, "-metadata-execution")).Statement;
            expect(exec[1].Resource).to.equal(f.databaseSecretArn);
            expect(exec[2].Resource).to.deep.equal([f.kmsKeyArn]);
        });
    });

    describe("validation", () => {
        const base: MetaflowServiceArgs = {
            namePrefix: "mf-test",
            region: "us-east-1",
            vpcId: "vpc-1",
            privateSubnetIds: ["subnet-1", "subnet-2"],
            kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/x",
            datastoreBucketArn: "arn:aws:s3:::b",
            datastoreRoot: "s3://b/metaflow",
            logRetentionDays: 14,
            image: "netflixoss/metaflow_metadata_service:v2.5.1",
            cpu: 512,
            memory: 1024,
            desiredCount: 1,
            minCount: 1,
            maxCount: 2,
            clientSecurityGroupIds: [],
            userAccessSecurityGroupIds: [],
            userAccessCidrs: [],
            database: { dedicated: { instanceClass: "db.t4g.micro", storageGb: 20, maxStorageGb: 50, backupDays: 1, multiAz: false } },
        };
        const problems = (over: Partial<MetaflowServiceArgs>) => validateMetaflowServiceArgs({ ...base, ...over });

        it("accepts the defaults", () => expect(problems({})).to.deep.equal([]));
        it("rejects cpu/memory pairs Fargate does not run", () => {
            expect(problems({ cpu: 256, memory: 4096 })[0]).to.match(/memory 512, 1024, 2048 MiB with cpu 256, not 4096/);
            expect(problems({ cpu: 300, memory: 1024 })[0]).to.match(/cpu 256, 512/);
        });
        it("rejects images without a release tag, or older than database TLS support", () => {
            expect(problems({ image: "netflixoss/metaflow_metadata_service" })[0]).to.match(/version tag/);
            expect(problems({ image: "netflixoss/metaflow_metadata_service:latest" })[0]).to.match(/not a release version/);
            expect(problems({ image: "netflixoss/metaflow_metadata_service:v2.3.0" })[0]).to.match(/predates v2.5.1/);
            // v2.5.0 and earlier build update_row's SQL from request values (fixed in v2.5.1, upstream commit c96a178).
            expect(problems({ image: "netflixoss/metaflow_metadata_service:v2.5.0" })[0]).to.match(/predates v2\.5\.1: .*SQL injection/);
            expect(problems({ image: "netflixoss/metaflow_metadata_service:v2.4.4" })[0]).to.match(/predates v2\.5\.1/);
            expect(problems({ image: "public.ecr.aws/outerbounds/metaflow_metadata_service:2.5.1" })).to.deep.equal([]);
            expect(problems({ image: "netflixoss/metaflow_metadata_service:v2.6.0" })).to.deep.equal([]);
        });
        it("rejects fewer than two tasks in prod, and inverted bounds", () => {
            expect(problems({ highAvailability: true }).join("; ")).to.match(/prod needs at least 2 tasks/);
            expect(problems({ minCount: 3, maxCount: 2, desiredCount: 2 }).join("; ")).to.match(/min \(3\) is more than max \(2\)/);
        });
        it("rejects a UI or public API without what it needs outside dev", () => {
            const ui = { staticImage: "public.ecr.aws/outerbounds/metaflow_ui:v1.2.4", backend: { cpu: 512, memory: 2048 }, static: { cpu: 256, memory: 512 } };
            expect(problems({ environment: "prod", ui, userAccessCidrs: ["10.0.0.0/8"] }).join("; ")).to.match(/UI in prod needs OIDC/);
            expect(problems({ environment: "prod", publicApi: true, userAccessCidrs: ["10.0.0.0/8"] }).join("; ")).to.match(/public API in prod needs a certificate/);
            expect(problems({ ui: { ...ui, staticImage: "public.ecr.aws/outerbounds/metaflow_ui" } }).join("; ")).to.match(/version tag/);
            expect(problems({ certificateArn: CERT }).join("; ")).to.match(/DNS name its certificate covers/);
        });
        it("refuses to build with invalid arguments, listing every problem", async () => {
            const err = await runStack("dev", { set: { serviceCpu: 256, serviceMemory: 8192 } }).catch((e) => e);
            expect(String(err.message)).to.include("metaflow-platform:serviceCpu, metaflow-platform:serviceMemory");
        });
    });
});

describe("the Python the containers run (migrate.py, credentials.py)", () => {
    for (const [name, script] of [["migrate.py", MIGRATION_SCRIPT], ["credentials.py", CREDENTIALS_SCRIPT]]) {
        it(`${name} is valid Python (checked with the machine's python3 when there is one)`, function () {
            const check = spawnSync("python3", ["-c", "import ast, sys; ast.parse(sys.stdin.read())"], { input: script, encoding: "utf8" });
            if (check.error) this.skip();
            expect(check.status, check.stderr).to.equal(0);
        });
    }
});
