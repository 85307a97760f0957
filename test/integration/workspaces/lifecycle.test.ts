/**
 * The workspaces' JupyterLab lifecycle script (components/workspaces/lifecycle.ts), the real text `lifecycleScript`
 * renders, run with bash as a JupyterLab start runs it: a temporary HOME, no AWS_DEFAULT_REGION of its own (the script
 * sets the region, and the profile is seeded in that region only), every AWS call answered by a moto 5 server on
 * 127.0.0.1 of this file's own (boto3 of the pyenv python3 honours AWS_ENDPOINT_URL), fake credentials.
 *
 * pip is never run and no package index is reached: a `python3` first on PATH hands `python3 -m pip ...` to
 * support/fake_pip.py, which records the arguments and writes a metaflow-<version>.dist-info into a folder on
 * PYTHONPATH, as an install would, so the next start's version check sees it; every other `python3` call (the version
 * check, the profile and template steps) runs the real interpreter.
 *
 * Not covered here: the script on SageMaker's JupyterLab image (its python3, pip and HOME), and the execution role's
 * IAM (moto's server does not enforce IAM).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";

import { LifecycleInputs, lifecycleScript } from "../../../components/workspaces/lifecycle";
import { PLATFORM_METAFLOW_VERSION } from "../../../components/workspaces/rules";
import { startTracked, stop } from "../../processes";
import { Answer, BotoCalls, startBotoCalls } from "../support/boto-calls";
import { unavailable } from "../support/env";
import { MotoServer, startMoto } from "../support/moto";

/** The pyenv interpreter: moto 5 and a boto3 recent enough for AWS_ENDPOINT_URL. */
const PYTHON = "python3";
const FAKE_PIP = path.join(__dirname, "..", "support", "fake_pip.py");
const REGION = "eu-west-1";
const BUCKET = "mf-it-workspace-templates";
const PARAMETER = "/mf-it-ws/metaflow/profile";
/** A recognisable fake secret: no output of the script may contain it. */
const SECRET = "mf-it-FAKE-AUTH-KEY-3b9f0c7d";
const VERSION = "2.19.38";
const INDEX = "https://pypi.mf-it.example/simple/";

const INPUTS: LifecycleInputs = { stack: "dev", region: REGION, profileParameterName: PARAMETER, metaflowVersion: VERSION, templatesBucket: BUCKET, templatesPrefix: "templates/" };

/** The profile as the platform stores it (components/parameter-store.ts profileText: sorted keys, 2 spaces). */
function profileJson(serviceUrl: string): string {
    const profile: Record<string, string> = {
        METAFLOW_DATASTORE_SYSROOT_S3: "s3://mf-it-artifacts/metaflow",
        METAFLOW_DEFAULT_DATASTORE: "s3",
        METAFLOW_DEFAULT_METADATA: "service",
        METAFLOW_SERVICE_AUTH_KEY: SECRET,
        METAFLOW_SERVICE_URL: serviceUrl,
    };
    return JSON.stringify(profile, null, 2);
}

/** Template objects (key below `templates/` -> body): nested paths, non-ASCII text. */
const TEMPLATES: Record<string, string> = {
    "README.md": "# Metaflow templates\n",
    "flows/train_flow.py": "from metaflow import FlowSpec, step\n\n\nclass TrainFlow(FlowSpec):\n    @step\n    def start(self):\n        self.next(self.end)\n",
    "flows/nested/deep/settings.yaml": "name: größe\nthreshold: 0.7\n",
};

/** Object keys under the prefix that would land outside ~/metaflow-templates if joined naively (see `escapeTargets`). */
function escapingKeys(root: string): string[] {
    return ["templates/../../evil-dotdot", "templates/flows/../../../evil-nested", `templates/${root}/evil-absolute`];
}

interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
}

/** One engineer's home with its own site folder (what pip "installed") and pip log. */
class Workspace {
    readonly home: string;
    readonly site: string;
    readonly pipLog: string;

    constructor(
        readonly dir: string,
        private readonly bin: string,
        private readonly endpoint: string,
    ) {
        this.home = path.join(dir, "home");
        this.site = path.join(dir, "site");
        this.pipLog = path.join(dir, "pip.jsonl");
        for (const d of [this.home, this.site]) fs.mkdirSync(d, { recursive: true });
    }

    get configDir(): string {
        return path.join(this.home, ".metaflowconfig");
    }

    get templates(): string {
        return path.join(this.home, "metaflow-templates");
    }

    /** Each `python3 -m pip` call's arguments, in order. */
    pipCalls(): string[][] {
        if (!fs.existsSync(this.pipLog)) return [];
        return fs.readFileSync(this.pipLog, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
    }

    /** What `python3 -c 'import importlib.metadata ...'` sees in this workspace. */
    installedMetaflow(): string[] {
        return fs.readdirSync(this.site).filter((n) => n.startsWith("metaflow-"));
    }

    /** Runs the script with bash in this home; resolves when it exits (stopped after 60 s, as a hung start would be). */
    run(inputs: LifecycleInputs, env: NodeJS.ProcessEnv = {}): Promise<Run> {
        const script = path.join(this.dir, "lifecycle.sh");
        fs.writeFileSync(script, lifecycleScript(inputs));
        const child = startTracked("bash", [script], {
            cwd: this.home,
            env: {
                PATH: `${this.bin}:${process.env.PATH}`,
                HOME: this.home,
                LANG: "C",
                PYTHONPATH: this.site,
                FAKE_PIP_LOG: this.pipLog,
                FAKE_PIP_SITE: this.site,
                // Were pip ever run for real, it would find no index: the test never reaches PyPI.
                PIP_NO_INDEX: "1",
                PIP_INDEX_URL: "http://127.0.0.1:9/simple/",
                AWS_ENDPOINT_URL: this.endpoint,
                AWS_ACCESS_KEY_ID: "testing",
                AWS_SECRET_ACCESS_KEY: "testing",
                AWS_CONFIG_FILE: "/dev/null",
                AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
                AWS_EC2_METADATA_DISABLED: "true",
                ...env,
            },
        });
        let stdout = "";
        let stderr = "";
        child.stdout!.on("data", (d) => (stdout += d));
        child.stderr!.on("data", (d) => (stderr += d));
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                stop(child);
                reject(new Error(`the lifecycle script did not finish within 60 s:\n${stderr}`));
            }, 60_000);
            child.once("close", (code) => {
                clearTimeout(timer);
                outputs.push(stdout, stderr);
                resolve({ code, stdout, stderr });
            });
        });
    }
}

/** Every output of every run, for the secret check. */
const outputs: string[] = [];

function ok(a: Answer): Record<string, any> {
    expect(a.error, JSON.stringify(a.error)).to.equal(undefined);
    return a.answer!;
}

function mode(file: string): string {
    return (fs.statSync(file).mode & 0o777).toString(8);
}

/** Every file and symlink under `dir`, relative, sorted. */
function walk(dir: string, rel = ""): string[] {
    return fs
        .readdirSync(path.join(dir, rel), { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? walk(dir, path.join(rel, e.name)) : [path.join(rel, e.name)]))
        .sort();
}

/** The interpreter behind PYTHON (sys.executable) when it imports every module named, else undefined. */
function pythonWith(modules: string[]): string | undefined {
    try {
        return execFileSync(PYTHON, ["-c", `import sys, ${modules.join(", ")}; print(sys.executable)`], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
        return undefined;
    }
}

/** The script's own log lines (`metaflow-workspace: ...`). */
function logLines(run: Run): string[] {
    return run.stderr.split("\n").filter((l) => l.startsWith("metaflow-workspace: "));
}

/** The engineers' starts, each in its own home; the first starts run together (they share nothing but moto). */
interface Starts {
    /** A fresh home, then its next start after the profile and the templates changed. */
    fresh: Workspace;
    first: Run;
    second: Run;
    firstInode: number;
    /** config_dev.json as the first start wrote it. */
    firstProfile: string;
    /** A home with the engineer's own config.json, a wider .metaflowconfig and an older metaflow; pipIndexUrl set. */
    own: Workspace;
    ownRun: Run;
    /** A missing parameter and a failing pip. */
    failing: Workspace;
    failingRun: Run;
    /** A profile parameter whose value is not JSON (and holds the secret). */
    broken: Workspace;
    brokenRun: Run;
    /** A config.json link of the engineer's to a profile that is gone; templates under zero-byte folder markers. */
    odd: Workspace;
    oddRun: Run;
}

const OWN_CONFIG = '{"METAFLOW_PROFILE": "mine"}';
const PROFILE_2 = profileJson("https://mf-it.example/api/v2");

describe("the workspaces' JupyterLab lifecycle script, run with bash against moto's SSM and S3", function () {
    this.timeout(90_000);
    let moto: MotoServer | undefined;
    let aws: BotoCalls | undefined;
    let root = "";
    let bin = "";
    let count = 0;
    const s = {} as Starts;

    const workspace = () => new Workspace(path.join(root, `ws${++count}`), bin, moto!.url);
    const putParameter = async (name: string, value: string) => ok(await aws!.call("ssm", "put_parameter", { Name: name, Type: "SecureString", Value: value, Overwrite: true }));
    const putObject = async (key: string, body: string) => ok(await aws!.call("s3", "put_object", { Bucket: BUCKET, Key: key, Body: body }));

    /** A `python3` that hands `-m pip` to fake_pip.py and runs the interpreter `real` for everything else. */
    function writePythonWrapper(real: string): void {
        bin = path.join(root, "bin");
        fs.mkdirSync(bin);
        fs.writeFileSync(path.join(bin, "python3"), `#!/bin/bash\nif [ "\${1-}" = -m ] && [ "\${2-}" = pip ]; then exec '${real}' '${FAKE_PIP}' "\${@:3}"; fi\nexec '${real}' "$@"\n`, { mode: 0o755 });
    }

    async function seed(): Promise<void> {
        await putParameter(PARAMETER, profileJson("https://mf-it.example/api"));
        await putParameter("/mf-it-ws/broken/profile", `METAFLOW_SERVICE_AUTH_KEY=${SECRET}`);
        ok(await aws!.call("s3", "create_bucket", { Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } }));
        for (const [key, body] of Object.entries(TEMPLATES)) await putObject(`templates/${key}`, body);
        for (const key of escapingKeys(root)) await putObject(key, "escaped\n");
        // Under other prefixes: the folder-marker case, and objects that are not the workspace's templates.
        for (const [key, body] of [["markers/flows/", ""], ["markers/flows/a_flow.py", "# a\n"], ["markers/z_flow.py", "# z\n"], ["other/not-a-template.py", "x\n"]]) await putObject(key, body);
    }

    function prepareHomes(): void {
        s.fresh = workspace();
        s.own = workspace();
        fs.mkdirSync(s.own.configDir, { mode: 0o755 });
        fs.chmodSync(s.own.configDir, 0o755);
        fs.writeFileSync(path.join(s.own.configDir, "config.json"), OWN_CONFIG);
        fs.mkdirSync(path.join(s.own.site, "metaflow-2.19.0.dist-info"));
        fs.writeFileSync(path.join(s.own.site, "metaflow-2.19.0.dist-info", "METADATA"), "Metadata-Version: 2.1\nName: metaflow\nVersion: 2.19.0\n");
        s.failing = workspace();
        s.broken = workspace();
        s.odd = workspace();
        fs.mkdirSync(s.odd.configDir, { mode: 0o700 });
        fs.symlinkSync("config_gone.json", path.join(s.odd.configDir, "config.json"));
    }

    /** The changes between the fresh home's two starts: a new profile, an edited template, objects changed and added. */
    async function changeBetweenStarts(): Promise<void> {
        await putParameter(PARAMETER, PROFILE_2);
        fs.writeFileSync(path.join(s.fresh.templates, "README.md"), "my notes\n");
        await putObject("templates/README.md", "# Metaflow templates, updated\n");
        await putObject("templates/flows/score_flow.py", "# new\n");
    }

    before(async function () {
        // The interpreter itself, not pyenv's shim: the shim takes a second to start, and would find the wrapper first on PATH.
        const real = pythonWith(["boto3", "moto.server"]);
        if (!real) unavailable(this, "moto 5 (server mode) and boto3 in the pyenv python3");
        root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "mf-lcc-")));
        writePythonWrapper(real);
        moto = await startMoto(real);
        aws = startBotoCalls(real, { PATH: process.env.PATH, AWS_ENDPOINT_URL: moto.url, AWS_DEFAULT_REGION: REGION, AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing", AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null", AWS_EC2_METADATA_DISABLED: "true" });
        await seed();
        prepareHomes();
        [s.first, s.ownRun, s.failingRun, s.brokenRun, s.oddRun] = await Promise.all([
            s.fresh.run(INPUTS),
            s.own.run({ ...INPUTS, pipIndexUrl: INDEX }),
            s.failing.run({ ...INPUTS, profileParameterName: "/mf-it-ws/missing/profile" }, { FAKE_PIP_EXIT: "1" }),
            s.broken.run({ ...INPUTS, profileParameterName: "/mf-it-ws/broken/profile" }),
            s.odd.run({ ...INPUTS, templatesPrefix: "markers/" }),
        ]);
        const written = path.join(s.fresh.configDir, "config_dev.json");
        s.firstInode = fs.statSync(written, { throwIfNoEntry: false })?.ino ?? 0;
        s.firstProfile = fs.existsSync(written) ? fs.readFileSync(written, "utf8") : "";
        await changeBetweenStarts();
        s.second = await s.fresh.run(INPUTS);
    });

    after(() => {
        aws?.stop();
        moto?.stop();
        if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    it("is valid bash, with and without a package index (bash -n), for the platform's Metaflow version", () => {
        for (const inputs of [INPUTS, { ...INPUTS, pipIndexUrl: INDEX }]) {
            const file = path.join(root, "syntax.sh");
            fs.writeFileSync(file, lifecycleScript(inputs));
            execFileSync("bash", ["-n", file]);
        }
        expect(VERSION).to.equal(PLATFORM_METAFLOW_VERSION);
    });

    describe("a fresh home's first start", () => {
        it("exits 0 with no step logged as failed", () => {
            expect(s.first.code).to.equal(0);
            expect(logLines(s.first)).to.deep.equal([]);
        });

        it("writes the SecureString profile byte for byte to ~/.metaflowconfig/config_dev.json (mode 600, folder 700), config.json linking to it", () => {
            const file = path.join(s.fresh.configDir, "config_dev.json");
            expect(s.firstProfile).to.equal(profileJson("https://mf-it.example/api"));
            expect(fs.readdirSync(s.fresh.configDir).sort()).to.deep.equal(["config.json", "config_dev.json"]);
            expect(mode(file)).to.equal("600");
            expect(mode(s.fresh.configDir)).to.equal("700");
            const link = path.join(s.fresh.configDir, "config.json");
            expect(fs.lstatSync(link).isSymbolicLink()).to.equal(true);
            expect(fs.readlinkSync(link)).to.equal("config_dev.json");
        });

        it(`installs metaflow==${VERSION} once, for the user (pip install --user), without an index of its own`, () => {
            expect(s.fresh.pipCalls()).to.deep.equal([["install", "--user", "--quiet", "--disable-pip-version-check", `metaflow==${VERSION}`]]);
            expect(s.fresh.installedMetaflow()).to.deep.equal([`metaflow-${VERSION}.dist-info`]);
        });

        it("copies the templates under the prefix with the same bytes, nested paths kept, and nothing else", () => {
            // The second start (below) edits README.md and adds score_flow.py; the rest is as the first start left it.
            expect(walk(s.fresh.templates)).to.deep.equal([...Object.keys(TEMPLATES), "flows/score_flow.py"].sort());
            for (const [key, body] of Object.entries(TEMPLATES)) {
                if (key !== "README.md") expect(fs.readFileSync(path.join(s.fresh.templates, key)).equals(Buffer.from(body, "utf8")), key).to.equal(true);
            }
            expect(fs.readFileSync(path.join(s.own.templates, "README.md"), "utf8")).to.equal(TEMPLATES["README.md"]);
        });

        it("writes no key that would escape ~/metaflow-templates (../, an absolute path)", () => {
            const escaped = escapingKeys(root).map((k) => path.resolve(s.fresh.templates, k.slice("templates/".length)));
            // Each would land in the test's folder, outside the home: none is there.
            for (const target of escaped) expect(target.startsWith(root + path.sep) && !target.startsWith(s.fresh.home + path.sep), target).to.equal(true);
            expect(escaped.filter((t) => fs.existsSync(t))).to.deep.equal([]);
            expect(walk(root).filter((f) => path.basename(f).startsWith("evil-"))).to.deep.equal([]);
        });
    });

    describe("its next start, after the profile and the templates changed", () => {
        it("exits 0 with no step logged as failed", () => {
            expect(s.second.code).to.equal(0);
            expect(logLines(s.second)).to.deep.equal([]);
        });

        it("replaces the profile atomically: the new bytes in a new file (mode 600), no temporary file left, config.json still linking to it", () => {
            const file = path.join(s.fresh.configDir, "config_dev.json");
            expect(fs.readFileSync(file, "utf8")).to.equal(PROFILE_2);
            expect(mode(file)).to.equal("600");
            // os.replace of a new file: another inode (a write in place would keep it).
            expect(fs.statSync(file).ino).to.not.equal(s.firstInode);
            expect(fs.readdirSync(s.fresh.configDir).sort()).to.deep.equal(["config.json", "config_dev.json"]);
            expect(fs.readlinkSync(path.join(s.fresh.configDir, "config.json"))).to.equal("config_dev.json");
        });

        it("keeps the engineer's edit of a template the platform changed, and adds a new template", () => {
            expect(fs.readFileSync(path.join(s.fresh.templates, "README.md"), "utf8")).to.equal("my notes\n");
            expect(fs.readFileSync(path.join(s.fresh.templates, "flows/score_flow.py"), "utf8")).to.equal("# new\n");
        });

        it("does not run pip: the version it installed is there", () => {
            expect(s.fresh.pipCalls()).to.have.length(1);
        });
    });

    describe("a home with the engineer's own config.json and an older metaflow, pipIndexUrl set", () => {
        it("leaves config.json alone, writes config_dev.json, and makes the wider .metaflowconfig 700", () => {
            expect(s.ownRun.code).to.equal(0);
            expect(logLines(s.ownRun)).to.deep.equal([]);
            const config = path.join(s.own.configDir, "config.json");
            expect(fs.lstatSync(config).isSymbolicLink()).to.equal(false);
            expect(fs.readFileSync(config, "utf8")).to.equal(OWN_CONFIG);
            expect(fs.readFileSync(path.join(s.own.configDir, "config_dev.json"), "utf8")).to.equal(profileJson("https://mf-it.example/api"));
            expect(mode(s.own.configDir)).to.equal("700");
        });

        it("replaces the other version through that index (--index-url)", () => {
            expect(s.own.pipCalls()).to.deep.equal([["install", "--user", "--quiet", "--disable-pip-version-check", "--index-url", INDEX, `metaflow==${VERSION}`]]);
            expect(s.own.installedMetaflow()).to.deep.equal([`metaflow-${VERSION}.dist-info`]);
        });
    });

    describe("failed steps are logged and skipped", () => {
        it("a missing parameter and a failing pip: exit 0, both logged, no profile written, the templates still copied", () => {
            expect(s.failingRun.code).to.equal(0);
            expect(logLines(s.failingRun)).to.deep.equal(["metaflow-workspace: could not write the Metaflow profile from /mf-it-ws/missing/profile", `metaflow-workspace: could not install metaflow ${VERSION}`]);
            expect(s.failingRun.stderr).to.contain("ParameterNotFound");
            expect(fs.readdirSync(s.failing.configDir)).to.deep.equal([]);
            expect(walk(s.failing.templates)).to.deep.equal(Object.keys(TEMPLATES).sort());
            expect(s.failing.installedMetaflow()).to.deep.equal([]);
        });

        it("a profile that is not JSON: not written, logged, exit 0", () => {
            expect(s.brokenRun.code).to.equal(0);
            expect(logLines(s.brokenRun)).to.deep.equal(["metaflow-workspace: could not write the Metaflow profile from /mf-it-ws/broken/profile"]);
            expect(s.brokenRun.stderr).to.contain("JSONDecodeError");
            expect(fs.readdirSync(s.broken.configDir)).to.deep.equal([]);
        });
    });

    describe("homes and buckets as engineers and the S3 console leave them", () => {
        it("leaves a config.json link of the engineer's to a profile that is gone, without logging a failure", () => {
            expect(s.oddRun.code).to.equal(0);
            expect(fs.readlinkSync(path.join(s.odd.configDir, "config.json"))).to.equal("config_gone.json");
            expect(fs.readFileSync(path.join(s.odd.configDir, "config_dev.json"), "utf8")).to.equal(profileJson("https://mf-it.example/api"));
            expect(logLines(s.oddRun).filter((l) => l.includes("profile"))).to.deep.equal([]);
        });

        it("copies templates under zero-byte folder markers (`<folder>/` keys, as the console's Create folder makes)", () => {
            expect(s.oddRun.code).to.equal(0);
            expect(logLines(s.oddRun).filter((l) => l.includes("templates"))).to.deep.equal([]);
            expect(walk(s.odd.templates)).to.deep.equal(["flows/a_flow.py", "z_flow.py"]);
        });
    });

    it("no run printed the profile's secret, not even for a profile that is not JSON (the written profiles hold it)", () => {
        expect(outputs.length).to.equal(12);
        expect(fs.readFileSync(path.join(s.own.configDir, "config_dev.json"), "utf8")).to.contain(SECRET);
        for (const out of outputs) expect(out).to.not.contain(SECRET);
    });
});
