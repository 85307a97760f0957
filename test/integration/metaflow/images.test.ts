/**
 * Defect 10: no step pulls from Docker Hub. With each stack's profile, Metaflow 2.19.38 compiles a probe flow for
 * Step Functions (`--only-json`, AWS on moto) and registers its job definition; the image it chose must come from this
 * account's ECR, through the planned pull-through cache of ECR Public, which the Batch instances may pull (and import)
 * from, and whose storage the cost estimate counts.
 */
import { expect } from "chai";

import { estimateCost } from "../../../policies/cost/estimate";
import { defaultSettings } from "../../../policies/lib/settings";
import { fromPlan } from "../../../policies/lib/view";
import { policyOf, runStack } from "../../harness";
import { flowSource, iamMatches, installProfile, stepFunctionsJson, withMetaflow } from "../support/metaflow";

describe("container images without Docker Hub", function () {
    this.timeout(120000);
    const workspace = withMetaflow();

    for (const stack of ["dev", "staging", "prod"] as const) {
        it(`${stack}: Metaflow's job definition image comes from the account's ECR cache of ECR Public, pullable and priced`, async () => {
            const run = await runStack(stack);
            const ws = workspace();
            installProfile(ws, stack, run);
            const { definition } = stepFunctionsJson(ws, stack, ws.writeFile("probe_flow.py", flowSource("ImageProbeFlow")));
            // The job definition the start step submits with, as Metaflow registered it.
            const jobDefinition = definition.States.start.Parameters.JobDefinition as string;
            const code = "import boto3, sys; sys.stdout.write(boto3.client('batch').describe_job_definitions(jobDefinitions=[sys.argv[1]])['jobDefinitions'][0]['containerProperties']['image'])";
            const image = ws.run(["-c", code, jobDefinition], ws.env(stack)).stdout;
            const region = run.outputs.region as string;
            const registry = `123456789012.dkr.ecr.${region}.amazonaws.com/`;
            expect(image, "no registry means Docker Hub").to.match(new RegExp(`^${registry.replace(/\./g, "\\.")}`));

            // The path after the registry is <cache prefix>/<ECR Public repository>: the cache rule serves it.
            const rule = run.one("aws:ecr/pullThroughCacheRule:PullThroughCacheRule");
            expect(rule.inputs.upstreamRegistryUrl).to.equal("public.ecr.aws");
            const [prefix, ...rest] = image.slice(registry.length).split(":")[0].split("/");
            expect(prefix).to.equal(rule.inputs.ecrRepositoryPrefix);
            expect(rest.join("/")).to.equal("docker/library/python");

            // The instances pull it, and the first pull creates the cache repository and imports the image.
            const repoArn = `arn:aws:ecr:${region}:123456789012:repository/${image.slice(registry.length).split(":")[0]}`;
            const statements = policyOf(run.one("aws:iam/rolePolicy:RolePolicy", "-batch-instance-policy")).Statement;
            for (const action of ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository"]) {
                const allowed = statements.filter((s: any) => [s.Action].flat().includes(action)).flatMap((s: any) => [s.Resource].flat());
                expect(allowed.some((p: string) => iamMatches(p, repoArn)), `${action} on ${repoArn}`).to.equal(true);
            }

            const cost = estimateCost(fromPlan(run.resources as any), defaultSettings(stack));
            const ecr = cost.items.filter((i) => i.type?.startsWith("aws:ecr/"));
            expect(ecr.map((i) => i.type).sort()).to.deep.equal(["aws:ecr/repository:Repository", "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"]);
            expect(ecr.every((i) => i.monthlyUsd > 0)).to.equal(true);
        });
    }
});
