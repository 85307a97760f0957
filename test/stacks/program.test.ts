import { expect } from "chai";

import { assertNoOutputStrings, rejection, runComponent, runStack } from "../harness";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";


describe("the program", () => {
    it("registers nothing when the configuration is invalid, and lists every problem", async () => {
        let registered = -1;
        const err = await rejection(
            runStack("dev", { set: { environment: "qa", logRetentionDays: -1 } }).catch((e) => {
                registered = 0;
                throw e;
            }),
        );
        expect(registered).to.equal(0);
        expect(err.constructor.name).to.equal("InvalidInputError");
        expect(err.message).to.contain("metaflow-platform:environment: got \"qa\"").and.contain("metaflow-platform:logRetentionDays: got -1");
    });

    it("tags every resource through the provider's default tags", async () => {
        const run = await runStack("prod");
        const [provider] = run.ofType("pulumi:providers:aws");
        expect(provider.inputs.region).to.equal("us-east-1");
        expect(JSON.parse(provider.inputs.defaultTags).tags).to.deep.equal({
            project: "metaflow-platform",
            stack: "prod",
            environment: "prod",
            owner: "ml-platform",
            "cost-center": "ml-production",
            "managed-by": "pulumi",
        });
        for (const r of run.resources.filter((x) => x.custom && x.type.startsWith("aws:"))) expect(r.provider, r.name).to.match(/pulumi:providers:aws::mf-prod-aws::/);
    });

    it("names every resource from the stack's prefix and parents it to a component", async () => {
        const run = await runStack("staging");
        for (const r of run.resources) {
            expect(r.name, r.type).to.match(/^mf-staging-/);
            if (r.type.startsWith("aws:")) expect(r.parent, r.name).to.match(/::metaflow:[a-z]+:[A-Za-z]+::/);
        }
    });
});

describe("wiring between sections", () => {
    for (const stack of ["dev", "prod"]) {
        it(`lets Batch jobs reach the metadata service's load balancer, and only on its listener port (${stack})`, async () => {
            const run = await runStack(stack);
            const computeSg = run.one("aws:ec2/securityGroup:SecurityGroup", "-batch-sg").id;
            const albSg = run.one("aws:ec2/securityGroup:SecurityGroup", "-metadata-alb-sg").id;
            const egress = run.one("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "-batch-metadata");
            expect(egress.inputs).to.include({ securityGroupId: computeSg, referencedSecurityGroupId: albSg, fromPort: 80, toPort: 80 });
            const ingress = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs.securityGroupId === albSg && r.inputs.referencedSecurityGroupId === computeSg);
            expect(ingress.map((r) => r.inputs.fromPort)).to.deep.equal([80]);
            const profile = run.outputs.metaflowConfig as Record<string, string>;
            expect(profile.METAFLOW_SERVICE_INTERNAL_URL).to.match(/^http:\/\/internal-.*elb\.amazonaws\.com$/);
            expect(profile.METAFLOW_BATCH_JOB_QUEUE).to.match(/:job-queue\//);
            // No UI in the shipped stacks, so no link to one.
            expect(profile).to.not.have.property("METAFLOW_UI_URL");
        });
    }
});

describe("the test harness", () => {
    it("fails a run where an Output leaked into a string", async () => {
        const err = await rejection(
            runComponent(() => {
                const bucket = new aws.s3.Bucket("b");
                return new aws.s3.BucketPolicy("p", { bucket: bucket.id, policy: `{"Resource": "${bucket.arn}"}` });
            }),
        );
        expect(err.message).to.match(/BucketPolicy p: an Output was used in a template string/);
        expect(() => assertNoOutputStrings([])).to.not.throw();
    });

    it("throws, naming the token, for an invoke the mocks do not know", async () => {
        const err = await rejection(runComponent(() => pulumi.output(aws.ec2.getVpc({ default: true }))));
        expect(err.message).to.contain('no answer for invoke "aws:ec2/getVpc:getVpc"');
    });
});
