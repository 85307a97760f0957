/**
 * The maximal configuration: every option on, and the longest names the configuration allows (namePrefix, queue
 * names, state machine prefix, trigger flow names, engineer role names). It must plan with zero violations of the
 * three packs, so no combination of valid settings makes AWS refuse a name, a description or a value.
 */
import { policyConfigForStack } from "../../policies/evaluate";
import { Violation } from "../../policies/lib/rule";
import { evaluateRun } from "../../scripts/plan";
import { Environment } from "../../stacks/config";
import { StackRun } from "../harness";

export const CERT = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555";

export const OIDC = {
    uiOidcIssuer: "https://idp.example.com",
    uiOidcAuthorizationEndpoint: "https://idp.example.com/authorize",
    uiOidcTokenEndpoint: "https://idp.example.com/token",
    uiOidcUserInfoEndpoint: "https://idp.example.com/userinfo",
    uiOidcClientId: "metaflow-ui",
    uiOidcClientSecret: "oidc-client-secret-value",
};

/** 16 characters: the longest namePrefix (3-16). */
export const LONGEST_PREFIX = "mf-maximal-stack";

/** Overrides of Pulumi.prod.yaml (which already names the foundation and the Dask stack). */
export const MAXIMAL: Record<string, unknown> = {
    namePrefix: LONGEST_PREFIX,
    owner: "ml-platform-team@example.com",
    costCenter: "ml-production-cost-centre-0042",
    monthlyBudgetUsd: 1_000_000,
    serviceCertificateArn: CERT,
    serviceDomainName: "metaflow.internal.example.com",
    servicePublicApi: true,
    serviceUi: true,
    ...OIDC,
    artifactAccessLogging: true,
    artifactExpirationDays: 3650,
    alarmEmail: "ml-platform-alerts@example.com",
    engineerRoleNames: ["a".repeat(64), "ml-engineers-sso"],
    batchRootVolumePlatformKey: true,
    sfnStateMachinePrefix: "mf-maximal-stack-sfn-prefix-0123456789",
    queues: [
        { name: "a-twenty-char-queue0", kind: "cpu", instanceTypes: ["c7i", "m7i.48xlarge", "r7i"], maxVcpus: 256, capacity: "spot-first" },
        { name: "fargate-twenty-chars", kind: "cpu", instanceTypes: [], maxVcpus: 64, capacity: "spot-first", platform: "fargate" },
        { name: "gpu", kind: "gpu", instanceTypes: ["g6", "p4d"], maxVcpus: 384, capacity: "spot-first", maxGpusPerJob: 8 },
    ],
    defaultQueue: "a-twenty-char-queue0",
    // The longest model names (21 characters) under the longest prefix: groups, endpoint roles and settings within AWS's limits.
    // The largest serverless caps AWS allows, engineers deploying too (their policy's size), two approver roles.
    serving: { models: ["a-twenty-one-char-mdl", "churn"], serverlessMemoryMb: 6144, maxConcurrency: 200, approverRoleNames: ["b".repeat(64), "ml-model-reviewers"], engineersMayDeploy: true },
    // The longest profile name (63) and principal-tag value (256) AWS allows, interface endpoints instead of NAT.
    workspaces: {
        engineers: [{ id: `${"e".repeat(244)}@example.com`, profile: `p${"-q".repeat(31)}` }, { id: "jane.doe@example.com" }],
        egress: "endpoints",
        pipIndexUrl: "https://pypi.internal.example.com/simple",
        principalTagKey: "ml-platform:studio-user-id",
    },
    triggers: [
        { flow: "A".repeat(40), s3Prefix: "data/incoming/", keyParameter: "key", parameters: { alpha: 1, beta: "two" } },
        { name: "nightly", flow: "NightlyTrainingFlow", schedule: "cron(0 6 * * ? *)" },
        { name: "pattern", flow: "ReactFlow", eventPattern: { source: ["my.app"], "detail-type": ["Data Ready"], detail: { dataset: { name: [{ prefix: "features-" }] } } } },
    ],
};

/** The three packs' violations on a stack run, as the offline plan reports them (secrets masked). */
export function violationsOf(run: StackRun, environment: Environment, monthlyBudgetUsd: number): Violation[] {
    return evaluateRun(run, {}, policyConfigForStack({ environment, monthlyBudgetUsd })).violations;
}
