"""GPU training on the platform's GPU queue, surviving spot interruptions.

    python gpu_training.py run                            # on Batch: `train` on the GPU queue, the rest on the default
    python gpu_training.py run --tag experiment:lr-sweep  # tags group the runs of an experiment
    MF_TEMPLATES_LOCAL=1 python gpu_training.py run       # everything in place (laptop, CI)

Patterns shown:
* ``@batch(gpu=1, queue=...)`` with the GPU queue's name from the platform settings (a ``Config``, so it is fixed
  when the run starts or the flow is deployed), ``@resources`` for CPU and memory;
* ``@retry``: a spot interruption kills the task, Batch retries it (``retryStrategy.attempts``), and the task resumes
  from the last checkpoint it wrote under the data root instead of starting over;
* hyperparameters from Parameter Store (``<prefix>/params/GpuTrainingFlow/*``) with defaults in the code;
* experiment tags added from the flow (``experiment:<name>``, ``learning_rate:<value>``).
"""

from __future__ import annotations

from typing import Any, Callable

from metaflow import Config, FlowSpec, Parameter, Run, batch, current, project, resources, retry, step

import modeling
import platform_params as pp


def gpu_batch(queue: Any) -> Callable[[Any], Any]:
    """``@batch(gpu=1, queue=queue)``, except in local smoke runs (``MF_TEMPLATES_LOCAL=1``)."""
    if pp.run_locally():
        return lambda f: f
    return batch(gpu=1, queue=queue)


@project(name="churn")
class GpuTrainingFlow(FlowSpec):
    platform = Config("platform", default_value=pp.settings_config())
    hparams = Config("hparams", default_value=pp.hyperparameters_config({"epochs": 5, "learning_rate": 0.01, "batch_size": 64, "rows": 2000}))

    experiment = Parameter("experiment", default="baseline", help="experiment name, added as the tag experiment:<name>")
    interrupt_at_epoch = Parameter("interrupt_at_epoch", default=0, type=int, help="demo only: fail the first attempt after this epoch, as a spot interruption would")

    @step
    def start(self) -> None:
        self.seed = 7
        self.train_data = modeling.synthetic_frame(int(self.hparams.rows), self.seed)
        self.test_data = modeling.synthetic_frame(max(200, int(self.hparams.rows) // 4), self.seed + 1)
        self.next(self.train)

    @retry(times=3, minutes_between_retries=0)  # Batch retries immediately; a spot interruption is not the code's fault
    @resources(cpu=4, memory=16000, gpu=1)
    @gpu_batch(queue=platform.gpu_queue)
    @step
    def train(self) -> None:
        checkpoints = f"{self.platform.data_root}/checkpoints/{current.flow_name}/{current.run_id}/{current.task_id}"
        model, first_epoch = None, 0
        latest = pp.read_bytes(f"{checkpoints}/latest")
        if latest is not None:  # a retry: resume where the interrupted attempt stopped
            model, first_epoch = modeling.loads(latest)
        if model is None:
            model = modeling.new_model(float(self.hparams.learning_rate), self.seed)
        self.resumed_from_epoch = first_epoch
        for epoch in range(first_epoch, int(self.hparams.epochs)):
            model = modeling.train_epoch(model, self.train_data, epoch, int(self.hparams.batch_size))
            pp.write_bytes(f"{checkpoints}/latest", modeling.dumps((model, epoch + 1)))
            if epoch + 1 == self.interrupt_at_epoch and current.retry_count == 0:
                raise RuntimeError(f"simulated spot interruption after epoch {epoch + 1}")
        self.model = modeling.dumps(model)
        self.attempts = current.retry_count + 1
        self.next(self.end)

    @step
    def end(self) -> None:
        self.accuracy = modeling.accuracy(modeling.loads(self.model), self.test_data)
        # Keep a sample of the training data: monitoring compares recent inputs against it.
        self.reference_sample = self.train_data.sample(n=min(1000, len(self.train_data)), random_state=0)
        Run(f"{current.flow_name}/{current.run_id}").add_tags([f"experiment:{self.experiment}", f"learning_rate:{self.hparams.learning_rate}"])
        print(f"accuracy {self.accuracy:.3f} after {self.hparams.epochs} epochs ({self.attempts} attempt(s) of train)")


if __name__ == "__main__":
    GpuTrainingFlow()
