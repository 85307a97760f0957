"""Prints, as JSON, the configuration values Metaflow's own loader (metaflow/metaflow_config.py) computed from the
environment and $METAFLOW_HOME/config_<METAFLOW_PROFILE>.json: what Metaflow will actually use."""

import importlib
import json

# The pinned Metaflow is on PYTHONPATH only at test time (extracted from ../shared/vendor).
c = importlib.import_module("metaflow.metaflow_config")

NAMES = [
    "DEFAULT_DATASTORE",
    "DEFAULT_METADATA",
    "DATASTORE_SYSROOT_S3",
    "DATATOOLS_S3ROOT",
    "SERVICE_URL",
    "SERVICE_INTERNAL_URL",
    "SERVICE_AUTH_KEY",
    "SERVICE_HEADERS",
    "BATCH_JOB_QUEUE",
    "ECS_S3_ACCESS_IAM_ROLE",
    "ECS_FARGATE_EXECUTION_ROLE",
    "BATCH_CONTAINER_IMAGE",
    "BATCH_CONTAINER_REGISTRY",
    "SFN_IAM_ROLE",
    "EVENTS_SFN_ACCESS_IAM_ROLE",
    "SFN_DYNAMO_DB_TABLE",
    "SFN_STATE_MACHINE_PREFIX",
    "SFN_EXECUTION_LOG_GROUP_ARN",
    "UI_URL",
]

if __name__ == "__main__":
    print(json.dumps({name: getattr(c, name, None) for name in NAMES}))
