import { expect } from "chai";

import { BatchCompute, BatchImages, cachePrefix, lifecyclePolicy, validateBatchImagesArgs } from "../../components/batch";
import { keptImages } from "../../policies/cost/estimate";
import { policyOf, runComponent, runStack } from "../harness";

const ACCOUNT = "123456789012";
const KEY = "arn:aws:kms:us-east-1:123456789012:key/k";

describe("BatchImages (component)", () => {
    it("caches ECR Public under the stack's prefix and keeps its own repository scanned, immutable, encrypted and trimmed", async () => {
        const run = await runComponent(() => new BatchImages("img", { namePrefix: "mf-test", region: "us-east-1", kmsKeyArn: KEY, keepImages: 5 }));
        const rule = run.one("aws:ecr/pullThroughCacheRule:PullThroughCacheRule");
        expect(rule.inputs).to.deep.include({ ecrRepositoryPrefix: "mf-test-ecr-public", upstreamRegistryUrl: "public.ecr.aws" });
        expect(rule.inputs).to.not.have.property("credentialArn");
        const template = run.one("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate");
        expect(template.inputs).to.deep.include({ prefix: "mf-test-ecr-public", appliedFors: ["PULL_THROUGH_CACHE"] });
        expect(keptImages(template.inputs.lifecyclePolicy)).to.equal(5);
        const repo = run.one("aws:ecr/repository:Repository");
        expect(repo.inputs).to.deep.include({ name: "mf-test/flows", imageTagMutability: "IMMUTABLE", forceDelete: false });
        expect(repo.inputs.imageScanningConfiguration).to.deep.equal({ scanOnPush: true });
        expect(repo.inputs.encryptionConfigurations).to.deep.equal([{ encryptionType: "KMS", kmsKey: KEY }]);
        expect(keptImages(run.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs.policy)).to.equal(5);
        const images = run.value;
        expect(await new Promise((r) => images.defaultRegistry.apply(r))).to.equal(`${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/mf-test-ecr-public/docker/library`);
        expect(await new Promise((r) => images.cacheRepositoryArns.apply(r))).to.equal(`arn:aws:ecr:us-east-1:${ACCOUNT}:repository/mf-test-ecr-public/*`);
    });

    it("validates its arguments and keeps the cache prefix within ECR's 30 characters", () => {
        expect(validateBatchImagesArgs({ namePrefix: "mf-dev", region: "us-east-1", kmsKeyArn: KEY, keepImages: 0 })).to.deep.equal(["keepImages: 0 must be an integer from 1 to 1000"]);
        expect(cachePrefix("a-very-long-prefix-x")).to.have.length.at.most(30);
        expect(JSON.parse(lifecyclePolicy(3)).rules.map((r: any) => r.selection.countType)).to.deep.equal(["sinceImagePushed", "imageCountMoreThan"]);
        expect(keptImages("not json")).to.equal(undefined);
    });

    it("lets Batch instances create and import the cache's repositories, and nothing else", async () => {
        const arn = `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/mf-test-ecr-public/*`;
        const run = await runComponent(() => new BatchCompute("c", { namePrefix: "t", region: "us-east-1", vpcId: "vpc-1", fargate: true, pullThroughCacheRepositoryArns: [arn] }));
        for (const suffix of ["c-instance-policy", "c-fargate-execution"]) {
            const s = policyOf(run.one("aws:iam/rolePolicy:RolePolicy", suffix)).Statement.find((x: any) => x.Sid === "PullThroughCache");
            expect(s, suffix).to.deep.equal({ Sid: "PullThroughCache", Effect: "Allow", Action: ["ecr:CreateRepository", "ecr:BatchImportUpstreamImage"], Resource: [arn] });
        }
    });

    it("is the profile's default registry in every stack", async () => {
        for (const stack of ["dev", "prod"]) {
            const run = await runStack(stack);
            const mf = run.outputs.metaflowConfig as Record<string, string>;
            expect(mf.METAFLOW_BATCH_CONTAINER_REGISTRY).to.equal(`${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/mf-${stack}-ecr-public/docker/library`);
            expect(run.one("aws:ecr/repository:Repository").protect).to.equal(stack === "prod");
        }
    });
});
