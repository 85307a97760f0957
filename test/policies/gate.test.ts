/**
 * The policy gate: every stack plans with zero mandatory violations of the three packs, under the per-stack policy
 * configuration its stack file derives (what `pulumi preview --policy-pack-config policies/config/<stack>.json` uses).
 * These tests plan the fixture stack files (test/fixtures/stacks); `npm run -s gate` (scripts/gate.ts) runs the same
 * gate on the stack files the repository ships, whatever a team has written in them.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { gate } from "../../scripts/gate";
import { plan } from "../../scripts/plan";
import { fixturePolicyConfig, ROOT, stackFixture, STACK_FIXTURES, tempDir } from "../harness";

const REFERENCES = path.join(ROOT, "fixtures", "references.json");

describe("CI policy gate", () => {
    for (const stack of ["dev", "staging", "prod"]) {
        it(`${stack}: zero mandatory violations, with a cost estimate`, async () => {
            const result = await plan({ config: stackFixture(stack), references: REFERENCES, json: true, showSecrets: false, policyConfig: fixturePolicyConfig(stack) });
            const doc = result.document as any;
            const mandatory = doc.violations.filter((v: any) => v.enforcementLevel === "mandatory");
            expect(mandatory, JSON.stringify(mandatory, null, 1)).to.deep.equal([]);
            expect(result.mandatoryViolations).to.equal(false);
            expect(doc.cost.monthlyUsd).to.be.a("number");
            expect(doc.cost.idleMonthlyUsd).to.be.at.most(doc.cost.monthlyUsd);
            expect(doc.cost.items.length).to.be.greaterThan(0);
            expect(result.text).to.match(/Policy violations: 0 mandatory/);
            expect(result.text).to.match(/typical month/);
        });
    }

    it("the plan fails (mandatory violation) when the estimate exceeds the stack's budget", async () => {
        const dir = tempDir("budget-");
        const file = path.join(dir, "Pulumi.tight.yaml");
        fs.writeFileSync(file, fs.readFileSync(stackFixture("dev"), "utf8") + "  metaflow-platform:monthlyBudgetUsd: 1\n");
        const result = await plan({ config: file, references: REFERENCES, json: true, showSecrets: false });
        expect(result.mandatoryViolations).to.equal(true);
        const policies = (result.document as any).violations.map((v: any) => v.policy);
        expect(policies).to.deep.equal(["cost-monthly-budget"]);
    });

    describe("npm run -s gate (scripts/gate.ts) on a folder of stack files", () => {
        it("passes stack files whose policy configuration is the one they derive", async () => {
            const result = await gate({ dir: STACK_FIXTURES, stacks: ["staging"], policyConfigOf: fixturePolicyConfig });
            expect(result, result.lines.join("\n")).to.deep.include({ code: 0 });
            expect(result.lines[0]).to.match(/^staging: ok/);
        });

        it("fails, naming the command, when policies/config/<stack>.json is stale; exits 2 on a missing stack file", async () => {
            const dir = tempDir("gate-");
            fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), fs.readFileSync(stackFixture("dev"), "utf8") + "  metaflow-platform:monthlyBudgetUsd: 250\n");
            const stale = await gate({ dir, stacks: ["dev"], policyConfigOf: fixturePolicyConfig });
            expect(stale.code).to.equal(1);
            expect(stale.lines[0]).to.contain("policies/config/dev.json is not what Pulumi.dev.yaml derives: run npm run -s policy -- config --stack dev --write");
            const missing = await gate({ dir, stacks: ["qa"], policyConfigOf: fixturePolicyConfig });
            expect(missing.code).to.equal(2);
            expect(missing.lines[0]).to.contain("Pulumi.qa.yaml does not exist");
        });
    });
});
