/**
 * The deployer policy (policies/lib/deployer.ts): for each stack, and for the maximal configuration, the IAM policy
 * the identity running `pulumi up` needs lists only actions that exist in AWS's IAM data, names ARNs of the formats
 * AWS defines for those actions, and covers every resource type in the plan with resource-level permissions on that
 * stack's own names.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { RecordedResource } from "../../offline/mocks";
import { DeployerPolicy, deployerPolicy, DEPLOYER_GRANTS, MANAGED_POLICY_MAX_CHARS, needsNoGrant, policySize, splitForManagedPolicies } from "../../policies/lib/deployer";
import { iamDataProblems } from "../../policies/lib/iam";
import { actionData, arnMatchesTemplate, isWildcardOnly, resourceTypesFor } from "../../aws-facts/iam-data";
import { cli, deployerContext } from "../../scripts/plan";
import { runStack, stackFixture, tempDir } from "../harness";
import { MAXIMAL } from "./maximal";

/**
 * What a policy fails to grant for a plan: each planned type's actions must be allowed, and an action with
 * resource-level permissions on at least one ARN of a format AWS defines for it.
 */
export function uncovered(policy: DeployerPolicy, resources: Array<{ type: string }>): string[] {
    const out: string[] = [];
    for (const type of new Set(resources.map((r) => r.type))) {
        if (needsNoGrant(type)) continue;
        const grants = DEPLOYER_GRANTS[type];
        if (!grants) {
            out.push(`${type}: no grants`);
            continue;
        }
        for (const action of grants.flatMap((g) => g.actions)) {
            const statements = policy.Statement.filter((s) => s.Action.includes(action));
            if (!statements.length) out.push(`${type}: ${action} is not granted`);
            else if (!isWildcardOnly(action)) {
                const formats = resourceTypesFor(action).map((t) => t.arn);
                const granted = statements.flatMap((s) => s.Resource).some((arn) => arn === "*" || formats.some((f) => arnMatchesTemplate(arn, f)));
                if (!granted) out.push(`${type}: ${action} is granted on no ARN of its resource types`);
            }
        }
    }
    return out;
}

const CASES: Array<[string, () => ReturnType<typeof runStack>, string]> = [
    ["dev", () => runStack("dev"), "mf-dev"],
    ["staging", () => runStack("staging"), "mf-staging"],
    ["prod", () => runStack("prod"), "mf-prod"],
    ["prod, maximal configuration", () => runStack("prod", { set: MAXIMAL }), "mf-maximal-stack"],
    ["dev with the Session Manager access instance", () => runStack("dev", { set: { accessInstance: true, engineerRoleNames: ["ml-engineers-sso"] } }), "mf-dev"],
];

describe("deployer policy", () => {
    for (const [label, run, prefix] of CASES) {
        describe(label, () => {
            let resources: RecordedResource[];
            let policy: DeployerPolicy;
            before(async function () {
                this.timeout(60000);
                resources = (await run()).resources;
                policy = deployerPolicy(resources, { region: "us-east-1", account: "123456789012" });
            });

            it("lists only real actions, with ARNs of the formats AWS defines, and '*' only for actions without resource-level permissions", () => {
                expect(iamDataProblems(policy, label, "identity")).to.deep.equal([]);
                for (const s of policy.Statement) for (const a of s.Action) expect(actionData(a)?.name, a).to.equal(a.split(":")[1]);
                for (const s of policy.Statement.filter((x) => x.Resource.includes("*"))) {
                    expect(s.Action.filter((a) => !isWildcardOnly(a)), s.Sid).to.deep.equal([]);
                }
            });

            it("covers every resource type in the plan", () => {
                expect(uncovered(policy, resources)).to.deep.equal([]);
            });

            it(`is scoped to the stack's names (${prefix}...) wherever AWS names a resource by a name`, () => {
                // AWS's public parameter naming the AMI, and AMIs (whose ARNs name no account), are not the stack's.
                const awsOwned = (arn: string) => arn.includes(":parameter/aws/service/") || /^arn:aws:ec2:[a-z0-9-]+::image\//.test(arn);
                const named = policy.Statement.flatMap((s) => s.Resource).filter((arn) => !awsOwned(arn)).filter((arn) => /:(role|policy|instance-profile)\/|:db:|:pg:|:subgrp:|:table\/|:log-group:|:alarm:|:rule\/|:job-queue\/|:compute-environment\/|:cluster\/|:repository\/|:parameter\/|:budget\//.test(arn));
                expect(named.length).to.be.greaterThan(10);
                // The existing roles the configuration names (engineers', approvers'), to which the stack attaches its policies.
                const engineerRoles = [...(MAXIMAL.engineerRoleNames as string[]), ...(MAXIMAL.serving as { approverRoleNames: string[] }).approverRoleNames].map((n) => `role/${n}`);
                for (const arn of named) {
                    const scoped = arn.includes(prefix) || arn.includes(`/${prefix}`) || engineerRoles.some((r) => arn.endsWith(r)) || arn.endsWith("role/aws-service-role/*");
                    expect(scoped, arn).to.equal(true);
                }
                expect(policy.Statement.flatMap((s) => s.Resource).every((arn) => arn === "*" || awsOwned(arn) || arn.includes(":123456789012:") || arn.startsWith("arn:aws:s3:::") || arn.startsWith("arn:aws:apigateway:"))).to.equal(true);
            });

            it("fits IAM's managed policy limit when cut into parts, losing no statement", () => {
                const parts = splitForManagedPolicies(policy);
                for (const p of parts) expect(policySize(p)).to.be.at.most(MANAGED_POLICY_MAX_CHARS);
                expect(parts.flatMap((p) => p.Statement)).to.deep.equal(policy.Statement);
                expect(parts.length).to.be.at.most(10);
            });
        });
    }

    it("the coverage check fails when a type's statement is missing, and the generator refuses a type it has no grants for", async () => {
        const { resources } = await runStack("dev");
        const policy = deployerPolicy(resources, { region: "us-east-1", account: "*" });
        const without = { ...policy, Statement: policy.Statement.filter((s) => s.Sid !== "RdsInstance") };
        expect(uncovered(without, resources)).to.include("aws:rds/instance:Instance: rds:CreateDBInstance is not granted");
        expect(() => deployerPolicy([...resources, { type: "aws:lambda/function:Function", name: "x", inputs: {} } as RecordedResource], { region: "us-east-1", account: "*" })).to.throw(
            "the deployer policy has no grants for resource type aws:lambda/function:Function: add it to DEPLOYER_GRANTS in policies/lib/deployer.ts",
        );
    });

    describe("Studio workspaces (issue 19: no stack plans them yet, so the component's resources are listed here)", () => {
        const KEY = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-platform";
        const ROLE = "arn:aws:iam::123456789012:role/mf-dev-studio-shared"; // named by the program, not the planned role
        const workspaces = (domainInputs: Record<string, any> = {}) => [
            { type: "aws:iam/role:Role", name: "workspaces-role", inputs: { name: "mf-dev-workspaces" } },
            { type: "aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig", name: "workspaces-lcc", inputs: { studioLifecycleConfigName: "mf-dev-metaflow", studioLifecycleConfigAppType: "JupyterLab" } },
            { type: "aws:sagemaker/domain:Domain", name: "workspaces-domain", inputs: { domainName: "mf-dev-workspaces", kmsKeyId: KEY, defaultUserSettings: { executionRole: ROLE }, ...domainInputs } },
            { type: "aws:sagemaker/userProfile:UserProfile", name: "workspaces-profile-jane", inputs: { domainId: "d-abc", userProfileName: "jane" } },
        ];
        const policy = deployerPolicy(workspaces(), { region: "us-east-1", account: "123456789012" });
        const statement = (sid: string) => policy.Statement.find((s) => s.Sid === sid)!;

        it("lists only real actions and condition keys, with ARNs of the formats AWS defines, and covers the domain, profiles and lifecycle configuration", () => {
            expect(iamDataProblems(policy, "workspaces", "identity")).to.deep.equal([]);
            expect(uncovered(policy, workspaces())).to.deep.equal([]);
        });

        it("scopes profiles and the lifecycle configuration by name, the domain to the account's (AWS names it), and the key grant to the domain's key", () => {
            expect(statement("SagemakerUserProfile").Resource).to.include("arn:aws:sagemaker:us-east-1:123456789012:user-profile/*/jane");
            expect(statement("SagemakerStudioLifecycleConfig").Resource).to.deep.equal(["arn:aws:sagemaker:us-east-1:123456789012:studio-lifecycle-config/mf-dev-metaflow"]);
            expect(statement("SagemakerDomain").Action).to.include.members(["sagemaker:CreateDomain", "sagemaker:DeleteDomain", "sagemaker:AddTags", "kms:CreateGrant", "kms:DescribeKey"]);
            expect(statement("SagemakerDomain").Resource).to.deep.equal([KEY, "arn:aws:sagemaker:us-east-1:123456789012:domain/*"]);
            const unknownKey = deployerPolicy(workspaces({ kmsKeyId: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }), { region: "us-east-1", account: "123456789012" });
            expect(unknownKey.Statement.find((s) => s.Sid === "SagemakerDomain")!.Resource).to.include("arn:aws:kms:us-east-1:123456789012:key/*");
        });

        it("passes the execution role to SageMaker only: the domain's named role, else the stack's roles", () => {
            const domainPass = policy.Statement.find((s) => s.Sid.startsWith("SagemakerDomainPassRole"))!;
            expect(domainPass).to.deep.include({ Action: ["iam:PassRole"], Resource: [ROLE], Condition: { StringEquals: { "iam:PassedToService": "sagemaker.amazonaws.com" } } });
            const profilePass = policy.Statement.find((s) => s.Sid.startsWith("SagemakerUserProfilePassRole"))!;
            expect(profilePass.Resource).to.deep.equal(["arn:aws:iam::123456789012:role/mf-dev-workspaces"]);
            expect(policy.Statement.find((s) => s.Sid === "NoResourceLevelPermissions")!.Action).to.include.members(["sagemaker:ListDomains", "sagemaker:ListUserProfiles", "ec2:DescribeSubnets"]);
        });
    });

    it("takes the account from aws:allowedAccountIds when it names exactly one, else any", () => {
        expect(deployerContext({ "aws:region": "eu-west-1", "aws:allowedAccountIds": '["210987654321"]' })).to.deep.equal({ region: "eu-west-1", account: "210987654321" });
        expect(deployerContext({ "aws:region": "eu-west-1" }).account).to.equal("*");
    });

    it("npm run plan -- --deployer-policy <file> writes the policy and its managed-policy parts", async () => {
        const dir = tempDir("deployer-");
        const file = path.join(dir, "deployer-staging.json");
        let stdout = "";
        const code = await cli(["--config", stackFixture("staging"), "--deployer-policy", file], { stdout: (t) => (stdout += t), stderr: () => undefined });
        expect(code).to.equal(0);
        const written = JSON.parse(fs.readFileSync(file, "utf8")) as DeployerPolicy;
        expect(written.Statement.length).to.be.greaterThan(10);
        const parts = fs.readdirSync(dir).filter((f) => /\.part\d+\.json$/.test(f));
        expect(parts.length).to.be.greaterThan(1);
        expect(stdout).to.contain(`Deployer policy (the IAM policy \`pulumi up\` needs for this stack): ${file}`);
    });
});
