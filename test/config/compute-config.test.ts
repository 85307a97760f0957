import { expect } from "chai";

import { mixedPlatformProblem, planEnvironments, validateQueueSpec } from "../../components/batch/queue-rules";
import { loadConfig, PlatformConfig } from "../../stacks/config";

const base = { "aws:region": "us-east-1", "metaflow-platform:owner": "o", "metaflow-platform:costCenter": "c" };
function load(env: string, extra: Record<string, unknown> = {}) {
    const raw: Record<string, string> = { ...base, "metaflow-platform:environment": env };
    if (env !== "dev") raw["metaflow-platform:foundationStack"] = "acme/a01-foundation/prod";
    for (const [k, v] of Object.entries(extra)) raw[`metaflow-platform:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    return loadConfig(raw, { stack: env });
}
const config = (env: string, extra: Record<string, unknown> = {}): PlatformConfig => {
    const r = load(env, extra);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return r.config;
};
const problems = (env: string, extra: Record<string, unknown>) => {
    const r = load(env, extra);
    return r.ok ? [] : r.problems.map((p) => `${p.key}: got ${p.given}; ${p.allowed}`);
};

describe("compute and scheduling configuration", () => {
    for (const env of ["dev", "prod"]) {
        it(`has per-environment defaults (${env})`, () => {
            const c = config(env);
            expect(c.batch.queues.map((q) => q.name)).to.deep.equal(["cpu", "gpu", "ondemand"]);
            expect(c.batch.rootVolumeGiB).to.equal(env === "prod" ? 100 : 50);
            expect(c.batch.runnableTimeLimitMinutes).to.equal(env === "prod" ? 120 : 30);
            expect(c.batch.rootVolumePlatformKey).to.equal(true);
            expect(c.sfn).to.deep.equal({ stateMachinePrefix: `mf-${env}`, triggers: [] });
        });
    }

    it("follows namePrefix, or sfnStateMachinePrefix when given", () => {
        expect(config("dev", { namePrefix: "ml-dev" }).sfn.stateMachinePrefix).to.equal("ml-dev");
        expect(config("dev", { namePrefix: "ml-dev", sfnStateMachinePrefix: "ML-Dev" }).sfn.stateMachinePrefix).to.equal("ML-Dev");
    });

    it("names the queue field when a GPU count per job cannot fit the largest instance", () => {
        expect(problems("prod", { queues: [{ name: "gpu", instanceTypes: ["g4dn.xlarge", "g5.2xlarge"], maxGpusPerJob: 2 }] })).to.deep.equal([
            'metaflow-platform:queues[0].maxGpusPerJob: got 2; 2 GPUs per job can never start: the largest instance type listed has 1',
        ]);
    });

    it("accepts a Fargate queue without instance types, and rejects GPUs or root volumes on it", () => {
        const c = config("dev", { queues: [{ name: "light", kind: "cpu", maxVcpus: 16, capacity: "spot-first", platform: "fargate" }] });
        expect(c.batch.queues.find((q) => q.name === "light")).to.deep.include({ platform: "fargate", instanceTypes: [] });
        expect(problems("dev", { queues: [{ name: "light", kind: "gpu", maxVcpus: 16, capacity: "spot-first", platform: "fargate", rootVolumeGiB: 50 }] })).to.deep.equal([
            'metaflow-platform:queues[0].kind: got "gpu"; "gpu": Fargate has no GPUs; a fargate queue must be a cpu queue',
            "metaflow-platform:queues[0].rootVolumeGiB: got 50; Fargate tasks have no root volume to size; remove it from a fargate queue",
        ]);
        expect(problems("dev", { queues: [{ name: "cpu", platform: "lambda" }] })).to.deep.equal(['metaflow-platform:queues[0].platform: got "lambda"; allowed: ec2, fargate']);
    });

    it("never lets a queue mix EC2 and Fargate environments", () => {
        expect(planEnvironments({ capacity: "spot-first", platform: "fargate" }).map((e) => e.type)).to.deep.equal(["FARGATE_SPOT", "FARGATE"]);
        expect(planEnvironments({ capacity: "on-demand" }).map((e) => e.type)).to.deep.equal(["EC2"]);
        expect(mixedPlatformProblem(["SPOT", "EC2"])).to.equal(undefined);
        expect(mixedPlatformProblem(["FARGATE_SPOT", "FARGATE"])).to.equal(undefined);
        expect(mixedPlatformProblem(["SPOT", "FARGATE"])).to.match(/^mixes ec2 and fargate compute environments \(SPOT, FARGATE\)/);
    });

    it("bounds root volumes and RUNNABLE limits, globally and per queue", () => {
        expect(problems("dev", { batchRootVolumeGiB: 8 })).to.deep.equal(["metaflow-platform:batchRootVolumeGiB: got 8; expected an integer from 30 to 16384"]);
        expect(problems("dev", { batchRunnableTimeLimitMinutes: 5 })).to.deep.equal(["metaflow-platform:batchRunnableTimeLimitMinutes: got 5; expected an integer from 10 to 1440"]);
        expect(problems("dev", { queues: [{ name: "gpu", rootVolumeGiB: 20, runnableTimeLimitMinutes: 2000 }] })).to.deep.equal([
            "metaflow-platform:queues[0].runnableTimeLimitMinutes: got 2000; 2000 must be an integer from 10 to 1440 (Batch accepts 10 minutes to a day)",
            "metaflow-platform:queues[0].rootVolumeGiB: got 20; 20 must be an integer from 30 to 16384 GiB",
        ]);
        expect(validateQueueSpec({ name: "x", kind: "cpu", instanceTypes: ["c5"], maxVcpus: 8, capacity: "on-demand", rootVolumeGiB: 200, runnableTimeLimitMinutes: 60 })).to.deep.equal([]);
    });

});
