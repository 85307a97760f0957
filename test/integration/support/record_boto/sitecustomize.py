"""Records every AWS call botocore makes in this Python process (and in the processes it starts, which inherit the
environment), one line ``<service>:<Operation>`` appended to the file named by ``BOTO_CALLS_FILE``: put this folder
first on PYTHONPATH. ``<service>`` is the client's name (``logs``, ``cloudwatch``, ``ce``, ``budgets``, ``ssm``), which
for these services is also IAM's prefix. The call is recorded before it is sent, so a refused call is recorded too.
"""

import os
from typing import Any, Dict


def _record(path: str) -> None:
    try:
        from botocore.client import BaseClient
    except ImportError:  # no botocore in this interpreter: nothing to record
        return
    make_api_call = BaseClient._make_api_call

    def recorded(self: Any, operation_name: str, api_params: Dict[str, Any]) -> Any:
        with open(path, "a") as f:
            f.write(f"{self.meta.service_model.service_name}:{operation_name}\n")
        return make_api_call(self, operation_name, api_params)

    setattr(BaseClient, "_make_api_call", recorded)


if os.environ.get("BOTO_CALLS_FILE"):
    _record(os.environ["BOTO_CALLS_FILE"])
