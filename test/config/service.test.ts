import { expect } from "chai";

import { loadConfig } from "../../stacks/config";

const BASE: Record<string, string> = {
    "aws:region": "us-east-1",
    "metaflow-platform:owner": "ml-platform",
    "metaflow-platform:costCenter": "ml",
};
const CERT = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555";
const OIDC: Record<string, string> = {
    uiOidcIssuer: "https://idp.example.com",
    uiOidcAuthorizationEndpoint: "https://idp.example.com/authorize",
    uiOidcTokenEndpoint: "https://idp.example.com/token",
    uiOidcUserInfoEndpoint: "https://idp.example.com/userinfo",
    uiOidcClientId: "metaflow-ui",
    uiOidcClientSecret: "s3cr3t",
};

function load(env: string, set: Record<string, unknown> = {}) {
    const raw: Record<string, string> = { ...BASE, "metaflow-platform:environment": env };
    if (env !== "dev") raw["metaflow-platform:foundationStack"] = "acme/a01-foundation/prod";
    for (const [k, v] of Object.entries(set)) raw[`metaflow-platform:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    return loadConfig(raw, { stack: env });
}
function problemsOf(env: string, set: Record<string, unknown>) {
    const r = load(env, set);
    expect(r.ok, "expected the configuration to be rejected").to.equal(false);
    return r.ok ? [] : r.problems;
}

describe("service configuration", () => {
    it("gives each environment its profile: small dev, highly available prod, UI and public API off", () => {
        const dev = load("dev");
        const prod = load("prod");
        if (!dev.ok || !prod.ok) throw new Error("defaults must be valid");
        expect(dev.config.service).to.deep.include({ cpu: 512, memory: 1024, desiredTasks: 1, minTasks: 1, maxTasks: 2, publicApi: false, ui: undefined });
        expect(dev.config.service.database).to.deep.equal({ instanceClass: "db.t4g.micro", storageGb: 20, maxStorageGb: 50, backupDays: 1, multiAz: false });
        expect(prod.config.service).to.deep.include({ desiredTasks: 2, minTasks: 2, publicApi: false, ui: undefined });
        expect(prod.config.service.database.multiAz).to.equal(true);
        expect(prod.config.service.database.backupDays).to.equal(30);
        expect(prod.config.service.image).to.match(/:v2\.5\.1$/);
    });

    it("rejects a cpu/memory pair Fargate does not run, naming both keys", () => {
        const [p] = problemsOf("dev", { serviceCpu: 1024, serviceMemory: 1024 });
        expect(p.key).to.equal("metaflow-platform:serviceCpu, metaflow-platform:serviceMemory");
        expect(p.given).to.equal("1024 and 1024");
        expect(p.allowed).to.match(/2048-8192 MiB/);
    });

    it("checks the UI's sizes only when the UI is on", () => {
        expect(load("dev", { uiBackendCpu: 512, uiBackendMemory: 16384 }).ok).to.equal(true);
        const ps = problemsOf("dev", { serviceUi: true, uiBackendCpu: 512, uiBackendMemory: 16384 });
        expect(ps.map((p) => p.key)).to.deep.equal(["metaflow-platform:uiBackendCpu, metaflow-platform:uiBackendMemory"]);
    });

    it("rejects an image without a version tag, or one without database TLS", () => {
        expect(problemsOf("dev", { serviceImage: "netflixoss/metaflow_metadata_service" })[0]).to.deep.include({ key: "metaflow-platform:serviceImage" });
        expect(problemsOf("dev", { serviceImage: "netflixoss/metaflow_metadata_service:v2.4.3" })[0].allowed).to.match(/predates v2\.5\.1/);
        expect(problemsOf("dev", { serviceImage: "netflixoss/metaflow_metadata_service:v2.5.0" })[0].allowed).to.match(/predates v2\.5\.1: .*SQL injection/);
    });

    it("rejects prod with fewer than two tasks, inverted bounds, a single-AZ database or short backups", () => {
        const ps = problemsOf("prod", { serviceMinTasks: 1, serviceDesiredTasks: 1, serviceDbMultiAz: false, serviceDbBackupDays: 3 });
        expect(ps.map((p) => p.key)).to.have.members([
            "metaflow-platform:serviceMinTasks",
            "metaflow-platform:serviceDesiredTasks",
            "metaflow-platform:serviceDbMultiAz",
            "metaflow-platform:serviceDbBackupDays",
        ]);
        const inverted = problemsOf("dev", { serviceMinTasks: 4, serviceMaxTasks: 2 });
        expect(inverted.find((p) => p.key === "metaflow-platform:serviceMinTasks")!.allowed).to.match(/more than max/);
        expect(problemsOf("dev", { serviceDbStorageGb: 100, serviceDbMaxStorageGb: 50 })[0].key).to.equal("metaflow-platform:serviceDbMaxStorageGb");
    });

    it("rejects a UI or public API outside dev without a certificate and OIDC", () => {
        const ps = problemsOf("prod", { serviceUi: true, servicePublicApi: true });
        expect(ps.map((p) => p.key)).to.have.members(["metaflow-platform:serviceUi", "metaflow-platform:servicePublicApi"]);
        expect(load("dev", { serviceUi: true, servicePublicApi: true }).ok, "dev may try both inside the VPC").to.equal(true);
        const ok = load("prod", { serviceUi: true, servicePublicApi: true, serviceCertificateArn: CERT, serviceDomainName: "metaflow.example.com", ...OIDC });
        expect(ok.ok).to.equal(true);
        if (ok.ok) expect(ok.config.service.ui!.oidc!.clientId).to.equal("metaflow-ui");
    });

    it("rejects partial OIDC settings, OIDC without a certificate, and a certificate without its DNS name", () => {
        const { uiOidcClientSecret: _omit, ...partial } = OIDC;
        const ps = problemsOf("dev", { serviceUi: true, ...partial, serviceCertificateArn: CERT });
        const keys = ps.map((p) => p.key);
        expect(ps.find((p) => /missing: clientSecret/.test(p.allowed))).to.not.equal(undefined);
        expect(keys).to.include("metaflow-platform:serviceDomainName");
        expect(problemsOf("dev", { serviceUi: true, ...OIDC }).map((p) => p.allowed).join(" ")).to.match(/only on an HTTPS listener/);
    });

    it("never echoes the OIDC client secret in a problem", () => {
        const ps = problemsOf("prod", { serviceUi: true, uiOidcClientSecret: "do-not-print-me" });
        expect(JSON.stringify(ps)).to.not.include("do-not-print-me");
    });

});
