/**
 * The Pulumi CLI's rules for `--policy-pack-config` files (pulumi/pulumi v3.259.0, pkg/resource/analyzer/config.go
 * and pkg/engine/update.go), with the CLI's messages; then what this project refuses beyond the CLI (policy names no
 * pack has, settings no policy reads), and the committed per-stack files under both.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { CliError } from "../../offline/pulumi-cli/errors";
import { parsePolicyPackConfig, policyConfigFaults, reconcile, schemaErrors } from "../../offline/pulumi-cli/policy-config";
import { CONFIG_DIR, parsePolicyConfig, PolicyConfigError, readPolicyConfig } from "../../policies/evaluate";
import { PACKS } from "../../policies/packs";
import { thrownBy } from "../harness";

const parseError = (text: string) => thrownBy(() => parsePolicyPackConfig(text), CliError).message;

const cost = PACKS.find((p) => p.name === "metaflow-cost")!;

describe("Pulumi CLI: policy pack config files", () => {
    describe("parsePolicyPackConfig (analyzer/config.go:93)", () => {
        it("reads an empty file as no configuration, and drops empty entries", () => {
            expect(parsePolicyPackConfig("  \n").config).to.deep.equal({});
            expect(parsePolicyPackConfig('{"a": {}}').config).to.deep.equal({});
        });

        it("takes an enforcement level or an object per policy, and only the four levels", () => {
            const { config } = parsePolicyPackConfig('{"all": "advisory", "p": {"enforcementLevel": "disabled", "x": 1}}');
            expect(config).to.deep.equal({ all: { enforcementLevel: "advisory", properties: undefined }, p: { enforcementLevel: "disabled", properties: { x: 1 } } });
            expect(parseError('{"p": "mandtory"}')).to.equal('parsing enforcement level for "p": "mandtory" is not a valid enforcement level');
            expect(parseError('{"p": {"enforcementLevel": 3}}')).to.equal('parsing enforcement level for "p": 3 is not a valid enforcement level; must be a string');
            expect(parseError('{"p": 5}')).to.equal('parsing "p": 5 is not a valid value; must be a string or object');
            expect(parseError('{"p": [1, 2]}')).to.equal('parsing "p": [1 2] is not a valid value; must be a string or object');
        });

        it("takes ESC environments as a list of strings", () => {
            expect(parsePolicyPackConfig('{"environments": ["a/b"]}').environments).to.deep.equal(["a/b"]);
            expect(parseError('{"environments": "a/b"}')).to.equal('"environments" must be an array of strings, got string');
            expect(parseError('{"environments": [1]}')).to.equal('"environments[0]" must be a string, got float64');
        });

        it("needs a JSON object", () => {
            expect(parseError("[]")).to.equal("json: cannot unmarshal array into Go value of type map[string]interface {}");
        });
    });

    describe("ReconcilePolicyPackConfig (analyzer/config.go:307)", () => {
        it("applies `all` first, then each policy's own entry", () => {
            const info = { name: "p", version: "1", policies: [{ name: "a" }, { name: "b" }] };
            const r = reconcile(info, { all: { enforcementLevel: "advisory" }, b: { enforcementLevel: "mandatory" } });
            expect(r.a.enforcementLevel).to.equal("advisory");
            expect(r.b.enforcementLevel).to.equal("mandatory");
        });

        it("validates each policy's properties against its schema, in gojsonschema's words, prefixed and sorted as the engine prints them", () => {
            const { config } = parsePolicyPackConfig(
                JSON.stringify({ "cost-monthly-budget": { monthlyBudgetUsd: "3k", environment: "qa", usage: { onDemandShare: 2, gpuHours: 1 } } }),
            );
            expect(policyConfigFaults(cost, config)).to.deep.equal([
                `validating policy config: metaflow-cost ${cost.version}  cost-monthly-budget: environment: environment must be one of the following: "dev", "staging", "prod"`,
                `validating policy config: metaflow-cost ${cost.version}  cost-monthly-budget: monthlyBudgetUsd: Invalid type. Expected: number, given: string`,
                `validating policy config: metaflow-cost ${cost.version}  cost-monthly-budget: usage.onDemandShare: Must be less than or equal to 1`,
                `validating policy config: metaflow-cost ${cost.version}  cost-monthly-budget: usage: Additional property gpuHours is not allowed`,
            ]);
        });

        it("reports integers given as fractions, items of the wrong type and required properties", () => {
            expect(schemaErrors({ type: "object", properties: { n: { type: "integer" } } }, { n: 1.5 })).to.deep.equal(["n: Invalid type. Expected: integer, given: number"]);
            expect(schemaErrors({ type: "object", properties: { l: { type: "array", items: { type: "string" } } } }, { l: ["a", 2] })).to.deep.equal(["l.1: Invalid type. Expected: string, given: integer"]);
            expect(schemaErrors({ type: "object", required: ["x"] }, {})).to.deep.equal(["(root): x is required"]);
        });
    });

    describe("this project's checks beyond the CLI", () => {
        const refused = (doc: unknown) => thrownBy(() => parsePolicyConfig(JSON.stringify(doc), "cfg.json"), PolicyConfigError).message;

        it("refuses a policy name no pack has, with the nearest one", () => {
            expect(refused({ "cost-monthly-budgt": { monthlyBudgetUsd: 5 } })).to.contain('"cost-monthly-budgt": no pack has this policy; did you mean "cost-monthly-budget"?');
        });

        it("refuses a setting the policy does not read, with the nearest one", () => {
            expect(refused({ "cost-monthly-budget": { monthlyBudget: 5 } })).to.contain('the policy reads no setting "monthlyBudget"; did you mean "monthlyBudgetUsd"?');
        });

        it("refuses a misspelled enforcement level and a wrong type with the CLI's message", () => {
            expect(refused({ all: "mandatoy" })).to.contain('error: parsing enforcement level for "all": "mandatoy" is not a valid enforcement level');
            expect(refused({ "cost-monthly-budget": { monthlyBudgetUsd: "3k" } })).to.contain("monthlyBudgetUsd: Invalid type. Expected: number, given: string").and.contain("error: validating policy config");
        });

        it("reads only files inside policies/config/", () => {
            expect(() => readPolicyConfig("../../package")).to.throw(PolicyConfigError, "expected letters, digits");
            expect(() => readPolicyConfig("/etc/passwd")).to.throw(PolicyConfigError);
        });

        it("accepts every committed per-stack file", () => {
            const files = fs.readdirSync(CONFIG_DIR).filter((f) => f.endsWith(".json"));
            expect(files).to.include.members(["dev.json", "staging.json", "prod.json"]);
            for (const f of files) expect(() => parsePolicyConfig(fs.readFileSync(path.join(CONFIG_DIR, f), "utf8"), f), f).to.not.throw();
        });
    });
});
