"""Scheduled batch inference with the latest successful model.

    python batch_inference.py step-functions create     # deploys <prefix>_churn.<branch>.BatchInferenceFlow with its schedule
    python batch_inference.py run                       # one run now
    MF_TEMPLATES_LOCAL=1 python batch_inference.py run

Patterns shown:
* ``@schedule``: deployed with ``step-functions create``, EventBridge starts the state machine daily (UTC); the
  schedule exists only once deployed, and a plain ``run`` ignores it;
* the model comes from the newest successful run of a training flow in the same ``@project`` branch, through the
  Client API (``modeling.latest_model_run``): the prod branch scores with prod's model, never with an experiment's;
* inputs are read from, and predictions written under, the data root: ``<data-root>/predictions/<Flow>/<run>.csv``.
"""

from __future__ import annotations

from metaflow import Config, FlowSpec, Parameter, current, project, schedule, step

import modeling
import platform_params as pp


@project(name="churn")
@schedule(daily=True)
class BatchInferenceFlow(FlowSpec):
    platform = Config("platform", default_value=pp.settings_config())
    input_key = Parameter("input_key", default="", help="object key (relative to the bucket) of a CSV to score; empty: a generated sample")
    rows = Parameter("rows", default=500, type=int)

    @step
    def start(self) -> None:
        run = modeling.latest_model_run(current.branch_name)
        self.model_run = run.pathspec
        self.model = run.data.model
        print(f"scoring with the model of {self.model_run}")
        self.next(self.score)

    @step
    def score(self) -> None:
        if self.input_key:
            inputs = modeling.frame_from_csv(pp.read_key(self.platform.data_root, self.input_key))
        else:
            inputs = modeling.synthetic_frame(int(self.rows), seed=3)
        model = modeling.loads(self.model)
        inputs["prediction"] = model.predict(inputs[modeling.FEATURES].to_numpy())
        self.scored = len(inputs)
        self.predictions_url = pp.write_bytes(
            f"{self.platform.data_root}/predictions/{current.flow_name}/{current.run_id}.csv",
            inputs.to_csv(index=False).encode(),
        )
        self.next(self.end)

    @step
    def end(self) -> None:
        print(f"{self.scored} predictions at {self.predictions_url}")


if __name__ == "__main__":
    BatchInferenceFlow()
