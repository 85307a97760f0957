/**
 * docs/configuration.md is what the key specifications give (scripts/config-doc.ts renders its tables), and
 * documents every key the program reads: the project's keys and the `aws:` keys it forwards to its provider.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { DOC, documentedKeys, firstDifference, render, SECTIONS } from "../../scripts/config-doc";
import { AWS_KEYS, loadConfig, PROJECT, PROJECT_KEYS } from "../../stacks/config";
import { ROOT } from "../harness";

const pkg = require("../../package.json");

const doc = fs.readFileSync(path.join(ROOT, DOC), "utf8");

/** The keys the doc's tables have a row for. */
function rows(text: string): string[] {
    return [...text.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
}

describe("configuration reference (docs/configuration.md)", () => {
    it("is what the key specifications give (regenerate with npm run -s config-doc -- --write)", () => {
        const stale = firstDifference(doc, render(doc));
        expect(stale, stale).to.equal(undefined);
        expect(pkg.scripts["config-doc"]).to.equal("node -r ./scripts/register-ts.js scripts/config-doc.ts");
    });

    it("has a row for every key of PROJECT_KEYS and every aws: key the program reads, each once", () => {
        const shown = rows(doc);
        const expected = [...Object.keys(PROJECT_KEYS), ...Object.keys(AWS_KEYS).map((k) => `aws:${k}`)];
        expect(expected.filter((k) => !shown.includes(k)), "keys without a row").to.deep.equal([]);
        expect(documentedKeys().sort()).to.deep.equal([...expected].sort());
        expect(SECTIONS.flatMap((s) => s.keys).sort()).to.deep.equal([...expected].sort());
        const keyRows = shown.filter((k) => expected.includes(k));
        expect(keyRows.length, "a key shown twice").to.equal(new Set(keyRows).size);
    });

    it("knows every aws: key the program reads: it refuses the others", () => {
        const base = { "aws:region": "us-east-1", [`${PROJECT}:environment`]: "dev", [`${PROJECT}:owner`]: "team", [`${PROJECT}:costCenter`]: "cc" };
        const samples: Record<string, string> = { region: "eu-west-1", profile: "ml", allowedAccountIds: '["123456789012"]' };
        for (const key of Object.keys(AWS_KEYS)) {
            expect(samples, `a sample value for aws:${key}`).to.have.property(key);
            const result = loadConfig({ ...base, [`aws:${key}`]: samples[key] }, { stack: "dev" });
            expect(result.ok, `aws:${key}: ${JSON.stringify(!result.ok && result.problems)}`).to.equal(true);
        }
        const other = loadConfig({ ...base, "aws:skipCredentialsValidation": "true" }, { stack: "dev" });
        expect(!other.ok && other.problems.map((p) => p.key)).to.deep.equal(["aws:skipCredentialsValidation"]);
    });

    it("names the first stale key when a default, a meaning or a row is out of step", () => {
        const line = doc.split("\n").find((l) => l.startsWith("| `serviceDbBackupDays` |"))!;
        const changed = doc.replace(line, line.replace(/ \|$/, " (stale) |"));
        expect(changed).to.not.equal(doc);
        expect(firstDifference(changed, render(changed))).to.contain("key `serviceDbBackupDays`").and.contain('region "service"').and.contain("(stale) |");

        const dropped = doc.replace(`${doc.split("\n").find((l) => l.startsWith("| `triggers` |"))}\n`, "");
        expect(firstDifference(dropped, render(dropped))).to.contain("key `triggers`");

        const renamed = doc.replace("| `aws:profile` |", "| `aws:profiles` |");
        expect(firstDifference(renamed, render(renamed))).to.match(/key `aws:profiles?`/);
    });

    it("keeps the prose around the tables, and refuses a doc without one of its tables", () => {
        const prose = doc.replace("## Datastore (ArtifactBucket)", "## Datastore");
        expect(render(prose)).to.contain("## Datastore\n");
        const withoutTable = doc.replace("<!-- keys:begin monitoring -->", "<!-- monitoring -->");
        expect(() => render(withoutTable)).to.throw("lacks the generated regions <!-- keys:begin monitoring -->");
        expect(() => render(doc.replace("<!-- keys:begin sfn -->", "<!-- keys:begin sfm -->"))).to.throw('unknown region "sfm"');
    });
});
