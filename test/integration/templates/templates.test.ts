/**
 * The ML pipeline templates (templates/), run end to end by the real Metaflow 2.19.38 with Debian's Python, pandas,
 * scikit-learn and Dask, against moto on 127.0.0.1 for every AWS call:
 * - locally (`--datastore local --metadata local`), each flow as an engineer runs it, reading its settings and
 *   hyperparameters from Parameter Store (moto) or, offline, from templates/local/;
 * - Dask features on a real scheduler and worker whose address the flow reads from Parameter Store;
 * - the drift monitor's metrics read back from CloudWatch (moto), and a drifted sample failing the run;
 * - the deploy flow against moto's SageMaker (with the UpdateEndpoint of support/moto_sagemaker.py), the test acting
 *   as the approver and queueing the endpoint's answers (support/sagemaker_review.py);
 * - the scheduled, triggered, deploy and platform report flows compiled with `step-functions create --only-json` against each stack's
 *   profile, bootstrapped from the planned SecureString with the documented `aws ssm get-parameter`.
 * Everything runs in a temporary copy of templates/, removed afterwards.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { runStack } from "../../harness";
import { hasCommand, hasPythonModules, ROOT, unavailable, vendored } from "../support/env";
import { MOTO_WITH_SAGEMAKER } from "../support/moto";
import { Command, run, Service, startDask, startMoto } from "./processes";

const DEBIAN_PYTHON = "/usr/bin/python3";
/** The pyenv interpreter: moto's server, and a boto3 new enough for AWS_ENDPOINT_URL (Metaflow's Step Functions client). */
const PYENV_PYTHON = "python3";
const DASK_BIN = { scheduler: "/usr/bin/dask-scheduler", worker: "/usr/bin/dask-worker" };
const PREFIX = "/mf-it";
const INSPECT = path.join(__dirname, "inspect_runs.py");
const SUPPORT = path.join(__dirname, "..", "support");
/** What the platform writes for a served model `churn` (settings serving-churn-*), as the seed creates it. */
const SERVING = { group: "mf-it-churn", role: "arn:aws:iam::123456789012:role/mf-it-serve-churn", image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/mf-it-images:serve", memoryMb: "3072", maxConcurrency: "7" };

describe("the ML pipeline templates, end to end with Metaflow 2.19.38", function () {
    this.timeout(120_000);
    let metaflow: string;
    let work: string;
    let moto: Service | undefined;
    let dask: Service | undefined;
    let baseEnv: NodeJS.ProcessEnv;
    const started: Record<string, Promise<Flow>> = {};
    let typecheck: Promise<Command>;

    interface Flow extends Command {
        runId?: string;
        pathspec?: string;
    }

    /** Runs a template flow locally: `python <file> --datastore local --metadata local run <args>`. */
    async function flow(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Flow> {
        const idFile = path.join(work, `${file}-${Date.now()}-${Math.random().toString(36).slice(2)}.id`);
        const result = await run(DEBIAN_PYTHON, [file, "--datastore", "local", "--metadata", "local", "--quiet", "run", "--run-id-file", idFile, ...args], { cwd: path.join(work, "templates"), env: { ...baseEnv, ...env } });
        const runId = fs.existsSync(idFile) ? fs.readFileSync(idFile, "utf8").trim() : undefined;
        const name = { "gpu_training.py": "GpuTrainingFlow", "dask_features.py": "DaskFeaturesFlow", "batch_inference.py": "BatchInferenceFlow", "retrain_on_data.py": "RetrainOnDataFlow", "model_monitoring.py": "ModelMonitoringFlow", "deploy_model.py": "DeployModelFlow" }[file];
        return { ...result, runId, pathspec: runId ? `${name}/${runId}` : undefined };
    }

    function succeeded(f: Flow): Flow {
        expect(f.code, `${f.stdout}\n${f.stderr}`).to.equal(0);
        return f;
    }

    /** Artifacts and tags of runs, through the Client API. */
    async function inspect(specs: Record<string, string[]>): Promise<Record<string, { successful: boolean; tags: string[]; data: Record<string, any> }>> {
        const out = await run(DEBIAN_PYTHON, [INSPECT, ...Object.entries(specs).map(([p, names]) => `${p}=${names.join(",")}`)], { cwd: work, env: baseEnv });
        expect(out.code, out.stderr).to.equal(0);
        return JSON.parse(out.stdout);
    }

    /** Calls AWS (moto) with boto3: `python3 -c <code>` with the JSON it prints parsed. */
    async function boto(code: string): Promise<any> {
        const out = await run(PYENV_PYTHON, ["-c", `import boto3, json\n${code}`], { cwd: work, env: baseEnv });
        expect(out.code, out.stderr).to.equal(0);
        return out.stdout.trim() ? JSON.parse(out.stdout) : undefined;
    }

    before(async function () {
        const dir = vendored("metaflow-2.19.38.tar.gz");
        if (!dir) unavailable(this, "../shared/vendor/metaflow-2.19.38.tar.gz");
        metaflow = path.join(dir!, "metaflow-2.19.38");
        if (!hasPythonModules(DEBIAN_PYTHON, ["dask", "distributed", "pandas", "sklearn", "requests", "boto3"])) {
            unavailable(this, "Debian's python3-dask python3-distributed python3-pandas python3-sklearn python3-requests python3-boto3");
        }
        if (!hasCommand(DASK_BIN.scheduler) || !hasCommand(DASK_BIN.worker)) unavailable(this, "dask-scheduler and dask-worker (python3-distributed)");
        if (!hasPythonModules(PYENV_PYTHON, ["moto.server", "boto3"]) || !hasCommand("aws")) unavailable(this, "moto 5 (server mode), boto3 and the aws CLI in the pyenv python3");

        work = fs.mkdtempSync(path.join(require("os").tmpdir(), "mf-templates-"));
        fs.cpSync(path.join(ROOT, "templates"), path.join(work, "templates"), { recursive: true, filter: (src) => !/(\.data|\.metaflow|__pycache__)$/.test(src) });
        [moto, dask] = await Promise.all([startMoto(PYENV_PYTHON, MOTO_WITH_SAGEMAKER), startDask(DASK_BIN)]);
        baseEnv = {
            PATH: process.env.PATH,
            HOME: work,
            LANG: "C.UTF-8",
            USERNAME: "integration",
            PYTHONPATH: metaflow,
            METAFLOW_HOME: path.join(work, "metaflow-home"),
            METAFLOW_DATASTORE_SYSROOT_LOCAL: path.join(work, "datastore"),
            MF_TEMPLATES_LOCAL: "1",
            // Every AWS call goes to moto; no credentials or configuration of this machine are read.
            AWS_ENDPOINT_URL: moto.endpoint,
            AWS_ACCESS_KEY_ID: "testing",
            AWS_SECRET_ACCESS_KEY: "testing",
            AWS_DEFAULT_REGION: "us-east-1",
            AWS_CONFIG_FILE: path.join(work, "no-aws-config"),
            AWS_SHARED_CREDENTIALS_FILE: path.join(work, "no-aws-credentials"),
            AWS_EC2_METADATA_DISABLED: "true",
        };
        // The stack's hierarchy as the platform writes it (settings) and an engineer would (hyperparameters, Dask).
        const settings = { "data-root": `${work}/bucket/data`, "gpu-queue": "gpu", "default-queue": "cpu", region: "us-east-1", "metric-namespace": "Metaflow/IntegrationModels", "drift-psi-threshold": "0.2", "drift-ks-threshold": "0.2", "min-accuracy": "0.7", "serving-churn-group": SERVING.group, "serving-churn-endpoint-role": SERVING.role, "serving-churn-memory-mb": SERVING.memoryMb, "serving-churn-max-concurrency": SERVING.maxConcurrency };
        const params: Record<string, string> = {
            ...Object.fromEntries(Object.entries(settings).map(([k, v]) => [`${PREFIX}/settings/${k}`, v])),
            [`${PREFIX}/params/RetrainOnDataFlow/epochs`]: "3",
            [`${PREFIX}/params/RetrainOnDataFlow/learning_rate`]: "0.05",
            [`${PREFIX}/dask/scheduler-address`]: dask.endpoint,
        };
        await boto(`ssm = boto3.client("ssm")\nfor name, value in json.loads(${JSON.stringify(JSON.stringify(params))}).items(): ssm.put_parameter(Name=name, Value=value, Type="String")
boto3.client("sagemaker").create_model_package_group(ModelPackageGroupName=${JSON.stringify(SERVING.group)})`);

        // pyright reads a copy of the templates of its own (the flows write .data/ and .metaflow/ into theirs).
        const typed = path.join(work, "typed");
        fs.cpSync(path.join(work, "templates"), typed, { recursive: true });
        fs.writeFileSync(path.join(typed, "pyrightconfig.integration.json"), JSON.stringify({ extends: "./pyrightconfig.json", extraPaths: [metaflow, "/usr/lib/python3/dist-packages"] }));
        typecheck = run(process.execPath, [path.join(ROOT, "node_modules", "pyright", "index.js"), "--project", "pyrightconfig.integration.json", "--outputjson"], { cwd: typed, env: { PATH: process.env.PATH, HOME: work } });

        // The first two flows start now and run side by side (one CPU each); the tests below await them.
        started.gpu = flow("gpu_training.py", ["--interrupt_at_epoch", "2", "--experiment", "it-sweep", "--tag", "team:churn"]);
        started.dask = flow("dask_features.py", ["--rows", "4000", "--partitions", "4"], { MF_PLATFORM_PREFIX: PREFIX });
    });

    after(async () => {
        await Promise.allSettled([...Object.values(started), typecheck]);
        await Promise.all([moto?.close(), dask?.close()]);
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("GPU training: resumes from its checkpoint after a simulated spot interruption (@retry), with offline hyperparameters and experiment tags", async () => {
        const gpu = succeeded(await started.gpu);
        expect(gpu.stdout + gpu.stderr).to.contain("simulated spot interruption after epoch 2");
        const r = (await inspect({ [gpu.pathspec!]: ["attempts", "resumed_from_epoch", "hparams", "accuracy", "reference_sample"] }))[gpu.pathspec!];
        expect(r.successful).to.equal(true);
        // The retry (second attempt) continued after epoch 2 instead of starting over.
        expect(r.data.attempts).to.equal(2);
        expect(r.data.resumed_from_epoch).to.equal(2);
        // Offline: templates/local/params/GpuTrainingFlow.json sets epochs 4 over the code's default of 5.
        expect(r.data.hparams).to.include({ epochs: 4, learning_rate: 0.01 });
        expect(r.data.accuracy).to.be.above(0.8);
        expect(r.data.reference_sample.columns).to.include.members(["f0", "f1", "f2", "f3", "label"]);
        expect(r.tags).to.include.members(["experiment:it-sweep", "learning_rate:0.01", "team:churn", "project:churn", "project_branch:user.integration"]);
        expect(fs.existsSync(path.join(work, "templates", ".data", "data", "checkpoints", "GpuTrainingFlow", gpu.runId!))).to.equal(true);
    });

    it("Dask features: computed on the cluster whose address is in Parameter Store, written under the data root", async () => {
        const d = succeeded(await started.dask);
        const r = (await inspect({ [d.pathspec!]: ["scheduler", "customers", "feature_columns", "features_url", "platform"] }))[d.pathspec!];
        expect(r.data.scheduler).to.equal(dask!.endpoint);
        // The task found the hierarchy through the run's settings (a Batch task does not inherit the shell's variables).
        expect(r.data.platform.parameter_prefix).to.equal(PREFIX);
        expect(r.data.customers).to.equal(97);
        expect(r.data.feature_columns).to.have.length(8);
        expect(r.data.features_url).to.equal(`${work}/bucket/data/features/DaskFeaturesFlow/${d.runId}/features.csv`);
        const csv = fs.readFileSync(r.data.features_url, "utf8").trim().split("\n");
        expect(csv).to.have.length(98);
        // Without an address (offline) the same flow starts a local cluster in the task.
        const offline = succeeded(await flow("dask_features.py", ["--rows", "2000", "--partitions", "2"]));
        const o = (await inspect({ [offline.pathspec!]: ["scheduler"] }))[offline.pathspec!];
        expect(o.data.scheduler).to.match(/^inproc:\/\//);
    });

    it("retraining from new data: the S3 trigger's key as a parameter, hyperparameters from Parameter Store, bad data refused", async () => {
        await started.gpu; // the model runs of this branch are ordered by finish time below
        const incoming = path.join(work, "bucket", "data", "incoming", "churn");
        fs.mkdirSync(incoming, { recursive: true });
        const csv = await run(DEBIAN_PYTHON, ["-c", `import sys; sys.path.insert(0, "."); import modeling; modeling.synthetic_frame(800, 21).to_csv(${JSON.stringify(path.join(incoming, "2026-11-29.csv"))}, index=False); modeling.synthetic_frame(20, 22).to_csv(${JSON.stringify(path.join(incoming, "tiny.csv"))}, index=False)`], { cwd: path.join(work, "templates"), env: baseEnv });
        expect(csv.code, csv.stderr).to.equal(0);
        const env = { MF_PLATFORM_PREFIX: PREFIX };
        const [good, tiny] = await Promise.all([
            flow("retrain_on_data.py", ["--key", "data/incoming/churn/2026-11-29.csv", "--min_rows", "500"], env),
            flow("retrain_on_data.py", ["--key", "data/incoming/churn/tiny.csv", "--min_rows", "500"], env),
        ]);
        succeeded(good);
        const r = (await inspect({ [good.pathspec!]: ["hparams", "source_url", "accuracy"] }))[good.pathspec!];
        expect(r.data.hparams).to.deep.equal({ epochs: 3, learning_rate: 0.05, batch_size: 64 });
        expect(r.data.source_url).to.equal(`${work}/bucket/data/incoming/churn/2026-11-29.csv`);
        expect(r.data.accuracy).to.be.above(0.8);
        expect(r.tags).to.include("trigger_key:data/incoming/churn/2026-11-29.csv");
        expect(tiny.code).to.not.equal(0);
        expect(tiny.stdout + tiny.stderr).to.contain("has 20 rows; at least 500 are needed to retrain");
        started.retrain = Promise.resolve(good);
    });

    it("batch inference and model monitoring: the latest successful model of the branch, results under the data root, drift metrics in CloudWatch and a drifted sample failing", async () => {
        const retrain = await started.retrain;
        expect(retrain, "the retraining test ran first").to.not.equal(undefined);
        const env = { MF_PLATFORM_PREFIX: PREFIX };
        const [inference, healthy, drifted] = await Promise.all([
            flow("batch_inference.py", ["--rows", "300"], env),
            flow("model_monitoring.py", ["--rows", "600"], env),
            flow("model_monitoring.py", ["--rows", "600", "--shift", "1.0"], env),
        ]);
        succeeded(inference);
        succeeded(healthy);
        const r = await inspect({ [inference.pathspec!]: ["model_run", "predictions_url", "scored"], [healthy.pathspec!]: ["model_run", "metrics"] });
        // The retraining run finished after the GPU run: it is the newest successful model of project_branch:user.integration.
        expect(r[inference.pathspec!].data.model_run).to.equal(retrain.pathspec);
        expect(r[healthy.pathspec!].data.model_run).to.equal(retrain.pathspec);
        const predictions = r[inference.pathspec!].data.predictions_url;
        expect(predictions).to.equal(`${work}/bucket/data/predictions/BatchInferenceFlow/${inference.runId}.csv`);
        expect(fs.readFileSync(predictions, "utf8").trim().split("\n")).to.have.length(301);
        const metrics = r[healthy.pathspec!].data.metrics;
        expect(metrics.DriftPSI).to.be.below(0.2);
        expect(metrics.DriftKS).to.be.below(0.2);

        expect(drifted.code).to.not.equal(0);
        expect(drifted.stdout + drifted.stderr).to.match(/PSI \d\.\d{3} > 0\.2/).and.match(/KS \d\.\d{3} > 0\.2/);

        // Both runs published before judging: each metric once per model and once without dimensions (what the alarms
        // watch). moto matches a query without dimensions to every series of the name, so values are read per model and
        // the dimensionless series are checked to exist.
        const cloudwatch = await boto(`cw = boto3.client("cloudwatch")
import datetime
now = datetime.datetime.now(datetime.timezone.utc)
series = sorted(set((m["MetricName"], json.dumps(m.get("Dimensions", []), separators=(",", ":"))) for m in cw.list_metrics(Namespace="Metaflow/IntegrationModels")["Metrics"]))
stats = {}
for name in ["DriftPSI", "DriftKS", "Accuracy"]:
    s = cw.get_metric_statistics(Namespace="Metaflow/IntegrationModels", MetricName=name, Dimensions=[{"Name": "Model", "Value": "churn.user.integration"}], StartTime=now - datetime.timedelta(hours=1), EndTime=now + datetime.timedelta(minutes=5), Period=3600, Statistics=["Maximum", "Minimum", "SampleCount"])
    stats[name] = [{k: p[k] for k in ("Maximum", "Minimum", "SampleCount")} for p in s["Datapoints"]]
print(json.dumps({"series": series, "stats": stats}))`);
        const model = JSON.stringify([{ Name: "Model", Value: "churn.user.integration" }]);
        expect(cloudwatch.series).to.have.deep.members(["Accuracy", "DriftKS", "DriftPSI"].flatMap((name) => [[name, "[]"], [name, model]]));
        const stats = cloudwatch.stats;
        for (const name of ["DriftPSI", "DriftKS", "Accuracy"]) {
            expect(stats[name], name).to.have.length(1);
            expect(stats[name][0].SampleCount, name).to.equal(2);
        }
        expect(stats.DriftPSI[0].Maximum).to.be.above(0.2);
        expect(stats.DriftPSI[0].Minimum).to.be.closeTo(metrics.DriftPSI, 1e-9);
        expect(stats.DriftKS[0].Maximum).to.be.above(0.2);
        expect(stats.Accuracy[0].Minimum).to.be.above(0.7);
    });

    it("deploys the branch's model to a serverless endpoint after approval, rolls back a version failing its check, never deploys a rejected one", async () => {
        const env = { MF_PLATFORM_PREFIX: PREFIX };
        const args = ["--image", SERVING.image, "--poll_seconds", "1", "--approval_timeout_minutes", "1", "--check_rows", "20"];
        // The labels of the rows the check sends: a good answer predicts them, a bad one inverts them.
        const sample = await run(DEBIAN_PYTHON, ["-c", "import json, deploy_model, modeling; print(json.dumps(deploy_model.check_sample(20)[modeling.LABEL].tolist()))"], { cwd: path.join(work, "templates"), env: baseEnv });
        expect(sample.code, sample.stderr).to.equal(0);
        const labels: number[] = JSON.parse(sample.stdout);
        const answer = (predictions: number[]) => ({ Body: predictions.map(String).join("\n") + "\n", ContentType: "text/csv", InvokedProductionVariant: "AllTraffic" });
        // The reviewer's helpers (queue the endpoint's answers, approve), imported without writing bytecode into the repository.
        const review = `import sys; sys.dont_write_bytecode = True; sys.path.insert(0, ${JSON.stringify(SUPPORT)}); import sagemaker_review`;

        /** Runs the flow while a reviewer decides on version `n` as soon as it is registered (pending), after queueing the endpoint's answer. */
        async function deploy(n: number, decision: "Approved" | "Rejected", result?: ReturnType<typeof answer>): Promise<Flow> {
            if (result) await boto(`${review}; sagemaker_review.queue_results(json.loads(${JSON.stringify(JSON.stringify([result]))}))`);
            const running = flow("deploy_model.py", args, env);
            const decided = boto(`${review}; import time
sm = boto3.client("sagemaker")
arn = f"arn:aws:sagemaker:us-east-1:{boto3.client('sts').get_caller_identity()['Account']}:model-package/${SERVING.group}/${n}"
deadline = time.time() + 40
while not any(p["ModelPackageArn"] == arn for p in sm.list_model_packages(ModelPackageGroupName="${SERVING.group}")["ModelPackageSummaryList"]):
    if time.time() > deadline: raise SystemExit("version ${n} was not registered")
    time.sleep(0.2)
assert sm.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "PendingManualApproval"
if "${decision}" == "Approved":
    sagemaker_review.approve(arn, "v${n} reviewed")
else:
    kept = sm.describe_model_package(ModelPackageName=arn)["CustomerMetadataProperties"]
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected", ApprovalDescription="v${n} not good enough", CustomerMetadataProperties=kept)`);
            // A reviewer still waiting when the run ends (it failed before registering) fails with the run's output.
            const failed = async (err: unknown): Promise<never> => {
                const f = await running;
                throw new Error(`${err}\n${f.stdout}\n${f.stderr}`);
            };
            const [f] = await Promise.all([running, decided.catch(failed)]);
            return f;
        }

        /** What SageMaker (moto) holds: the endpoint, every version's package, model and endpoint config. */
        const state = () => boto(`sm = boto3.client("sagemaker")
def get(call, **name):
    try:
        out = call(**name); out.pop("ResponseMetadata", None); return out
    except sm.exceptions.ClientError as e:
        return {"missing": e.response["Error"]["Code"]}
packages = {str(p["ModelPackageVersion"]): p["ModelPackageArn"] for p in sm.list_model_packages(ModelPackageGroupName="${SERVING.group}")["ModelPackageSummaryList"]}
print(json.dumps({"endpoint": get(sm.describe_endpoint, EndpointName="${SERVING.group}"), "versions": {n: {"package": get(sm.describe_model_package, ModelPackageName=arn), "model": get(sm.describe_model, ModelName=f"${SERVING.group}-v{n}"), "config": get(sm.describe_endpoint_config, EndpointConfigName=f"${SERVING.group}-v{n}")} for n, arn in packages.items()}}, default=str))`);

        // Offline (templates/local/settings.json) there is nothing to deploy to: the flow says so. A size above the
        // stack's caps (the settings serving-churn-memory-mb and -max-concurrency) is refused before anything is registered.
        const [offline, above, v1] = await Promise.all([
            flow("deploy_model.py", ["--image", SERVING.image]),
            flow("deploy_model.py", ["--image", SERVING.image, "--memory_mb", "4096"], env),
            deploy(1, "Approved", answer(labels)),
        ]);
        expect(offline.code).to.not.equal(0);
        expect(offline.stdout + offline.stderr).to.contain("serving needs AWS");
        expect(above.code).to.not.equal(0);
        expect(above.stdout + above.stderr).to.contain("--memory_mb 4096 is above the stack's cap of 3072 MB (setting serving-churn-memory-mb)");

        // (1) A good answer: v1 serves, on a new endpoint.
        succeeded(v1);
        const r1 = (await inspect({ [v1.pathspec!]: ["model_run", "model_url", "version", "accuracy", "previous_config"] }))[v1.pathspec!];
        const modelRunId = r1.data.model_run.split("/")[1];
        expect(r1.data.model_url).to.equal(`${work}/bucket/data/models/churn/${modelRunId}/model.tar.gz`);
        expect(fs.existsSync(r1.data.model_url)).to.equal(true);
        expect(r1.data).to.deep.include({ version: 1, accuracy: 1, previous_config: null });
        let s = await state();
        expect(s.endpoint).to.deep.include({ EndpointStatus: "InService", EndpointConfigName: `${SERVING.group}-v1` });
        expect(s.versions["1"].package).to.deep.include({ ModelApprovalStatus: "Approved", CustomerMetadataProperties: { "metaflow-run": r1.data.model_run, "deploy-run": v1.pathspec } });
        expect(s.versions["1"].package.InferenceSpecification.Containers[0]).to.deep.include({ Image: SERVING.image, ModelDataUrl: r1.data.model_url });
        expect(s.versions["1"].model.ExecutionRoleArn).to.equal(SERVING.role);
        expect(s.versions["1"].config.ProductionVariants).to.deep.equal([{ VariantName: "AllTraffic", ModelName: `${SERVING.group}-v1`, ServerlessConfig: { MemorySizeInMB: 3072, MaxConcurrency: 7 } }]);

        // (2) A bad answer for v2: the endpoint goes back to v1's config, v2 is rejected with the reason, the run fails.
        const v2 = await deploy(2, "Approved", answer(labels.map((l) => 1 - l)));
        expect(v2.code, v2.stdout + v2.stderr).to.not.equal(0);
        expect(v2.stdout + v2.stderr).to.contain(`version 2 of churn failed its check (accuracy 0.000 < 0.7): endpoint ${SERVING.group} back on ${SERVING.group}-v1`);
        s = await state();
        expect(s.endpoint).to.deep.include({ EndpointStatus: "InService", EndpointConfigName: `${SERVING.group}-v1` });
        expect(s.versions["2"].package).to.deep.include({ ModelApprovalStatus: "Rejected", ApprovalDescription: "check failed: accuracy 0.000 < 0.7" });
        expect(s.versions["2"].package.CustomerMetadataProperties).to.have.property("deploy-run", v2.pathspec);
        expect(s.versions["2"].config).to.deep.equal({ missing: "ValidationException" });
        expect(s.versions["2"].model).to.deep.equal({ missing: "ValidationException" });
        expect(s.versions["1"].config.EndpointConfigName).to.equal(`${SERVING.group}-v1`);

        // (3) A version the reviewer rejects is never deployed: no model, no config, the endpoint untouched.
        const v3 = succeeded(await deploy(3, "Rejected"));
        expect(v3.stdout + v3.stderr).to.contain("version 3 is Rejected: nothing deployed");
        s = await state();
        expect(s.endpoint.EndpointConfigName).to.equal(`${SERVING.group}-v1`);
        expect(s.versions["3"].package.ModelApprovalStatus).to.equal("Rejected");
        expect(s.versions["3"].model).to.deep.equal({ missing: "ValidationException" });
        expect(s.versions["3"].config).to.deep.equal({ missing: "ValidationException" });
    });

    it("compiles the scheduled, triggered, deploy and report flows for Step Functions with each stack's profile, bootstrapped from Parameter Store", async () => {
        // One stack and one flow at a time: the mock runtime is global to the process, and moto's server answered
        // concurrent Batch and Step Functions calls with an occasional error page.
        for (const stack of ["dev", "staging", "prod"]) await compileFor(stack, await runStack(stack));
        async function compileFor(stack: string, plan: Awaited<ReturnType<typeof runStack>>): Promise<void> {
            const profile = plan.one("aws:ssm/parameter:Parameter", "-parameters-profile").inputs;
            const settings = plan.ofType("aws:ssm/parameter:Parameter").filter((p) => p.inputs.name.includes("/settings/")).map((p) => ({ Name: p.inputs.name, Value: p.inputs.insecureValue }));
            const mf = JSON.parse(profile.value) as Record<string, string>;
            const bucket = mf.METAFLOW_DATASTORE_SYSROOT_S3.replace("s3://", "").split("/")[0];
            const queues = (plan.outputs.batch as any).queueNames as Record<string, string>;
            // What the platform creates and Metaflow reads: the parameters, the datastore bucket, the job queues.
            await boto(`ssm = boto3.client("ssm")
ssm.put_parameter(Name=${JSON.stringify(profile.name)}, Value=${JSON.stringify(profile.value)}, Type="SecureString", KeyId=${JSON.stringify(profile.keyId)})
for p in json.loads(${JSON.stringify(JSON.stringify(settings))}): ssm.put_parameter(Name=p["Name"], Value=p["Value"], Type="String")
boto3.client("s3").create_bucket(Bucket=${JSON.stringify(bucket)})
ec2 = boto3.client("ec2"); batch = boto3.client("batch"); iam = boto3.client("iam")
try:
    iam.create_role(RoleName="AWSServiceRoleForBatch", Path="/aws-service-role/batch.amazonaws.com/", AssumeRolePolicyDocument="{}")
    iam.create_instance_profile(InstanceProfileName="batch")
except iam.exceptions.EntityAlreadyExistsException:
    pass
vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
sg = ec2.create_security_group(GroupName=${JSON.stringify(`${stack}-batch`)}, Description="batch", VpcId=vpc)["GroupId"]
for q in json.loads(${JSON.stringify(JSON.stringify(Object.values(queues)))}):
    ce = batch.create_compute_environment(computeEnvironmentName=q + "-spot", type="MANAGED", serviceRole="arn:aws:iam::123456789012:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch", computeResources={"type": "SPOT", "allocationStrategy": "SPOT_PRICE_CAPACITY_OPTIMIZED", "minvCpus": 0, "maxvCpus": 16, "instanceTypes": ["c5"], "subnets": [subnet], "securityGroupIds": [sg], "instanceRole": "arn:aws:iam::123456789012:instance-profile/batch"})["computeEnvironmentArn"]
    batch.create_job_queue(jobQueueName=q, state="ENABLED", priority=1, computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}])`);

            // The documented bootstrap (docs/onboarding.md), verbatim but for the stack.
            const home = path.join(work, `home-${stack}`);
            fs.mkdirSync(home, { recursive: true });
            const get = await run("aws", ["ssm", "get-parameter", "--name", `/mf-${stack}/metaflow/profile`, "--with-decryption", "--query", "Parameter.Value", "--output", "text"], { cwd: work, env: baseEnv });
            expect(get.code, get.stderr).to.equal(0);
            fs.writeFileSync(path.join(home, `config_${stack}.json`), get.stdout);
            expect(JSON.parse(get.stdout)).to.deep.equal(plan.outputs.metaflowConfig);

            const env = {
                ...baseEnv,
                MF_TEMPLATES_LOCAL: "",
                METAFLOW_HOME: home,
                METAFLOW_PROFILE: stack,
                MF_PLATFORM_PREFIX: `/mf-${stack}`,
                // The datastore is moto's S3; the metadata service's version check would need the service itself.
                METAFLOW_S3_ENDPOINT_URL: moto!.endpoint,
                METAFLOW_SERVICE_VERSION_CHECK: "0",
            };
            const compiled: Command[] = [];
            for (const file of ["batch_inference.py", "retrain_on_data.py", "gpu_training.py", "deploy_model.py", "platform_report.py"]) compiled.push(await run(PYENV_PYTHON, [file, "step-functions", "create", "--only-json"], { cwd: path.join(work, "templates"), env }));
            const [inference, retrain, gpu, deploy, report] = compiled.map((c, i) => {
                expect(c.code, `${stack} ${i}: ${c.stderr}`).to.equal(0);
                return { json: JSON.parse(c.stdout), log: c.stderr };
            });
            const prefix = mf.METAFLOW_SFN_STATE_MACHINE_PREFIX;
            expect(inference.log).to.contain(`Deploying ${prefix}_churn.user.integration.BatchInferenceFlow to AWS Step Functions`);
            for (const { json } of [inference, retrain, gpu, deploy, report]) {
                const tasks = Object.values(json.States as Record<string, any>).filter((s) => s.Type === "Task");
                expect(tasks.length).to.be.at.least(3);
                for (const t of tasks) {
                    expect(t.Resource).to.equal("arn:aws:states:::batch:submitJob.sync");
                    const env = Object.fromEntries((t.Parameters.ContainerOverrides?.Environment ?? []).map((e: any) => [e.Name, e.Value]));
                    expect(env.METAFLOW_DATASTORE_SYSROOT_S3, stack).to.equal(mf.METAFLOW_DATASTORE_SYSROOT_S3);
                }
            }
            const jobQueues = (json: any) => Object.fromEntries(Object.entries(json.States as Record<string, any>).map(([name, s]) => [name, s.Parameters?.JobQueue]));
            expect(jobQueues(inference.json)).to.deep.include({ start: mf.METAFLOW_BATCH_JOB_QUEUE, score: mf.METAFLOW_BATCH_JOB_QUEUE });
            expect(Object.keys(deploy.json.States)).to.include.members(["start", "register", "wait_approval", "deploy", "check", "end"]);
            // The weekly report (@schedule(weekly=True), @project(name="platform")): its card step runs on the default queue.
            expect(report.log).to.contain(`Deploying ${prefix}_platform.user.integration.PlatformReportFlow to AWS Step Functions`);
            expect(jobQueues(report.json)).to.deep.include({ start: mf.METAFLOW_BATCH_JOB_QUEUE, report: mf.METAFLOW_BATCH_JOB_QUEUE, end: mf.METAFLOW_BATCH_JOB_QUEUE });
            // The GPU step goes to the GPU queue named in the stack's settings.
            expect(jobQueues(gpu.json).train).to.equal(settings.find((s) => s.Name.endsWith("/gpu-queue"))!.Value);
        }
    });

    it("trains on the dev profile's S3 datastore (moto): artifacts and checkpoints in the stack's bucket, settings from its parameters", async () => {
        const home = path.join(work, "home-dev");
        expect(fs.existsSync(path.join(home, "config_dev.json")), "the compile test bootstrapped the dev profile").to.equal(true);
        const mf = JSON.parse(fs.readFileSync(path.join(home, "config_dev.json"), "utf8"));
        const bucket = mf.METAFLOW_DATASTORE_SYSROOT_S3.replace("s3://", "").split("/")[0];
        const idFile = path.join(work, "s3-run.id");
        // The profile's datastore (s3, in moto); metadata stays local (the service is not reachable here).
        const env = { ...baseEnv, METAFLOW_HOME: home, METAFLOW_PROFILE: "dev", MF_PLATFORM_PREFIX: "/mf-dev", METAFLOW_S3_ENDPOINT_URL: moto!.endpoint };
        const out = await run(DEBIAN_PYTHON, ["gpu_training.py", "--metadata", "local", "--quiet", "run", "--run-id-file", idFile, "--interrupt_at_epoch", "1"], { cwd: path.join(work, "templates"), env });
        expect(out.code, `${out.stdout}\n${out.stderr}`).to.equal(0);
        const runId = fs.readFileSync(idFile, "utf8").trim();
        const keys: string[] = await boto(`s3 = boto3.client("s3")
print(json.dumps([o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=${JSON.stringify(bucket)}) for o in page.get("Contents", [])]))`);
        // The retry resumed from the checkpoint the first attempt wrote under the data root (setting data-root).
        expect(keys.filter((k) => k.startsWith(`data/checkpoints/GpuTrainingFlow/${runId}/`))).to.have.length(1);
        expect(keys.filter((k) => k.startsWith("metaflow/GpuTrainingFlow/data/")).length).to.be.above(5);
        expect(out.stdout + out.stderr).to.contain("simulated spot interruption after epoch 1");
    });

    it("type-checks with pyright against Metaflow 2.19.38 and Debian's libraries", async () => {
        const out = await typecheck;
        const report = JSON.parse(out.stdout);
        expect(report.generalDiagnostics.filter((d: any) => d.severity === "error").map((d: any) => `${path.basename(d.file)}:${d.range.start.line + 1} ${d.message}`)).to.deep.equal([]);
        expect(report.summary.filesAnalyzed).to.be.at.least(7);
    });
});
