/**
 * The job role's reads for the weekly platform report (templates/platform_report.py), simulated with AWS's policy
 * evaluation logic (@cloud-copilot/iam-simulate, offline) on the planned dev and prod stacks: FilterLogEvents on the
 * stack's three event logs only, ViewBudget (DescribeBudget) on its budget only, GetMetricData and GetCostAndUsage
 * (no resource named by the report's requests). Without monitoring the role has none of them.
 */
import { expect } from "chai";

import { MOCK_ACCOUNT } from "../../offline/mocks";
import { policyOf, runStack } from "../harness";
import { simulateRequest } from "./simulation";


const simulate = (principal: string, policy: unknown, action: string, resource: string, context: Record<string, string> = {}) => simulateRequest(principal, [policy], action, resource, context);

const logGroup = (name: string) => `arn:aws:logs:us-east-1:${MOCK_ACCOUNT}:log-group:${name}`;
const budget = (name: string) => `arn:aws:budgets::${MOCK_ACCOUNT}:budget/${name}`;

for (const stack of ["dev", "prod"] as const) {
    describe(`IAM simulation of the job role's platform report reads (${stack})`, () => {
        const prefix = `mf-${stack}`;
        const other = stack === "dev" ? "mf-prod" : "mf-dev";
        let principal: string;
        let policy: unknown;
        before(async () => {
            const run = await runStack(stack);
            principal = (run.outputs as any).metaflowConfig.METAFLOW_ECS_S3_ACCESS_IAM_ROLE;
            policy = policyOf(run.one("aws:iam/rolePolicy:RolePolicy", "-job-policy"));
        });
        const job = (action: string, resource: string, context?: Record<string, string>) => simulate(principal, policy, action, resource, context);

        it("reads the stack's three event logs, and no other log group", async () => {
            for (const g of ["pipelines", "pipeline-jobs", "deployments"]) {
                expect(await job("logs:FilterLogEvents", logGroup(`/aws/events/${prefix}-${g}`)), g).to.equal("Allowed");
                expect(await job("logs:FilterLogEvents", logGroup(`/aws/events/${prefix}-${g}:*`)), g).to.equal("Allowed");
            }
            for (const g of [`/aws/events/${other}-pipelines`, `/aws/batch/job`, `/aws/events/${prefix}-other`]) expect(await job("logs:FilterLogEvents", logGroup(g)), g).to.equal("ImplicitlyDenied");
            // Reading is all: no writes, no other read of the logs.
            expect(await job("logs:StartQuery", logGroup(`/aws/events/${prefix}-pipelines`))).to.equal("ImplicitlyDenied");
            expect(await job("logs:PutLogEvents", logGroup(`/aws/events/${prefix}-pipelines:*`))).to.equal("ImplicitlyDenied");
        });

        it("views the stack's budget, and no other", async () => {
            expect(await job("budgets:ViewBudget", budget(`${prefix}-monthly`))).to.equal("Allowed");
            expect(await job("budgets:ViewBudget", budget(`${other}-monthly`))).to.equal("ImplicitlyDenied");
            expect(await job("budgets:ModifyBudget", budget(`${prefix}-monthly`))).to.equal("ImplicitlyDenied");
        });

        it("reads metrics and the month's costs (no resource in the request), not through another tag's billing view", async () => {
            expect(await job("cloudwatch:GetMetricData", "*")).to.equal("Allowed");
            expect(await job("ce:GetCostAndUsage", "*")).to.equal("Allowed");
            expect(await job("ce:GetCostAndUsage", "*", { [`aws:ResourceTag/stack`]: "someone-else" })).to.equal("ImplicitlyDenied");
            expect(await job("ce:GetCostAndUsage", "*", { [`aws:ResourceTag/stack`]: stack })).to.equal("Allowed");
            expect(await job("ce:GetCostForecast", "*")).to.equal("ImplicitlyDenied");
        });
    });
}

describe("IAM simulation of the job role without monitoring", () => {
    it("has none of the report's reads", async () => {
        const run = await runStack("dev", { set: { monitoring: false } });
        const principal = (run.outputs as any).metaflowConfig.METAFLOW_ECS_S3_ACCESS_IAM_ROLE;
        const policy = policyOf(run.one("aws:iam/rolePolicy:RolePolicy", "-job-policy"));
        expect(await simulate(principal, policy, "logs:FilterLogEvents", logGroup("/aws/events/mf-dev-pipelines"))).to.equal("ImplicitlyDenied");
        expect(await simulate(principal, policy, "budgets:ViewBudget", budget("mf-dev-monthly"))).to.equal("ImplicitlyDenied");
        expect(await simulate(principal, policy, "ce:GetCostAndUsage", "*")).to.equal("ImplicitlyDenied");
        expect(await simulate(principal, policy, "cloudwatch:GetMetricData", "*")).to.equal("ImplicitlyDenied");
    });
});
