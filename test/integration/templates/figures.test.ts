/**
 * The platform report's figures (templates/platform_figures.py), unit-tested with pytest on hand-made events
 * (test/templates/test_platform_figures.py), with Debian's Python, pandas and pytest: the interpreter the report runs
 * with in this suite.
 */
import { expect } from "chai";
import * as path from "path";

import { hasPythonModules, ROOT, unavailable } from "../support/env";
import { run } from "./processes";

const DEBIAN_PYTHON = "/usr/bin/python3";

describe("the platform report's figures (pytest)", function () {
    this.timeout(60_000);
    it("pass their unit tests", async function () {
        if (!hasPythonModules(DEBIAN_PYTHON, ["pytest", "pandas"])) unavailable(this, "Debian's python3-pytest python3-pandas");
        const out = await run(DEBIAN_PYTHON, ["-B", "-m", "pytest", "-q", "-p", "no:cacheprovider", path.join("test", "templates", "test_platform_figures.py")], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: ROOT, LANG: "C.UTF-8" } });
        expect(out.code, `${out.stdout}\n${out.stderr}`).to.equal(0);
        expect(out.stdout).to.match(/\b7 passed\b/);
    });
});
