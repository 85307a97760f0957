import { expect } from "chai";

import { EngineerAccess, validateEngineerAccessArgs } from "../../components/engineer-access";
import { MOCK_ACCOUNT } from "../../offline/mocks";
import { loadConfig } from "../../stacks/config";
import { policyOf, runComponent, runStack } from "../harness";

const A = `${MOCK_ACCOUNT}`;
const args = {
    namePrefix: "mf-test",
    region: "us-east-1",
    bucketArn: "arn:aws:s3:::store",
    kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555",
    jobQueueArns: ["arn:aws:batch:us-east-1:123456789012:job-queue/mf-test-cpu"],
    passRoleArns: ["arn:aws:iam::123456789012:role/job", "arn:aws:iam::123456789012:role/sfn", "arn:aws:iam::123456789012:role/events"],
    stateMachinePrefix: "mf-test",
};

describe("EngineerAccess", () => {
    it("allows exactly what the Metaflow client calls, on this stack's resources", async () => {
        const run = await runComponent(() => new EngineerAccess("eng", { ...args, attachToRoles: ["ml-engineers"] }));
        const statements = Object.fromEntries(policyOf(run.one("aws:iam/policy:Policy")).Statement.map((s: any) => [s.Sid, s]));
        expect(statements.SubmitToPlatformQueues.Resource).to.deep.equal([...args.jobQueueArns, `arn:aws:batch:us-east-1:${A}:job-definition/metaflow_*`]);
        expect(statements.RegisterMetaflowJobDefinitions.Resource).to.equal(`arn:aws:batch:us-east-1:${A}:job-definition/metaflow_*`);
        expect(statements.RegisterMetaflowJobDefinitions.Condition, "no privileged job definitions").to.deep.equal({ BoolIfExists: { "batch:Privileged": "false" } });
        expect(statements.PrefixedStateMachines.Resource).to.equal(`arn:aws:states:us-east-1:${A}:stateMachine:mf-test_*`);
        expect(statements.PrefixedExecutions.Resource).to.equal(`arn:aws:states:us-east-1:${A}:execution:mf-test_*:*`);
        expect(statements.ScheduleRules.Resource).to.equal(`arn:aws:events:us-east-1:${A}:rule/mf-test_*`);
        expect(statements.PassMetaflowRoles).to.deep.include({ Action: "iam:PassRole", Resource: args.passRoleArns });
        expect(statements.OwnDataCleanup.Resource).to.equal("arn:aws:s3:::store/data/*");
        // A failed multipart upload can be aborted by the engineer who started it.
        expect(statements.DatastoreObjects).to.deep.include({ Action: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"], Resource: "arn:aws:s3:::store/*" });
        // @secrets in a local run reads the stack's namespace with the engineer's credentials.
        expect(statements.PlatformSecrets).to.deep.include({ Action: "secretsmanager:GetSecretValue", Resource: `arn:aws:secretsmanager:us-east-1:${A}:secret:mf-test/*` });
        expect(statements.JobLogs.Resource).to.equal(`arn:aws:logs:us-east-1:${A}:log-group:/aws/batch/job:log-stream:*`);
    });

    it("uses a wildcard resource only for reads AWS cannot scope, and never a wildcard action", async () => {
        const run = await runComponent(() => new EngineerAccess("eng", args));
        for (const s of policyOf(run.one("aws:iam/policy:Policy")).Statement) {
            const actions: string[] = [s.Action].flat();
            for (const a of actions) expect(a, s.Sid).to.not.match(/(^\*$|:\*$)/);
            if (s.Resource === "*") for (const a of actions) expect(a, s.Sid).to.match(/:(Describe|List)/);
        }
    });

    it("attaches the policy to each engineer role, and to nothing without roles", async () => {
        const run = await runComponent(() => new EngineerAccess("eng", { ...args, attachToRoles: ["ml-engineers", "ml-leads"] }));
        const policy = run.one("aws:iam/policy:Policy");
        expect(run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((a) => [a.inputs.role, a.inputs.policyArn])).to.deep.equal([
            ["ml-engineers", policy.state.arn],
            ["ml-leads", policy.state.arn],
        ]);
        expect((await runComponent(() => new EngineerAccess("eng", args))).ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")).to.have.length(0);
    });

    it("is part of every stack, passing the job, Step Functions and events roles", async () => {
        const run = await runStack("prod", { set: { engineerRoleNames: ["ml-engineers"] } });
        const pass = policyOf(run.one("aws:iam/policy:Policy", "-engineers-policy")).Statement.find((s: any) => s.Sid === "PassMetaflowRoles");
        const profile = run.outputs.metaflowConfig as Record<string, string>;
        expect(pass.Resource).to.have.members([profile.METAFLOW_ECS_S3_ACCESS_IAM_ROLE, profile.METAFLOW_SFN_IAM_ROLE, profile.METAFLOW_EVENTS_SFN_ACCESS_IAM_ROLE]);
        expect(run.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "-engineers-ml-engineers").inputs.role).to.equal("ml-engineers");
        expect(run.outputs.engineerPolicyArn).to.match(/:policy\/mf-prod-metaflow-engineer$/);
    });

    it("rejects role names IAM would refuse, in the component and in the configuration", () => {
        expect(validateEngineerAccessArgs({ ...args, attachToRoles: ["ml engineers", "ok", "ok"] })).to.have.length(2);
        const r = loadConfig({ "aws:region": "us-east-1", "metaflow-platform:environment": "dev", "metaflow-platform:owner": "o", "metaflow-platform:costCenter": "c", "metaflow-platform:engineerRoleNames": '["ml engineers"]' }, { stack: "dev" });
        expect(r.ok).to.equal(false);
        if (!r.ok) expect(r.problems[0]).to.include({ key: "metaflow-platform:engineerRoleNames" });
    });
});
