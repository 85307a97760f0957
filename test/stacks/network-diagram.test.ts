/** The network picture in docs/architecture.md is the one the prod plan's security-group rules draw. */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { EXAMPLE_WORKSPACES, networkDiagram } from "../../scripts/network-diagram";
import { FIXTURES, ROOT, runStack } from "../harness";

describe("network paths picture (docs/architecture.md)", () => {
    it("matches the prod plan's rules with workspaces on (regenerate with npm run -s network-diagram -- --stack prod --workspaces)", async () => {
        const run = await runStack("prod", { set: { workspaces: EXAMPLE_WORKSPACES } });
        const drawn = networkDiagram(run.resources, FIXTURES, { foundation: "acme/a01-foundation/prod", dask: "acme/a02-dask/prod" }, "mf-prod");
        const doc = fs.readFileSync(path.join(ROOT, "docs", "architecture.md"), "utf8");
        expect(doc).to.contain(drawn);
        expect(drawn).to.contain("batch -->|tcp 8786| a02_scheduler").and.contain("a01_users -->|tcp 80| metadata_alb").and.not.contain("8787");
        expect(drawn).to.contain("workspaces -->|tcp 80| metadata_alb").and.contain("workspaces -->|tcp 443| aws_apis");
    });

    it("changes when a rule changes, so a stale picture fails", async () => {
        const run = await runStack("prod");
        const rules = run.resources.map((r) => (r.name === "mf-prod-dask-to-scheduler" ? { ...r, inputs: { ...r.inputs, fromPort: 8787, toPort: 8787 } } : r));
        expect(networkDiagram(rules, FIXTURES, { foundation: "acme/a01-foundation/prod", dask: "acme/a02-dask/prod" }, "mf-prod")).to.contain("batch -->|tcp 8787| a02_scheduler");
    });
});
