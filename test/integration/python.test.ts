/**
 * The project's own Python outside templates/ (the metadata service's migrate and credentials programs, the suite's
 * helpers, the capacity benchmark's) type-checks with pyright from npm, against the pinned Metaflow and Debian's Python
 * packages: the same interpreters and libraries they run with. The templates are checked with their own configuration in
 * templates/templates.test.ts.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { ROOT, unavailable, vendored } from "./support/env";

describe("the project's Python", () => {
    it("type-checks with pyright (standard mode, Python 3.11), with no error", function () {
        const metaflow = vendored("metaflow-2.19.38.tar.gz");
        if (!metaflow) unavailable(this, "../shared/vendor with the pinned Metaflow");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mf-pyright-"));
        try {
            const config = path.join(dir, "pyrightconfig.json");
            fs.writeFileSync(
                config,
                JSON.stringify({
                    // pyright takes only paths relative to its configuration file.
                    include: [path.relative(dir, path.join(ROOT, "components")), path.relative(dir, path.join(ROOT, "test")), path.relative(dir, path.join(ROOT, "scripts"))],
                    exclude: ["**/node_modules", "**/__pycache__"],
                    extraPaths: [path.join(metaflow!, "metaflow-2.19.38"), "/usr/lib/python3/dist-packages"],
                    pythonVersion: "3.11",
                    typeCheckingMode: "standard",
                    reportMissingModuleSource: "none",
                }),
            );
            const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "pyright", "index.js"), "--project", config, "--outputjson"], { encoding: "utf8", env: { PATH: process.env.PATH, HOME: dir } });
            const report = JSON.parse(r.stdout) as { summary: { filesAnalyzed: number; errorCount: number }; generalDiagnostics: Array<{ file: string; severity: string; message: string; range: { start: { line: number } } }> };
            const errors = report.generalDiagnostics.filter((d) => d.severity === "error").map((d) => `${path.relative(ROOT, d.file)}:${d.range.start.line + 1}: ${d.message}`);
            expect(errors).to.deep.equal([]);
            expect(report.summary.filesAnalyzed).to.be.at.least(4);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
