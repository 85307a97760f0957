import { expect } from "chai";

import { ConfigProblem, loadConfig, PROJECT } from "../../stacks/config";
import { defaultQueues } from "../../stacks/config/keys/batch";

const base = {
    "aws:region": "us-east-1",
    [`${PROJECT}:environment`]: "dev",
    [`${PROJECT}:owner`]: "ml-platform",
    [`${PROJECT}:costCenter`]: "ml-research",
};
const FOUNDATION = "acme/a01-foundation/prod";

function load(set: Record<string, unknown>, stack = "dev") {
    const raw: Record<string, string> = { ...base };
    for (const [k, v] of Object.entries(set)) {
        const key = k.includes(":") ? k : `${PROJECT}:${k}`;
        if (v === undefined) delete raw[key];
        else raw[key] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return loadConfig(raw, { stack });
}

function problems(set: Record<string, unknown>, stack = "dev"): ConfigProblem[] {
    const r = load(set, stack);
    if (r.ok) throw new Error("expected the configuration to be rejected");
    return r.problems;
}

function config(set: Record<string, unknown> = {}, stack = "dev") {
    const r = load(set, stack);
    if (!r.ok) throw new Error(r.problems.map((p) => `${p.key}: ${p.allowed}`).join("\n"));
    return r.config;
}

describe("stack configuration", () => {
    describe("what the Pulumi CLI lets through for keys Pulumi.yaml does not declare", () => {
        it("refuses a namespace a few letters from the project's or aws, naming the key meant", () => {
            const ps = problems({ "metaflow-platfrom:monthlyBudgetUsd": "100", "aws2:region": "us-east-1" });
            expect(ps.find((p) => p.key === "metaflow-platfrom:monthlyBudgetUsd")?.allowed).to.contain("did you mean metaflow-platform:monthlyBudgetUsd?");
            expect(ps.find((p) => p.key === "aws2:region")?.allowed).to.contain("did you mean aws:region?");
        });

        it("leaves other packages' namespaces alone", () => {
            expect(load({ "pulumi:disable-default-providers": '["*"]', "random:seed": "1" }).ok).to.equal(true);
        });

        it("refuses a plain-text value for a secret key, without echoing it, when the caller knows the secret keys", () => {
            const raw = { ...base, [`${PROJECT}:uiOidcClientSecret`]: "hunter2" };
            const plain = loadConfig(raw, { stack: "dev", secretKeys: [] });
            expect(plain.ok).to.equal(false);
            const p = !plain.ok ? plain.problems.find((q) => q.key === `${PROJECT}:uiOidcClientSecret`) : undefined;
            expect(p?.allowed).to.equal(`must be encrypted as it's secret: pulumi config set --secret ${PROJECT}:uiOidcClientSecret <value>`);
            expect(JSON.stringify(plain)).to.not.contain("hunter2");
            expect(JSON.stringify(loadConfig(raw, { stack: "dev", secretKeys: [`${PROJECT}:uiOidcClientSecret`] }))).to.not.contain("must be encrypted");
        });
    });

    describe("profiles", () => {
        it("applies the environment's defaults", () => {
            const dev = config();
            const prod = config({ environment: "prod", foundationStack: FOUNDATION }, "prod");
            expect(dev.protect).to.equal(false);
            expect(prod.protect).to.equal(true);
            expect(dev.logRetentionDays).to.equal(14);
            expect(prod.logRetentionDays).to.equal(365);
            expect(dev.artifacts.accessLogging).to.equal(false);
            expect(prod.artifacts.accessLogging).to.equal(true);
            expect(prod.artifacts.noncurrentVersionDays).to.be.greaterThan(dev.artifacts.noncurrentVersionDays);
            expect(prod.batch.queues.find((q) => q.name === "gpu")!.maxVcpus).to.be.greaterThan(dev.batch.queues.find((q) => q.name === "gpu")!.maxVcpus);
        });

        it("lets the stack file override a default", () => {
            expect(config({ logRetentionDays: 30 }).logRetentionDays).to.equal(30);
            expect(config({ protectStatefulResources: true }).protect).to.equal(true);
        });

        it("derives tags and a short name prefix from the stack", () => {
            const c = config({}, "dev");
            expect(c.namePrefix).to.equal("mf-dev");
            expect(c.tags).to.include({ project: PROJECT, environment: "dev", owner: "ml-platform", "cost-center": "ml-research", "managed-by": "pulumi" });
            expect(config({}, "Feature_Branch-with-a-very-long-name").namePrefix).to.match(/^mf-feature-branc?$/);
        });

        it("keeps artifacts forever unless an expiration is configured", () => {
            expect(config().artifacts.expirationDays).to.equal(undefined);
            expect(config({ artifactExpirationDays: 400 }).artifacts.expirationDays).to.equal(400);
        });
    });

    describe("validation", () => {
        it("rejects an unknown environment, naming what is allowed", () => {
            const [p] = problems({ environment: "qa" });
            expect(p.key).to.equal(`${PROJECT}:environment`);
            expect(p.given).to.equal('"qa"');
            expect(p.allowed).to.contain("dev, staging, prod");
        });

        it("rejects an unknown key and suggests the nearest known one", () => {
            const [p] = problems({ logRetentionDay: 30 });
            expect(p.key).to.equal(`${PROJECT}:logRetentionDay`);
            expect(p.allowed).to.contain(`did you mean ${PROJECT}:logRetentionDays`);
        });

        it("rejects aws keys the provider would silently ignore", () => {
            expect(problems({ "aws:accessKey": "AKIA" })[0].key).to.equal("aws:accessKey");
        });

        it("rejects an invalid region and a missing one", () => {
            const [bad] = problems({ "aws:region": "us-east-9" });
            expect(bad.key).to.equal("aws:region");
            expect(bad.allowed).to.contain("not an AWS region");
            expect(problems({ "aws:region": undefined })[0]).to.include({ key: "aws:region", given: "nothing" });
        });

        it("rejects non-integer and negative sizes", () => {
            const ps = problems({ logRetentionDays: 1.5, artifactNoncurrentVersionDays: -1 });
            expect(ps.map((p) => p.key)).to.have.members([`${PROJECT}:logRetentionDays`, `${PROJECT}:artifactNoncurrentVersionDays`]);
            expect(ps[0].allowed).to.contain("integer");
        });

        it("rejects inverted lifecycle days (Standard-IA after Glacier)", () => {
            const [p] = problems({ artifactInfrequentAccessDays: 200, artifactGlacierDays: 100 });
            expect(p.key).to.equal(`${PROJECT}:artifactInfrequentAccessDays, ${PROJECT}:artifactGlacierDays`);
            expect(p.given).to.equal("200 and 100");
        });

        it("rejects an expiration before the last transition", () => {
            expect(problems({ artifactExpirationDays: 60 })[0].key).to.contain("artifactExpirationDays");
        });

        it("rejects a log retention CloudWatch does not offer", () => {
            expect(problems({ logRetentionDays: 10 })[0].allowed).to.contain("CloudWatch accepts only");
        });

        it("rejects a budget of zero or less", () => {
            for (const budget of [0, -5]) {
                const [p] = problems({ monthlyBudgetUsd: budget });
                expect(p.key).to.equal(`${PROJECT}:monthlyBudgetUsd`);
                expect(p.allowed).to.contain("from 1 to");
            }
        });

        it("rejects malformed stack reference names", () => {
            const ps = problems({ foundationStack: "a01-foundation", daskStack: "acme/a02" });
            expect(ps.map((p) => p.key)).to.include.members([`${PROJECT}:foundationStack`, `${PROJECT}:daskStack`]);
            expect(ps[0].allowed).to.contain("<organization>/<project>/<stack>");
        });

        it("requires a foundation in staging and prod, not in dev", () => {
            for (const env of ["staging", "prod"]) {
                const [p] = problems({ environment: env }, env);
                expect(p.key).to.equal(`${PROJECT}:foundationStack`);
                expect(p.allowed).to.contain(`required in ${env}`);
            }
            expect(config().references.foundation).to.equal(undefined);
        });

        it("requires the foundation when a Dask stack is referenced", () => {
            expect(problems({ daskStack: "acme/a02-dask/dev" })[0].key).to.equal(`${PROJECT}:daskStack`);
        });

        it("requires owner and cost centre", () => {
            const ps = problems({ owner: undefined, costCenter: undefined });
            expect(ps.map((p) => p.key)).to.have.members([`${PROJECT}:owner`, `${PROJECT}:costCenter`]);
            expect(ps.every((p) => p.given === "nothing")).to.equal(true);
        });

        it("reports every problem at once", () => {
            const ps = problems({ environment: "qa", logRetentionDays: -1, monthlyBudgetUsd: 0, tpyo: 1, "aws:region": "mars-1" });
            expect(ps).to.have.length(5);
        });

        it("rejects a value of the wrong type", () => {
            expect(problems({ artifactAccessLogging: "yes" })[0].allowed).to.equal("expected true or false");
        });
    });

    describe("queues", () => {
        it("starts from cpu, gpu and on-demand queues that scale with the environment", () => {
            expect(config().batch.queues.map((q) => q.name)).to.deep.equal(["cpu", "gpu", "ondemand"]);
            expect(defaultQueues("prod")[0].maxVcpus).to.be.greaterThan(defaultQueues("dev")[0].maxVcpus);
        });

        it("merges entries by name and adds new queues", () => {
            const c = config({ queues: [{ name: "gpu", maxVcpus: 96 }, { name: "bigmem", kind: "cpu", instanceTypes: ["r6i"], maxVcpus: 128, capacity: "spot-first" }, { name: "ondemand", enabled: false }] });
            expect(c.batch.queues.map((q) => q.name)).to.deep.equal(["cpu", "gpu", "bigmem"]);
            expect(c.batch.queues[1]).to.include({ maxVcpus: 96, kind: "gpu" });
        });

        it("rejects an instance type that does not exist", () => {
            const [p] = problems({ queues: [{ name: "cpu", instanceTypes: ["c5", "c99.huge"] }] });
            expect(p.key).to.equal(`${PROJECT}:queues[0].instanceTypes`);
            expect(p.allowed).to.contain('"c99.huge" is not an instance family or type');
        });

        it("rejects GPU types in a CPU queue and CPU types in a GPU queue", () => {
            const ps = problems({ queues: [{ name: "cpu", instanceTypes: ["c5", "g5"] }, { name: "gpu", instanceTypes: ["m5"] }] });
            expect(ps.map((p) => p.allowed).join("\n")).to.contain('"g5" is a GPU type and does not belong in a cpu queue').and.contain('"m5" is a CPU type and does not belong in a gpu queue');
        });

        it("rejects a GPU count per job that no instance of the queue has", () => {
            const [p] = problems({ queues: [{ name: "gpu", instanceTypes: ["g4dn.xlarge"], maxGpusPerJob: 2 }] });
            expect(p.key).to.equal(`${PROJECT}:queues[0].maxGpusPerJob`);
            expect(p.allowed).to.contain("largest instance type listed has 1");
        });

        it("rejects unknown queue fields with a suggestion, and a new queue missing fields", () => {
            const ps = problems({ queues: [{ name: "cpu", maxVcpu: 3 }] });
            expect(ps[0].key).to.equal(`${PROJECT}:queues[0].maxVcpu`);
            expect(ps[0].allowed).to.contain("did you mean maxVcpus");
            expect(problems({ queues: [{ name: "extra", kind: "cpu" }] })[0].allowed).to.contain("needs instanceTypes, maxVcpus, capacity");
        });

        it("requires the default queue to exist", () => {
            expect(problems({ defaultQueue: "nope" })[0].key).to.equal(`${PROJECT}:defaultQueue`);
        });
    });
});
