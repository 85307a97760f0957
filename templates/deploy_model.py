"""Deploys the branch's newest model to a SageMaker serverless endpoint, after a person approves it, and rolls back a
version that fails its check.

    python deploy_model.py run --image <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>
    python deploy_model.py --production step-functions create    # then `step-functions trigger` after each training

Serving needs AWS: the model registry and the endpoint are SageMaker's. Offline (no ``MF_PLATFORM_PREFIX``) the flow
stops at ``start`` and says so.

Patterns shown:
* the model is the newest successful training run of the same ``@project`` branch (``modeling.latest_model_run``),
  packaged as ``<data-root>/models/<model>/<run>/model.tar.gz``, the only place the model's endpoint role may read;
* a new version in the model's package group (setting ``serving-<model>-group``), ``PendingManualApproval``, the
  training run's pathspec in its ``CustomerMetadataProperties``; a person approves or rejects it (SageMaker Studio,
  or ``aws sagemaker update-model-package --model-approval-status Approved``): the job role cannot approve;
* ``Approved``: a model ``<group>-v<n>`` run as the endpoint role (setting ``serving-<model>-endpoint-role``), a
  serverless endpoint config of the same name, sized by the stack's caps (settings ``serving-<model>-memory-mb`` and
  ``serving-<model>-max-concurrency``, the ``serving`` key's values, which the job role enforces; ``--memory_mb`` and
  ``--max_concurrency`` may ask for less), and the endpoint ``<group>`` (``<namePrefix>-<model>``) created or
  switched to it;
  ``Rejected``: nothing is deployed;
* the check invokes the endpoint on held-out rows and needs the ``min-accuracy`` setting; a failed check switches the
  endpoint back to the previous config (or deletes a first endpoint), marks the version ``Rejected`` with the reason
  and fails the run, so the platform's failure notifications fire;
* the endpoint's current and previous configs (and models) are kept for the next rollback, older ones deleted.
"""

from __future__ import annotations

import io
import tarfile
import time
import uuid
from typing import Any, Callable, Dict, List, Optional, Set

from metaflow import Config, FlowSpec, Parameter, current, project, step

import modeling
import platform_params as pp

PENDING, APPROVED, REJECTED = "PendingManualApproval", "Approved", "Rejected"


def model_archive(model: bytes) -> bytes:
    """``model.tar.gz`` as SageMaker's model containers expect it: the pickled model as ``model.pkl``."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        info = tarfile.TarInfo("model.pkl")
        info.size = len(model)
        tar.addfile(info, io.BytesIO(model))
    return out.getvalue()


def check_sample(rows: int) -> Any:
    """The held-out rows the check sends to the endpoint (labelled; never used for training)."""
    return modeling.synthetic_frame(rows, seed=17)


def parse_predictions(body: bytes, rows: int) -> List[int]:
    """The endpoint's answer, one 0/1 prediction a line; anything else is a failed check."""
    lines = body.decode().split()
    if len(lines) != rows or any(line not in ("0", "1") for line in lines):
        raise ValueError(f"expected {rows} predictions (0 or 1, one a line), got {body[:200]!r}")
    return [int(line) for line in lines]


def is_missing(error: Exception) -> bool:
    """SageMaker's answer for a resource that does not exist: a ValidationException saying "Could not find"."""
    from botocore.exceptions import ClientError

    return isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") == "ValidationException" and "Could not find" in str(error)


def delete_if_present(delete: Callable[..., Any], **name: str) -> bool:
    """Calls a SageMaker Delete* action; False when there was nothing to delete."""
    try:
        delete(**name)
        return True
    except Exception as error:
        if is_missing(error):
            return False
        raise


@project(name="churn")
class DeployModelFlow(FlowSpec):
    platform = Config("platform", default_value=pp.settings_config())
    model = Parameter("model", default="churn", help="the served model's name (the stack's serving.models)")
    image = Parameter("image", default="", help="the serving image, from the platform's image repository (the only one endpoints may pull from)")
    memory_mb = Parameter("memory_mb", default=0, type=int, help="serverless memory, MB, in steps of 1024 up to the stack's cap (0: the cap, setting serving-<model>-memory-mb)")
    max_concurrency = Parameter("max_concurrency", default=0, type=int, help="concurrent invocations up to the stack's cap (0: the cap, setting serving-<model>-max-concurrency)")
    approval_timeout_minutes = Parameter("approval_timeout_minutes", default=60.0, type=float, help="how long to wait for a person to approve or reject")
    poll_seconds = Parameter("poll_seconds", default=30, type=int, help="interval of the approval and endpoint polls")
    check_rows = Parameter("check_rows", default=50, type=int, help="held-out rows the check sends to the endpoint")

    def setting(self, name: str) -> str:
        """A platform setting of the served model (``serving-<model>-*``), which the stack writes for each served model."""
        value = self.platform.get(name.replace("-", "_"))
        if not value:
            raise ValueError(f"no setting {self.platform.parameter_prefix}/settings/{name}: is {self.model!r} among the stack's serving.models?")
        return str(value)

    def serverless_size(self, parameter: str, asked: int, setting: str, unit: str, step: int) -> int:
        """The size to deploy: the stack's cap (``serving-<model>-<setting>``), or less when asked; never above it."""
        name = f"serving-{self.model}-{setting}"
        cap = int(self.setting(name))
        if asked == 0:
            return cap
        if asked < step or asked % step or asked > cap:
            problem = f"is above the stack's cap of {cap} {unit} (setting {name})" if asked > cap else f"must be a positive multiple of {step}"
            raise ValueError(f"--{parameter} {asked} {problem}: the job role refuses a larger serverless config")
        return asked

    @step
    def start(self) -> None:
        if not self.platform.parameter_prefix:
            raise RuntimeError(
                "serving needs AWS: the model registry and the endpoints are SageMaker's, and offline (local/settings.json) "
                "there are none. Run with the platform's profile and MF_PLATFORM_PREFIX=/<namePrefix> (templates/README.md)."
            )
        if not self.image:
            raise ValueError("--image: the serving image (an image of the platform's repository) is required")
        self.memory = self.serverless_size("memory_mb", int(self.memory_mb), "memory-mb", "MB", step=1024)
        self.concurrency = self.serverless_size("max_concurrency", int(self.max_concurrency), "max-concurrency", "concurrent", step=1)
        self.group = self.setting(f"serving-{self.model}-group")
        self.endpoint_role = self.setting(f"serving-{self.model}-endpoint-role")
        self.endpoint = self.group  # <namePrefix>-<model>
        run = modeling.latest_model_run(current.branch_name)
        self.model_run = run.pathspec
        self.model_url = pp.write_bytes(f"{self.platform.data_root}/models/{self.model}/{run.id}/model.tar.gz", model_archive(run.data.model))
        print(f"packaged the model of {self.model_run} at {self.model_url}")
        self.next(self.register)

    @step
    def register(self) -> None:
        sagemaker = pp.aws_client("sagemaker")
        self.package_arn = sagemaker.create_model_package(
            ModelPackageGroupName=self.group,
            ModelPackageDescription=f"{self.model_run}, registered by {current.pathspec}",
            ModelApprovalStatus=PENDING,
            CustomerMetadataProperties={"metaflow-run": self.model_run, "deploy-run": f"{current.flow_name}/{current.run_id}"},
            InferenceSpecification={
                "Containers": [{"Image": self.image, "ModelDataUrl": self.model_url}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        )["ModelPackageArn"]
        self.version = int(sagemaker.describe_model_package(ModelPackageName=self.package_arn)["ModelPackageVersion"])
        print(f"registered {self.package_arn} ({PENDING}): approve or reject it within {self.approval_timeout_minutes} minutes")
        self.next(self.wait_approval)

    @step
    def wait_approval(self) -> None:
        sagemaker = pp.aws_client("sagemaker")
        deadline = time.monotonic() + float(self.approval_timeout_minutes) * 60
        while True:
            package = sagemaker.describe_model_package(ModelPackageName=self.package_arn)
            self.approval = str(package["ModelApprovalStatus"])
            if self.approval != PENDING:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.package_arn} still {PENDING} after {self.approval_timeout_minutes} minutes")
            time.sleep(int(self.poll_seconds))
        print(f"version {self.version}: {self.approval} ({package.get('ApprovalDescription', 'no note')})")
        self.next(self.deploy)

    @step
    def deploy(self) -> None:
        self.config_name: Optional[str] = None
        self.previous_config: Optional[str] = None
        if self.approval == APPROVED:
            self.switch_endpoint()
        else:
            print(f"version {self.version} is {self.approval}: nothing deployed")
        self.next(self.check)

    @step
    def check(self) -> None:
        self.accuracy: Optional[float] = None
        if self.config_name:
            sample = check_sample(int(self.check_rows))
            self.probe = uuid.uuid4().hex  # a fresh request: no cached answer of an earlier check
            try:
                answer = pp.aws_client("sagemaker-runtime").invoke_endpoint(
                    EndpointName=self.endpoint,
                    ContentType="text/csv",
                    Accept="text/csv",
                    CustomAttributes=f"probe={self.probe}",
                    Body=sample[modeling.FEATURES].to_csv(header=False, index=False),
                )
                predictions = parse_predictions(answer["Body"].read(), len(sample))
                self.accuracy = float((sample[modeling.LABEL].to_numpy() == predictions).mean())
                failure = None if self.accuracy >= float(self.platform.min_accuracy) else f"accuracy {self.accuracy:.3f} < {self.platform.min_accuracy}"
            except Exception as error:  # any failure to answer correctly is a failed check
                failure = f"the endpoint did not answer as expected: {error}"
            if failure:
                self.roll_back(failure)
            print(f"version {self.version} checked: accuracy {self.accuracy:.3f}")
        self.next(self.end)

    @step
    def end(self) -> None:
        if not self.config_name:
            print(f"{self.model}: version {self.version} ({self.model_run}) {self.approval}; endpoint {self.endpoint} unchanged")
            return
        self.deleted = self.delete_old_versions(keep={self.config_name, self.previous_config})
        print(
            f"{self.model}: version {self.version} ({self.model_run}) serves on {self.endpoint} ({self.config_name}, "
            f"{self.memory} MB, {self.concurrency} concurrent), accuracy {self.accuracy:.3f}; "
            f"rollback target {self.previous_config or 'none'}; deleted {', '.join(self.deleted) or 'nothing'}"
        )

    # Helpers of the steps (not steps: Metaflow runs only methods decorated with @step).

    def switch_endpoint(self) -> None:
        """Model and serverless config ``<group>-v<n>``; the endpoint created, or switched from the config it runs."""
        sagemaker = pp.aws_client("sagemaker")
        # Approval is checked here, not by SageMaker: CreateModel accepts a package in any status.
        if sagemaker.describe_model_package(ModelPackageName=self.package_arn)["ModelApprovalStatus"] != APPROVED:
            raise RuntimeError(f"{self.package_arn} is no longer {APPROVED}")
        name = f"{self.group}-v{self.version}"
        sagemaker.create_model(ModelName=name, ExecutionRoleArn=self.endpoint_role, PrimaryContainer={"ModelPackageName": self.package_arn})
        serverless = {"MemorySizeInMB": self.memory, "MaxConcurrency": self.concurrency}
        sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": name, "ServerlessConfig": serverless}])
        self.config_name = name
        self.previous_config = self.current_config(sagemaker)
        if self.previous_config:
            sagemaker.update_endpoint(EndpointName=self.endpoint, EndpointConfigName=name)
        else:
            sagemaker.create_endpoint(EndpointName=self.endpoint, EndpointConfigName=name)
        self.wait_in_service(sagemaker)
        print(f"endpoint {self.endpoint}: {self.previous_config or 'new'} -> {name}")

    def current_config(self, sagemaker: Any) -> Optional[str]:
        """The endpoint config the endpoint runs now, or None when there is no endpoint."""
        try:
            return str(sagemaker.describe_endpoint(EndpointName=self.endpoint)["EndpointConfigName"])
        except Exception as error:
            if is_missing(error):
                return None
            raise

    def wait_in_service(self, sagemaker: Any) -> None:
        attempts = max(1, int(30 * 60 / max(1, int(self.poll_seconds))))
        sagemaker.get_waiter("endpoint_in_service").wait(EndpointName=self.endpoint, WaiterConfig={"Delay": int(self.poll_seconds), "MaxAttempts": attempts})

    def roll_back(self, reason: str) -> None:
        """Back to the previous config (a first endpoint is deleted), the version rejected with the reason; fails the run."""
        sagemaker = pp.aws_client("sagemaker")
        if self.previous_config:
            sagemaker.update_endpoint(EndpointName=self.endpoint, EndpointConfigName=self.previous_config)
            self.wait_in_service(sagemaker)
        else:
            sagemaker.delete_endpoint(EndpointName=self.endpoint)
        package = sagemaker.describe_model_package(ModelPackageName=self.package_arn)
        # Sent back as they are: moto replaces them with the request's (AWS removes them only when told to).
        metadata: Dict[str, Any] = {"CustomerMetadataProperties": package["CustomerMetadataProperties"]} if package.get("CustomerMetadataProperties") else {}
        sagemaker.update_model_package(ModelPackageArn=self.package_arn, ModelApprovalStatus=REJECTED, ApprovalDescription=f"check failed: {reason}"[:1000], **metadata)
        self.delete_old_versions(keep={self.previous_config}, versions=[self.version])
        raise RuntimeError(f"version {self.version} of {self.model} failed its check ({reason}): endpoint {self.endpoint} back on {self.previous_config or 'nothing (deleted)'}, version {REJECTED}")

    def delete_old_versions(self, keep: Set[Optional[str]], versions: Optional[List[int]] = None) -> List[str]:
        """Deletes the endpoint configs and models of ``versions`` (default: every earlier one) not in ``keep``."""
        sagemaker = pp.aws_client("sagemaker")
        deleted: List[str] = []
        for n in versions if versions is not None else range(1, int(self.version)):
            name = f"{self.group}-v{n}"
            if name in keep:
                continue
            gone = [delete_if_present(sagemaker.delete_endpoint_config, EndpointConfigName=name), delete_if_present(sagemaker.delete_model, ModelName=name)]
            if any(gone):
                deleted.append(name)
        return deleted

if __name__ == "__main__":
    DeployModelFlow()
