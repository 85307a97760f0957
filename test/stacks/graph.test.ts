/**
 * The stack's picture: Mermaid from the plan's resources (scripts/graph.ts), written by `plan --graph`, and the
 * README's dev picture kept current.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { readStackFile } from "../../offline/stack-config";
import { stackGraph } from "../../scripts/graph";
import { neighbours, parseArgs } from "../../scripts/plan";
import { ROOT, runStack, stackFixture } from "../harness";

async function graphOf(stack: string): Promise<string> {
    const run = await runStack(stack);
    return stackGraph(stack, run.resources, neighbours(readStackFile(stackFixture(stack)).config));
}

/** `cN["<b>Kind</b><br/>name..."]` -> name, for each box. */
function boxes(graph: string): Record<string, string> {
    return Object.fromEntries([...graph.matchAll(/^\s+(c\d+)\["<b>\w+<\/b><br\/>([\w-]+)/gm)].map((m) => [m[2], m[1]]));
}

describe("stack picture (plan --graph)", () => {
    it("the README shows the dev stack with workspaces and serving on (docs/examples/workspaces/Pulumi.dev.yaml) as planned now", async () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        const shown = /<!-- graph:dev -->\n```mermaid\n([\s\S]*?)```\n<!-- \/graph:dev -->/.exec(readme);
        expect(shown, "README has the dev picture between its markers").to.not.equal(null);
        const example = readStackFile(path.join(ROOT, "docs", "examples", "workspaces", "Pulumi.dev.yaml")).config;
        const run = await runStack("dev", { set: example });
        const drawn = stackGraph("dev", run.resources, neighbours(example));
        expect(drawn).to.match(/Workspaces<\/b><br\/>mf-dev-workspaces<br\/><small>[^"]*Studio domain, 3x user profile/).and.match(/ModelServing<\/b>/);
        expect(shown![1], "regenerate with npm run -s plan -- --stack dev --config docs/examples/workspaces/Pulumi.dev.yaml --graph <file>").to.equal(drawn);
    });

    it("draws every component with its main resources, and an arrow where one uses another's resources", async () => {
        const graph = await graphOf("dev");
        const run = await runStack("dev");
        const ids = boxes(graph);
        expect(Object.keys(ids)).to.have.members(run.resources.filter((r) => r.type.startsWith("metaflow:")).map((r) => r.name));
        expect(graph).to.match(/MetaflowService<\/b><br\/>mf-dev-metadata<br\/><small>[^"]*ECS service[^"]*load balancer[^"]*RDS instance/);
        // The dashboard graphs the service's metrics and the queues'; the pipeline events alarm on the monitoring topic.
        expect(graph).to.contain(`${ids["mf-dev-ops"]} --> ${ids["mf-dev-metadata"]}`);
        expect(graph).to.contain(`${ids["mf-dev-pipeline-events"]} --> ${ids["mf-dev-monitoring"]}`);
        // The key nearly everything uses says so instead of drawing an arrow from every box.
        expect(graph).to.match(/PlatformKey<\/b><br\/>mf-dev-kms<br\/><small>KMS key, used by \d+ components/);
        expect(graph).to.not.contain(`--> ${ids["mf-dev-kms"]}\n`);
        expect(graph, "dev has no neighbouring stack").to.not.contain("StackReference");
    });

    it("shows the neighbouring stacks a stack reads", async () => {
        const graph = await graphOf("staging");
        expect(graph).to.contain('[("A01 foundation<br/>acme/a01-foundation/staging")]').and.contain('[("A02 Dask<br/>acme/a02-dask/staging")]');
        expect(graph.match(/-\. StackReference outputs \.-> stack/g)).to.have.length(2);
    });

    it("plan takes --graph <file>", () => {
        expect(parseArgs(["--stack", "dev", "--graph", "/tmp/x.mmd"]).graph).to.equal("/tmp/x.mmd");
        expect(() => parseArgs(["--stack", "dev", "--graph"])).to.throw("--graph needs a value");
    });
});
