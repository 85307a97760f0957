import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { estimateCost, natGateways, renderCostTable, roundEstimate } from "../../policies/cost/estimate";
import { EC2, perVcpuHour, PRICES, RDS, STUDIO_INSTANCES } from "../../policies/cost/prices";
import { defaultSettings } from "../../policies/lib/settings";
import { T } from "../../policies/lib/types";
import { fromPlan } from "../../policies/lib/view";
import { runStack } from "../harness";
import { res } from "./fixtures";
import { domain, platformKey, profile, studioPlan } from "./studio-fixtures";

const dev = defaultSettings("dev");
const fixed = (e: ReturnType<typeof estimateCost>, name: string) => e.items.find((i) => i.kind === "fixed" && i.resource === name)?.monthlyUsd;

describe("cost estimator", () => {
    it("prices the Terraform reference deployment's idle resources at about $385/month, as the shared price reference does", () => {
        const doc = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "reference-terraform-idle.json"), "utf8"));
        const e = estimateCost(fromPlan(doc.resources), dev);
        expect(fixed(e, "cpu")).to.equal(290); // minvCpus 8 on c4: one c4.2xlarge always on
        expect(fixed(e, "metaflow-db")).to.equal(57); // db.t3.small Multi-AZ 52.6 + 20 GB x 0.23
        expect(fixed(e, "metadata-nlb")).to.equal(16);
        expect(fixed(e, "metadata-service")).to.equal(18);
        expect(e.exact.idleMonthlyUsd).to.be.within(380, 390);
        expect(e.idleMonthlyUsd).to.equal(380);
        expect(e.uncertain, "db.t3.small is a [?] price").to.equal(true);
        expect(e.unpriced.map((u) => u.resource)).to.deep.equal(["metadata-api"]);
    });

    it("keeps the price table's uncertainty marks and sources", () => {
        expect(RDS["db.t3.small"].multi.uncertain).to.equal(true);
        expect(RDS["db.t4g.small"].single.uncertain).to.equal(undefined);
        expect(EC2["c4.2xlarge"]).to.include({ usd: 0.398, vcpus: 8 });
        for (const row of Object.values(EC2)) expect(row.source).to.match(/2026/);
        expect(perVcpuHour("c5")).to.deep.equal({ usd: 0.17 / 4, type: "c5.xlarge" });
        expect(perVcpuHour("x9")).to.equal(undefined);
    });

    it("lists what it cannot price instead of counting it as zero", () => {
        const e = estimateCost([res(T.rdsInstance, "db", { instanceClass: "db.x2g.16xlarge" }), res(T.efsFileSystem, "fs", {})], dev);
        expect(e.items.filter((i) => i.kind === "fixed")).to.deep.equal([]);
        expect(e.unpriced.map((u) => u.resource)).to.deep.equal(["db", "fs"]);
        expect(renderCostTable(e)).to.match(/not priced \(not counted\): db \(no price for instance class db\.x2g\.16xlarge\)/);
    });

    it("counts NAT gateways from the awsx strategy, and not twice when the children are listed", () => {
        const vpc = res(T.awsxVpc, "vpc", { numberOfAvailabilityZones: 3 });
        expect(natGateways([vpc]).map((n) => n.count)).to.deep.equal([3]);
        expect(natGateways([res(T.awsxVpc, "v", { natGateways: { strategy: "Single" } })]).map((n) => n.count)).to.deep.equal([1]);
        expect(natGateways([res(T.awsxVpc, "v", { natGateways: { strategy: "None" } })])).to.deep.equal([]);
        const child = res(T.natGateway, "nat-a", {}, { parent: vpc.urn });
        expect(natGateways([vpc, child]).map((n) => n.count)).to.deep.equal([1]);
    });

    it("prices Fargate services from their task definition and autoscaling minimum", () => {
        const td = res(T.ecsTaskDefinition, "td", { cpu: "1024", memory: "2048", requiresCompatibilities: ["FARGATE"] }, { outputs: { arn: "arn:td:1" } });
        const svc = res(T.ecsService, "svc", { launchType: "FARGATE", desiredCount: 1, taskDefinition: "arn:td:1", name: "metadata" });
        const scaling = res("aws:appautoscaling/target:Target", "scale", { serviceNamespace: "ecs", resourceId: "service/cluster/metadata", minCapacity: 2, maxCapacity: 4 });
        const one = (1 * 0.04048 + 2 * 0.004445) * 730;
        expect(estimateCost([td, svc], dev).exact.idleMonthlyUsd).to.be.closeTo(one, 0.01);
        expect(estimateCost([td, svc, scaling], dev).exact.idleMonthlyUsd).to.be.closeTo(2 * one, 0.01);
    });

    it("adds the usage scenario for the kinds of resources present, with the spot factor", () => {
        const cpu = res(T.computeEnvironment, "cpu", { computeResources: { type: "SPOT", minVcpus: 0, maxVcpus: 64, instanceTypes: ["c5"] } });
        const gpu = res(T.computeEnvironment, "gpu", { computeResources: { type: "SPOT", minVcpus: 0, maxVcpus: 64, instanceTypes: ["g4dn"] } });
        const e = estimateCost([cpu, gpu], dev);
        expect(e.idleMonthlyUsd).to.equal(0);
        const mix = 0.2 + 0.8 * 0.35;
        const cpuJobs = e.items.find((i) => i.resource === "Batch CPU jobs")!;
        expect(cpuJobs.monthlyUsd).to.equal(roundEstimate(200 * 0.34 * mix));
        expect(e.items.find((i) => i.resource === "Batch GPU jobs")!.monthlyUsd).to.equal(roundEstimate(20 * 0.526 * mix));
        const cheaper = estimateCost([cpu], { ...dev, usage: { ...dev.usage, spotFactor: 0.2 } });
        expect(cheaper.exact.monthlyUsd).to.be.below(estimateCost([cpu], dev).exact.monthlyUsd);
    });

    it("prices alarms at $0.10 a month each, on one line, and lists a budget as not priced", () => {
        const alarms = ["a", "b", "c"].map((n) => res(T.metricAlarm, n, { actionsEnabled: true }));
        const e = estimateCost([...alarms, res(T.budget, "budget", { budgetType: "COST" })], dev);
        expect(e.items.filter((i) => i.category === "monitoring")).to.have.length(1);
        expect(e.exact.idleMonthlyUsd).to.be.closeTo(0.3, 1e-9);
        expect(fixed(e, "CloudWatch alarms")).to.equal(0.3);
        expect(e.unpriced.map((u) => u.resource)).to.deep.equal(["budget"]);
        expect(estimateCost([], dev).items.some((i) => i.category === "monitoring")).to.equal(false);
    });

    it("rounds to two significant digits", () => {
        expect([0.1, 2.25, 32.85, 384.2, 1234, 0].map(roundEstimate)).to.deep.equal([0.1, 2.3, 33, 380, 1200, 0]);
    });
});

describe("cost estimator: Studio workspaces", () => {
    const item = (e: ReturnType<typeof estimateCost>, name: string) => e.items.find((i) => i.resource === name);

    it("dev's three engineers add $2.10 to the idle month (3 x 5 GB x $0.14), at most the issue's $3: the domain is $0, home EFS is usage", () => {
        expect(PRICES.sagemakerMlStorage).to.include({ usd: 0.14, unit: "GB-month", uncertain: true });
        const without = estimateCost([platformKey()], dev);
        const e = estimateCost(studioPlan(), dev);
        const added = e.exact.idleMonthlyUsd - without.exact.idleMonthlyUsd;
        expect(added).to.be.closeTo(3 * 5 * 0.14, 1e-9);
        expect(added).to.be.at.most(3);
        expect(item(e, "workspaces-domain")).to.deep.include({ kind: "fixed", monthlyUsd: 0, category: "workspaces" });
        expect(item(e, "workspaces-domain")!.basis).to.match(/^Studio domain: no charge/);
        expect(item(e, "workspaces-domain space volumes")).to.deep.include({
            kind: "fixed",
            monthlyUsd: 2.1,
            uncertain: true,
            basis: "3 profile(s) x 5 GB (default space volume; a space exists once its engineer opens Studio) x $0.14/GB-month (SageMaker ML storage)",
        });
        expect(e.unpriced.find((u) => u.resource === "workspaces-domain home EFS")!.reason).to.contain("EFS Standard $0.3/GB-month");
    });

    it("the typical month adds usage.studioHoursPerEngineer per profile at the domain's default instance type: dev 3 x 5 h x 21 days = 315 h x $0.05 = $15.75", () => {
        expect(dev.usage.studioHoursPerEngineer).to.equal(5 * 21);
        expect(defaultSettings("staging").usage.studioHoursPerEngineer).to.equal(3 * 21);
        expect(defaultSettings("prod").usage.studioHoursPerEngineer).to.equal(7 * 21);
        expect(STUDIO_INSTANCES["ml.t3.medium"]).to.include({ usd: 0.05, uncertain: true });
        const e = estimateCost(studioPlan(), dev);
        const usage = item(e, "Studio JupyterLab")!;
        expect(usage).to.deep.include({ kind: "usage", monthlyUsd: roundEstimate(15.75), uncertain: true });
        expect(usage.basis).to.equal("3 engineer(s) x 105 h (usage.studioHoursPerEngineer; dev's default: 5 h a day, the last hour idle until shutdown, x 21 days) x ml.t3.medium $0.05/h");
        const two = estimateCost(studioPlan({ profiles: [profile("jane"), profile("li")] }), dev);
        expect(item(two, "Studio JupyterLab")!.monthlyUsd).to.equal(roundEstimate(2 * 105 * 0.05));
        expect(e.exact.monthlyUsd - e.exact.idleMonthlyUsd).to.be.closeTo(15.75, 1e-9);
        const none = estimateCost(studioPlan(), { ...dev, usage: { ...dev.usage, studioHoursPerEngineer: 0 } });
        expect(item(none, "Studio JupyterLab")).to.equal(undefined);
    });

    it("sums each profile's own space size, lists an unpriced instance type, and prices nothing without a domain", () => {
        const big = profile("li", { userSettings: { spaceStorageSettings: { defaultEbsStorageSettings: { defaultEbsVolumeSizeInGb: 10 } } } });
        const e = estimateCost(studioPlan({ profiles: [profile("jane"), profile("omar"), big] }), dev);
        expect(item(e, "workspaces-domain space volumes")).to.deep.include({ monthlyUsd: roundEstimate(20 * 0.14), basis: "5 + 5 + 10 GB (default space volume; a space exists once its engineer opens Studio) x $0.14/GB-month (SageMaker ML storage)" });
        const m5Domain = domain({ defaultUserSettings: { jupyterLabAppSettings: { defaultResourceSpec: { instanceType: "ml.m5.large" } } } });
        const m5 = estimateCost([m5Domain, profile("jane")], dev);
        expect(m5.unpriced.map((u) => `${u.resource}: ${u.reason}`)).to.include("Studio JupyterLab usage: no price for ml.m5.large");
        const empty = estimateCost([m5Domain], dev);
        expect(item(empty, "workspaces-domain space volumes"), "no profile, no space").to.equal(undefined);
        expect(item(empty, "Studio JupyterLab"), "no profile, no JupyterLab hours").to.equal(undefined);
        expect(estimateCost([platformKey()], dev).items.some((i) => i.category === "workspaces")).to.equal(false);
    });
});

describe("the idle month of each stack (operations goals: dev under $55 alone and about $40 on a foundation, staging under $45)", () => {
    const idle = async (stack: string, set: Record<string, unknown> = {}) => {
        const run = await runStack(stack, { set });
        return { run, cost: estimateCost(fromPlan(run.resources, run.outputs, stack), defaultSettings(stack as "dev")) };
    };

    it("dev without a foundation idles under $55 with its NAT instance, and the NAT gateway option costs its $36 more", async () => {
        const own = await idle("dev");
        expect(own.cost.exact.idleMonthlyUsd).to.be.below(55);
        const gateway = await idle("dev", { egress: "nat-gateway" });
        expect(gateway.cost.exact.idleMonthlyUsd - own.cost.exact.idleMonthlyUsd).to.be.within(30, 36);
    });

    it("dev on a foundation idles under $40.10 (with the deployment alarm), staging under $45, both asleep outside office hours", async () => {
        const dev = await idle("dev", { foundationStack: "acme/a01-foundation/staging" });
        // $40 plus the deployment log's failed-delivery alarm ($0.10; every EventBridge rule has one, issue 20), which
        // took it from $39.91 to $40.01; issue 21 moves this goal to $20.
        expect(dev.cost.exact.idleMonthlyUsd).to.be.below(40.1);
        const staging = await idle("staging");
        expect(staging.cost.exact.idleMonthlyUsd).to.be.below(45);
        for (const { run, cost } of [dev, staging]) {
            const service = cost.items.find((i) => i.resource.endsWith("-metadata-service"))!;
            expect(service.basis).to.contain("60/168 (office hours)");
            expect(run.ofType("aws:ec2/instance:Instance")).to.have.length(0);
        }
    });

    it("prod keeps its availability: two tasks around the clock, a Multi-AZ database, nothing scheduled to stop", async () => {
        const { run, cost } = await idle("prod");
        expect(run.ofType("aws:scheduler/schedule:Schedule")).to.have.length(0);
        const service = cost.items.find((i) => i.resource.endsWith("-metadata-service"))!;
        expect(service.basis).to.match(/^2 task\(s\) .* x 730 h$/);
        expect(cost.items.find((i) => i.resource.endsWith("-metadata-db"))!.basis).to.contain("Multi-AZ").and.contain("x 730 h +");
    });
});
