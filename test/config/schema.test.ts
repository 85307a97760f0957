/**
 * Pulumi.yaml, the program's key specifications, the README and the configuration reference (docs/configuration.md)
 * agree, under the Pulumi CLI's rules: the CLI requires every key Pulumi.yaml declares without a default
 * (pkg/workspace/config.go, mergeConfig), so Pulumi.yaml declares exactly the keys the program requires, and the
 * program validates the rest.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { CLI_SOURCE_VERSION } from "../../offline/pulumi-cli/errors";
import { loadProject } from "../../offline/pulumi-cli/project";
import { minimumOf, satisfies } from "../../offline/pulumi-cli/version";
import { PROJECT, PROJECT_KEYS } from "../../stacks/config";
import { KeySpec } from "../../stacks/config/spec";

const ROOT = path.resolve(__dirname, "../..");
const project = loadProject(path.join(ROOT, "Pulumi.yaml"));
const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const reference = fs.readFileSync(path.join(ROOT, "docs", "configuration.md"), "utf8");

describe("Pulumi.yaml and the configuration code agree", () => {
    const specs = Object.entries(PROJECT_KEYS) as Array<[string, KeySpec]>;

    it("names the project and runs index.ts with the nodejs runtime", () => {
        expect(project.name).to.equal(PROJECT);
        expect(project.runtime.name).to.equal("nodejs");
        expect(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).main).to.equal("index.ts");
    });

    it("declares exactly the keys the program requires, typed and described as the program specifies them", () => {
        const required = specs.filter(([, s]) => s.required).map(([k]) => k);
        expect(Object.keys(project.config).sort()).to.deep.equal(required.sort());
        for (const key of required) {
            const spec = PROJECT_KEYS[key as keyof typeof PROJECT_KEYS] as KeySpec;
            expect(project.config[key], key).to.deep.equal({ type: spec.type, description: spec.description });
        }
    });

    it("declares no optional or secret key, which the CLI would require of every stack (or merge a default into)", () => {
        for (const [key] of specs.filter(([, s]) => !s.required || s.secret)) {
            expect(project.config, key).to.not.have.property(key);
        }
    });

    it("requires a Pulumi CLI version that includes the one whose rules the offline tools reproduce, and the README states it", () => {
        const range = project.requiredPulumiVersion!;
        expect(range).to.be.a("string");
        expect(satisfies(CLI_SOURCE_VERSION, range)).to.equal(true);
        expect(satisfies("3.218.9", range), "older than the first CLI that enforces the range").to.equal(false);
        expect(satisfies("4.0.0", range), "a future major").to.equal(false);
        expect(readme).to.contain(`Pulumi CLI ${minimumOf(range)} or newer`);
    });

    it("documents every key in the configuration reference (docs/configuration.md)", () => {
        for (const [key] of specs) expect(reference, `docs/configuration.md mentions ${key}`).to.contain(`\`${key}\``);
    });
});
