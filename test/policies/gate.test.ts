/**
 * The CI gate: every stack plans with zero mandatory violations of either pack, under the same per-stack policy
 * configuration that `pulumi preview --policy-pack-config policies/config/<stack>.json` uses.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { readPolicyConfig } from "../../policies/evaluate";
import { stackPolicyConfig } from "../../scripts/policy";
import { plan } from "../../scripts/plan";
import { ROOT, tempDir } from "../harness";

const REFERENCES = path.join(ROOT, "fixtures", "references.json");

describe("CI policy gate", () => {
    for (const stack of ["dev", "staging", "prod"]) {
        it(`${stack}: zero mandatory violations, with a cost estimate`, async () => {
            const result = await plan({ stack, references: REFERENCES, json: true, showSecrets: false });
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

        it(`${stack}: policies/config/${stack}.json matches the stack configuration (regenerate with npm run -s policy -- config --stack ${stack} --write)`, () => {
            expect(readPolicyConfig(stack)).to.deep.equal(stackPolicyConfig(stack));
        });
    }

    it("the plan fails (mandatory violation) when the estimate exceeds the stack's budget", async () => {
        const dir = tempDir("budget-");
        const file = path.join(dir, "Pulumi.tight.yaml");
        fs.writeFileSync(file, fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8") + "  metaflow-platform:monthlyBudgetUsd: 1\n");
        const result = await plan({ config: file, references: REFERENCES, json: true, showSecrets: false });
        expect(result.mandatoryViolations).to.equal(true);
        const policies = (result.document as any).violations.map((v: any) => v.policy);
        expect(policies).to.deep.equal(["cost-monthly-budget"]);
    });
});
