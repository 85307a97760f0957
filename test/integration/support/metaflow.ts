/**
 * Runs the pinned Metaflow 2.19.38 (../shared/vendor) with a profile the plan produced: its own config loader, its
 * `step-functions create --only-json` and its parameter handling, with AWS answered by moto on 127.0.0.1. Every run
 * has a timeout and a temporary METAFLOW_HOME that is removed afterwards.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { hasPythonModules, unavailable, vendored } from "./env";
import { sharedMoto } from "./moto";

export const PYTHON = process.env.PYTHON ?? "python3";
const HELPERS = __dirname;

/** The extracted Metaflow source folder (the one holding `metaflow/`), or a skip (a failure in CI). */
export function metaflowSource(ctx: Mocha.Context): string {
    const dir = vendored("metaflow-2.19.38.tar.gz");
    if (!dir) unavailable(ctx, "../shared/vendor/metaflow-2.19.38.tar.gz");
    if (!hasPythonModules(PYTHON, ["boto3", "requests", "moto.server"])) unavailable(ctx, `${PYTHON} with boto3, requests and moto`);
    return path.join(dir!, "metaflow-2.19.38");
}

export interface RunResult {
    status: number | null;
    stdout: string;
    stderr: string;
}

/** A temporary folder with a METAFLOW_HOME; profiles are written as `config_<name>.json`. */
export class MetaflowWorkspace {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "mf-it-"));
    readonly home = path.join(this.dir, "home");

    constructor(
        readonly source: string,
        readonly awsEndpoint?: string,
    ) {
        fs.mkdirSync(this.home);
    }

    writeProfile(name: string, config: Record<string, unknown>): void {
        fs.writeFileSync(path.join(this.home, `config_${name}.json`), JSON.stringify(config, null, 1));
    }

    writeFile(name: string, text: string): string {
        const file = path.join(this.dir, name);
        fs.writeFileSync(file, text);
        return file;
    }

    /** Environment of a Metaflow process: only what the profile, the machine and the offline AWS need. */
    env(profile: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
        const env: NodeJS.ProcessEnv = {
            PATH: process.env.PATH,
            HOME: this.dir,
            LANG: "C.UTF-8",
            PYTHONPATH: this.source,
            PYTHONDONTWRITEBYTECODE: "1",
            USERNAME: "integration",
            METAFLOW_HOME: this.home,
            METAFLOW_PROFILE: profile,
            AWS_ACCESS_KEY_ID: "testing",
            AWS_SECRET_ACCESS_KEY: "testing",
            AWS_DEFAULT_REGION: "us-east-1",
            // 127.0.0.1 only: any HTTP(S) call elsewhere (an AWS endpoint moto does not answer, the profile's
            // metadata service, a package index) goes to a closed local port and fails at once.
            HTTP_PROXY: "http://127.0.0.1:9",
            HTTPS_PROXY: "http://127.0.0.1:9",
            NO_PROXY: "127.0.0.1,localhost",
            AWS_EC2_METADATA_DISABLED: "true",
            ...extra,
        };
        if (this.awsEndpoint) env.AWS_ENDPOINT_URL = this.awsEndpoint;
        return env;
    }

    run(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60000): RunResult {
        const r = spawnSync(PYTHON, args, { cwd: this.dir, env, encoding: "utf8", timeout: timeoutMs });
        if (r.error) throw r.error;
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    }

    /** What Metaflow's config loader makes of the profile (and `extra` environment variables). */
    loadedConfig(profile: string, extra: Record<string, string> = {}): Record<string, unknown> {
        const r = this.run([path.join(HELPERS, "metaflow_config.py")], this.env(profile, extra));
        if (r.status !== 0) throw new Error(`Metaflow's config loader failed: ${r.stderr}`);
        return JSON.parse(r.stdout);
    }

    /** Creates in moto what the profile names: the datastore bucket and the job queues. */
    seedAws(spec: { buckets: string[]; queues: Array<{ name: string; platform: "EC2" | "FARGATE" }> }): void {
        const r = this.run([path.join(HELPERS, "seed_aws.py"), JSON.stringify(spec)], this.env("none"));
        if (r.status !== 0) throw new Error(`seeding moto failed: ${r.stderr}`);
    }

    cleanup(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** A flow file for `flow` as a trigger names it (`Flow` or `<project>.<branch>.<Flow>`), with the given parameters. */
export function flowSource(flowClass: string, opts: { project?: string; parameters?: string[]; body?: string } = {}): string {
    const params = (opts.parameters ?? []).map((p) => `    ${p.replace(/-/g, "_")} = Parameter(${JSON.stringify(p)}, default="")\n`).join("");
    return [
        "from metaflow import FlowSpec, Parameter, project, step",
        "",
        opts.project ? `@project(name=${JSON.stringify(opts.project)})` : "",
        `class ${flowClass}(FlowSpec):`,
        params,
        "    @step",
        "    def start(self):",
        opts.body ?? "        pass",
        "        self.next(self.end)",
        "",
        "    @step",
        "    def end(self):",
        "        pass",
        "",
        'if __name__ == "__main__":',
        `    ${flowClass}()`,
        "",
    ].join("\n");
}

/** The command-line options that make Metaflow deploy `branch` (`prod`, `prod.x`, `test.x`, `user.x`). */
export function branchOptions(branch: string): { args: string[]; env: Record<string, string> } {
    const [kind, rest] = [branch.split(".")[0], branch.split(".").slice(1).join(".")];
    if (kind === "prod") return { args: ["--production", ...(rest ? ["--branch", rest] : [])], env: {} };
    if (kind === "test") return { args: ["--branch", rest], env: {} };
    return { args: [], env: { METAFLOW_OWNER: rest } };
}

/** The state machines in the moto server: name to ARN, as `step-functions create` left them. */
export function stateMachinesIn(ws: MetaflowWorkspace): Record<string, string> {
    const code = "import boto3, json; print(json.dumps({m['name']: m['stateMachineArn'] for m in boto3.client('stepfunctions').list_state_machines()['stateMachines']}))";
    const r = ws.run(["-c", code], ws.env("none"));
    if (r.status !== 0) throw new Error(`listing state machines failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
}

/** Whether an IAM resource pattern (`*` and `?` wildcards) matches an ARN. */
export function iamMatches(pattern: string, arn: string): boolean {
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
    return re.test(arn);
}

/**
 * For a `describe` block: a workspace on the process's moto server before its tests (or a skip, see metaflowSource),
 * removed after. Returns the workspace's getter.
 */
export function withMetaflow(): () => MetaflowWorkspace {
    let ws: MetaflowWorkspace | undefined;
    before(async function () {
        const source = metaflowSource(this);
        ws = new MetaflowWorkspace(source, (await sharedMoto(PYTHON)).url);
    });
    after(() => ws?.cleanup());
    return () => ws!;
}

/** The plan's Metaflow profile, written as `config_<name>.json`, with its bucket and job queues created in moto. */
export function installProfile(ws: MetaflowWorkspace, name: string, run: { outputs: Record<string, unknown> }): Record<string, string> {
    const profile = run.outputs.metaflowConfig as Record<string, string>;
    ws.writeProfile(name, profile);
    const queues = Object.values((run.outputs.batch as { queueNames: Record<string, string> }).queueNames);
    ws.seedAws({ buckets: [new URL(profile.METAFLOW_DATASTORE_SYSROOT_S3).host], queues: queues.map((q) => ({ name: q, platform: "EC2" })) });
    return profile;
}

/**
 * `python <flow file> [options] step-functions create --only-json` with a profile: the definition Metaflow would send,
 * and the state machine name it resolved. The metadata service's version check is off (the service half of the suite
 * runs the real service); everything else is the profile's.
 */
export function stepFunctionsJson(ws: MetaflowWorkspace, profile: string, file: string, opts: { args?: string[]; env?: Record<string, string> } = {}): { name: string; definition: any; stderr: string } {
    const attributes = path.join(ws.dir, `${path.basename(file)}-${profile}.attributes.json`);
    const args = [file, "--no-pylint", ...(opts.args ?? []), "step-functions", "create", "--only-json", "--deployer-attribute-file", attributes];
    const r = ws.run(args, ws.env(profile, { METAFLOW_SERVICE_VERSION_CHECK: "0", ...opts.env }));
    if (r.status !== 0) throw new Error(`step-functions create --only-json failed (${r.status}): ${r.stderr}`);
    return { name: JSON.parse(fs.readFileSync(attributes, "utf8")).name, definition: JSON.parse(r.stdout), stderr: r.stderr };
}
