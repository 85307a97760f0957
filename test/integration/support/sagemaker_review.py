"""What a test does, on the running moto server, in place of the people and the model behind a SageMaker deployment:
queues the answers the next InvokeEndpoint calls get, and approves a model package as a human approver would.

    python3 sagemaker_review.py results '[{"Body": "0.9", "ContentType": "text/csv"}, ...]'
    python3 sagemaker_review.py approve <model package ARN> [note]

The server is AWS_ENDPOINT_URL, the region AWS_DEFAULT_REGION (us-east-1 when unset). Runs with either Python of the
suite: the endpoint is passed to boto3 explicitly (Debian's boto3 1.26 predates AWS_ENDPOINT_URL).

moto's InvokeEndpoint answers fixed data unless results are queued through its results route. The queue is FIFO and
shared by every endpoint of the account and region; each result is kept for the endpoint and request it first
answered (the body, `Accept` and the `X-Amzn-SageMaker-*` headers, CustomAttributes among them), so a repeated request
gets the same answer and only a new request takes the next result.
"""

import json
import os
import sys
import urllib.request
from typing import Any, NotRequired, TypedDict

import boto3


class Result(TypedDict):
    """One InvokeEndpoint answer, as moto's results route takes it."""

    Body: str
    ContentType: NotRequired[str]
    InvokedProductionVariant: NotRequired[str]
    CustomAttributes: NotRequired[str]


def _server() -> tuple[str, str]:
    return os.environ["AWS_ENDPOINT_URL"], os.environ.get("AWS_DEFAULT_REGION", "us-east-1")


def queue_results(results: list[Result]) -> None:
    """Appends the results to moto's InvokeEndpoint queue (POST /moto-api/static/sagemaker/endpoint-results)."""
    url, region = _server()
    body = json.dumps({"region": region, "results": results}).encode()
    request = urllib.request.Request(f"{url}/moto-api/static/sagemaker/endpoint-results", data=body, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        if response.status != 201:
            raise RuntimeError(f"moto's results route answered {response.status}")


def approve(model_package_arn: str, note: str) -> dict[str, Any]:
    """UpdateModelPackage Approved with the approver's note; returns the package as DescribeModelPackage shows it."""
    url, region = _server()
    sagemaker: Any = boto3.client("sagemaker", endpoint_url=url, region_name=region)
    package = sagemaker.describe_model_package(ModelPackageName=model_package_arn)
    # moto 5.2.1 replaces the package's CustomerMetadataProperties with the request's (none: dropped), where AWS's API
    # removes them only through CustomerMetadataPropertiesToRemove. Sending them back as they are keeps what the deploy
    # flow reads (the run's pathspec), on both.
    kept = {"CustomerMetadataProperties": package["CustomerMetadataProperties"]} if package.get("CustomerMetadataProperties") else {}
    sagemaker.update_model_package(ModelPackageArn=model_package_arn, ModelApprovalStatus="Approved", ApprovalDescription=note, **kept)
    return sagemaker.describe_model_package(ModelPackageName=model_package_arn)


def main(argv: list[str]) -> None:
    if argv[:1] == ["results"] and len(argv) == 2:
        queue_results(json.loads(argv[1]))
    elif argv[:1] == ["approve"] and len(argv) in (2, 3):
        package = approve(argv[1], argv[2] if len(argv) == 3 else "approved")
        print(json.dumps({k: package.get(k) for k in ("ModelPackageArn", "ModelApprovalStatus", "ApprovalDescription", "CustomerMetadataProperties")}))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
