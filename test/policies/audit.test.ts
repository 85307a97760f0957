import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { main, readResources } from "../../scripts/policy";
import { ROOT, tempDir } from "../harness";

const FIXTURE = path.join(ROOT, "test", "fixtures", "stack-export-violations.json");

function tmp(name: string, text: string): string {
    const file = path.join(tempDir("policy-"), name);
    fs.writeFileSync(file, text);
    return file;
}

describe("policy check (audit of plans, stack exports and previews)", () => {
    it("reports the hand-written stack export's unencrypted bucket, public rule, wildcard policy and plain-text password, exit 1", () => {
        const r = main(["check", FIXTURE, "--json"]);
        expect(r.code).to.equal(1);
        const out = JSON.parse(r.stdout);
        const found = (policy: string, urnEnd: string) => out.violations.some((v: any) => v.policy === policy && v.enforcementLevel === "mandatory" && v.urn.endsWith(urnEnd));
        expect(found("s3-bucket-encryption-kms", "::datastore")).to.equal(true);
        expect(found("sg-no-public-ingress", "::metadata-db-postgres")).to.equal(true);
        expect(found("iam-no-wildcard-action", "::batch-everything")).to.equal(true);
        expect(found("no-plaintext-secrets-in-env", "::metadata-service")).to.equal(true);
        expect(out.violations[0]).to.have.keys("pack", "policy", "enforcementLevel", "urn", "message");
        // The secret stack output (a Pulumi secret envelope in the export) is not reported.
        expect(out.violations.some((v: any) => v.policy === "no-plaintext-secret-outputs")).to.equal(false);
        expect(out.cost).to.include.keys("monthlyUsd", "idleMonthlyUsd", "items", "unpriced");
    });

    it("prints a human report without --json", () => {
        const r = main(["check", FIXTURE]);
        expect(r.code).to.equal(1);
        expect(r.stdout).to.match(/stack-export, 7 resources, stack legacy/);
        expect(r.stdout).to.match(/\[mandatory\] security\/sg-no-public-ingress: rule allows ingress from 0\.0\.0\.0\/0/);
        expect(r.stdout).to.match(/idle month/);
    });

    it("applies the stack's policy configuration when it names one", () => {
        const doc = JSON.parse(fs.readFileSync(FIXTURE, "utf8"));
        const dev = main(["check", tmp("e.json", JSON.stringify(doc)), "--stack", "dev", "--json"]);
        const violations = JSON.parse(dev.stdout).violations.map((v: any) => v.policy);
        expect(violations).to.not.include("stateful-resources-protected-prod");
        expect(violations).to.include("s3-bucket-encryption-kms");
    });

    it("reads `pulumi preview --json` output, exit 0 when clean", () => {
        const preview = {
            steps: [
                {
                    op: "create",
                    urn: "urn:pulumi:dev::metaflow-platform::aws:kms/key:Key::k",
                    newState: { urn: "urn:pulumi:dev::metaflow-platform::aws:kms/key:Key::k", type: "aws:kms/key:Key", custom: true, inputs: { enableKeyRotation: true, tags: { owner: "o", "cost-center": "c", environment: "dev", project: "p" } } },
                },
            ],
        };
        const file = tmp("preview.json", JSON.stringify(preview));
        expect(readResources(preview).format).to.equal("preview");
        const r = main(["check", file, "--json"]);
        expect(r.code, r.stdout).to.equal(0);
        expect(JSON.parse(r.stdout).cost.idleMonthlyUsd).to.equal(1);
        const bad = JSON.parse(JSON.stringify(preview));
        bad.steps[0].newState.inputs.enableKeyRotation = false;
        expect(main(["check", tmp("p2.json", JSON.stringify(bad))]).code).to.equal(1);
    });

    it("exits 2 on unreadable input", () => {
        expect(main(["check", path.join(ROOT, "no-such-file.json")]).code).to.equal(2);
        expect(main(["check", tmp("x.json", "not json")]).code).to.equal(2);
        const r = main(["check", tmp("y.json", '{"hello": 1}')]);
        expect(r.code).to.equal(2);
        expect(r.stderr).to.match(/not a plan JSON/);
        expect(main(["check"]).code).to.equal(2);
    });

    it("exits 2 on a document with no resources: an empty export proves nothing", () => {
        const r = main(["check", tmp("empty.json", JSON.stringify({ version: 3, deployment: { resources: [] } }))]);
        expect(r.code).to.equal(2);
        expect(r.stderr).to.contain("lists no resources");
    });

    it("validates --config files as pulumi preview does, and more", () => {
        const budget = main(["check", FIXTURE, "--config", tmp("c1.json", JSON.stringify({ "cost-monthly-budget": { monthlyBudgetUsd: "3k" } }))]);
        expect(budget.code).to.equal(2);
        expect(budget.stderr).to.contain("cost-monthly-budget: monthlyBudgetUsd: Invalid type. Expected: number, given: string");
        const level = main(["check", FIXTURE, "--config", tmp("c2.json", JSON.stringify({ all: "mandatroy" }))]);
        expect(level.stderr).to.contain('"mandatroy" is not a valid enforcement level');
        const name = main(["check", FIXTURE, "--config", tmp("c3.json", JSON.stringify({ "s3-bucket-versioning": "advisory", "no-such-policy": "disabled" }))]);
        expect(name.code).to.equal(2);
        expect(name.stderr).to.contain('"no-such-policy": no pack has this policy');
    });

    it("takes --stack=<name>, and only names inside policies/config/", () => {
        expect(main(["check", FIXTURE, "--stack=dev", "--json"]).code).to.equal(1);
        const escape = main(["check", FIXTURE, "--stack", "../../package"]);
        expect(escape.code).to.equal(2);
        expect(escape.stderr).to.contain("expected letters, digits");
    });
});
