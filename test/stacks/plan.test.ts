import { expect } from "chai";
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { resolveDeep } from "../../offline/run";
import { classify, cli, parseArgs, plan, readReferences, renderTree } from "../../scripts/plan";
import { applyConfigSet, configSetCommands, FIXTURES, fixturePolicyConfig, ROOT, runComponent, stackFixture, tempDir } from "../harness";

interface Exec {
    code: number;
    stdout: string;
    stderr: string;
}

/** The real command in a child process: exit code and streams as a shell sees them. */
function child(args: string[]): Promise<Exec> {
    return new Promise((resolve) => {
        execFile(process.execPath, ["-r", path.join(ROOT, "scripts/register-ts.js"), path.join(ROOT, "scripts/plan.ts"), ...args], { cwd: ROOT }, (err, stdout, stderr) => {
            resolve({ code: err ? ((err as any).code as number) : 0, stdout, stderr });
        });
    });
}

async function inProcess(args: string[]): Promise<Exec> {
    let stdout = "";
    let stderr = "";
    const code = await cli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { code, stdout, stderr };
}

function stackFile(name: string, text: string): string {
    const dir = tempDir("mf-plan-");
    const file = path.join(dir, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, text);
    return file;
}

const VALID = fs.readFileSync(stackFixture("dev"), "utf8");

describe("offline plan", () => {
    describe("command line", () => {
        let json: Exec, invalid: Exec, malformed: Exec, usage: Exec;
        before(async function () {
            this.timeout(30000);
            const bad = stackFile("broken", `${VALID}  metaflow-platform:environment2: dev\n  metaflow-platform:monthlyBudgetUsd: 0\n`);
            const yaml = stackFile("yaml", "config:\n  aws:region: [us-east-1\n");
            // One real process for the stdout contract; the failure paths run the same command in process.
            // In-process runs go one after the other: Pulumi's runtime state is global to the process.
            // The policy configuration the fixture derives, not the user's policies/config/dev.json.
            const policyConfig = path.join(tempDir("mf-plan-"), "dev.json");
            fs.writeFileSync(policyConfig, JSON.stringify(fixturePolicyConfig("dev")));
            const running = child(["--config", stackFixture("dev"), "--json", "--policy-config", policyConfig]);
            invalid = await inProcess(["--config", bad]);
            malformed = await inProcess(["--config", yaml]);
            usage = await inProcess(["--stak", "dev"]);
            json = await running;
        });

        it("prints nothing but one JSON document with --json, and exits 0 (child process)", () => {
            expect(json.code).to.equal(0);
            const doc = JSON.parse(json.stdout);
            expect(doc.stack).to.equal("dev");
            expect(Object.keys(doc.resources[0])).to.include.members(["urn", "type", "name", "parent", "protect", "inputs"]);
            expect(doc.resources.map((r: any) => r.type)).to.include("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
            expect(doc.outputs.datastoreRoot).to.match(/^s3:\/\/.+\/metaflow$/);
            expect(doc.violations).to.deep.equal([]);
            expect(doc.cost).to.include.keys("monthlyUsd", "idleMonthlyUsd", "items");
        });

        it("exits 2 on invalid configuration, naming each key, with no stack trace", () => {
            expect(invalid.code).to.equal(2);
            expect(invalid.stdout).to.equal("");
            expect(invalid.stderr).to.contain("metaflow-platform:environment2").and.contain("did you mean metaflow-platform:environment").and.contain("metaflow-platform:monthlyBudgetUsd: got 0");
            expect(invalid.stderr).to.not.match(/\n\s+at /);
        });

        it("exits 2 on malformed YAML, naming the file", () => {
            expect(malformed.code).to.equal(2);
            // The CLI's own words (encoding/marshal.go), then the file.
            expect(malformed.stderr).to.match(/^error: invalid YAML file: /).and.contain("Pulumi.yaml.yaml");
            expect(malformed.stderr).to.not.match(/\n\s+at /);
        });

        it("exits 2 on an unknown argument", () => {
            expect(usage.code).to.equal(2);
            expect(usage.stderr).to.contain("unknown argument --stak");
        });
    });

    describe("in process", () => {
        it("takes the stack name from a --config file and the references from --references", async () => {
            const refs = path.join(tempDir("mf-refs-"), "refs.json");
            fs.writeFileSync(refs, JSON.stringify({}));
            const file = stackFile("qa1", fs.readFileSync(stackFixture("staging"), "utf8"));
            const err = await plan(parseArgs(["--config", file, "--references", refs])).catch((e) => e);
            expect(classify(err).code).to.equal(2);
            expect(classify(err).message).to.contain(`metaflow-platform:foundationStack is acme/a01-foundation/staging, whose outputs are not in the references (${refs}; they hold no stack)`);
            expect(classify(err).message).to.contain("give them with --references acme/a01-foundation/staging=<file of `pulumi stack output --json --show-secrets` of acme/a01-foundation/staging>");
            expect(classify(err).message).to.contain("metaflow-platform:daskStack is acme/a02-dask/staging");
            // Present but incomplete outputs are still judged by the contract, key by key.
            fs.writeFileSync(refs, JSON.stringify({ "acme/a01-foundation/staging": {}, "acme/a02-dask/staging": {} }));
            const partial = await plan(parseArgs(["--config", file, "--references", refs])).catch((e) => e);
            expect(classify(partial).message).to.contain('foundation stack "acme/a01-foundation/staging": required output "vpcId" is missing');
        });

        describe("--references in both forms", () => {
            const dir = tempDir("mf-refs-");
            const write = (name: string, data: unknown) => {
                const file = path.join(dir, name);
                fs.writeFileSync(file, JSON.stringify(data));
                return file;
            };
            const a01 = write("a01.json", FIXTURES["acme/a01-foundation/staging"]);
            const a02 = write("a02.json", FIXTURES["acme/a02-dask/staging"]);
            const keyed = write("keyed.json", { "acme/a01-foundation/staging": FIXTURES["acme/a01-foundation/staging"] });

            it("takes each stack's `pulumi stack output --json` as <org/project/stack>=<file>, repeatable, and merges them over keyed files", () => {
                expect(readReferences([`acme/a01-foundation/staging=${a01}`, `acme/a02-dask/staging=${a02}`])).to.deep.equal({
                    "acme/a01-foundation/staging": FIXTURES["acme/a01-foundation/staging"],
                    "acme/a02-dask/staging": FIXTURES["acme/a02-dask/staging"],
                });
                expect(parseArgs(["--stack", "staging", "--references", keyed, "--references", `acme/a02-dask/staging=${a02}`]).references).to.deep.equal([keyed, `acme/a02-dask/staging=${a02}`]);
                expect(Object.keys(readReferences([keyed, `acme/a02-dask/staging=${a02}`]))).to.deep.equal(["acme/a01-foundation/staging", "acme/a02-dask/staging"]);
            });

            it("says which form it expected when a file is given in the other", async () => {
                const flat = await plan(parseArgs(["--config", stackFixture("staging"), "--references", a01])).catch((e) => e);
                expect(classify(flat).code).to.equal(2);
                expect(classify(flat).message).to.contain(`${a01}: expected an object of outputs keyed by fully qualified stack name (org/project/stack)`);
                expect(classify(flat).message).to.contain('"vpcId", "vpcCidr"').and.contain(`give --references <org/project/stack>=${a01}`);
                expect(() => readReferences([`acme/a01-foundation/staging=${keyed}`])).to.throw(`found outputs keyed by stack name (acme/a01-foundation/staging): give this file as --references ${keyed}`);
                expect(() => readReferences([`a01=${a01}`])).to.throw('"a01" is not a fully qualified stack name (org/project/stack)');
                const blinded = write("blinded.json", { ...FIXTURES["acme/a01-foundation/staging"], kmsKeyArn: "[secret]" });
                expect(() => readReferences([`acme/a01-foundation/staging=${blinded}`])).to.throw('outputs kmsKeyArn of acme/a01-foundation/staging read "[secret]"');
                expect(() => readReferences([`acme/a01-foundation/staging=${write("list.json", [])}`])).to.throw("expected one stack's outputs, as `pulumi stack output --json --show-secrets` prints them, found an array");
            });
        });

        it("plans a stack file edited exactly as the README's `pulumi config set` commands say", async () => {
            const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
            const section = readme.slice(readme.indexOf("## With the Pulumi CLI"));
            const commands = configSetCommands(/```sh\n([\s\S]*?)```/.exec(section)![1]);
            expect(commands.map((c) => c.key)).to.include("metaflow-platform:foundationStack");
            const file = applyConfigSet(stackFixture("dev"), commands, tempDir("mf-readme-"));
            const result = await plan({ config: file, references: path.join(ROOT, "fixtures", "references.json"), json: true, showSecrets: false, policyConfig: fixturePolicyConfig("dev") });
            const doc = result.document as any;
            expect(doc.violations.filter((v: any) => v.enforcementLevel === "mandatory")).to.deep.equal([]);
            const foundation = commands.find((c) => c.key === "metaflow-platform:foundationStack")!.value;
            expect(doc.resources.filter((r: any) => r.type === "aws:ec2/securityGroup:SecurityGroup").map((r: any) => r.inputs.vpcId)).to.include(FIXTURES[foundation].vpcId);
            expect(doc.resources.filter((r: any) => r.type === "aws:ec2/vpc:Vpc")).to.have.length(0);
            // The same file with that foundation's outputs given as `pulumi stack output --json`.
            const a01 = path.join(tempDir("mf-readme-"), "a01.json");
            fs.writeFileSync(a01, JSON.stringify(FIXTURES[foundation]));
            const perStack = await plan(parseArgs(["--config", file, "--references", `${foundation}=${a01}`]));
            expect((perStack.document as any).outputs).to.deep.equal(doc.outputs);
        });

        it("refuses a stack file without the keys Pulumi.yaml requires with the Pulumi CLI's message, and says where the key went", async () => {
            const file = stackFile("partial", "owner: ml-platform\nconfig:\n  aws:region: us-east-1\n  metaflow-platform:environment: dev\n  metaflow-platform:costCenter: c\n");
            const r = await inProcess(["--config", file]);
            expect(r.code).to.equal(2);
            expect(r.stderr).to.match(/^error: Stack 'partial' is missing configuration value 'owner'\n/);
            expect(r.stderr).to.contain("owner is written at the top level of Pulumi.partial.yaml, outside `config:`");
            expect(r.stderr).to.not.match(/\n\s+at /);
        });

        it("refuses a plain-text value for a secret key, as pulumi preview does", async () => {
            const file = stackFile("plain", `${VALID}  metaflow-platform:uiOidcClientSecret: hunter2\n`);
            const r = await inProcess(["--config", file]);
            expect(r.code).to.equal(2);
            expect(r.stderr).to.contain("metaflow-platform:uiOidcClientSecret: got a plain-text value; must be encrypted as it's secret");
            expect(r.stderr).to.not.contain("hunter2");
        });

        it("prints the CLI's warning for a key with no value, and for what the CLI would ignore", async () => {
            const lines: string[] = [];
            const file = stackFile("warned", `${VALID}  metaflow-platform:alarmEmail:\nfoo: bar\n`);
            await plan({ ...parseArgs(["--config", file]), warn: (l) => lines.push(l) }).catch(() => undefined);
            expect(lines.join("\n")).to.contain('warning: No value for configuration key "metaflow-platform:alarmEmail"').and.contain('"foo" is not a stack file attribute');
        });

        it("accepts --flag=value as --flag value", () => {
            expect(parseArgs(["--stack=dev", "--references=r.json"])).to.deep.include({ stack: "dev", references: ["r.json"] });
            expect(() => parseArgs(["--stack="])).to.throw("--stack needs a value");
            expect(() => parseArgs(["--stack", "dev", "--json=yes"])).to.throw("--json takes no value");
            expect(() => parseArgs(["--stack", "dev", "--policy-config", "/nonexistent/dev.json"])).to.throw("/nonexistent/dev.json: cannot read");
        });

        it("refuses a --stack that contradicts the --config file", async () => {
            const err = await plan(parseArgs(["--stack", "prod", "--config", stackFixture("dev")])).catch((e) => e);
            expect(classify(err)).to.deep.include({ code: 2 });
        });

        it("renders the tree by parent, with protection flags and counts by type", async () => {
            const { document, text } = await plan(parseArgs(["--config", stackFixture("prod")]));
            expect(text).to.match(/\n\+ metaflow:storage:ArtifactBucket {2}mf-prod-artifacts\n {2}\+ aws:s3\/bucket:Bucket {2}mf-prod-artifacts {2}\[protect, retain\]/);
            expect(text).to.contain(`Resources by type (${(document.resources as unknown[]).length} in all)`);
        });

        it("classifies a defect as exit 1 with its stack", () => {
            expect(classify(new TypeError("boom")).code).to.equal(1);
            expect(renderTree([])).to.contain("(0 in all)");
        });

        it("masks secrets in inputs and outputs unless asked to show them", async () => {
            const masked = await runComponent(() => new aws.ssm.Parameter("p", { type: "SecureString", value: pulumi.secret("hunter2") }), { showSecrets: false });
            expect(masked.one("aws:ssm/parameter:Parameter").inputs.value).to.equal("[secret]");
            expect(masked.one("aws:ssm/parameter:Parameter").secretPaths).to.deep.equal(["value"]);
            const shown = await runComponent(() => new aws.ssm.Parameter("p", { type: "SecureString", value: pulumi.secret("hunter2") }), { showSecrets: true });
            expect(shown.one("aws:ssm/parameter:Parameter").inputs.value).to.equal("hunter2");
            expect(await resolveDeep({ a: pulumi.secret("x"), b: pulumi.output("y") }, false)).to.deep.equal({ a: "[secret]", b: "y" });
        });
    });
});
