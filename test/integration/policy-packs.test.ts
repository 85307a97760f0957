/**
 * The packs as the Pulumi CLI meets them: each pack is started exactly as `pulumi preview --policy-pack policies/<pack>`
 * starts it (offline/pulumi-cli/policy-pack.ts: Pulumi's run-policy-pack with the pack's directory as the working
 * directory, ts-node type-checking the pack, the stack's configuration in the environment), and the test talks to it
 * over CrossGuard's analyzer gRPC protocol: the policies it announces, and a resource it must reject.
 *
 * In the integration suite: each pack serves gRPC on 127.0.0.1, and `npm test` starts no server. The rules themselves
 * are tested in process by test/policies/ (the same rule objects the packs are built from).
 */
import { expect } from "chai";
import { ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";

import { CLI_SOURCE_VERSION } from "../../offline/pulumi-cli/errors";
import { loadPolicyPackProject, policyPackLaunch } from "../../offline/pulumi-cli/policy-pack";
import { loadProject } from "../../offline/pulumi-cli/project";
import { satisfies } from "../../offline/pulumi-cli/version";
import { costRules } from "../../policies/cost/rules";
import { PACKS } from "../../policies/packs";
import { AWS_RULES } from "../../policies/aws/rules";
import { SECURITY_RULES } from "../../policies/security/rules/index";
import { ROOT } from "../harness";
import { startTracked, stopAll, waitForOutput } from "../processes";

/* eslint-disable @typescript-eslint/no-require-imports */
const grpc = require("@grpc/grpc-js");
const analyzerRpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const analyzerProto = require("@pulumi/pulumi/proto/analyzer_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");

interface Pack {
    process: ChildProcess;
    client: any;
}

/**
 * What starting a pack may cost: ts-node type-checks the pack's sources and their declarations, about 3.5 s of CPU
 * on the 2-core machine; 60 s of CPU is far beyond that and still fails a pack that spins. Wall time is not bounded
 * by mocha (a machine whose cores are busy with other work takes longer, for the same CPU), only by the generous last
 * resort below.
 */
const READY = { cpuSeconds: 60, wallSeconds: 600 };

/** Starts a pack the way the CLI does and connects to the port it prints. */
async function startPack(name: string): Promise<Pack> {
    const launch = policyPackLaunch(path.join(ROOT, "policies", name), {
        engineAddress: "127.0.0.1:0",
        project: "metaflow-platform",
        stack: "prod",
        dryRun: true,
        config: { "aws:region": "us-east-1", "metaflow-platform:environment": "prod" },
    });
    const child = startTracked(launch.command, launch.args, { cwd: launch.cwd, env: launch.env });
    const [, port] = await waitForOutput(child, /^(\d+)\s*$/m, READY, `policy pack ${name}`);
    return { process: child, client: new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) };
}

function call<T>(client: any, method: string, request: unknown): Promise<T> {
    return new Promise((resolve, reject) => client[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
}

describe("policy packs over CrossGuard's analyzer protocol", function () {
    this.timeout(30000);
    const packs: Record<string, Pack> = {};
    before(async function () {
        this.timeout(0); // bounded by the packs' CPU time instead (READY)
        const [security, cost, aws] = await Promise.all([startPack("security"), startPack("cost"), startPack("aws")]);
        Object.assign(packs, { security, cost, aws });
    });
    after(() => {
        for (const p of Object.values(packs)) p.client.close();
        // Every pack started, also those still starting when a hook failed, with anything they started.
        stopAll();
    });

    for (const pack of ["security", "cost", "aws"]) {
        it(`the ${pack} pack's PulumiPolicy.yaml loads as the CLI loads it, in the CLI versions the project supports, with its package.json's version`, () => {
            const dir = path.join(ROOT, "policies", pack);
            const project = loadPolicyPackProject(dir);
            expect(project.runtime.name).to.equal("nodejs");
            expect(satisfies(CLI_SOURCE_VERSION, project.requiredPulumiVersion!)).to.equal(true);
            expect(project.requiredPulumiVersion).to.equal(loadProject(path.join(ROOT, "Pulumi.yaml")).requiredPulumiVersion);
            expect(project.version).to.equal(JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version);
        });
    }

    const PACK_NAMES: Record<string, string> = { security: "metaflow-security", cost: "metaflow-cost", aws: "metaflow-aws-constraints" };
    for (const [pack, rules] of [["security", SECURITY_RULES], ["cost", costRules], ["aws", AWS_RULES]] as const) {
        it(`the ${pack} pack announces every rule with its enforcement level (mandatory unless the rule says advisory)`, async () => {
            const info = await call<any>(packs[pack].client, "getAnalyzerInfo", new Empty());
            const LEVELS = ["advisory", "mandatory", "disabled", "remediate"]; // pulumirpc.EnforcementLevel
            const announced = Object.fromEntries(info.getPoliciesList().map((p: any) => [p.getName(), LEVELS[p.getEnforcementlevel()]]));
            expect(announced).to.deep.equal(Object.fromEntries(rules.map((r) => [r.name, r.enforcementLevel ?? "mandatory"])));
            expect(info.getName()).to.equal(PACK_NAMES[pack]);
            expect(info.getVersion()).to.equal(PACKS.find((p) => p.name === PACK_NAMES[pack])!.version);
        });
    }

    /** Asks a pack to analyze one ingress rule, as the CLI does for each resource; returns the policies it violates. */
    async function analyzeIngress(pack: string, name: string, props: Record<string, unknown>): Promise<string[]> {
        const type = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
        const request = new analyzerProto.AnalyzeRequest();
        request.setType(type);
        request.setUrn(`urn:pulumi:prod::metaflow-platform::${type}::${name}`);
        request.setName(name);
        request.setProperties(Struct.fromJavaScript({ securityGroupId: "sg-0123456789abcdef0", ipProtocol: "tcp", ...props }));
        request.setOptions(new analyzerProto.AnalyzerResourceOptions()); // the CLI always sends the resource options
        const response = await call<any>(packs[pack].client, "analyze", request);
        return response.getDiagnosticsList().map((d: any) => d.getPolicyname());
    }

    it("rejects a security group rule open to the internet", async () => {
        expect(await analyzeIngress("security", "open", { fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0", description: "ssh" })).to.include("sg-no-public-ingress");
    });

    it("the AWS constraints pack rejects a security group rule description EC2 refuses (an apostrophe), reading its data file from the pack directory", async () => {
        expect(await analyzeIngress("aws", "vpn", { fromPort: 443, toPort: 443, cidrIpv4: "10.0.0.0/8", description: "engineers' VPN" })).to.deep.equal(["aws-sg-rule-description"]);
    });
});
