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
import { stackPolicyConfig } from "../../scripts/policy";
import { fixturePolicyConfig, ROOT, stackFixture, STACK_FIXTURES, tempDir } from "../harness";

const REFERENCES = path.join(ROOT, "fixtures", "references.json");

describe("CI policy gate", () => {
    const costs: Record<string, { monthlyUsd: number; idleMonthlyUsd: number; uncertain: boolean }> = {};
    for (const stack of ["dev", "staging", "prod"]) {
        it(`${stack}: zero mandatory violations, with a cost estimate`, async () => {
            const result = await plan({ config: stackFixture(stack), references: REFERENCES, json: true, showSecrets: false, policyConfig: fixturePolicyConfig(stack) });
            const doc = result.document as any;
            costs[stack] = doc.cost;
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

    it("the README's cost table and docs/policies.md's JSON sample (dev) show the plans' figures", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        for (const stack of ["dev", "staging", "prod"]) {
            const row = readme.split("\n").find((l) => l.startsWith(`| ${stack} `))!;
            const [idle, month] = [...row.matchAll(/about \$(\d+)/g)].map((m) => Number(m[1]));
            expect([idle, month], `README, ${stack}`).to.deep.equal([costs[stack].idleMonthlyUsd, costs[stack].monthlyUsd]);
        }
        const sample = /"cost": (\{[^\n]*\})/.exec(fs.readFileSync(path.join(ROOT, "docs", "policies.md"), "utf8"))![1];
        const shown = JSON.parse(sample.replace(/\[\.\.\.\]/g, "[]"));
        expect({ monthlyUsd: shown.monthlyUsd, idleMonthlyUsd: shown.idleMonthlyUsd, uncertain: shown.uncertain }).to.deep.equal({
            monthlyUsd: costs.dev.monthlyUsd,
            idleMonthlyUsd: costs.dev.idleMonthlyUsd,
            uncertain: costs.dev.uncertain,
        });
    });

    it("the plan fails (mandatory violation) when the estimate exceeds the stack's budget", async () => {
        const dir = tempDir("budget-");
        const file = path.join(dir, "Pulumi.tight.yaml");
        fs.writeFileSync(file, fs.readFileSync(stackFixture("dev"), "utf8") + "  metaflow-platform:monthlyBudgetUsd: 1\n");
        const result = await plan({ config: file, references: REFERENCES, json: true, showSecrets: false });
        expect(result.mandatoryViolations).to.equal(true);
        const policies = (result.document as any).violations.map((v: any) => v.policy);
        expect(policies).to.deep.equal(["cost-monthly-budget"]);
    });

    it("every stack file shown in docs/ (```yaml blocks named Pulumi.<stack>.yaml) passes the gate under the policy configuration it derives", async () => {
        let found = 0;
        for (const doc of fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md"))) {
            const text = fs.readFileSync(path.join(ROOT, "docs", doc), "utf8");
            for (const m of text.matchAll(/```yaml\n# (Pulumi\.([\w-]+)\.yaml)\n([\s\S]*?)```/g)) {
                found++;
                const dir = tempDir("docs-gate-");
                fs.writeFileSync(path.join(dir, m[1]), m[3]);
                const result = await gate({ dir, stacks: [m[2]], policyConfigOf: (stack) => stackPolicyConfig(stack, path.join(dir, m[1])) });
                expect(result.code, `${doc}: ${m[1]}\n${result.lines.join("\n")}`).to.equal(0);
            }
        }
        expect(found).to.be.greaterThan(1);
    });

    it("a dev stack allows g6 only when its costPolicy says so, and the limit flows into its policy configuration", async () => {
        const dir = tempDir("g6-");
        const base = fs.readFileSync(stackFixture("dev"), "utf8") + "  metaflow-platform:queues:\n    - name: gpu\n      instanceTypes: [g5, g6]\n      maxVcpus: 96\n";
        fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), base);
        const refused = await gate({ dir, stacks: ["dev"], policyConfigOf: (stack) => stackPolicyConfig(stack, path.join(dir, "Pulumi.dev.yaml")) });
        expect(refused.code).to.equal(1);
        expect(refused.lines.join("\n")).to.contain("cost-instance-families").and.contain("g6");
        fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), `${base}  metaflow-platform:costPolicy:\n    allowedInstanceFamilies: [c5, m5, r5, g4dn, g5, g6]\n    maxVcpusTotal: 400\n`);
        const config = stackPolicyConfig("dev", path.join(dir, "Pulumi.dev.yaml"));
        expect(config["cost-instance-families"]).to.deep.include({ allowedInstanceFamilies: ["c5", "m5", "r5", "g4dn", "g5", "g6"] });
        expect(config["cost-total-max-vcpus"]).to.deep.include({ maxVcpusTotal: 400 });
        expect(config["cost-db-instance-class"]).to.deep.equal(fixturePolicyConfig("dev")["cost-db-instance-class"]);
        const allowed = await gate({ dir, stacks: ["dev"], policyConfigOf: () => config });
        expect(allowed, allowed.lines.join("\n")).to.deep.include({ code: 0 });
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
