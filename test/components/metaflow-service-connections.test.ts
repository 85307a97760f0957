/**
 * The metadata service's peak database connections against RDS for PostgreSQL's default max_connections
 * (components/metaflow-service/connections.ts), as arithmetic and on planned stacks.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { connectionProblem, maxConnections, peakConnections } from "../../components/metaflow-service/connections";
import { CPU_TARGET_PERCENT, PEAK_ENGINEERS, tasksFor } from "../../components/metaflow-service/sizing";
import { databaseConnectionProblems } from "../../stacks/reference-checks";
import { requireConfig } from "../../stacks/config";
import { FIXTURES, ROOT, runStack } from "../harness";
import { MAXIMAL, violationsOf } from "../policies/maximal";

describe("metadata service connections against its database", () => {
    it("takes RDS's LEAST(DBInstanceClassMemory/9531392, 5000) on 85% of the class's memory", () => {
        // 1 GiB: 1073741824 x 0.85 / 9531392 = 95.75; 4 GiB: 383.0; 16 GiB: 1532.
        expect([maxConnections("db.t4g.micro"), maxConnections("db.t4g.medium"), maxConnections("db.r6g.large")]).to.deep.equal([95, 383, 1532]);
        expect(maxConnections("db.x9.huge")).to.equal(undefined);
    });

    it("counts twice the tasks (a rolling deployment), 11 connections each, the UI's, a migration and 3 reserved", () => {
        expect(peakConnections(6, false)).to.equal(2 * 6 * 11 + 1 + 3);
        expect(peakConnections(2, true)).to.equal(2 * 2 * 11 + 2 * 61 + 1 + 3);
    });

    it("accepts 4 tasks on db.t4g.micro and refuses one more, naming the limit and the way out; the UI's six pools need db.t4g.small", () => {
        expect(connectionProblem("db.t4g.micro", 4, false)).to.equal(undefined);
        expect(connectionProblem("db.t4g.micro", 5, false)).to.contain("5 tasks can open 114 connections").and.contain("db.t4g.micro accepts about 95").and.contain("at most 4 tasks on it");
        // With the UI: 2 x 61 for its backend (six pools of 10 and the probe) on top.
        expect(connectionProblem("db.t4g.micro", 1, true)).to.contain("1 tasks can open 148 connections").and.contain("the UI backend alone needs more than it has");
        expect(connectionProblem("db.t4g.small", 2, true)).to.equal(undefined);
        expect(connectionProblem("db.t4g.small", 3, true)).to.contain("at most 2 tasks on it");
        expect(connectionProblem("db.x9.huge", 50, true), "no figure, no verdict").to.equal(undefined);
    });

    it("holds on every environment's defaults, and skips a foundation's shared database", () => {
        const base = { "aws:region": "us-east-1", "metaflow-platform:owner": "o", "metaflow-platform:costCenter": "c" };
        for (const env of ["dev", "staging", "prod"]) {
            const raw = { ...base, "metaflow-platform:environment": env, ...(env === "dev" ? {} : { "metaflow-platform:foundationStack": `acme/a01-foundation/${env}` }) };
            const config = requireConfig(raw, { stack: env });
            expect(databaseConnectionProblems(config, {}), env).to.deep.equal([]);
        }
        const big = requireConfig({ ...base, "metaflow-platform:environment": "dev", "metaflow-platform:serviceMaxTasks": "20" }, { stack: "dev" });
        expect(databaseConnectionProblems(big, {}).map((p) => p.key)).to.deep.equal(["metaflow-platform:serviceMaxTasks, metaflow-platform:serviceDbInstanceClass"]);
        const shared = { endpoint: "db.example.internal", port: 5432, securityGroupId: "sg-0123456789abcdef0", secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db" };
        expect(databaseConnectionProblems(big, { foundation: { ...(FIXTURES["acme/a01-foundation/dev"] as any), database: shared } })).to.deep.equal([]);
    });

    it("docs/metadata-service.md's table is what the rule gives", () => {
        const doc = fs.readFileSync(path.join(ROOT, "docs", "metadata-service.md"), "utf8");
        const rows = [...doc.matchAll(/^\| (db\.[^|]+) \| (\d+) \| (\d+) \((\d+|none)\) \|$/gm)];
        expect(rows.length).to.equal(4);
        const most = (cls: string, ui: boolean) => {
            let n = 0;
            while (!connectionProblem(cls, n + 1, ui)) n++;
            return n;
        };
        for (const [, classes, limit, tasks, withUi] of rows) {
            for (const cls of classes.split(", ")) {
                expect([maxConnections(cls), most(cls, false), most(cls, true)], cls).to.deep.equal([Number(limit), Number(tasks), withUi === "none" ? 0 : Number(withUi)]);
            }
        }
    });
});

describe("metadata service sizing from the capacity bench", () => {
    const classes = ["db.t4g.micro", "db.t4g.small", "db.t4g.medium", "db.t4g.large", "db.m6g.large", "db.r6g.large"];
    const smallest = (tasks: number, ui: boolean) => classes.find((c) => !connectionProblem(c, tasks, ui));

    it("gives each environment's serviceMaxTasks and the 40% CPU target, one task per 2 overlapping fan-outs", () => {
        const base = { "aws:region": "us-east-1", "metaflow-platform:owner": "o", "metaflow-platform:costCenter": "c" };
        for (const env of ["dev", "staging", "prod"] as const) {
            const raw = { ...base, "metaflow-platform:environment": env, ...(env === "dev" ? {} : { "metaflow-platform:foundationStack": `acme/a01-foundation/${env}` }) };
            const s = requireConfig(raw, { stack: env }).service;
            expect([s.maxTasks, s.cpuTargetPercent], env).to.deep.equal([tasksFor(PEAK_ENGINEERS[env], env === "prod" ? 2 : 1), CPU_TARGET_PERCENT]);
        }
        expect([tasksFor(4), tasksFor(5), tasksFor(20, 2), tasksFor(1, 2)]).to.deep.equal([2, 3, 10, 2]);
    });

    it("docs/metadata-service.md's sizing table is what the rule gives", () => {
        const doc = fs.readFileSync(path.join(ROOT, "docs", "metadata-service.md"), "utf8");
        const rows = [...doc.matchAll(/^\| (\d+)(?: \((\w+)\))? \| (\d+) \| (db\.[\w.]+) \((db\.[\w.]+)\) \|$/gm)];
        expect(rows.length).to.equal(5);
        for (const [, engineers, env, tasks, db, dbUi] of rows) {
            const n = tasksFor(Number(engineers), env === "prod" ? 2 : 1);
            expect([Number(tasks), db, dbUi], `${engineers} engineers`).to.deep.equal([n, smallest(n, false), smallest(n, true)]);
            if (env) expect(PEAK_ENGINEERS[env as keyof typeof PEAK_ENGINEERS], env).to.equal(Number(engineers));
        }
    });
});

describe("aws pack: aws-rds-connections (the same rule on the planned resources)", () => {
    const rule = "aws-rds-connections";
    const found = (run: Awaited<ReturnType<typeof runStack>>, env: "dev" | "prod") => violationsOf(run, env, 1_000_000).filter((v) => v.policy === rule).map((v) => v.message);

    it("passes the shipped stacks and the maximal prod (UI on), and fails when the service may scale past the database", async () => {
        const dev = await runStack("dev");
        expect(found(dev, "dev")).to.deep.equal([]);
        expect(found(await runStack("prod", { set: MAXIMAL }), "prod")).to.deep.equal([]);
        // The scaling target raised after the configuration's check: 20 tasks x 2 (deployment) x 11 + 4 = 444 on db.t4g.micro (95).
        const raised = dev.resources.map((r) => (r.type === "aws:appautoscaling/target:Target" ? { ...r, inputs: { ...r.inputs, maxCapacity: 20 } } : r));
        expect(found({ ...dev, resources: raised }, "dev")).to.deep.equal([
            "mf-dev-metadata-service 40 task(s) can open 444 connections (11 a task, a migration and 3 reserved), but db.t4g.micro accepts about 95: fewer tasks or a larger class",
        ]);
    });

    it("pairs nothing without the stack's own database (a foundation's shared one)", async () => {
        const shared = { databaseEndpoint: "db.example.internal", databasePort: 5432, databaseSecurityGroupId: "sg-0123456789abcdef0", databaseSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db" };
        const refs = { ...FIXTURES, "acme/a01-foundation/prod": { ...FIXTURES["acme/a01-foundation/prod"], ...shared } };
        const run = await runStack("prod", { set: { serviceMaxTasks: 50 }, references: refs });
        expect(run.ofType("aws:rds/instance:Instance")).to.have.length(0);
        expect(found(run, "prod")).to.deep.equal([]);
    });
});
