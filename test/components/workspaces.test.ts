/**
 * Workspaces (components/workspaces) on planned stacks: the `workspaces` key's rules (AWS's ranges, the environment's
 * cost limits), the domain as planned (VPC-only in the private subnets, IAM, the platform key, Docker off, the built-in
 * lifecycle configuration, idle shutdown), the network (no ingress; HTTPS and the metadata service out; the service
 * admits the workspaces), the profile kept out of the plan, and who may open which workspace, simulated with AWS's
 * policy evaluation logic (offline).
 */
import { expect } from "chai";

import { MOCK_ACCOUNT, RecordedResource } from "../../offline/mocks";
import { IDLE_RANGE, INTERFACE_ENDPOINT_SERVICES, profileNameFor, SPACE_GB_RANGE, STUDIO_COST_LIMITS, workspaceProblems } from "../../components/workspaces";
import { loadConfig } from "../../stacks/config";
import { FIXTURES, policyOf, rejection, runStack, StackRun } from "../harness";
import { simulateRequest } from "../iam/simulation";
import { MAXIMAL, violationsOf } from "../policies/maximal";

const DOMAIN = "aws:sagemaker/domain:Domain";
const PROFILE = "aws:sagemaker/userProfile:UserProfile";
const LCC = "aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig";
const SM = `arn:aws:sagemaker:us-east-1:${MOCK_ACCOUNT}`;
const ENGINEERS = [{ id: "jane.doe@example.com" }, { id: "li.wei@example.com" }, { id: "sam@example.com", profile: "sam-k" }];
const WORKSPACES = { engineerRoleNames: ["ml-engineers"], workspaces: { engineers: ENGINEERS } };


const simulate = (policy: unknown, action: string, resource: string, context: Record<string, string | string[]>) => simulateRequest(`arn:aws:sts::${MOCK_ACCOUNT}:assumed-role/ml-engineers/session`, [policy], action, resource, context);

/** The id the mock runtime gives a resource: `<logical name>-id`, or for a security group the last part of its ARN. */
const idOf = (r: RecordedResource) => (r.type === "aws:ec2/securityGroup:SecurityGroup" ? String(r.state.arn).split("/").pop() : `${r.name}-id`);

const fields = (value: unknown, env: "dev" | "staging" | "prod" = "dev") => workspaceProblems(value, env, STUDIO_COST_LIMITS[env]).map((p) => p.field);

describe("Workspaces", () => {
    describe("rules of the workspaces key", () => {
        it("derives a profile name from the id, and compares names as SageMaker does (case-insensitively)", () => {
            expect(profileNameFor("Jane.Doe@example.com")).to.equal("jane-doe");
            expect(fields({ engineers: [{ id: "jane.doe@example.com" }, { id: "Jane.Doe@example.org" }] })).to.deep.equal(["engineers[1].profile"]);
            expect(fields({ engineers: [{ id: "jane.doe@example.com" }, { id: "Jane.Doe@example.org", profile: "jane-d" }] })).to.deep.equal([]);
            expect(fields({ engineers: [{ id: "a@x" }, { id: "a@x", profile: "other" }] })).to.deep.equal(["engineers[1].id"]);
            expect(fields({ engineers: [] })).to.deep.equal(["engineers"]);
            expect(fields({ engineers: [{ id: "bad#id" }, { id: "ok", profile: "-bad" }, { id: "x", role: "admin" }] })).to.deep.equal(["engineers[0].id", "engineers[1].profile", "engineers[2].role"]);
        });

        it("takes AWS's idle and volume ranges from botocore's model, and refuses values outside them", () => {
            expect(IDLE_RANGE).to.deep.equal({ min: 60, max: 525600 });
            expect(SPACE_GB_RANGE).to.deep.equal({ min: 5, max: 16384 });
            const base = { engineers: ENGINEERS };
            expect(fields({ ...base, idleTimeoutMinutes: 59 })).to.deep.equal(["idleTimeoutMinutes"]);
            expect(fields({ ...base, idleTimeoutMinutes: 60 })).to.deep.equal([]);
            expect(fields({ ...base, spaceStorageGb: { default: 4 } })).to.deep.equal(["spaceStorageGb.default"]);
            expect(fields({ ...base, defaultInstanceType: "ml.t3.huge" })).to.deep.equal(["defaultInstanceType"]);
            expect(fields({ ...base, defaultInstanceType: "system" })).to.deep.equal(["defaultInstanceType"]);
        });

        it("holds each environment to its cost limits, and prod to a retained home volume", () => {
            const base = { engineers: ENGINEERS };
            expect(fields({ ...base, defaultInstanceType: "ml.m5.large" }, "dev")).to.deep.equal([]);
            expect(fields({ ...base, defaultInstanceType: "ml.m5.large" }, "prod")).to.deep.equal(["defaultInstanceType"]);
            expect(fields({ ...base, maxIdleTimeoutMinutes: 120 }, "staging")).to.deep.equal([]);
            expect(fields({ ...base, maxIdleTimeoutMinutes: 120 }, "prod")).to.deep.equal(["maxIdleTimeoutMinutes"]);
            expect(fields({ ...base, idleTimeoutMinutes: 90, maxIdleTimeoutMinutes: 60 }, "dev")).to.deep.equal(["idleTimeoutMinutes"]);
            expect(fields({ ...base, spaceStorageGb: { max: 50 } }, "dev")).to.deep.equal(["spaceStorageGb.max"]);
            expect(fields({ ...base, spaceStorageGb: { default: 15, max: 10 } }, "dev")).to.deep.equal(["spaceStorageGb.default"]);
            expect(fields({ ...base, retainHomeEfs: false }, "prod")).to.deep.equal(["retainHomeEfs"]);
            expect(fields({ ...base, egress: "endpoints" }, "dev")).to.deep.equal(["pipIndexUrl"]);
            expect(fields({ ...base, egress: "endpoints", pipIndexUrl: "https://pypi.internal.example.com/simple" }, "dev")).to.deep.equal([]);
            expect(fields({ ...base, pipIndexUrl: "https://x.example.com/$(id)" }, "dev")).to.deep.equal(["pipIndexUrl"]);
        });

        it("reports every problem of the key with its path, value and what is allowed, including the stack's own cost limits", () => {
            const raw = {
                "aws:region": "us-east-1",
                "metaflow-platform:environment": "prod",
                "metaflow-platform:foundationStack": "acme/a01-foundation/prod",
                "metaflow-platform:owner": "o",
                "metaflow-platform:costCenter": "c",
                "metaflow-platform:costPolicy": JSON.stringify({ allowedStudioInstanceTypes: ["ml.t3.medium", "ml.t3.large"] }),
                "metaflow-platform:workspaces": JSON.stringify({ engineers: [{ id: "a@x" }, { id: "A@y" }], defaultInstanceType: "ml.m5.large", colour: "blue" }),
            };
            const result = loadConfig(raw, { stack: "prod" });
            if (result.ok) throw new Error("expected problems");
            const byKey = Object.fromEntries(result.problems.map((p) => [p.key, p]));
            expect(Object.keys(byKey)).to.have.members([
                "metaflow-platform:workspaces.colour",
                "metaflow-platform:workspaces.engineers[1].profile",
                "metaflow-platform:workspaces.defaultInstanceType",
            ]);
            expect(byKey["metaflow-platform:workspaces.defaultInstanceType"].allowed).to.equal("prod allows ml.t3.medium, ml.t3.large (costPolicy.allowedStudioInstanceTypes)");
            const limit = loadConfig({ ...raw, "metaflow-platform:costPolicy": JSON.stringify({ maxStudioSpaceGb: 3, allowedStudioInstanceTypes: ["ml.t3.nano"] }) }, { stack: "prod" });
            if (limit.ok) throw new Error("expected problems");
            const costKeys = limit.problems.filter((p) => p.key.startsWith("metaflow-platform:costPolicy"));
            const cost = Object.fromEntries(costKeys.map((p) => [p.key.split(".")[1], p.allowed]));
            expect(Object.keys(cost)).to.have.members(["maxStudioSpaceGb", "allowedStudioInstanceTypes"]);
            expect(cost.maxStudioSpaceGb).to.equal("expected an integer of 5-16384 GB (SageMaker's space EBS range)");
            expect(cost.allowedStudioInstanceTypes).to.match(/^ml\.t3\.nano: not a JupyterLab instance type in SageMaker's model \(botocore sagemaker /);
        });
    });

    describe("planned in dev", () => {
        let run: StackRun;
        let domain: RecordedResource;
        before(async () => {
            run = await runStack("dev", { set: WORKSPACES });
            domain = run.one(DOMAIN);
        });

        it("is a VPC-only domain with IAM authentication in the private subnets, under the platform key, Docker off", () => {
            const i = domain.inputs;
            expect(i).to.include({ domainName: "mf-dev-workspaces", authMode: "IAM", appNetworkAccessType: "VpcOnly", tagPropagation: "ENABLED" });
            const key = run.one("aws:kms/key:Key");
            expect(i.kmsKeyId).to.equal(key.state.arn);
            const subnets = run.ofType("aws:ec2/subnet:Subnet").filter((s) => s.name.includes("private")).map(idOf);
            expect(i.subnetIds).to.have.members(subnets).and.have.length(2);
            expect(i.domainSettings).to.deep.include({ executionRoleIdentityConfig: "USER_PROFILE_NAME", dockerSettings: { enableDockerAccess: "DISABLED" } });
            expect(i.retentionPolicy).to.deep.equal({ homeEfsFileSystem: "Delete" });
        });

        it("starts JupyterLab small, with the built-in lifecycle configuration and idle shutdown after 60 minutes", () => {
            const lcc = run.one(LCC);
            const jl = domain.inputs.defaultUserSettings.jupyterLabAppSettings;
            expect(jl.defaultResourceSpec).to.deep.equal({ instanceType: "ml.t3.medium" });
            expect(jl.builtInLifecycleConfigArn).to.equal(lcc.state.arn);
            expect(lcc.inputs.studioLifecycleConfigAppType).to.equal("JupyterLab");
            expect(jl.appLifecycleManagement.idleSettings).to.deep.equal({ lifecycleManagement: "ENABLED", idleTimeoutInMinutes: 60, minIdleTimeoutInMinutes: 60, maxIdleTimeoutInMinutes: 120 });
            expect(domain.inputs.defaultUserSettings.spaceStorageSettings).to.deep.equal({ defaultEbsStorageSettings: { defaultEbsVolumeSizeInGb: 5, maximumEbsVolumeSizeInGb: 20 } });
        });

        it("has one profile per engineer, tagged with their id under the principal tag key, and nothing else to set", () => {
            const profiles = run.ofType(PROFILE).map((p) => [p.inputs.userProfileName, p.inputs.tags]);
            expect(profiles).to.have.deep.members([
                ["jane-doe", { studiouserid: "jane.doe@example.com" }],
                ["li-wei", { studiouserid: "li.wei@example.com" }],
                ["sam-k", { studiouserid: "sam@example.com" }],
            ]);
            expect((run.outputs as any).workspaces.profiles).to.deep.equal({ "jane.doe@example.com": "jane-doe", "li.wei@example.com": "li-wei", "sam@example.com": "sam-k" });
        });

        it("writes the profile from Parameter Store at start: the script names the parameter, and no value of the profile is in the plan's Studio resources", () => {
            const script = Buffer.from(run.one(LCC).inputs.studioLifecycleConfigContent, "base64").toString("utf8");
            expect(script).to.include("'/mf-dev/metaflow/profile'").and.include("config_dev.json").and.include("'metaflow==2.19.38'");
            const profile = (run.outputs as any).metaflowConfig as Record<string, string>;
            const studio = [...run.ofType(DOMAIN), ...run.ofType(PROFILE), ...run.ofType(LCC)].map((r) => JSON.stringify(r.inputs) + script).join("\n");
            // Values long enough to be the profile's own (short ones such as "s3" or "true" occur anywhere).
            const values = Object.entries(profile).filter(([, v]) => v.length >= 12);
            expect(values.map(([k]) => k)).to.include.members(["METAFLOW_SERVICE_URL", "METAFLOW_DATASTORE_SYSROOT_S3", "METAFLOW_ECS_S3_ACCESS_IAM_ROLE"]);
            for (const [k, v] of values) expect(studio, k).not.to.include(v);
        });

        it("admits nothing in; lets HTTPS out and the metadata service's port to its load balancer, which admits the workspaces", () => {
            const sg = run.one("aws:ec2/securityGroup:SecurityGroup", "-workspaces-sg");
            expect(sg.inputs.ingress ?? []).to.deep.equal([]);
            const sgId = idOf(sg);
            expect(run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs.securityGroupId === sgId)).to.deep.equal([]);
            const out = run.ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").filter((r) => r.inputs.securityGroupId === sgId);
            const alb = idOf(run.one("aws:ec2/securityGroup:SecurityGroup", "-metadata-alb-sg"));
            expect(out.map((r) => [r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4 ?? r.inputs.referencedSecurityGroupId])).to.have.deep.members([
                [443, 443, "0.0.0.0/0"],
                [80, 80, alb],
            ]);
            const admitted = run.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "-alb-in-workspaces").inputs;
            expect(admitted).to.include({ securityGroupId: alb, referencedSecurityGroupId: sgId, fromPort: 80, toPort: 80 });
        });

        it("runs each workspace as its engineer's own role trusted by SageMaker, with the engineer policy; the domain's default role has no permissions", () => {
            const fallback = run.one("aws:iam/role:Role", "-workspaces-role");
            expect(domain.inputs.defaultUserSettings.executionRole).to.equal(fallback.state.arn);
            const attached = (role: RecordedResource) => [
                ...run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.role === role.state.name),
                ...run.ofType("aws:iam/rolePolicy:RolePolicy").filter((a) => a.inputs.role === role.state.name),
            ];
            expect(attached(fallback)).to.deep.equal([]);
            const engineerPolicy = run.one("aws:iam/policy:Policy", "-engineers-policy").state.arn;
            for (const profile of run.ofType(PROFILE)) {
                const role = run.one("aws:iam/role:Role", `-workspaces-role-${profile.inputs.userProfileName}`);
                expect(profile.inputs.userSettings).to.deep.equal({ executionRole: role.state.arn });
                expect(JSON.parse(role.inputs.assumeRolePolicy).Statement.map((s: any) => s.Principal.Service)).to.deep.equal(["sagemaker.amazonaws.com"]);
                expect(attached(role).map((a) => a.inputs.policyArn ?? a.name)).to.have.members([engineerPolicy, `${role.name}-studio`]);
            }
        });
    });

    describe("who may open which workspace (simulated)", () => {
        let access: unknown;
        let studio: unknown;
        const profileArn = (name: string) => `${SM}:user-profile/mf-dev-workspaces-domain-id/${name}`;
        before(async () => {
            const run = await runStack("dev", { set: WORKSPACES });
            access = policyOf(run.one("aws:iam/policy:Policy", "-workspaces-access"));
            studio = policyOf(run.one("aws:iam/rolePolicy:RolePolicy", "-workspaces-role-jane-doe-studio"));
            expect(run.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "-workspaces-access-ml-engineers").inputs.role).to.equal("ml-engineers");
        });
        const jane = { "aws:PrincipalTag/studiouserid": "jane.doe@example.com" };
        const owner = (id: string) => ({ "sagemaker:ResourceTag/studiouserid": id });

        it("lets an engineer open their own profile, and not a colleague's behind the same role", async () => {
            expect(await simulate(access, "sagemaker:CreatePresignedDomainUrl", profileArn("jane-doe"), { ...jane, ...owner("jane.doe@example.com") })).to.equal("Allowed");
            expect(await simulate(access, "sagemaker:CreatePresignedDomainUrl", profileArn("li-wei"), { ...jane, ...owner("li.wei@example.com") })).to.equal("ExplicitlyDenied");
            expect(await simulate(access, "sagemaker:CreatePresignedDomainUrl", `${SM}:user-profile/d-other/jane-doe`, { ...jane, ...owner("jane.doe@example.com") })).to.equal("ImplicitlyDenied");
        });

        it("refuses a session without the principal tag, and any tag change on profiles or the domain", async () => {
            expect(await simulate(access, "sagemaker:CreatePresignedDomainUrl", profileArn("jane-doe"), owner("jane.doe@example.com"))).to.equal("ExplicitlyDenied");
            expect(await simulate(access, "sagemaker:AddTags", profileArn("li-wei"), jane)).to.equal("ExplicitlyDenied");
            expect(await simulate(access, "sagemaker:DeleteTags", `${SM}:domain/mf-dev-workspaces-domain-id`, jane)).to.equal("ExplicitlyDenied");
            expect(await simulate(access, "sagemaker:UpdateUserProfile", profileArn("jane-doe"), jane)).to.equal("ExplicitlyDenied");
            expect(await simulate(access, "sagemaker:CreateNotebookInstance", `${SM}:notebook-instance/x`, { "sagemaker:RootAccess": "Enabled" })).to.equal("ExplicitlyDenied");
        });

        it("lets an engineer's JupyterLab start apps only in their own private space and only on the allowed instance types", async () => {
            const ctx = { "sagemaker:SpaceSharingType": "Private" };
            const app = `${SM}:app/mf-dev-workspaces-domain-id/jane-space/jupyterlab/default`;
            const mine = { ...ctx, "sagemaker:OwnerUserProfileArn": profileArn("jane-doe") };
            expect(await simulate(studio, "sagemaker:CreateApp", app, { ...mine, "sagemaker:InstanceTypes": ["ml.t3.medium"] })).to.equal("Allowed");
            expect(await simulate(studio, "sagemaker:CreateApp", app, { ...mine, "sagemaker:InstanceTypes": ["ml.p4d.24xlarge"] })).to.equal("ExplicitlyDenied");
            expect(await simulate(studio, "sagemaker:CreateApp", app, { ...ctx, "sagemaker:OwnerUserProfileArn": profileArn("li-wei"), "sagemaker:InstanceTypes": ["ml.t3.medium"] })).to.equal("ImplicitlyDenied");
            expect(await simulate(studio, "sagemaker:CreateApp", app, { ...mine, "sagemaker:SpaceSharingType": "Shared", "sagemaker:InstanceTypes": ["ml.t3.medium"] })).to.equal("ImplicitlyDenied");
            expect(await simulate(studio, "sagemaker:CreateSpace", `${SM}:space/mf-dev-workspaces-domain-id/jane-space`, { ...mine, "sagemaker:InstanceTypes": ["ml.t3.medium"] })).to.equal("Allowed");
            expect(await simulate(studio, "sagemaker:CreateSpace", `${SM}:space/other-domain/jane-space`, { ...mine, "sagemaker:InstanceTypes": ["ml.t3.medium"] })).to.equal("ImplicitlyDenied");
            expect(await simulate(studio, "sagemaker:CreatePresignedDomainUrl", profileArn("jane-doe"), {})).to.equal("Allowed");
            expect(await simulate(studio, "sagemaker:CreatePresignedDomainUrl", profileArn("li-wei"), {})).to.equal("ImplicitlyDenied");
        });
    });

    describe("on a foundation", () => {
        const onFoundation = { ...WORKSPACES, foundationStack: "acme/a01-foundation/dev" };
        const noNat = { ...FIXTURES, "acme/a01-foundation/dev": { ...FIXTURES["acme/a01-foundation/dev"], privateEgress: "none" } };

        it("runs in the foundation's private subnets", async () => {
            const run = await runStack("dev", { set: onFoundation });
            expect(run.one(DOMAIN).inputs.subnetIds).to.deep.equal(FIXTURES["acme/a01-foundation/dev"].privateSubnetIds);
            expect(run.ofType("aws:ec2/vpcEndpoint:VpcEndpoint").filter((e) => e.inputs.vpcEndpointType === "Interface")).to.deep.equal([]);
        });

        it("refuses egress network when the foundation has no NAT, naming the key and the way out", async () => {
            const err = await rejection(runStack("dev", { set: onFoundation, references: noNat }));
            expect(err.message).to.include("metaflow-platform:workspaces.egress").and.include('privateEgress "none"').and.include("set workspaces.egress to endpoints");
        });

        it("adds the interface endpoints VPC-only mode needs with egress endpoints, open to the workspaces only", async () => {
            const run = await runStack("dev", { set: { ...onFoundation, workspaces: { engineers: ENGINEERS, egress: "endpoints", pipIndexUrl: "https://pypi.internal.example.com/simple" } }, references: noNat });
            const endpoints = run.ofType("aws:ec2/vpcEndpoint:VpcEndpoint").filter((e) => e.inputs.vpcEndpointType === "Interface");
            expect(endpoints.map((e) => e.inputs.serviceName)).to.have.members(INTERFACE_ENDPOINT_SERVICES.map((s) => `com.amazonaws.us-east-1.${s}`));
            expect(endpoints.every((e) => e.inputs.privateDnsEnabled === true)).to.equal(true);
            const sg = idOf(run.one("aws:ec2/securityGroup:SecurityGroup", "-workspaces-endpoints-sg"));
            const rules = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs.securityGroupId === sg);
            expect(rules.map((r) => r.inputs.referencedSecurityGroupId)).to.deep.equal([idOf(run.one("aws:ec2/securityGroup:SecurityGroup", "-workspaces-sg"))]);
            const script = Buffer.from(run.one(LCC).inputs.studioLifecycleConfigContent, "base64").toString("utf8");
            expect(script).to.include("--index-url 'https://pypi.internal.example.com/simple'");
        });
    });

    describe("passes the three packs", () => {
        const cases: Array<[string, "dev" | "prod", Record<string, unknown>]> = [
            ["dev with its own network", "dev", WORKSPACES],
            ["dev on a foundation", "dev", { ...WORKSPACES, foundationStack: "acme/a01-foundation/dev" }],
            ["prod", "prod", WORKSPACES],
            ["prod, maximal configuration (longest names, interface endpoints)", "prod", MAXIMAL],
        ];
        for (const [what, stack, set] of cases) {
            it(what, async () => {
                const run = await runStack(stack, { set });
                expect(run.ofType(DOMAIN)).to.have.length(1);
                const budget = (set.monthlyBudgetUsd as number | undefined) ?? (stack === "prod" ? 3000 : 300);
                // Mandatory ones, and every one of the AWS constraints pack (the UI's advisory read-only-root findings stay advisory).
                const blocking = violationsOf(run, stack, budget).filter((v) => v.enforcementLevel === "mandatory" || v.pack === "aws");
                expect(blocking.map((v) => `${v.policy}: ${v.message}`)).to.deep.equal([]);
            });
        }
    });

    it("keeps prod's domain protected and its home volume when the domain goes", async () => {
        const run = await runStack("prod", { set: { ...WORKSPACES } });
        const d = run.one(DOMAIN);
        expect(d.protect).to.equal(true);
        expect(d.inputs.retentionPolicy).to.deep.equal({ homeEfsFileSystem: "Retain" });
        expect(d.inputs.defaultUserSettings.jupyterLabAppSettings.appLifecycleManagement.idleSettings.maxIdleTimeoutInMinutes).to.equal(60);
    });
});
