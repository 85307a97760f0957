/**
 * Every command the README and docs/ show that runs offline (the project's npm scripts) is one the project accepts:
 * the script exists and its arguments parse. The integration suite runs them all for real
 * (test/integration/docs-commands.test.ts).
 */
import { expect } from "chai";

import { parseArgs } from "../../scripts/plan";
import { offlineCommands, words } from "./commands";

const pkg = require("../../package.json");

describe("commands in the README and docs/", () => {
    const commands = offlineCommands();

    it("finds the offline commands of the README and docs/", () => {
        expect(commands.length).to.be.greaterThan(10);
        expect(new Set(commands.map((c) => c.doc))).to.include.keys("README.md", "docs/contracts.md", "docs/operations.md");
    });

    for (const c of commands) {
        it(`${c.doc}: ${c.line}`, () => {
            const w = words(c.line.replace(/\s*>\s*\S+$/, ""));
            const script = w[w.indexOf("run") + 1] === "-s" ? w[w.indexOf("run") + 2] : w[w.indexOf("run") + 1];
            expect(pkg.scripts, `npm script "${script}"`).to.have.property(script);
            const args = w.includes("--") ? w.slice(w.indexOf("--") + 1) : [];
            if (script === "plan") expect(() => parseArgs(args)).to.not.throw();
            if (script === "policy") expect(["check", "config"]).to.include(args[0]);
            if (script === "recovery") expect(["import-file", "database-urn"]).to.include(args[0]);
            if (script === "config-doc") expect(args.every((a) => a === "--write")).to.equal(true);
            if (script === "gate") expect(args.filter((a) => a.startsWith("--")).every((a) => ["--dir", "--stack", "--references"].includes(a))).to.equal(true);
        });
    }
});
