"""Distributed feature engineering on the shared A02 Dask cluster.

    python dask_features.py run           # tasks reach the cluster's scheduler (address from Parameter Store)
    MF_TEMPLATES_LOCAL=1 python dask_features.py run   # no cluster configured: a local cluster in the task

Patterns shown:
* the scheduler's address comes from ``<prefix>/dask/scheduler-address``, written by the platform's Dask bridge;
  flows never hard-code it. Without one (offline, or a stack without the A02 reference) the step starts a small
  local cluster, so the same code runs everywhere;
* ``Client(address, direct_to_workers=False)``: results travel through the scheduler, the only port of the cluster
  that Batch tasks may reach;
* the features are written under the data root (``<data-root>/features/<Flow>/<run>/``) and their location is an
  artifact, so later flows find them through the Client API.
"""

from __future__ import annotations

from typing import Any, List

from metaflow import Config, FlowSpec, Parameter, current, project, step

import modeling
import platform_params as pp


def dask_client(parameter_prefix: str) -> Any:
    from dask.distributed import Client, LocalCluster

    address = pp.dask_address(parameter_prefix)
    if address:
        return Client(address, direct_to_workers=False, timeout="30s")
    # Threads, not processes: small, no extra ports, and fine for a demonstration.
    # No dashboard (None turns it off; distributed annotates the argument as str only).
    return Client(LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None))  # pyright: ignore[reportArgumentType]


# The two functions below run on the cluster's workers, which have pandas and numpy but not this repository: they
# live in the flow file (pickled by value) and take everything they need as arguments.


def partial_sums(part: Any, features: List[str]) -> Any:
    """Per customer: count, sum and sum of squares of each feature in one partition."""
    grouped = part.groupby("customer")[features]
    squares = (part[features] ** 2).groupby(part["customer"]).sum().add_suffix("_sq")
    return grouped.count().add_suffix("_n").join(grouped.sum().add_suffix("_sum")).join(squares)


def combine(partials: Any, features: List[str]) -> Any:
    """Mean and standard deviation per customer and feature, from the partitions' sums."""
    import numpy as np
    import pandas as pd

    total = pd.concat(partials).groupby(level=0).sum()
    out = pd.DataFrame(index=total.index)
    for f in features:
        n = total[f"{f}_n"]
        mean = total[f"{f}_sum"] / n
        out[f"{f}_mean"] = mean
        out[f"{f}_std"] = np.sqrt(np.maximum(total[f"{f}_sq"] / n - mean**2, 0.0))
    return out


@project(name="churn")
class DaskFeaturesFlow(FlowSpec):
    platform = Config("platform", default_value=pp.settings_config())
    rows = Parameter("rows", default=20000, type=int, help="rows of raw events to turn into features")
    partitions = Parameter("partitions", default=8, type=int)

    @step
    def start(self) -> None:
        self.next(self.features)

    @step
    def features(self) -> None:
        import numpy as np

        raw = modeling.synthetic_frame(int(self.rows), seed=11)
        raw["customer"] = raw.index % 97
        with dask_client(str(self.platform.parameter_prefix)) as client:
            self.scheduler = str(client.scheduler.address)
            # Map over partitions on the cluster, then combine: sums, not means, so partial results add up.
            parts = client.scatter(np.array_split(raw, int(self.partitions)))
            partials = client.map(partial_sums, parts, features=modeling.FEATURES)
            per_customer = client.submit(combine, partials, modeling.FEATURES).result()
        self.feature_columns = list(per_customer.columns)
        self.customers = len(per_customer)
        self.features_url = pp.write_bytes(
            f"{self.platform.data_root}/features/{current.flow_name}/{current.run_id}/features.csv",
            per_customer.to_csv().encode(),
        )
        self.next(self.end)

    @step
    def end(self) -> None:
        print(f"{self.customers} customers, {len(self.feature_columns)} features at {self.features_url} (Dask scheduler {self.scheduler})")


if __name__ == "__main__":
    DaskFeaturesFlow()
