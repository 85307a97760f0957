"""Platform helpers shared by the templates: Parameter Store lookups, the data root, and AWS clients.

Everything here works in three places with no code change:

* on the platform, where ``MF_PLATFORM_PREFIX`` (e.g. ``/mf-prod``) names the stack's Parameter Store hierarchy:
  ``<prefix>/settings/<name>`` (written by the platform), ``<prefix>/params/<Flow>/<name>`` (written by engineers),
  ``<prefix>/dask/scheduler-address`` (written by the Dask bridge);
* offline, where ``MF_PLATFORM_PREFIX`` is unset and the same values come from ``local/settings.json`` and
  ``local/params/<Flow>.json`` next to this file;
* in tests, where ``AWS_ENDPOINT_URL`` points every client at an emulator.

Values read through :func:`settings_config` and :func:`hyperparameters_config` become Metaflow ``Config`` values:
resolved once when a run starts or a flow is deployed, stored with the run, identical in every task.
"""

from __future__ import annotations

import json
import os
import pathlib
from typing import Any, Callable, Dict, Optional

HERE = pathlib.Path(__file__).resolve().parent
LOCAL = HERE / "local"
PREFIX_ENV = "MF_PLATFORM_PREFIX"
LOCAL_ENV = "MF_TEMPLATES_LOCAL"


def prefix() -> Optional[str]:
    """The stack's parameter hierarchy (``/mf-prod``), or None offline."""
    value = os.environ.get(PREFIX_ENV, "").rstrip("/")
    if value and not value.startswith("/"):
        raise ValueError(f"{PREFIX_ENV} must start with '/', got {value!r}")
    return value or None


def aws_client(service: str) -> Any:
    """A boto3 client; ``AWS_ENDPOINT_URL`` (an emulator) is honoured by boto3 releases old and new."""
    import boto3

    return boto3.client(service, endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)


def _parameters_by_path(path: str) -> Dict[str, str]:
    """Every parameter under ``path`` (decrypted), keyed by the part of its name after ``path``."""
    ssm = aws_client("ssm")
    found: Dict[str, str] = {}
    token: Optional[str] = None
    while True:
        kwargs: Dict[str, Any] = {"Path": path, "Recursive": True, "WithDecryption": True}
        if token:
            kwargs["NextToken"] = token
        page = ssm.get_parameters_by_path(**kwargs)
        for p in page["Parameters"]:
            found[p["Name"][len(path):].lstrip("/")] = p["Value"]
        token = page.get("NextToken")
        if not token:
            return found


def _decode(text: str) -> Any:
    """Parameter values are JSON when they parse as JSON (numbers, lists), else plain strings."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _local(name: str) -> Dict[str, Any]:
    path = LOCAL / name
    return json.loads(path.read_text()) if path.exists() else {}


def settings() -> Dict[str, Any]:
    """Platform settings (``<prefix>/settings/*``), names with ``-`` turned into ``_``, and the prefix itself.

    ``parameter_prefix`` travels with the run (tasks on Batch do not inherit the shell's environment), so a task can
    read what must stay current at run time, such as the Dask scheduler's address.
    """
    p = prefix()
    raw: Dict[str, Any] = {k: _decode(v) for k, v in _parameters_by_path(f"{p}/settings").items()} if p else _local("settings.json")
    return {**{k.replace("-", "_"): v for k, v in raw.items()}, "parameter_prefix": p or ""}


def hyperparameters(flow_name: str, defaults: Dict[str, Any]) -> Dict[str, Any]:
    """``defaults`` overridden by ``<prefix>/params/<flow_name>/*`` (or ``local/params/<flow_name>.json``)."""
    p = prefix()
    stored = {k: _decode(v) for k, v in _parameters_by_path(f"{p}/params/{flow_name}").items()} if p else _local(f"params/{flow_name}.json")
    unknown = sorted(set(stored) - set(defaults))
    if unknown:
        raise ValueError(f"hyperparameters of {flow_name}: unknown name(s) {unknown}; known: {sorted(defaults)}")
    return {**defaults, **stored}


def settings_config() -> Callable[[Any], Dict[str, Any]]:
    """``default_value`` of a ``Config``: the platform settings when the run starts (or the flow is deployed)."""
    return lambda _ctx: settings()


def hyperparameters_config(defaults: Dict[str, Any]) -> Callable[[Any], Dict[str, Any]]:
    """``default_value`` of a ``Config``: the flow's hyperparameters, from its ``params/<Flow>`` hierarchy."""
    return lambda ctx: hyperparameters(ctx.flow_name, defaults)


def dask_address(parameter_prefix: str) -> Optional[str]:
    """The A02 scheduler's address (``<prefix>/dask/scheduler-address``, read now), or None (offline, or no cluster).

    ``parameter_prefix`` is the run's (``settings()["parameter_prefix"]``); empty offline, where
    ``DASK_SCHEDULER_ADDRESS`` may name a scheduler.
    """
    if not parameter_prefix:
        return os.environ.get("DASK_SCHEDULER_ADDRESS") or None
    return _parameters_by_path(f"{parameter_prefix}/dask").get("scheduler-address")


def run_locally() -> bool:
    """True for smoke runs on a laptop or in CI (``MF_TEMPLATES_LOCAL=1``): ``@batch`` steps then run in place."""
    return os.environ.get(LOCAL_ENV) == "1"


# Data under the data root: ``s3://<bucket>/data/...`` on the platform, a folder offline.


def bucket_root(data_root: str) -> str:
    """The bucket (or folder) that holds the data root: S3 trigger keys are relative to it."""
    return data_root.rstrip("/").rsplit("/", 1)[0]


def write_bytes(url: str, data: bytes) -> str:
    if url.startswith("s3://"):
        from metaflow import S3

        with S3() as s3:
            s3.put(url, data)
    else:
        path = pathlib.Path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return url


def read_key(data_root: str, key: str) -> bytes:
    """The object at ``key`` of the bucket holding the data root (S3 trigger keys are such keys); it must exist."""
    url = f"{bucket_root(data_root)}/{key}"
    data = read_bytes(url)
    if data is None:
        raise FileNotFoundError(f"{url} does not exist")
    return data


def read_bytes(url: str) -> Optional[bytes]:
    """The object's bytes, or None when it does not exist."""
    if url.startswith("s3://"):
        from metaflow import S3

        with S3() as s3:
            obj = s3.get(url, return_missing=True)
            return obj.blob if obj.exists else None
    path = pathlib.Path(url)
    return path.read_bytes() if path.exists() else None
