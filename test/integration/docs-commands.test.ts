/**
 * Every command the README and docs/ show that runs offline runs, in a copy of this repository (so `--write` changes
 * nothing here), with the input files the commands name; and every `aws` command of the docs names a real AWS CLI
 * command, waiter and options (botocore's service models).
 */
import { expect } from "chai";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { docCommands, offlineCommands } from "../docs/commands";
import { runStack } from "../harness";
import { atExit, hasPythonModules, ROOT, unavailable } from "./support/env";

const PYTHON = process.env.PYTHON ?? "python3";

/** A copy of the repository (without node_modules and .git, which is linked) holding the files the docs' commands read. */
function sandbox(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mf-docs-"));
    atExit(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.cpSync(ROOT, dir, { recursive: true, filter: (src) => !/[/\\](node_modules|\.git)$/.test(src) });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    const refs = JSON.parse(fs.readFileSync(path.join(ROOT, "fixtures", "references.json"), "utf8"));
    fs.mkdirSync(path.join(dir, "path", "to"), { recursive: true });
    fs.copyFileSync(path.join(ROOT, "test", "fixtures", "stacks", "Pulumi.dev.yaml"), path.join(dir, "path", "to", "Pulumi.qa.yaml"));
    fs.writeFileSync(path.join(dir, "my-outputs.json"), JSON.stringify(refs));
    fs.writeFileSync(path.join(dir, "a01.json"), JSON.stringify(refs["acme/a01-foundation/staging"]));
    fs.writeFileSync(path.join(dir, "a02.json"), JSON.stringify(refs["acme/a02-dask/staging"]));
    const planned = execFileSync(process.execPath, ["-r", "./scripts/register-ts.js", "scripts/plan.ts", "--stack", "prod", "--json"], { cwd: dir, maxBuffer: 1 << 28 }).toString();
    fs.writeFileSync(path.join(dir, "state.json"), planned);
    const doc = JSON.parse(planned);
    const exported = { deployment: { resources: doc.resources.map((r: any) => ({ urn: r.urn, type: r.type, id: r.id, parent: r.parent ?? undefined, provider: r.provider ?? undefined, dependencies: r.dependencies, outputs: r.outputs })) } };
    fs.writeFileSync(path.join(dir, "before-restore.json"), JSON.stringify(exported));
    return dir;
}

describe("commands in the README and docs/, run", function () {
    this.timeout(600_000);
    let dir: string;
    before(function () {
        this.timeout(120_000);
        dir = sandbox();
    });

    for (const c of offlineCommands()) {
        it(`${c.doc}: ${c.line}`, () => {
            const script = [...c.assignments, c.line].join("\n");
            const r = spawnSync("sh", ["-c", script], { cwd: dir, encoding: "utf8", timeout: 120_000, maxBuffer: 1 << 28 });
            expect(r.status, `${c.line}\n${r.stderr}`).to.equal(0);
        });
    }

    it("the docs' aws commands name real AWS CLI commands, waiters and options", function () {
        if (!hasPythonModules(PYTHON, ["botocore"])) unavailable(this, "Python with botocore");
        const lines = docCommands().filter((c) => /^(until )?aws [a-z0-9-]+ [a-z0-9-]+/.test(c.line)).map((c) => c.line.replace(/^until /, "").replace(/\s*2>\/dev\/null.*$/, ""));
        expect(lines.length).to.be.greaterThan(5);
        const out = execFileSync(PYTHON, [path.join(__dirname, "support", "aws_cli_options.py")], { input: JSON.stringify(lines) }).toString();
        expect(JSON.parse(out)).to.deep.equal([]);
    });

    it("the wake command each stack outputs runs real AWS CLI commands, waiters and options", async function () {
        if (!hasPythonModules(PYTHON, ["botocore"])) unavailable(this, "Python with botocore");
        const lines: string[] = [];
        for (const stack of ["dev", "staging"]) {
            const command = ((await runStack(stack)).outputs.officeHours as any).wakeCommand as string;
            lines.push(...command.split(/\s+(?:&&|;)\s+/));
        }
        expect(lines.filter((l) => l.startsWith("aws rds wait db-instance-available"))).to.have.length(2);
        const out = execFileSync(PYTHON, [path.join(__dirname, "support", "aws_cli_options.py")], { input: JSON.stringify(lines) }).toString();
        expect(JSON.parse(out)).to.deep.equal([]);
    });
});
