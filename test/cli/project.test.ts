/**
 * The Pulumi CLI's rules for Pulumi.yaml (pulumi/pulumi v3.259.0, sdk/go/common/workspace/project.go and loaders.go),
 * each with a project file and the CLI's message. Cases marked "upstream" restate the inputs and expected messages of
 * the CLI's own tests (sdk/go/common/workspace/project_test.go).
 */
import { expect } from "chai";

import { CliError } from "../../offline/pulumi-cli/errors";
import { parseProject, validateConfigValue } from "../../offline/pulumi-cli/project";
import { thrownBy } from "../harness";

function load(yaml: string) {
    return parseProject(yaml, "Pulumi.yaml");
}

function refusal(yaml: string): string {
    return thrownBy(() => load(yaml), CliError).message;
}

describe("Pulumi CLI: loading Pulumi.yaml", () => {
    describe("ValidateProject (project.go:569)", () => {
        it("needs a name, and suggests a near miss (upstream)", () => {
            expect(refusal("runtime: nodejs\n")).to.equal("could not validate 'Pulumi.yaml': project is missing a 'name' attribute");
            expect(refusal("Name: p\nruntime: nodejs\n")).to.contain("project is missing a 'name' attribute; found 'Name' instead");
            expect(refusal("name: ''\nruntime: nodejs\n")).to.contain("project is missing a non-empty string 'name' attribute");
            expect(refusal("name: 5\nruntime: nodejs\n")).to.contain("project is missing a non-empty string 'name' attribute");
        });

        it("must be a mapping (upstream)", () => {
            expect(refusal("just text\n")).to.contain("expected project to be an object, was 'string'");
        });

        it("lists every schema fault, a failed oneOf with its causes (upstream)", () => {
            const msg = refusal('{"name": "project", "runtime": 4}');
            expect(msg).to.contain("3 errors occurred:");
            expect(msg).to.contain("* #/runtime: oneOf failed").and.contain("* #/runtime: expected string, but got number").and.contain("* #/runtime: expected object, but got number");
            const two = refusal('{"name": "project", "runtime": "test", "backend": 4, "main": {}}');
            expect(two).to.contain("2 errors occurred:").and.contain("* #/main: expected string or null, but got object").and.contain("* #/backend: expected object or null, but got number");
        });

        it("names the only attribute allowed where there is one (upstream)", () => {
            expect(refusal("name: p\nruntime: nodejs\nbackend:\n  name: x\n")).to.contain("'name' not allowed; the only allowed attribute is 'url'");
        });

        it("accepts a config type only from its list, and no unknown attribute in a declaration", () => {
            expect(refusal("name: p\nruntime: nodejs\nconfig:\n  foo:\n    type: strin\n")).to.contain('#/config/foo/type: value must be one of "string", "integer", "boolean", "array", "object"');
            expect(refusal("name: p\nruntime: nodejs\nconfig:\n  foo:\n    type: string\n    required: true\n")).to.contain("additionalProperties 'required' not allowed");
        });

        it("accepts attributes it does not list, such as requiredPulumiVersion", () => {
            expect(load('name: p\nruntime: nodejs\nrequiredPulumiVersion: ">=3.219.0"\n').requiredPulumiVersion).to.equal(">=3.219.0");
        });
    });

    describe("Project.Validate (project.go:837)", () => {
        it("refuses a default and a value together (upstream)", () => {
            expect(refusal("name: test\nruntime: dotnet\nconfig:\n  instanceSize:\n    type: string\n    default: t3.micro\n    value: t4.large\n")).to.equal(
                "could not unmarshal 'Pulumi.yaml': project config 'instanceSize' cannot have both a 'default' and 'value' attribute",
            );
        });

        it("refuses an array without items (upstream)", () => {
            expect(refusal("name: test\nruntime: dotnet\nconfig:\n  instanceSize:\n    type: array\n    default: [t3.micro, t4.large]\n")).to.contain(
                "The configuration key 'instanceSize' declares an array but does not specify the underlying type via the 'items' attribute",
            );
        });

        it("refuses a default of another type than declared (upstream)", () => {
            expect(refusal("name: test\nruntime: dotnet\nconfig:\n  instanceSize:\n    type: integer\n    default: hello\n")).to.contain(
                "The default value specified for configuration key 'instanceSize' is not of the expected type 'integer'",
            );
            expect(refusal("name: test\nruntime: dotnet\nconfig:\n  values:\n    type: array\n    items:\n      type: array\n      items:\n        type: string\n    default: [value]\n")).to.contain(
                "The default value specified for configuration key 'values' is not of the expected type 'array<array<string>>'",
            );
        });

        it("lets only the project's own keys declare a type or a default (upstream)", () => {
            expect(refusal("name: test\nruntime: dotnet\nconfig:\n  aws:region:\n    type: string\n    value:\n      region: us-west-1\n")).to.contain(
                "Configuration key 'aws:region' is not namespaced by the project and should not define a type",
            );
            const msg = refusal("name: test\nruntime: dotnet\nconfig:\n  aws:region:\n    default: us-west-1\n");
            expect(msg).to.contain("Configuration key 'aws:region' is not namespaced by the project and should not define a default value");
            expect(msg).to.contain("Did you mean to use the 'value' attribute instead of 'default'?");
            expect(refusal("name: test\nruntime: dotnet\nconfig:\n  aws:region:\n    description: d\n")).to.contain("Configuration key 'aws:region' is namespaced and must provide an attribute 'value'");
        });
    });

    describe("shorthand and the old config directory", () => {
        it("reads a bare value as a default of a project key and as a value of another namespace's key", () => {
            const p = load("name: test\nruntime: nodejs\nconfig:\n  instanceSize: t3.micro\n  aws:region: us-west-1\n");
            expect(p.config.instanceSize).to.deep.equal({ default: "t3.micro" });
            expect(p.config["aws:region"]).to.deep.equal({ value: "us-west-1" });
        });

        it("reads a string config as the stack config directory, and refuses it next to stackConfigDir (upstream)", () => {
            expect(load("name: test\nruntime: nodejs\nconfig: stacks\n").stackConfigDir).to.equal("stacks");
            expect(refusal("name: test\nruntime: nodejs\nconfig: stacks\nstackConfigDir: other\n")).to.contain("Should not use both config and stackConfigDir");
        });
    });

    describe("ValidateConfigValue (project.go:771)", () => {
        it("accepts integer text for integers and true/false text for booleans, as stack values always arrive as text", () => {
            expect(validateConfigValue("integer", undefined, "20")).to.equal(true);
            expect(validateConfigValue("integer", undefined, "-3")).to.equal(true);
            expect(validateConfigValue("integer", undefined, "2.5")).to.equal(false);
            expect(validateConfigValue("integer", undefined, "9223372036854775808")).to.equal(false);
            expect(validateConfigValue("integer", undefined, 20)).to.equal(true);
            expect(validateConfigValue("boolean", undefined, "true")).to.equal(true);
            expect(validateConfigValue("boolean", undefined, "yes")).to.equal(false);
            expect(validateConfigValue("string", undefined, 5)).to.equal(false);
            expect(validateConfigValue("object", undefined, { a: 1 })).to.equal(true);
            expect(validateConfigValue("array", { type: "string" }, ["a", "b"])).to.equal(true);
            expect(validateConfigValue("array", { type: "string" }, ["a", 1])).to.equal(false);
            expect(validateConfigValue("array", undefined, ["a"])).to.equal(false);
        });
    });
});
