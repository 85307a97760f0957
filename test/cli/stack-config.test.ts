/**
 * The Pulumi CLI's rules for stack files and for merging Pulumi.yaml's declarations into them (pulumi/pulumi
 * v3.259.0: sdk/go/common/workspace/loaders.go, sdk/go/common/resource/config, pkg/workspace/config.go), each with
 * real project and stack files and the CLI's message. Cases marked "upstream" restate the inputs and expected values
 * of the CLI's own tests (pkg/workspace/config_project_test.go).
 *
 * Then the repository's own files under the same rules: every shipped stack file, a stack file with only the keys
 * Pulumi.yaml requires, and every stack file in docs/.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { loadStackForProgram, SECURE_PLACEHOLDER } from "../../offline/pulumi-cli";
import { mergeConfig } from "../../offline/pulumi-cli/config";
import { CliError } from "../../offline/pulumi-cli/errors";
import { parseProject } from "../../offline/pulumi-cli/project";
import { configSet, parseProjectStack, StackValue } from "../../offline/pulumi-cli/stack";
import { loadConfig } from "../../stacks/config";
import { configSetCommands, ROOT, stackFixture, tempDir, thrownBy } from "../harness";

/** Loads a project and a stack from text and merges them as `pulumi preview` does for stack "dev". */
function merged(projectYaml: string, stackYaml: string): Record<string, string> {
    const project = parseProject(projectYaml, "Pulumi.yaml");
    const stack = parseProjectStack(project.name, stackYaml, "Pulumi.dev.yaml");
    const { config } = mergeConfig("dev", project, stack.config);
    return Object.fromEntries([...config].map(([k, v]) => [k, v.value]));
}

function refusal(projectYaml: string, stackYaml: string): string {
    return thrownBy(() => merged(projectYaml, stackYaml), CliError).message;
}

const TEST = "name: test\nruntime: dotnet\n";

describe("Pulumi CLI: stack files and config validation", () => {
    describe("mergeConfig (pkg/workspace/config.go:255)", () => {
        it("merges project defaults into the stack, the stack's values winning (upstream)", () => {
            expect(merged(`${TEST}config:\n  instanceSize: t3.micro\n  instanceCount: 20\n  protect: true\n`, "config:\n  test:instanceSize: t4.large\n")).to.deep.equal({
                "test:instanceSize": "t4.large",
                "test:instanceCount": "20",
                "test:protect": "true",
            });
        });

        it("merges values of other namespaces, objects as JSON (upstream)", () => {
            expect(merged(`${TEST}config:\n  aws:region: us-west-1\n  pulumi:disable-default-providers: ["*"]\n  instanceSize: t3.micro\n`, "config:\n  test:instanceSize: t4.large\n")).to.deep.equal({
                "test:instanceSize": "t4.large",
                "aws:region": "us-west-1",
                "pulumi:disable-default-providers": '["*"]',
            });
            expect(merged(`${TEST}config:\n  instanceSize:\n    value:\n      hello: world\n  aws:config:\n    value:\n      region: us-west-1\n`, "config:\n  aws:whatever: 42\n")).to.deep.equal({
                "test:instanceSize": '{"hello":"world"}',
                "aws:config": '{"region":"us-west-1"}',
                "aws:whatever": "42",
            });
        });

        it("reads keys without a namespace as the project's (upstream)", () => {
            expect(merged(`${TEST}config:\n  aws:region: us-west-1\n  instanceSize: t3.micro\n`, "config:\n  instanceSize: t4.large\n")["test:instanceSize"]).to.equal("t4.large");
        });

        it("does not type-check keys declared without a type, nor need a declaration for a key (upstream)", () => {
            expect(merged(`${TEST}config:\n  instanceSize: t3.micro\n  aws:region: us-west-1\n`, "config:\n  instanceSize: 9999\n  aws:region: 42\n")).to.deep.equal({ "test:instanceSize": "9999", "aws:region": "42" });
            expect(merged(`${TEST}config:\n  createVpc: true\n`, "config:\n  instanceSize: 42\n")).to.deep.equal({ "test:instanceSize": "42", "test:createVpc": "true" });
            expect(merged(TEST, "config:\n  hello: 21\n  world: 42\n  another: 42\n")).to.have.property("test:hello", "21");
        });

        it("merges a project key's value as it does a default (upstream)", () => {
            expect(merged(`${TEST}config:\n  instanceSize:\n    default: t3.micro\n  region:\n    value: us-west-1\n`, "config:\n  aws:answer: 42\n")).to.deep.equal({
                "test:instanceSize": "t3.micro",
                "test:region": "us-west-1",
                "aws:answer": "42",
            });
        });

        it("requires every declared project key without a default, reported together and sorted (upstream)", () => {
            const values = "  values:\n    type: array\n    items:\n      type: string\n";
            expect(refusal(`${TEST}config:\n${values}`, "")).to.equal("Stack 'dev' is missing configuration value 'values'");
            expect(refusal(`${TEST}config:\n  another:\n    type: string\n${values}`, "")).to.equal("Stack 'dev' is missing configuration values 'another' and 'values'");
            expect(refusal(`${TEST}config:\n  hello:\n    type: integer\n${values}  world:\n    type: string\n`, "")).to.equal("Stack 'dev' is missing configuration values 'hello', 'values' and 'world'");
        });

        it("checks each typed key's value, accepting integer text for integers (upstream)", () => {
            const project = `${TEST}config:\n  importantNumber:\n    type: integer\n`;
            expect(merged(project, "config:\n  test:importantNumber: 20\n")["test:importantNumber"]).to.equal("20");
            expect(refusal(project, "config:\n  test:importantNumber: hello\n")).to.equal("Stack 'dev' with configuration key 'importantNumber' must be of type 'integer'");
            expect(refusal(`${TEST}config:\n  values:\n    type: array\n    items:\n      type: string\n    default: [value]\n`, "config:\n  test:values: someValue\n")).to.equal(
                "Stack 'dev' with configuration key 'values' must be of type 'array<string>'",
            );
            expect(merged(`${TEST}config:\n  flag:\n    type: boolean\n`, "config:\n  test:flag: false\n")["test:flag"]).to.equal("false");
            expect(refusal(`${TEST}config:\n  flag:\n    type: boolean\n`, "config:\n  test:flag: 'no'\n")).to.contain("must be of type 'boolean'");
        });

        it("requires a secret key to be encrypted, even when its default would be merged (upstream)", () => {
            const project = `${TEST}config:\n  importantNumber:\n    type: integer\n    secret: true\n`;
            expect(merged(project, "config:\n  test:importantNumber:\n    secure: AAABADE=\n")["test:importantNumber"]).to.equal("AAABADE=");
            expect(refusal(project, "config:\n  test:importantNumber: 20\n")).to.equal("Stack 'dev' with configuration key 'importantNumber' must be encrypted as it's secret");
            expect(refusal(`${TEST}config:\n  token:\n    type: string\n    secret: true\n    default: x\n`, "")).to.contain("must be encrypted as it's secret");
        });
    });

    describe("LoadProjectStackBytes and config.Map (loaders.go:173, map.go:310)", () => {
        it("keeps integers exact and writes objects as Go does, keys sorted (upstream)", () => {
            expect(merged(TEST, "config:\n  test:instanceSize: 18446744073709551615\n")["test:instanceSize"]).to.equal("18446744073709551615");
            expect(merged(TEST, "config:\n  test:obj:\n    zeta: 1\n    alpha: [true, 2.5]\n")["test:obj"]).to.equal('{"alpha":[true,2.5],"zeta":1}');
        });

        it("reads an empty file, and an absent one, as no configuration", () => {
            expect(parseProjectStack("test", "", "Pulumi.dev.yaml").config.size).to.equal(0);
            expect(parseProjectStack("test", "# only a comment\n", "Pulumi.dev.yaml").config.size).to.equal(0);
        });

        it("accepts <namespace>:<name> and the old <namespace>:config:<name>, nothing else", () => {
            expect([...parseProjectStack("test", "config:\n  aws:config:region: us-east-1\n", "f").config.keys()]).to.deep.equal(["aws:region"]);
            expect(() => parseProjectStack("test", "config:\n  a:b:c: x\n", "f")).to.throw(
                CliError,
                "could not unmarshal map: could not parse a:b:c as a configuration key (configuration keys should be of the form `<namespace>:<name>`)",
            );
        });

        it("warns about a key with no value, read as an empty string", () => {
            const stack = parseProjectStack("test", "config:\n  test:a:\n  test:b: ~\n", "f");
            expect(stack.config.get("test:a")?.value).to.equal("");
            expect(stack.warnings[0]).to.match(/^No value for configuration keys "test:a" and "test:b"\. This is currently treated as an empty string/);
        });

        it("holds a secure value, also inside an object, as secret", () => {
            const stack = parseProjectStack("test", "config:\n  test:s:\n    secure: v1:abc\n  test:o:\n    inner:\n      secure: v1:def\n", "f");
            expect(stack.config.get("test:s")).to.deep.equal({ value: "v1:abc", secure: true, object: false });
            expect(stack.config.get("test:o")).to.deep.equal({ value: '{"inner":{"secure":"v1:def"}}', secure: true, object: true });
        });

        it("refuses a document that is not a mapping and a config that is not one", () => {
            expect(() => parseProjectStack("test", "- a\n", "f")).to.throw(CliError, "expected project to be an object, was '[]interface {}'");
            expect(() => parseProjectStack("test", "config:\n  - a\n", "f")).to.throw(CliError, "cannot unmarshal !!seq into map[string]config.Value");
        });

        it("ignores attributes outside config: (the CLI's YAML reader is not strict)", () => {
            const stack = parseProjectStack("test", "owner: me\nconfig:\n  test:a: b\n", "f");
            expect(stack.ignoredAttributes).to.deep.equal(["owner"]);
            expect(stack.config.has("test:owner")).to.equal(false);
        });
    });

    describe("pulumi config set (config.Map.Set, map.go:225; object.Set, object.go:280)", () => {
        const set = (cmds: Array<[string, string, { path?: boolean; secret?: boolean }?]>) => {
            const config = new Map<string, StackValue>();
            for (const [key, value, opts] of cmds) configSet(config, "test", key, value, opts);
            return Object.fromEntries([...config].map(([k, v]) => [k, v.value]));
        };

        it("builds lists and maps from --path keys, coercing integers and booleans as the CLI does", () => {
            expect(set([["test:queues[0].name", "gpu", { path: true }], ["test:queues[0].maxVcpus", "96", { path: true }], ["test:queues[0].enabled", "false", { path: true }], ["test:queues[1].name", "007", { path: true }]])).to.deep.equal({
                "test:queues": '[{"enabled":false,"maxVcpus":96,"name":"gpu"},{"name":"007"}]',
            });
            expect(set([['test:tags["a.b"]', "x", { path: true }]])).to.deep.equal({ "test:tags": '{"a.b":"x"}' });
            expect(set([["plain", "42"]])).to.deep.equal({ "test:plain": "42" });
        });

        it("refuses an index past the end of a list and a path through a scalar", () => {
            expect(() => set([["test:l[1]", "x", { path: true }]])).to.throw(CliError, "l[1]: array index out of range");
            expect(() => set([["test:o.a", "1", { path: true }], ["test:o.a.b", "2", { path: true }]])).to.throw(CliError, "o.a: expected a map");
        });
    });

    describe("this repository's files under the CLI's rules", () => {
        let dir: string;
        before(() => {
            dir = tempDir("mf-cli-");
        });
        const projectFile = path.join(ROOT, "Pulumi.yaml");
        const write = (name: string, text: string) => {
            const file = path.join(dir, name);
            fs.writeFileSync(file, text);
            return file;
        };

        for (const stack of ["dev", "staging", "prod"]) {
            it(`loads Pulumi.${stack}.yaml, and the program accepts what the CLI hands it`, () => {
                const loaded = loadStackForProgram({ projectFile, stackFile: stackFixture(stack) });
                expect(loaded.warnings).to.deep.equal([]);
                const result = loadConfig(loaded.config, { stack, secretKeys: loaded.secretKeys });
                expect(result.ok, JSON.stringify(!result.ok && result.problems)).to.equal(true);
            });
        }

        it("loads a stack file that sets only the keys Pulumi.yaml requires (plus the region the program requires)", () => {
            const file = write("Pulumi.minimal.yaml", "config:\n  aws:region: eu-west-1\n  metaflow-platform:environment: dev\n  metaflow-platform:owner: team\n  metaflow-platform:costCenter: cc\n");
            const loaded = loadStackForProgram({ projectFile, stackFile: file });
            expect(loadConfig(loaded.config, { stack: "minimal", secretKeys: loaded.secretKeys }).ok).to.equal(true);
        });

        it("refuses a stack file without a required key with the CLI's message, and says where a misplaced key went", () => {
            const file = write("Pulumi.partial.yaml", "owner: team\nconfig:\n  aws:region: eu-west-1\n  metaflow-platfrom:environment: dev\n");
            const err = thrownBy(() => loadStackForProgram({ projectFile, stackFile: file }), CliError);
            expect(err.message).to.equal("Stack 'partial' is missing configuration values 'costCenter', 'environment' and 'owner'");
            expect(err.hint).to.contain("owner is written at the top level of Pulumi.partial.yaml, outside `config:`");
            expect(err.hint).to.contain("metaflow-platfrom:environment is set, in namespace \"metaflow-platfrom\": did you mean metaflow-platform:environment?");
        });

        it("accepts the stack the README's `pulumi config set` commands write", () => {
            const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
            const section = readme.slice(readme.indexOf("## With the Pulumi CLI"));
            const block = /```sh\n([\s\S]*?)```/.exec(section)![1];
            const config = new Map<string, StackValue>();
            const commands = configSetCommands(block);
            for (const c of commands) configSet(config, "metaflow-platform", c.key, c.value, { path: c.path, secret: c.secret });
            expect(commands.length).to.be.greaterThan(4);
            const project = parseProject(fs.readFileSync(projectFile, "utf8"), projectFile);
            const { config: merged } = mergeConfig("dev", project, config);
            const result = loadConfig(Object.fromEntries([...merged].map(([k, v]) => [k, v.value])), { stack: "dev", secretKeys: [] });
            expect(result.ok, JSON.stringify(!result.ok && result.problems)).to.equal(true);
            expect(result.ok && result.config.batch.queues.find((q) => q.name === "gpu")?.maxVcpus).to.equal(96);
        });

        it("accepts the stack docs/getting-started.md's first-deployment commands write, starting from an empty stack", () => {
            const doc = fs.readFileSync(path.join(ROOT, "docs", "getting-started.md"), "utf8");
            const block = /```sh\n([\s\S]*?)```/.exec(doc.slice(doc.indexOf("## 4. A first deployment")))![1];
            const config = new Map<string, StackValue>();
            const commands = configSetCommands(block);
            for (const c of commands) configSet(config, "metaflow-platform", c.key, c.value, { path: c.path, secret: c.secret });
            const project = parseProject(fs.readFileSync(projectFile, "utf8"), projectFile);
            const { config: merged } = mergeConfig("dev", project, config);
            const result = loadConfig(Object.fromEntries([...merged].map(([k, v]) => [k, v.value])), { stack: "dev", secretKeys: [] });
            expect(result.ok, JSON.stringify(!result.ok && result.problems)).to.equal(true);
            expect(result.ok && result.config.engineerRoleNames).to.deep.equal(["ml-engineers-sso"]);
        });

        it("hands the program a placeholder for a secure value, and its key as secret", () => {
            const file = write("Pulumi.sec.yaml", "config:\n  aws:region: eu-west-1\n  metaflow-platform:environment: dev\n  metaflow-platform:owner: t\n  metaflow-platform:costCenter: c\n  metaflow-platform:uiOidcClientSecret:\n    secure: v1:AAAA\n");
            const loaded = loadStackForProgram({ projectFile, stackFile: file });
            expect(loaded.config["metaflow-platform:uiOidcClientSecret"]).to.equal(SECURE_PLACEHOLDER);
            expect(loaded.secretKeys).to.deep.equal(["metaflow-platform:uiOidcClientSecret"]);
        });

        it("passes every stack file written in docs/ (code blocks named Pulumi.<stack>.yaml)", () => {
            const docs = fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md"));
            let found = 0;
            for (const doc of docs) {
                const text = fs.readFileSync(path.join(ROOT, "docs", doc), "utf8");
                for (const m of text.matchAll(/```yaml\n# (Pulumi\.[\w-]+\.yaml)\n([\s\S]*?)```/g)) {
                    found++;
                    const loaded = loadStackForProgram({ projectFile, stackFile: write(m[1], m[2]) });
                    const result = loadConfig(loaded.config, { stack: "docs", secretKeys: loaded.secretKeys });
                    expect(result.ok, `${doc}: ${m[1]}: ${JSON.stringify(!result.ok && result.problems)}`).to.equal(true);
                }
            }
            expect(found, "docs/ show at least one stack file").to.be.greaterThan(0);
        });
    });
});
