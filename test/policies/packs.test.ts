/**
 * The CrossGuard side. The packs' index.ts files are never imported (constructing a PolicyPack starts a gRPC server
 * that never returns): `npm test` type-checks them through the root tsconfig, and these tests check their layout
 * and call the policies built from the rules with hand-made validation arguments.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

import { costRules } from "../../policies/cost/rules";
import { toPolicies } from "../../policies/lib/crossguard";
import { T } from "../../policies/lib/types";
import { UNKNOWN } from "../../policies/lib/view";
import { AWS_RULES } from "../../policies/aws/rules";
import { SECURITY_RULES } from "../../policies/security/rules/index";
import { ROOT } from "../harness";

const notApplicable = (reason?: string): never => {
    throw new Error(`not applicable: ${reason}`);
};

function resourceArgs(type: string, props: Record<string, any>, config: Record<string, unknown> = {}) {
    return {
        type,
        props,
        urn: `urn:pulumi:dev::metaflow-platform::${type}::x`,
        name: "x",
        opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
        stackTags: new Map<string, string>(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <C extends object>() => config as C,
        notApplicable,
    };
}

describe("policy packs", () => {
    for (const [pack, rules] of [["security", SECURITY_RULES], ["cost", costRules], ["aws", AWS_RULES]] as const) {
        it(`${pack}: a loadable pack directory whose index.ts builds the pack from the rule modules`, () => {
            const dir = path.join(ROOT, "policies", pack);
            const yaml = parse(fs.readFileSync(path.join(dir, "PulumiPolicy.yaml"), "utf8"));
            expect(yaml.runtime).to.equal("nodejs");
            const index = fs.readFileSync(path.join(dir, "index.ts"), "utf8");
            expect(index).to.match(/new PolicyPack\("metaflow-/);
            expect(index).to.match(/toPolicies\(RULES\)/);
            const tsconfig = JSON.parse(fs.readFileSync(path.join(dir, "tsconfig.json"), "utf8"));
            expect(tsconfig.compilerOptions.skipLibCheck, "@pulumi/policy 1.21 ships .d.ts errors").to.equal(true);
            const root = JSON.parse(fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8"));
            expect(root.include, "npm test type-checks the pack").to.include("policies/**/*.ts");
            // The CLI's ts-node type-checks the pack with the same library as npm test (no DOM: it also loads faster).
            expect(tsconfig.compilerOptions.lib, "the root tsconfig's lib").to.deep.equal(root.compilerOptions.lib);
            expect(fs.existsSync(path.join(dir, "package-lock.json")), "one lock file, at the root").to.equal(false);
            expect(rules.every((r) => r.pack === pack)).to.equal(true);
        });
    }

    it("gives every policy a name, a description with its baseline IDs, an enforcement level and a config schema", () => {
        const policies = toPolicies([...SECURITY_RULES, ...costRules, ...AWS_RULES]);
        for (const p of policies) {
            expect(p.name).to.match(/^[a-z0-9-]+$/);
            expect(p.enforcementLevel).to.be.oneOf(["mandatory", "advisory"]);
            expect(p.configSchema?.properties).to.have.property("environment");
        }
        const s3 = policies.find((p) => p.name === "s3-bucket-encryption-kms")!;
        expect(s3.description).to.match(/CKV_AWS_19/);
        expect(policies.find((p) => p.name === "cost-monthly-budget")!.configSchema!.properties).to.have.keys("environment", "monthlyBudgetUsd", "usage");
    });

    it("a resource policy reports through CrossGuard with its configured settings", async () => {
        const [rds] = toPolicies(SECURITY_RULES.filter((r) => r.name === "rds-multi-az-prod")) as any[];
        const reports: string[] = [];
        await rds.validateResource(resourceArgs(T.rdsInstance, { multiAz: false }, { environment: "prod" }), (m: string) => reports.push(m));
        await rds.validateResource(resourceArgs(T.rdsInstance, { multiAz: false }, { environment: "dev" }), (m: string) => reports.push(m));
        await rds.validateResource(resourceArgs(T.bucket, {}, { environment: "prod" }), (m: string) => reports.push(m));
        expect(reports).to.deep.equal(["multiAz is not true in prod"]);
    });

    it("a stack policy links resources through CrossGuard's property dependencies (unknown ids in a preview)", async () => {
        const [versioning] = toPolicies(SECURITY_RULES.filter((r) => r.name === "s3-bucket-versioning")) as any[];
        const bucket = { ...resourceArgs(T.bucket, {}), urn: "urn:b", name: "b", dependencies: [], propertyDependencies: {} };
        const v = { ...resourceArgs(T.bucketVersioning, { versioningConfiguration: { status: "Enabled" } }), urn: "urn:v", dependencies: [bucket], propertyDependencies: { bucket: [bucket] } };
        const run = async (resources: any[]) => {
            const out: Array<[string, string?]> = [];
            await versioning.validateStack({ resources, stackTags: new Map(), getConfig: () => ({}), notApplicable }, (m: string, urn?: string) => out.push([m, urn]));
            return out;
        };
        expect(await run([bucket, v])).to.deep.equal([]);
        expect(await run([bucket])).to.deep.equal([["bucket b: no BucketVersioning: enable versioning", "urn:b"]]);
    });
});

describe("policy documentation", () => {
    it("docs/policies.md lists every policy", () => {
        const text = fs.readFileSync(path.join(ROOT, "docs", "policies.md"), "utf8");
        const missing = [...SECURITY_RULES, ...costRules, ...AWS_RULES].map((r) => r.name).filter((n) => !text.includes(`\`${n}\``));
        expect(missing).to.deep.equal([]);
    });

    it("docs/policies.md gives every policy its pack, baseline identifiers and enforcement level", () => {
        const text = fs.readFileSync(path.join(ROOT, "docs", "policies.md"), "utf8");
        const rows = new Map(text.split("\n").filter((l) => l.startsWith("| `") && l.split("|").length === 9).map((l) => [l.split("|")[1].trim().replace(/`/g, ""), l.split("|").map((c) => c.trim())]));
        const wrong = [...SECURITY_RULES, ...costRules, ...AWS_RULES].filter((r) => {
            const row = rows.get(r.name);
            return !row || row[2] !== r.pack || row[4] !== ((r.baseline ?? []).join(", ") || "-") || row[5] !== (r.enforcementLevel ?? "mandatory");
        });
        expect(wrong.map((r) => r.name), "rows out of step with the rules").to.deep.equal([]);
    });
});

describe("values unknown during a preview", () => {
    /**
     * Each probe is one resource (or stack) judged twice through CrossGuard: with the undecidable values unknown it must
     * be silent, and with the same values known and violating it must report. A policy that does nothing passes the
     * first half and fails the second, so this test cannot pass vacuously.
     */
    const U = UNKNOWN;
    const stackOf = (...rs: Array<[string, Record<string, any>]>) => {
        const bucket = { ...resourceArgs(T.bucket, {}), urn: "urn:b", name: "b", dependencies: [], propertyDependencies: {} };
        return [bucket, ...rs.map(([type, props], i) => ({ ...resourceArgs(type, props), urn: `urn:${i}`, name: `r${i}`, dependencies: [bucket], propertyDependencies: { bucket: [bucket] } }))];
    };
    /** Resources of a stack as CrossGuard passes them; `deps` maps an input to the indexes of the resources it came from. */
    const stackArgs = (...rs: Array<[string, Record<string, any>, Record<string, number[]>?]>) =>
        rs.map(([type, props, deps], i) => ({ ...resourceArgs(type, props), urn: `urn:${i}`, name: `r${i}`, dependencies: [], propertyDependencies: Object.fromEntries(Object.entries(deps ?? {}).map(([k, v]) => [k, v.map((j) => ({ urn: `urn:${j}` }))])) }));
    const lccArgs = (appType: string): [string, Record<string, any>] => [T.sagemakerLcc, { studioLifecycleConfigName: "mf-dev-metaflow", studioLifecycleConfigAppType: appType }];
    const builtIn = (arn: unknown) => ({ defaultUserSettings: { jupyterLabAppSettings: { builtInLifecycleConfigArn: arn } } });
    const trust = (extra: object = {}) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "sts:AssumeRole", ...extra }] });
    const PROBES: Array<{ policy: string; type?: string; unknown: any; known: any }> = [
        { policy: "ecs-distinct-execution-role", type: T.ecsTaskDefinition, unknown: { executionRoleArn: U, taskRoleArn: U, containerDefinitions: U }, known: { executionRoleArn: "arn:r", taskRoleArn: "arn:r", containerDefinitions: "[]" } },
        { policy: "iam-trust-specific-principals", type: T.role, unknown: { assumeRolePolicy: U }, known: { assumeRolePolicy: trust() } },
        { policy: "iam-real-actions-resources-conditions", type: T.rolePolicy,
          unknown: { role: U, policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetObject", U], Resource: [U, "arn:aws:s3:::b/*"] }] } },
          known: { role: "r", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetObjekt"], Resource: ["arn:aws:s3:::b/*"] }] } } },
        { policy: "iam-trust-satisfiable", type: T.role, unknown: { assumeRolePolicy: U },
          known: { assumeRolePolicy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": "1" } } }] } } },
        { policy: "s3-bucket-policy-tls-only", unknown: stackOf([T.bucketPolicy, { bucket: U, policy: U }]),
          known: stackOf([T.bucketPolicy, { bucket: "b", policy: { Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:GetObject", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } }] } }]) },
        { policy: "lb-listener-tls12-policy", type: T.lbListener, unknown: { protocol: "HTTPS", sslPolicy: U }, known: { protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-1-2021-06" } },
        { policy: "lb-desync-strictest", type: T.lb, unknown: { loadBalancerType: "application", desyncMitigationMode: U }, known: { loadBalancerType: "application", desyncMitigationMode: "defensive" } },
        { policy: "launch-template-imds-hop-limit", type: T.launchTemplate, unknown: { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: U } }, known: { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 } } },
        { policy: "rds-storage-encrypted", type: T.rdsInstance, unknown: { storageEncrypted: true, kmsKeyId: U }, known: { storageEncrypted: true, kmsKeyId: "alias/aws/rds" } },
        { policy: "rds-managed-master-password", type: T.rdsInstance, unknown: { manageMasterUserPassword: true, masterUserSecretKmsKeyId: U }, known: { manageMasterUserPassword: true, masterUserSecretKmsKeyId: "alias/aws/secretsmanager" } },
        { policy: "alarm-actions-enabled", type: T.metricAlarm, unknown: { alarmActions: U }, known: { alarmActions: [] } },
        { policy: "sns-topic-encrypted", type: T.snsTopic, unknown: { kmsMasterKeyId: U }, known: { kmsMasterKeyId: "alias/aws/sns" } },
        { policy: "container-non-root", type: T.ecsTaskDefinition, unknown: { containerDefinitions: U }, known: { containerDefinitions: JSON.stringify([{ name: "a", image: "x", user: "root" }]) } },
        { policy: "iam-no-exfiltration-on-star", type: T.rolePolicy, unknown: { role: U, policy: U }, known: { role: "r", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] } } },
        { policy: "eventbridge-target-dlq-and-alarm",
          unknown: stackOf([T.eventTarget, { rule: U, arn: U, deadLetterConfig: { arn: U } }], [T.metricAlarm, { namespace: "AWS/Events", metricName: "FailedInvocations", dimensions: { RuleName: U }, alarmActions: [U] }]),
          known: stackOf([T.eventTarget, { rule: "r", arn: "arn:aws:sns:us-east-1:1:t" }]) },
        { policy: "sagemaker-domain-no-docker", type: T.sagemakerDomain, unknown: { domainSettings: { dockerSettings: { enableDockerAccess: U } } }, known: { domainSettings: { dockerSettings: { enableDockerAccess: "ENABLED" } } } },
        { policy: "sagemaker-domain-vpc-only", unknown: stackArgs([T.sagemakerDomain, { appNetworkAccessType: U, authMode: U }]), known: stackArgs([T.sagemakerDomain, { appNetworkAccessType: "PublicInternetOnly", authMode: "IAM" }]) },
        { policy: "sagemaker-domain-customer-key", unknown: stackArgs([T.sagemakerDomain, { kmsKeyId: U }]), known: stackArgs([T.sagemakerDomain, { kmsKeyId: "alias/aws/sagemaker" }]) },
        { policy: "sagemaker-domain-builtin-lcc",
          unknown: stackArgs(lccArgs("CodeEditor"), [T.sagemakerDomain, builtIn(U), { defaultUserSettings: [0] }]),
          known: stackArgs(lccArgs("CodeEditor"), [T.sagemakerDomain, builtIn("arn:aws:sagemaker:us-east-1:123456789012:studio-lifecycle-config/mf-dev-metaflow")]) },
        { policy: "sagemaker-profile-owner-tag",
          unknown: stackArgs([T.sagemakerUserProfile, { tags: U }], [T.sagemakerUserProfile, { tags: { studiouserid: U } }], [T.sagemakerUserProfile, { tags: { studiouserid: "jane@example.com" } }]),
          known: stackArgs([T.sagemakerUserProfile, { tags: {} }], [T.sagemakerUserProfile, { tags: { studiouserid: "jane@example.com" } }], [T.sagemakerUserProfile, { tags: { studiouserid: "jane@example.com" } }]) },
        { policy: "iam-no-broad-managed-policies", type: T.rolePolicyAttachment, unknown: { role: U, policyArn: U }, known: { role: "r", policyArn: "arn:aws:iam::aws:policy/PowerUserAccess" } },
    ];

    for (const probe of PROBES) {
        it(`${probe.policy}: silent on the unknown value, reports the known violation`, async () => {
            const policy = (toPolicies(SECURITY_RULES) as any[]).find((p) => p.name === probe.policy);
            expect(policy, probe.policy).to.not.equal(undefined);
            const run = async (input: any) => {
                const reports: string[] = [];
                const report = (m: string) => reports.push(m);
                if (probe.type) await policy.validateResource(resourceArgs(probe.type, input), report);
                else await policy.validateStack({ resources: input, stackTags: new Map(), getConfig: () => ({}), notApplicable }, report);
                return reports;
            };
            expect(await run(probe.unknown), "unknown during a preview").to.deep.equal([]);
            expect(await run(probe.known), "the same value, known and violating").to.not.be.empty;
        });
    }

    it("the AWS constraints pack stays silent on values unknown during a preview", async () => {
        const U = UNKNOWN;
        const resources = [
            resourceArgs(T.lb, { name: U, loadBalancerType: "application", securityGroups: [U] }),
            resourceArgs("aws:lb/targetGroup:TargetGroup", { name: U, port: U, healthCheck: { interval: U, timeout: U } }),
            resourceArgs(T.sgIngressRule, { securityGroupId: U, ipProtocol: "tcp", fromPort: U, toPort: U, description: U }),
            resourceArgs(T.ecsTaskDefinition, { family: U, requiresCompatibilities: ["FARGATE"], cpu: U, memory: U }),
            resourceArgs(T.rdsInstance, { identifier: U, allocatedStorage: U, maxAllocatedStorage: U, backupWindow: U, maintenanceWindow: U }),
            resourceArgs("aws:cloudwatch/eventRule:EventRule", { name: U, eventPattern: U }),
            resourceArgs(T.launchTemplate, { name: U, userData: U, blockDeviceMappings: [{ ebs: { volumeType: U } }] }),
            resourceArgs(T.computeEnvironment, { computeResources: { instanceTypes: [U] } }),
            resourceArgs(T.bucketLifecycle, { rules: [{ id: U, status: U, transitions: [{ days: U, storageClass: "STANDARD_IA" }] }] }),
            resourceArgs(T.bucket, { tags: U }),
        ];
        const reports: string[] = [];
        for (const p of toPolicies(AWS_RULES) as any[]) {
            if (p.validateResource) for (const r of resources) await p.validateResource(r, (m: string) => reports.push(`${p.name}: ${m}`));
            else await p.validateStack({ resources: resources.map((r, i) => ({ ...r, urn: `urn:${i}`, name: `r${i}`, dependencies: [], propertyDependencies: {} })), stackTags: new Map(), getConfig: () => ({}), notApplicable }, (m: string) => reports.push(`${p.name}: ${m}`));
        }
        expect(reports).to.deep.equal([]);
    });
});
