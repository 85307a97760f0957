"""Makes AWS calls with boto3 for a test, one process for a whole sequence: reads one JSON call a line on stdin,
`{"service": "sagemaker", "operation": "describe_endpoint", "params": {...}}`, and prints one JSON line for each,
`{"answer": {...}}` (without ResponseMetadata; a streamed body read as text; times in ISO 8601) or
`{"error": {"Code": ..., "Message": ...}}` for an error AWS (here moto) answered. An operation `wait_<waiter>` runs
boto3's waiter of that name (`wait_endpoint_in_service`) and answers `{}` once it is satisfied.

The endpoint is AWS_ENDPOINT_URL, passed to boto3 explicitly, the region AWS_DEFAULT_REGION.
"""

import datetime
import json
import os
import sys
from typing import Any

import boto3
from botocore.exceptions import ClientError, WaiterError
from botocore.response import StreamingBody


def plain(value: Any) -> Any:
    """The answer as JSON takes it."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, StreamingBody):
        return value.read().decode()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode()
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def answer(client: Any, operation: str, params: dict[str, Any]) -> Any:
    if operation.startswith("wait_"):
        client.get_waiter(operation[len("wait_") :]).wait(**params)
        return {}
    return plain(getattr(client, operation)(**params))


def main() -> None:
    clients: dict[str, Any] = {}
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    for line in sys.stdin:
        call = json.loads(line)
        service: str = call["service"]
        if service not in clients:
            clients[service] = boto3.client(service, endpoint_url=endpoint, region_name=region)
        client = clients[service]
        try:
            out: dict[str, Any] = {"answer": answer(client, call["operation"], call.get("params", {}))}
        except ClientError as e:
            out = {"error": {"Code": e.response.get("Error", {}).get("Code"), "Message": e.response.get("Error", {}).get("Message")}}
        except WaiterError as e:
            out = {"error": {"Code": "WaiterError", "Message": str(e)}}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
