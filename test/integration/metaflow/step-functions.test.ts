/**
 * Metaflow 2.19.38 itself on every stack's profile: its config loader reads every key the plan emits, and
 * `step-functions create` (AWS answered by moto on 127.0.0.1) deploys a probe flow and each trigger's flow under the
 * names the triggers target, inside what IAM allows (`<prefix>_*`).
 */
import { expect } from "chai";

import { RecordedResource } from "../../../offline/mocks";
import { TriggerSpec } from "../../../components/sfn/rules";
import { policyOf, rejection, runStack, StackRun } from "../../harness";
import { branchOptions, flowSource, iamMatches, installProfile, stateMachinesIn, stepFunctionsJson, withMetaflow } from "../support/metaflow";

/** Triggers exercising Metaflow's naming: a plain flow, a long @project name (cut and hashed), a user branch. */
export const NAMING_TRIGGERS: TriggerSpec[] = [
    { name: "plain", flow: "IngestFlow", schedule: "rate(1 day)" },
    { name: "long-project", flow: "recommendations_platform.test.feature_branch_x.TrainRankingModelFlow", schedule: "rate(1 day)" },
    { name: "prod-project", flow: "ranking.prod.ScoreFlow", eventPattern: { source: ["acme.features"] } },
    { name: "user-branch", flow: "ranking.user.alice.ScoreFlow", schedule: "rate(1 hour)" },
    { name: "s3-key", flow: "sales_forecasting.test.nightly_refresh.IngestDailySalesFilesFlow", s3Prefix: "incoming/sales/", keyParameter: "key" },
];

const STACKS = ["dev", "staging", "prod"];

function profileOf(run: StackRun): Record<string, string> {
    return run.outputs.metaflowConfig as Record<string, string>;
}

/** The Resource patterns of the statements of `policy` that allow `action`. */
function allowedResources(r: RecordedResource, action: string): string[] {
    return policyOf(r)
        .Statement.filter((s: any) => s.Effect === "Allow" && [s.Action].flat().includes(action))
        .flatMap((s: any) => [s.Resource].flat());
}

describe("Metaflow on the planned profiles", function () {
    this.timeout(120000);
    const workspace = withMetaflow();

    for (const stack of STACKS) {
        it(`${stack}: Metaflow's config loader reads every profile key as emitted`, async () => {
            const profile = profileOf(await runStack(stack));
            workspace().writeProfile(stack, profile);
            const loaded = workspace().loadedConfig(stack);
            for (const [key, value] of Object.entries(profile)) {
                const name = key.replace(/^METAFLOW_/, "");
                expect(name in loaded, `${key} is a key Metaflow reads`).to.equal(true);
                // Keys with a boolean default (BATCH_EMIT_TAGS) load as booleans: "true" must read as true.
                expect(loaded[name], key).to.equal(typeof loaded[name] === "boolean" ? value === "true" : value);
            }
            expect(loaded.DATATOOLS_S3ROOT).to.equal(`s3://${new URL(profile.METAFLOW_DATASTORE_SYSROOT_S3).host}/data`);
        });

        it(`${stack}: step-functions create --only-json deploys the probe flow as <prefix>_ProbeFlow, inside what IAM allows`, async () => {
            const run = await runStack(stack);
            const ws = workspace();
            const profile = installProfile(ws, stack, run);
            const { name, definition } = stepFunctionsJson(ws, stack, ws.writeFile("probe_flow.py", flowSource("ProbeFlow", { parameters: ["key"] })));
            expect(name).to.equal(`${profile.METAFLOW_SFN_STATE_MACHINE_PREFIX}_ProbeFlow`);
            const start = JSON.stringify(definition.States.start);
            expect(start).to.include(profile.METAFLOW_BATCH_JOB_QUEUE);
            expect(start).to.include(profile.METAFLOW_ECS_S3_ACCESS_IAM_ROLE);
            // METAFLOW_BATCH_EMIT_TAGS: the job carries the tags the pipeline event log's per-engineer queries read.
            expect(definition.States.start.Parameters.Tags, "Batch job tags").to.deep.include({ app: "metaflow", "metaflow.flow_name": "ProbeFlow", "metaflow.user": "SFN" });
            expect(definition.States.start.Parameters.Tags["metaflow.owner"], "the deployer").to.be.a("string").and.not.be.empty;
            const arn = `arn:aws:states:${run.outputs.region}:123456789012:stateMachine:${name}`;
            const engineers = run.ofType("aws:iam/policy:Policy").find((p) => p.name.includes("-engineers"))!;
            expect(allowedResources(engineers, "states:CreateStateMachine").some((p) => iamMatches(p, arn)), "engineers may create it").to.equal(true);
            const events = run.ofType("aws:iam/rolePolicy:RolePolicy").find((p) => p.name.endsWith("-sfn-events"))!;
            expect(allowedResources(events, "states:StartExecution").some((p) => iamMatches(p, arn)), "@schedule may start it").to.equal(true);
        });
    }

    for (const stack of STACKS) {
        it(`${stack} with triggers: step-functions create deploys each trigger's flow under the ARN the trigger starts, inside <prefix>_*`, async () => {
            const run = await runStack(stack, { set: { triggers: NAMING_TRIGGERS } });
            const ws = workspace();
            installProfile(ws, `${stack}-triggers`, run);
            for (const t of NAMING_TRIGGERS) {
                // `<project>.<branch>.<Flow>` or `<Flow>` (project_decorator.py:218 joins them with dots).
                const parts = t.flow.split(".");
                const flow = { flowClass: parts[parts.length - 1], project: parts.length > 1 ? parts[0] : undefined, branch: parts.slice(1, -1).join(".") };
                const file = ws.writeFile(`${t.name}.py`, flowSource(flow.flowClass, { project: flow.project, parameters: t.keyParameter ? [t.keyParameter] : [] }));
                const branch = flow.branch ? branchOptions(flow.branch) : { args: [], env: {} };
                const r = ws.run([file, "--no-pylint", ...branch.args, "step-functions", "create"], ws.env(`${stack}-triggers`, { METAFLOW_SERVICE_VERSION_CHECK: "0", ...branch.env }));
                expect(r.status, `${t.flow}: ${r.stderr}`).to.equal(0);
            }
            const deployed = stateMachinesIn(ws);
            const triggers = (run.outputs.stepFunctions as { triggers: Record<string, string> }).triggers;
            const events = run.ofType("aws:iam/rolePolicy:RolePolicy").find((p) => p.name.endsWith("-sfn-events"))!;
            const engineers = run.ofType("aws:iam/policy:Policy").find((p) => p.name.includes("-engineers"))!;
            for (const t of NAMING_TRIGGERS) {
                const flowArn = triggers[t.name!];
                expect(Object.values(deployed), `${t.name} starts ${flowArn}; Metaflow deployed ${Object.keys(deployed).join(", ")}`).to.include(flowArn);
                expect(allowedResources(events, "states:StartExecution").some((p) => iamMatches(p, flowArn)), "@schedule role").to.equal(true);
                expect(allowedResources(engineers, "states:CreateStateMachine").some((p) => iamMatches(p, flowArn)), "engineers deploy it").to.equal(true);
                const target = run.one("aws:cloudwatch/eventTarget:EventTarget", `-trigger-${t.name}-target`);
                const start = run.one("aws:iam/rolePolicy:RolePolicy", `-trigger-${t.name}-start`);
                const relay = run.ofType("aws:sfn/stateMachine:StateMachine").find((m) => m.name.endsWith(`-trigger-${t.name}-relay`));
                if (relay) {
                    // EventBridge starts the relay, which starts the flow.
                    expect(target.inputs.arn).to.equal(relay.state.arn);
                    expect(allowedResources(start, "states:StartExecution")).to.deep.equal([relay.state.arn]);
                    expect(JSON.parse(relay.inputs.definition).States.StartFlow.Arguments.StateMachineArn).to.equal(flowArn);
                    expect(allowedResources(run.one("aws:iam/rolePolicy:RolePolicy", `-trigger-${t.name}-relay-start`), "states:StartExecution")).to.deep.equal([flowArn]);
                } else {
                    expect(target.inputs.arn).to.equal(flowArn);
                    expect(allowedResources(start, "states:StartExecution")).to.deep.equal([flowArn]);
                }
            }
        });
    }

    it("a prefix Metaflow would omit is rejected, naming the state machine Metaflow deploys", async () => {
        const flow = "mlops.prod.TrainFlow";
        const err = await rejection(runStack("dev", { set: { sfnStateMachinePrefix: "ml", triggers: [{ flow, schedule: "rate(1 day)" }] } }));
        const ws = workspace();
        installProfile(ws, "dev", await runStack("dev"));
        ws.writeProfile("ml", { ...profileOf(await runStack("dev")), METAFLOW_SFN_STATE_MACHINE_PREFIX: "ml" });
        const { name } = stepFunctionsJson(ws, "ml", ws.writeFile("train.py", flowSource("TrainFlow", { project: "mlops" })), { args: ["--production"] });
        expect(name).to.equal(flow);
        expect(err.message).to.include(`"${name}"`);
        expect(err.message).to.match(/sfnStateMachinePrefix/);
    });
});
