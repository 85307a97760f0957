/**
 * The weekly platform report (templates/platform_report.py), run end to end by the real Metaflow 2.19.38 with
 * Debian's Python, pandas and matplotlib, against moto for every AWS call: the dev stack's planned settings (its
 * price table, budget and cost tag) plus the delivery settings agreed in issue 20 (the three event logs and the
 * lead-time namespace) in Parameter Store; the logs seeded with EventBridge's events (a deployment followed by a
 * failure then a success, jobs of two engineers and two flows), the lead-time metric, a Cost Explorer answer queued
 * through moto's API, and the budget (seed_report.py). Checked: the run, the card (every plot's title and an embedded
 * PNG, read with Metaflow's get_cards), the CSVs under the data root, and that every AWS call the run made is allowed
 * to the planned job role (IAM simulation; the calls recorded by support/record_boto). One flow run, one moto.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { MOCK_ACCOUNT } from "../../../offline/mocks";
import { policyOf, runStack } from "../../harness";
import { hasPythonModules, ROOT, unavailable, vendored } from "../support/env";
import { MotoServer, startMoto } from "../support/moto";
import { Command, run } from "./processes";

const DEBIAN_PYTHON = "/usr/bin/python3";
const PYENV_PYTHON = "python3";
const PREFIX = "mf-dev";
/** The delivery figures' names (issue 20's agreed interface; written by the stack of the delivery branch). */
const DELIVERY = {
    "pipeline-event-log": `/aws/events/${PREFIX}-pipelines`,
    "pipeline-job-log": `/aws/events/${PREFIX}-pipeline-jobs`,
    "deployment-log": `/aws/events/${PREFIX}-deployments`,
    "pipeline-namespace": `Metaflow/Pipelines/${PREFIX}`,
    "delivery-namespace": `Metaflow/Delivery/${PREFIX}`,
};
const TITLES = ["Runs and active engineers per week", "Deployments and lead time per flow", "Change failure rate and time to restore", "Cost per flow and per engineer", "Spend against budget"];
/** boto3's operation -> the IAM action it is authorised as (DescribeBudget is budgets:ViewBudget). */
const IAM_ACTION: Record<string, string> = { "budgets:DescribeBudget": "budgets:ViewBudget" };

describe("the weekly platform report, end to end with Metaflow 2.19.38 against moto", function () {
    this.timeout(60_000);
    let work: string;
    let moto: MotoServer | undefined;
    let env: NodeJS.ProcessEnv;
    let flow: Command;
    let runId: string;
    let expected: { cost_per_flow: Record<string, number>; cost_per_engineer: Record<string, number> };
    let policy: unknown;
    let principal: string;
    let weeks: Command;

    before(async function () {
        const dir = vendored("metaflow-2.19.38.tar.gz");
        if (!dir) unavailable(this, "../shared/vendor/metaflow-2.19.38.tar.gz");
        if (!hasPythonModules(DEBIAN_PYTHON, ["pandas", "matplotlib", "boto3"])) unavailable(this, "Debian's python3-pandas python3-matplotlib python3-boto3");
        if (!hasPythonModules(PYENV_PYTHON, ["moto.server", "boto3"])) unavailable(this, "moto 5 (server mode) and boto3 in the pyenv python3");
        const metaflow = path.join(dir!, "metaflow-2.19.38");
        work = fs.mkdtempSync(path.join(os.tmpdir(), "mf-report-"));
        fs.cpSync(path.join(ROOT, "templates"), path.join(work, "templates"), { recursive: true, filter: (src) => !/(\.data|\.metaflow|__pycache__)$/.test(src) });
        const [server, plan] = await Promise.all([startMoto(PYENV_PYTHON), runStack("dev")]);
        moto = server;
        policy = policyOf(plan.one("aws:iam/rolePolicy:RolePolicy", "-job-policy"));
        principal = (plan.outputs as any).metaflowConfig.METAFLOW_ECS_S3_ACCESS_IAM_ROLE;
        const planned = Object.fromEntries(plan.ofType("aws:ssm/parameter:Parameter").filter((p) => p.inputs.name.startsWith(`/${PREFIX}/settings/`)).map((p) => [p.inputs.name.split("/settings/")[1], p.inputs.insecureValue as string]));
        const settings = { ...planned, ...DELIVERY, "data-root": path.join(work, "bucket", "data") };
        env = {
            PATH: process.env.PATH,
            HOME: work,
            LANG: "C.UTF-8",
            USERNAME: "integration",
            // sitecustomize (below) is imported from the repository: no bytecode written into it.
            PYTHONDONTWRITEBYTECODE: "1",
            // support/record_boto first: its sitecustomize records every call botocore makes, in every process of the run.
            PYTHONPATH: [path.join(__dirname, "..", "support", "record_boto"), metaflow].join(path.delimiter),
            BOTO_CALLS_FILE: path.join(work, "calls.txt"),
            METAFLOW_HOME: path.join(work, "metaflow-home"),
            // The local datastore in the flow's folder (.metaflow), where the card is written too: get_cards reads
            // cards under the run's datastore root, and Metaflow 2.19.38 writes local cards under the working
            // directory's .metaflow (its CardDatastore.get_storage_root returns None when METAFLOW_CARD_LOCALROOT is set).
            MF_TEMPLATES_LOCAL: "1",
            MF_PLATFORM_PREFIX: `/${PREFIX}`,
            MPLBACKEND: "Agg",
            AWS_ENDPOINT_URL: moto.url,
            AWS_ACCESS_KEY_ID: "testing",
            AWS_SECRET_ACCESS_KEY: "testing",
            AWS_DEFAULT_REGION: "us-east-1",
            AWS_CONFIG_FILE: path.join(work, "no-aws-config"),
            AWS_SHARED_CREDENTIALS_FILE: path.join(work, "no-aws-credentials"),
            AWS_EC2_METADATA_DISABLED: "true",
        };
        const cwd = path.join(work, "templates");
        const [seeded, checked] = await Promise.all([
            run(PYENV_PYTHON, [path.join(__dirname, "seed_report.py"), JSON.stringify(settings)], { cwd, env: { ...env, PYTHONPATH: "" } }),
            run(DEBIAN_PYTHON, ["-c", "import platform_report\ntry:\n    platform_report.validate_weeks(53)\nexcept ValueError as e:\n    print(e)"], { cwd, env: { ...env, BOTO_CALLS_FILE: "" } }),
        ]);
        expect(seeded.code, seeded.stderr).to.equal(0);
        expected = JSON.parse(seeded.stdout);
        weeks = checked;
        const idFile = path.join(work, "run.id");
        flow = await run(DEBIAN_PYTHON, ["platform_report.py", "--datastore", "local", "--metadata", "local", "--quiet", "run", "--run-id-file", idFile], { cwd, env, timeoutMs: 40_000 });
        runId = fs.existsSync(idFile) ? fs.readFileSync(idFile, "utf8").trim() : "";
    });

    after(() => {
        moto?.stop();
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    /** A figure's CSV under the data root, as rows of named values. */
    function csv(name: string): Array<Record<string, string>> {
        const [header, ...lines] = fs.readFileSync(path.join(work, "bucket", "data", "reports", "platform", runId, `${name}.csv`), "utf8").trim().split("\n");
        const keys = header.split(",");
        return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [keys[i], v])));
    }

    it("runs to the end, and refuses a window outside 1-52 weeks", () => {
        expect(flow.code, `${flow.stdout}\n${flow.stderr}`).to.equal(0);
        expect(runId).to.match(/^\d+$/);
        expect(weeks.stdout.trim()).to.equal("--weeks 53: the report's window must be 1 to 52 weeks");
    });

    it("renders a card with every plot: its title and an embedded PNG", async () => {
        const out = await run(DEBIAN_PYTHON, [path.join(__dirname, "read_card.py"), `PlatformReportFlow/${runId}/report/2`, "report"], { cwd: path.join(work, "templates"), env: { ...env, BOTO_CALLS_FILE: "" } });
        expect(out.code, out.stderr).to.equal(0);
        const card = JSON.parse(out.stdout);
        expect(card.images.map((i: any) => i.label)).to.deep.equal(TITLES);
        for (const image of card.images) expect(image.png && image.bytes > 5000, image.label).to.equal(true);
        for (const title of TITLES) expect(card.markdown).to.include(`## ${title}`);
        expect(card.markdown.join("\n")).to.contain("20% on-demand, the rest spot at 0.35 x on-demand");
    });

    it("writes the figures as CSV under the data root", () => {
        const failures = Object.fromEntries(csv("change_failure").map((r) => [r.flow, r]));
        expect(failures.TrainFlow).to.deep.equal({ flow: "TrainFlow", deployments: "2", failed_deployments: "1", change_failure_rate: "0.5" });
        expect(failures.ScoreFlow.change_failure_rate).to.equal("0.0");
        const restore = Object.fromEntries(csv("time_to_restore").map((r) => [r.flow, r]));
        expect([restore.TrainFlow.restores, restore.TrainFlow.median_hours]).to.deep.equal(["1", "3.0"]);
        expect(csv("lead_time")).to.deep.equal([{ flow: "TrainFlow", deployments: "2", median_hours: "1.5", max_hours: "2.0" }]);
        expect(csv("deployments_per_week").reduce((n, r) => n + Number(r.deployments), 0)).to.equal(3);
        // Four executions and two `run --with batch` runs; ann and bob ran jobs.
        const weeks = csv("runs_per_week");
        expect(weeks.reduce((n, r) => n + Number(r.runs), 0)).to.equal(6);
        expect(Math.max(...weeks.map((r) => Number(r.active_engineers)))).to.equal(2);
        for (const [name, key] of [["cost_per_flow", "flow"], ["cost_per_engineer", "engineer"]] as const) {
            const rows = csv(name);
            const want = expected[name];
            expect(rows.map((r) => r[key])).to.have.members(Object.keys(want));
            for (const r of rows) expect(Number(r.cost_usd), `${name} ${r[key]}`).to.be.closeTo(want[r[key]], 1e-9);
        }
        expect(csv("spend")[0]).to.deep.include({ month_to_date_usd: "123.45", budget_usd: "300.0", budget_actual_usd: "100.0" });
    });

    it("makes only AWS calls the planned job role allows", async () => {
        const calls = [...new Set(fs.readFileSync(env.BOTO_CALLS_FILE!, "utf8").trim().split("\n"))].sort();
        expect(calls).to.deep.equal(["budgets:DescribeBudget", "ce:GetCostAndUsage", "cloudwatch:GetMetricData", "logs:FilterLogEvents", "ssm:GetParametersByPath"]);
        const logs = (g: string) => `arn:aws:logs:us-east-1:${MOCK_ACCOUNT}:log-group:${g}`;
        const resources: Record<string, string[]> = {
            "ssm:GetParametersByPath": [`arn:aws:ssm:us-east-1:${MOCK_ACCOUNT}:parameter/${PREFIX}/settings`],
            "logs:FilterLogEvents": [DELIVERY["pipeline-event-log"], DELIVERY["pipeline-job-log"], DELIVERY["deployment-log"]].map(logs),
            "cloudwatch:GetMetricData": ["*"],
            "ce:GetCostAndUsage": ["*"],
            "budgets:DescribeBudget": [`arn:aws:budgets::${MOCK_ACCOUNT}:budget/${PREFIX}-monthly`],
        };
        for (const call of calls) {
            for (const resource of resources[call]) {
                const action = IAM_ACTION[call] ?? call;
                const result = await runSimulation(
                    { request: { principal, action, resource: { resource, accountId: MOCK_ACCOUNT }, contextVariables: { "aws:SecureTransport": "true" } }, identityPolicies: [{ name: "job", policy }], serviceControlPolicies: [], resourceControlPolicies: [] },
                    {},
                );
                expect(result.resultType === "error" ? JSON.stringify(result.errors) : result.overallResult, `${action} on ${resource}`).to.equal("Allowed");
            }
        }
    });
});
