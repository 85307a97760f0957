import { expect } from "chai";

import { BatchCompute, BatchQueue, ecsUserData, planEnvironments, QueueSpec, validateBatchQueueArgs } from "../../components/batch";
import { instanceFacts } from "../../aws-facts/instance-types";
import { policyOf, runComponent, runStack, StackRun } from "../harness";

const CE = "aws:batch/computeEnvironment:ComputeEnvironment";
const JQ = "aws:batch/jobQueue:JobQueue";
const LT = "aws:ec2/launchTemplate:LaunchTemplate";

function queueOf(run: StackRun, name: string) {
    const queue = run.one(JQ, `queue-${name}-queue`);
    const envs = queue.inputs.computeEnvironmentOrders
        .slice()
        .sort((a: any, b: any) => a.order - b.order)
        .map((o: any) => run.ofType(CE).find((ce) => ce.state.arn === o.computeEnvironment)!);
    return { queue, envs };
}

const cpu: QueueSpec = { name: "cpu", kind: "cpu", instanceTypes: ["c5"], maxVcpus: 16, capacity: "spot-first" };

for (const stack of ["dev", "prod"]) {
    describe(`Batch queues (${stack})`, () => {
        let run: StackRun;
        before(async () => {
            run = await runStack(stack);
        });

        it("creates the cpu, gpu and ondemand queues with every environment in order, spot before on-demand", () => {
            expect(run.ofType(JQ).map((q) => q.inputs.name).sort()).to.deep.equal([`mf-${stack}-cpu`, `mf-${stack}-gpu`, `mf-${stack}-ondemand`]);
            for (const name of ["cpu", "gpu"]) {
                const { envs } = queueOf(run, name);
                expect(envs.map((e: any) => e.inputs.computeResources.type)).to.deep.equal(["SPOT", "EC2"]);
                expect(envs.map((e: any) => e.inputs.computeResources.allocationStrategy)).to.deep.equal(["SPOT_PRICE_CAPACITY_OPTIMIZED", "BEST_FIT_PROGRESSIVE"]);
            }
            expect(queueOf(run, "ondemand").envs.map((e: any) => e.inputs.computeResources.type)).to.deep.equal(["EC2"]);
        });

        it("scales every environment to zero, with no bid percentage and the service-linked role", () => {
            for (const ce of run.ofType(CE)) {
                const r = ce.inputs.computeResources;
                expect(r.minVcpus, ce.name).to.equal(0);
                expect(r.maxVcpus).to.be.greaterThan(0);
                expect(r).to.not.have.property("bidPercentage");
                expect(r).to.not.have.property("desiredVcpus");
                expect(ce.inputs).to.not.have.property("serviceRole");
                expect(ce.inputs.type).to.equal("MANAGED");
            }
            const scale = stack === "prod" ? 8 : 1;
            expect(queueOf(run, "cpu").envs[0].inputs.computeResources.maxVcpus).to.equal(64 * scale);
        });

        it("runs GPU environments on GPU families with the NVIDIA image, CPU ones on the plain ECS AMI", () => {
            for (const ce of queueOf(run, "gpu").envs) {
                const r = ce.inputs.computeResources;
                expect(r.ec2Configurations).to.deep.equal([{ imageType: "ECS_AL2023_NVIDIA" }]);
                expect(r.instanceTypes.length).to.be.greaterThan(0);
                for (const t of r.instanceTypes) expect(instanceFacts(t)?.kind, t).to.equal("gpu");
            }
            for (const ce of [...queueOf(run, "cpu").envs, ...queueOf(run, "ondemand").envs]) {
                expect(ce.inputs.computeResources.ec2Configurations).to.deep.equal([{ imageType: "ECS_AL2023" }]);
                for (const t of ce.inputs.computeResources.instanceTypes) expect(instanceFacts(t)?.kind, t).to.equal("cpu");
            }
        });

        it("places instances in the private subnets behind the compute security group", () => {
            expect(run.one("aws:ec2/securityGroup:SecurityGroup", "batch-sg").inputs).to.not.have.any.keys("ingress", "egress");
            const privateSubnets = (run.outputs.network as any).privateSubnetIds;
            for (const ce of run.ofType(CE)) {
                expect(ce.inputs.computeResources.subnets).to.deep.equal(privateSubnets);
                expect(ce.inputs.computeResources.securityGroupIds).to.deep.equal([run.outputs.computeSecurityGroupId]);
                expect(ce.inputs.computeResources.instanceRole).to.match(/:instance-profile\//);
            }
        });

        it("requires IMDSv2 with hop limit 2 and an encrypted gp3 root volume under the platform key", () => {
            const key = run.outputs.kmsKeyArn;
            expect(run.ofType(LT)).to.have.length(3);
            for (const lt of run.ofType(LT)) {
                expect(lt.inputs.metadataOptions).to.deep.include({ httpTokens: "required", httpPutResponseHopLimit: 1, httpEndpoint: "enabled" });
                const [root] = lt.inputs.blockDeviceMappings;
                expect(root.deviceName).to.equal("/dev/xvda");
                expect(root.ebs).to.deep.include({ encrypted: "true", volumeType: "gp3", kmsKeyId: key, deleteOnTermination: "true" });
                expect(root.ebs.volumeSize).to.equal(stack === "prod" ? 100 : 50);
            }
            for (const name of ["cpu", "gpu", "ondemand"]) {
                const ids = queueOf(run, name).envs.map((ce: any) => ce.inputs.computeResources.launchTemplate);
                for (const ref of ids) expect(ref).to.deep.equal({ launchTemplateId: ids[0].launchTemplateId, version: "1" });
                expect(ids[0].launchTemplateId).to.match(/^lt-0[0-9a-f]{16}$/);
            }
            const templates = new Set(run.ofType(CE).map((ce) => ce.inputs.computeResources.launchTemplate.launchTemplateId));
            expect(templates.size, "one launch template per queue").to.equal(3);
        });

        it("lets the EC2 Auto Scaling service-linked role use the key for those volumes", () => {
            const policy = JSON.parse(run.one("aws:kms/key:Key").inputs.policy);
            const sids = policy.Statement.map((s: any) => s.Sid);
            expect(sids).to.include.members(["AutoScalingEbsVolumes", "AutoScalingEbsGrants"]);
            const grant = policy.Statement.find((s: any) => s.Sid === "AutoScalingEbsGrants");
            expect(grant.Principal.AWS).to.match(/role\/aws-service-role\/autoscaling\.amazonaws\.com\/AWSServiceRoleForAutoScaling$/);
            expect(grant.Condition).to.deep.equal({ Bool: { "kms:GrantIsForAWSResource": true } });
        });

        it("drains spot instances through MIME multipart user data", () => {
            for (const lt of run.ofType(LT)) {
                const text = Buffer.from(lt.inputs.userData, "base64").toString();
                expect(text).to.match(/^MIME-Version: 1\.0\nContent-Type: multipart\/mixed; boundary="([^"]+)"/);
                expect(text).to.include("ECS_ENABLE_SPOT_INSTANCE_DRAINING=true >> /etc/ecs/ecs.config");
                expect(text.trimEnd().endsWith("--")).to.equal(true);
            }
        });

        it("cancels jobs stuck RUNNABLE: misconfiguration after 10 minutes, capacity after the configured limit", () => {
            const capacity = (stack === "prod" ? 120 : 30) * 60;
            for (const q of run.ofType(JQ)) {
                expect(q.inputs.jobStateTimeLimitActions).to.deep.equal([
                    { reason: "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE", state: "RUNNABLE", action: "CANCEL", maxTimeSeconds: 600 },
                    { reason: "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT", state: "RUNNABLE", action: "CANCEL", maxTimeSeconds: 600 },
                    { reason: "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY", state: "RUNNABLE", action: "CANCEL", maxTimeSeconds: capacity },
                ]);
                expect(q.inputs.state).to.equal("ENABLED");
            }
        });

        it("admits nothing into the compute security group but itself, and lets out only HTTPS, NFS to EFS and itself", () => {
            const ingress = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.name.startsWith(`mf-${stack}-batch`));
            expect(ingress).to.have.length(1);
            expect(ingress[0].inputs.referencedSecurityGroupId).to.equal(ingress[0].inputs.securityGroupId);
            expect(ingress[0].inputs).to.not.have.property("cidrIpv4");
            const egress = run.ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").filter((r) => r.name.startsWith(`mf-${stack}-batch`));
            const open = egress.filter((e) => e.inputs.cidrIpv4 === "0.0.0.0/0");
            expect(open.map((e) => [e.inputs.fromPort, e.inputs.toPort])).to.deep.equal([[443, 443]]);
            for (const e of egress) expect(e.inputs.description, e.name).to.be.a("string").and.not.empty;
            const nfs = egress.filter((e) => e.inputs.fromPort === 2049);
            if (stack === "prod") {
                expect(nfs).to.have.length(1);
                expect(nfs[0].inputs.referencedSecurityGroupId).to.equal("sg-0c8d2e3f4a5b6c702");
            } else {
                expect(nfs, "dev has no foundation EFS").to.have.length(0);
            }
        });

        it("gives the instance role only what the ECS agent needs, trusted by EC2 without a condition EC2 cannot satisfy", () => {
            const role = run.one("aws:iam/role:Role", "batch-instance-role");
            const trust = JSON.parse(role.inputs.assumeRolePolicy);
            // EC2 supplies no aws:SourceAccount when it assumes an instance profile's role: with the condition the
            // instances get no credentials, the ECS agent never registers and every job stays RUNNABLE.
            expect(trust.Statement).to.deep.equal([{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }]);
            const policy = policyOf(run.one("aws:iam/rolePolicy:RolePolicy", "batch-instance-policy"));
            const actions = policy.Statement.flatMap((s: any) => [].concat(s.Action));
            for (const a of actions) expect(a).to.match(/^(ecs|ecr|logs|ec2):[A-Za-z*]+$/).and.not.equal("*");
            expect(actions).to.not.include.members(["ecs:CreateCluster", "iam:PassRole"]);
            const wildcard = policy.Statement.filter((s: any) => s.Resource === "*");
            expect(wildcard.map((s: any) => s.Action)).to.deep.equal([["ecs:DiscoverPollEndpoint", "ec2:DescribeTags", "ecr:GetAuthorizationToken"]]);
            for (const s of policy.Statement.filter((x: any) => x.Resource !== "*")) {
                for (const r of [].concat(s.Resource)) expect(r).to.match(/^arn:aws:(ecs|ecr|logs):us-east-1:123456789012:/);
            }
            expect(run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")).to.have.length(0);
        });

        it("publishes the queues for the Metaflow configuration", () => {
            const batch = run.outputs.batch as any;
            expect(Object.keys(batch.queueArns)).to.deep.equal(["cpu", "gpu", "ondemand"]);
            expect((run.outputs.metaflowConfig as any).METAFLOW_BATCH_JOB_QUEUE).to.equal(batch.queueArns.cpu);
            expect(run.outputs.computeSecurityGroupId).to.match(/^sg-[0-9a-f]{17}$/);
        });
    });
}

describe("Batch queues from the stack configuration", () => {
    it("adds a Fargate queue with its execution role in the Metaflow configuration, and follows per-queue settings", async () => {
        const run = await runStack("dev", {
            set: {
                queues: [
                    { name: "light", kind: "cpu", maxVcpus: 16, capacity: "on-demand", platform: "fargate" },
                    { name: "gpu", rootVolumeGiB: 200, runnableTimeLimitMinutes: 240 },
                    { name: "ondemand", enabled: false },
                ],
                defaultQueue: "light",
            },
        });
        expect(run.ofType(JQ).map((q) => q.inputs.name).sort()).to.deep.equal(["mf-dev-cpu", "mf-dev-gpu", "mf-dev-light"]);
        expect(queueOf(run, "light").envs.map((e: any) => e.inputs.computeResources.type)).to.deep.equal(["FARGATE"]);
        const mf = run.outputs.metaflowConfig as Record<string, string>;
        expect(mf.METAFLOW_ECS_FARGATE_EXECUTION_ROLE).to.equal("arn:aws:iam::123456789012:role/mf-dev-batch-fargate-exec");
        expect(mf.METAFLOW_BATCH_JOB_QUEUE).to.equal("arn:aws:batch:us-east-1:123456789012:job-queue/mf-dev-light");
        expect(run.one(LT, "queue-gpu-lt").inputs.blockDeviceMappings[0].ebs.volumeSize).to.equal(200);
        expect(run.one(LT, "queue-cpu-lt").inputs.blockDeviceMappings[0].ebs.volumeSize).to.equal(50);
        expect(run.one(JQ, "queue-gpu-queue").inputs.jobStateTimeLimitActions[2].maxTimeSeconds).to.equal(240 * 60);
    });

    it("falls back to the account's EBS key when the platform key is not wanted for root volumes", async () => {
        const run = await runStack("dev", { set: { batchRootVolumePlatformKey: false } });
        for (const lt of run.ofType(LT)) expect(lt.inputs.blockDeviceMappings[0].ebs).to.deep.include({ encrypted: "true" }).and.not.have.property("kmsKeyId");
        const sids = JSON.parse(run.one("aws:kms/key:Key").inputs.policy).Statement.map((s: any) => s.Sid);
        expect(sids).to.not.include("AutoScalingEbsVolumes");
    });
});

describe("BatchQueue (component)", () => {
    it("makes a spot-only queue of one spot environment", async () => {
        const run = await runComponent(() => new BatchQueue("q", { namePrefix: "t", queue: { ...cpu, capacity: "spot-only" }, subnetIds: ["subnet-1"], securityGroupId: "sg-1", instanceProfileArn: "arn:aws:iam::1:instance-profile/x" }));
        expect(run.ofType(CE).map((c) => c.inputs.computeResources.type)).to.deep.equal(["SPOT"]);
        const lt = run.one(LT);
        expect(lt.inputs.blockDeviceMappings[0].ebs.volumeSize).to.equal(100);
        expect(lt.inputs.blockDeviceMappings[0].ebs).to.not.have.property("kmsKeyId");
    });

    it("builds a Fargate queue without launch template or instance types", async () => {
        const run = await runComponent(() => new BatchQueue("f", { namePrefix: "t", queue: { name: "light", kind: "cpu", instanceTypes: [], maxVcpus: 8, capacity: "spot-first", platform: "fargate" }, subnetIds: ["subnet-1"], securityGroupId: "sg-1" }));
        expect(run.ofType(LT)).to.have.length(0);
        expect(run.ofType(CE).map((c) => c.inputs.computeResources.type)).to.deep.equal(["FARGATE_SPOT", "FARGATE"]);
        for (const ce of run.ofType(CE)) expect(ce.inputs.computeResources).to.not.have.property("instanceTypes");
    });

    it("rejects a GPU count per job that the largest instance cannot give", () => {
        const problems = validateBatchQueueArgs({
            namePrefix: "t",
            queue: { name: "gpu", kind: "gpu", instanceTypes: ["g4dn.xlarge", "g5.2xlarge"], maxVcpus: 64, capacity: "spot-first", maxGpusPerJob: 2 },
            subnetIds: [],
            securityGroupId: "sg-1",
            instanceProfileArn: "arn",
        });
        expect(problems).to.deep.equal(["queue.maxGpusPerJob: 2 GPUs per job can never start: the largest instance type listed has 1"]);
        expect(() => new BatchQueue("bad", { namePrefix: "t", queue: { name: "gpu", kind: "gpu", instanceTypes: ["g4dn.xlarge"], maxVcpus: 64, capacity: "spot-first", maxGpusPerJob: 2 }, subnetIds: [], securityGroupId: "sg", instanceProfileArn: "a" })).to.throw(
            /BatchQueue bad: queue\.maxGpusPerJob: 2 GPUs per job can never start/,
        );
    });

    it("rejects a queue that mixes EC2 and Fargate environments", () => {
        const problems = validateBatchQueueArgs({
            namePrefix: "t",
            queue: cpu,
            environments: [{ role: "spot", type: "FARGATE_SPOT" }, planEnvironments(cpu)[1]],
            subnetIds: [],
            securityGroupId: "sg",
            instanceProfileArn: "a",
        });
        expect(problems).to.have.length(1);
        expect(problems[0]).to.match(/^environments: mixes fargate and ec2 compute environments \(FARGATE_SPOT, EC2\)/);
    });

    it("rejects Fargate environments in an EC2 queue and time limits Batch refuses", () => {
        const problems = validateBatchQueueArgs({
            namePrefix: "t",
            queue: cpu,
            environments: [{ role: "spot", type: "FARGATE_SPOT" }],
            subnetIds: [],
            securityGroupId: "sg",
            instanceProfileArn: "a",
            runnableTimeLimitMinutes: 5,
        });
        expect(problems).to.deep.equal(["environments: FARGATE_SPOT cannot serve a ec2 queue", "runnableTimeLimitMinutes: 5 must be an integer from 10 to 1440"]);
    });

    it("writes user data Batch accepts (MIME multipart with a shell part)", () => {
        const text = ecsUserData();
        expect(text).to.include('Content-Type: text/x-shellscript; charset="us-ascii"');
        expect(text).to.include("#!/bin/bash");
    });
});

describe("BatchCompute (component)", () => {
    it("creates the Fargate execution role only when asked, trusted by ECS tasks of this account", async () => {
        const without = await runComponent(() => new BatchCompute("c", { namePrefix: "t", region: "us-east-1", vpcId: "vpc-1" }));
        expect(without.ofType("aws:iam/role:Role").map((r) => r.name)).to.deep.equal(["c-instance-role"]);
        const run = await runComponent(() => new BatchCompute("c", { namePrefix: "t", region: "us-east-1", vpcId: "vpc-1", fargate: true }));
        const role = run.one("aws:iam/role:Role", "fargate-execution");
        expect(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal).to.deep.equal({ Service: "ecs-tasks.amazonaws.com" });
    });

    it("adds the caller's egress rules and refuses open ones", async () => {
        const run = await runComponent(() => new BatchCompute("c", { namePrefix: "t", region: "us-east-1", vpcId: "vpc-1", egress: [{ description: "metadata service", port: 80, securityGroupId: "sg-0abc" }] }));
        const rule = run.one("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "egress-0");
        expect(rule.inputs).to.deep.include({ fromPort: 80, toPort: 80, referencedSecurityGroupId: "sg-0abc", ipProtocol: "tcp" });
        const later = await runComponent(() => {
            const c = new BatchCompute("c", { namePrefix: "t", region: "us-east-1", vpcId: "vpc-1" });
            c.allowEgress("metadata", { description: "metadata service load balancer", port: 8080, securityGroupId: "sg-0def" });
            return c;
        });
        expect(later.one("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "c-metadata").inputs).to.deep.include({ fromPort: 8080, referencedSecurityGroupId: "sg-0def" });
        expect(() => new BatchCompute("x", { namePrefix: "t", region: "us-east-1", vpcId: "vpc-1", egress: [{ description: "all", port: 80, cidr: "0.0.0.0/0" }] })).to.throw(/only HTTPS may leave for 0\.0\.0\.0\/0/);
    });
});
