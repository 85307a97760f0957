/**
 * Bad input as a new user writes it (issue 8, item 4): each is refused with exit 2, naming the key, the value given and
 * what is allowed, without a stack trace; and the values AWS itself refuses (checked against AWS's data by the AWS
 * constraints pack) are refused by the configuration first, through the same rule functions.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { validateFoundation } from "../../stacks/references/contract";
import { cli } from "../../scripts/plan";
import { loadConfig, PROJECT } from "../../stacks/config";
import { FIXTURES, stackFixture } from "../harness";

const DEV = fs.readFileSync(stackFixture("dev"), "utf8");
const STAGING = fs.readFileSync(stackFixture("staging"), "utf8");
const PROD = fs.readFileSync(stackFixture("prod"), "utf8");

async function planWith(base: string, extra: string, args: string[] = []): Promise<{ code: number; stderr: string }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mf-bad-"));
    const file = path.join(dir, "Pulumi.bad.yaml");
    fs.writeFileSync(file, base + extra);
    let stderr = "";
    const code = await cli(["--config", file, ...args], { stdout: () => undefined, stderr: (t) => (stderr += t) });
    return { code, stderr };
}

function expectRefused(r: { code: number; stderr: string }, ...parts: string[]): void {
    expect(r.code, r.stderr).to.equal(2);
    for (const p of parts) expect(r.stderr).to.contain(p);
    expect(r.stderr, "no stack trace").to.not.match(/\n\s+at /);
}

describe("bad input: refused with the key, the value and what is allowed", () => {
    it("cost-policy limits: an unknown limit, a wrong type, a family that is not one, a per-environment cap above the total", async () => {
        const r = await planWith(DEV, "  metaflow-platform:costPolicy:\n    allowedInstanceFamily: [g6]\n    maxVcpusTotal: lots\n    allowedDbInstanceClasses: [t4g.small]\n    maxVcpusPerComputeEnvironment: 600\n    maxVcpusTotal2: 1\n");
        expectRefused(
            r,
            'metaflow-platform:costPolicy.allowedInstanceFamily: got ["g6"]; unknown cost-policy limit (did you mean allowedInstanceFamilies?)',
            'metaflow-platform:costPolicy.maxVcpusTotal: got "lots"; expected an integer of at least 1',
            'metaflow-platform:costPolicy.allowedDbInstanceClasses: got ["t4g.small"]; expected a non-empty list of RDS instance classes',
        );
        const inverted = await planWith(DEV, "  metaflow-platform:costPolicy:\n    maxVcpusPerComputeEnvironment: 600\n    maxVcpusTotal: 500\n    allowedInstanceFamilies: [c5.xlarge]\n");
        expectRefused(inverted, "metaflow-platform:costPolicy.maxVcpusPerComputeEnvironment: got 600; must not exceed metaflow-platform:costPolicy.maxVcpusTotal (500)", 'costPolicy.allowedInstanceFamilies: got ["c5.xlarge"]; expected a non-empty list of EC2 instance families');
        expectRefused(await planWith(DEV, "  metaflow-platform:costPolicy: [g6]\n"), 'metaflow-platform:costPolicy: got ["g6"]; expected an object of cost-policy limits: allowedInstanceFamilies,');
    });

    it("cost-policy limits: an instance family EC2 does not have (g99) is refused with exit 2, naming the value and the project's AWS data, not accepted to fail every queue later", async () => {
        const r = await planWith(DEV, "  metaflow-platform:costPolicy:\n    allowedInstanceFamilies: [c5, g99]\n");
        expectRefused(
            r,
            'metaflow-platform:costPolicy.allowedInstanceFamilies: got ["c5","g99"]; g99 is not an EC2 instance family',
            "the EC2 instance types in the project's AWS data (aws-facts/constraints.json, from the botocore ec2",
        );
        expect(r.stderr).to.not.contain("c5 is not");
        // Every real family passes: the policy's own defaults for every environment name only families EC2 has.
        const ok = await planWith(DEV, "  metaflow-platform:costPolicy:\n    allowedInstanceFamilies: [c5, c6i, m5, m6i, r5, r6i, g4dn, g5, g6, p4d, p5, c7g]\n");
        expect(ok.code, ok.stderr).to.equal(0);
    });

    it("a trigger without flow", async () => {
        const r = await planWith(DEV, "  metaflow-platform:triggers:\n    - schedule: rate(1 day)\n");
        expectRefused(r, "metaflow-platform:triggers[0].flow: got nothing; expected the deployed flow name");
    });

    it("a trigger whose flow is not a string", async () => {
        const r = await planWith(DEV, "  metaflow-platform:triggers:\n    - flow: 42\n      schedule: rate(1 day)\n");
        expectRefused(r, "metaflow-platform:triggers[0].flow: got 42; expected the deployed flow name");
    });

    it("a trigger event pattern with a bare value below the top level (EventBridge rejects it at any depth)", async () => {
        const r = await planWith(DEV, "  metaflow-platform:triggers:\n    - flow: ReactFlow\n      eventPattern: {source: [my.app], detail: {status: FAILED}}\n");
        expectRefused(r, "metaflow-platform:triggers[0].eventPattern:", 'detail.status: "FAILED" is a bare value');
    });

    it("a references file whose userAccessSecurityGroupIds is not a list", async () => {
        for (const bad of [5, "sg-0c8d2e3f4a5b6c701", { id: "sg-0c8d2e3f4a5b6c701" }]) {
            const outputs = { ...FIXTURES["acme/a01-foundation/prod"], userAccessSecurityGroupIds: bad };
            const { problems } = validateFoundation("acme/a01-foundation/prod", outputs, "us-east-1");
            expect(problems.join("\n")).to.contain('output "userAccessSecurityGroupIds" is malformed').and.contain("expected string[]");
        }
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mf-bad-"));
        const refs = path.join(dir, "references.json");
        fs.writeFileSync(refs, JSON.stringify({ ...FIXTURES, "acme/a01-foundation/staging": { ...FIXTURES["acme/a01-foundation/staging"], userAccessSecurityGroupIds: 5 } }));
        const r = await planWith(STAGING, "", ["--references", refs]);
        expectRefused(r, 'output "userAccessSecurityGroupIds" is malformed: got 5');
    });

    it("a vpcCidr with an octet above 255", async () => {
        expectRefused(await planWith(DEV, "  metaflow-platform:vpcCidr: 10.400.0.0/16\n"), 'metaflow-platform:vpcCidr: got "10.400.0.0/16"; octet 400 is above 255');
    });

    it("a vpcCidr with host bits set", async () => {
        expectRefused(await planWith(DEV, "  metaflow-platform:vpcCidr: 10.40.0.1/16\n"), 'metaflow-platform:vpcCidr: got "10.40.0.1/16"; has host bits set', "write 10.40.0.0/16");
    });

    it("a vpcCidr on a stack with a foundation (it would have no effect)", async () => {
        expectRefused(await planWith(STAGING, "  metaflow-platform:vpcCidr: 10.40.0.0/16\n"), 'metaflow-platform:vpcCidr: got "10.40.0.0/16"; has no effect with a foundationStack');
    });

    it("a blank owner (the CLI passes an empty string today, null later): never a tag value", async () => {
        const r = await planWith(DEV.replace("metaflow-platform:owner: ml-platform", "metaflow-platform:owner:"), "");
        expectRefused(r, "metaflow-platform:owner:");
        const base = Object.fromEntries(Object.entries({ "aws:region": "us-east-1", environment: "dev", owner: "o", costCenter: "c" }).map(([k, v]) => [k.includes(":") ? k : `${PROJECT}:${k}`, v]));
        for (const blank of [null, "", " ", "  team "]) {
            const loaded = loadConfig({ ...base, [`${PROJECT}:owner`]: blank as unknown as string }, { stack: "dev" });
            expect(loaded.ok, JSON.stringify(blank)).to.equal(false);
            if (!loaded.ok) expect(loaded.problems.map((p) => p.key), JSON.stringify(blank)).to.deep.equal([`${PROJECT}:owner`]);
        }
    });

    it("a namePrefix with two consecutive hyphens (RDS identifiers and parameter group names refuse them)", async () => {
        expectRefused(await planWith(DEV, "  metaflow-platform:namePrefix: mf--dev\n"), 'metaflow-platform:namePrefix: got "mf--dev"', "without two consecutive hyphens");
    });

    it("a database storage ceiling less than 10% above the allocated storage", async () => {
        expectRefused(await planWith(DEV, "  metaflow-platform:serviceDbStorageGb: 100\n  metaflow-platform:serviceDbMaxStorageGb: 109\n"), "metaflow-platform:serviceDbMaxStorageGb: got 109; must be at least 10% above the allocated storage (100 GB): at least 110 GB");
        const ok = await planWith(DEV, "  metaflow-platform:serviceDbStorageGb: 100\n  metaflow-platform:serviceDbMaxStorageGb: 110\n", ["--json"]);
        expect(ok.code, ok.stderr).to.equal(0);
    });
    it("serving: an unknown field, a model name SageMaker or the roles cannot take, a duplicate model", async () => {
        expectRefused(
            await planWith(DEV, "  metaflow-platform:serving:\n    models: [churn, Churn_2, churn]\n    memory: 2048\n"),
            'metaflow-platform:serving.memory: got 2048; unknown field; allowed: models',
            'metaflow-platform:serving.models[1]: got "Churn_2"; expected a model name: 1-21 lowercase letters, digits or hyphens, starting with a letter',
            'metaflow-platform:serving.models[2]: got "churn"; duplicate model name',
        );
        expectRefused(await planWith(DEV, `  metaflow-platform:serving:\n    models: [${"a".repeat(22)}]\n`), `metaflow-platform:serving.models[0]: got "${"a".repeat(22)}"; expected a model name: 1-21`);
        expectRefused(await planWith(DEV, "  metaflow-platform:serving: [churn]\n"), 'metaflow-platform:serving: got ["churn"]; expected an object {models, serverlessMemoryMb, maxConcurrency, approverRoleNames, engineersMayDeploy}');
        const ok = await planWith(DEV, "  metaflow-platform:serving:\n    models: [churn, fraud-2]\n", ["--json"]);
        expect(ok.code, ok.stderr).to.equal(0);
    });

    it("serving: an unknown field is refused with the fields the key has", async () => {
        expectRefused(
            await planWith(DEV, "  metaflow-platform:serving:\n    models: [churn]\n    memoryMb: 2048\n"),
            "metaflow-platform:serving.memoryMb: got 2048; unknown field; allowed: models, serverlessMemoryMb, maxConcurrency, approverRoleNames, engineersMayDeploy",
        );
    });

    it("serving: a serverless memory size SageMaker does not offer (AWS's values from aws-facts/constraints.json)", async () => {
        for (const memory of [1536, 8192, 0]) {
            expectRefused(
                await planWith(DEV, `  metaflow-platform:serving:\n    models: [churn]\n    serverlessMemoryMb: ${memory}\n`),
                `metaflow-platform:serving.serverlessMemoryMb: got ${memory}; expected a serverless memory size SageMaker offers: 1024, 2048, 3072, 4096, 5120, 6144 MB (botocore sagemaker ProductionVariantServerlessConfig.MemorySizeInMB)`,
            );
        }
        const ok = await planWith(DEV, "  metaflow-platform:serving:\n    models: [churn]\n    serverlessMemoryMb: 4096\n    maxConcurrency: 200\n", ["--json"]);
        expect(ok.code, ok.stderr).to.equal(0);
    });

    it("serving: a concurrency outside SageMaker's 1-200 (0, 201, 2.5) is refused", async () => {
        for (const concurrency of ["0", "201", "2.5", '"5"']) {
            expectRefused(
                await planWith(DEV, `  metaflow-platform:serving:\n    models: [churn]\n    maxConcurrency: ${concurrency}\n`),
                `metaflow-platform:serving.maxConcurrency: got ${concurrency}; expected an integer of 1-200 concurrent invocations (SageMaker's serverless range, botocore sagemaker ProductionVariantServerlessConfig.MaxConcurrency)`,
            );
        }
    });

    it("serving: prod with models needs an approver role; dev and staging do not", async () => {
        expectRefused(
            await planWith(PROD, "  metaflow-platform:serving:\n    models: [churn]\n"),
            "metaflow-platform:serving.approverRoleNames: got []; at least one IAM role in prod: the role of the people who approve or reject model versions",
        );
        expectRefused(await planWith(PROD, "  metaflow-platform:serving:\n    models: [churn]\n    approverRoleNames: [ml-reviewers, ml-reviewers]\n"), 'metaflow-platform:serving.approverRoleNames[1]: got "ml-reviewers"; listed twice');
        expectRefused(await planWith(DEV, "  metaflow-platform:serving:\n    models: [churn]\n    approverRoleNames: [ml reviewers]\n"), 'metaflow-platform:serving.approverRoleNames[0]: got "ml reviewers"; expected an IAM role name');
        const staging = await planWith(STAGING, "  metaflow-platform:serving:\n    models: [churn]\n", ["--json"]);
        expect(staging.code, staging.stderr).to.equal(0);
        const prod = await planWith(PROD, "  metaflow-platform:serving:\n    models: [churn]\n    approverRoleNames: [ml-reviewers]\n", ["--json"]);
        expect(prod.code, prod.stderr).to.equal(0);
    });

    it("serving: in prod an approver role must not be an engineer role (no self-approval); dev may name it", async () => {
        const approvers = "  metaflow-platform:engineerRoleNames: [ml-engineers]\n  metaflow-platform:serving:\n    models: [churn]\n    approverRoleNames: [ml-reviewers, ml-engineers]\n";
        expectRefused(
            await planWith(PROD, approvers),
            'metaflow-platform:serving.approverRoleNames[1]: got "ml-engineers"; is also in engineerRoleNames: in prod no one approves the versions they register',
        );
        const dev = await planWith(DEV, approvers, ["--json"]);
        expect(dev.code, dev.stderr).to.equal(0);
    });

    it("serving: no models is refused by the configuration (exit 2), not by the component with a stack trace", async () => {
        expectRefused(await planWith(DEV, "  metaflow-platform:serving:\n    models: []\n"), "metaflow-platform:serving.models: got []; at least one model (leave serving unset for none)");
    });

    it("serving: more than 20 models", async () => {
        const models = Array.from({ length: 21 }, (_, i) => `m${i}`);
        expectRefused(await planWith(DEV, `  metaflow-platform:serving:\n    models: [${models.join(", ")}]\n`), "metaflow-platform:serving.models: got", "21 models; at most 20 per stack");
    });

    describe("workspaces", () => {
        const W = "  metaflow-platform:workspaces:\n";

        it("an unknown field, an engineer id AWS cannot tag, a profile name SageMaker refuses, one name twice", async () => {
            expectRefused(
                await planWith(DEV, `${W}    engineers:\n      - id: "jane doe#1"\n      - {id: li@example.com, profile: li_wei}\n      - {id: Sam@example.com}\n      - {id: sam@example.org}\n    rootAccess: false\n`),
                "metaflow-platform:workspaces.rootAccess: got false; unknown field; allowed: engineers,",
                'metaflow-platform:workspaces.engineers[0].id: got "jane doe#1"; expected the engineer\'s principal-tag value',
                'metaflow-platform:workspaces.engineers[1].profile: got "li_wei"; a user profile name does not match',
                'metaflow-platform:workspaces.engineers[3].profile: got "sam"; another engineer has this profile name (SageMaker compares them case-insensitively)',
            );
            expectRefused(await planWith(DEV, `${W}    engineers: []\n`), "metaflow-platform:workspaces.engineers: got []; expected a non-empty list");
        });

        it("an idle timeout outside AWS's range, and above what the environment allows", async () => {
            expectRefused(await planWith(DEV, `${W}    engineers: [{id: a@example.com}]\n    idleTimeoutMinutes: 30\n`), "metaflow-platform:workspaces.idleTimeoutMinutes: got 30; an integer of 60-525600 minutes (SageMaker's IdleSettings range)");
            expectRefused(await planWith(DEV, `${W}    engineers: [{id: a@example.com}]\n    maxIdleTimeoutMinutes: 600\n`), "metaflow-platform:workspaces.maxIdleTimeoutMinutes: got 600; at most 120 in dev (costPolicy.maxStudioIdleMinutes)");
        });

        it("an instance type that is no Studio type, and one the environment does not allow", async () => {
            expectRefused(await planWith(DEV, `${W}    engineers: [{id: a@example.com}]\n    defaultInstanceType: ml.t3.mega\n`), 'metaflow-platform:workspaces.defaultInstanceType: got "ml.t3.mega"; not a JupyterLab instance type in SageMaker\'s model');
            expectRefused(await planWith(STAGING, `${W}    engineers: [{id: a@example.com}]\n    defaultInstanceType: ml.m5.xlarge\n`), 'metaflow-platform:workspaces.defaultInstanceType: got "ml.m5.xlarge"; staging allows ml.t3.medium, ml.t3.large (costPolicy.allowedStudioInstanceTypes)');
            const allowed = await planWith(STAGING, `${W}    engineers: [{id: a@example.com}]\n    defaultInstanceType: ml.m5.xlarge\n  metaflow-platform:costPolicy:\n    allowedStudioInstanceTypes: [ml.t3.medium, ml.m5.xlarge]\n`);
            expect(allowed.code, allowed.stderr).to.equal(0);
        });

        it("workspaces on a foundation without NAT, unless they bring their own endpoints and package index", async () => {
            const refs = fs.mkdtempSync(path.join(os.tmpdir(), "mf-refs-"));
            const file = path.join(refs, "foundation.json");
            fs.writeFileSync(file, JSON.stringify({ ...FIXTURES["acme/a01-foundation/dev"], privateEgress: "none" }));
            const onFoundation = `  metaflow-platform:foundationStack: acme/a01-foundation/dev\n${W}    engineers: [{id: a@example.com}]\n`;
            const args = ["--references", `acme/a01-foundation/dev=${file}`];
            expectRefused(await planWith(DEV, onFoundation, args), 'metaflow-platform:workspaces.egress: got "network" (the default); the foundation stack acme/a01-foundation/dev exports privateEgress "none"', "set workspaces.egress to endpoints");
            expectRefused(await planWith(DEV, `${onFoundation}    egress: endpoints\n`, args), "metaflow-platform:workspaces.pipIndexUrl: got nothing; required with egress endpoints");
            const ok = await planWith(DEV, `${onFoundation}    egress: endpoints\n    pipIndexUrl: https://pypi.internal.example.com/simple\n`, args);
            expect(ok.code, ok.stderr).to.equal(0);
        });
    });

    it("more metadata service tasks than the stack's database accepts connections for", async () => {
        expectRefused(
            await planWith(DEV, "  metaflow-platform:serviceMaxTasks: 12\n"),
            'metaflow-platform:serviceMaxTasks, metaflow-platform:serviceDbInstanceClass: got 12 and db.t4g.micro; 12 tasks can open 268 connections',
            "at most 4 tasks on it, or a larger serviceDbInstanceClass",
        );
        const larger = await planWith(DEV, "  metaflow-platform:serviceMaxTasks: 8\n  metaflow-platform:serviceDbInstanceClass: db.t4g.small\n  metaflow-platform:costPolicy:\n    allowedDbInstanceClasses: [db.t4g.small]\n");
        expect(larger.code, larger.stderr).to.equal(0);
    });
});
