import { expect } from "chai";
import { spawnSync } from "child_process";

import { MIGRATION_LOCK_KEY, MIGRATION_SCRIPT, MetaflowServiceArgs, validateMetaflowServiceArgs } from "../../components/metaflow-service";
import { RecordedResource } from "../../offline/mocks";
import { FIXTURES, policyOf, runStack, StackRun } from "../harness";

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

const CERT = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555";
const OIDC = {
    uiOidcIssuer: "https://idp.example.com",
    uiOidcAuthorizationEndpoint: "https://idp.example.com/authorize",
    uiOidcTokenEndpoint: "https://idp.example.com/token",
    uiOidcUserInfoEndpoint: "https://idp.example.com/userinfo",
    uiOidcClientId: "metaflow-ui",
    uiOidcClientSecret: "oidc-client-secret-value",
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
                const subnets = env === "prod" ? FIXTURES["acme/a01-foundation/prod"].privateSubnetIds : ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"];
                expect(svc.inputs.networkConfiguration.subnets).to.deep.equal(subnets);
                expect(svc.inputs.loadBalancers).to.deep.equal([{ targetGroupArn: run.one(T.tg, "-metadata-tg").state.arn, containerName: "metadata", containerPort: 8080 }]);
                for (const s of run.ofType(T.service)) expect(s.inputs.networkConfiguration.assignPublicIp, s.name).to.equal(false);
            });

            it("rolls back failed deployments, waits for migrations, and scales on CPU between the configured bounds", () => {
                const run = runs[env];
                const svc = run.one(T.service, "-metadata-service");
                expect(svc.inputs.deploymentCircuitBreaker).to.deep.equal({ enable: true, rollback: true });
                expect(svc.inputs.healthCheckGracePeriodSeconds).to.be.at.least(60);
                const [desired, min, max] = env === "prod" ? [2, 2, 6] : [1, 1, 2];
                expect(svc.inputs.desiredCount).to.equal(desired);
                const target = run.one(T.scaling);
                expect([target.inputs.minCapacity, target.inputs.maxCapacity]).to.deep.equal([min, max]);
                expect(target.inputs.resourceId).to.match(/^service\/.+\/.+$/);
                const policy = run.one(T.scalingPolicy);
                expect(policy.inputs.policyType).to.equal("TargetTrackingScaling");
                expect(policy.inputs.targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType).to.equal("ECSServiceAverageCPUUtilization");
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
                expect(svc.environment).to.deep.include({ name: "MF_MIGRATION_ENDPOINTS_ENABLED", value: "0" });
            });

            it("migrates before the service starts, with the image's tool under an advisory lock", () => {
                const defs = containers(serviceTask(runs[env]));
                const [migrate, svc] = [defs.find((c) => c.name === "migrate"), defs.find((c) => c.name === "metadata")];
                expect(migrate.essential).to.equal(false);
                expect(migrate.image).to.equal(svc.image);
                expect(migrate.command[2]).to.include("/root/run_goose.py").and.include(`pg_advisory_lock(%s)', (${MIGRATION_LOCK_KEY},)`);
                // Images whose run_goose.py ignores the TLS mode get goose with the task's sslmode, never sslmode=disable.
                expect(migrate.command[2]).to.include("?sslmode=%s").and.include("e['MF_METADATA_DB_SSL_MODE'])").and.not.include("sslmode=disable");
                expect(svc.dependsOn).to.deep.equal([{ containerName: "migrate", condition: "SUCCESS" }]);
                expect(svc.image).to.equal("netflixoss/metaflow_metadata_service:v2.5.0");
            });

            it("hands the database credentials over only through ECS secrets, and connects with TLS", () => {
                const run = runs[env];
                const secretArn = run.one(T.db).state.masterUserSecrets[0].secretArn;
                for (const task of run.ofType(T.task)) {
                    for (const c of containers(task)) {
                        const names = (c.environment ?? []).map((e: any) => e.name);
                        expect(names.filter((n: string) => /PSWD|PASSWORD|SECRET/i.test(n)), `${c.name} environment`).to.deep.equal([]);
                        expect(c.environment).to.deep.include({ name: "MF_METADATA_DB_SSL_MODE", value: "require" });
                        expect(c.secrets).to.deep.equal([
                            { name: "MF_METADATA_DB_USER", valueFrom: `${secretArn}:username::` },
                            { name: "MF_METADATA_DB_PSWD", valueFrom: `${secretArn}:password::` },
                        ]);
                        expect(c.readonlyRootFilesystem).to.equal(true);
                    }
                }
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
        const set = { servicePublicApi: true, serviceUi: true };
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
            const backendDef = containers(run.one(T.task, "-ui-backend-task"))[0];
            expect(backendDef.command).to.deep.equal(["/opt/latest/bin/python3", "-m", "services.ui_backend_service.ui_server"]);
            expect(backendDef.image).to.equal("netflixoss/metaflow_metadata_service:v2.5.0");
            expect(run.one(T.task, "-ui-backend-task").inputs.cpu).to.equal("512");
            expect(run.one(T.task, "-ui-backend-task").inputs.memory).to.equal("2048");
            for (const s of run.ofType(T.service)) expect(s.inputs.networkConfiguration.assignPublicIp).to.equal(false);
            expect(run.ofType(T.service)).to.have.length(3);
            // The database admits the UI tasks too, and nothing else new.
            expect(ingressTo(run, "-db-sg").map((r) => r.inputs.referencedSecurityGroupId)).to.deep.equal([sgId(run, "-task-sg"), sgId(run, "-ui-sg")]);
        });
    });

    describe("prod with a certificate, OIDC, the UI and the public API", () => {
        let run: StackRun;
        before(async () => {
            run = await runStack("prod", {
                set: { serviceCertificateArn: CERT, serviceDomainName: "metaflow.internal.example.com", servicePublicApi: true, serviceUi: true, ...OIDC },
            });
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
            const svc = containers(serviceTask(run)).find((c) => c.name === "metadata");
            expect(svc.secrets[1].valueFrom).to.equal(`${f.databaseSecretArn}:password::`);
            expect(svc.environment).to.deep.include({ name: "MF_METADATA_DB_HOST", value: f.databaseEndpoint });
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
            image: "netflixoss/metaflow_metadata_service:v2.5.0",
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
            expect(problems({ image: "netflixoss/metaflow_metadata_service:v2.3.0" })[0]).to.match(/predates v2.4.4/);
            expect(problems({ image: "public.ecr.aws/outerbounds/metaflow_metadata_service:2.4.4" })).to.deep.equal([]);
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

describe("the migration script", () => {
    it("is valid Python (checked with the machine's python3 when there is one)", function () {
        const check = spawnSync("python3", ["-c", "import ast, sys; ast.parse(sys.stdin.read())"], { input: MIGRATION_SCRIPT, encoding: "utf8" });
        if (check.error) this.skip();
        expect(check.status, check.stderr).to.equal(0);
    });
});
