/**
 * Pulumi.yaml's nodejs runtime options, read as the language host reads them (pulumi/pulumi v3.259.0,
 * sdk/nodejs/cmd/pulumi-language-nodejs/main.go, parseOptions 291-320, execRuntime 916-929), and the project's own
 * choice: `pulumi up` loads the program through a runtime-dependency transpiler, with no type-checking ts-node.
 * `npm run check:runtime` loads the program that way; these tests keep the options and that check honest.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { loadProject } from "../../offline/pulumi-cli/project";

// Plain JavaScript by design (it must not depend on a TypeScript loader); its helpers are pure.
const check = require("../../scripts/pulumi-runtime-check.js") as {
    parseRuntimeOptions(o: unknown): { typescript: boolean; tsconfig: string; nodeargs: string };
    splitNodeArgs(s: string): string[];
    preloads(args: string[]): string[];
    runtimeFaults(o: { typescript: boolean; nodeargs: string }, pkg: { dependencies?: Record<string, string> }): string[];
};

const ROOT = path.resolve(__dirname, "../..");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));

describe("Pulumi.yaml runtime options (pulumi up's load path)", () => {
    it("parses options as the language host does: typescript defaults to true, types are enforced", () => {
        expect(check.parseRuntimeOptions({})).to.deep.equal({ typescript: true, tsconfig: "", nodeargs: "" });
        expect(() => check.parseRuntimeOptions({ typescript: "false" })).to.throw("typescript option must be a boolean");
        expect(() => check.parseRuntimeOptions({ nodeargs: ["-r", "x"] })).to.throw("nodeargs option must be a string");
        expect(() => check.parseRuntimeOptions({ tsconfig: 1 })).to.throw("tsconfigpath option must be a string");
    });

    it("finds the modules nodeargs preloads in every spelling node accepts", () => {
        expect(check.preloads(check.splitNodeArgs("--max-old-space-size=4096 -r a --require b/c --require=@s/d/e"))).to.deep.equal(["a", "b/c", "@s/d/e"]);
        expect(() => check.splitNodeArgs('--require "a b"')).to.throw("quotes");
    });

    it("the project turns ts-node off and preloads sucrase's hook, a runtime dependency, and the offline loader accepts it", () => {
        const project = loadProject(path.join(ROOT, "Pulumi.yaml"));
        expect(project.runtime.name).to.equal("nodejs");
        const opts = check.parseRuntimeOptions(project.runtime.options);
        expect(opts.typescript, "typescript: true would make the runner register type-checking ts-node").to.equal(false);
        expect(check.preloads(check.splitNodeArgs(opts.nodeargs))).to.deep.equal(["sucrase/register/ts"]);
        expect(check.runtimeFaults(opts, pkg)).to.deep.equal([]);
        expect(pkg.devDependencies ?? {}).not.to.have.property("sucrase");
    });

    it("refuses a preload that an install without devDependencies would lose, and .ts with no loader at all", () => {
        const opts = { typescript: false, nodeargs: "--require sucrase/register/ts" };
        expect(check.runtimeFaults(opts, { dependencies: {} })).to.deep.equal(["nodeargs preloads sucrase/register/ts, but sucrase is not in package.json's dependencies"]);
        expect(check.runtimeFaults({ typescript: false, nodeargs: "" }, pkg)).to.have.length(1).and.to.match(/no TypeScript loader/);
        expect(check.runtimeFaults({ typescript: true, nodeargs: "" }, pkg)).to.deep.equal([]);
    });
});
