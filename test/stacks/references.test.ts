import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { serviceTls } from "../../stacks/platform";
import { DASK_OUTPUTS, FOUNDATION_OUTPUTS, OutputField, validateDask, validateFoundation } from "../../stacks/references/contract";
import { FIXTURES, rejection, ROOT, runStack } from "../harness";

const FOUNDATION = "acme/a01-foundation/prod";
const DASK = "acme/a02-dask/prod";
const foundation = () => structuredClone(FIXTURES[FOUNDATION]) as Record<string, unknown>;


describe("stack references", () => {
    describe("docs/contracts.md", () => {
        const doc = fs.readFileSync(path.join(ROOT, "docs", "contracts.md"), "utf8");
        const section = (title: string) => doc.slice(doc.indexOf(title), doc.indexOf("\n## ", doc.indexOf(title) + 1));
        const rows = (text: string) => text.split("\n").filter((l) => l.startsWith("| `")).map((l) => l.split("|").map((c) => c.trim()));
        const check = (title: string, fields: OutputField[]) => {
            const table = rows(section(title));
            for (const f of fields) {
                const row = table.find((r) => r[1].split(",").map((k) => k.trim()).includes(`\`${f.key}\``));
                expect(row, `${title}: a row for ${f.key}`).to.not.equal(undefined);
                expect(row![2].startsWith("yes"), `${title}: ${f.key} is ${f.required ? "required" : "optional"} in contract.ts, and "${row![2]}" in the doc`).to.equal(f.required);
            }
            const documented = table.flatMap((r) => r[1].split(",").map((k) => k.trim().replace(/`/g, "")));
            expect(documented.filter((k) => !fields.some((f) => f.key === k)), `${title}: documented outputs the code does not know`).to.deep.equal([]);
        };

        it("lists every output of each contract, required exactly where the code requires it", () => {
            check("## A01 foundation", FOUNDATION_OUTPUTS);
            check("## A02 Dask", DASK_OUTPUTS);
        });

        it("says Batch reaches Dask on the scheduler port only, as the bridge opens it", async () => {
            const run = await runStack("prod");
            const rules = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs.securityGroupId === FIXTURES[DASK].schedulerSecurityGroupId);
            expect(rules.map((r) => [r.inputs.fromPort, r.inputs.toPort])).to.deep.equal([[8786, 8786]]);
            expect(section("## A02 Dask")).to.not.match(/8786\/8787/);
        });
    });


    describe("foundation contract", () => {
        it("accepts a Dask stack without the outputs the platform does not read (worker group, shared storage)", () => {
            const { workerSecurityGroupId: _w, sharedStorageEfsId: _e, sharedStoragePath: _p, ...minimal } = FIXTURES[DASK] as Record<string, unknown>;
            expect(validateDask(DASK, minimal, (FIXTURES[FOUNDATION] as any).vpcId).problems).to.deep.equal([]);
        });

        it("accepts the shipped fixture", () => {
            const r = validateFoundation(FOUNDATION, foundation(), "us-east-1");
            expect(r.problems).to.deep.equal([]);
            expect(r.value!.privateSubnetIds).to.have.length(3);
            expect(r.value!.database).to.equal(undefined);
        });

        it("names the stack and key of a missing required output", () => {
            const o = foundation();
            delete o.vpcId;
            expect(validateFoundation(FOUNDATION, o, "us-east-1").problems).to.deep.equal([
                `foundation stack "${FOUNDATION}": required output "vpcId" is missing (expected string: vpc-xxxxxxxx)`,
            ]);
        });

        it("names the stack and key of a malformed output", () => {
            const o = { ...foundation(), privateSubnetIds: "subnet-0c8d2e3f4a5b60001", kmsKeyArn: "alias/foo" };
            const problems = validateFoundation(FOUNDATION, o, "us-east-1").problems;
            expect(problems).to.have.length(2);
            expect(problems[0]).to.contain(`"${FOUNDATION}": output "privateSubnetIds" is malformed`);
            expect(problems[1]).to.contain('output "kmsKeyArn" is malformed');
        });

        it("requires private subnets in two availability zones of the platform's region", () => {
            const oneAz = { ...foundation(), privateSubnetAzs: ["us-east-1a", "us-east-1a", "us-east-1a"] };
            expect(validateFoundation(FOUNDATION, oneAz, "us-east-1").problems[0]).to.contain("at least 2 availability zones");
            const mismatch = { ...foundation(), privateSubnetAzs: ["us-east-1a", "us-east-1b"] };
            expect(validateFoundation(FOUNDATION, mismatch, "us-east-1").problems[0]).to.contain("2 entries for 3 subnets");
            expect(validateFoundation(FOUNDATION, foundation(), "eu-west-1").problems.join("\n")).to.contain("outside eu-west-1").and.contain("not in the platform's region eu-west-1");
        });

        it("requires a way for engineers to reach the platform", () => {
            const o = { ...foundation(), userAccessSecurityGroupIds: [], userAccessCidrs: [] };
            expect(validateFoundation(FOUNDATION, o, "us-east-1").problems[0]).to.contain("engineers would have no way to reach the platform");
        });

        it("takes a shared database only when all of its outputs are there", () => {
            const partial = { ...foundation(), databaseEndpoint: "db.internal" };
            expect(validateFoundation(FOUNDATION, partial, "us-east-1").problems[0]).to.contain("a shared database needs all of");
            const full = {
                ...partial,
                databasePort: 5432,
                databaseSecurityGroupId: "sg-0123456789abcdef0",
                databaseSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:a01/db-AbCdEf",
            };
            expect(validateFoundation(FOUNDATION, full, "us-east-1").value!.database).to.deep.equal({
                endpoint: "db.internal",
                port: 5432,
                securityGroupId: "sg-0123456789abcdef0",
                secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:a01/db-AbCdEf",
            });
        });

        it("takes the service certificate it may offer, with its name, in the platform's region", () => {
            const arn = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555";
            const both = { ...foundation(), serviceCertificateArn: arn, serviceDomainName: "metaflow.internal.example.com" };
            const ok = validateFoundation(FOUNDATION, both, "us-east-1");
            expect(ok.problems).to.deep.equal([]);
            expect(ok.value!.serviceCertificate).to.deep.equal({ arn, domainName: "metaflow.internal.example.com" });
            expect(validateFoundation(FOUNDATION, { ...foundation(), serviceCertificateArn: arn }, "us-east-1").problems).to.deep.equal([
                `foundation stack "${FOUNDATION}": output "serviceDomainName" is missing: an HTTPS listener needs both the certificate and the name it covers`,
            ]);
            expect(validateFoundation(FOUNDATION, { ...both, serviceCertificateArn: arn.replace("us-east-1", "eu-west-1") }, "us-east-1").problems.join("\n")).to.contain('output "serviceCertificateArn" is in eu-west-1');
            expect(validateFoundation(FOUNDATION, { ...both, serviceDomainName: "Not A Name" }, "us-east-1").problems.join("\n")).to.contain('output "serviceDomainName" is malformed');
        });

        it("serves the metadata service over HTTPS with the foundation's certificate unless the stack names its own", () => {
            const arn = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555";
            const own = "arn:aws:acm:us-east-1:123456789012:certificate/99999999-2222-3333-4444-555555555555";
            const offered = { foundation: { serviceCertificate: { arn, domainName: "mf.a01.example.com" } } } as any;
            expect(serviceTls({ service: {} } as any, offered)).to.deep.equal({ certificateArn: arn, domainName: "mf.a01.example.com" });
            expect(serviceTls({ service: { certificateArn: own, domainName: "mf.example.com" } } as any, offered)).to.deep.equal({ certificateArn: own, domainName: "mf.example.com" });
            expect(serviceTls({ service: {} } as any, {})).to.deep.equal({});
        });
    });

    describe("dask contract", () => {
        it("accepts the shipped fixture in the foundation's VPC", () => {
            expect(validateDask(DASK, FIXTURES[DASK], "vpc-0c8d2e3f4a5b6c7d8").problems).to.deep.equal([]);
        });

        it("rejects a cluster in another VPC, and a malformed scheduler address", () => {
            expect(validateDask(DASK, FIXTURES[DASK], "vpc-0000000000000000a").problems[0]).to.contain("must share the foundation's VPC");
            const bad = { ...FIXTURES[DASK], schedulerAddress: "dask-scheduler" };
            expect(validateDask(DASK, bad).problems[0]).to.equal(`dask stack "${DASK}": output "schedulerAddress" is malformed: got "dask-scheduler", expected string: tcp://host:8786`);
        });
    });

    describe("in the program", () => {
        it("fails before registering anything when an output is missing, naming stack and key", async () => {
            const references = { ...FIXTURES, [FOUNDATION]: { ...foundation(), alarmTopicArn: undefined } };
            const err = await rejection(runStack("prod", { references }));
            expect(err.constructor.name).to.equal("InvalidInputError");
            expect(err.message).to.contain(`foundation stack "${FOUNDATION}": required output "alarmTopicArn" is missing`);
        });

        it("reports problems of both referenced stacks together", async () => {
            const references = { ...FIXTURES, [FOUNDATION]: { ...foundation(), vpcCidr: "nope" }, [DASK]: {} };
            const err = await rejection(runStack("prod", { references }));
            expect(err.message).to.contain('output "vpcCidr" is malformed').and.contain(`dask stack "${DASK}": required output "schedulerAddress" is missing`);
        });

        it("treats a referenced stack that does not exist as missing every output", async () => {
            const err = await rejection(runStack("prod", { references: {} }));
            expect(err.message).to.contain(`foundation stack "${FOUNDATION}": required output "vpcId" is missing`);
        });

        it("runs in the foundation's network, without building its own", async () => {
            const run = await runStack("prod");
            expect(run.ofType("awsx:ec2:Vpc")).to.have.length(0);
            expect(run.outputs.network).to.deep.include({ source: "foundation", vpcId: "vpc-0c8d2e3f4a5b6c7d8", vpcCidr: "10.30.0.0/16" });
        });
    });
});
