/**
 * The project schema the offline tools validate Pulumi.yaml with (offline/pulumi-cli/project-schema.ts) against the
 * Pulumi CLI's own, `sdk/go/common/workspace/project.json` of pulumi/pulumi v3.259.0: both must accept this
 * repository's Pulumi.yaml and give the same verdict on every fixture below.
 *
 * The CLI's schema is read from a git checkout of pulumi/pulumi: PULUMI_SOURCE (its git directory), else the snapshot
 * the team's machines keep at /work/.mirror/pulumi+pulumi/repo. Without either the comparison is skipped, and says so;
 * our own schema is still checked.
 */
import Ajv2020 from "ajv/dist/2020";
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

import { CLI_SOURCE_VERSION } from "../../offline/pulumi-cli/errors";
import { readYaml } from "../../offline/pulumi-cli/project";
import { PROJECT_SCHEMA } from "../../offline/pulumi-cli/project-schema";
import { ROOT } from "../harness";

/** Projects and whether the CLI's schema accepts them. */
const FIXTURES: Array<[string, string, boolean]> = [
    ["this repository's Pulumi.yaml", fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"), true],
    ["runtime as a string", "name: p\nruntime: nodejs\n", true],
    ["runtime options", "name: p\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n    nodeargs: --max-old-space-size=4096\n", true],
    ["runtime of the wrong type", "name: p\nruntime: 4\n", false],
    ["runtime with an unknown attribute", "name: p\nruntime:\n  name: nodejs\n  option: {}\n", false],
    ["typed config declarations", "name: p\nruntime: nodejs\nconfig:\n  a:\n    type: integer\n    default: 3\n  b:\n    type: array\n    items:\n      type: string\n  c:\n    type: object\n  d:\n    type: boolean\n    secret: true\n", true],
    ["shorthand config values", "name: p\nruntime: nodejs\nconfig:\n  a: x\n  b: 3\n  c: true\n  d: [1, 2]\n  aws:region: us-east-1\n", true],
    ["a float shorthand", "name: p\nruntime: nodejs\nconfig:\n  a: 1.5\n", false],
    ["an unknown config type", "name: p\nruntime: nodejs\nconfig:\n  a:\n    type: strin\n", false],
    ["an unknown declaration attribute", "name: p\nruntime: nodejs\nconfig:\n  a:\n    type: string\n    required: true\n", false],
    ["array items without a type", "name: p\nruntime: nodejs\nconfig:\n  a:\n    type: array\n    items: {}\n", false],
    ["config as the old directory string", "name: p\nruntime: nodejs\nconfig: stacks\n", true],
    ["an unlisted top-level attribute", 'name: p\nruntime: nodejs\nrequiredPulumiVersion: ">=3.0.0"\n', true],
    ["main of the wrong type", "name: p\nruntime: nodejs\nmain: {}\n", false],
    ["backend with an unknown attribute", "name: p\nruntime: nodejs\nbackend:\n  name: x\n", false],
    ["options.refresh other than always", "name: p\nruntime: nodejs\noptions:\n  refresh: never\n", false],
    ["an empty name", "name: ''\nruntime: nodejs\n", false],
];

function upstreamSchema(): object | undefined {
    const candidates = [process.env.PULUMI_SOURCE, "/work/.mirror/pulumi+pulumi/repo"].filter((d): d is string => !!d && fs.existsSync(d));
    for (const gitDir of candidates) {
        try {
            const text = execFileSync("git", ["--git-dir", gitDir, "show", `v${CLI_SOURCE_VERSION}:sdk/go/common/workspace/project.json`], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
            return JSON.parse(text);
        } catch {
            // not this one
        }
    }
    return undefined;
}

describe("Pulumi CLI: the project schema", () => {
    const ours = new Ajv2020({ allErrors: true, strict: false }).compile(PROJECT_SCHEMA);

    for (const [name, yaml, accepted] of FIXTURES) {
        it(`our schema ${accepted ? "accepts" : "refuses"} ${name}`, () => {
            expect(ours(readYaml(yaml)), JSON.stringify(ours.errors)).to.equal(accepted);
        });
    }

    it(`agrees with the CLI's own schema (v${CLI_SOURCE_VERSION}) on every fixture`, function () {
        const schema = upstreamSchema();
        if (!schema) {
            // eslint-disable-next-line no-console
            console.warn("    (skipped: no pulumi/pulumi checkout; set PULUMI_SOURCE to its git directory)");
            this.skip();
        }
        const theirs = new Ajv2020({ allErrors: true, strict: false }).compile(schema!);
        for (const [name, yaml, accepted] of FIXTURES) {
            expect(theirs(readYaml(yaml)), `${name}: ${JSON.stringify(theirs.errors)}`).to.equal(accepted);
        }
    });
});
