"""Retraining started by new data: the platform's S3 trigger runs it when an object lands under a prefix.

    # Pulumi.<stack>.yaml of the platform (the platform team adds it):
    #   metaflow-platform:triggers:
    #     - flow: churn.prod.RetrainOnDataFlow
    #       s3Prefix: data/incoming/churn/
    #       keyParameter: key
    #       parameters: {min_rows: 500}
    python retrain_on_data.py --production step-functions create   # deploy the prod branch's state machine first
    python retrain_on_data.py run --key data/incoming/churn/2026-11-29.csv   # the same run by hand

Patterns shown:
* parameters from the event: the trigger passes the new object's key as ``key`` and its static ``parameters``;
* the new data is validated before training (too few rows or a missing column fails the run, and the failure
  reaches the alarm topic), then a model is trained and evaluated;
* the run is tagged with the object that started it, so ``Flow("RetrainOnDataFlow").runs("trigger_key:...")`` finds it.
"""

from __future__ import annotations

from metaflow import Config, FlowSpec, Parameter, Run, current, project, retry, step

import modeling
import platform_params as pp


@project(name="churn")
class RetrainOnDataFlow(FlowSpec):
    platform = Config("platform", default_value=pp.settings_config())
    hparams = Config("hparams", default_value=pp.hyperparameters_config({"epochs": 5, "learning_rate": 0.01, "batch_size": 64}))

    key = Parameter("key", required=True, help="key of the new object in the datastore bucket (from the S3 trigger)")
    min_rows = Parameter("min_rows", default=100, type=int, help="refuse to train on fewer rows")

    @step
    def start(self) -> None:
        url = f"{pp.bucket_root(self.platform.data_root)}/{self.key}"
        frame = modeling.frame_from_csv(pp.read_key(self.platform.data_root, self.key))
        if len(frame) < self.min_rows:
            raise ValueError(f"{url} has {len(frame)} rows; at least {self.min_rows} are needed to retrain")
        self.source_url = url
        self.train_data = frame.sample(frac=0.8, random_state=0)
        self.test_data = frame.drop(self.train_data.index)
        self.next(self.train)

    @retry(times=2, minutes_between_retries=0)
    @step
    def train(self) -> None:
        model = modeling.new_model(float(self.hparams.learning_rate), seed=7)
        for epoch in range(int(self.hparams.epochs)):
            model = modeling.train_epoch(model, self.train_data, epoch, int(self.hparams.batch_size))
        self.model = modeling.dumps(model)
        self.next(self.end)

    @step
    def end(self) -> None:
        self.accuracy = modeling.accuracy(modeling.loads(self.model), self.test_data)
        self.reference_sample = self.train_data.sample(n=min(1000, len(self.train_data)), random_state=0)
        Run(f"{current.flow_name}/{current.run_id}").add_tags([f"trigger_key:{self.key}"])
        print(f"retrained on {self.source_url}: accuracy {self.accuracy:.3f}")


if __name__ == "__main__":
    RetrainOnDataFlow()
