import { expect } from "chai";

import { FlowDeployRole, flowDeploySourceProblems, githubSubjects } from "../../components/flow-deploy-role";
import { loadConfig, PROJECT } from "../../stacks/config";
import { policyOf, runStack } from "../harness";

const base = { "aws:region": "us-east-1", [`${PROJECT}:environment`]: "dev", [`${PROJECT}:owner`]: "o", [`${PROJECT}:costCenter`]: "c" };
const load = (flowDeploy: unknown) => loadConfig({ ...base, [`${PROJECT}:flowDeploy`]: JSON.stringify(flowDeploy) }, { stack: "dev" });

describe("FlowDeployRole (CI deployments of flows)", () => {
    it("trusts GitHub's OIDC provider for exact subjects and GitHub's audience only", async () => {
        const staging = await runStack("staging");
        const provider = staging.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider").inputs;
        expect(provider).to.deep.include({ url: "https://token.actions.githubusercontent.com", clientIdLists: ["sts.amazonaws.com"] });
        const trust = policyOf(staging.one("aws:iam/role:Role", "-flow-deploy-role"), "assumeRolePolicy").Statement;
        expect(trust).to.deep.equal([
            {
                Effect: "Allow",
                Principal: { Federated: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: { StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": ["repo:acme/ml-flows:ref:refs/heads/main"] } },
            },
        ]);
        expect(staging.outputs.flowDeploy).to.deep.include({ roleArn: "arn:aws:iam::123456789012:role/mf-staging-flow-deploy", subjects: ["repo:acme/ml-flows:ref:refs/heads/main"] });
        // prod uses the account's existing provider and admits only jobs of its `prod` environment.
        const prod = await runStack("prod");
        expect(prod.ofType("aws:iam/openIdConnectProvider:OpenIdConnectProvider")).to.have.length(0);
        expect((prod.outputs.flowDeploy as any).subjects).to.deep.equal(["repo:acme/ml-flows:environment:prod"]);
    });

    it("exists only where flowDeploy is configured", async () => {
        const dev = await runStack("dev");
        expect(dev.ofType("metaflow:delivery:FlowDeployRole")).to.have.length(0);
        expect(dev.outputs).to.not.have.property("flowDeploy");
    });

    it("builds one subject per repository and branch, and per repository for the environment", () => {
        expect(githubSubjects({ repositories: ["a/x", "b/y"], branches: ["main", "release"], environment: "prod" })).to.deep.equal([
            "repo:a/x:ref:refs/heads/main",
            "repo:a/x:ref:refs/heads/release",
            "repo:a/x:environment:prod",
            "repo:b/y:ref:refs/heads/main",
            "repo:b/y:ref:refs/heads/release",
            "repo:b/y:environment:prod",
        ]);
    });

    it("rejects bad flowDeploy input, naming the key, the value and what is allowed", () => {
        const cases: Array<[unknown, string, string]> = [
            [{ repositories: [] }, "flowDeploy.repositories", "[]"],
            [{ repositories: ["acme"] }, "flowDeploy.repositories", '["acme"]'],
            [{ repositories: ["acme/*"] }, "flowDeploy.repositories", '["acme/*"]'],
            [{ repositories: ["acme/x"], branches: ["release/*"] }, "flowDeploy.branches", '["release/*"]'],
            [{ repositories: ["acme/x"], branches: [] }, "flowDeploy.branches", "[]"],
            [{ repositories: ["acme/x"], environment: "prod env" }, "flowDeploy.environment", '"prod env"'],
            [{ repositories: ["acme/x"], oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/gitlab.com" }, "flowDeploy.oidcProviderArn", '"arn:aws:iam::123456789012:oidc-provider/gitlab.com"'],
            [{ repositories: ["acme/x"], repos: ["acme/y"] }, "flowDeploy.repos", '["acme/y"]'],
        ];
        for (const [value, key, given] of cases) {
            const r = load(value);
            expect(r.ok, key).to.equal(false);
            if (!r.ok) {
                expect(r.problems, key).to.have.length(1);
                expect(r.problems[0], key).to.deep.include({ key: `${PROJECT}:${key}`, given });
            }
        }
        const r = load({ repositories: ["acme/x"] });
        expect(r.ok && r.config.flowDeploy).to.deep.equal({ repositories: ["acme/x"], branches: ["main"] });
        expect(flowDeploySourceProblems({ repositories: ["acme/x"], branches: [], environment: "prod" })).to.deep.equal([]);
    });

    it("refuses bad arguments up front", () => {
        expect(() => new FlowDeployRole("d", { repositories: ["acme/x"], branches: ["a b"], namePrefix: "mf-x", region: "us-east-1", bucketArn: "arn:aws:s3:::b", kmsKeyArn: "k", stateMachinePrefix: "", passRoleArns: [] })).to.throw(
            /FlowDeployRole d: branches: expected a non-empty list of branch names.*; stateMachinePrefix must not be empty/,
        );
    });
});
