/**
 * The AWS constraints pack on the SageMaker types the workspaces and serving design (issue 19) plans: for each, a
 * compliant planned resource passes every rule of the pack, and a value AWS refuses is reported with AWS's limit and
 * the model it comes from. No stack plans these types yet; these fixtures are the pack's only exercise of them.
 */
import { expect } from "chai";

import { AWS_DATA } from "../../aws-facts/data";
import { NAME_LIMITS } from "../../components/naming";
import { AWS_RULES } from "../../policies/aws/rules";
import { evaluate } from "../../policies/lib/rule";
import { ResourceView } from "../../policies/lib/view";
import { res } from "./fixtures";

const DOMAIN = "aws:sagemaker/domain:Domain";
const PROFILE = "aws:sagemaker/userProfile:UserProfile";
const LCC = "aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig";
const GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup";
const MODEL = "aws:sagemaker/model:Model";
const CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration";
const ENDPOINT = "aws:sagemaker/endpoint:Endpoint";

const IDLE = "jupyterLabAppSettings.appLifecycleManagement.idleSettings";
const idle = (minutes: number) => ({ jupyterLabAppSettings: { appLifecycleManagement: { idleSettings: { lifecycleManagement: "ENABLED", idleTimeoutInMinutes: minutes, maxIdleTimeoutInMinutes: 120 } } } });
const domain = (props: Record<string, any> = {}) =>
    res(DOMAIN, "workspaces", {
        domainName: "mf-prod-workspaces",
        authMode: "IAM",
        appNetworkAccessType: "VpcOnly",
        vpcId: "vpc-1",
        subnetIds: ["subnet-1", "subnet-2"],
        defaultUserSettings: { executionRole: "arn:aws:iam::123456789012:role/mf-prod-studio", ...idle(60) },
        ...props,
    });
const profile = (props: Record<string, any> = {}) => res(PROFILE, "jane", { domainId: "d-abc123", userProfileName: "jane-doe", userSettings: { executionRole: "arn:aws:iam::123456789012:role/mf-prod-studio", ...idle(90) }, ...props });
const script = (text: string) => Buffer.from(text).toString("base64");
const lcc = (props: Record<string, any> = {}) => res(LCC, "setup", { studioLifecycleConfigName: "mf-prod-setup", studioLifecycleConfigAppType: "JupyterLab", studioLifecycleConfigContent: script("#!/bin/bash\npip install metaflow\n"), ...props });
const group = (name: string) => res(GROUP, "churn", { modelPackageGroupName: name });
const model = (name: string, props: Record<string, any> = {}) => res(MODEL, name, { executionRoleArn: "arn:aws:iam::123456789012:role/mf-prod-serve-churn", primaryContainer: { image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/serve:1" }, ...props });
const variant = (serverless: Record<string, any>) => ({ variantName: "primary", modelName: "mf-prod-churn-v1", serverlessConfig: { memorySizeInMb: 2048, maxConcurrency: 5, ...serverless } });
const config = (name: string, props: Record<string, any> = {}) => res(CONFIG, name, { productionVariants: [variant({})], ...props });
const endpoint = (name: string, props: Record<string, any> = {}) => res(ENDPOINT, name, { endpointConfigName: "mf-prod-churn-v1", ...props });

interface Case {
    /** The inputs the pack must hold a constraint for (so a compliant fixture cannot pass by being unchecked). */
    checks: Array<[string, string]>;
    good: ResourceView[];
    bad: ResourceView[];
    /** What the violations must say, in order. */
    expect: RegExp;
}

const CASES: Record<string, Case> = {
    "Domain: a 64-character domain name": {
        checks: [[DOMAIN, "domainName"]],
        good: [domain({ domainName: "a".repeat(63) })],
        bad: [domain({ domainName: "a".repeat(64) })],
        expect: /domainName "a{64}" has 64 characters; AWS allows at most 63 \(botocore sagemaker CreateDomainRequest.DomainName\)/,
    },
    "Domain: auth mode and network access outside AWS's values": {
        checks: [[DOMAIN, "authMode"], [DOMAIN, "appNetworkAccessType"]],
        good: [domain(), domain({ authMode: "SSO", appNetworkAccessType: "PublicInternetOnly" })],
        bad: [domain({ authMode: "OIDC", appNetworkAccessType: "VpcOnlyWithNat" })],
        expect: /authMode "OIDC" is not one of SSO, IAM[\s\S]*appNetworkAccessType "VpcOnlyWithNat" is not one of PublicInternetOnly, VpcOnly/,
    },
    "Domain: a JupyterLab idle timeout of 59 minutes": {
        checks: [[DOMAIN, `defaultUserSettings.${IDLE}.idleTimeoutInMinutes`], [DOMAIN, `defaultUserSettings.${IDLE}.maxIdleTimeoutInMinutes`], [DOMAIN, `defaultUserSettings.${IDLE}.lifecycleManagement`]],
        good: [domain({ defaultUserSettings: { executionRole: "r", ...idle(60) } }), domain({ defaultUserSettings: { executionRole: "r", ...idle(525600) } })],
        bad: [domain({ defaultUserSettings: { executionRole: "r", ...idle(59) } }), domain({ defaultUserSettings: { executionRole: "r", ...idle(525601) } })],
        expect: new RegExp(`defaultUserSettings.${IDLE}.idleTimeoutInMinutes 59 is below the minimum 60 \\(botocore sagemaker IdleSettings.IdleTimeoutInMinutes\\)[\\s\\S]*idleTimeoutInMinutes 525601 is above the maximum 525600`),
    },
    "UserProfile: a name with a dot, and its own idle timeout": {
        checks: [[PROFILE, "userProfileName"], [PROFILE, `userSettings.${IDLE}.idleTimeoutInMinutes`]],
        good: [profile()],
        bad: [profile({ userProfileName: "jane.doe", userSettings: { executionRole: "r", ...idle(30) } })],
        expect: /userProfileName "jane.doe" does not match[\s\S]*\(botocore sagemaker CreateUserProfileRequest.UserProfileName\)[\s\S]*idleTimeoutInMinutes 30 is below the minimum 60/,
    },
    "StudioLifecycleConfig: content over 16384 characters": {
        checks: [[LCC, "studioLifecycleConfigContent"], [LCC, "studioLifecycleConfigName"], [LCC, "studioLifecycleConfigAppType"]],
        good: [lcc(), lcc({ studioLifecycleConfigContent: "A".repeat(16384) })],
        bad: [lcc({ studioLifecycleConfigContent: "A".repeat(16388) })],
        expect: /studioLifecycleConfigContent "A{60}\.\.\." has 16388 characters; AWS allows at most 16384 \(botocore sagemaker CreateStudioLifecycleConfigRequest.StudioLifecycleConfigContent\)/,
    },
    "StudioLifecycleConfig: an app type AWS does not list": {
        checks: [[LCC, "studioLifecycleConfigAppType"]],
        good: [lcc({ studioLifecycleConfigAppType: "CodeEditor" })],
        bad: [lcc({ studioLifecycleConfigAppType: "Jupyter" })],
        expect: /studioLifecycleConfigAppType "Jupyter" is not one of JupyterServer, KernelGateway, CodeEditor, JupyterLab/,
    },
    "ModelPackageGroup: an invalid group name": {
        checks: [[GROUP, "modelPackageGroupName"]],
        good: [group("mf-prod-churn"), group("a".repeat(63))],
        bad: [group("mf_prod_churn"), group("mf-prod-churn-")],
        expect: /modelPackageGroupName "mf_prod_churn" does not match \^\(\?:\[a-zA-Z0-9\]\(-\*\[a-zA-Z0-9\]\)\{0,62\}\)\$ \(botocore sagemaker CreateModelPackageGroupInput.ModelPackageGroupName\)[\s\S]*"mf-prod-churn-" does not match/,
    },
    "Model: a name ending in a hyphen": {
        checks: [[MODEL, "name"]],
        good: [model("churn", { name: "mf-prod-churn-v1" })],
        bad: [model("churn", { name: "mf-prod-churn-" })],
        expect: /name "mf-prod-churn-" does not match[\s\S]*\(botocore sagemaker CreateModelInput.ModelName\)/,
    },
    "EndpointConfiguration: a serverless memory of 512 MB, and concurrency outside 1-200": {
        checks: [[CONFIG, "name"], [CONFIG, "productionVariants[].serverlessConfig.memorySizeInMb"], [CONFIG, "productionVariants[].serverlessConfig.maxConcurrency"]],
        good: [config("churn", { name: "mf-prod-churn-v1", productionVariants: [variant({ memorySizeInMb: 1024, maxConcurrency: 1 }), variant({ memorySizeInMb: 6144, maxConcurrency: 200 })] })],
        bad: [config("churn", { name: "mf-prod-churn-v1", productionVariants: [variant({ memorySizeInMb: 512, maxConcurrency: 201 }), variant({ memorySizeInMb: 1500, maxConcurrency: 0 })] })],
        expect: /productionVariants\[0\].serverlessConfig.memorySizeInMb 512 is not one of 1024, 2048, 3072, 4096, 5120, 6144 \(botocore sagemaker ProductionVariantServerlessConfig.MemorySizeInMB documentation[\s\S]*productionVariants\[1\].serverlessConfig.memorySizeInMb 1500 is not one of[\s\S]*productionVariants\[0\].serverlessConfig.maxConcurrency 201 is above the maximum 200 \(botocore sagemaker ProductionVariantServerlessConfig.MaxConcurrency\)[\s\S]*productionVariants\[1\].serverlessConfig.maxConcurrency 0 is below the minimum 1/,
    },
    "EndpointConfiguration: a namePrefix too long for the provider's unique suffix": {
        checks: [[CONFIG, "namePrefix"]],
        good: [config("churn", { namePrefix: `${"a".repeat(36)}-` })],
        bad: [config("churn", { namePrefix: `${"a".repeat(37)}-` })],
        expect: /namePrefix "a{37}-": with the provider's 26-character unique suffix the name \("a{37}-0{26}"\) has 64 characters; AWS allows at most 63/,
    },
    "Endpoint: a 64-character name": {
        checks: [[ENDPOINT, "name"]],
        good: [endpoint("churn", { name: "a".repeat(63) })],
        bad: [endpoint("churn", { name: "a".repeat(64) })],
        expect: /name "a{64}" has 64 characters; AWS allows at most 63 \(botocore sagemaker CreateEndpointInput.EndpointName\)/,
    },
    "Model, EndpointConfiguration, Endpoint: Pulumi's auto-name from a long logical name": {
        checks: [[MODEL, "name"], [CONFIG, "name"], [ENDPOINT, "name"]],
        good: [model("churn"), config("churn"), endpoint("churn"), model("b".repeat(55))],
        bad: [model("b".repeat(56)), config("c".repeat(56)), endpoint("e".repeat(56))],
        expect: /name is unset, so Pulumi names it "b{56}-" and 7 random characters \("b{56}-0a1b2c3"\), which has 64 characters; AWS allows at most 63[\s\S]*"c{56}-0a1b2c3"[\s\S]*"e{56}-0a1b2c3"/,
    },
};

describe("AWS constraints pack: SageMaker (workspaces and serving)", () => {
    for (const [name, c] of Object.entries(CASES)) {
        describe(name, () => {
            it("the pack holds AWS's constraint for each input, and passes the compliant resources", () => {
                for (const [type, input] of c.checks) expect(AWS_DATA.fields[type]?.[input], `${type} ${input}`).to.be.an("object");
                const found = evaluate(AWS_RULES, c.good);
                expect(found, JSON.stringify(found, null, 1)).to.deep.equal([]);
            });
            it("reports the value AWS refuses, with AWS's limit", () => {
                const found = evaluate(AWS_RULES, c.bad);
                expect(found.every((v) => v.pack === "aws" && v.enforcementLevel === "mandatory"), JSON.stringify(found, null, 1)).to.equal(true);
                expect(found.map((v) => v.message).join("\n")).to.match(c.expect);
            });
        });
    }

    it("NAME_LIMITS holds SageMaker's name limits, read from the data", () => {
        const { sagemakerDomain, sagemakerUserProfile, sagemakerStudioLifecycleConfig, sagemakerModelPackageGroup, sagemakerModel, sagemakerEndpointConfig, sagemakerEndpoint } = NAME_LIMITS as Record<string, number>;
        expect([sagemakerDomain, sagemakerUserProfile, sagemakerStudioLifecycleConfig, sagemakerModelPackageGroup, sagemakerModel, sagemakerEndpointConfig, sagemakerEndpoint]).to.deep.equal([63, 63, 63, 63, 63, 63, 63]);
    });

    it("Pulumi auto-names only the optional names (Model, EndpointConfiguration, Endpoint), not the required ones", () => {
        const auto = (type: string, input: string) => AWS_DATA.fields[type]?.[input]?.autoNameSuffix;
        expect([auto(MODEL, "name"), auto(CONFIG, "name"), auto(ENDPOINT, "name"), auto(CONFIG, "namePrefix")]).to.deep.equal([8, 8, 8, 26]);
        expect([auto(DOMAIN, "domainName"), auto(PROFILE, "userProfileName"), auto(LCC, "studioLifecycleConfigName"), auto(GROUP, "modelPackageGroupName")]).to.deep.equal([undefined, undefined, undefined, undefined]);
    });
});
