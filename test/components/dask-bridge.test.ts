import { expect } from "chai";

import { DaskBridge, schedulerPort, validateDaskBridgeArgs } from "../../components/dask-bridge";
import { FIXTURES, runComponent, runStack } from "../harness";

const DASK = FIXTURES["acme/a02-dask/prod"] as Record<string, string>;
const args = { namePrefix: "mf-test", computeSecurityGroupId: "sg-0aaaaaaaaaaaaaaaa", schedulerAddress: "tcp://scheduler.internal:8786", schedulerSecurityGroupId: "sg-0bbbbbbbbbbbbbbbb" };

describe("DaskBridge", () => {
    it("opens exactly the scheduler port, from the compute group to the scheduler group, in both directions of the pair", async () => {
        const run = await runComponent(() => new DaskBridge("dask", args));
        const egress = run.one("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule");
        const ingress = run.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
        expect(egress.inputs).to.include({ securityGroupId: args.computeSecurityGroupId, referencedSecurityGroupId: args.schedulerSecurityGroupId, fromPort: 8786, toPort: 8786, ipProtocol: "tcp" });
        expect(ingress.inputs).to.include({ securityGroupId: args.schedulerSecurityGroupId, referencedSecurityGroupId: args.computeSecurityGroupId, fromPort: 8786, toPort: 8786, ipProtocol: "tcp" });
        for (const r of [egress, ingress]) expect(r.inputs.description).to.be.a("string").and.not.empty;
    });

    it("publishes the address (and the dashboard when known) as plain parameters in the namespace the job role reads", async () => {
        const run = await runComponent(() => new DaskBridge("dask", { ...args, dashboardUrl: "http://scheduler.internal:8787" }));
        const params = run.ofType("aws:ssm/parameter:Parameter").map((p) => [p.inputs.name, p.inputs.type, p.inputs.insecureValue]);
        expect(params).to.have.deep.members([
            ["/mf-test/dask/scheduler-address", "String", "tcp://scheduler.internal:8786"],
            ["/mf-test/dask/dashboard-url", "String", "http://scheduler.internal:8787"],
        ]);
    });

    it("is built only where a Dask stack is referenced, on the Batch compute group and the A02 scheduler group", async () => {
        const prod = await runStack("prod");
        const computeSg = prod.one("aws:ec2/securityGroup:SecurityGroup", "-batch-sg").id;
        expect(prod.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "-dask-from-metaflow").inputs).to.include({ securityGroupId: DASK.schedulerSecurityGroupId, referencedSecurityGroupId: computeSg });
        expect(prod.outputs.dask).to.deep.equal({ schedulerAddress: DASK.schedulerAddress, schedulerAddressParameter: "/mf-prod/dask/scheduler-address", dashboardUrlParameter: "/mf-prod/dask/dashboard-url" });
        const dev = await runStack("dev");
        expect(dev.ofType("metaflow:integration:DaskBridge")).to.have.length(0);
        expect(dev.outputs.dask).to.equal(undefined);
    });

    it("rejects an address without a port and a malformed group", () => {
        expect(schedulerPort("scheduler.internal")).to.equal(undefined);
        expect(schedulerPort("tcp://scheduler.internal:70000")).to.equal(undefined);
        expect(validateDaskBridgeArgs({ ...args, schedulerAddress: "scheduler", schedulerSecurityGroupId: "default" })).to.have.length(2);
        expect(() => new DaskBridge("bad", { ...args, schedulerAddress: "scheduler" })).to.throw(/DaskBridge bad: schedulerAddress/);
    });
});
