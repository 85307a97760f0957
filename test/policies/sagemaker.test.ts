/**
 * The Studio workspaces rules of the security and cost packs (policies/security/rules/sagemaker.ts, policies/cost/rules.ts),
 * shape by shape, on the plan the Workspaces component will produce (test/policies/studio-fixtures.ts): each violating
 * shape is reported with its own message, the compliant plan passes, and a value unknown during a preview keeps the check
 * that needs it silent. "Preview" views are what CrossGuard gives a policy (policies/lib/view.ts `fromCrossGuard`): inputs
 * only, no outputs or ids, and the engine's property dependencies.
 */
import { expect } from "chai";

import { costRules } from "../../policies/cost/rules";
import { evaluate, PolicyConfigFile, Rule } from "../../policies/lib/rule";
import { T } from "../../policies/lib/types";
import { ResourceView, UNKNOWN } from "../../policies/lib/view";
import { ownerTagKey } from "../../policies/security/rules/sagemaker";
import { SECURITY_RULES } from "../../policies/security/rules/index";
import { PROVIDER, res, withProvider } from "./fixtures";
import { domain, KEY_ARN, lcc, platformKey, profile, ROLE_ARN, studioPlan } from "./studio-fixtures";

const U = UNKNOWN;
const ALL: Rule[] = [...SECURITY_RULES, ...costRules];
const rule = (name: string) => ALL.find((r) => r.name === name)!;
const messages = (name: string, plan: ResourceView[], file: PolicyConfigFile = {}) => evaluate([rule(name)], plan, file).map((v) => v.message);
const dev = (name: string): PolicyConfigFile => ({ [name]: { environment: "dev" } });

/** A view as CrossGuard passes it during a preview: no outputs, no id, property dependencies by top-level input. */
const preview = (r: ResourceView, propertyDependencies: Record<string, string[]> = {}): ResourceView => ({ ...r, outputs: undefined, id: undefined, propertyDependencies });

const idle = (settings: Record<string, any>) => ({ defaultUserSettings: { jupyterLabAppSettings: { appLifecycleManagement: { idleSettings: settings } } } });
const ebs = (settings: Record<string, any>) => ({ spaceStorageSettings: { defaultEbsStorageSettings: settings } });

describe("Studio workspaces: security rules", () => {
    it("the compliant plan (dev's limits) passes every rule of both packs that reads Studio resources, in dev and staging", () => {
        const names = ["sagemaker-domain-vpc-only", "sagemaker-domain-customer-key", "sagemaker-domain-no-docker", "sagemaker-domain-builtin-lcc", "sagemaker-profile-owner-tag", "cost-studio-instance-types", "cost-studio-idle-shutdown", "cost-studio-space-storage"];
        for (const env of ["dev", "staging"]) {
            const found = evaluate(names.map(rule), studioPlan(), Object.fromEntries(names.map((n) => [n, { environment: env }])));
            expect(found, `${env}: ${JSON.stringify(found, null, 1)}`).to.deep.equal([]);
        }
    });

    describe("sagemaker-domain-vpc-only", () => {
        it("reports public internet access, SSO authentication and a public subnet, each by name", () => {
            expect(messages("sagemaker-domain-vpc-only", studioPlan({ domain: { appNetworkAccessType: undefined } }))).to.deep.equal([
                "domain workspaces-domain: appNetworkAccessType is unset (PublicInternetOnly): set VpcOnly, so Studio's traffic stays in the platform's VPC",
            ]);
            expect(messages("sagemaker-domain-vpc-only", studioPlan({ domain: { authMode: "SSO" } }))[0]).to.match(/authMode is SSO: set IAM/);
            const publicSubnet = res(T.subnet, "public-a", { mapPublicIpOnLaunch: true }, { outputs: { id: "subnet-a" } });
            const privateSubnet = res(T.subnet, "private-b", { mapPublicIpOnLaunch: false }, { outputs: { id: "subnet-b" } });
            expect(messages("sagemaker-domain-vpc-only", [...studioPlan(), publicSubnet, privateSubnet])).to.deep.equal(["domain workspaces-domain: subnetIds include public subnet(s) public-a (mapPublicIpOnLaunch): use the private subnets"]);
            expect(messages("sagemaker-domain-vpc-only", [...studioPlan(), privateSubnet])).to.deep.equal([]);
        });
        it("is silent on values unknown during a preview, and judges the subnets through property dependencies", () => {
            const unknown = preview(domain({ appNetworkAccessType: U, authMode: U, subnetIds: [U, U] }), { subnetIds: ["urn:subnet"] });
            expect(messages("sagemaker-domain-vpc-only", [unknown])).to.deep.equal([]);
            const publicSubnet = { ...preview(res(T.subnet, "public-a", { mapPublicIpOnLaunch: true })), urn: "urn:subnet" };
            expect(messages("sagemaker-domain-vpc-only", [unknown, publicSubnet])).to.have.length(1);
        });
    });

    describe("sagemaker-domain-customer-key", () => {
        it("reports an AWS managed key and an asymmetric key of the stack; accepts an external customer key by value", () => {
            expect(messages("sagemaker-domain-customer-key", studioPlan({ domain: { kmsKeyId: "alias/aws/sagemaker" } }))).to.deep.equal(["domain workspaces-domain: kmsKeyId alias/aws/sagemaker is an AWS managed key: use the platform's customer-managed key"]);
            expect(messages("sagemaker-domain-customer-key", studioPlan({ key: { keySpec: "RSA_2048", keyUsage: "SIGN_VERIFY" } }))).to.deep.equal([
                "domain workspaces-domain: kmsKeyId names key platform-key (RSA_2048, SIGN_VERIFY): EFS and EBS need a symmetric encryption key",
            ]);
            const external = "arn:aws:kms:us-east-1:123456789012:key/foundation";
            expect(messages("sagemaker-domain-customer-key", studioPlan({ domain: { kmsKeyId: external } }))).to.deep.equal([]);
        });
        it("during a preview judges the key the domain depends on, reports a value from something that is no key, and is silent without dependencies", () => {
            const key = (props: Record<string, any>) => preview(platformKey(props));
            const d = (deps: string[]) => preview(domain({ kmsKeyId: U }), { kmsKeyId: deps });
            expect(messages("sagemaker-domain-customer-key", [key({}), d([key({}).urn])])).to.deep.equal([]);
            expect(messages("sagemaker-domain-customer-key", [key({ customerMasterKeySpec: "RSA_4096" }), d([key({}).urn])])).to.have.length(1);
            const role = preview(res(T.role, "workspaces-role", {}));
            expect(messages("sagemaker-domain-customer-key", [role, d([role.urn])])).to.deep.equal(["domain workspaces-domain: kmsKeyId comes from Role workspaces-role, not a KMS key of the stack"]);
            expect(messages("sagemaker-domain-customer-key", [preview(domain({ kmsKeyId: U }))])).to.deep.equal([]);
        });
    });

    describe("sagemaker-domain-no-docker", () => {
        it("requires DISABLED explicitly and is silent on an unknown value", () => {
            expect(messages("sagemaker-domain-no-docker", [domain({ domainSettings: { dockerSettings: undefined } })])).to.deep.equal([
                "domainSettings.dockerSettings.enableDockerAccess is unset: set DISABLED (Studio has no root-access setting; Docker access is the root-equivalent it offers)",
            ]);
            expect(messages("sagemaker-domain-no-docker", [domain({ domainSettings: { dockerSettings: { enableDockerAccess: U } } })])).to.deep.equal([]);
        });
    });

    describe("sagemaker-domain-builtin-lcc", () => {
        const JL = (arn: unknown) => ({ defaultUserSettings: { jupyterLabAppSettings: { builtInLifecycleConfigArn: arn } } });
        it("reports no built-in configuration, and one that names no lifecycle configuration of the stack", () => {
            expect(messages("sagemaker-domain-builtin-lcc", studioPlan({ domain: JL(undefined) }))[0]).to.match(/builtInLifecycleConfigArn is not set/);
            const other = "arn:aws:sagemaker:us-east-1:123456789012:studio-lifecycle-config/someone-elses";
            expect(messages("sagemaker-domain-builtin-lcc", studioPlan({ domain: JL(other) }))).to.deep.equal([`domain workspaces-domain: defaultUserSettings.jupyterLabAppSettings.builtInLifecycleConfigArn ${other} names no StudioLifecycleConfig of this stack`]);
        });
        it("finds the configuration by the name its ARN ends with when the source has no outputs (CrossGuard during pulumi up)", () => {
            const plan = [preview(lcc()), preview(domain())];
            expect(messages("sagemaker-domain-builtin-lcc", plan)).to.deep.equal([]);
            expect(messages("sagemaker-domain-builtin-lcc", [preview(lcc({ studioLifecycleConfigAppType: "KernelGateway" })), preview(domain())])[0]).to.match(/of app type KernelGateway, not JupyterLab/);
        });
        it("reports a profile that replaces the domain's configuration, not one that repeats it", () => {
            const replaced = profile("jane", { userSettings: { executionRole: ROLE_ARN, jupyterLabAppSettings: { builtInLifecycleConfigArn: "arn:aws:sagemaker:us-east-1:123456789012:studio-lifecycle-config/mine" } } });
            expect(messages("sagemaker-domain-builtin-lcc", studioPlan({ profiles: [replaced] }))[0]).to.match(/^user profile workspaces-profile-jane: userSettings.jupyterLabAppSettings.builtInLifecycleConfigArn .*mine replaces the domain's built-in lifecycle configuration/);
            const same = profile("jane", { userSettings: { jupyterLabAppSettings: { builtInLifecycleConfigArn: domain().props.defaultUserSettings.jupyterLabAppSettings.builtInLifecycleConfigArn } } });
            expect(messages("sagemaker-domain-builtin-lcc", studioPlan({ profiles: [same] }))).to.deep.equal([]);
        });
        it("is silent on an ARN unknown during a preview", () => {
            expect(messages("sagemaker-domain-builtin-lcc", [preview(lcc()), preview(domain(JL(U)), { defaultUserSettings: [lcc().urn] })])).to.deep.equal([]);
            const unknownProfile = preview(profile("jane", { domainId: U, userSettings: { jupyterLabAppSettings: { builtInLifecycleConfigArn: U } } }), { domainId: [domain().urn] });
            expect(messages("sagemaker-domain-builtin-lcc", [preview(lcc()), preview(domain()), unknownProfile])).to.deep.equal([]);
        });
    });

    describe("sagemaker-profile-owner-tag", () => {
        const name = "sagemaker-profile-owner-tag";
        it("reports a profile without the owner tag, or with an empty one, naming the shared key", () => {
            const plan = studioPlan({ profiles: [profile("jane"), profile("omar"), profile("li", { tags: { studiouserid: " " } }), profile("ana", { tags: undefined })] });
            expect(messages(name, plan)).to.deep.equal([
                "user profile workspaces-profile-li carries no studiouserid tag with a value (the owner tag the other profiles carry): no engineer's principal tag matches it",
                "user profile workspaces-profile-ana carries no studiouserid tag with a value (the owner tag the other profiles carry): no engineer's principal tag matches it",
            ]);
            expect(messages(name, studioPlan({ profiles: [profile("jane", { tags: undefined })] }))).to.deep.equal(["user profile workspaces-profile-jane carries no owner tag: tag it with its engineer's principal-tag value (e.g. studiouserid)"]);
        });
        it("finds the owner key: the one most profiles carry, then the one whose values differ, so a team tag or one odd key does not count", () => {
            const team = (n: string, extra: Record<string, string> = {}) => profile(n, { tags: { studiouserid: undefined, cohort: "ml", ...extra } });
            expect(ownerTagKey([team("a", { owner: "a@x" }), team("b", { owner: "b@x" })])).to.equal("owner");
            expect(ownerTagKey([profile("a"), profile("b"), profile("c", { tags: { studiouserid: undefined, owner: "c@x" } })])).to.equal("studiouserid");
            const odd = studioPlan({ profiles: [profile("jane"), profile("omar"), profile("li", { tags: { studiouserid: undefined, owner: "li@example.com" } })] });
            expect(messages(name, odd)).to.deep.equal(["user profile workspaces-profile-li carries no studiouserid tag with a value (the owner tag the other profiles carry): no engineer's principal tag matches it"]);
        });
        it("reports a profile that runs as a role outside the stack, or shows an app type the domain hides; accepts the domain's own settings", () => {
            const other = profile("jane", { userSettings: { executionRole: "arn:aws:iam::123456789012:role/admin", studioWebPortalSettings: { hiddenAppTypes: ["Canvas"] } } });
            expect(messages(name, studioPlan({ profiles: [other] }))).to.deep.equal([
                "user profile workspaces-profile-jane: userSettings.executionRole arn:aws:iam::123456789012:role/admin is neither the domain's execution role nor a role of this stack",
                "user profile workspaces-profile-jane: userSettings.studioWebPortalSettings.hiddenAppTypes shows CodeEditor, RStudioServerPro, which the domain hides",
            ]);
            const same = profile("jane", { userSettings: { executionRole: ROLE_ARN, securityGroups: ["sg-0workspaces"], studioWebPortalSettings: { hiddenAppTypes: ["Canvas", "CodeEditor", "RStudioServerPro", "Other"] } } });
            expect(messages(name, studioPlan({ profiles: [same] }))).to.deep.equal([]);
        });
        it("accepts each engineer's own role that only SageMaker may assume; reports one trusted by others, or shared by two profiles", () => {
            const trust = (principal: Record<string, unknown>) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" }] });
            const role = (n: string, principal: Record<string, unknown> = { Service: "sagemaker.amazonaws.com" }) =>
                res(T.role, `ws-${n}`, { name: `mf-dev-ws-${n}`, assumeRolePolicy: trust(principal) }, { outputs: { arn: `arn:aws:iam::123456789012:role/mf-dev-ws-${n}` } });
            const runsAs = (n: string, r: string) => profile(n, { userSettings: { executionRole: `arn:aws:iam::123456789012:role/mf-dev-ws-${r}` } });
            expect(messages(name, [...studioPlan({ profiles: [runsAs("jane", "jane"), runsAs("li", "li")] }), role("jane"), role("li")])).to.deep.equal([]);
            expect(messages(name, [...studioPlan({ profiles: [runsAs("jane", "jane")] }), role("jane", { Service: ["sagemaker.amazonaws.com", "ec2.amazonaws.com"] })])).to.deep.equal([
                "user profile workspaces-profile-jane: userSettings.executionRole arn:aws:iam::123456789012:role/mf-dev-ws-jane may be assumed by sagemaker.amazonaws.com, ec2.amazonaws.com: an engineer's workspace role trusts sagemaker.amazonaws.com only",
            ]);
            expect(messages(name, [...studioPlan({ profiles: [runsAs("jane", "jane")] }), role("jane", { AWS: "arn:aws:iam::123456789012:root" })])).to.deep.equal([
                "user profile workspaces-profile-jane: userSettings.executionRole arn:aws:iam::123456789012:role/mf-dev-ws-jane may be assumed by principals other than SageMaker: an engineer's workspace role trusts sagemaker.amazonaws.com only",
            ]);
            expect(messages(name, [...studioPlan({ profiles: [runsAs("jane", "jane"), runsAs("li", "jane")] }), role("jane")])).to.deep.equal([
                "user profile workspaces-profile-jane: userSettings.executionRole arn:aws:iam::123456789012:role/mf-dev-ws-jane is also the role of user profile workspaces-profile-li: each engineer's workspace runs as a role of their own",
                "user profile workspaces-profile-li: userSettings.executionRole arn:aws:iam::123456789012:role/mf-dev-ws-jane is also the role of user profile workspaces-profile-jane: each engineer's workspace runs as a role of their own",
            ]);
        });
        it("is silent on tags, tag values and roles unknown during a preview", () => {
            const plan = [
                preview(domain()),
                preview(profile("jane", { tags: U })),
                preview(profile("omar", { tags: { studiouserid: U } })),
                preview(profile("li", { userSettings: { executionRole: U } }), { domainId: [domain().urn] }),
            ];
            expect(messages(name, plan)).to.deep.equal([]);
        });
    });
});

describe("Studio workspaces: cost rules", () => {
    it("cost-studio-instance-types: the domain's default, its shared spaces' default and a profile's, against the environment's list", () => {
        const name = "cost-studio-instance-types";
        const plan = studioPlan({
            domain: { defaultUserSettings: { jupyterLabAppSettings: { defaultResourceSpec: { instanceType: "ml.g5.xlarge" } } }, defaultSpaceSettings: { jupyterLabAppSettings: { defaultResourceSpec: { instanceType: "ml.t3.large" } } } },
        });
        expect(messages(name, plan, dev(name))).to.deep.equal(["defaultUserSettings.jupyterLabAppSettings.defaultResourceSpec.instanceType ml.g5.xlarge is not allowed in dev: ml.t3.medium, ml.t3.large, ml.t3.xlarge, ml.m5.large, ml.m5.xlarge"]);
        expect(messages(name, plan, { [name]: { environment: "prod" } })).to.have.length(2);
        expect(messages(name, studioPlan(), { [name]: { environment: "dev", allowedStudioInstanceTypes: ["ml.t3.large"] } })).to.have.length(1);
        expect(messages(name, [domain({ defaultUserSettings: { jupyterLabAppSettings: { defaultResourceSpec: { instanceType: U } } } })])).to.deep.equal([]);
    });

    it("cost-studio-idle-shutdown: enabled, both timeouts set and within the limit; a profile may not disable it", () => {
        const name = "cost-studio-idle-shutdown";
        const at = "defaultUserSettings.jupyterLabAppSettings.appLifecycleManagement.idleSettings";
        expect(messages(name, [domain(idle({ lifecycleManagement: "DISABLED" }))], dev(name))).to.deep.equal([`${at}.lifecycleManagement is DISABLED: JupyterLab must shut down when idle (ENABLED)`]);
        expect(messages(name, [domain(idle({ idleTimeoutInMinutes: 180, maxIdleTimeoutInMinutes: undefined }))], dev(name))).to.deep.equal([
            `${at}.idleTimeoutInMinutes 180 exceeds 120 minutes in dev`,
            `${at}.maxIdleTimeoutInMinutes is not set: set it to at most 120 minutes in dev`,
        ]);
        expect(messages(name, [domain()], { [name]: { environment: "prod" } })).to.deep.equal([`${at}.maxIdleTimeoutInMinutes 120 exceeds 60 minutes in prod`]);
        const off = profile("jane", { userSettings: { jupyterLabAppSettings: { appLifecycleManagement: { idleSettings: { lifecycleManagement: "DISABLED" } } } } });
        expect(messages(name, [domain(), off, profile("omar")], dev(name))).to.deep.equal(["userSettings.jupyterLabAppSettings.appLifecycleManagement.idleSettings.lifecycleManagement is DISABLED: JupyterLab must shut down when idle (ENABLED)"]);
        expect(messages(name, [domain(idle({ lifecycleManagement: U, idleTimeoutInMinutes: U, maxIdleTimeoutInMinutes: U }))], dev(name))).to.deep.equal([]);
    });

    it("cost-studio-space-storage: the default and maximum space volume set and within the limit, on the domain and any profile", () => {
        const name = "cost-studio-space-storage";
        const at = "spaceStorageSettings.defaultEbsStorageSettings";
        expect(messages(name, [domain({ defaultUserSettings: ebs({ defaultEbsVolumeSizeInGb: 30, maximumEbsVolumeSizeInGb: undefined }) })], dev(name))).to.deep.equal([
            `defaultUserSettings.${at}.defaultEbsVolumeSizeInGb 30 exceeds 20 GB in dev`,
            `defaultUserSettings.${at}.maximumEbsVolumeSizeInGb is not set: set it to at most 20 GB in dev`,
        ]);
        expect(messages(name, [domain(), profile("jane", { userSettings: ebs({ maximumEbsVolumeSizeInGb: 50 }) })], dev(name))).to.deep.equal([`userSettings.${at}.maximumEbsVolumeSizeInGb 50 exceeds 20 GB in dev`]);
        expect(messages(name, [domain()], { [name]: { environment: "prod" } })).to.deep.equal([`defaultUserSettings.${at}.maximumEbsVolumeSizeInGb 20 exceeds 10 GB in prod`]);
        expect(messages(name, [domain({ defaultUserSettings: ebs({ defaultEbsVolumeSizeInGb: U, maximumEbsVolumeSizeInGb: U }) })], dev(name))).to.deep.equal([]);
    });

    it("cost-required-tags: the domain, profiles and lifecycle configuration carry the cost-allocation tags (the provider's defaults count)", () => {
        const name = "cost-required-tags";
        const plan = [lcc(), domain(), profile("jane")];
        expect(messages(name, plan).map((m) => m.split(" lacks")[0])).to.deep.equal(["workspaces-lcc", "workspaces-domain", "workspaces-profile-jane"]);
        expect(messages(name, [PROVIDER, ...plan.map(withProvider)])).to.deep.equal([]);
    });

    it("KEY_ARN is the planned key's ARN, so the compliant plan's key is found by value", () => {
        expect(platformKey().outputs!.arn).to.equal(KEY_ARN);
        expect(domain().props.kmsKeyId).to.equal(KEY_ARN);
    });
});
