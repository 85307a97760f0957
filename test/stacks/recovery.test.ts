/**
 * The database restore of docs/operations.md (scripts/recovery.ts), against the Pulumi CLI's documented behaviour:
 * the import file re-creates every URN that `pulumi state delete --target-dependents` removes (the URN the CLI
 * generates from parent, type and name: `generateURN`), under the same parent and provider, with the import ID format
 * the AWS provider documents for each type; and the commands in the doc use only flags the CLI defines.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { ExportedResource, IMPORT_IDS, recoveryMain, restoreImportFile, urnName } from "../../scripts/recovery";
import { ROOT, runStack, tempDir } from "../harness";

/** A `pulumi stack export` of a planned stack: what the CLI writes (deployment.resources[] with outputs). */
async function exportOf(stack: string): Promise<{ deployment: { resources: ExportedResource[] } }> {
    const run = await runStack(stack);
    return { deployment: { resources: run.resources.map((r) => ({ urn: r.urn, type: r.type, id: r.id, custom: r.custom, parent: r.parent, provider: r.provider, dependencies: r.dependencies, outputs: r.state })) } };
}

/** The CLI's `generateURN(parent, type, name)`: the parent's type chain, `$`, the type, `::`, the name. */
function generateUrn(stack: string, project: string, parentUrn: string | undefined, type: string, name: string): string {
    const parentType = parentUrn ? parentUrn.split("::")[2] : undefined;
    const qualified = parentType && !parentType.startsWith("pulumi:pulumi:Stack") ? `${parentType}$${type}` : type;
    return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

describe("database restore (scripts/recovery.ts)", () => {
    it("imports the restored instance and everything state delete --target-dependents removes, under the same URNs, parents and provider", async () => {
        const doc = await exportOf("prod");
        const { file, database, dependents } = restoreImportFile(doc.deployment.resources, "mf-prod-metadata-db");
        expect(dependents.map((d) => d.type)).to.include.members(["aws:ecs/service:Service", "aws:ecs/taskDefinition:TaskDefinition", "aws:iam/rolePolicy:RolePolicy", "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:appautoscaling/policy:Policy"]);
        expect(file.resources).to.have.length(1 + dependents.length);
        const byUrn = new Map(doc.deployment.resources.map((r) => [r.urn, r]));
        for (const [spec, original] of file.resources.map((s, i) => [s, [database, ...dependents][i]] as const)) {
            const parentUrn = spec.parent ? file.nameTable[spec.parent] : undefined;
            expect(parentUrn, spec.name).to.equal(original.parent);
            expect(byUrn.has(parentUrn!), `${spec.name}: parent in the stack`).to.equal(true);
            expect(generateUrn("prod", "metaflow-platform", parentUrn, spec.type, spec.name)).to.equal(original.urn);
            expect(`${file.nameTable[spec.provider!]}::`, spec.name).to.equal(original.provider!.slice(0, original.provider!.lastIndexOf("::") + 2));
            expect(Object.keys(spec).every((k) => ["type", "name", "id", "parent", "provider"].includes(k)), "only importSpec's JSON fields").to.equal(true);
        }
        expect(file.resources[0]).to.deep.include({ type: "aws:rds/instance:Instance", name: urnName(database.urn), id: "mf-prod-metadata-db" });
    });

    it("derives each import ID in the format the AWS provider documents for `pulumi import`", async () => {
        const doc = await exportOf("prod");
        const { file } = restoreImportFile(doc.deployment.resources);
        for (const type of new Set(file.resources.map((r) => r.type))) {
            const [, mod, res] = /^aws:([^/]+)\/([^:]+):/.exec(type)!;
            const dts = fs.readFileSync(path.join(ROOT, "node_modules", "@pulumi", "aws", mod, `${res}.d.ts`), "utf8");
            const example = new RegExp(`pulumi import ${type.replace(/[$/]/g, "\\$&")} \\S+ (\\S+)`).exec(dts)![1];
            const ours = file.resources.find((r) => r.type === type)!.id;
            expect(ours.startsWith("arn:"), `${type}: ${ours} vs the documented ${example}`).to.equal(example.startsWith("arn:"));
            const sep = example.startsWith("arn:") ? "/" : example.includes(":") && !example.includes("/") ? ":" : "/";
            if (!example.startsWith("arn:")) expect(ours.split(sep).length, `${type}: ${ours} vs ${example}`).to.be.at.least(example.split(sep).length);
        }
        expect(Object.keys(IMPORT_IDS).length).to.be.greaterThan(5);
    });

    it("the command exits 2 with a clear message on a file that is not an export, or a stack without its own database", async () => {
        const dir = tempDir("recovery-");
        const notExport = path.join(dir, "x.json");
        fs.writeFileSync(notExport, "{}");
        expect(recoveryMain(["import-file", "--export", notExport])).to.deep.include({ code: 2, stderr: `${notExport}: not a \`pulumi stack export\` document (no deployment.resources[])\n` });
        const empty = path.join(dir, "e.json");
        fs.writeFileSync(empty, JSON.stringify({ deployment: { resources: [] } }));
        expect(recoveryMain(["import-file", "--export", empty]).stderr).to.contain("expected one aws:rds/instance:Instance in the export, found 0");
        expect(recoveryMain(["import-file"]).stderr).to.contain("--export <file> is required");
        const exported = path.join(dir, "prod.json");
        fs.writeFileSync(exported, JSON.stringify(await exportOf("prod")));
        expect(recoveryMain(["database-urn", "--export", exported]).stdout).to.equal("urn:pulumi:prod::metaflow-platform::metaflow:service:MetaflowService$aws:rds/instance:Instance::mf-prod-metadata-db\n");
    });

    it("docs/operations.md gives the restore as commands whose pulumi flags exist in the CLI and whose order works", () => {
        const ops = fs.readFileSync(path.join(ROOT, "docs", "operations.md"), "utf8");
        const section = ops.slice(ops.indexOf("### Restoring the metadata database"), ops.indexOf("\n## ", ops.indexOf("### Restoring the metadata database")));
        const block = /```sh\n([\s\S]*?)```/.exec(section)![1];
        const lines = block.split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter(Boolean);
        const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
        const exportAt = at(/^pulumi stack export /);
        const deleteAt = at(/^pulumi state delete /);
        const importAt = at(/^pulumi import /);
        const renameOld = at(/modify-db-instance --db-instance-identifier "\$DB" --new-db-instance-identifier/);
        const renameNew = at(/modify-db-instance --db-instance-identifier "\$DB-restored" --new-db-instance-identifier "\$DB"/);
        expect([exportAt, deleteAt, renameOld, renameNew, importAt].every((i) => i >= 0), block).to.equal(true);
        expect(exportAt < deleteAt && deleteAt < importAt && renameOld < renameNew && renameNew < importAt).to.equal(true);
        // Flags defined by the CLI (v3.259.0): state delete (state_delete.go), import (operations/import.go).
        expect(lines[deleteAt]).to.contain("--target-dependents").and.contain("--force");
        expect(lines[deleteAt]).to.contain('"$(npm run -s recovery -- database-urn --export before-restore.json)"');
        for (const flag of lines[deleteAt].replace(/"\$\([^)]*\)"/g, "").match(/--[a-z-]+/g)!) expect(["--target-dependents", "--force", "--yes", "--stack"]).to.include(flag);
        for (const flag of lines[importAt].match(/--[a-z-]+/g)!) expect(["--file", "--yes", "--generate-code", "--protect", "--stack"]).to.include(flag);
        expect(section).to.contain("npm run -s recovery -- import-file --export");
    });
});
