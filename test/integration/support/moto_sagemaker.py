"""moto's server (`python -m moto.server`, same options) with one test-only SageMaker action added before it starts.

moto 5.2.1 has no UpdateEndpoint; this adds the one behaviour the deploy flow needs: an existing endpoint switches to
an existing endpoint configuration and is `InService` at once (AWS passes through `Updating`, which the flow's waiter
covers). A missing endpoint or configuration is a ValidationException, with the messages moto's own DescribeEndpoint
and DescribeEndpointConfig give. Nothing else of AWS's UpdateEndpoint (deployment configs, retained variant
properties, the update of an endpoint still `Updating`) is emulated.

moto's server dispatches a SageMaker request to the method of `SageMakerResponse` named after the action in snake case
(`UpdateEndpoint` -> `update_endpoint`), looked up on the class at each request, so adding the method to the class
before the server starts is all it takes; the backend's own dictionaries hold the endpoints and configurations.
"""

import sys

from moto import server
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.sagemaker.models import SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse


def update_endpoint(backend: SageMakerModelBackend, endpoint_name: str, endpoint_config_name: str) -> str:
    """Points the endpoint at the configuration, with that configuration's variants; returns the endpoint's ARN."""
    # Each raises moto's ValidationException ("Could not find endpoint ..." / "... endpoint configuration ...").
    backend.describe_endpoint(endpoint_name)
    config = backend.describe_endpoint_config(endpoint_config_name)
    endpoint = backend.endpoints[endpoint_name]
    endpoint.endpoint_config_name = endpoint_config_name
    endpoint.production_variants = endpoint._process_production_variants(config["ProductionVariants"])
    endpoint.data_capture_config = config["DataCaptureConfig"]
    endpoint.endpoint_status = "InService"
    endpoint.last_modified_time = utcnow()
    return endpoint.arn


def _update_endpoint_action(self: SageMakerResponse) -> ActionResult:
    arn = update_endpoint(self.sagemaker_backend, self._get_param("EndpointName"), self._get_param("EndpointConfigName"))
    return ActionResult({"EndpointArn": arn})


def install() -> None:
    """Adds UpdateEndpoint to moto's SageMaker responses (server mode and `mock_aws` alike)."""
    setattr(SageMakerResponse, "update_endpoint", _update_endpoint_action)


if __name__ == "__main__":
    install()
    server.main(sys.argv[1:])
