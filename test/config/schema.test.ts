import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

import { PROJECT, PROJECT_KEYS } from "../../stacks/config";
import { KeySpec } from "../../stacks/config/spec";

const ROOT = path.resolve(__dirname, "../..");
const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

describe("Pulumi.yaml and the configuration code agree", () => {
    const specs = Object.entries(PROJECT_KEYS) as Array<[string, KeySpec]>;

    it("names the project and runs index.ts with the nodejs runtime", () => {
        expect(project.name).to.equal(PROJECT);
        expect(project.runtime.name).to.equal("nodejs");
        expect(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).main).to.equal("index.ts");
    });

    it("declares every scalar key with its type and description", () => {
        for (const [key, spec] of specs.filter(([, s]) => s.type !== "object")) {
            const declared = project.config?.[key];
            expect(declared, `Pulumi.yaml config.${key}`).to.be.an("object");
            expect(declared.type, `type of ${key}`).to.equal(spec.type);
            expect(declared.description, `description of ${key}`).to.equal(spec.description);
            expect(Boolean(declared.secret), `secret of ${key}`).to.equal(Boolean(spec.secret));
            if (spec.type === "array") expect(declared.items).to.deep.equal({ type: "string" });
        }
    });

    it("declares no key the program does not know", () => {
        const known = new Set(specs.map(([k]) => k));
        for (const key of Object.keys(project.config ?? {})) expect(known.has(key), `Pulumi.yaml declares unknown ${key}`).to.equal(true);
    });

    it("documents every key in the README's configuration reference", () => {
        for (const [key] of specs) expect(readme, `README mentions ${key}`).to.contain(`\`${key}\``);
    });

    it("ships stack files that are valid for their environment", () => {
        for (const stack of ["dev", "staging", "prod"]) {
            const file = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8"));
            expect(file.config[`${PROJECT}:environment`]).to.equal(stack);
        }
    });
});
