import { expect } from "chai";

import { parameterResources, PlatformParameters, profileText, validatePlatformParametersArgs } from "../../components/parameter-store";
import { SECRET_MASK } from "../../offline/mocks";
import { FIXTURES, runComponent, runStack } from "../harness";

const PARAMETER = "aws:ssm/parameter:Parameter";
const KEY = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-0000-4000-8000-000000000000";

describe("PlatformParameters", () => {
    for (const stack of ["dev", "staging", "prod"]) {
        it(`stores ${stack}'s complete Metaflow profile, the metaflowConfig output, as a SecureString under the platform key`, async () => {
            const run = await runStack(stack);
            const profile = run.one(PARAMETER, "-parameters-profile").inputs;
            expect(profile).to.include({ name: `/mf-${stack}/metaflow/profile`, type: "SecureString", tier: "Standard", keyId: run.outputs.kmsKeyArn });
            expect(JSON.parse(profile.value)).to.deep.equal(run.outputs.metaflowConfig);
            expect((run.outputs.parameters as any).profile).to.equal(`/mf-${stack}/metaflow/profile`);
        });
    }

    it("keeps the profile secret in state and in the plan", async () => {
        const run = await runStack("dev", { showSecrets: false });
        expect(run.one(PARAMETER, "-parameters-profile").inputs.value).to.equal(SECRET_MASK);
    });

    it("publishes the settings flows read: data root, queues, region and the model-monitoring namespace and thresholds", async () => {
        const run = await runStack("prod");
        const settings = Object.fromEntries(run.ofType(PARAMETER).filter((p) => p.inputs.name.startsWith("/mf-prod/settings/")).map((p) => [p.inputs.name.slice("/mf-prod/settings/".length), [p.inputs.type, p.inputs.insecureValue]]));
        const queues = (run.outputs.batch as any).queueArns;
        expect(settings).to.deep.equal({
            region: ["String", "us-east-1"],
            "data-root": ["String", run.outputs.datatoolsRoot],
            "default-queue": ["String", queues.cpu],
            "gpu-queue": ["String", queues.gpu],
            "metric-namespace": ["String", "Metaflow/Models"],
            "drift-psi-threshold": ["String", "0.2"],
            "drift-ks-threshold": ["String", "0.2"],
            "min-accuracy": ["String", "0.7"],
            // Where the weekly report and CI find the figures (monitoring on): the planned log groups and namespaces.
            "pipeline-event-log": ["String", (run.outputs.monitoring as any).pipelineEventLog],
            "pipeline-job-log": ["String", (run.outputs.monitoring as any).pipelineJobLog],
            "deployment-log": ["String", (run.outputs.monitoring as any).deploymentLog],
            "pipeline-namespace": ["String", "Metaflow/Pipelines/mf-prod"],
            "delivery-namespace": ["String", "Metaflow/Delivery/mf-prod"],
            // The weekly platform report's (monitoring is on): the budget, the cost tag and the estimate's prices.
            "budget-name": ["String", "mf-prod-monthly"],
            "cost-tag": ["String", "stack=prod"],
            "monthly-budget-usd": ["String", "3000"],
            "batch-prices": ["String", settings["batch-prices"][1]],
        });
        const filters = run.ofType("aws:cloudwatch/logMetricFilter:LogMetricFilter").map((f) => (f.inputs.metricTransformation as { namespace: string }).namespace);
        expect(new Set(filters)).to.deep.equal(new Set(["Metaflow/Pipelines/mf-prod"]));
        expect(run.ofType("aws:cloudwatch/logGroup:LogGroup").map((g) => g.inputs.name)).to.include.members([settings["pipeline-event-log"][1], settings["pipeline-job-log"][1], settings["deployment-log"][1]]);
        expect(JSON.parse(settings["batch-prices"][1])).to.deep.equal({
            queues: { [queues.cpu]: "cpu", [queues.gpu]: "gpu", [queues.ondemand]: "cpu" },
            cpu: { instanceType: "c5.2xlarge", instanceHourUsd: 0.34, vcpuHourUsd: 0.0425 },
            gpu: { instanceType: "g5.xlarge", instanceHourUsd: 1.006, gpuHourUsd: 1.006 },
            onDemandShare: 0.2,
            spotFactor: 0.35,
            source: "the cost estimate's prod usage scenario; on-demand us-east-1 list prices (aws/karpenter-provider-aws generated price table, 2026-07-20)",
        });
    });

    it("leaves the figures' settings out without monitoring (no event log, no metrics)", async () => {
        const run = await runStack("dev", { set: { monitoring: false }, references: FIXTURES });
        const names = run.ofType(PARAMETER).map((p) => p.inputs.name);
        for (const key of ["pipeline-event-log", "pipeline-job-log", "deployment-log", "pipeline-namespace", "delivery-namespace"]) expect(names, key).to.not.include(`/mf-dev/settings/${key}`);
        expect(names).to.include("/mf-dev/settings/data-root");
    });

    it("publishes the report's settings only with monitoring", async () => {
        const run = await runStack("dev", { set: { monitoring: false } });
        const names = run.ofType(PARAMETER).map((p) => p.inputs.name);
        for (const name of ["batch-prices", "budget-name", "cost-tag", "monthly-budget-usd"]) expect(names).to.not.include(`/mf-dev/settings/${name}`);
    });

    it("leaves the gpu-queue setting out when the stack has no GPU queue", async () => {
        const run = await runStack("dev", { set: { queues: [{ name: "gpu", enabled: false }] } });
        expect(run.ofType(PARAMETER).map((p) => p.inputs.name)).to.not.include("/mf-dev/settings/gpu-queue");
    });

    it("names each part of the hierarchy for IAM", () => {
        expect(parameterResources("mf-dev")).to.deep.equal({ profile: "parameter/mf-dev/metaflow/profile", settings: "parameter/mf-dev/settings/*", params: "parameter/mf-dev/params/*", dask: "parameter/mf-dev/dask/*" });
    });

    it("sorts the profile's keys (an unchanged profile is an unchanged parameter) and refuses one too large for a standard parameter", () => {
        expect(profileText({ B: "2", A: "1" })).to.equal('{\n  "A": "1",\n  "B": "2"\n}');
        expect(() => profileText({ A: "x".repeat(5000) })).to.throw(/profile has \d+ characters; a standard parameter holds 4096/);
    });

    it("rejects a bad prefix, setting name or value up front, naming each", () => {
        const problems = validatePlatformParametersArgs({ namePrefix: "MF_Prod", kmsKeyArn: KEY, profile: {}, settings: { "Data Root": "s3://b/data", empty: "" } });
        expect(problems).to.have.length(3);
        expect(problems.join("\n")).to.contain('namePrefix "MF_Prod"').and.contain('name "Data Root"').and.contain("settings.empty: value of 0 characters");
        expect(() => new PlatformParameters("params", { namePrefix: "mf-x", kmsKeyArn: KEY, profile: {}, settings: { "bad name": "v" } })).to.throw(/PlatformParameters params: settings: name "bad name"/);
    });

    it("creates its parameters as children of the component", async () => {
        const run = await runComponent(() => new PlatformParameters("params", { namePrefix: "mf-x", kmsKeyArn: KEY, profile: { METAFLOW_DEFAULT_DATASTORE: "s3" }, settings: { "data-root": "s3://b/data" } }));
        expect(run.ofType(PARAMETER).map((p) => [p.name, p.inputs.name, p.inputs.type])).to.have.deep.members([
            ["params-profile", "/mf-x/metaflow/profile", "SecureString"],
            ["params-setting-data-root", "/mf-x/settings/data-root", "String"],
        ]);
        for (const p of run.ofType(PARAMETER)) expect(p.parent, p.name).to.match(/PlatformParameters::params$/);
    });
});
