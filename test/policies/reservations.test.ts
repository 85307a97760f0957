import { expect } from "chai";

import { estimateCost, renderCostTable } from "../../policies/cost/estimate";
import { FARGATE_SAVINGS_PLAN_1Y, PRICES, RDS, RDS_RESERVED_1Y, RESERVATION_PRICES, ReservationPrices } from "../../policies/cost/prices";
import { priceReservations } from "../../policies/cost/reservations";
import { defaultSettings } from "../../policies/lib/settings";
import { T } from "../../policies/lib/types";
import { fromPlan } from "../../policies/lib/view";
import { runStack } from "../harness";
import { res } from "./fixtures";

const prod = defaultSettings("prod");

/**
 * Test inputs, not AWS prices: round figures that make the arithmetic checkable by hand. The committed tables
 * (RDS_RESERVED_1Y, FARGATE_SAVINGS_PLAN_1Y) hold only rates copied from AWS's pricing pages.
 */
const TEST_RATES: ReservationPrices = {
    rds: {
        "db.t4g.medium": {
            single: { noUpfrontHourly: { usd: 0.05, unit: "hour", source: "test" } },
            multi: { noUpfrontHourly: { usd: 0.09, unit: "hour", source: "test" }, allUpfrontUsd: { usd: 700, unit: "term", source: "test" } },
        },
    },
    fargate: { x86: { vcpu: { usd: 0.032, unit: "vCPU-hour", source: "test" }, gb: { usd: 0.0035, unit: "GB-hour", source: "test" } } },
};

/** prod's steady resources as planned: db.t4g.medium Multi-AZ with 50 GB, two 1 vCPU / 2 GB tasks, no office hours. */
function prodLike() {
    const db = res(T.rdsInstance, "mf-prod-metadata-db", { instanceClass: "db.t4g.medium", multiAz: true, allocatedStorage: 50, identifier: "mf-prod" });
    const td = res(T.ecsTaskDefinition, "td", { cpu: "1024", memory: "2048", requiresCompatibilities: ["FARGATE"] }, { outputs: { arn: "arn:td:1" } });
    const svc = res(T.ecsService, "mf-prod-metadata-service", { launchType: "FARGATE", desiredCount: 2, taskDefinition: "arn:td:1", name: "metadata" });
    return [db, td, svc];
}

const line = (e: ReturnType<typeof estimateCost>, resource: string, purchase: RegExp) => e.reservations!.lines.find((l) => l.resource === resource && purchase.test(l.purchase))!;

describe("cost estimator: reserved capacity (one year)", () => {
    it("prices the Multi-AZ database at the Multi-AZ rates: No Upfront x 730 h, All Upfront / 12, saving and break-even exact", () => {
        expect(RDS["db.t4g.medium"].multi.usd).to.equal(0.13);
        const e = estimateCost(prodLike(), prod, TEST_RATES);
        const none = line(e, "mf-prod-metadata-db", /No Upfront/);
        expect(none.onDemandMonthlyUsd).to.be.closeTo(0.13 * 730, 1e-9); // 94.9: instance hours only, storage is not reserved
        expect(none.reservedMonthlyUsd).to.be.closeTo(0.09 * 730, 1e-9); // 65.7, not the Single-AZ 0.05 x 730
        expect(none.savingUsd).to.be.closeTo(94.9 - 65.7, 1e-9);
        expect(none.savingPercent).to.be.closeTo((29.2 / 94.9) * 100, 1e-9);
        expect(none.breakEvenHours).to.be.closeTo(65.7 / 0.13, 1e-9); // 505.4 h of 730
        const all = line(e, "mf-prod-metadata-db", /All Upfront/);
        expect(all.reservedMonthlyUsd).to.be.closeTo(700 / 12, 1e-9);
        expect(all.savingUsd).to.be.closeTo(94.9 - 700 / 12, 1e-9);
        expect(all.basis).to.equal("db.t4g.medium Multi-AZ: $700 upfront / 12 months vs on-demand $0.13/h x 730 h");
        expect(e.reservations!.steady).to.equal(true);
    });

    it("prices the service's tasks under a Compute Savings Plan: tasks x (vCPU x rate + GB x rate) x 730 h", () => {
        const e = estimateCost(prodLike(), prod, TEST_RATES);
        const sp = line(e, "mf-prod-metadata-service", /Compute Savings Plan, No Upfront/);
        const onDemandHourly = 2 * (1 * PRICES.fargateVcpu.usd + 2 * PRICES.fargateGb.usd); // 0.09874
        const committedHourly = 2 * (1 * 0.032 + 2 * 0.0035); // 0.078
        expect(sp.onDemandMonthlyUsd).to.be.closeTo(onDemandHourly * 730, 1e-9); // 72.08
        expect(sp.reservedMonthlyUsd).to.be.closeTo(committedHourly * 730, 1e-9); // 56.94
        expect(sp.savingUsd).to.be.closeTo((onDemandHourly - committedHourly) * 730, 1e-9);
        expect(sp.breakEvenHours).to.be.closeTo((committedHourly * 730) / onDemandHourly, 1e-9); // 576.7 h
    });

    it("never changes the idle or typical month (a reservation is a purchase decision, not a plan)", () => {
        const withRates = estimateCost(prodLike(), prod, TEST_RATES);
        const committed = estimateCost(prodLike(), prod);
        expect(withRates.exact).to.deep.equal(committed.exact);
        expect(withRates.items).to.deep.equal(committed.items);
        expect(committed.exact.idleMonthlyUsd).to.be.closeTo(0.13 * 730 + 50 * 0.23 + 2 * (0.04048 + 2 * 0.004445) * 730, 1e-9);
    });

    it("lists a class or deployment the table has no rate for as not priced, never guessed", () => {
        const small = res(T.rdsInstance, "db", { instanceClass: "db.t4g.small", multiAz: true });
        const singleOnly: ReservationPrices = { ...TEST_RATES, rds: { "db.t4g.small": { single: { noUpfrontHourly: { usd: 0.02, unit: "hour", source: "test" } } } } };
        for (const rates of [TEST_RATES, singleOnly]) {
            const e = estimateCost([small], prod, rates);
            expect(e.reservations!.lines, "a Single-AZ reservation does not cover a Multi-AZ instance").to.deep.equal([]);
            expect(e.reservations!.unpriced.map((u) => `${u.resource}: ${u.reason}`)).to.deep.equal([
                "db: no 1-year reserved instance price for db.t4g.small Multi-AZ in policies/cost/prices.ts (RDS_RESERVED_1Y)",
            ]);
        }
        const arm = priceReservations([{ kind: "fargate", resource: "svc", tasks: 1, vcpu: 1, gb: 2, arm: true, onDemandHourly: 0.04, hoursPerMonth: 730 }], TEST_RATES);
        expect(arm.unpriced.map((u) => u.resource)).to.deep.equal(["svc"]);
        expect(estimateCost([res(T.efsFileSystem, "fs", {})], prod).reservations, "no database, no service: no section").to.equal(undefined);
    });

    it("office hours: a commitment billed for 730 h does not pay off for a resource that runs fewer hours than its break-even", () => {
        const office = priceReservations(
            [{ kind: "database", resource: "db", instanceClass: "db.t4g.medium", multiAz: false, onDemandHourly: RDS["db.t4g.medium"].single, hoursPerMonth: (730 * 62.5) / 168 }],
            TEST_RATES,
        );
        const [l] = office.lines;
        expect(office.steady).to.equal(false);
        expect(l.onDemandMonthlyUsd).to.be.closeTo((0.065 * 730 * 62.5) / 168, 1e-9); // 17.65
        expect(l.reservedMonthlyUsd).to.be.closeTo(0.05 * 730, 1e-9); // 36.5
        expect(l.breakEvenHours).to.be.closeTo((0.05 * 730) / 0.065, 1e-9); // 561.5 h > 271.6 h
        expect(l.savingUsd).to.be.below(0);
    });
});

describe("the plan's reserved-capacity section", () => {
    it("the committed table holds no reservation rate yet (AWS's pages could not be read): prod's lines say not priced, with the on-demand figure", async () => {
        expect(RDS_RESERVED_1Y).to.deep.equal({});
        expect(FARGATE_SAVINGS_PLAN_1Y).to.deep.equal({});
        expect(RESERVATION_PRICES.rds).to.equal(RDS_RESERVED_1Y);
        const run = await runStack("prod");
        const text = renderCostTable(estimateCost(fromPlan(run.resources, run.outputs, "prod"), prod));
        const section = text.slice(text.indexOf("  Reserved capacity"));
        expect(section.split("\n")).to.deep.equal([
            "  Reserved capacity (one year), prod's steady resources (not in the totals above: a reservation is a purchase decision):",
            "    mf-prod-metadata-db: on-demand $95/month (instance hours; storage is never reserved); reservation not priced (no 1-year reserved instance price for db.t4g.medium Multi-AZ in policies/cost/prices.ts (RDS_RESERVED_1Y))",
            "    mf-prod-metadata-service: on-demand $72/month (task hours); reservation not priced (no 1-year Compute Savings Plan rate for Fargate x86 in policies/cost/prices.ts (FARGATE_SAVINGS_PLAN_1Y))",
        ]);
    });

    it("prints the priced lines with the saving, the break-even and whether it pays off", () => {
        const text = renderCostTable(estimateCost(prodLike(), prod, TEST_RATES));
        expect(text).to.contain(
            "    mf-prod-metadata-db: 1-year RDS reserved instance, No Upfront: on-demand $95/month, reserved $66/month, saving $29 (31%); break-even 505 h a month: pays off\n" +
                "      db.t4g.medium Multi-AZ: $0.09/h x 730 h (billed every hour of the term) vs on-demand $0.13/h x 730 h",
        );
        expect(text).to.contain("    mf-prod-metadata-service: 1-year Compute Savings Plan, No Upfront: on-demand $72/month, reserved $57/month, saving $15 (21%); break-even 577 h a month: pays off");
    });

    it("dev (office hours): says a reservation does not pay off below the break-even, and the discount it would need", async () => {
        const run = await runStack("dev");
        const text = renderCostTable(estimateCost(fromPlan(run.resources, run.outputs, "dev"), defaultSettings("dev")));
        expect(text).to.match(/Reserved capacity \(one year\), dev: office hours \(mf-dev-metadata-db 270 h, mf-dev-metadata-service 260 h of 730 h a month\); a reservation bills all 730 h, so it does not pay off below its break-even hours:/);
        // 62.5 of 168 h a week: 730 x 62.5/168 = 271.6 h, so a reservation would need more than 1 - 271.6/730 = 63% off.
        expect(text).to.contain("mf-dev-metadata-db: on-demand ~$4.3/month (instance hours; storage is never reserved); reservation not priced");
        expect(text).to.contain("pays off only with a discount above 63% (1 - 270/730)");
        expect(text).to.contain("pays off only with a discount above 64% (1 - 260/730)");
    });
});
