import { expect } from "chai";

import { runStack } from "../harness";

describe("smoke", () => {
    it("plans dev", async () => {
        const run = await runStack("dev");
        expect(run.ofType("aws:s3/bucket:Bucket")).to.have.length(1);
    });
    it("plans prod", async () => {
        const run = await runStack("prod");
        expect(run.ofType("aws:s3/bucket:Bucket")).to.have.length(2);
    });
});
