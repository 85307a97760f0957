/**
 * AWS limits name lengths (load balancers 32, IAM roles 64, EventBridge rules 64, ...) and Pulumi's auto-naming adds
 * 8 characters: a long stack name or the longest allowed prefix must not make `pulumi up` fail. This plans prod with
 * both, with every optional part on, and checks each physical name against its limit.
 */
import { expect } from "chai";

import { RecordedResource } from "../../offline/mocks";
import { runProgram } from "../../offline/run";
import { readStackFile } from "../../offline/stack-config";
import { FIXTURES, stackFixture } from "../harness";

/** Name limits by resource type, and where the physical name is. */
const LIMITS: Record<string, { max: number; field?: string }> = {
    "aws:lb/loadBalancer:LoadBalancer": { max: 32 },
    "aws:lb/targetGroup:TargetGroup": { max: 32 },
    "aws:iam/role:Role": { max: 64 },
    "aws:iam/policy:Policy": { max: 128 },
    "aws:iam/instanceProfile:InstanceProfile": { max: 128 },
    "aws:cloudwatch/eventRule:EventRule": { max: 64 },
    "aws:rds/instance:Instance": { max: 63, field: "identifier" },
    "aws:rds/subnetGroup:SubnetGroup": { max: 255 },
    "aws:rds/parameterGroup:ParameterGroup": { max: 255 },
    "aws:s3/bucket:Bucket": { max: 63, field: "bucket" },
    "aws:batch/computeEnvironment:ComputeEnvironment": { max: 128 },
    "aws:batch/jobQueue:JobQueue": { max: 128 },
    "aws:dynamodb/table:Table": { max: 255 },
    "aws:ecs/cluster:Cluster": { max: 255 },
    "aws:ecs/service:Service": { max: 255 },
    "aws:ec2/launchTemplate:LaunchTemplate": { max: 128 },
    "aws:cloudwatch/metricAlarm:MetricAlarm": { max: 255 },
    "aws:sns/topic:Topic": { max: 256 },
    "aws:budgets/budget:Budget": { max: 100 },
    "aws:secretsmanager/secret:Secret": { max: 512 },
    "aws:kms/alias:Alias": { max: 256 },
    "aws:cloudwatch/logGroup:LogGroup": { max: 512 },
};

function physical(r: RecordedResource, field = "name"): string | undefined {
    const value = r.state[field] ?? r.inputs[field];
    return typeof value === "string" ? value : undefined;
}

describe("physical names under AWS limits", () => {
    let resources: RecordedResource[];
    before(async function () {
        this.timeout(30000);
        const file = readStackFile(stackFixture("prod"));
        const config = {
            ...file.config,
            "metaflow-platform:namePrefix": "mf-abcdefghijkl9",
            "metaflow-platform:serviceUi": "true",
            "metaflow-platform:servicePublicApi": "true",
            "metaflow-platform:serviceCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555",
            "metaflow-platform:serviceDomainName": "metaflow.internal.example.com",
            "metaflow-platform:uiOidcIssuer": "https://idp.example.com",
            "metaflow-platform:uiOidcAuthorizationEndpoint": "https://idp.example.com/authorize",
            "metaflow-platform:uiOidcTokenEndpoint": "https://idp.example.com/token",
            "metaflow-platform:uiOidcUserInfoEndpoint": "https://idp.example.com/userinfo",
            "metaflow-platform:uiOidcClientId": "metaflow-ui",
            "metaflow-platform:uiOidcClientSecret": "not-a-real-secret",
            "metaflow-platform:engineerRoleNames": JSON.stringify(["ml-engineers"]),
            "metaflow-platform:triggers": JSON.stringify([{ name: "a-rather-long-trigger-name-for-new-data", flow: "FeatureEngineeringFlowWithALongName", s3Prefix: "data/incoming/" }]),
            "metaflow-platform:queues": JSON.stringify([{ name: "bigmem-on-demand-01", kind: "cpu", instanceTypes: ["r6i"], maxVcpus: 128, capacity: "spot-first" }]),
        };
        const stack = "feature-branch-with-an-unusually-long-name-for-a-stack";
        resources = (await runProgram({ stack, config, secretKeys: ["metaflow-platform:uiOidcClientSecret"], references: FIXTURES })).resources;
    });

    it("keeps every name within its limit", () => {
        const checked = new Set<string>();
        for (const r of resources) {
            const limit = LIMITS[r.type];
            if (!limit) continue;
            const name = physical(r, limit.field);
            if (name === undefined) continue;
            checked.add(r.type);
            expect(name.length, `${r.type} ${r.name}: "${name}"`).to.be.at.most(limit.max);
        }
        // The run covered the tight limits, not just the generous ones.
        for (const t of ["aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup", "aws:iam/role:Role", "aws:cloudwatch/eventRule:EventRule", "aws:rds/instance:Instance"]) {
            expect(checked.has(t), t).to.equal(true);
        }
    });
});
