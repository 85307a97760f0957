/**
 * The Session Manager access instance (components/access-instance.ts): the cheap way into a dev stack without a
 * foundation. No inbound rule, no public address, IMDSv2 only, an encrypted root volume; the metadata service's load
 * balancer admits it; engineers may start port-forwarding sessions through it and nothing else; priced in the estimate.
 */
import { expect } from "chai";

import { ACCESS_INSTANCE_TYPE, PORT_FORWARDING_DOCUMENT } from "../../components/access-instance";
import { estimateCost } from "../../policies/cost/estimate";
import { defaultSettings } from "../../policies/lib/settings";
import { fromPlan } from "../../policies/lib/view";
import { loadConfig } from "../../stacks/config";
import { policyOf, runStack } from "../harness";
import { violationsOf } from "../policies/maximal";

const SET = { accessInstance: true, engineerRoleNames: ["ml-engineers-sso"] };

describe("AccessInstance (Session Manager port forwarding)", () => {
    it("has no inbound rule, no public address, IMDSv2 with hop limit 1 and an encrypted root volume", async () => {
        const run = await runStack("dev", { set: SET });
        const vm = run.one("aws:ec2/instance:Instance", "-access-instance");
        expect(vm.inputs).to.deep.include({ instanceType: ACCESS_INSTANCE_TYPE, associatePublicIpAddress: false });
        expect(vm.inputs.metadataOptions).to.deep.include({ httpTokens: "required", httpPutResponseHopLimit: 1 });
        expect(vm.inputs.rootBlockDevice).to.deep.include({ encrypted: true, volumeType: "gp3" });
        const sg = run.one("aws:ec2/securityGroup:SecurityGroup", "-access-sg");
        expect(run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs.securityGroupId === sg.id)).to.deep.equal([]);
        const egress = run.ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").filter((r) => r.inputs.securityGroupId === sg.id);
        expect(egress.map((r) => r.inputs.fromPort).sort()).to.deep.equal([443, 80]);
    });

    it("is admitted by the metadata service's load balancer, as a foundation's user-access group would be", async () => {
        const run = await runStack("dev", { set: SET });
        const sg = run.one("aws:ec2/securityGroup:SecurityGroup", "-access-sg");
        const alb = run.one("aws:ec2/securityGroup:SecurityGroup", "-metadata-alb-sg");
        const admitted = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs.securityGroupId === alb.id && r.inputs.referencedSecurityGroupId === sg.id);
        expect(admitted.map((r) => r.inputs.fromPort)).to.deep.equal([80]);
        const plain = await runStack("dev");
        expect(plain.ofType("aws:ec2/instance:Instance").map((i) => i.name)).to.deep.equal(["mf-dev-network-nat"]);
    });

    it("lets the engineers start port-forwarding sessions through this instance only, and the agent only register and open channels", async () => {
        const run = await runStack("dev", { set: SET });
        const vm = run.one("aws:ec2/instance:Instance", "-access-instance");
        const statements = policyOf(run.one("aws:iam/policy:Policy", "-access-engineers")).Statement;
        expect(statements[0].Action).to.deep.equal(["ssm:StartSession"]);
        expect(statements[0].Resource).to.deep.equal([`arn:aws:ec2:us-east-1:123456789012:instance/${vm.id}`, `arn:aws:ssm:us-east-1:*:document/${PORT_FORWARDING_DOCUMENT}`]);
        expect(run.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "-access-ml-engineers-sso").inputs.role).to.equal("ml-engineers-sso");
        const agent = policyOf(run.one("aws:iam/rolePolicy:RolePolicy", "-access-agent")).Statement.flatMap((s: any) => s.Action);
        expect(agent).to.deep.equal(["ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]);
    });

    it("passes the three policy packs in dev, and the estimate prices it (a few dollars a month)", async () => {
        const run = await runStack("dev", { set: SET });
        expect(violationsOf(run, "dev", 300).filter((v) => v.enforcementLevel === "mandatory")).to.deep.equal([]);
        const cost = estimateCost(fromPlan(run.resources, run.outputs, "dev"), defaultSettings("dev"));
        const item = cost.items.find((i) => i.resource.endsWith("-access-instance"))!;
        // Stopped with office hours (62.5 of 168 hours): about $1.1 of instance hours plus $0.64 of volume.
        expect(item.monthlyUsd).to.be.within(1.5, 2.5);
        expect(item.basis).to.contain("t4g.nano").and.contain("x 62.5/168 (office hours)");
    });

    it("is refused with a foundation, whose user-access network is the way in", () => {
        const r = loadConfig({ "aws:region": "us-east-1", "metaflow-platform:environment": "staging", "metaflow-platform:owner": "o", "metaflow-platform:costCenter": "c", "metaflow-platform:foundationStack": "acme/a01-foundation/staging", "metaflow-platform:accessInstance": "true" }, { stack: "staging" });
        expect(r.ok).to.equal(false);
        expect(!r.ok && r.problems.map((p) => `${p.key}: ${p.allowed}`).join("\n")).to.contain("metaflow-platform:accessInstance: only without a foundationStack");
    });
});
