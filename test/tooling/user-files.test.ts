/**
 * `npm test` plans the fixture copies of the stack files, never the user's (test/user-files.ts): a user who edits
 * Pulumi.dev.yaml as the README says (adds a foundation) must not break the tests.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { readStackFile } from "../../offline/stack-config";
import { ROOT, stackFixture } from "../harness";
import { isUserStackFile } from "../user-files";

describe("the user's stack files are theirs", () => {
    it("no test reads Pulumi.<stack>.yaml at the repository root: the worker refuses it, naming the file", () => {
        for (const stack of ["dev", "staging", "prod", "qa"]) {
            const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
            expect(() => readStackFile(file), stack).to.throw(`a test read the user's stack file ${file}`);
            expect(isUserStackFile(file)).to.equal(true);
        }
        expect(() => fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")).to.throw("stackFixture");
    });

    it("the project file, the fixture copies and stack files elsewhere are read as usual", () => {
        expect(isUserStackFile(path.join(ROOT, "Pulumi.yaml"))).to.equal(false);
        expect(readStackFile(stackFixture("dev")).config["metaflow-platform:environment"]).to.equal("dev");
        expect(isUserStackFile(path.join(ROOT, "test", "fixtures", "stacks", "Pulumi.dev.yaml"))).to.equal(false);
    });
});
