/**
 * The pinned upstream sources the suite runs are where ../shared/vendor/README.md says, and extract as documented.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { unavailable, vendored } from "./support/env";

describe("pinned upstream sources", () => {
    it("Metaflow 2.19.38 and metaflow-service v2.5.1 extract with their packages and migrations", function () {
        const metaflow = vendored("metaflow-2.19.38.tar.gz");
        const service = vendored("metaflow-service-2.5.1.tar.gz");
        if (!metaflow || !service) unavailable(this, "../shared/vendor with the pinned Metaflow and metaflow-service sources");
        const metaflowRoot = fs.readdirSync(metaflow!).map((d) => path.join(metaflow!, d)).find((d) => fs.existsSync(path.join(d, "metaflow", "__init__.py")));
        expect(metaflowRoot, "metaflow/__init__.py").to.be.a("string");
        const serviceRoot = fs.readdirSync(service!).map((d) => path.join(service!, d)).find((d) => fs.existsSync(path.join(d, "run_goose.py")));
        expect(serviceRoot, "run_goose.py").to.be.a("string");
        expect(fs.readdirSync(path.join(serviceRoot!, "services", "migration_service", "migration_files")).filter((f) => f.endsWith(".sql")).length).to.be.greaterThan(5);
    });
});
