/**
 * Reserved capacity (issue 20): what the steady resources (the metadata database, the metadata service's Fargate tasks)
 * would cost under a one-year commitment: an RDS reserved DB instance (No Upfront; All Upfront amortised over its 12
 * months) and a one-year Compute Savings Plan for Fargate (No Upfront). A reservation is a purchase decision, not part
 * of the plan: the idle and typical months never include it.
 *
 * A commitment bills every hour of the term whether the resource runs or not, so it pays off only when the resource runs
 * more hours a month than the break-even: reserved monthly / on-demand hourly. Stacks with office hours (dev, staging:
 * about 268 of 730 h) fall below it for the usual one-year discounts. A price the table lacks is "not priced", never
 * guessed.
 *
 * Pure module: no Pulumi import, and no import of the estimate (it passes its candidates in).
 */
import { HOURS_PER_MONTH, Price, ReservationPrices, ReservedRate } from "./prices";

/** A steady resource as the estimate saw it: its on-demand $/h and the hours it runs in a month. */
export type ReservationCandidate =
    | { kind: "database"; resource: string; instanceClass: string; multiAz: boolean; onDemandHourly: Price; hoursPerMonth: number }
    | { kind: "fargate"; resource: string; tasks: number; vcpu: number; gb: number; arm: boolean; onDemandHourly: number; hoursPerMonth: number };

export interface ReservationLine {
    resource: string;
    /** What would be bought: "1-year RDS reserved instance, No Upfront", ... */
    purchase: string;
    /** On-demand cost of the hours the resource runs (instance or task hours only: storage is never reserved). */
    onDemandMonthlyUsd: number;
    /** The commitment per month: hourly x 730, or the upfront payment / 12. */
    reservedMonthlyUsd: number;
    savingUsd: number;
    /** Saving as a share of on-demand, in percent (negative: the reservation costs more). */
    savingPercent: number;
    /** Hours a month above which the reservation pays off: reserved monthly / on-demand hourly. */
    breakEvenHours: number;
    hoursPerMonth: number;
    basis: string;
    uncertain?: boolean;
}

export interface ReservationReport {
    lines: ReservationLine[];
    unpriced: Array<{ resource: string; kind: ReservationCandidate["kind"]; onDemandMonthlyUsd: number; hoursPerMonth: number; uncertain?: boolean; reason: string }>;
    /** True when every candidate runs the whole month (730 h): the stack a reservation is meant for. */
    steady: boolean;
}

const usd = (n: number) => `$${Number(n.toPrecision(4))}`;
const deployment = (multi: boolean) => (multi ? "Multi-AZ" : "Single-AZ");

/** One reservation option against the candidate's on-demand hours. */
function line(resource: string, purchase: string, onDemandHourly: number, hours: number, reservedMonthly: number, basis: string, uncertain: boolean): ReservationLine {
    const onDemandMonthly = onDemandHourly * hours;
    const saving = onDemandMonthly - reservedMonthly;
    return {
        resource,
        purchase,
        onDemandMonthlyUsd: onDemandMonthly,
        reservedMonthlyUsd: reservedMonthly,
        savingUsd: saving,
        savingPercent: onDemandMonthly > 0 ? (saving / onDemandMonthly) * 100 : 0,
        breakEvenHours: reservedMonthly / onDemandHourly,
        hoursPerMonth: hours,
        basis,
        ...(uncertain ? { uncertain } : {}),
    };
}

/** The RDS options of a database: No Upfront and All Upfront, each where the table has it. */
function databaseLines(c: Extract<ReservationCandidate, { kind: "database" }>, rate: ReservedRate): ReservationLine[] {
    const od = c.onDemandHourly;
    const what = `${c.instanceClass} ${deployment(c.multiAz)}`;
    const out: ReservationLine[] = [];
    if (rate.noUpfrontHourly) {
        const r = rate.noUpfrontHourly;
        out.push(line(c.resource, "1-year RDS reserved instance, No Upfront", od.usd, c.hoursPerMonth, r.usd * HOURS_PER_MONTH, `${what}: ${usd(r.usd)}/h x 730 h (billed every hour of the term) vs on-demand ${usd(od.usd)}/h x ${c.hoursPerMonth} h`, !!(r.uncertain || od.uncertain)));
    }
    if (rate.allUpfrontUsd) {
        const r = rate.allUpfrontUsd;
        out.push(line(c.resource, "1-year RDS reserved instance, All Upfront", od.usd, c.hoursPerMonth, r.usd / 12, `${what}: ${usd(r.usd)} upfront / 12 months vs on-demand ${usd(od.usd)}/h x ${c.hoursPerMonth} h`, !!(r.uncertain || od.uncertain)));
    }
    return out;
}

/** Prices each candidate under the one-year commitments of the table; what the table lacks is listed as not priced. */
export function priceReservations(candidates: ReservationCandidate[], prices: ReservationPrices): ReservationReport {
    const lines: ReservationLine[] = [];
    const unpriced: ReservationReport["unpriced"] = [];
    for (const c of candidates) {
        if (c.kind === "database") {
            const rate = prices.rds[c.instanceClass]?.[c.multiAz ? "multi" : "single"];
            const found = rate ? databaseLines(c, rate) : [];
            if (found.length) lines.push(...found);
            else unpriced.push({ resource: c.resource, kind: c.kind, onDemandMonthlyUsd: c.onDemandHourly.usd * c.hoursPerMonth, hoursPerMonth: c.hoursPerMonth, ...(c.onDemandHourly.uncertain ? { uncertain: true } : {}), reason: `no 1-year reserved instance price for ${c.instanceClass} ${deployment(c.multiAz)} in policies/cost/prices.ts (RDS_RESERVED_1Y)` });
            continue;
        }
        const sp = c.arm ? prices.fargate.arm : prices.fargate.x86;
        if (!sp) {
            unpriced.push({ resource: c.resource, kind: c.kind, onDemandMonthlyUsd: c.onDemandHourly * c.hoursPerMonth, hoursPerMonth: c.hoursPerMonth, reason: `no 1-year Compute Savings Plan rate for Fargate ${c.arm ? "ARM" : "x86"} in policies/cost/prices.ts (FARGATE_SAVINGS_PLAN_1Y)` });
            continue;
        }
        const hourly = c.tasks * (c.vcpu * sp.vcpu.usd + c.gb * sp.gb.usd);
        const basis = `${c.tasks} task(s) x (${c.vcpu} vCPU x ${usd(sp.vcpu.usd)} + ${c.gb} GB x ${usd(sp.gb.usd)}) x 730 h (the commitment) vs on-demand ${usd(c.onDemandHourly)}/h x ${c.hoursPerMonth} h`;
        lines.push(line(c.resource, "1-year Compute Savings Plan, No Upfront", c.onDemandHourly, c.hoursPerMonth, hourly * HOURS_PER_MONTH, basis, !!(sp.vcpu.uncertain || sp.gb.uncertain)));
    }
    return { lines, unpriced, steady: candidates.length > 0 && candidates.every((c) => c.hoursPerMonth >= HOURS_PER_MONTH) };
}

const two = (n: number) => Number(n.toPrecision(2));

/** The section the plan prints under the estimate table; empty when the stack has no database or Fargate service. */
export function renderReservations(r: ReservationReport & { environment: string; candidates: ReservationCandidate[] }): string[] {
    const { environment, candidates } = r;
    if (!candidates.length) return [];
    const runs = candidates.map((c) => `${c.resource} ${two(c.hoursPerMonth)} h`).join(", ");
    const head = r.steady
        ? `  Reserved capacity (one year), ${environment}'s steady resources (not in the totals above: a reservation is a purchase decision):`
        : `  Reserved capacity (one year), ${environment}: office hours (${runs} of 730 h a month); a reservation bills all 730 h, so it does not pay off below its break-even hours:`;
    const out = ["", head];
    for (const l of r.lines) {
        const pays = l.hoursPerMonth >= l.breakEvenHours ? "pays off" : `does not pay off (runs ${two(l.hoursPerMonth)} h, fewer than the break-even)`;
        const mark = l.uncertain ? "~" : "";
        out.push(
            `    ${l.resource}: ${l.purchase}: on-demand ${mark}$${two(l.onDemandMonthlyUsd)}/month, reserved ${mark}$${two(l.reservedMonthlyUsd)}/month, saving ${mark}$${two(l.savingUsd)} (${Math.round(l.savingPercent)}%); break-even ${Math.round(l.breakEvenHours)} h a month: ${pays}`,
            `      ${l.basis}`,
        );
    }
    for (const u of r.unpriced) {
        const what = u.kind === "database" ? "instance hours; storage is never reserved" : "task hours";
        // Without the rate, the break-even is still known as a discount: a commitment billed for all 730 h pays off only above 1 - hours/730 off on-demand.
        const bound = u.hoursPerMonth < HOURS_PER_MONTH ? `; pays off only with a discount above ${Math.round((1 - u.hoursPerMonth / HOURS_PER_MONTH) * 100)}% (1 - ${two(u.hoursPerMonth)}/730)` : "";
        out.push(`    ${u.resource}: on-demand ${u.uncertain ? "~" : ""}$${two(u.onDemandMonthlyUsd)}/month (${what}); reservation not priced (${u.reason})${bound}`);
    }
    return out;
}
