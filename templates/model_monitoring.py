"""Model monitoring: accuracy and data drift of the current model, as CloudWatch metrics, failing over a threshold.

    python model_monitoring.py run --recent_key data/labelled/churn/latest.csv
    python model_monitoring.py step-functions create       # with @schedule: every day
    MF_TEMPLATES_LOCAL=1 python model_monitoring.py run --shift 0.8    # a drifted sample, to see it fail

Patterns shown:
* the reference is the training sample stored with the model's run (``reference_sample``); recent labelled inputs
  come from the data root (or a generated sample, ``--shift`` moving its distribution);
* per feature, the population stability index (PSI) and the two-sample Kolmogorov-Smirnov statistic; the model's
  accuracy on the recent inputs;
* metrics go to CloudWatch in the platform's namespace (setting ``metric-namespace``): ``DriftPSI``, ``DriftKS`` (the
  largest over the features) and ``Accuracy``, each with the dimension ``Model`` and once without dimensions; the
  platform's alarms watch the dimensionless ones with the same thresholds the flow uses, so a drifting model both
  fails this run and notifies the alarm topic;
* thresholds come from the platform settings (``drift-psi-threshold``, ``drift-ks-threshold``, ``min-accuracy``).
"""

from __future__ import annotations

from typing import Any, Dict, List

from metaflow import Config, FlowSpec, Parameter, current, project, schedule, step

import modeling
import platform_params as pp


def metric_data(model: str, values: Dict[str, float]) -> List[Dict[str, Any]]:
    """Each metric with ``Model=<model>`` and without dimensions (what the platform's alarms watch)."""
    data: List[Dict[str, Any]] = []
    for name, value in values.items():
        data.append({"MetricName": name, "Dimensions": [{"Name": "Model", "Value": model}], "Value": value, "Unit": "None"})
        data.append({"MetricName": name, "Value": value, "Unit": "None"})
    return data


@project(name="churn")
@schedule(daily=True)
class ModelMonitoringFlow(FlowSpec):
    platform = Config("platform", default_value=pp.settings_config())
    recent_key = Parameter("recent_key", default="", help="object key (relative to the bucket) of recent labelled inputs (CSV); empty: a generated sample")
    shift = Parameter("shift", default=0.0, type=float, help="generated sample only: move the feature distribution by this much")
    rows = Parameter("rows", default=1000, type=int)

    @step
    def start(self) -> None:
        run = modeling.latest_model_run(current.branch_name)
        self.model_run = run.pathspec
        self.model_name = f"{current.project_name}.{current.branch_name}"
        reference = run.data.reference_sample
        if self.recent_key:
            recent = modeling.frame_from_csv(pp.read_key(self.platform.data_root, self.recent_key))
        else:
            recent = modeling.synthetic_frame(int(self.rows), seed=5, shift=float(self.shift))
        self.psi, self.ks = modeling.drift(reference, recent)
        self.accuracy = modeling.accuracy(modeling.loads(run.data.model), recent)
        self.next(self.publish)

    @step
    def publish(self) -> None:
        self.metrics = {"DriftPSI": max(self.psi.values()), "DriftKS": max(self.ks.values()), "Accuracy": self.accuracy}
        pp.aws_client("cloudwatch").put_metric_data(Namespace=str(self.platform.metric_namespace), MetricData=metric_data(self.model_name, self.metrics))
        print(f"published to {self.platform.metric_namespace}: {self.metrics}")
        self.next(self.end)

    @step
    def end(self) -> None:
        s = self.platform
        problems = []
        if self.metrics["DriftPSI"] > float(s.drift_psi_threshold):
            problems.append(f"PSI {self.metrics['DriftPSI']:.3f} > {s.drift_psi_threshold} ({max(self.psi, key=lambda f: self.psi[f])})")
        if self.metrics["DriftKS"] > float(s.drift_ks_threshold):
            problems.append(f"KS {self.metrics['DriftKS']:.3f} > {s.drift_ks_threshold} ({max(self.ks, key=lambda f: self.ks[f])})")
        if self.accuracy < float(s.min_accuracy):
            problems.append(f"accuracy {self.accuracy:.3f} < {s.min_accuracy}")
        if problems:
            raise RuntimeError(f"model {self.model_name} ({self.model_run}): " + "; ".join(problems))
        print(f"model {self.model_name} healthy: {self.metrics}")


if __name__ == "__main__":
    ModelMonitoringFlow()
