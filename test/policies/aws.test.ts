/**
 * The AWS constraints pack's data: the data file is what the extraction script makes of AWS's models, and the
 * catalogue the configuration, the components and the pack share agrees with it.
 */
import { expect } from "chai";
import * as fs from "fs";

import { INSTANCE_FAMILIES } from "../../aws-facts/instance-types";
import { AWS_DATA, instanceTypeExists, sagemakerAppInstanceTypeExists, sizesOf } from "../../aws-facts/data";
import { DATA_FILE, extract, findSources, render } from "../../scripts/aws-constraints";

describe("AWS constraints pack: data", function () {
    this.timeout(60000);

    it("aws-facts/constraints.json is what scripts/aws-constraints.ts extracts from botocore and cfn-lint (regenerate: npm run -s aws-constraints -- --write)", function () {
        const dirs = findSources();
        if (typeof dirs === "string") {
            console.log(`      skipped: ${dirs}; the data file cannot be compared with its sources here`);
            this.skip();
        }
        const recorded = AWS_DATA.sources;
        if (recorded.botocore !== dirs.botocoreVersion || recorded["cfn-lint"] !== dirs.cfnlintVersion) {
            // Other versions hold other facts: comparing would only say they differ. Regenerating is a deliberate change.
            console.log(`      skipped: the data file comes from botocore ${recorded.botocore} and cfn-lint ${recorded["cfn-lint"]}; this Python has botocore ${dirs.botocoreVersion} and cfn-lint ${dirs.cfnlintVersion}`);
            this.skip();
        }
        expect(render(extract(dirs)) === fs.readFileSync(DATA_FILE, "utf8"), "the data file differs from the extraction: regenerate it").to.equal(true);
    });

    it("records its sources and versions", () => {
        expect(AWS_DATA.sources).to.include.keys("botocore", "cfn-lint", "botocore ec2");
        expect(AWS_DATA.instanceTypes.types.length).to.be.greaterThan(500);
    });

    it("the instance catalogue lists only sizes the EC2 model lists, and every non-metal size it lists", () => {
        for (const [family, f] of Object.entries(INSTANCE_FAMILIES)) {
            const ours = Object.keys(f.sizes).sort();
            const aws = sizesOf(family).filter((s) => !s.startsWith("metal")).sort();
            expect(ours, family).to.deep.equal(aws);
            for (const size of ours) expect(instanceTypeExists(`${family}.${size}`), `${family}.${size}`).to.equal(true);
        }
        expect(INSTANCE_FAMILIES.m7i.sizes).to.not.have.property("32xlarge");
    });

    it("knows the instance types SageMaker Studio apps (JupyterLab) accept, from the SageMaker model", () => {
        expect(sagemakerAppInstanceTypeExists("ml.t3.medium")).to.equal(true);
        expect(sagemakerAppInstanceTypeExists("ml.g4dn.xlarge")).to.equal(true);
        expect(sagemakerAppInstanceTypeExists("ml.t99.medium")).to.equal(false);
        expect(sagemakerAppInstanceTypeExists("t3.medium"), "an EC2 type is not a Studio type").to.equal(false);
        expect(AWS_DATA.sources).to.include.keys("botocore sagemaker");
    });

    // dev, staging and prod: the CI gate (gate.test.ts) plans each with zero mandatory violations of the three packs.
    // The maximal configuration: test/components/metaflow-service.test.ts ("prod with every option on"), which shares
    // its run with the service's own assertions.
});
